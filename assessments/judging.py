"""Judging every criterion a piece of evidence is mapped to in one submit.

The assessor gives the method, date and overall feedback once, and per criterion met, not yet
met or no judgement (with feedback where wanted). Underneath nothing changes: each judged
criterion is a new decision in the append-only log, superseding the one the assessor saw, with
its own audit event (assessments.services.write_decision). The whole submit is one transaction:
if any row is refused, nothing is recorded and every refusal is reported by its row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.competence import competence_refusal
from accounts.models import Role, User
from assessments.basis import met_basis_refusal, not_mapped, not_submitted
from assessments.feedback import qualification_rules_feedback
from assessments.feedback import refusal as feedback_refusal
from assessments.models import Decision, Outcome, UnitSignOff
from assessments.models.judgement import Judgement
from assessments.services import (
    AssessmentError,
    mark_assessed_when_complete,
    require_assessor,
    write_decision,
)
from core.audit import record_event
from portfolios.environment import met_refusal
from portfolios.models import (
    Evidence,
    EvidenceMethod,
    EvidenceStatus,
    Registration,
    RegistrationStatus,
)
from portfolios.readmodel import lock_progress, refresh_progress
from qualifications.models import AssessmentCriterion

LOCKED = "This unit is signed off, which locks its decisions."
NOT_TAKEN = "This criterion is not in a unit this learner takes."
NEEDS_REASON = "Say why the earlier decision is corrected."


@dataclass(frozen=True)
class RowJudgement:
    """What the form says about one criterion. An empty outcome is "no judgement"."""

    criterion_id: int
    outcome: str = ""
    feedback: str = ""
    reason: str = ""
    # The current decision the form showed (None: the criterion was not judged yet).
    seen: int | None = None


class JudgingError(AssessmentError):
    """The submit is refused. `rows` holds a message per criterion id, for the form to show by
    the criterion; the message itself is for the whole form."""

    def __init__(self, message: str, rows: dict[int, str] | None = None) -> None:
        super().__init__(message)
        self.rows = rows or {}


@dataclass
class JudgingResult:
    judgement: Judgement
    decisions: list[Decision] = field(default_factory=list)
    # The same form sent again: its judgement was made by the first submit; nothing new.
    replayed: bool = False


def _stale_message(current: Decision) -> str:
    who = current.assessor.get_full_name() if current.assessor_id else "Someone"
    when = timezone.localtime(current.decided_at)
    return (
        f"{who} recorded {current.get_outcome_display().lower()} on this criterion at "
        f"{when:%H:%M} on {when:%-d %B}, after you opened the form. Your choice is kept here: "
        "send the form again to correct their decision, saying why, or choose no judgement."
    )


@transaction.atomic
def judge_evidence(
    *,
    assessor: User,
    evidence: Evidence,
    rows: Sequence[RowJudgement],
    method: str,
    assessed_on: date,
    token: uuid.UUID,
    feedback: str = "",
) -> JudgingResult:
    """Judge the criteria of `rows` on `evidence`, in one transaction.

    Rows with no outcome make no decision. A row whose criterion was judged since the form was
    drawn (its `seen` is not the current decision) is refused as stale, so nobody replaces a
    judgement they never saw. `token` identifies the form: sent twice, it records once.
    """
    # The registration's row lock serialises every decider on this learner, as record_decision
    # does; a second copy of the same form waits here and then finds the first one's token.
    registration = Registration.objects.select_for_update().get(pk=evidence.registration_id)
    require_assessor(assessor, registration)
    made = Judgement.objects.filter(token=token).first()
    if made is not None:
        if made.evidence_id != evidence.pk or made.assessor_id != assessor.pk:
            raise JudgingError("This form was already used elsewhere; reload the page.")
        return JudgingResult(made, list(made.decisions.all()), replayed=True)
    if refused := competence_refusal(
        assessor, registration.centre_id, registration.qualification, Role.ASSESSOR
    ):
        raise JudgingError(refused)
    if registration.status != RegistrationStatus.ACTIVE:
        raise JudgingError("Decisions can only be recorded while the registration is active.")
    if method not in EvidenceMethod.values:
        raise JudgingError(f"Unknown assessment method {method!r}.")
    if assessed_on > timezone.localdate():
        raise JudgingError("The assessment date cannot be in the future.")
    # Read the evidence afresh: what counts is its status now, not in the caller's copy.
    evidence = Evidence.objects.select_related("registration").get(pk=evidence.pk)
    if evidence.status == EvidenceStatus.DRAFT:
        raise JudgingError(not_submitted(registration.qualification))
    judged = [row for row in rows if row.outcome]
    feedback = feedback.strip()
    if not judged and not feedback:
        raise JudgingError(
            "Choose met or not yet met for at least one criterion, or write overall feedback."
        )
    # Pearson: feedback shows how the decision was reached, never how to improve (section 8).
    advice_rule = any(
        feedback_refusal(text) for text in (feedback, *(row.feedback for row in judged))
    ) and qualification_rules_feedback(registration.qualification_id)
    if advice_rule and (refused := feedback_refusal(feedback)):
        raise JudgingError(f"Nothing was recorded: {refused}")
    ids = {row.criterion_id for row in judged}
    # Four queries whatever the number of rows.
    criteria = AssessmentCriterion.objects.in_bulk(ids)
    mapped = set(
        evidence.mappings.filter(criterion_id__in=ids).values_list("criterion_id", flat=True)
    )
    units = {criterion.unit_id for criterion in criteria.values()}
    taken = set(
        registration.unit_choices.filter(unit_id__in=units).values_list("unit_id", flat=True)
    )
    locked = set(
        UnitSignOff.objects.active()
        .filter(registration=registration, unit_id__in=units)
        .values_list("unit_id", flat=True)
    )
    current = {
        decision.criterion_id: decision
        for decision in Decision.objects.current()
        .filter(registration=registration, criterion_id__in=ids)
        .select_related("assessor")
    }
    errors: dict[int, str] = {}
    for row in judged:
        criterion = criteria.get(row.criterion_id)
        now = current.get(row.criterion_id)
        if row.outcome not in Outcome.values:
            errors[row.criterion_id] = f"Unknown outcome {row.outcome!r}."
        elif criterion is None or row.criterion_id not in mapped:
            errors[row.criterion_id] = not_mapped(registration.qualification)
        elif criterion.unit_id not in taken:
            errors[row.criterion_id] = NOT_TAKEN
        elif criterion.unit_id in locked:
            errors[row.criterion_id] = LOCKED
        elif (now.pk if now else None) != row.seen:
            errors[row.criterion_id] = (
                _stale_message(now)
                if now is not None
                else "The decision you saw is no longer current; reload to see it."
            )
        elif now is not None and not row.reason.strip():
            errors[row.criterion_id] = NEEDS_REASON
        elif row.outcome == Outcome.MET and (
            refused := met_refusal(
                registration=registration,
                criterion=criterion,
                method=method,
                assessed_on=assessed_on,
                evidence=[evidence],
            )
            # The row's criterion is mapped to this evidence (checked above): by RPL, the
            # evidence must be of the prior learning, with its reason.
            or met_basis_refusal(
                criterion=criterion,
                qualification=registration.qualification,
                method=method,
                evidence=[evidence],
                mapped=[evidence.pk],
            )
        ):
            errors[row.criterion_id] = refused
    if advice_rule:
        for row in judged:
            if row.criterion_id not in errors and (refused := feedback_refusal(row.feedback)):
                errors[row.criterion_id] = refused
    if errors:
        count = len(errors)
        raise JudgingError(
            f"Nothing was recorded: {count} {'criterion needs' if count == 1 else 'criteria need'} "
            "your attention (marked below).",
            rows=errors,
        )
    try:
        with transaction.atomic():
            judgement = Judgement.objects.create(
                evidence=evidence,
                assessor=assessor,
                method=method,
                assessed_on=assessed_on,
                feedback=feedback,
                token=token,
            )
    except IntegrityError as exc:
        # Only reachable without the registration lock (it serialises the same form's copies).
        raise JudgingError("This form was already sent; reload the page.") from exc
    # The progress row is locked before the first audit event (the lock order every service
    # keeps) and recounted once for the form, not once per criterion.
    lock_progress(registration)
    decisions = [
        write_decision(
            assessor=assessor,
            registration=registration,
            criterion=criteria[row.criterion_id],
            outcome=row.outcome,
            method=method,
            assessed_on=assessed_on,
            feedback=row.feedback.strip(),
            evidence=[evidence],
            supersedes=current.get(row.criterion_id),
            reason=row.reason,
            refresh=False,
        )
        for row in judged
    ]
    if decisions:
        refresh_progress(registration)
    judgement.decisions.add(*decisions)
    record_event(
        actor=assessor,
        action="judgement.recorded",
        target=judgement,
        centre_id=registration.centre_id,
        data={
            "evidence": evidence.pk,
            "decisions": [decision.pk for decision in decisions],
            "method": method,
            "assessed_on": assessed_on.isoformat(),
            "feedback": feedback,
        },
    )
    mark_assessed_when_complete(assessor, [evidence])
    return JudgingResult(judgement, decisions)
