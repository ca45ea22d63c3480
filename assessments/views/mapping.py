"""The assessor confirms or changes the learner's mapping from the assessing page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from assessments.forms.assess import ConfirmMappingForm
from assessments.mapping import confirm_mapping
from assessments.mapping_tree import mapping_units
from assessments.services import AssessmentError
from assessments.views.assess import _assess_page, _evidence_to_assess
from portfolios.models import EvidenceStatus, RegistrationStatus
from qualifications.models import AssessmentCriterion


def _labels(criteria: list[AssessmentCriterion]) -> str:
    return ", ".join(f"{c.unit.reference or c.unit.key} {c.number}" for c in criteria)


@require_POST
@login_required
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence_to_assess(request, pk)
    form = ConfirmMappingForm(request.POST, registration=evidence.registration)
    if not form.is_valid():
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


@require_GET
@login_required
def unit_criteria(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """One of the learner's units as mapping checkboxes, loaded when the assessor opens it."""
    evidence = _evidence_to_assess(request, pk)
    registration = evidence.registration
    if not (
        evidence.status == EvidenceStatus.SUBMITTED
        and registration.status == RegistrationStatus.ACTIVE
    ):
        raise PermissionDenied
    units, loaded = mapping_units(registration, open_units={unit_pk})
    entry = next((u for u in units if u.unit.pk == unit_pk and u.unit.pk in loaded), None)
    if entry is None:
        raise Http404("The learner does not take that unit.")
    ticked = {str(c) for c in evidence.mappings.values_list("criterion_id", flat=True)}
    return render(request, "assessments/_map_unit.html", {"entry": entry, "map_ticked": ticked})
