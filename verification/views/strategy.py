"""The verifier's sampling pages: strategies, assessor risk ratings, and the sampling plan.

Thin: load through visible_to (another centre's strategy answers 404), check who may act (403:
internal verifiers and centre admins change things, an EQA may read, learners and assessors may
not), bind a form, call one service, redirect. The services' refusals come back as messages.
"""

from __future__ import annotations

from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.context import working_membership
from accounts.models import Membership
from accounts.requests import AuthedRequest
from core.charts import heat_map
from portfolios.models import Registration
from qualifications.models import Qualification
from verification import services
from verification.forms.strategy import (
    AddSampleForm,
    DrawForm,
    RatingForm,
    RemoveSampleForm,
    StrategyForm,
)
from verification.models import (
    AssessorRiskRating,
    PlannedSample,
    RiskRating,
    SampleSource,
    SampleStage,
    SamplingPlan,
    SamplingStrategy,
)
from verification.queries import Coverage, coverage, plan_samples

# A stand-in id no row has, reversed once and swapped for each row's own.
_SENTINEL = 2_147_483_647


def url_pattern(name: str) -> str:
    """The URL of `name` (which takes one integer id) as a format string: `.format(pk)`."""
    url = reverse(name, args=[_SENTINEL])
    if url.count(str(_SENTINEL)) != 1:  # pragma: no cover - a URL that repeats the id
        raise ValueError(f"{name} does not take exactly one id")
    return url.replace("{", "{{").replace("}", "}}").replace(str(_SENTINEL), "{}")


def _active_membership(request: AuthedRequest, *, plan: bool = False) -> Membership:
    """The role the person works in now, if that role may read (or plan)."""
    rule = "verification.work_planning" if plan else "verification.work_sampling"
    return working_membership(request, rule)


def _strategy(request: AuthedRequest, pk: int, *, plan: bool = False) -> SamplingStrategy:
    strategy = get_object_or_404(
        SamplingStrategy.objects.visible_to(request.user).select_related(
            "centre", "qualification", "updated_by"
        ),
        pk=pk,
    )
    allowed = (
        rules.test_rule("verification.plan_sampling", request.user, strategy.centre_id)
        if plan
        else rules.test_rule("verification.read_sampling", request.user, strategy.centre_id)
    )
    if not allowed:
        raise PermissionDenied
    if not request.user.has_perm("verification.view_strategy", strategy):
        # An EQA whose grant names some qualifications reads only those (accounts.access).
        raise Http404
    return strategy


# ---------------------------------------------------------------- strategies


@require_GET
@login_required
def strategies(request: AuthedRequest) -> HttpResponse:
    """Each qualification the centre offers, with its strategy and latest plan, if any."""
    membership = _active_membership(request)
    centre_id = membership.centre_id
    # An EQA whose grant names some qualifications sees only those.
    qualifications = list(membership.qualifications_in_view().order_by("number"))
    by_qualification = {
        s.qualification_id: s
        for s in SamplingStrategy.objects.filter(centre_id=centre_id).annotate(
            last_drawn=Max("plans__created_at")
        )
    }
    rows = [(q, by_qualification.get(q.pk)) for q in qualifications]
    return render(
        request,
        "verification/strategies.html",
        {
            "rows": rows,
            "centre": membership.centre,
            "can_plan": rules.test_rule("verification.plan_sampling", request.user, centre_id),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def strategy_edit(request: AuthedRequest, qualification_pk: int) -> HttpResponse:
    membership = _active_membership(request, plan=True)
    centre_id = membership.centre_id
    qualification = get_object_or_404(
        Qualification.objects.filter(centres__pk=centre_id), pk=qualification_pk
    )
    strategy = SamplingStrategy.objects.filter(
        centre_id=centre_id, qualification=qualification
    ).first()
    form = StrategyForm(request.POST or None, instance=strategy)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.save_strategy(
                    actor=request.user,
                    centre=membership.centre,
                    qualification=qualification,
                    values=form.cleaned_data,
                )
            except services.VerificationError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    f"The sampling strategy for {qualification.number} is saved "
                    f"(version {saved.version}).",
                )
                return redirect("verification:plan", pk=saved.pk)
        status = 400
    return render(
        request,
        "verification/strategy_form.html",
        {"form": form, "qualification": qualification, "strategy": strategy},
        status=status,
    )


# ---------------------------------------------------------------- assessor risk ratings


@require_http_methods(["GET", "POST"])
@login_required
def ratings(request: AuthedRequest) -> HttpResponse:
    membership = _active_membership(request)
    centre_id = membership.centre_id
    can_plan = rules.test_rule("verification.plan_sampling", request.user, centre_id)
    form = RatingForm(request.POST or None, centre_id=centre_id)
    status = 200
    if request.method == "POST":
        if not can_plan:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.set_rating(
                    actor=request.user,
                    centre=membership.centre,
                    assessor=data["assessor"],
                    rating=data["rating"],
                    reason=data["reason"],
                )
            except services.VerificationError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    f"{data['assessor'].get_full_name()} is now rated "
                    f"{RiskRating(data['rating']).label.lower()}.",
                )
                return redirect("verification:ratings")
        status = 400
    assessors = (
        Membership.objects.current()
        .filter(centre_id=centre_id)
        .assessors()
        .select_related("user")
        .order_by("user__full_name", "user_id")
    )
    history = list(
        AssessorRiskRating.objects.filter(centre_id=centre_id)
        .select_related("assessor", "set_by")
        .order_by("-set_at", "-pk")
    )
    current = AssessorRiskRating.objects.current_for(centre_id)
    rows = [(m.user, current.get(m.user_id)) for m in assessors]
    return render(
        request,
        "verification/ratings.html",
        {"rows": rows, "history": history, "form": form, "can_plan": can_plan},
        status=status,
    )


