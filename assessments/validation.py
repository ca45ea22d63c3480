"""Internal verifiers validate decisions before the learner sees them; centres set whether they
must. Every change is one transaction with its audit event; a validation is never edited.

A referral goes back to the assessor, who corrects the decision with a superseding one
(services.record_decision with `supersedes`); the correction waits for validation in its turn.
Returns for resubmission held for validation (services.return_evidence) are agreed or referred
the same way (validate_return).
"""

from __future__ import annotations

from collections.abc import Iterable

import rules
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.competence import competence_refusal
from accounts.models import Centre, Role, User
from assessments.models import (
    Decision,
    DecisionValidation,
    HeldReturn,
    ReleaseSetting,
    ReturnValidation,
    ValidationOutcome,
)
from assessments.release import validation_required, waiver_refused
from assessments.services import AssessmentError, _notify
from core.audit import record_event
from portfolios.models import EVIDENCE_LIFECYCLE, Evidence, EvidenceStatus
from portfolios.readmodel import refresh_progress
from qualifications.models import Qualification


@transaction.atomic
def validate_decision(
    *, validator: User, decision: Decision, outcome: str, comment: str = ""
) -> DecisionValidation:
    """Agree a decision (it is released to the learner) or refer it back to the assessor."""
    decision = (
        Decision.objects.select_for_update()
        .select_related("registration__qualification", "criterion")
        .get(pk=decision.pk)
    )
    registration = decision.registration
    if not rules.test_rule("assessments.validate_registration", validator, registration):
        raise AssessmentError("Only the learner's internal verifier may validate this decision.")
    if refused := competence_refusal(
        validator, registration.centre_id, registration.qualification, Role.INTERNAL_VERIFIER
    ):
        raise AssessmentError(refused)
    if decision.assessor_id == validator.pk:
        # An IV never verifies their own assessment decisions.
        raise AssessmentError(
            f"You made the decision on {decision.criterion.number}: another internal verifier "
            "must validate it."
        )
    if outcome not in ValidationOutcome.values:
        raise AssessmentError(f"Unknown validation outcome {outcome!r}.")
    comment = comment.strip()
    if outcome == ValidationOutcome.REFERRED and not comment:
        raise AssessmentError("Say why the decision is referred back to the assessor.")
    if Decision.objects.filter(supersedes=decision).exists():
        raise AssessmentError(
            f"The decision on {decision.criterion.number} has been corrected since; "
            "validate the correction instead."
        )
    if not validation_required(registration):
        raise AssessmentError(
            "Decisions on this qualification do not need validation at this centre."
        )
    try:
        with transaction.atomic():
            validation = DecisionValidation.objects.create(
                decision=decision, validator=validator, outcome=outcome, comment=comment
            )
    except IntegrityError as exc:
        raise AssessmentError(
            f"The decision on {decision.criterion.number} is already validated."
        ) from exc
    record_event(
        actor=validator,
        action=f"decision.{outcome}",  # decision.agreed / decision.referred
        target=validation,
        centre_id=registration.centre_id,
        data={
            "decision": decision.pk,
            "registration": registration.pk,
            "criterion": decision.criterion_id,
            "outcome": outcome,
            "comment": comment,
        },
    )
    if outcome == ValidationOutcome.AGREED:
        _notify_released(decision)
    return validation


@transaction.atomic
def validate_decisions(
    *, validator: User, decisions: Iterable[Decision], outcome: str, comment: str = ""
) -> list[DecisionValidation]:
    """Several at once with the same outcome and comment: all of them, or none."""
    decisions = list(decisions)
    if not decisions:
        raise AssessmentError("Choose at least one decision.")
    return [
        validate_decision(validator=validator, decision=d, outcome=outcome, comment=comment)
        for d in decisions
    ]


