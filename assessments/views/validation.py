"""The internal verifier's validation queue, and the centre admin's release settings.

Thin, like assessments.views.assess: load through visible_to (404 for what the person may not see),
check who may act (403), bind a form, call one service, redirect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Membership
from accounts.requests import AuthedRequest
from assessments.forms.validation import ReleaseSettingForm, ValidateForm, ValidateReturnsForm
from assessments.models import Decision, HeldReturn, ReleaseSetting, ValidationOutcome
from assessments.release import awaiting_validation, needing_validation
from assessments.services import AssessmentError
from assessments.validation import set_release_setting, validate_decisions, validate_returns
from core.forms import sent_values
from portfolios.models import Registration
from portfolios.rules import verifies_registration
from qualifications.models import Qualification

QUEUE_PAGE_SIZE = 25


# ---------------------------------------------------------------- the IV's queue


RETURNS_SHOWN = 25


def _queue_page(
    request: AuthedRequest,
    *,
    form: ValidateForm | None = None,
    return_form: ValidateReturnsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Decisions and returns for resubmission waiting for this IV at the active centre, oldest
    first: a fixed number of queries whatever the queue's length."""
    membership = request.membership
    is_verifier = rules.test_rule("assessments.work_validation_queue", request.user, membership)
    waiting: QuerySet[Decision] = Decision.objects.none()
    own = 0
    returns: list[HeldReturn] = []
    own_returns = 0
    more_returns = False
    if membership and is_verifier:
        # The IV's registrations that need validation first, as a list, then their
        # decisions: asked of each decision, the rule made the database read all 300,000 of a
        # big centre's (it could not tell how few registrations need validation).
        registrations = list(
            needing_validation(
                Registration.objects.filter(
                    internal_verifier=request.user, centre_id=membership.centre_id
                )
            ).values_list("pk", flat=True)
        )
        mine = awaiting_validation(
            Decision.objects.filter(registration_id__in=registrations), rule_checked=True
        )
        waiting = (
            mine.exclude(assessor=request.user)
            .select_related(
                "registration__learner",
                "registration__qualification",
                "criterion__unit",
                "assessor",
            )
            .prefetch_related("evidence")
            .order_by("decided_at", "pk")
        )
        # An IV never validates their own decisions; say how many wait for someone else.
        own = mine.filter(assessor=request.user).count()
        # Returns held for validation (assessments.models.returns), in one query: the oldest
        # RETURNS_SHOWN and one more, to say there are more. Not limited to the registrations
        # that need validation now: a return held before a centre relaxed its own setting
        # still waits for an IV.
        held = list(
            HeldReturn.objects.waiting()
            .filter(
                evidence__registration__internal_verifier=request.user,
                evidence__registration__centre_id=membership.centre_id,
            )
            .select_related(
                "evidence__registration__learner",
                "evidence__registration__qualification",
                "assessor",
            )
            .order_by("returned_at", "pk")[: RETURNS_SHOWN + 1]
        )
        returns = [r for r in held if r.assessor_id != request.user.pk]
        own_returns = len(held) - len(returns)
        more_returns = len(held) > RETURNS_SHOWN
        returns = returns[:RETURNS_SHOWN]
    page_obj = Paginator(waiting, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    ticked: set[str] = set()
    if form is not None and form.is_bound:
        ticked = set(sent_values(form, "decisions"))
    return render(
        request,
        "assessments/validation_queue.html",
        {
            "page_obj": page_obj,
            "is_verifier": is_verifier,
            "membership": membership,
            "own": own,
            "form": form or ValidateForm(),
            "ticked": ticked,
            "returns": returns,
            "own_returns": own_returns,
            "more_returns": more_returns,
            "return_form": return_form or ValidateReturnsForm(),
            "ticked_returns": set(sent_values(return_form, return_form.add_prefix("held")))
            if return_form is not None and return_form.is_bound
            else set(),
        },
        status=status,
    )


@require_GET
@login_required
def validation_queue(request: AuthedRequest) -> HttpResponse:
    return _queue_page(request)


@require_POST
@login_required
def validate(request: AuthedRequest) -> HttpResponse:
    form = ValidateForm(request.POST)
    if not form.is_valid():
        return _queue_page(request, form=form, status=400)
    ids = form.cleaned_data["decisions"]
    decisions = list(
        Decision.objects.filter(
            pk__in=ids, registration__in=Registration.objects.visible_to(request.user)
        ).select_related("registration", "validation")
    )
    if len(decisions) != len(ids):
        raise Http404("No such decision.")
    return _validate_batch(
        request,
        items=decisions,
        registrations=[d.registration for d in decisions],
        outcome=form.cleaned_data["outcome"],
        noun="decision",
        validate=lambda: validate_decisions(
            validator=request.user,
            decisions=decisions,
            outcome=form.cleaned_data["outcome"],
            comment=form.cleaned_data["comment"],
        ),
        agreed="agreed and released to the learner.",
        refused_page=lambda: _queue_page(request, form=form, status=400),
    )


@require_POST
@login_required
def validate_held_returns(request: AuthedRequest) -> HttpResponse:
    """Agree or refer returns for resubmission held for the IV (assessments.models.returns)."""
    form = ValidateReturnsForm(request.POST)
    if not form.is_valid():
        return _queue_page(request, return_form=form, status=400)
    ids = form.cleaned_data["held"]
    held = list(
        HeldReturn.objects.filter(
            pk__in=ids,
            evidence__registration__in=Registration.objects.visible_to(request.user),
        ).select_related("evidence__registration", "validation")
    )
    if len(held) != len(ids):
        raise Http404("No such return.")
    return _validate_batch(
        request,
        items=held,
        registrations=[h.evidence.registration for h in held],
        outcome=form.cleaned_data["outcome"],
        noun="return",
        validate=lambda: validate_returns(
            validator=request.user,
            held=held,
            outcome=form.cleaned_data["outcome"],
            comment=form.cleaned_data["comment"],
        ),
        agreed="agreed: the learner has the feedback now.",
        refused_page=lambda: _queue_page(request, return_form=form, status=400),
    )


def _validate_batch(
    request: AuthedRequest,
    *,
    items: Sequence[Any],
    registrations: Iterable[Registration],
    outcome: str,
    noun: str,
    validate: Callable[[], object],
    agreed: str,
    refused_page: Callable[[], HttpResponse],
) -> HttpResponse:
    """What validating decisions and validating held returns share: only the registrations'
    own IV acts; the same form sent twice is told it is recorded; a refusal keeps the form."""
    if not all(verifies_registration(request.user, r) for r in registrations):
        raise PermissionDenied
    if all(
        getattr(item, "validation", None) is not None
        and item.validation.validator_id == request.user.pk
        and item.validation.outcome == outcome
        for item in items
    ):
        # The same form sent twice: the first one validated them.
        messages.info(request, f"Your validation of these {noun}s is already recorded.")
        return redirect("assessments:validation_queue")
    try:
        validate()
    except AssessmentError as error:
        messages.error(request, str(error))
        return refused_page()
    count = f"{len(items)} {noun}{'s' if len(items) != 1 else ''}"
    if outcome == ValidationOutcome.AGREED:
        messages.success(request, f"{count} {agreed}")
    else:
        messages.success(request, f"{count} referred back to the assessor.")
    return redirect("assessments:validation_queue")


# ---------------------------------------------------------------- the centre's settings


def _settings_page(
    request: AuthedRequest,
    membership: Membership,
    *,
    form: ReleaseSettingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    settings_by_qualification = {
        s.qualification_id: s
        for s in ReleaseSetting.objects.filter(centre_id=membership.centre_id).select_related(
            "changed_by"
        )
    }
    rows: list[dict[str, Any]] = []
    for qualification in Qualification.objects.select_related("awarding_body").order_by("number"):
        setting = settings_by_qualification.get(qualification.pk)
        required = qualification.decisions_need_validation
        rows.append(
            {
                "qualification": qualification,
                "setting": setting,
                # The awarding body's requirement wins over a setting saved before it was
                # enforced (assessments.release.validation_required reads it the same way).
                "effective": required or bool(setting and setting.validation_required),
                "overruled": required and setting is not None and not setting.validation_required,
            }
        )
    return render(
        request,
        "assessments/release_settings.html",
        {"membership": membership, "rows": rows, "form": form or ReleaseSettingForm()},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def release_settings(request: AuthedRequest) -> HttpResponse:
    """The centre admin chooses, per qualification, whether decisions wait for validation."""
    membership = request.membership
    if membership is None or not rules.test_rule(
        "assessments.work_release_settings", request.user, membership
    ):
        raise PermissionDenied
    if request.method == "GET":
        return _settings_page(request, membership)
    form = ReleaseSettingForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, membership, form=form, status=400)
    qualification = form.cleaned_data["qualification"]
    required = form.cleaned_data["validation_required"]
    try:
        set_release_setting(
            actor=request.user,
            centre=membership.centre,
            qualification=qualification,
            validation_required=required,
        )
    except AssessmentError as error:
        messages.error(request, str(error))
        return _settings_page(request, membership, form=form, status=400)
    how = "wait for an internal verifier's validation" if required else "reach the learner at once"
    messages.success(request, f"{qualification.number}: decisions {how}.")
    return redirect("assessments:release_settings")