# ---------------------------------------------------------------- the plan


def _plan_page(
    request: AuthedRequest,
    strategy: SamplingStrategy,
    *,
    status: int = 200,
    draw_form: DrawForm | None = None,
    add_form: AddSampleForm | None = None,
    remove_form: RemoveSampleForm | None = None,
    removing: int | None = None,
) -> HttpResponse:
    """The plan page; a form sent back invalid (the draw, the addition, or the removal of
    sample `removing`) is shown with its errors in its place."""
    plans = SamplingPlan.objects.filter(strategy=strategy).select_related("created_by")
    plan = plans.first()
    result = None
    rows: list[dict[str, Any]] = []
    if plan is not None:
        plan.strategy = strategy  # already loaded: no second query
        result = coverage(plan, plan_samples(plan))
    can_plan = rules.test_rule("verification.plan_sampling", request.user, strategy.centre_id)
    if result is not None:
        # Any IV at the centre plans, but a sample's record shows the learner's decisions, so
        # it opens only to those who may read that learner's portfolio (their own IV, admins,
        # EQAs).
        readable = set(
            Registration.objects.visible_to(request.user)
            .filter(centre_id=strategy.centre_id, qualification_id=strategy.qualification_id)
            .values_list("pk", flat=True)
        )
        # Each link is made once and filled in per row: reversing per row was a fifth of the
        # page's time at 230 samples.
        record_url = url_pattern("verification:sample_start")
        remove_url = url_pattern("verification:remove_sample")
        # Each row as a dict of finished strings: the template then finds every value at its
        # first lookup, where an object's attribute costs a failed item lookup first, and a
        # date filter per row costs its machinery (together most of the page at 230 rows).
        stages = {value: str(label) for value, label in SampleStage.choices}
        sources = {value: str(label) for value, label in SampleSource.choices}
        rows = [
            {
                "pk": sample.pk,
                "verifier": sample.verifier or "No verifier assigned",
                "planned_on": dateformat.format(sample.planned_on, "j M Y"),
                "learner": sample.learner,
                "unit": f"{sample.unit_ref}: {sample.unit_title}"
                if sample.unit_id
                else "The whole portfolio",
                "unit_short": sample.unit_ref if sample.unit_id else "whole portfolio",
                "stage": stages[sample.stage],
                "assessor": sample.assessor,
                "source": sources[sample.source],
                "record_url": record_url.format(sample.pk)
                if sample.registration_id in readable
                else "",
                "remove_url": remove_url.format(sample.pk),
                "remove_form": remove_form if sample.pk == removing else None,
            }
            for sample in result.samples
        ]
    return render(
        request,
        "verification/plan.html",
        {
            "rows": rows,
            "strategy": strategy,
            "plan": plan,
            "earlier_plans": plans.count() - 1 if plan else 0,
            "coverage": result,
            "heat_maps": _heat_maps(result) if result is not None else [],
            "can_plan": can_plan,
            "draw_form": draw_form or DrawForm(),
            "add_form": add_form or (AddSampleForm(strategy=strategy) if plan else None),
            "remove_form": remove_form or RemoveSampleForm(),
        },
        status=status,
    )


