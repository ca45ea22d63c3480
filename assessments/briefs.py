"""Assignment briefs: writing, issuing and withdrawing them, authorising a learner's extension, and
the learner handing in evidence against one (first attempt or resubmission).

Every rule is the Pearson BTEC specification's (Pearson BTEC Level 3 Certificate and Diploma for
Customer Service Specialists, section 8 "Assessment"); each refusal names its section. Where the
specification is silent it is not filled in: it gives no limit on resubmissions, no time window,
no authoriser for them and no role that authorises an extension ("in line with centre
policies"), so none is invented here (see the notes on seed 003, sections 4.6 and 4.8).

One function per change, in one transaction with its audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import rules
from django.db import transaction
from django.utils import timezone

from accounts.models import Centre, User
from assessments.models import (
    BRIEF_LIFECYCLE,
    AssignmentBrief,
    BriefExtension,
    BriefHandIn,
    BriefStatus,
    Decision,
    HandInKind,
    Outcome,
)
from core.audit import record_event
from portfolios.models import Evidence, EvidenceStatus, Registration
from qualifications.models import AssessmentCriterion, LearningOutcome, Qualification, Unit

SPEC = "Pearson BTEC specification, section 8"
ISSUE_RULE = (
    f'{SPEC} "Assessment of knowledge units using assignments": "An assignment is issued to '
    "learners as an assignment brief with a defined start date, a completion date and clear "
    'requirements for the evidence that they need to provide."'
)
DESIGN_RULE = f'{SPEC} "Designing effective assignments for knowledge units"'
LATE_RULE = (
    f'{SPEC} "Dealing with late completion of assignments": "Learners may be given authorised '
    "extensions for legitimate reasons, such as illness at the time of submission, in line with "
    'centre policies."'
)
RESUBMISSION_RULE = (
    f'{SPEC} "Resubmissions and retakes": "Learners who do not successfully pass an assignment '
    'are allowed to resubmit evidence for the assignment or to retake another assignment."'
)


class BriefError(Exception):
    """The change is refused; the message names the rule and its source."""


# Who does what, as the refusals say it (the views say the same when the rule refuses).
WHO_WRITES = (
    f"{SPEC}: assessors set the centre's assignments; only an assessor at the centre writes "
    "and issues its briefs."
)
WHO_EXTENDS = f"{LATE_RULE} Here the learner's own assessor authorises it."
AUTHENTICITY_RULE = (
    f'{SPEC} "Authenticity of learner work": "Learners must authenticate the evidence that they '
    'provide for assessment through signing a declaration stating that it is their own work."'
)
WHO_HANDS_IN = (
    f"{AUTHENTICITY_RULE} Only the learner hands in their own evidence, on an active registration."
)


def uses_briefs(qualification: Qualification) -> bool:
    """Assignment briefs are the Pearson BTEC specification's way of assessing."""
    return qualification.awarding_body.code == "PEARSON"


def _require(rule: str, actor: User, obj: object, message: str) -> None:
    if not rules.test_rule(rule, actor, obj):
        raise BriefError(message)


# ---------------------------------------------------------------- writing and issuing


@transaction.atomic
def write_brief(
    *,
    author: User,
    centre: Centre,
    qualification: Qualification,
    unit: Unit,
    outcomes: Iterable[LearningOutcome],
    title: str,
    scenario: str,
    audience: str,
    tasks: str,
    start_date: date,
    hand_in_date: date,
) -> AssignmentBrief:
    """A draft brief; learners see it only once it is issued."""
    _require("assessments.write_brief", author, centre, WHO_WRITES)
    if not uses_briefs(qualification):
        raise BriefError(
            f"Assignment briefs follow the Pearson BTEC specification; {qualification.number} "
            f"is {qualification.awarding_body.name}'s."
        )
    if not centre.qualifications.filter(pk=qualification.pk).exists():
        raise BriefError(f"{centre.name} does not offer {qualification.number}.")
    if not unit.memberships.filter(qualification=qualification).exists():
        raise BriefError(f"{unit.title} is not a unit of {qualification.number}.")
    outcomes = list(outcomes)
    if not outcomes:
        raise BriefError(
            f"{DESIGN_RULE}: the assignment must be targeted to the learning outcomes; choose "
            "at least one."
        )
    if any(outcome.unit_id != unit.pk for outcome in outcomes):
        raise BriefError(f"Choose learning outcomes of {unit.title} only.")
    title, scenario, audience, tasks = (
        " ".join(title.split()),
        scenario.strip(),
        " ".join(audience.split()),
        tasks.strip(),
    )
    if not scenario or not audience:
        raise BriefError(
            f'{DESIGN_RULE}: "The assignment brief must include the vocational scenario or '
            "context for the tasks to be completed. There must, in addition, be a clear audience "
            'or purpose for which the evidence is being provided."'
        )
    if not title or not tasks:
        raise BriefError(
            f'{DESIGN_RULE}: "Clear instructions must be provided to the learner about what they '
            'are required to do – normally set out through a series of tasks."'
        )
    if hand_in_date <= start_date:
        raise BriefError(f"{ISSUE_RULE} The completion date must come after the start date.")
    brief = AssignmentBrief.objects.create(
        centre=centre,
        qualification=qualification,
        unit=unit,
        title=title,
        scenario=scenario,
        audience=audience,
        tasks=tasks,
        start_date=start_date,
        hand_in_date=hand_in_date,
        written_by=author,
    )
    brief.outcomes.set(outcomes)
    record_event(
        actor=author,
        action="brief.written",
        target=brief,
        centre_id=centre.pk,
        data={
            "qualification": qualification.number,
            "unit": unit.reference or unit.key,
            "outcomes": sorted(o.number for o in outcomes),
            "start_date": start_date.isoformat(),
            "hand_in_date": hand_in_date.isoformat(),
        },
    )
    return brief


