"""Holds on claims: something (malpractice, special consideration, an appeal) that stops a
registration, or one of its units, being claimed until it is released with a note. Nothing is
deleted: a released hold keeps its row, who released it and why."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from certification.models import ClaimError, ClaimHold
from certification.rules import may_manage_claims, may_open_hold
from core.audit import record_event
from portfolios.models import Registration, RegistrationUnit
from qualifications.models import Unit


def open_hold(
    *,
    actor: User,
    registration: Registration,
    kind: str,
    reason: str,
    unit: Unit | None = None,
) -> ClaimHold:
    """Block claims of the registration (or one unit of it) until the hold is released."""
    if not may_open_hold(actor, registration.centre_id):
        raise ClaimError("Only the centre's admins and internal verifiers open holds.")
    if not reason.strip():
        raise ClaimError("Say why the claim is held.")
    if (
        unit is not None
        and not RegistrationUnit.objects.filter(registration=registration, unit=unit).exists()
    ):
        raise ClaimError(f"Unit {unit.reference or unit.key} is not one of the learner's units.")
    with transaction.atomic():
        # Under the registration's lock, as adding to a claim is: a hold and a claim line
        # never both slip past each other.
        Registration.objects.select_for_update(of=("self",)).filter(pk=registration.pk).first()
        hold = ClaimHold.objects.create(
            registration=registration,
            unit=unit,
            kind=kind,
            reason=reason.strip(),
            opened_by=actor,
        )
        record_event(
            actor=actor,
            action="claim.hold_opened",
            target=hold,
            centre_id=registration.centre_id,
            data={
                "registration": registration.pk,
                "unit": unit.pk if unit else None,
                "kind": kind,
                "reason": hold.reason,
            },
        )
    return hold


def release_hold(*, actor: User, hold: ClaimHold, note: str) -> ClaimHold:
    with transaction.atomic():
        hold = (
            ClaimHold.objects.select_for_update(of=("self",))
            .select_related("registration")
            .get(pk=hold.pk)
        )
        if not may_manage_claims(actor, hold.registration.centre_id):
            raise ClaimError("Only the centre's admins release holds.")
        if not note.strip():
            raise ClaimError("Say why the hold is released.")
        if hold.released_at is not None:
            raise ClaimError("This hold is already released.")
        if hold.case_id is not None:
            # The case decides: its hold goes when it is decided or withdrawn, never before.
            raise ClaimError(
                f"This hold stands for case {hold.case_id}: it is released when the case is "
                "decided or withdrawn."
            )
        hold.released_at = timezone.now()
        hold.released_by = actor
        hold.release_note = note.strip()
        hold.save(update_fields=["released_at", "released_by", "release_note"])
        record_event(
            actor=actor,
            action="claim.hold_released",
            target=hold,
            centre_id=hold.registration.centre_id,
            data={"note": hold.release_note},
        )
    return hold
