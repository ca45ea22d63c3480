"""Judging criteria, returning evidence, signing off units, and completion.

Every change is one transaction with its audit event. Decisions are append-only: a correction
supersedes, never edits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from typing import Any

import rules
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.competence import competence_for, competence_refusal
from accounts.models import Role, User
from assessments.basis import (
    authenticity_refusal,
    authenticity_statement,
    met_basis_refusal,
    not_submitted,
)
from assessments.feedback import qualification_rules_feedback
from assessments.feedback import refusal as feedback_refusal
from assessments.models import Decision, HeldReturn, Outcome, UnitSignOff, ValidationOutcome
from assessments.release import required_for_ids, validation_required
from assessments.signals import unit_unlocked
from core.audit import record_event
from core.prepared import Prepared
from portfolios.combination import rules_at_centre
from portfolios.environment import met_refusal
from portfolios.models import (
    EVIDENCE_LIFECYCLE,
    CreditTransfer,
    Evidence,
    EvidenceStatus,
    Registration,
    RegistrationStatus,
)
from portfolios.progress import CriterionState
from portfolios.readmodel import refresh_progress
from portfolios.rules import assesses_registration, verifies_registration
from portfolios.services import RegistrationError, change_status, reopen
from portfolios.signals import combination_rule_recorded
from qualifications.combination import Result, check
from qualifications.models import AssessmentCriterion, Unit


class AssessmentError(Exception):
    """A judgement or sign-off the rules refuse; the message is for the assessor."""


def require_assessor(user: User, registration: Registration) -> None:
    if not assesses_registration.test(user, registration):
        raise AssessmentError("Only an assessor assigned to this learner may do this.")
    if registration.learner_id == user.pk:
        raise AssessmentError("Nobody may assess their own portfolio.")


def require_competent(assessor: User, registration: Registration) -> None:
    """Issue 17: an assessor decides only with a current credential and competence for it."""
    if refused := competence_refusal(
        assessor, registration.centre_id, registration.qualification, Role.ASSESSOR
    ):
        raise AssessmentError(refused)


def _require_unlocked(registration: Registration, unit_id: int) -> None:
    if UnitSignOff.objects.active().filter(registration=registration, unit_id=unit_id).exists():
        raise AssessmentError(
            "This unit is signed off, which locks its decisions. An internal verifier's referral "
            "or a centre admin must unlock it first."
        )


def current_decision(registration: Registration, criterion: AssessmentCriterion) -> Decision | None:
    return Decision.objects.current().filter(registration=registration, criterion=criterion).first()


@transaction.atomic
def record_decision(
    *,
    assessor: User,
    registration: Registration,
    criterion: AssessmentCriterion,
    outcome: str,
    method: str,
    assessed_on: date,
    feedback: str = "",
    evidence: Iterable[Evidence] = (),
    supersedes: Decision | None = None,
    reason: str = "",
) -> Decision:
    """Judge one criterion. To correct a decision, pass it as `supersedes` with a reason.

    `supersedes` must be the decision the assessor saw: if someone else has decided since, the
    call is refused rather than silently replacing their judgement.
    """
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    require_assessor(assessor, registration)
    require_competent(assessor, registration)
    if registration.status != RegistrationStatus.ACTIVE:
        raise AssessmentError("Decisions can only be recorded while the registration is active.")
    if outcome not in Outcome.values:
        raise AssessmentError(f"Unknown outcome {outcome!r}.")
    if not registration.unit_choices.filter(unit_id=criterion.unit_id).exists():
        raise AssessmentError("That criterion is not in a unit this learner takes.")
    _require_unlocked(registration, criterion.unit_id)
    if assessed_on > timezone.localdate():
        raise AssessmentError("The assessment date cannot be in the future.")
    if (refused := feedback_refusal(feedback)) and qualification_rules_feedback(
        registration.qualification_id
    ):
        raise AssessmentError(refused)
    # Read the evidence afresh: what counts is its status now, not in the caller's copy.
    evidence = list(Evidence.objects.filter(pk__in=[item.pk for item in evidence]))
    for item in evidence:
        if item.registration_id != registration.pk or item.status == EvidenceStatus.DRAFT:
            raise AssessmentError(not_submitted(registration.qualification))
    if outcome == Outcome.MET and (
        refused := met_refusal(
            registration=registration,
            criterion=criterion,
            method=method,
            assessed_on=assessed_on,
            evidence=evidence,
        )
    ):
        raise AssessmentError(refused)
    if outcome == Outcome.MET and (
        refused := met_basis_refusal(
            criterion=criterion,
            qualification=registration.qualification,
            method=method,
            evidence=evidence,
        )
    ):
        raise AssessmentError(refused)
    current = current_decision(registration, criterion)
    if supersedes is None and current is not None:
        raise AssessmentError(
            "This criterion has already been judged. To change the judgement, correct the "
            "decision and say why."
        )
    if supersedes is not None:
        if current is None or supersedes.pk != current.pk:
            raise AssessmentError(
                "Someone has recorded a newer decision on this criterion; reload to see it."
            )
        if not reason.strip():
            raise AssessmentError("Say why the earlier decision is corrected.")
    decision = write_decision(
        assessor=assessor,
        registration=registration,
        criterion=criterion,
        outcome=outcome,
        method=method,
        assessed_on=assessed_on,
        feedback=feedback,
        evidence=evidence,
        supersedes=supersedes,
        reason=reason,
    )
    mark_assessed_when_complete(assessor, evidence)
    return decision


def write_decision(
    *,
    assessor: User,
    registration: Registration,
    criterion: AssessmentCriterion,
    outcome: str,
    method: str,
    assessed_on: date,
    feedback: str,
    evidence: list[Evidence],
    supersedes: Decision | None,
    reason: str,
    refresh: bool = True,
) -> Decision:
    """The row and audit event of one decision, once its caller has checked everything under
    the registration's lock (record_decision for one criterion, assessments.judging for many).
    `refresh=False` leaves the progress read model to the caller, who recounts it once after
    writing many (having locked its row before the first audit event)."""
    try:
        with transaction.atomic():
            decision = Decision.objects.create(
                registration=registration,
                criterion=criterion,
                outcome=outcome,
                feedback=feedback,
                method=method,
                assessed_on=assessed_on,
                assessor=assessor,
                supersedes=supersedes,
                reason=reason.strip(),
            )
    except IntegrityError as exc:
        # Another assessor's decision landed first on the same criterion.
        raise AssessmentError(
            "Someone recorded a decision on this criterion at the same moment; reload to see it."
        ) from exc
    # A new decision links no evidence yet: add, without set's read of what is linked.
    decision.evidence.add(*evidence)
    if refresh:
        refresh_progress(registration)
    record_event(
        actor=assessor,
        action="decision.corrected" if supersedes else "decision.recorded",
        target=decision,
        centre_id=registration.centre_id,
        data={
            "registration": registration.pk,
            "criterion": criterion.pk,
            "outcome": outcome,
            "supersedes": supersedes.pk if supersedes else None,
            "reason": reason.strip(),
            "evidence": [item.pk for item in evidence],
        },
    )
    return decision


@transaction.atomic
def return_evidence(*, assessor: User, evidence: Evidence, feedback: str) -> Evidence:
    """Send submitted evidence back to the learner for resubmission, saying what to change;
    where validation is required for the registration, held for an internal verifier first."""
    evidence = (
        Evidence.objects.select_for_update().select_related("registration").get(pk=evidence.pk)
    )
    require_assessor(assessor, evidence.registration)
    if evidence.status != EvidenceStatus.SUBMITTED:
        raise AssessmentError("Only submitted evidence can be returned for resubmission.")
    if not feedback.strip():
        raise AssessmentError("Say what the learner should change.")
    if (refused := feedback_refusal(feedback)) and qualification_rules_feedback(
        evidence.registration.qualification_id
    ):
        raise AssessmentError(refused)
    if validation_required(evidence.registration):
        return _hold_return(assessor=assessor, evidence=evidence, feedback=feedback.strip())
    EVIDENCE_LIFECYCLE.move(
        evidence,
        EvidenceStatus.RETURNED,
        actor=assessor,
        action="evidence.returned",
        centre_id=evidence.registration.centre_id,
        data={"feedback": feedback.strip()},
        before_event=lambda: refresh_progress(evidence.registration_id),
    )
    _notify(evidence.pk, "returned")
    return evidence


RETURN_HELD_MESSAGE = (
    "This evidence's return waits for the internal verifier: it reaches the learner once they "
    "agree it (Internal verification before release)."
)


def _hold_return(*, assessor: User, evidence: Evidence, feedback: str) -> Evidence:
    """Where an IV validates feedback before the learner has it, the return is held for them
    (assessments.models.returns): the evidence stays submitted, nobody tells the learner, and
    assessments.validation.validate_return gives it to them once agreed.

    The learner may meanwhile do only what they may with any submitted evidence, and nothing
    because of the return: until an IV agrees it the return has not been given to them (Pearson:
    feedback "must be validated by an Internal Verifier before it is given to the learner"), so
    neither its feedback nor the resubmission it asks for is theirs yet; refusing them anything
    because of it would tell them of it."""
    if HeldReturn.objects.waiting().filter(evidence=evidence).exists():
        raise AssessmentError(RETURN_HELD_MESSAGE)
    held = HeldReturn.objects.create(evidence=evidence, assessor=assessor, feedback=feedback)
    record_event(
        actor=assessor,
        action="evidence.return_held",
        target=held,
        centre_id=evidence.registration.centre_id,
        data={
            "evidence": evidence.pk,
            "registration": evidence.registration_id,
            "feedback": feedback,
        },
    )
    return evidence


def _notify(evidence_id: int, event: str) -> None:
    from assessments.tasks import notify_learner

    # Only once the change is committed, and in the background.
    transaction.on_commit(lambda: notify_learner.delay(evidence_id=evidence_id, event=event))


def mark_assessed_when_complete(assessor: User, evidence: list[Evidence]) -> None:
    """Evidence is assessed once every criterion it is mapped to has a current decision.

    Callers hold the progress rows of the evidence's registrations already (refresh_progress
    or lock_progress before their first audit event): this writes events before recounting.
    """
    assessed: set[int] = set()
    for item in evidence:
        if item.status != EvidenceStatus.SUBMITTED:
            continue
        mapped = set(item.mappings.values_list("criterion_id", flat=True))
        decided = set(
            Decision.objects.current()
            .filter(registration_id=item.registration_id, criterion_id__in=mapped)
            .values_list("criterion_id", flat=True)
        )
        if mapped and mapped <= decided:
            EVIDENCE_LIFECYCLE.move(
                item,
                EvidenceStatus.ASSESSED,
                actor=assessor,
                action="evidence.assessed",
                centre_id=item.registration.centre_id,
                data={"criteria": sorted(mapped)},
            )
            assessed.add(item.registration_id)
            # Where an IV validates decisions first, the learner hears once they are released
            # (assessments.validation), not now.
            if not validation_required(item.registration):
                _notify(item.pk, "assessed")
    for registration_id in sorted(assessed):
        refresh_progress(registration_id)


def _signed_content(registration: Registration, unit: Unit) -> dict:
    decisions = Decision.objects.current().filter(registration=registration, criterion__unit=unit)
    return {
        "registration": registration.pk,
        "unit": unit.key,
        "decisions": sorted(
            [d.pk, d.criterion_id, d.outcome] for d in decisions.order_by("criterion_id")
        ),
        # The assessor's authenticity declaration, signed with the decisions: in the words of
        # the qualification's awarding body, or Pearson's where it gives none (assessments.basis).
        "declaration": authenticity_statement(registration.qualification),
    }


@transaction.atomic
def sign_off_unit(
    *,
    assessor: User,
    registration: Registration,
    unit: Unit,
    password: str,
    declared_authentic: bool,
    countersign_password: str = "",
) -> UnitSignOff:
    """Sign off a unit whose every criterion is met. The assessor re-enters their password and
    makes the authenticity declaration (assessments.basis), kept with the signature; a trainee
    assessor's countersigning colleague enters their password too (issue 17)."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    require_assessor(assessor, registration)
    competence = competence_for(
        assessor, registration.centre_id, registration.qualification, Role.ASSESSOR
    )
    if not competence.ok:
        raise AssessmentError(competence.refusal())
    if not declared_authentic:
        raise AssessmentError(authenticity_refusal(registration.qualification))
    if not assessor.check_password(password):
        raise AssessmentError("That password is not right: the unit was not signed off.")
    countersigner = competence.countersigner
    if countersigner is not None and not countersigner.check_password(countersign_password):
        raise AssessmentError(
            f"SFJ handbook section 4.1 item 6: you are working towards the assessor "
            f"qualification, so {countersigner} countersigns your sign-off; their password was "
            "not given or not right, and the unit was not signed off."
        )
    if not registration.unit_choices.filter(unit=unit).exists():
        raise AssessmentError("That unit is not one this learner takes.")
    if UnitSignOff.objects.active().filter(registration=registration, unit=unit).exists():
        raise AssessmentError("This unit is already signed off.")
    criteria = set(unit.criteria.values_list("pk", flat=True))
    met = set(
        Decision.objects.current()
        .filter(registration=registration, criterion_id__in=criteria, outcome=Outcome.MET)
        .values_list("criterion_id", flat=True)
    )
    missing = sorted(
        unit.criteria.filter(pk__in=criteria - met).values_list("number", flat=True),
        key=lambda n: tuple(int(p) for p in n.split(".") if p.isdigit()),
    )
    if missing:
        raise AssessmentError(
            f"Every criterion must be met before the unit is signed off; not yet: "
            f"{', '.join(missing)}."
        )
    if validation_required(registration):
        unreleased = sorted(
            Decision.objects.current()
            .filter(registration=registration, criterion_id__in=criteria)
            .exclude(validation__outcome=ValidationOutcome.AGREED)
            .values_list("criterion__number", flat=True),
            key=lambda n: tuple(int(p) for p in n.split(".") if p.isdigit()),
        )
        if unreleased:
            raise AssessmentError(
                "This qualification needs an internal verifier to validate every decision before "
                f"the unit is signed off; not yet validated: {', '.join(unreleased)}."
            )
    content = _signed_content(registration, unit)
    try:
        with transaction.atomic():
            sign_off = UnitSignOff.objects.create(
                registration=registration,
                unit=unit,
                signed_by=assessor,
                declaration=content["declaration"],
                countersigned_by=countersigner,
                content_hash=hashlib.sha256(
                    json.dumps(content, sort_keys=True).encode()
                ).hexdigest(),
            )
    except IntegrityError as exc:
        raise AssessmentError("This unit is already signed off.") from exc
    refresh_progress(registration)
    record_event(
        actor=assessor,
        action="unit.signed_off",
        target=sign_off,
        centre_id=registration.centre_id,
        data={
            "unit": unit.key,
            "content_hash": sign_off.content_hash,
            "declaration": sign_off.declaration,
            "countersigned_by": countersigner.pk if countersigner else None,
        },
    )
    # The last unit needed completes the registration (rules of combination over sign-offs).
    mark_complete_if_done(actor=assessor, registration=registration)
    return sign_off