def _locked(brief: AssignmentBrief) -> AssignmentBrief:
    return AssignmentBrief.objects.select_for_update().get(pk=brief.pk)


@transaction.atomic
def issue_brief(*, actor: User, brief: AssignmentBrief) -> AssignmentBrief:
    """Issue the brief to the centre's learners on its qualification."""
    brief = _locked(brief)
    _require("assessments.issue_brief", actor, brief, WHO_WRITES)
    if brief.status != BriefStatus.DRAFT:
        raise BriefError(
            f"{ISSUE_RULE} This brief is {brief.get_status_display().lower()}: only a draft is "
            "issued."
        )
    brief.issued_by, brief.issued_at = actor, timezone.now()
    BRIEF_LIFECYCLE.move(
        brief,
        BriefStatus.ISSUED,
        actor=actor,
        action="brief.issued",
        centre_id=brief.centre_id,
        data={
            "start_date": brief.start_date.isoformat(),
            "hand_in_date": brief.hand_in_date.isoformat(),
        },
        update_fields=["issued_by", "issued_at"],
    )
    return brief


@transaction.atomic
def withdraw_brief(*, actor: User, brief: AssignmentBrief, reason: str) -> AssignmentBrief:
    """Withdraw a brief (kept, with what was handed in against it); it is never deleted."""
    brief = _locked(brief)
    _require("assessments.issue_brief", actor, brief, WHO_WRITES)
    reason = reason.strip()
    if not reason:
        raise BriefError("Say why the brief is withdrawn.")
    if brief.status == BriefStatus.WITHDRAWN:
        raise BriefError("This brief is already withdrawn.")
    brief.withdrawn_reason = reason
    BRIEF_LIFECYCLE.move(
        brief,
        BriefStatus.WITHDRAWN,
        actor=actor,
        action="brief.withdrawn",
        centre_id=brief.centre_id,
        data={"reason": reason},
        update_fields=["withdrawn_reason"],
    )
    return brief


# ---------------------------------------------------------------- one learner's deadline


def due_date(brief: AssignmentBrief, registration: Registration) -> date:
    """The hand-in date in force for this learner: the latest authorised extension's, else the
    brief's."""
    latest = (
        BriefExtension.objects.filter(brief=brief, registration=registration)
        .order_by("-authorised_at", "-pk")
        .values_list("hand_in_date", flat=True)
        .first()
    )
    return latest or brief.hand_in_date


def _on_brief(brief: AssignmentBrief, registration: Registration) -> None:
    if (registration.centre_id, registration.qualification_id) != (
        brief.centre_id,
        brief.qualification_id,
    ):
        raise BriefError(
            "This learner is not registered on the brief's qualification at its centre."
        )


def _issued(brief: AssignmentBrief) -> None:
    if brief.status != BriefStatus.ISSUED:
        raise BriefError(
            f"{ISSUE_RULE} This brief is {brief.get_status_display().lower()}, not issued."
        )


