"""The assessor's pages: the queue, assessing one piece of evidence, and a unit's sign-off.

Thin: load through visible_to (anything the person may not see answers 404), check who may act
(403), bind a form, call one service, redirect. The services' refusals come back as messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.requests import AuthedRequest
from assessments import services
from assessments.basis import declaration_source
from assessments.feedback import rules_feedback
from assessments.forms.assess import ReturnForm, SignOffForm, UnlockForm
from assessments.forms.judging import JudgingForm, row_prefix
from assessments.judging_page import JudgingState, judging_context, overall_feedback
from assessments.mapping_tree import mapping_units
from assessments.models import Decision, HeldReturn, Outcome, UnitSignOff
from assessments.release import is_released, validation_required
from core.forms import sent_values
from portfolios.evidence_page import EvidenceSection
from portfolios.forms.evidence import MapCriteriaForm
from portfolios.models import (
    Evidence,
    EvidenceCriterion,
    EvidenceStatus,
    PriorDecision,
    Registration,
    RegistrationStatus,
    RegistrationUnit,
)
from qualifications.models import AssessmentCriterion, Unit

QUEUE_PAGE_SIZE = 25


def _can_unlock(user: User, registration: Registration) -> bool:
    return rules.test_rule("assessments.unlock_unit", user, registration)


def _unit_label(unit: Unit) -> str:
    return unit.reference or unit.key


# ---------------------------------------------------------------- the queue


@require_GET
@login_required
def queue(request: AuthedRequest) -> HttpResponse:
    """Submitted evidence waiting for the assessor at the active centre, oldest first."""
    membership = request.membership
    is_assessor = rules.test_rule("assessments.work_assessor_queue", request.user, membership)
    waiting = Evidence.objects.none()
    if membership and is_assessor:
        waiting = (
            Evidence.objects.filter(
                status=EvidenceStatus.SUBMITTED,
                registration__assessors=request.user,
                registration__centre_id=membership.centre_id,
                registration__status=RegistrationStatus.ACTIVE,
            )
            .exclude(registration__learner=request.user)
            .select_related("registration__learner", "registration__qualification")
            .annotate(
                criteria_count=Count("mappings"),
                # Returned, but held for the IV: still here, so the assessor can tell it apart.
                return_held=Exists(HeldReturn.objects.waiting().filter(evidence=OuterRef("pk"))),
            )
            .order_by("submitted_at", "pk")
        )
    page_obj = Paginator(waiting, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/queue.html",
        {"page_obj": page_obj, "is_assessor": is_assessor, "membership": membership},
    )


# ---------------------------------------------------------------- assessing evidence


@dataclass
class CriterionCase:
    """One mapped criterion on the assessing page: its decision log and the form to judge it."""

    criterion: AssessmentCriterion
    mapping: EvidenceCriterion | None = None
    history: list[Decision] = field(default_factory=list)
    current: Decision | None = None
    # Whether the person looking sees the current decision's outcome (the learner waits for an
    # internal verifier's validation where it is required).
    shown: bool = True
    locked: bool = False
    # In the one judging form: whether this row can be judged, and what it holds (the
    # assessor's own input again after a refused submit, so nothing typed is lost).
    judgeable: bool = False
    # Built once in Python: the template would otherwise localise the id and reverse the URL
    # once per use, which is most of a 25-row page's cost.
    key: str = ""
    unit_url: str = ""
    choice: str = ""
    feedback: str = ""
    reason: str = ""
    error: str = ""
    # Issue 20: on evidence transferred from an earlier centre, that centre's decisions on
    # this criterion (text records, never this centre's), shown beside the judgement here.
    prior: list[PriorDecision] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{_unit_label(self.criterion.unit)} {self.criterion.number}"


def _evidence(request: AuthedRequest, pk: int) -> Evidence:
    return get_object_or_404(
        Evidence.objects.visible_to(request.user).select_related(
            "registration__learner",
            "registration__centre",
            "registration__qualification__awarding_body",
            "created_by",
            "declaration__signed_by",
            # An assessor-made record, if this is one: joined here, so no query of its own.
            "assessor_record__assessor",
            # Handed in against an assignment brief (Pearson), if it was: joined, as above.
            "brief_hand_in__brief",
            # Transferred from an earlier centre (issue 20), if it was: joined, as above.
            "transfer",
        ),
        pk=pk,
    )


def _evidence_to_assess(request: AuthedRequest, pk: int) -> Evidence:
    """Unknown or invisible: 404. Visible but not the person's to assess: 403."""
    evidence = _evidence(request, pk)
    if not rules.test_rule("assessments.assess_registration", request.user, evidence.registration):
        raise PermissionDenied
    return evidence


