"""The cases pages: reasonable adjustments, special consideration, appeals and malpractice.

Everyone who works at the centre opens them in the role worn now and sees what that role sees
(certification.case_queries.cases_for): a learner their own, an assessor their caseload's, the
internal verifiers and admins the centre's, an EQA their grant's, read-only. Each change is one
service call in certification.cases, which refuses with the rule and its source; the page shows
that refusal beside the form, which keeps what was typed.
"""

from __future__ import annotations

from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.context import working_membership
from accounts.models import Membership, User
from accounts.requests import AuthedRequest
from assessments.models import Decision
from certification import cases as services
from certification.case_queries import cases_for, verifiers_of
from certification.forms import (
    CaseDecisionForm,
    CaseDocumentForm,
    CaseForm,
    CaseNoteForm,
    CasePolicyForm,
    CaseReferForm,
)
from certification.models import (
    OUTCOMES,
    Case,
    CaseDocument,
    CaseError,
    CaseKind,
    CaseStatus,
)
from core.links import url_for_ids
from portfolios.forms.registration import picker_registrations
from portfolios.models import Registration
from qualifications.models import Unit

PAGE_SIZE = 25
WORK = "certification.work_cases"
REFUSAL = "Cases are read and raised by the people who work at the centre."


def _membership(request: AuthedRequest) -> Membership:
    membership = working_membership(request, WORK, REFUSAL)
    if request.method == "POST" and rules.test_rule(
        "accounts.work_as_eqa", request.user, membership
    ):
        raise PermissionDenied("External quality assurers read cases but never change them.")
    return membership


@require_GET
@login_required
def case_list(request: AuthedRequest) -> HttpResponse:
    membership = _membership(request)
    return _list_page(request, membership)


