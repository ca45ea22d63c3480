"""The sample record pages: start a planned sample, review it, agree or refer back, sign off.

Thin: load through visible_to (another centre's work answers 404), check who may read or act
(403), bind a form, call one service in verification.samples, message and redirect. Readers: the
learner's internal verifier, centre admins and EQAs at the centre, and assessors whose decisions
the sample holds. Only the learner's own IV acts (verification/samples.py says why).
"""

from __future__ import annotations

from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.requests import AuthedRequest
from assessments.models import Decision
from portfolios.models import Registration
from verification import samples
from verification.forms.sample import ReviewForm, VerifierSignOffForm
from verification.models import PlannedSample, SampleStage, SamplingStrategy
from verification.models.sample import Sample, SampleOutcome, SampleOutcomeKind, SampleState
from verification.sample_review import review_rows
from verification.services import VerificationError


def _assessed_in(user: Any, sample: Sample, outcomes: list[SampleOutcome]) -> bool:
    """An assessor reads a sample that holds decisions they made (then or since)."""
    snapshots = [sample.snapshot, *(o.snapshot for o in outcomes)]
    return any(d["assessor"] == user.pk for s in snapshots for d in s["decisions"])


# ---------------------------------------------------------------- starting from the plan


@require_http_methods(["GET", "POST"])
@login_required
def start(request: AuthedRequest, pk: int) -> HttpResponse:
    """A planned sample: its record once started; before that, what would be sampled."""
    planned = get_object_or_404(
        PlannedSample.objects.filter(
            plan__strategy__in=SamplingStrategy.objects.visible_to(request.user)
        ).select_related(
            "plan__strategy__qualification",
            "registration__learner",
            "registration__qualification",
            "unit",
            "assessor",
        ),
        pk=pk,
    )
    registration = planned.registration
    # What would be sampled is the learner's decisions: only those who may read the portfolio
    # see them, as on the started record (another IV's learner answers 404 there too).
    if not Registration.objects.visible_to(request.user).filter(pk=registration.pk).exists():
        raise Http404("No such sample.")
    if not rules.test_rule("verification.read_sampling", request.user, registration.centre_id):
        raise PermissionDenied
    started = Sample.objects.filter(planned_sample=planned).first()
    if started is not None:
        # Started already (perhaps by the same form sent twice): the record is the answer.
        if request.method == "POST":
            messages.info(request, "This sample is already started.")
        return redirect("verification:sample", pk=started.pk)
    may_act = rules.test_rule("verification.sample_registration", request.user, registration)
    status = 200
    if request.method == "POST":
        if not may_act:
            raise PermissionDenied
        try:
            sample = samples.start_planned_sample(verifier=request.user, planned_sample=planned)
        except VerificationError as error:
            messages.error(request, str(error))
            status = 400
        else:
            messages.success(request, "The sample is started; what you see now is kept with it.")
            return redirect("verification:sample", pk=sample.pk)
    decisions = samples.sampled_decisions(registration, planned.unit)
    return render(
        request,
        "verification/sample_start.html",
        {
            "planned": planned,
            "registration": registration,
            "decisions": decisions,
            "may_act": may_act and planned.removed_at is None,
            "own": [d for d in decisions if d.assessor_id == request.user.pk],
        },
        status=status,
    )


# ---------------------------------------------------------------- the sample record


def _load(request: AuthedRequest, pk: int) -> tuple[Sample, list[SampleOutcome]]:
    sample = get_object_or_404(
        Sample.objects.visible_to(request.user).select_related(
            "registration__learner",
            "registration__qualification",
            "unit",
            "verifier",
            "planned_sample__plan",
        ),
        pk=pk,
    )
    outcomes = list(
        sample.outcomes.select_related("decided_by").prefetch_related(
            Prefetch("decisions", queryset=Decision.objects.select_related("criterion"))
        )
    )
    if not (
        rules.test_rule("verification.read_sampling", request.user, sample.registration.centre_id)
        or _assessed_in(request.user, sample, outcomes)
    ):
        raise PermissionDenied
    return sample, outcomes


def _page(
    request: AuthedRequest,
    sample: Sample,
    outcomes: list[SampleOutcome],
    *,
    status: int = 200,
    review_form: ReviewForm | None = None,
    review_error: str = "",
    review_done: str = "",
    sign_off_form: VerifierSignOffForm | None = None,
    fragment: bool = False,
) -> HttpResponse:
    decisions = samples.sampled_decisions(sample.registration, sample.unit)
    current = samples.snapshot_of(sample.registration, sample.unit, decisions)
    current_hash = samples.hash_of(current)
    may_act = rules.test_rule("verification.sample_registration", request.user, sample.registration)
    open_review = sample.state != SampleState.AGREED
    sign_offs = list(sample.sign_offs.select_related("verifier"))
    form = review_form or ReviewForm(decisions=decisions)
    context = {
        "sample": sample,
        "registration": sample.registration,
        "outcomes": outcomes,
        "decisions": decisions,
        "current_hash": current_hash,
        "changed": current_hash != sample.snapshot_hash,
        "may_act": may_act and open_review,
        "review": review_rows(form, decisions, current_hash, refused=bool(review_error)),
        "review_error": review_error,
        "review_done": review_done,
        "sign_offs": sign_offs,
        "may_sign": may_act
        and sample.stage == SampleStage.SUMMATIVE
        and sample.state == SampleState.AGREED
        and not sign_offs,
        "sign_off_form": sign_off_form or VerifierSignOffForm(),
        "fragment": fragment,
    }
    if fragment:
        return render(request, "verification/_sample_body.html", context, status=status)
    return render(request, "verification/sample.html", context, status=status)