@transaction.atomic
def unlock_unit(*, actor: User, sign_off: UnitSignOff, reason: str) -> UnitSignOff:
    """Reopen a signed-off unit: an internal verifier's referral or a centre admin's decision."""
    sign_off = (
        UnitSignOff.objects.select_for_update().select_related("registration").get(pk=sign_off.pk)
    )
    registration = sign_off.registration
    if not rules.test_rule("assessments.unlock_unit", actor, registration):
        raise AssessmentError(
            "Only the learner's internal verifier or a centre admin may unlock a signed-off unit."
        )
    if sign_off.unlocked_at is not None:
        raise AssessmentError("This unit has already been unlocked.")
    if not reason.strip():
        raise AssessmentError("Say why the unit is unlocked.")
    sign_off.unlocked_at = timezone.now()
    sign_off.unlocked_by = actor
    sign_off.unlock_reason = reason.strip()
    sign_off.save(update_fields=["unlocked_at", "unlocked_by", "unlock_reason"])
    refresh_progress(registration)
    record_event(
        actor=actor,
        action="unit.unlocked",
        target=sign_off,
        centre_id=registration.centre_id,
        data={
            "reason": sign_off.unlock_reason,
            "by": "internal verifier" if verifies_registration(actor, registration) else "admin",
        },
    )
    # Decisions are recorded only on active registrations: an unlocked unit of a complete one
    # could not change.
    try:
        reopen(
            actor=actor,
            registration=registration,
            reason=f"Unit unlocked: {sign_off.unlock_reason}",
        )
    except RegistrationError as exc:
        raise AssessmentError(str(exc)) from exc
    unit_unlocked.send(sender=UnitSignOff, sign_off=sign_off, actor=actor)
    return sign_off


