"""Recording a credit transfer: a unit the learner already achieved elsewhere, identical to one
of this registration's units (the same unit reference number), counted as achieved here for the
rules of combination and progress.

SFJ Awards specification section 2.8 (L227): "Credits from identical units that have already
been achieved by the learner may be transferred." Only a body whose document allows it
(qualifications.AwardingBody.credit_transfer) takes one; every refusal quotes its rule. Here,
not in portfolios, because where a unit was signed off (the earlier registration's UnitSignOff)
is this app's record.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from assessments.models import UnitSignOff
from assessments.services import mark_complete_if_done
from core.audit import record_event
from portfolios.models import CreditTransfer, Registration, RegistrationStatus, RegistrationUnit
from portfolios.readmodel import refresh_progress
from portfolios.services import reopen
from qualifications.models import Unit


class CreditTransferError(Exception):
    """A transfer the rules refuse; the message names the rule and its source."""


def record_credit_transfer(
    *,
    actor: User,
    registration: Registration,
    unit: Unit,
    source_unit_reference: str,
    achieved_on: date | None = None,
    source_registration: Registration | None = None,
    certificate_reference: str = "",
    awarded_by: str = "",
) -> CreditTransfer:
    """Credit `unit` to the registration from an identical unit achieved before: signed off on
    the learner's `source_registration` at this centre, or on a certificate from elsewhere."""
    if not actor.has_perm("portfolios.manage_registration", registration):
        raise CreditTransferError("Only the centre's admins record a credit transfer.")
    body = registration.qualification.awarding_body
    rule = body.credit_transfer_rule or f"{body.name}'s document does not provide for it."
    if not body.credit_transfer:
        raise CreditTransferError(f"{body.name} does not let a centre transfer credit: {rule}")
    if registration.status != RegistrationStatus.ACTIVE:
        raise CreditTransferError("Credit is transferred into an active registration only.")
    label = unit.reference or unit.key
    if not RegistrationUnit.objects.filter(registration=registration, unit=unit).exists():
        raise CreditTransferError(
            f"Unit {label} is not one of the learner's units: choose it first."
        )
    if not unit.reference:
        raise CreditTransferError(
            f"Unit {unit.key} has no unit reference number, so no unit can be shown identical "
            f"to it. {rule}"
        )
    reference = source_unit_reference.strip().upper()
    if reference != unit.reference.upper():
        raise CreditTransferError(
            f"Unit {reference or '(none given)'} is not identical to unit {unit.reference} "
            f"({unit.title}): only identical units transfer. {rule}"
        )
    if UnitSignOff.objects.active().filter(registration=registration, unit=unit).exists():
        raise CreditTransferError(f"Unit {label} is already signed off on this registration.")
    if source_registration is not None:
        if (
            source_registration.pk == registration.pk
            or source_registration.learner_id != registration.learner_id
            or source_registration.centre_id != registration.centre_id
        ):
            raise CreditTransferError(
                "The earlier registration must be this learner's own, at this centre."
            )
        earlier = (
            UnitSignOff.objects.active()
            .filter(registration=source_registration, unit__reference__iexact=reference)
            .first()
        )
        if earlier is None:
            raise CreditTransferError(
                f"Unit {reference} is not signed off on the learner's earlier registration: "
                f"only a unit already achieved transfers. {rule}"
            )
        achieved_on = timezone.localdate(earlier.signed_at)
    else:
        if not certificate_reference.strip():
            raise CreditTransferError(
                "Give the certificate's number (or another reference to the evidence of the "
                "earlier achievement), or choose the learner's earlier registration here."
            )
        if achieved_on is None:
            raise CreditTransferError("Give the date the unit was achieved.")
    if achieved_on > timezone.localdate():
        raise CreditTransferError("A unit achieved in the future cannot be transferred.")
    try:
        with transaction.atomic():
            refresh_progress(registration)  # takes the row's lock before the audit event
            transfer = CreditTransfer.objects.create(
                registration=registration,
                unit=unit,
                source_registration=source_registration,
                source_unit_reference=reference,
                certificate_reference=certificate_reference.strip(),
                awarded_by=awarded_by.strip(),
                achieved_on=achieved_on,
                recorded_by=actor,
            )
            refresh_progress(registration)
            record_event(
                actor=actor,
                action="unit.credit_transferred",
                target=transfer,
                centre_id=registration.centre_id,
                data={
                    "registration": registration.pk,
                    "unit": unit.reference,
                    "source_registration": source_registration.pk if source_registration else None,
                    "certificate": transfer.certificate_reference,
                    "awarded_by": transfer.awarded_by,
                    "achieved_on": achieved_on.isoformat(),
                    "rule": rule,
                },
            )
            mark_complete_if_done(actor=actor, registration=registration)
    except IntegrityError as exc:
        raise CreditTransferError(
            f"Unit {label} is already credited to this registration."
        ) from exc
    return transfer


def withdraw_credit_transfer(
    *, actor: User, transfer: CreditTransfer, reason: str
) -> CreditTransfer:
    """Withdraw a transfer recorded in error (kept, with who, when and why). A registration it
    had completed is active again: the unit must be achieved here instead."""
    registration = transfer.registration
    if not actor.has_perm("portfolios.manage_registration", registration):
        raise CreditTransferError("Only the centre's admins withdraw a credit transfer.")
    if not reason.strip():
        raise CreditTransferError("Say why the credit transfer is withdrawn.")
    if registration.status not in (RegistrationStatus.ACTIVE, RegistrationStatus.COMPLETE):
        raise CreditTransferError(
            f"The registration is {registration.get_status_display().lower()}: a credit "
            "transfer it was claimed with stays."
        )
    with transaction.atomic():
        refresh_progress(registration)  # the row's lock before the audit event
        locked = CreditTransfer.objects.select_for_update().get(pk=transfer.pk)
        if locked.withdrawn_at is not None:
            raise CreditTransferError("This credit transfer is already withdrawn.")
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = actor
        locked.withdrawal_reason = reason.strip()
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        refresh_progress(registration)
        record_event(
            actor=actor,
            action="unit.credit_transfer_withdrawn",
            target=locked,
            centre_id=registration.centre_id,
            data={"reason": locked.withdrawal_reason},
        )
        reopen(
            actor=actor,
            registration=registration,
            reason=f"Credit transfer withdrawn: {locked.withdrawal_reason}",
        )
    return locked
