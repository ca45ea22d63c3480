"""Sample records: start a sample, agree or refer back, re-review, and summative sign-off.

Who samples: the registration's own internal verifier (the one the centre assigned, holding the
IV role there now). That is the person assessments.services.unlock_unit trusts to reopen a
signed-off unit on a referral, so one rule covers both. An IV never samples decisions they made
themselves as assessor.

Every change is one transaction with its audit event. Nothing is edited or deleted: each outcome
is a new row holding the snapshot it was decided on; the sample's own snapshot is what was seen
when it started.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from typing import Any

import rules
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.competence import competence_refusal
from accounts.models import Role, User
from assessments.models import Decision, UnitSignOff
from assessments.services import AssessmentError, unlock_unit
from core.audit import record_event
from portfolios.models import Evidence, EvidenceFile, Registration, RegistrationStatus
from portfolios.readmodel import lock_progress
from portfolios.services import RegistrationError, reopen
from qualifications.models import Unit
from verification.models import PlannedSample, SampleStage
from verification.models.sample import (
    SAMPLE_LIFECYCLE,
    Sample,
    SampleOutcome,
    SampleOutcomeKind,
    SampleState,
    VerifierSignOff,
)
from verification.services import VerificationError

OWN_DECISIONS = "A verifier can never sample decisions they made themselves"


def _require_verifier(actor: User, registration: Registration) -> None:
    if not rules.test_rule("verification.sample_registration", actor, registration):
        raise VerificationError("Only the learner's internal verifier may sample their work.")
    # Issue 17: sampling needs a current IV credential and occupational competence for it.
    if refused := competence_refusal(
        actor, registration.centre_id, registration.qualification, Role.INTERNAL_VERIFIER
    ):
        raise VerificationError(refused)


# ---------------------------------------------------------------- snapshots


def sampled_decisions(registration: Registration, unit: Unit | None) -> list[Decision]:
    """The current decisions in the sample's scope, with their evidence and files (4 queries)."""
    decisions = Decision.objects.current().filter(registration=registration)
    if unit is not None:
        decisions = decisions.filter(criterion__unit=unit)
    return list(
        decisions.select_related("criterion__unit", "assessor")
        .prefetch_related(
            Prefetch(
                "evidence",
                queryset=Evidence.objects.order_by("pk").prefetch_related(
                    Prefetch("files", queryset=EvidenceFile.objects.order_by("pk"))
                ),
            )
        )
        .order_by("criterion__unit__key", "criterion__position", "pk")
    )


def snapshot_of(
    registration: Registration, unit: Unit | None, decisions: Iterable[Decision]
) -> dict[str, Any]:
    """Exactly what the verifier sees: each decision with its evidence and the files' hashes."""
    return {
        "registration": registration.pk,
        "unit": unit.key if unit is not None else None,
        "decisions": [
            {
                "id": d.pk,
                "criterion": d.criterion_id,
                "unit": d.criterion.unit.key,
                "number": d.criterion.number,
                "outcome": d.outcome,
                "feedback": d.feedback,
                "method": d.method,
                "assessed_on": d.assessed_on.isoformat(),
                "assessor": d.assessor_id,
                "assessor_name": d.assessor.get_full_name(),
                "supersedes": d.supersedes_id,
                "reason": d.reason,
                "evidence": [
                    {
                        "id": e.pk,
                        "title": e.title,
                        "version": e.version,
                        "files": [
                            {"name": f.original_name, "sha256": f.sha256, "size": f.size}
                            for f in e.files.all()
                        ],
                    }
                    for e in d.evidence.all()
                ],
            }
            for d in decisions
        ],
    }


