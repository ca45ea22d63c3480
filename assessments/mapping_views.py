"""The assessor confirms or changes the learner's mapping from the assessing page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments.forms import ConfirmMappingForm
from assessments.mapping import confirm_mapping
from assessments.services import AssessmentError
from assessments.views import _assess_page, _evidence_to_assess
from portfolios.views import form_errors
from qualifications.models import AssessmentCriterion


def _labels(criteria: list[AssessmentCriterion]) -> str:
    return ", ".join(f"{c.unit.reference or c.unit.key} {c.number}" for c in criteria)


@require_POST
@login_required
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence_to_assess(request, pk)
    form = ConfirmMappingForm(request.POST, registration=evidence.registration)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return _assess_page(request, evidence, status=400, map_form=form)
    chosen = list(form.cleaned_data["criteria"])
    try:
        added, removed = confirm_mapping(
            assessor=request.user,  # type: ignore[arg-type]
            evidence=evidence,
            criteria=chosen,
            shown=form.cleaned_data["shown"],
        )
    except AssessmentError as error:
        messages.error(request, str(error))
        return _assess_page(request, evidence, status=400, map_form=form)
    if added or removed:
        by_pk = {c.pk: c for c in chosen}
        parts = []
        if added:
            parts.append(f"added {_labels([by_pk[pk] for pk in sorted(added)])}")
        if removed:
            gone = AssessmentCriterion.objects.filter(pk__in=removed).select_related("unit")
            parts.append(f"removed {_labels(sorted(gone, key=lambda c: c.pk))}")
        messages.success(request, f"Mapping changed and confirmed: {'; '.join(parts)}.")
    else:
        count = f"{len(chosen)} criterion" if len(chosen) == 1 else f"{len(chosen)} criteria"
        messages.success(request, f"The learner's mapping to {count} is confirmed.")
    return redirect(f"{reverse('assessments:assess', args=[pk])}#mapping-heading")