class Release(NamedTuple):
    released: bool
    shown: bool


def _mark_release(decision: Decision, *, required: bool, learner: bool) -> Release:
    """Tell the templates whether the decision is released, and whether this viewer sees it."""
    released = is_released(decision, required=required)
    release = Release(released=released, shown=not learner or released)
    # Facts for the templates, set on the instance they show (not model fields).
    decision.released = release.released  # type: ignore[attr-defined]
    decision.shown = release.shown  # type: ignore[attr-defined]
    return release


def _cases(
    evidence: Evidence,
    *,
    can_assess: bool,
    bound: JudgingForm | None = None,
    row_errors: dict[int, str] | None = None,
    required: bool = False,
    learner: bool = False,
    built: Mapping[int, AssessmentCriterion] | None = None,
) -> list[CriterionCase]:
    """The mapped criteria with their whole decision log: three queries whatever the count.
    `built`: the mapped criteria (with their units) a page has already read, not read again."""
    registration = evidence.registration
    mappings = []
    if built is not None:
        mappings = list(evidence.mappings.select_related("proposed_by", "confirmed_by"))
        # A criterion the page did not build (a unit no longer taken): read those alone.
        missing = {m.criterion_id for m in mappings} - set(built)
        known = {**built, **AssessmentCriterion.objects.select_related("unit").in_bulk(missing)}
        for mapping in mappings:
            mapping.criterion = known[mapping.criterion_id]
    else:
        mappings = list(
            evidence.mappings.select_related(
                "criterion__unit", "proposed_by", "confirmed_by"
            ).order_by("criterion__unit_id", "criterion__position")
        )
    mappings.sort(key=lambda m: (m.criterion.unit_id, m.criterion.position))
    criteria = [mapping.criterion for mapping in mappings]
    cases = {m.criterion_id: CriterionCase(m.criterion, mapping=m) for m in mappings}
    decisions = list(
        Decision.objects.filter(registration=registration, criterion_id__in=cases)
        .select_related("assessor", "validation__validator")
        .order_by("decided_at", "pk")
    )
    superseded = {d.supersedes_id for d in decisions if d.supersedes_id}
    locked_units = set(
        UnitSignOff.objects.active()
        .filter(registration=registration, unit_id__in={c.unit_id for c in criteria})
        .values_list("unit_id", flat=True)
    )
    if evidence.transfer_id is not None:
        # One query, on transferred evidence only: other evidence's pages cost what they did.
        for prior in PriorDecision.objects.filter(
            transfer_id=evidence.transfer_id, criterion_id__in=cases
        ).order_by("pk"):
            cases[prior.criterion_id].prior.append(prior)
    for decision in decisions:
        is_superseded = decision.pk in superseded
        # For the template, beside the decision's own fields.
        decision.is_superseded = is_superseded  # type: ignore[attr-defined]
        release = _mark_release(decision, required=required, learner=learner)
        case = cases[decision.criterion_id]
        case.history.append(decision)
        if not is_superseded:
            case.current = decision
            case.shown = release.shown
    open_for_decisions = can_assess and registration.status == RegistrationStatus.ACTIVE
    typed = bound.data if bound is not None else {}
    row_errors = row_errors or {}
    unit_urls = {
        unit_id: reverse("assessments:unit", args=[registration.pk, unit_id])
        for unit_id in {case.criterion.unit_id for case in cases.values()}
    }
    for case in cases.values():
        case.locked = case.criterion.unit_id in locked_units
        case.judgeable = open_for_decisions and not case.locked
        case.key = str(case.criterion.pk)
        case.unit_url = unit_urls[case.criterion.unit_id]
        prefix = row_prefix(case.criterion.pk)
        case.choice = typed.get(f"{prefix}-outcome", "")
        case.feedback = typed.get(f"{prefix}-feedback", "")
        case.reason = typed.get(f"{prefix}-reason", "")
        case.error = row_errors.get(case.criterion.pk, "")
    return list(cases.values())


