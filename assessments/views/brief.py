"""Assignment brief pages (Pearson BTEC, section 8): the centre's briefs, one brief with its
learners' dates and hand-ins, and its actions (issue, withdraw, authorise an extension, hand in).

Thin: load through visible_to (invisible answers 404), ask the rule (refused: 403 with the rule
and its source), bind a form, call one function of assessments.briefs, message and redirect. The
staff read every brief at their centre, an EQA within the grant, read-only; a learner reads the
issued briefs of their qualification and hands in against them.
"""

from __future__ import annotations

from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.context import working_membership
from accounts.requests import AuthedRequest
from assessments import briefs
from assessments.forms.brief import BriefForm, ExtensionForm, HandInForm, WithdrawForm
from assessments.models import (
    AssignmentBrief,
    BriefExtension,
    BriefHandIn,
    BriefStatus,
    Decision,
    Outcome,
)
from portfolios.models import Evidence, EvidenceStatus, Registration, RegistrationStatus
from qualifications.models import LearningOutcome

PAGE_SIZE = 25


# ---------------------------------------------------------------- the centre's briefs


def _list_page(
    request: AuthedRequest,
    centre: Any,
    *,
    may_write: bool,
    form: BriefForm | None = None,
    status: int = 200,
) -> HttpResponse:
    listed = (
        AssignmentBrief.objects.visible_to(request.user)
        .filter(centre=centre)
        .select_related("qualification", "unit")
        # The learner's own dates: their extensions and hand-ins only (two queries a page).
        .prefetch_related(
            Prefetch(
                "extensions",
                queryset=BriefExtension.objects.filter(registration__learner_id=request.user.pk),
                to_attr="own_extensions",
            ),
            Prefetch(
                "hand_ins",
                queryset=BriefHandIn.objects.filter(registration__learner_id=request.user.pk),
                to_attr="own_hand_ins",
            ),
        )
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    for brief in page:
        own = brief.own_extensions  # type: ignore[attr-defined]
        brief.own_due = own[-1].hand_in_date if own else None  # type: ignore[attr-defined]
    return render(
        request,
        "assessments/brief_list.html",
        {
            "centre": centre,
            "page": page,
            "may_write": may_write,
            "form": (form or BriefForm(centre=centre)) if may_write else None,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def brief_list(request: AuthedRequest) -> HttpResponse:
    membership = working_membership(
        request, "assessments.work_briefs", "The assignment briefs are the centre's people's."
    )
    centre = membership.centre
    may_write = rules.test_rule("assessments.write_brief", request.user, centre)
    if request.method == "GET":
        return _list_page(request, centre, may_write=may_write)
    if not may_write:
        messages.error(request, briefs.WHO_WRITES)
        return _list_page(request, centre, may_write=False, status=403)
    form = BriefForm(request.POST, centre=centre)
    if not form.is_valid():
        return _list_page(request, centre, may_write=True, form=form, status=400)
    data = form.cleaned_data
    try:
        brief = briefs.write_brief(
            author=request.user,
            centre=centre,
            qualification=data["qualification"],
            unit=data["unit"],
            outcomes=data["outcomes"],
            title=data["title"],
            scenario=data["scenario"],
            audience=data["audience"],
            tasks=data["tasks"],
            start_date=data["start_date"],
            hand_in_date=data["hand_in_date"],
        )
    except briefs.BriefError as error:
        form.add_error(None, str(error))
        return _list_page(request, centre, may_write=True, form=form, status=400)
    messages.success(request, f"Draft brief “{brief.title}” written. Issue it when it is ready.")
    return redirect("assessments:brief", pk=brief.pk)


# ---------------------------------------------------------------- one brief


def _brief(request: AuthedRequest, pk: int) -> AssignmentBrief:
    return get_object_or_404(
        AssignmentBrief.objects.visible_to(request.user).select_related(
            "centre", "qualification", "unit", "written_by", "issued_by"
        ),
        pk=pk,
    )


def _learners(request: AuthedRequest, brief: AssignmentBrief) -> QuerySet[Registration]:
    """The learners on the brief's qualification at its centre that this person sees: the
    learner themself, an assessor's caseload, the IV's, the admin's and EQA's all."""
    return (
        Registration.objects.visible_to(request.user)
        .filter(centre_id=brief.centre_id, qualification_id=brief.qualification_id)
        .select_related("learner")
        .order_by("learner__full_name", "pk")
    )


def _detail_page(
    request: AuthedRequest,
    brief: AssignmentBrief,
    *,
    extension_form: ExtensionForm | None = None,
    hand_in_form: HandInForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    outcomes = list(
        LearningOutcome.objects.filter(pk__in=brief.outcomes.values("pk"))
        .prefetch_related("criteria")
        .order_by("position")
    )
    criteria = [c.pk for outcome in outcomes for c in outcome.criteria.all()]
    page = Paginator(_learners(request, brief), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page)
    ids = [registration.pk for registration in rows]
    extensions: dict[int, list[BriefExtension]] = {}
    granted = BriefExtension.objects.filter(brief=brief, registration_id__in=ids)
    for extension in granted.select_related("authorised_by"):
        extensions.setdefault(extension.registration_id, []).append(extension)
    hand_ins: dict[int, list[BriefHandIn]] = {}
    handed = BriefHandIn.objects.filter(brief=brief, registration_id__in=ids)
    for hand_in in handed.select_related("evidence"):
        hand_ins.setdefault(hand_in.registration_id, []).append(hand_in)
    met = dict(
        Decision.objects.current()
        .filter(registration_id__in=ids, criterion_id__in=criteria, outcome=Outcome.MET)
        .values("registration_id")
        .annotate(n=Count("pk"))
        .values_list("registration_id", "n")
    )
    for registration in rows:
        # Annotations for the template (attr-defined: attributes set on the instances here).
        given = extensions.get(registration.pk, [])
        registration.brief_extensions = given  # type: ignore[attr-defined]
        registration.brief_due = given[-1].hand_in_date if given else brief.hand_in_date  # type: ignore[attr-defined]
        registration.brief_hand_ins = hand_ins.get(registration.pk, [])  # type: ignore[attr-defined]
        registration.brief_passed = (  # type: ignore[attr-defined]
            bool(criteria) and met.get(registration.pk) == len(criteria)
        )
    issued = brief.status == BriefStatus.ISSUED
    may_issue = rules.test_rule("assessments.issue_brief", user, brief)
    # An extension: for the learners this person assesses (the service asks the rule again).
    extendable = (
        _learners(request, brief).filter(assessors=user, status=RegistrationStatus.ACTIVE)
        if issued and may_issue
        else Registration.objects.none()
    )
    extension_form = extension_form or (
        ExtensionForm(learners=extendable) if issued and may_issue else None
    )
    # Handing in: the learner's own submitted evidence on this qualification, not yet handed in.
    own = [registration for registration in rows if registration.learner_id == user.pk]
    if hand_in_form is None and issued and own:
        hand_in_form = HandInForm(evidence=_own_evidence(request, brief))
    return render(
        request,
        "assessments/brief_detail.html",
        {
            "brief": brief,
            "outcomes": outcomes,
            "page": page,
            "rows": rows,
            "today": timezone.localdate(),
            "may_issue": may_issue and brief.status == BriefStatus.DRAFT,
            "may_withdraw": may_issue and brief.status != BriefStatus.WITHDRAWN,
            "withdraw_form": withdraw_form or WithdrawForm(),
            "extension_form": extension_form,
            "hand_in_form": hand_in_form if own or hand_in_form is not None else None,
            "issue_rule": briefs.ISSUE_RULE,
            "late_rule": briefs.LATE_RULE,
            "resubmission_rule": briefs.RESUBMISSION_RULE,
        },
        status=status,
    )


def _own_evidence(request: AuthedRequest, brief: AssignmentBrief) -> QuerySet[Evidence]:
    return Evidence.objects.filter(
        registration__learner_id=request.user.pk,
        registration__centre_id=brief.centre_id,
        registration__qualification_id=brief.qualification_id,
        status=EvidenceStatus.SUBMITTED,
        brief_hand_in__isnull=True,
    ).order_by("-submitted_at", "-pk")


@require_GET
@login_required
def brief_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _brief(request, pk))


@require_POST
@login_required
def brief_issue(request: AuthedRequest, pk: int) -> HttpResponse:
    brief = _brief(request, pk)
    if not rules.test_rule("assessments.issue_brief", request.user, brief):
        messages.error(request, briefs.WHO_WRITES)
        return _detail_page(request, brief, status=403)
    try:
        briefs.issue_brief(actor=request.user, brief=brief)
    except briefs.BriefError as error:
        messages.error(request, str(error))
        return _detail_page(request, brief, status=400)
    messages.success(request, "The brief is issued to the learners on its qualification.")
    return redirect("assessments:brief", pk=brief.pk)


@require_POST
@login_required
def brief_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    brief = _brief(request, pk)
    if not rules.test_rule("assessments.issue_brief", request.user, brief):
        messages.error(request, briefs.WHO_WRITES)
        return _detail_page(request, brief, status=403)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, brief, withdraw_form=form, status=400)
    try:
        briefs.withdraw_brief(actor=request.user, brief=brief, reason=form.cleaned_data["reason"])
    except briefs.BriefError as error:
        form.add_error(None, str(error))
        return _detail_page(request, brief, withdraw_form=form, status=400)
    messages.success(request, "The brief is withdrawn; what was handed in against it stays.")
    return redirect("assessments:brief", pk=brief.pk)


@require_POST
@login_required
def brief_extend(request: AuthedRequest, pk: int) -> HttpResponse:
    brief = _brief(request, pk)
    # Any learner on the brief (its centre and qualification only): the rule then says whether
    # this person authorises theirs (403 naming the rule), as the service asks it again.
    learners = Registration.objects.filter(
        centre_id=brief.centre_id, qualification_id=brief.qualification_id
    ).select_related("learner")
    form = ExtensionForm(request.POST, learners=learners)
    if not form.is_valid():
        return _detail_page(request, brief, extension_form=form, status=400)
    registration = form.cleaned_data["registration"]
    if not rules.test_rule("assessments.authorise_extension", request.user, registration):
        messages.error(request, briefs.WHO_EXTENDS)
        return _detail_page(request, brief, status=403)
    try:
        briefs.authorise_extension(
            actor=request.user,
            brief=brief,
            registration=registration,
            hand_in_date=form.cleaned_data["hand_in_date"],
            reason=form.cleaned_data["reason"],
        )
    except briefs.BriefError as error:
        form.add_error(None, str(error))
        return _detail_page(request, brief, extension_form=form, status=400)
    messages.success(
        request,
        f"Extension authorised: {registration.learner.full_name} hands in by "
        f"{form.cleaned_data['hand_in_date']:%-d %B %Y}.",
    )
    return redirect("assessments:brief", pk=brief.pk)


@require_POST
@login_required
def brief_hand_in(request: AuthedRequest, pk: int) -> HttpResponse:
    brief = _brief(request, pk)
    form = HandInForm(request.POST, evidence=_own_evidence(request, brief))
    if not form.is_valid():
        if not _learners(request, brief).filter(learner_id=request.user.pk).exists():
            # Not a learner on it: the rule, not the form, is what refuses.
            messages.error(request, briefs.WHO_HANDS_IN)
            return _detail_page(request, brief, status=403)
        return _detail_page(request, brief, hand_in_form=form, status=400)
    try:
        handed = briefs.hand_in(
            learner=request.user, brief=brief, evidence=form.cleaned_data["evidence"]
        )
    except briefs.BriefError as error:
        form.add_error(None, str(error))
        return _detail_page(request, brief, hand_in_form=form, status=400)
    note = " It is after your hand-in date, so it is marked late." if handed.late else ""
    messages.success(request, f"{handed.get_kind_display()} handed in.{note}")
    return redirect("assessments:brief", pk=brief.pk)
