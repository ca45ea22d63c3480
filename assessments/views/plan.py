"""Assessment plan pages: a registration's plans, one plan with its activities, and the changes.

Thin, like assessments/views/assess.py: load through visible_to (invisible answers 404), check who
may act (403), bind a form, call one service in assessments/plans.py, message and redirect.
Who may do what: the registration's assessors draft, sign, revise and mark done; the learner
countersigns; IV, centre admins and EQA of the centre read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.context import working_membership
from accounts.requests import AuthedRequest
from assessments import plans
from assessments.caseload_plans import caseload_registrations, plan_rows
from assessments.forms.plan import ActivityForm, PlanForm, PlanStateFilterForm, ReviseForm
from assessments.models import AssessmentPlan, PlanActivity
from assessments.services import AssessmentError
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import AssessmentCriterion


def _registration(request: AuthedRequest, pk: int) -> Registration:
    return get_object_or_404(
        Registration.objects.visible_to(request.user).select_related(
            "learner", "centre", "qualification"
        ),
        pk=pk,
    )


def _plan(request: AuthedRequest, pk: int) -> AssessmentPlan:
    return get_object_or_404(
        AssessmentPlan.objects.visible_to(request.user).select_related(
            "registration__learner",
            "registration__centre",
            "registration__qualification",
            "assessor_signed_by",
            "created_by",
            "supersedes",
        ),
        pk=pk,
    )


def _plan_to_change(request: AuthedRequest, pk: int) -> AssessmentPlan:
    """Unknown or invisible: 404. Visible but not the person's to change: 403."""
    plan = _plan(request, pk)
    if not rules.test_rule("assessments.assess_registration", request.user, plan.registration):
        raise PermissionDenied
    return plan


def _activity(plan: AssessmentPlan, activity_pk: int) -> PlanActivity:
    return get_object_or_404(PlanActivity, pk=activity_pk, plan=plan)


# ---------------------------------------------------------------- the plans of a caseload

PLANS_PAGE_SIZE = 25


@require_GET
@login_required
def caseload_plans(request: AuthedRequest) -> HttpResponse:
    """The plan activities (overdue, then upcoming) and plans waiting for a signature of the
    learners the role worn covers at its centre (assessments/caseload_plans.py)."""
    membership = working_membership(
        request,
        "assessments.work_caseload_plans",
        "The Plans page is for assessors and internal verifiers.",
    )
    form = PlanStateFilterForm(request.GET or None)
    # A state not on the list: the form says so, and the page shows everything meanwhile.
    state = form.cleaned_data["state"] if form.is_valid() else ""
    rows = plan_rows(caseload_registrations(request.user, membership), timezone.localdate(), state)
    paginator = Paginator(rows, PLANS_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/caseload_plans.html",
        {
            "page_obj": page_obj,
            "form": form,
            "state": state,
            "membership": membership,
            "today": timezone.localdate(),
        },
    )


# ---------------------------------------------------------------- a registration's plans