@require_http_methods(["GET"])
@login_required
def sample_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    sample, outcomes = _load(request, pk)
    return _page(request, sample, outcomes)


def _acting(request: AuthedRequest, pk: int) -> tuple[Sample, list[SampleOutcome]]:
    sample, outcomes = _load(request, pk)
    if not rules.test_rule("verification.sample_registration", request.user, sample.registration):
        raise PermissionDenied
    return sample, outcomes


def _answer(
    request: AuthedRequest, pk: int, message: str, *, htmx: bool, level: int = messages.SUCCESS
) -> HttpResponse:
    """Done (or done already): htmx gets the record again in place; a plain POST a redirect."""
    if htmx:
        sample, outcomes = _load(request, pk)
        return _page(request, sample, outcomes, review_done=message, fragment=True)
    messages.add_message(request, level, message)
    return redirect("verification:sample", pk=pk)


@require_POST
@login_required
def review(request: AuthedRequest, pk: int) -> HttpResponse:
    """The whole sample reviewed in one form: all agreed closes it; any referred refers those
    back (verification.samples.agree / refer_back, append-only outcomes)."""
    sample, outcomes = _acting(request, pk)
    htmx = bool(getattr(request, "htmx", False))
    if sample.state == SampleState.AGREED:
        # The same form sent twice: the first one agreed it.
        return _answer(
            request, pk, "This sample is already agreed.", htmx=htmx, level=messages.INFO
        )
    decisions = samples.sampled_decisions(sample.registration, sample.unit)
    form = ReviewForm(request.POST, decisions=decisions)
    refused_status = 200 if htmx else 400  # htmx swaps only 2xx answers
    if not form.is_valid():
        return _page(
            request,
            sample,
            outcomes,
            status=refused_status,
            review_form=form,
            review_error="Nothing was recorded: correct what is marked below.",
            fragment=htmx,
        )
    data = form.cleaned_data
    referred = form.referred()
    last = outcomes[-1] if outcomes else None
    if (
        referred
        and last is not None
        and last.outcome == SampleOutcomeKind.REFERRED
        and last.snapshot_hash == data["seen_hash"]
        and {d.pk for d in last.decisions.all()} == {d.pk for d in referred}
    ):
        # The same referral sent twice: the first one recorded it.
        return _answer(
            request, pk, "This referral is already recorded.", htmx=htmx, level=messages.INFO
        )
    try:
        if referred:
            samples.refer_back(
                verifier=request.user,
                sample=sample,
                decisions=referred,
                actions=data["actions"],
                deadline=data["deadline"],
                feedback=data["feedback"],
                seen_hash=data["seen_hash"],
            )
        else:
            samples.agree(
                verifier=request.user,
                sample=sample,
                feedback=data["feedback"],
                seen_hash=data["seen_hash"],
            )
    except VerificationError as error:
        return _page(
            request,
            sample,
            outcomes,
            status=refused_status,
            review_form=form,
            review_error=str(error),
            fragment=htmx,
        )
    if not referred:
        return _answer(
            request, pk, "You agreed the sampled decisions; the review is closed.", htmx=htmx
        )
    count = len(referred)
    return _answer(
        request,
        pk,
        f"{count} decision{'s' * (count != 1)} referred back to the assessor, "
        f"due by {data['deadline']:%-d %B %Y}.",
        htmx=htmx,
    )


@require_POST
@login_required
def old_outcome_form(request: AuthedRequest, pk: int) -> HttpResponse:
    """The former separate agree and refer forms' addresses: the review is one form now."""
    _acting(request, pk)
    messages.info(request, "The sample is reviewed in one form now; nothing was recorded.")
    return redirect(f"{reverse('verification:sample', args=[pk])}#review-heading")


@require_POST
@login_required
def sign_off(request: AuthedRequest, pk: int) -> HttpResponse:
    sample, outcomes = _acting(request, pk)
    if sample.sign_offs.exists():
        messages.info(request, "This is already signed off.")
        return redirect("verification:sample", pk=pk)
    form = VerifierSignOffForm(request.POST)
    if not form.is_valid():
        return _page(request, sample, outcomes, status=400, sign_off_form=form)
    try:
        samples.sign_off(
            verifier=request.user, sample=sample, password=form.cleaned_data["password"]
        )
    except VerificationError as error:
        messages.error(request, str(error))
        return _page(request, sample, outcomes, status=400)
    what = "the unit" if sample.unit_id else "the portfolio"
    messages.success(request, f"You signed off {what}: it may be claimed.")
    return redirect("verification:sample", pk=pk)