def learner_assessment(
    user: Any, evidence: Evidence, criteria: Mapping[int, AssessmentCriterion]
) -> EvidenceSection | None:
    """On the learner's own page of their evidence (portfolios.evidence_page): its decisions
    and overall feedback, as far as they are released. The assessing page is for staff."""
    if evidence.status == EvidenceStatus.DRAFT or not rules.test_rule(
        "assessments.view_own_assessment", user, evidence
    ):
        return None
    required = validation_required(evidence.registration)
    return EvidenceSection(
        "assessments/_learner_assessment.html",
        {
            "cases": _cases(
                evidence, can_assess=False, required=required, learner=True, built=criteria
            ),
            "judgements": overall_feedback(evidence, required=required, learner=True),
            "validation_required": required,
        },
    )


def _assess_page(
    request: AuthedRequest,
    evidence: Evidence,
    *,
    status: int = 200,
    return_form: ReturnForm | None = None,
    map_form: MapCriteriaForm | None = None,
    judging: JudgingForm | None = None,
    judging_state: JudgingState | None = None,
    fragment: bool = False,
    can_assess: bool | None = None,
) -> HttpResponse:
    if can_assess is None:
        can_assess = rules.test_rule(
            "assessments.assess_registration", request.user, evidence.registration
        )
    required = validation_required(evidence.registration)
    learner = evidence.registration.learner_id == request.user.pk
    state = judging_state or JudgingState()
    cases = _cases(
        evidence,
        can_assess=can_assess,
        bound=judging,
        row_errors=state.row_errors,
        required=required,
        learner=learner,
    )
    context = {
        "evidence": evidence,
        "registration": evidence.registration,
        "cases": cases,
        "validation_required": required,
        "is_learner": learner,
        "can_assess": can_assess,
        "judging": judging_context(evidence, cases, judging, state),
        "judgements": overall_feedback(evidence, required=required, learner=learner),
    }
    if fragment:
        # htmx: only the form comes back (and the evidence's status, out of band).
        context["fragment"] = True
        return render(request, "assessments/_judging.html", context, status=status)
    # The assessor confirms or changes the learner's mapping while the evidence waits.
    can_map = (
        can_assess
        and evidence.status == EvidenceStatus.SUBMITTED
        and evidence.registration.status == RegistrationStatus.ACTIVE
    )
    if map_form is not None and map_form.is_bound:
        ticked = {str(value) for value in sent_values(map_form, "criteria")}
        ticked_units = set(
            AssessmentCriterion.objects.filter(
                pk__in=[int(v) for v in ticked if v.isdigit()]
            ).values_list("unit_id", flat=True)
        )
    else:
        ticked = {str(case.criterion.pk) for case in cases}
        ticked_units = {case.criterion.unit_id for case in cases}
    map_units: list = []
    open_units: set[int] = set()
    if can_map:
        # Units holding a ticked criterion are drawn open, so the form sends the whole mapping
        # back; others load their criteria when opened (?map_unit= without JavaScript).
        asked = {int(v) for v in request.GET.getlist("map_unit") if v.isdigit()}
        map_units, open_units = mapping_units(
            evidence.registration, open_units=ticked_units | asked
        )
        # The closed units' addresses, built once rather than by a template tag per unit.
        prefix = reverse("assessments:mapping_unit", args=[evidence.pk, 0]).removesuffix("0/")
        for entry in map_units:
            entry.key = str(entry.unit.pk)
            entry.url = f"{prefix}{entry.key}/"
    # Returns are held only where validation is required: elsewhere the page spares the query
    # (a return held before a centre relaxed its own setting still waits in the IV's queue).
    held = _latest_held_return(evidence) if required else None
    held_waiting = held is not None and getattr(held, "validation", None) is None
    return render(
        request,
        "assessments/assess.html",
        {
            **context,
            "files": list(evidence.files.all()),
            "declaration": getattr(evidence, "declaration", None),
            "can_return": can_assess
            and evidence.status == EvidenceStatus.SUBMITTED
            and not held_waiting,
            # A return held for the IV, or the IV's referral of it (staff only: this page).
            "held_return": held,
            "held_waiting": held_waiting,
            "return_form": return_form
            or ReturnForm(rules_feedback=rules_feedback(evidence.registration.qualification)),
            "can_map": can_map,
            "map_units": map_units,
            "map_form": map_form,
            "map_ticked": ticked,
            "map_shown": ",".join(str(case.criterion.pk) for case in cases),
            "map_open_units": open_units,
        },
        status=status,
    )