@require_GET
@login_required
def plan_list(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    history = list(
        AssessmentPlan.objects.filter(registration=registration)
        .select_related("assessor_signed_by")
        .order_by("-created_at", "-pk")
    )
    in_force = AssessmentPlan.objects.in_force().filter(registration=registration).first()
    can_change = rules.test_rule("assessments.assess_registration", request.user, registration)
    return render(
        request,
        "assessments/plan_list.html",
        {
            "registration": registration,
            "plans": history,
            "in_force": in_force,
            "can_create": can_change
            and not history
            and registration.status == RegistrationStatus.ACTIVE,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def plan_create(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    if not rules.test_rule("assessments.assess_registration", request.user, registration):
        raise PermissionDenied
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = plans.plan_create(
                assessor=request.user,
                registration=registration,
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
            )
        except AssessmentError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "The plan is started as a draft. Add its activities.")
            return redirect("assessments:plan", pk=plan.pk)
    return render(
        request,
        "assessments/plan_create.html",
        {"registration": registration, "form": form},
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------- one plan


def _plan_page(
    request: AuthedRequest,
    plan: AssessmentPlan,
    *,
    status: int = 200,
    activity_form: ActivityForm | None = None,
    revise_form: ReviseForm | None = None,
) -> HttpResponse:
    registration = plan.registration
    user = request.user
    activities = list(
        plan.activities.select_related("completed_by").prefetch_related(
            Prefetch(
                "criteria",
                queryset=AssessmentCriterion.objects.select_related("unit").order_by(
                    "unit__key", "position"
                ),
            )
        )
    )
    in_force = AssessmentPlan.objects.in_force().filter(pk=plan.pk).exists()
    newer = AssessmentPlan.objects.filter(supersedes=plan).first()
    today = timezone.localdate()
    for activity in activities:
        # For the template (not a model field).
        activity.overdue = in_force and activity.is_overdue(today)  # type: ignore[attr-defined]
    active = registration.status == RegistrationStatus.ACTIVE
    can_change = active and rules.test_rule("assessments.assess_registration", user, registration)
    context: dict[str, Any] = {
        "plan": plan,
        "registration": registration,
        "activities": activities,
        "in_force": in_force,
        "newer": newer,
        "can_edit": can_change and plan.is_draft,
        "can_assessor_sign": can_change and plan.is_draft and bool(activities),
        "can_learner_sign": active
        and registration.learner_id == user.pk
        and not plan.is_draft
        and plan.learner_signed_at is None
        and newer is None,
        "can_mark_done": can_change and in_force,
        "can_revise": can_change and not plan.is_draft and newer is None,
    }
    if context["can_edit"]:
        context["activity_form"] = activity_form or ActivityForm(registration=registration)
    if context["can_revise"]:
        context["revise_form"] = revise_form or ReviseForm()
    return render(request, "assessments/plan_detail.html", context, status=status)


@require_GET
@login_required
def plan_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _plan_page(request, _plan(request, pk))


def _act(
    request: AuthedRequest, plan: AssessmentPlan, action: Callable[[], object], done: str
) -> HttpResponse:
    """Run one plan service: a refusal re-renders the plan with its message, success redirects."""
    try:
        action()
    except AssessmentError as error:
        messages.error(request, str(error))
        return _plan_page(request, plan, status=400)
    messages.success(request, done)
    return redirect("assessments:plan", pk=plan.pk)


@require_POST
@login_required
def activity_add(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = _plan_to_change(request, pk)
    form = ActivityForm(request.POST, registration=plan.registration)
    if not form.is_valid():
        return _plan_page(request, plan, status=400, activity_form=form)
    try:
        plans.activity_add(assessor=request.user, plan=plan, **form.cleaned_data)
    except AssessmentError as error:
        messages.error(request, str(error))
        return _plan_page(request, plan, status=400, activity_form=form)
    messages.success(request, "Activity added to the plan.")
    return redirect("assessments:plan", pk=plan.pk)


@require_POST
@login_required
def activity_remove(request: AuthedRequest, pk: int, activity_pk: int) -> HttpResponse:
    plan = _plan_to_change(request, pk)
    return _act(
        request,
        plan,
        lambda: plans.activity_remove(assessor=request.user, activity=_activity(plan, activity_pk)),
        "Activity removed from the draft.",
    )


@require_POST
@login_required
def assessor_sign(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = _plan_to_change(request, pk)
    if not plan.is_draft:
        # The same form sent twice: the first one signed it.
        messages.info(request, "You have already signed this plan.")
        return redirect("assessments:plan", pk=plan.pk)
    return _act(
        request,
        plan,
        lambda: plans.assessor_sign(assessor=request.user, plan=plan),
        "You signed the plan. It now waits for the learner's signature.",
    )


@require_POST
@login_required
def learner_sign(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    if plan.registration.learner_id != request.user.pk:
        raise PermissionDenied
    if plan.learner_signed_at is not None:
        messages.info(request, "You have already signed this plan.")
        return redirect("assessments:plan", pk=plan.pk)
    return _act(
        request,
        plan,
        lambda: plans.learner_sign(learner=request.user, plan=plan),
        "You signed the plan: it is agreed.",
    )


@require_POST
@login_required
def activity_done(request: AuthedRequest, pk: int, activity_pk: int) -> HttpResponse:
    plan = _plan_to_change(request, pk)
    activity = _activity(plan, activity_pk)
    if activity.completed_at is not None:
        messages.info(request, "This activity is already marked done.")
        return redirect("assessments:plan", pk=plan.pk)
    return _act(
        request,
        plan,
        lambda: plans.activity_done(assessor=request.user, activity=activity),
        "Activity marked done.",
    )


@require_POST
@login_required
def plan_revise(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = _plan_to_change(request, pk)
    form = ReviseForm(request.POST)
    if not form.is_valid():
        return _plan_page(request, plan, status=400, revise_form=form)
    try:
        revision = plans.plan_revise(
            assessor=request.user, plan=plan, reason=form.cleaned_data["reason"]
        )
    except AssessmentError as error:
        messages.error(request, str(error))
        return _plan_page(request, plan, status=400, revise_form=form)
    messages.success(
        request,
        "A revision is started as a draft. The agreed plan stays in force until both sign it.",
    )
    return redirect("assessments:plan", pk=revision.pk)