def achieved_unit_keys(registration: Registration) -> set[str]:
    """The units achieved: signed off here, or credited from an identical unit achieved
    before (portfolios.CreditTransfer; SFJ section 2.8)."""
    signed = set(
        UnitSignOff.objects.active()
        .filter(registration=registration)
        .values_list("unit__key", flat=True)
    )
    credited = set(
        CreditTransfer.objects.live()
        .filter(registration=registration)
        .values_list("unit__key", flat=True)
    )
    return signed | credited


def completion(registration: Registration) -> Result:
    """How the rules of combination stand over the units achieved so far."""
    return check(
        rules_at_centre(registration.qualification, registration.centre_id),
        achieved_unit_keys(registration),
    )


def mark_complete_if_done(*, actor: User, registration: Registration) -> bool:
    """Mark the registration complete when the signed-off units satisfy the rules."""
    if registration.status != RegistrationStatus.ACTIVE or not completion(registration).ok:
        return False
    change_status(
        actor=actor,
        registration=registration,
        status=RegistrationStatus.COMPLETE,
        reason="The signed-off units satisfy the rules of combination.",
    )
    return True


def _on_combination_rule_recorded(*, rule: Any, actor: User, **_: Any) -> None:
    """A centre recorded the rule of a qualification whose document gives none: its learners
    whose signed-off units already meet it are complete now, not at their next sign-off."""
    waiting = Registration.objects.filter(
        centre_id=rule.centre_id,
        qualification_id=rule.qualification_id,
        status=RegistrationStatus.ACTIVE,
    ).select_related("qualification")
    for registration in waiting:
        mark_complete_if_done(actor=actor, registration=registration)