@transaction.atomic
def authorise_extension(
    *,
    actor: User,
    brief: AssignmentBrief,
    registration: Registration,
    hand_in_date: date,
    reason: str,
) -> BriefExtension:
    """A later hand-in date for one learner, for a legitimate reason, before they hand in."""
    brief = _locked(brief)
    _require("assessments.authorise_extension", actor, registration, WHO_EXTENDS)
    _on_brief(brief, registration)
    _issued(brief)
    reason = reason.strip()
    if not reason:
        raise BriefError(f"{LATE_RULE} Give the legitimate reason.")
    if BriefHandIn.objects.filter(brief=brief, registration=registration).exists():
        raise BriefError(
            f"{LATE_RULE} The learner has already handed in this assignment: an extension moves "
            "a completion date still to come."
        )
    current = due_date(brief, registration)
    if hand_in_date <= current:
        raise BriefError(
            f"{LATE_RULE} The new hand-in date must be after the one in force "
            f"({current.day} {current:%B %Y})."
        )
    extension = BriefExtension.objects.create(
        brief=brief,
        registration=registration,
        hand_in_date=hand_in_date,
        reason=reason,
        authorised_by=actor,
    )
    record_event(
        actor=actor,
        action="brief.extension_authorised",
        target=extension,
        centre_id=brief.centre_id,
        data={
            "brief": brief.pk,
            "registration": registration.pk,
            "from": current.isoformat(),
            "to": hand_in_date.isoformat(),
            "reason": reason,
        },
    )
    return extension


# ---------------------------------------------------------------- handing in


def brief_criteria(brief: AssignmentBrief) -> list[int]:
    return list(
        AssessmentCriterion.objects.filter(outcome__in=brief.outcomes.all()).values_list(
            "pk", flat=True
        )
    )


def passed(brief: AssignmentBrief, registration: Registration) -> bool:
    """Every criterion of the brief's learning outcomes has a current decision of met."""
    criteria = brief_criteria(brief)
    met = (
        Decision.objects.current()
        .filter(registration=registration, criterion_id__in=criteria, outcome=Outcome.MET)
        .count()
    )
    return bool(criteria) and met == len(criteria)


@transaction.atomic
def hand_in(*, learner: User, brief: AssignmentBrief, evidence: Evidence) -> BriefHandIn:
    """The learner hands in submitted evidence against an issued brief: the first attempt, or a
    resubmission where the assignment was assessed and not passed."""
    brief = _locked(brief)
    # Read afresh: what counts is the evidence's status now, not the caller's copy.
    evidence = Evidence.objects.get(pk=evidence.pk)
    registration = Registration.objects.select_for_update().get(pk=evidence.registration_id)
    _require("assessments.hand_in_brief", learner, registration, WHO_HANDS_IN)
    _on_brief(brief, registration)
    _issued(brief)
    today = timezone.localdate()
    if today < brief.start_date:
        starts = brief.start_date
        raise BriefError(f"{ISSUE_RULE} This assignment starts on {starts.day} {starts:%B %Y}.")
    if evidence.status == EvidenceStatus.DRAFT:
        raise BriefError(f"{AUTHENTICITY_RULE} Sign and submit the evidence first.")
    if evidence.status != EvidenceStatus.SUBMITTED:
        raise BriefError(
            "This evidence is already assessed or returned: hand in a new version of it."
        )
    if BriefHandIn.objects.filter(evidence=evidence).exists():
        raise BriefError("This evidence is already handed in against a brief.")
    earlier = list(
        BriefHandIn.objects.filter(brief=brief, registration=registration).select_related(
            "evidence"
        )
    )
    due = due_date(brief, registration)
    if earlier:
        last = earlier[-1]
        if last.evidence.status not in (EvidenceStatus.ASSESSED, EvidenceStatus.RETURNED):
            raise BriefError(
                f"{RESUBMISSION_RULE} Your last hand-in is not assessed yet, so there is nothing "
                "to resubmit against."
            )
        if passed(brief, registration):
            raise BriefError(
                f"{RESUBMISSION_RULE} You have passed this assignment: every criterion it covers "
                "is met."
            )
    attempt = len(earlier) + 1
    handed = BriefHandIn.objects.create(
        brief=brief,
        registration=registration,
        evidence=evidence,
        attempt=attempt,
        kind=HandInKind.FIRST if attempt == 1 else HandInKind.RESUBMISSION,
        due_date=due,
        # The completion date binds the first attempt; the specification sets no date for a
        # resubmission.
        late=attempt == 1 and today > due,
        handed_in_by=learner,
    )
    record_event(
        actor=learner,
        action="brief.handed_in",
        target=handed,
        centre_id=brief.centre_id,
        data={
            "brief": brief.pk,
            "evidence": evidence.pk,
            "attempt": attempt,
            "due_date": due.isoformat(),
            "late": handed.late,
        },
    )
    return handed