def hash_of(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()


def _take_snapshot(
    actor: User, registration: Registration, unit: Unit | None
) -> tuple[list[Decision], dict[str, Any], str]:
    decisions = sampled_decisions(registration, unit)
    if not decisions:
        raise VerificationError("There are no decisions to sample here yet.")
    own = [d.criterion.number for d in decisions if d.assessor_id == actor.pk]
    if own:
        raise VerificationError(f"{OWN_DECISIONS} (you judged {', '.join(own)}).")
    snapshot = snapshot_of(registration, unit, decisions)
    return decisions, snapshot, hash_of(snapshot)


# ---------------------------------------------------------------- starting a sample


@transaction.atomic
def start_sample(
    *,
    verifier: User,
    registration: Registration,
    stage: str,
    unit: Unit | None = None,
    planned_sample: PlannedSample | None = None,
) -> Sample:
    """Start a sample (from a planned sample, or ad hoc), keeping a snapshot of what is seen."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    _require_verifier(verifier, registration)
    if stage not in SampleStage.values:
        raise VerificationError(f"Unknown sampling stage {stage!r}.")
    if planned_sample is not None:
        if planned_sample.registration_id != registration.pk or planned_sample.unit_id != (
            unit.pk if unit else None
        ):
            raise VerificationError("That is not the planned sample's learner and unit.")
        if planned_sample.removed_at is not None:
            raise VerificationError("That sample was removed from the plan.")
        if Sample.objects.filter(planned_sample=planned_sample).exists():
            raise VerificationError("This planned sample has already been started.")
    if unit is not None and not registration.unit_choices.filter(unit=unit).exists():
        raise VerificationError("The learner does not take that unit.")
    _, snapshot, digest = _take_snapshot(verifier, registration, unit)
    try:
        with transaction.atomic():
            sample = Sample.objects.create(
                planned_sample=planned_sample,
                registration=registration,
                unit=unit,
                stage=stage,
                verifier=verifier,
                snapshot=snapshot,
                snapshot_hash=digest,
            )
    except IntegrityError as exc:
        raise VerificationError("This planned sample has already been started.") from exc
    record_event(
        actor=verifier,
        action="sample.started",
        target=sample,
        centre_id=registration.centre_id,
        data={
            "registration": registration.pk,
            "unit": unit.key if unit else None,
            "stage": stage,
            "planned_sample": planned_sample.pk if planned_sample else None,
            "decisions": [d["id"] for d in snapshot["decisions"]],
            "snapshot_hash": digest,
        },
    )
    return sample


def start_planned_sample(*, verifier: User, planned_sample: PlannedSample) -> Sample:
    return start_sample(
        verifier=verifier,
        registration=planned_sample.registration,
        stage=planned_sample.stage,
        unit=planned_sample.unit,
        planned_sample=planned_sample,
    )


# ---------------------------------------------------------------- outcomes


def _lock_for_outcome(
    actor: User, sample: Sample, seen_hash: str
) -> tuple[Sample, list, dict, str]:
    sample = (
        # Lock the sample row only: PostgreSQL refuses FOR UPDATE on the nullable unit's join.
        Sample.objects.select_for_update(of=("self",))
        .select_related("registration", "unit")
        .get(pk=sample.pk)
    )
    _require_verifier(actor, sample.registration)
    if sample.state == SampleState.AGREED:
        raise VerificationError("This sample is already agreed; the review is closed.")
    decisions, snapshot, digest = _take_snapshot(actor, sample.registration, sample.unit)
    if seen_hash and seen_hash != digest:
        # Decide only on what was on the screen: someone changed the decisions meanwhile.
        raise VerificationError(
            "The decisions have changed since you opened the sample; review them again."
        )
    return sample, decisions, snapshot, digest


@transaction.atomic
def agree(
    *, verifier: User, sample: Sample, feedback: str = "", seen_hash: str = ""
) -> SampleOutcome:
    """Agree the sampled decisions as they stand now: the loop ends."""
    sample, _, snapshot, digest = _lock_for_outcome(verifier, sample, seen_hash)
    try:
        with transaction.atomic():
            outcome = SampleOutcome.objects.create(
                sample=sample,
                outcome=SampleOutcomeKind.AGREED,
                feedback=feedback.strip(),
                snapshot=snapshot,
                snapshot_hash=digest,
                decided_by=verifier,
            )
    except IntegrityError as exc:
        raise VerificationError("This sample is already agreed; the review is closed.") from exc
    SAMPLE_LIFECYCLE.move(
        sample,
        SampleState.AGREED,
        actor=verifier,
        action="sample.agreed",
        centre_id=sample.registration.centre_id,
        data={"outcome": outcome.pk, "snapshot_hash": digest, "feedback": outcome.feedback},
    )
    return outcome


@transaction.atomic
def refer_back(
    *,
    verifier: User,
    sample: Sample,
    decisions: Iterable[Decision],
    actions: str,
    deadline: date,
    feedback: str = "",
    seen_hash: str = "",
) -> SampleOutcome:
    """Refer decisions back to their assessor with actions and a deadline. Their signed-off
    units are unlocked (and a complete registration reopened) so the assessor can correct them
    by superseding decisions; the verifier then reviews the sample again."""
    sample, current, snapshot, digest = _lock_for_outcome(verifier, sample, seen_hash)
    registration = sample.registration
    chosen_ids = {d.pk for d in decisions}
    referred = [d for d in current if d.pk in chosen_ids]
    if not referred or len(referred) != len(chosen_ids):
        raise VerificationError("Choose the decisions to refer back from those in the sample.")
    actions = actions.strip()
    if not actions:
        raise VerificationError("Say what the assessor must do.")
    if deadline < timezone.localdate():
        raise VerificationError("The deadline cannot be in the past.")
    last = sample.outcomes.order_by("-pk").first()
    if last is not None and last.snapshot_hash == digest:
        # Nothing has changed since the last referral (or a double click): wait for the assessor.
        raise VerificationError(
            "These decisions are already referred back; wait for the assessor's corrections."
        )
    outcome = SampleOutcome.objects.create(
        sample=sample,
        outcome=SampleOutcomeKind.REFERRED,
        actions=actions,
        deadline=deadline,
        feedback=feedback.strip(),
        snapshot=snapshot,
        snapshot_hash=digest,
        decided_by=verifier,
    )
    outcome.decisions.set(referred)
    # Unlocking below recounts the progress row after this event: its lock must come first.
    lock_progress(registration)
    SAMPLE_LIFECYCLE.move(
        sample,
        SampleState.REFERRED,
        actor=verifier,
        action="sample.referred",
        centre_id=registration.centre_id,
        data={
            "outcome": outcome.pk,
            "decisions": sorted(chosen_ids),
            "actions": actions,
            "deadline": deadline.isoformat(),
            "feedback": outcome.feedback,
            "snapshot_hash": digest,
        },
    )
    reason = f"Internal verifier's referral (sample {sample.pk}): {actions}"
    units = {d.criterion.unit_id for d in referred}
    for sign_off in UnitSignOff.objects.active().filter(
        registration=registration, unit_id__in=units
    ):
        try:
            unlock_unit(actor=verifier, sign_off=sign_off, reason=reason)
        except AssessmentError as exc:
            raise VerificationError(str(exc)) from exc
    # Unlocking a unit reopens a complete registration; this covers referred decisions on a
    # unit that had no sign-off to unlock.
    try:
        reopen(actor=verifier, registration=registration, reason=reason)
    except RegistrationError as exc:
        raise VerificationError(str(exc)) from exc
    return outcome


# ---------------------------------------------------------------- summative sign-off


def has_open_referral(registration: Registration) -> bool:
    return Sample.objects.filter(registration=registration, state=SampleState.REFERRED).exists()


@transaction.atomic
def sign_off(*, verifier: User, sample: Sample, password: str) -> VerifierSignOff:
    """The IV's summative sign-off of the sample's registration (or, for a unit sample, of that
    unit, for unit-only certification). The verifier re-enters their password."""
    sample = (
        # Lock the sample row only: PostgreSQL refuses FOR UPDATE on the nullable unit's join.
        Sample.objects.select_for_update(of=("self",))
        .select_related("registration", "unit")
        .get(pk=sample.pk)
    )
    registration = Registration.objects.select_for_update().get(pk=sample.registration_id)
    _require_verifier(verifier, registration)
    if not verifier.check_password(password):
        raise VerificationError("That password is not right: nothing was signed off.")
    if sample.stage != SampleStage.SUMMATIVE:
        raise VerificationError("Only a summative sample leads to a summative sign-off.")
    if sample.state != SampleState.AGREED:
        raise VerificationError("Agree the sample before signing off.")
    if has_open_referral(registration):
        raise VerificationError(
            "A referral on this learner's work is still open; it must be agreed first."
        )
    if sample.unit_id is None:
        if registration.status != RegistrationStatus.COMPLETE:
            raise VerificationError(
                "Only a complete registration (its units signed off) can be signed off."
            )
    elif (
        not UnitSignOff.objects.active()
        .filter(registration=registration, unit_id=sample.unit_id)
        .exists()
    ):
        raise VerificationError("The assessor must sign the unit off first.")
    agreed = sample.outcomes.get(outcome=SampleOutcomeKind.AGREED)
    # The signature covers what the IV agreed. Decisions are never edited, only superseded, so
    # a decision made since (a unit unlocked and reassessed after the agreement) has a new id:
    # work this sample never saw.
    agreed_ids = {item["id"] for item in agreed.snapshot["decisions"]}
    changed = sorted(
        {
            decision.criterion.unit.reference or decision.criterion.unit.key
            for decision in sampled_decisions(registration, sample.unit)
            if decision.pk not in agreed_ids
        }
    )
    if changed:
        raise VerificationError(
            f"Decisions in {', '.join(changed)} have changed since this sample was agreed: "
            "sample the work again before signing off."
        )
    try:
        with transaction.atomic():
            made = VerifierSignOff.objects.create(
                registration=registration,
                unit_id=sample.unit_id,
                sample=sample,
                verifier=verifier,
                content_hash=agreed.snapshot_hash,
            )
    except IntegrityError as exc:
        raise VerificationError("This is already signed off.") from exc
    record_event(
        actor=verifier,
        action="verification.signed_off",
        target=made,
        centre_id=registration.centre_id,
        data={
            "registration": registration.pk,
            "unit": sample.unit.key if sample.unit else None,
            "sample": sample.pk,
            "content_hash": made.content_hash,
        },
    )
    return made


def void_sign_offs(*, sign_off: UnitSignOff, actor: User) -> list[VerifierSignOff]:
    """A unit was unlocked: the IV's live sign-offs that covered it (the whole registration's,
    and that unit's own) no longer stand. They are voided, with an audit event each, and kept;
    the registration cannot be claimed until the IV samples the work again and signs off."""
    voided = list(
        VerifierSignOff.objects.live()
        .select_for_update(of=("self",))
        .filter(registration_id=sign_off.registration_id)
        .filter(Q(unit__isnull=True) | Q(unit_id=sign_off.unit_id))
        .select_related("registration", "unit")
    )
    unit = sign_off.unit.reference or sign_off.unit.key
    for item in voided:
        item.voided_at = timezone.now()
        item.void_reason = f"Unit {unit} was unlocked: {sign_off.unlock_reason}"
        item.save(update_fields=["voided_at", "void_reason"])
        record_event(
            actor=actor,
            action="verification.sign_off_voided",
            target=item,
            centre_id=item.registration.centre_id,
            data={
                "registration": item.registration_id,
                "unit": item.unit.key if item.unit else None,
                "unlocked_unit": sign_off.unit.key,
                "reason": item.void_reason,
            },
        )
    return voided


def _on_unit_unlocked(sender: Any, *, sign_off: UnitSignOff, actor: User, **kwargs: Any) -> None:
    void_sign_offs(sign_off=sign_off, actor=actor)


def connect() -> None:
    """Called from VerificationConfig.ready()."""
    from assessments.signals import unit_unlocked

    unit_unlocked.connect(_on_unit_unlocked, dispatch_uid="verification.void_sign_offs")