@transaction.atomic
def validate_return(
    *, validator: User, held: HeldReturn, outcome: str, comment: str = ""
) -> ReturnValidation:
    """Agree a held return (the evidence is returned to the learner with its feedback, and they
    are told) or refer it back to the assessor, who returns the evidence again with changed
    feedback (held in its turn) or assesses it; the learner sees neither the return nor the
    referral."""
    held = HeldReturn.objects.select_related("evidence").get(pk=held.pk)
    evidence = (
        Evidence.objects.select_for_update().select_related("registration").get(pk=held.evidence_id)
    )
    registration = evidence.registration
    if not rules.test_rule("assessments.validate_registration", validator, registration):
        raise AssessmentError("Only the learner's internal verifier may validate this return.")
    if held.assessor_id == validator.pk:
        # An IV never verifies their own assessment decisions; a return is one.
        raise AssessmentError(
            f"You returned “{evidence.title}”: another internal verifier must validate it."
        )
    if outcome not in ValidationOutcome.values:
        raise AssessmentError(f"Unknown validation outcome {outcome!r}.")
    comment = comment.strip()
    if outcome == ValidationOutcome.REFERRED and not comment:
        raise AssessmentError("Say why the return is referred back to the assessor.")
    if outcome == ValidationOutcome.AGREED and evidence.status != EvidenceStatus.SUBMITTED:
        # Assessed since it was returned: there is nothing left to give back.
        raise AssessmentError(
            f"“{evidence.title}” is {evidence.get_status_display().lower()} since the return: "
            "refer the return back to the assessor rather than agree it."
        )
    # Not refused where the centre has since stopped asking for validation (unlike a
    # decision's): a held return has no other way to reach the learner.
    try:
        with transaction.atomic():
            validation = ReturnValidation.objects.create(
                held_return=held, validator=validator, outcome=outcome, comment=comment
            )
    except IntegrityError as exc:
        raise AssessmentError(f"The return of “{evidence.title}” is already validated.") from exc
    # The move first: it recounts the progress read model (locking its row) before its event.
    if outcome == ValidationOutcome.AGREED:
        # Now given to the learner: the same move, event and e-mail as an unvalidated return.
        EVIDENCE_LIFECYCLE.move(
            evidence,
            EvidenceStatus.RETURNED,
            actor=validator,
            action="evidence.returned",
            centre_id=registration.centre_id,
            data={
                "feedback": held.feedback,
                "returned_by": held.assessor_id,
                "held_return": held.pk,
            },
            before_event=lambda: refresh_progress(evidence.registration_id),
        )
    record_event(
        actor=validator,
        action=f"evidence_return.{outcome}",  # evidence_return.agreed / .referred
        target=validation,
        centre_id=registration.centre_id,
        data={
            "held_return": held.pk,
            "evidence": evidence.pk,
            "registration": registration.pk,
            "outcome": outcome,
            "comment": comment,
        },
    )
    if outcome == ValidationOutcome.AGREED:
        _notify(evidence.pk, "returned")
    return validation


@transaction.atomic
def validate_returns(
    *, validator: User, held: Iterable[HeldReturn], outcome: str, comment: str = ""
) -> list[ReturnValidation]:
    """Several at once with the same outcome and comment: all of them, or none."""
    held = list(held)
    if not held:
        raise AssessmentError("Choose at least one return.")
    return [
        validate_return(validator=validator, held=h, outcome=outcome, comment=comment) for h in held
    ]


def _notify_released(decision: Decision) -> None:
    """Tell the learner about assessed evidence once every decision on it is released: the
    e-mail they would have had when it was assessed, had nobody needed to validate it."""
    for evidence in Evidence.objects.filter(decisions=decision, status=EvidenceStatus.ASSESSED):
        mapped = evidence.mappings.values_list("criterion_id", flat=True)
        waiting = (
            Decision.objects.current()
            .filter(registration_id=evidence.registration_id, criterion_id__in=mapped)
            .exclude(validation__outcome=ValidationOutcome.AGREED)
        )
        if not waiting.exists():
            _notify(evidence.pk, "assessed")


@transaction.atomic
def set_release_setting(
    *, actor: User, centre: Centre, qualification: Qualification, validation_required: bool
) -> ReleaseSetting:
    """A centre admin decides, for one qualification, whether decisions wait for validation:
    stricter than the qualification at will, never looser where the awarding body requires it."""
    if not rules.test_rule("assessments.set_release", actor, centre.pk):
        raise AssessmentError("Only a centre admin may change how decisions are released.")
    if not validation_required and (refused := waiver_refused(qualification)):
        raise AssessmentError(refused)
    setting = (
        ReleaseSetting.objects.select_for_update()
        .filter(centre=centre, qualification=qualification)
        .first()
    )
    previous = setting.validation_required if setting else None
    if setting is None:
        setting = ReleaseSetting(centre=centre, qualification=qualification)
    setting.validation_required = validation_required
    setting.changed_by = actor
    setting.changed_at = timezone.now()
    try:
        with transaction.atomic():
            setting.save()
    except IntegrityError as exc:
        raise AssessmentError("Someone changed this setting at the same moment; reload.") from exc
    record_event(
        actor=actor,
        action="release.setting_changed",
        target=setting,
        centre_id=centre.pk,
        data={
            "qualification": qualification.number,
            "validation_required": validation_required,
            "previous": previous,
            "qualification_default": qualification.decisions_need_validation,
        },
    )
    return setting