def connect() -> None:
    combination_rule_recorded.connect(
        _on_combination_rule_recorded, dispatch_uid="assessments.complete_on_recorded_rule"
    )


def _staff_decisions(*, registration: int) -> QuerySet:
    # One current decision per criterion, so no order is needed.
    return (
        Decision.objects.current()
        .filter(registration_id=registration)
        .order_by()
        # The day too: the portfolio's picture of criteria met over time, from the same rows.
        .values_list("criterion_id", "outcome", "assessed_on")
    )


def _staff_unit_decisions(*, registration: int, unit: int) -> QuerySet:
    return _staff_decisions(registration=registration).filter(criterion__unit_id=unit)


def _learner_decisions(*, registration: int, centre: int, qualification: int) -> QuerySet:
    # Whether validation is required is read in the same query rather than asked first, as
    # the portfolio's pages ask on every request. One current decision per criterion (a unique
    # index says so): order is no matter.
    return (
        Decision.objects.current()
        .filter(registration_id=registration)
        .annotate(required=required_for_ids(centre_id=centre, qualification_id=qualification))
        .order_by()
        .values_list("criterion_id", "outcome", "validation__outcome", "required", "assessed_on")
    )


def _learner_unit_decisions(
    *, registration: int, centre: int, qualification: int, unit: int
) -> QuerySet:
    return _learner_decisions(
        registration=registration, centre=centre, qualification=qualification
    ).filter(criterion__unit_id=unit)