def _list_page(
    request: AuthedRequest,
    membership: Membership,
    policy_form: CasePolicyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = cases_for(request.user, membership).select_related(
        "registration__learner", "registration__qualification", "unit"
    )
    kind = request.GET.get("kind", "")
    if kind in CaseKind.values:
        rows = rows.filter(kind=kind)
    if request.GET.get("open") == "1":
        rows = rows.live()
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    may_set_policy = rules.test_rule("certification.act_on_claims", request.user, membership)
    policy = services.policy_for(membership.centre_id)
    if may_set_policy and policy_form is None:
        policy_form = CasePolicyForm(
            initial={
                "lead_iv": policy.lead_iv_id,
                "lead_iv_days": policy.lead_iv_days,
                "centre_days": policy.centre_days,
                "escalation_days": policy.escalation_days,
            },
            verifiers=_verifiers(membership),
        )
    case_url = url_for_ids("cases:case")
    return render(
        request,
        "certification/cases.html",
        {
            "centre": membership.centre,
            "rows": [(case, case_url(case.pk)) for case in page_obj],
            "page_obj": page_obj,
            "kinds": CaseKind.choices,
            "kind": kind,
            "only_open": request.GET.get("open") == "1",
            "policy": policy,
            "policy_form": policy_form if may_set_policy else None,
            "may_raise": rules.test_rule(
                "certification.raise_cases_here", request.user, membership
            ),
        },
        status=status,
    )


def _verifiers(membership: Membership) -> Any:
    return verifiers_of(membership.centre_id)


@require_POST
@login_required
def case_policy(request: AuthedRequest) -> HttpResponse:
    membership = _membership(request)
    if not rules.test_rule("certification.act_on_claims", request.user, membership):
        raise PermissionDenied("The centre's case policy is set by its admins.")
    form = CasePolicyForm(request.POST, verifiers=_verifiers(membership))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.set_policy(
                actor=request.user,
                centre_id=membership.centre_id,
                lead_iv=data["lead_iv"],
                lead_iv_days=data["lead_iv_days"],
                centre_days=data["centre_days"],
                escalation_days=data["escalation_days"],
            )
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The centre's case policy is saved.")
            return redirect("cases:cases")
    return _list_page(request, membership, form, status=400)


def _registrations(request: AuthedRequest, membership: Membership) -> tuple[Any, Any]:
    """What the raise form offers: the centre's registrations through the picker for those who
    search the centre, else the registrations the role sees (a learner's own, a caseload)."""
    if rules.test_rule("portfolios.work_registration_search", request.user, membership):
        return picker_registrations(membership.centre), membership.centre
    seen = (
        Registration.objects.visible_to(request.user, roles=[membership.role])
        .filter(centre_id=membership.centre_id)
        .select_related("learner", "qualification")
        .order_by("learner__full_name", "pk")
    )
    return seen, None


@require_http_methods(["GET", "POST"])
@login_required
def case_new(request: AuthedRequest) -> HttpResponse:
    membership = _membership(request)
    if not rules.test_rule("certification.raise_cases_here", request.user, membership):
        raise PermissionDenied("External quality assurers read cases but never raise them.")
    registrations, centre = _registrations(request, membership)
    initial = {"kind": request.GET.get("kind", ""), "registration": request.GET.get("registration")}
    form = CaseForm(
        request.POST or None,
        request.FILES or None,
        registrations=registrations,
        centre=centre,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                unit = _unit(data["unit"])
                case = services.raise_case(
                    actor=request.user,
                    registration=data["registration"],
                    kind=data["kind"],
                    details=data["details"],
                    unit=unit,
                )
            except CaseError as error:
                form.add_error(None, str(error))
            else:
                if data["document"] is not None:
                    try:
                        services.add_document(
                            actor=request.user, case=case, upload=data["document"]
                        )
                    except CaseError as error:
                        messages.error(request, f"The case is raised, but: {error}")
                messages.success(request, f"{case.title} is raised.")
                return redirect("cases:case", case.pk)
        status = 400
    return render(
        request,
        "certification/case_new.html",
        {"form": form, "centre": membership.centre},
        status=status,
    )


def _unit(reference: str) -> Unit | None:
    reference = reference.strip()
    if not reference:
        return None
    unit = Unit.objects.filter(Q(reference=reference) | Q(key=reference)).first()
    if unit is None:
        raise CaseError(f"No unit has the reference {reference}.")
    return unit


def _case(request: AuthedRequest, membership: Membership, pk: int) -> Case:
    return get_object_or_404(
        cases_for(request.user, membership).select_related(
            "registration__learner",
            "registration__qualification",
            "registration__centre",
            "unit",
            "raised_by",
            "decided_by",
        ),
        pk=pk,
    )


@require_GET
@login_required
def case_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    case = _case(request, membership, pk)
    return _detail_page(request, membership, case)


def _detail_page(
    request: AuthedRequest,
    membership: Membership,
    case: Case,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    reads_only = rules.test_rule("accounts.work_as_eqa", user, membership)
    outcomes = OUTCOMES[case.kind]
    offered: dict[str, Any] = {}
    if not reads_only:
        if services.may_decide(user, case):
            offered["decide"] = CaseDecisionForm(outcomes=outcomes, prefix="decide")
        if services.may_escalate(user, case):
            offered["escalate"] = CaseNoteForm(prefix="escalate")
        if services.may_refer(user, case):
            offered["refer"] = CaseReferForm(prefix="refer")
        if case.status == CaseStatus.WITH_AWARDING_BODY and rules.test_rule(
            "certification.act_for_centre", user, case
        ):
            offered["outcome"] = CaseDecisionForm(outcomes=outcomes, prefix="outcome")
        if case.is_live and rules.test_rule("certification.pursue_case", user, case):
            offered["withdraw"] = CaseNoteForm(prefix="withdraw")
        if rules.test_rule("certification.add_case_document", user, case):
            offered["document"] = CaseDocumentForm(prefix="document")
    offered.update(forms or {})
    policy = services.policy_for(case.registration.centre_id)
    # The decisions the case concerns, for those who consider it (Pearson l.486: "a
    # consideration of the evidence"): the unit's current decisions. Not the learner's view:
    # a decision may still wait for the IV's validation before they see it.
    decisions: list[Decision] = []
    if case.unit_id is not None and (
        rules.test_rule("certification.decide_first_stage", user, case)
        or rules.test_rule("certification.act_for_centre", user, case)
    ):
        decisions = list(
            Decision.objects.current()
            .filter(registration_id=case.registration_id, criterion__unit_id=case.unit_id)
            .select_related("criterion", "assessor")
            .order_by("criterion__position", "pk")
        )
    return render(
        request,
        "certification/case.html",
        {
            "case": case,
            "steps": case.steps.select_related("by"),
            "documents": case.documents.select_related("uploaded_by"),
            "holds": case.holds.all(),
            "policy": policy,
            "decisions": decisions,
            "forms": offered,
            "reads_only": reads_only,
        },
        status=status,
    )


ACTIONS = ("decide", "escalate", "refer", "outcome", "withdraw", "document")


@require_POST
@login_required
def case_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    membership = _membership(request)
    case = _case(request, membership, pk)
    outcomes = OUTCOMES[case.kind]
    form: Any
    if action in ("decide", "outcome"):
        form = CaseDecisionForm(request.POST, outcomes=outcomes, prefix=action)
    elif action == "refer":
        form = CaseReferForm(request.POST, prefix=action)
    elif action == "document":
        form = CaseDocumentForm(request.POST, request.FILES, prefix=action)
    else:
        form = CaseNoteForm(request.POST, prefix=action)
    if form.is_valid():
        data = form.cleaned_data
        try:
            done = _act(request.user, case, action, data)
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, done)
            return redirect(reverse("cases:case", args=[case.pk]))
    return _detail_page(request, membership, case, forms={action: form}, status=400)


def _act(user: User, case: Case, action: str, data: dict[str, Any]) -> str:
    if action == "decide":
        services.decide(actor=user, case=case, outcome=data["outcome"], note=data["note"])
        return "The decision is recorded."
    if action == "escalate":
        services.escalate(actor=user, case=case, note=data["note"])
        return "The appeal goes to the head of centre."
    if action == "refer":
        services.refer(actor=user, case=case, reference=data["reference"], note=data["note"])
        return "The case is with the awarding body."
    if action == "outcome":
        services.record_awarding_body_outcome(
            actor=user, case=case, outcome=data["outcome"], note=data["note"]
        )
        return "The awarding body's outcome is recorded."
    if action == "withdraw":
        services.withdraw(actor=user, case=case, note=data["note"])
        return "The case is withdrawn."
    services.add_document(actor=user, case=case, upload=data["document"])
    return "The document is added."


@require_GET
@login_required
def case_document(request: AuthedRequest, pk: int, document_pk: int) -> FileResponse:
    membership = _membership(request)
    case = _case(request, membership, pk)
    document = get_object_or_404(CaseDocument, pk=document_pk, case=case)
    response = FileResponse(document.file.open("rb"), content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@login_required
def registration_cases(request: AuthedRequest, pk: int) -> HttpResponse:
    """A registration's cases, for its portfolio and the assessor's page (htmx gets the panel
    alone): the adjustments to assess with, the appeals and other cases the person may read,
    and, for the learner and their staff, where to raise one."""
    registration = get_object_or_404(
        Registration.objects.visible_to(request.user).select_related("learner", "qualification"),
        pk=pk,
    )
    rows = list(
        Case.objects.visible_to(request.user)
        .filter(registration=registration)
        .select_related("unit")
        .order_by("-raised_at", "-pk")
    )
    case_url = url_for_ids("cases:case")
    context = {
        "registration": registration,
        "adjustments": [
            (case, case_url(case.pk))
            for case in rows
            if case.kind == CaseKind.REASONABLE_ADJUSTMENT and case.outcome == "approved"
        ],
        "rows": [(case, case_url(case.pk)) for case in rows],
        "may_raise": rules.test_rule("certification.raise_case", request.user, registration),
        "new_url": reverse("cases:case_new"),
    }
    if request.htmx:
        return render(request, "certification/_registration_cases.html", context)
    return render(request, "certification/registration_cases.html", context)