def _heat_maps(result: Coverage) -> list[dict[str, Any]]:
    """The plan's samples by assessor and unit, and by assessor and method: each a heat map
    (core.charts) and the same counts as a table."""
    maps = []
    for key, grid, what in (
        ("units", result.by_unit, "unit"),
        ("methods", result.by_method, "method"),
    ):
        total = sum(sum(row) for row in grid.counts)
        gaps = [
            column
            for c, column in enumerate(grid.columns)
            if not any(row[c] for row in grid.counts)
        ]
        summary = (
            f"Planned samples by assessor and {what}: {len(grid.rows)} "
            f"assessor{'s' * (len(grid.rows) != 1)}, {len(grid.columns)} {what}s, "
            f"{total} sample{'s' * (total != 1)} in all"
            + (f"; no sample yet for {', '.join(gaps)}" if gaps else "")
            + ". The table below gives every cell."
        )
        maps.append(
            {
                "key": key,
                "what": what,
                "grid": grid,
                "picture": heat_map(
                    grid.rows,
                    grid.columns,
                    grid.counts,
                    label=summary,
                    key="Darker cells hold more samples; each cell prints its number.",
                    empty="No assessor has work to sample yet.",
                ),
            }
        )
    return maps


@require_GET
@login_required
def plan(request: AuthedRequest, pk: int) -> HttpResponse:
    return _plan_page(request, _strategy(request, pk))


@require_POST
@login_required
def draw(request: AuthedRequest, pk: int) -> HttpResponse:
    strategy = _strategy(request, pk, plan=True)
    form = DrawForm(request.POST)
    if not form.is_valid():
        return _plan_page(request, strategy, status=400, draw_form=form)
    try:
        drawn = services.draw_plan(
            actor=request.user,
            strategy=strategy,
            period_start=form.cleaned_data["period_start"],
            period_end=form.cleaned_data["period_end"],
        )
    except services.VerificationError as error:
        messages.error(request, str(error))
        return _plan_page(request, strategy, status=400, draw_form=form)
    count = drawn.samples.count()
    messages.success(request, f"A new plan is drawn with {count} sample{'s' * (count != 1)}.")
    return redirect("verification:plan", pk=strategy.pk)


def _plan_to_adjust(request: AuthedRequest, pk: int) -> SamplingPlan:
    visible = SamplingStrategy.objects.visible_to(request.user)
    plan = get_object_or_404(
        SamplingPlan.objects.filter(strategy__in=visible).select_related(
            "strategy__centre", "strategy__qualification", "strategy__updated_by"
        ),
        pk=pk,
    )
    if not rules.test_rule("verification.plan_sampling", request.user, plan.strategy.centre_id):
        raise PermissionDenied
    return plan


@require_POST
@login_required
def add_sample(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = _plan_to_adjust(request, pk)
    strategy = plan.strategy
    form = AddSampleForm(request.POST, strategy=strategy)
    if not form.is_valid():
        return _plan_page(request, strategy, status=400, add_form=form)
    data = form.cleaned_data
    try:
        services.add_planned_sample(actor=request.user, plan=plan, **data)
    except services.VerificationError as error:
        messages.error(request, str(error))
        return _plan_page(request, strategy, status=400, add_form=form)
    messages.success(
        request, f"A sample of {data['registration'].learner.get_full_name()} is added."
    )
    return redirect("verification:plan", pk=strategy.pk)


@require_POST
@login_required
def remove_sample(request: AuthedRequest, pk: int) -> HttpResponse:
    visible = SamplingStrategy.objects.visible_to(request.user)
    sample = get_object_or_404(
        PlannedSample.objects.filter(plan__strategy__in=visible).select_related(
            "plan__strategy__centre",
            "plan__strategy__qualification",
            "plan__strategy__updated_by",
            "registration__learner",
        ),
        pk=pk,
    )
    strategy = sample.plan.strategy
    if not rules.test_rule("verification.plan_sampling", request.user, strategy.centre_id):
        raise PermissionDenied
    if sample.removed_at is not None:
        # The same form sent twice: the first one removed it.
        messages.info(request, "That sample is already removed from the plan.")
        return redirect("verification:plan", pk=strategy.pk)
    # Named as the row's own box is, so the error summary links to it.
    form = RemoveSampleForm(request.POST, auto_id=f"remove-{sample.pk}-%s")
    if not form.is_valid():
        return _plan_page(request, strategy, status=400, remove_form=form, removing=sample.pk)
    try:
        services.remove_planned_sample(
            actor=request.user, sample=sample, reason=form.cleaned_data["reason"]
        )
    except services.VerificationError as error:
        messages.error(request, str(error))
        return _plan_page(request, strategy, status=400)
    messages.success(
        request,
        f"The sample of {sample.registration.learner.get_full_name()} is removed from the plan.",
    )
    return redirect("verification:plan", pk=strategy.pk)