# The portfolio's pages ask on every request: compiled once (core.prepared).
STAFF_DECISIONS = Prepared(_staff_decisions)
STAFF_UNIT_DECISIONS = Prepared(_staff_unit_decisions)
LEARNER_DECISIONS = Prepared(_learner_decisions)
LEARNER_UNIT_DECISIONS = Prepared(_learner_unit_decisions)


def decision_states(
    registration: Registration,
    *,
    viewer: User | None = None,
    unit_id: int | None = None,
    met_on: dict[int, date] | None = None,
) -> dict[int, str]:
    """criterion_id -> "met"/"not_yet_met" from the current decisions (one query), of one
    unit's criteria if `unit_id` is given. The learner sees "awaiting validation" where a
    decision is not released yet. Given `met_on`, it also fills criterion_id -> the day it was
    judged met, for the criteria this viewer sees as met: the picture of progress over time
    comes from the same query, not another."""
    ids: dict[str, int] = {"registration": registration.pk}
    if unit_id is not None:
        ids["unit"] = unit_id
    if viewer is None or getattr(viewer, "pk", None) != registration.learner_id:
        # Staff see it all.
        staff = STAFF_DECISIONS if unit_id is None else STAFF_UNIT_DECISIONS
        rows = [(pk, outcome, day) for pk, outcome, day in staff.rows(**ids)]
    else:
        # The learner (hides_unreleased's rule).
        learner = LEARNER_DECISIONS if unit_id is None else LEARNER_UNIT_DECISIONS
        ids.update(centre=registration.centre_id, qualification=registration.qualification_id)
        awaiting = CriterionState.AWAITING_VALIDATION.value
        rows = [
            (
                pk,
                outcome if not required or validated == ValidationOutcome.AGREED else awaiting,
                day,
            )
            for pk, outcome, validated, required, day in learner.rows(**ids)
        ]
    if met_on is not None:
        met_on.update((pk, day) for pk, state, day in rows if state == Outcome.MET)
    return {pk: state for pk, state, _ in rows}
