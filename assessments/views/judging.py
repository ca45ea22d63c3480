"""Sending the one judging form. With htmx the form comes back in place (no page load); without
JavaScript it is an ordinary POST, then a redirect to the assessing page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from assessments import judging
from assessments.forms.judging import JudgingForm
from assessments.judging_page import JudgingState
from assessments.models import Outcome
from assessments.views.assess import _assess_page, _evidence_to_assess, _unit_label
from qualifications.models import AssessmentCriterion


def _summary(result: judging.JudgingResult) -> str:
    if result.replayed:
        return "These judgements are already recorded (the form was sent twice); nothing new."
    if not result.decisions:
        return "Your overall feedback is recorded."
    criteria = AssessmentCriterion.objects.select_related("unit").in_bulk(
        [d.criterion_id for d in result.decisions]
    )
    parts = [
        f"{_unit_label(criteria[d.criterion_id].unit)} {criteria[d.criterion_id].number} "
        f"{Outcome(d.outcome).label.lower()}"
        for d in result.decisions
    ]
    count = len(parts)
    return f"{count} {'criterion' if count == 1 else 'criteria'} judged: {'; '.join(parts)}."


@require_POST
@login_required
def judge(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence_to_assess(request, pk)
    form = JudgingForm(request.POST)
    htmx = bool(getattr(request, "htmx", False))
    if not form.is_valid():
        state = JudgingState(
            row_errors=form.row_errors(),
            field_errors={
                name: " ".join(str(e) for e in errors)
                for name, errors in form.errors.items()
                if name in {"method", "assessed_on", "feedback"}
            },
            error="Nothing was recorded: correct what is marked below.",
        )
        return _refused(request, evidence, form, state, htmx)
    try:
        result = judging.judge_evidence(
            assessor=request.user,  # type: ignore[arg-type]
            evidence=evidence,
            rows=form.judgements(),
            method=form.cleaned_data["method"],
            assessed_on=form.cleaned_data["assessed_on"],
            feedback=form.cleaned_data["feedback"],
            token=form.token_value,
        )
    except judging.JudgingError as error:
        return _refused(
            request, evidence, form, JudgingState(row_errors=error.rows, error=str(error)), htmx
        )
    done = _summary(result)
    if htmx:
        # The new decisions, the evidence's status (assessed once every criterion is judged)
        # and a new token.
        evidence.refresh_from_db(fields=["status"])
        return _assess_page(request, evidence, judging_state=JudgingState(done=done), fragment=True)
    messages.success(request, done)
    return redirect(f"{reverse('assessments:assess', args=[pk])}#criteria-heading")


def _refused(
    request: HttpRequest, evidence: object, form: JudgingForm, state: JudgingState, htmx: bool
) -> HttpResponse:
    """The form again with everything typed in it and each refusal by its field. htmx swaps
    only 2xx responses by default, so the fragment comes back as 200; a plain POST gets 400."""
    return _assess_page(
        request,
        evidence,  # type: ignore[arg-type]
        status=200 if htmx else 400,
        judging=form,
        judging_state=state,
        fragment=htmx,
    )


@require_http_methods(["GET", "POST"])
@login_required
def old_criterion_form(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponseRedirect:
    """The former one-criterion form's address: every criterion is judged in one form now."""
    if request.method == "POST":
        messages.info(
            request,
            "Criteria are judged together in one form now; nothing was recorded. "
            "Judge the criterion below.",
        )
    return redirect(f"{reverse('assessments:assess', args=[pk])}#criterion-{criterion_pk}")