def _latest_held_return(evidence: Evidence) -> HeldReturn | None:
    """The evidence's latest return held for validation, with its validation (one query)."""
    if evidence.status != EvidenceStatus.SUBMITTED:
        # Returned or assessed: nothing is held any more.
        return None
    return (
        HeldReturn.objects.filter(evidence=evidence)
        .select_related("validation__validator", "assessor")
        .order_by("-returned_at", "-pk")
        .first()
    )


@require_GET
@login_required
def assess(request: AuthedRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    # Asked first, and handed to the page: the assessor's answer costs one query, asked once.
    can_assess = rules.test_rule(
        "assessments.assess_registration", request.user, evidence.registration
    )
    if not (
        can_assess or request.user.has_perm("assessments.view_assessment", evidence.registration)
    ):
        # A staff page. The learner has their own page of the same evidence, and reads the
        # decisions, as the release rules allow, on their portfolio's unit pages.
        if request.user.has_perm("portfolios.view_evidence", evidence):
            return redirect("evidence:detail", pk=evidence.pk)
        raise PermissionDenied
    return _assess_page(request, evidence, can_assess=can_assess)


@require_POST
@login_required
def return_for_resubmission(request: AuthedRequest, pk: int) -> HttpResponse:
    evidence = _evidence_to_assess(request, pk)
    if evidence.status == EvidenceStatus.RETURNED:
        # The same form sent twice: the first one returned it.
        messages.info(request, "This evidence is already returned to the learner.")
        return redirect("assessments:assess", pk=pk)
    form = ReturnForm(
        request.POST, rules_feedback=rules_feedback(evidence.registration.qualification)
    )
    if HeldReturn.objects.waiting().filter(evidence=evidence).exists():
        # The same form sent twice, where the first one's return waits for the IV.
        messages.info(request, services.RETURN_HELD_MESSAGE)
        return redirect("assessments:assess", pk=pk)
    if not form.is_valid():
        return _assess_page(request, evidence, status=400, return_form=form)
    try:
        evidence = services.return_evidence(
            assessor=request.user, evidence=evidence, feedback=form.cleaned_data["feedback"]
        )
    except services.AssessmentError as error:
        messages.error(request, str(error))
        return _assess_page(request, evidence, status=400, return_form=form)
    if evidence.status == EvidenceStatus.RETURNED:
        messages.success(
            request, "The evidence is returned to the learner with your feedback for resubmission."
        )
    else:
        messages.success(
            request,
            "Your return waits for the internal verifier: the learner gets it, with your "
            "feedback, once they agree it.",
        )
    return redirect("assessments:assess", pk=pk)


# ---------------------------------------------------------------- a unit and its sign-off


def _registration_unit(request: AuthedRequest, pk: int, unit_pk: int) -> tuple[Registration, Unit]:
    registration = get_object_or_404(
        Registration.objects.visible_to(request.user).select_related(
            # The awarding body: whose rules and declaration the unit's sign-off cites.
            "learner",
            "centre",
            "qualification__awarding_body",
        ),
        pk=pk,
    )
    choice = get_object_or_404(
        RegistrationUnit.objects.select_related("unit"), registration=registration, unit_id=unit_pk
    )
    return registration, choice.unit


def _unit_page(
    request: AuthedRequest,
    registration: Registration,
    unit: Unit,
    *,
    status: int = 200,
    sign_off_form: SignOffForm | None = None,
    unlock_form: UnlockForm | None = None,
) -> HttpResponse:
    criteria = list(unit.criteria.select_related("outcome").order_by("position"))
    required = validation_required(registration)
    learner = registration.learner_id == request.user.pk
    current = {
        d.criterion_id: d
        for d in Decision.objects.current()
        .filter(registration=registration, criterion__unit=unit)
        .select_related("assessor", "validation__validator")
    }
    release = {d.pk: _mark_release(d, required=required, learner=learner) for d in current.values()}
    rows = [(criterion, current.get(criterion.pk)) for criterion in criteria]
    # Issue 20: the earlier centre's decisions (a transferred portfolio), beside each criterion.
    # One query for the page, the latest per criterion (a newer export's supersedes).
    by_pk = {criterion.pk: criterion for criterion in criteria}
    for prior in (
        PriorDecision.objects.filter(registration=registration, criterion__unit=unit)
        .select_related("transfer")
        .order_by("assessed_on", "pk")
    ):
        by_pk[prior.criterion_id].prior = prior  # type: ignore[attr-defined]
    # The learner counts only what is released to them.
    met = sum(
        1 for _, d in rows if d is not None and d.outcome == Outcome.MET and release[d.pk].shown
    )
    unreleased = sum(1 for _, d in rows if d is not None and not release[d.pk].released)
    sign_offs = list(
        UnitSignOff.objects.filter(registration=registration, unit=unit).select_related(
            "signed_by", "unlocked_by", "countersigned_by"
        )
    )
    active = next((s for s in sign_offs if s.unlocked_at is None), None)
    can_assess = rules.test_rule("assessments.assess_registration", request.user, registration)
    can_sign = (
        can_assess
        and active is None
        and bool(criteria)
        and met == len(criteria)
        and not unreleased
        and registration.status == RegistrationStatus.ACTIVE
    )
    can_unlock = active is not None and _can_unlock(request.user, registration)
    return render(
        request,
        "assessments/unit.html",
        {
            "registration": registration,
            "unit": unit,
            "unit_label": _unit_label(unit),
            "rows": rows,
            "met": met,
            "total": len(criteria),
            "validation_required": required,
            "is_learner": learner,
            "unreleased": unreleased,
            "active": active,
            "earlier_sign_offs": [s for s in sign_offs if s.unlocked_at is not None],
            "can_assess": can_assess,
            "can_sign": can_sign,
            "sign_off_form": sign_off_form or SignOffForm(qualification=registration.qualification),
            "can_unlock": can_unlock,
            "unlock_form": unlock_form
            or UnlockForm(initial={"sign_off": active.pk if active else None}),
            "completion": services.completion(registration),
            # Whose words the signed declaration is in.
            "authenticity_source": declaration_source(
                active.declaration if active else "", registration.qualification
            ),
        },
        status=status,
    )


@require_GET
@login_required
def unit_page(request: AuthedRequest, pk: int, unit_pk: int) -> HttpResponse:
    registration, unit = _registration_unit(request, pk, unit_pk)
    return _unit_page(request, registration, unit)


@require_POST
@login_required
def sign_off(request: AuthedRequest, pk: int, unit_pk: int) -> HttpResponse:
    registration, unit = _registration_unit(request, pk, unit_pk)
    if not rules.test_rule("assessments.assess_registration", request.user, registration):
        raise PermissionDenied
    if UnitSignOff.objects.active().filter(registration=registration, unit=unit).exists():
        # The same form sent twice: the first one signed it.
        messages.info(request, "This unit is already signed off.")
        return redirect("assessments:unit", pk=pk, unit_pk=unit_pk)
    form = SignOffForm(request.POST, qualification=registration.qualification)
    if not form.is_valid():
        return _unit_page(request, registration, unit, status=400, sign_off_form=form)
    try:
        services.sign_off_unit(
            assessor=request.user,
            registration=registration,
            unit=unit,
            password=form.cleaned_data["password"],
            declared_authentic=form.cleaned_data["declared_authentic"],
            countersign_password=form.cleaned_data["countersign_password"],
        )
    except services.AssessmentError as error:
        messages.error(request, str(error))
        return _unit_page(request, registration, unit, status=400)
    messages.success(request, f"Unit {_unit_label(unit)} is signed off; its decisions are locked.")
    return redirect("assessments:unit", pk=pk, unit_pk=unit_pk)


@require_POST
@login_required
def unlock(request: AuthedRequest, pk: int, unit_pk: int) -> HttpResponse:
    registration, unit = _registration_unit(request, pk, unit_pk)
    if not _can_unlock(request.user, registration):
        raise PermissionDenied
    form = UnlockForm(request.POST)
    if not form.is_valid():
        return _unit_page(request, registration, unit, status=400, unlock_form=form)
    signed = get_object_or_404(
        UnitSignOff, pk=form.cleaned_data["sign_off"], registration=registration, unit=unit
    )
    if signed.unlocked_at is not None:
        # The same form sent twice: the first one unlocked it.
        messages.info(request, "This unit is already unlocked.")
        return redirect("assessments:unit", pk=pk, unit_pk=unit_pk)
    try:
        services.unlock_unit(
            actor=request.user, sign_off=signed, reason=form.cleaned_data["reason"]
        )
    except services.AssessmentError as error:
        messages.error(request, str(error))
        return _unit_page(request, registration, unit, status=400, unlock_form=form)
    messages.success(request, f"Unit {_unit_label(unit)} is unlocked: its decisions can change.")
    return redirect("assessments:unit", pk=pk, unit_pk=unit_pk)
