"""Registering a learner with the awarding body within its stated period after the start.

Ascentis specification L249: "All learners must normally be registered with Ascentis within
seven weeks of commencement of a course" (qualifications.AwardingBody.registration_days = 49,
registration_rule quotes it). "Normally": a late registration is flagged, never refused. The
registration itself happens in the body's own portal; the centre records its date and number
here. Bodies whose document states no period have registration_days null: nothing is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from core.audit import record_event
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import AwardingBody


class AwardingBodyRegistrationError(Exception):
    """A record the rules refuse; the message is for the centre admin."""


# A registration that may still need registering with the body: the learner is working on it.
PENDING = Q(status=RegistrationStatus.ACTIVE, awarding_body_registered_on__isnull=True)


@dataclass(frozen=True)
class Standing:
    """Where one registration stands with its awarding body's registration period."""

    state: str  # "registered", "registered late", "due", "overdue" or "" (no period)
    due_on: date | None
    rule: str

    @property
    def flagged(self) -> bool:
        return self.state in {"overdue", "registered late"}


def due_on(registration: Registration) -> date | None:
    days = registration.qualification.awarding_body.registration_days
    return None if days is None else registration.start_date + timedelta(days=days)


def standing(registration: Registration, today: date | None = None) -> Standing:
    """Reads the registration's qualification's awarding body (select_related it)."""
    today = today or timezone.localdate()
    body = registration.qualification.awarding_body
    due = due_on(registration)
    registered = registration.awarding_body_registered_on
    if due is None:
        return Standing("registered" if registered else "", None, body.registration_rule)
    if registered is not None:
        state = "registered late" if registered > due else "registered"
    elif registration.status != RegistrationStatus.ACTIVE:
        state = ""
    else:
        state = "overdue" if today > due else "due"
    return Standing(state, due, body.registration_rule)


def periods() -> list[AwardingBody]:
    """The bodies that state a registration period (one query; the catalogue has a handful)."""
    return list(AwardingBody.objects.filter(registration_days__isnull=False).order_by("name"))


def overdue_q(bodies: list[AwardingBody], today: date | None = None) -> Q:
    """Active registrations not yet registered with their body whose period has run out."""
    today = today or timezone.localdate()
    late = Q(pk__in=[])
    for body in bodies:
        days = body.registration_days or 0
        late |= Q(qualification__awarding_body=body, start_date__lt=today - timedelta(days=days))
    return PENDING & late


def due_q(bodies: list[AwardingBody], today: date | None = None) -> Q:
    """Active registrations not yet registered with their body, still within its period."""
    today = today or timezone.localdate()
    within = Q(pk__in=[])
    for body in bodies:
        days = body.registration_days or 0
        within |= Q(qualification__awarding_body=body, start_date__gte=today - timedelta(days=days))
    return PENDING & within


def record(
    *, actor: User, registration: Registration, number: str, registered_on: date
) -> Standing:
    """Record the body's registration number and date. Late is allowed ("normally") and said."""
    if not actor.has_perm("portfolios.manage_registration", registration):
        raise AwardingBodyRegistrationError(
            "Only the centre's admins record a learner's registration with the awarding body."
        )
    number = number.strip()
    if not number:
        raise AwardingBodyRegistrationError("Give the awarding body's registration number.")
    if registered_on > timezone.localdate():
        raise AwardingBodyRegistrationError(
            "The awarding body's registration date cannot be in the future: record it once the "
            "body has registered the learner."
        )
    with transaction.atomic():
        locked = Registration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
        before = (locked.awarding_body_number, locked.awarding_body_registered_on)
        locked.awarding_body_number = number
        locked.awarding_body_registered_on = registered_on
        locked.save(update_fields=["awarding_body_number", "awarding_body_registered_on"])
        registration.awarding_body_number = number
        registration.awarding_body_registered_on = registered_on
        result = standing(registration)
        record_event(
            actor=actor,
            action="registration.awarding_body_registered",
            target=locked,
            centre_id=locked.centre_id,
            data={
                "number": number,
                "registered_on": registered_on.isoformat(),
                "before": [before[0], before[1].isoformat() if before[1] else None],
                "due_on": result.due_on.isoformat() if result.due_on else None,
                "late": result.state == "registered late",
            },
        )
    return result
