"""Recording the awarding body's prior agreement to assess by simulation (SFJ Awards, handbook
section 4.7). One function per change, in one transaction with its audit event; an agreement is
never edited. The rule that evidence by simulation needs one is in portfolios.environment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import rules
from django.db import transaction
from django.utils import timezone

from accounts.models import Centre, User
from core.audit import record_event
from portfolios.environment import REAL_WORK_RULE, SIMULATION_RULE
from portfolios.models import SimulationAgreement, SimulationCircumstance
from qualifications.models import Qualification, Unit


class SimulationAgreementError(Exception):
    """The agreement cannot be recorded; the message names the rule and its source."""


def who_records(qualification: Qualification | None = None) -> str:
    source = f" ({qualification.simulation_rule})" if qualification else ""
    return (
        f"{SIMULATION_RULE}: only the centre contact (a centre admin) records the awarding "
        f"body's agreement to a simulation{source}."
    )


@transaction.atomic
def record_simulation_agreement(
    *,
    actor: User,
    centre: Centre,
    qualification: Qualification,
    units: Iterable[Unit],
    circumstance: str,
    agreed_by: str,
    agreed_on: date,
    reference: str,
    arrangements: str,
) -> SimulationAgreement:
    """Record that the awarding body agreed, before use, to simulation for these units."""
    if not rules.test_rule("portfolios.record_simulation_agreement", actor, centre):
        raise SimulationAgreementError(who_records(qualification))
    if not qualification.simulation_rule:
        raise SimulationAgreementError(
            f"{qualification.number}'s specification asks for no agreement to simulation; "
            "nothing to record."
        )
    if not centre.qualifications.filter(pk=qualification.pk).exists():
        raise SimulationAgreementError(f"{centre.name} does not offer {qualification.number}.")
    if circumstance not in SimulationCircumstance.values:
        raise SimulationAgreementError(
            f"{SIMULATION_RULE}: choose one of the circumstances the specification allows "
            f"({qualification.simulation_rule})."
        )
    agreed_by, reference = " ".join(agreed_by.split()), reference.strip()
    if not agreed_by or not reference or not arrangements.strip():
        raise SimulationAgreementError(
            "Say who agreed at the awarding body, its reference, and the arrangements agreed."
        )
    if agreed_on > timezone.localdate():
        raise SimulationAgreementError("The date agreed cannot be in the future.")
    units = list(units)
    if not units:
        raise SimulationAgreementError("Choose the units the agreement covers.")
    offered = set(
        Unit.objects.filter(memberships__qualification=qualification).values_list("pk", flat=True)
    )
    outside = sorted(u.reference or u.key for u in units if u.pk not in offered)
    if outside:
        raise SimulationAgreementError(
            f"Not units of {qualification.number}: {', '.join(outside)}."
        )
    real_work = sorted(u.reference or u.key for u in units if u.real_work_only)
    if real_work:
        raise SimulationAgreementError(
            f"{REAL_WORK_RULE}: {', '.join(real_work)} must be achieved in real work (paid or "
            "voluntary); no agreement makes simulation count towards them."
        )
    agreement = SimulationAgreement.objects.create(
        centre=centre,
        qualification=qualification,
        circumstance=circumstance,
        agreed_by=agreed_by,
        agreed_on=agreed_on,
        reference=reference,
        arrangements=arrangements.strip(),
        recorded_by=actor,
    )
    agreement.units.set(units)
    record_event(
        actor=actor,
        action="simulation_agreement.recorded",
        target=agreement,
        centre_id=centre.pk,
        data={
            "qualification": qualification.number,
            "units": sorted(u.reference or u.key for u in units),
            "circumstance": circumstance,
            "agreed_by": agreed_by,
            "agreed_on": agreed_on.isoformat(),
            "reference": reference,
        },
    )
    return agreement


@transaction.atomic
def withdraw_simulation_agreement(
    *, actor: User, agreement: SimulationAgreement, withdrawn_on: date, reason: str
) -> SimulationAgreement:
    """The awarding body ended the agreement: from `withdrawn_on` it covers no more evidence.

    Kept on record, unchanged otherwise: evidence dated before then still rests on it, and the
    history shows both the agreement and its end."""
    # Locked, so two admins withdrawing at once cannot both write (the second is told).
    agreement = SimulationAgreement.objects.select_for_update().get(pk=agreement.pk)
    if not rules.test_rule("portfolios.record_simulation_agreement", actor, agreement.centre):
        raise SimulationAgreementError(who_records(agreement.qualification))
    if agreement.withdrawn_on is not None:
        raise SimulationAgreementError(
            f"Simulation agreement {agreement.reference} was already withdrawn from "
            f"{agreement.withdrawn_on:%-d %B %Y}."
        )
    reason = reason.strip()
    if not reason:
        raise SimulationAgreementError(
            "Say why the agreement ends (for example, what the awarding body said and when)."
        )
    if withdrawn_on < agreement.agreed_on:
        raise SimulationAgreementError(
            f"An agreement cannot end before it was made ({agreement.agreed_on:%-d %B %Y})."
        )
    if withdrawn_on > timezone.localdate():
        raise SimulationAgreementError("The date it ends cannot be in the future.")
    agreement.withdrawn_on = withdrawn_on
    agreement.withdrawn_by = actor
    agreement.withdrawal_reason = reason
    agreement.save(update_fields=["withdrawn_on", "withdrawn_by", "withdrawal_reason"])
    record_event(
        actor=actor,
        action="simulation_agreement.withdrawn",
        target=agreement,
        centre_id=agreement.centre_id,
        data={
            "reference": agreement.reference,
            "withdrawn_on": withdrawn_on.isoformat(),
            "reason": reason,
        },
    )
    return agreement
