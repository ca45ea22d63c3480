"""Recording standardisation meetings: create, change while draft, add decisions, finalise.

Each change is one transaction with its audit event. A finalised meeting never changes, and
nothing is deleted (see verification/models/standardisation.py for why draft-then-finalise).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import rules
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import STAFF_ROLES, Centre, Membership, User
from core.audit import record_event
from qualifications.models import Qualification, Unit
from verification.models.standardisation import (
    MEETING_LIFECYCLE,
    MeetingStatus,
    StandardisationMeeting,
    StandardisationOutcome,
)


class StandardisationError(Exception):
    """A change the rules refuse; the message is for the person recording the meeting."""


def staff_at(centre_id: int) -> Any:
    """The people who may be named as attendees or action owners: current staff at the centre."""
    return User.objects.filter(
        pk__in=Membership.objects.current()
        .filter(centre_id=centre_id, role__in=STAFF_ROLES)
        .values("user_id")
    ).order_by("full_name", "pk")


def _require_recorder(actor: User, centre_id: int) -> None:
    # Internal verifiers and centre admins at the centre record standardisation meetings.
    if not rules.test_rule("verification.record_standardisation", actor, centre_id):
        raise StandardisationError(
            "Only an internal verifier or a centre admin at this centre may record "
            "standardisation meetings."
        )


def _require_draft(meeting: StandardisationMeeting) -> StandardisationMeeting:
    # Lock the row: a decision added while someone else finalises must not slip in after.
    locked = StandardisationMeeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.status != MeetingStatus.DRAFT:
        raise StandardisationError("This meeting is finalised: its record can no longer change.")
    return locked


def _check_details(
    *, centre: Centre, qualification: Qualification, held_on: date, attendees: Iterable[User]
) -> list[User]:
    if not centre.qualifications.filter(pk=qualification.pk).exists():
        raise StandardisationError(f"{centre.name} does not offer {qualification.number}.")
    if held_on > timezone.localdate():
        raise StandardisationError(
            "A meeting is recorded once it has been held: the date cannot be in the future."
        )
    people = list(attendees)
    staff = set(
        staff_at(centre.pk).filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True)
    )
    strangers = [p.get_full_name() or p.email for p in people if p.pk not in staff]
    if strangers:
        raise StandardisationError(
            f"Not staff at {centre.name}: {', '.join(strangers)}. "
            "Name people from outside the centre under other attendees."
        )
    return people


def _snapshot(meeting: StandardisationMeeting, attendee_ids: list[int]) -> dict[str, Any]:
    return {
        "qualification": meeting.qualification_id,
        "title": meeting.title,
        "held_on": meeting.held_on.isoformat(),
        "location": meeting.location,
        "notes": meeting.notes,
        "attendees": sorted(attendee_ids),
        "external_attendees": meeting.external_names(),
    }


@transaction.atomic
def create_meeting(
    *,
    actor: User,
    centre: Centre,
    qualification: Qualification,
    title: str,
    held_on: date,
    attendees: Iterable[User] = (),
    external_attendees: str = "",
    location: str = "",
    notes: str = "",
) -> StandardisationMeeting:
    _require_recorder(actor, centre.pk)
    people = _check_details(
        centre=centre, qualification=qualification, held_on=held_on, attendees=attendees
    )
    meeting = StandardisationMeeting.objects.create(
        centre=centre,
        qualification=qualification,
        title=title.strip(),
        held_on=held_on,
        location=location.strip(),
        notes=notes.strip(),
        external_attendees=external_attendees.strip(),
        recorded_by=actor,
    )
    meeting.attendees.set(people)
    record_event(
        actor=actor,
        action="verification.standardisation_recorded",
        target=meeting,
        centre_id=centre.pk,
        data=_snapshot(meeting, [p.pk for p in people]),
    )
    return meeting


@transaction.atomic
def update_meeting(
    *,
    actor: User,
    meeting: StandardisationMeeting,
    qualification: Qualification,
    title: str,
    held_on: date,
    attendees: Iterable[User] = (),
    external_attendees: str = "",
    location: str = "",
    notes: str = "",
) -> StandardisationMeeting:
    """Correct a draft meeting's details; the audit event keeps what it said before."""
    _require_recorder(actor, meeting.centre_id)
    locked = _require_draft(meeting)
    people = _check_details(
        centre=meeting.centre, qualification=qualification, held_on=held_on, attendees=attendees
    )
    if (
        qualification.pk != locked.qualification_id
        and locked.outcomes.filter(units__isnull=False).exists()
    ):
        raise StandardisationError(
            "Decisions already name units of this qualification: the qualification cannot change."
        )
    before = _snapshot(locked, list(locked.attendees.values_list("pk", flat=True)))
    locked.qualification = qualification
    locked.title = title.strip()
    locked.held_on = held_on
    locked.location = location.strip()
    locked.notes = notes.strip()
    locked.external_attendees = external_attendees.strip()
    locked.save(
        update_fields=[
            "qualification",
            "title",
            "held_on",
            "location",
            "notes",
            "external_attendees",
        ]
    )
    locked.attendees.set(people)
    record_event(
        actor=actor,
        action="verification.standardisation_changed",
        target=locked,
        centre_id=locked.centre_id,
        data={"before": before, "after": _snapshot(locked, [p.pk for p in people])},
    )
    return locked


@transaction.atomic
def add_outcome(
    *,
    actor: User,
    meeting: StandardisationMeeting,
    decision: str,
    units: Iterable[Unit] = (),
    action_owner: User | None = None,
    action_due: date | None = None,
) -> StandardisationOutcome:
    _require_recorder(actor, meeting.centre_id)
    locked = _require_draft(meeting)
    decision = decision.strip()
    if not decision:
        raise StandardisationError("Say what the meeting decided.")
    chosen = list(units)
    offered = set(
        Unit.objects.filter(
            memberships__qualification_id=locked.qualification_id,
            pk__in=[u.pk for u in chosen],
        ).values_list("pk", flat=True)
    )
    outside = [u.reference or u.key for u in chosen if u.pk not in offered]
    if outside:
        raise StandardisationError(
            f"Not units of the meeting's qualification: {', '.join(outside)}."
        )
    if action_due is not None and action_owner is None:
        raise StandardisationError("Say who owns the action that is due.")
    if (
        action_owner is not None
        and not staff_at(locked.centre_id).filter(pk=action_owner.pk).exists()
    ):
        raise StandardisationError(
            f"{action_owner.get_full_name()} is not staff at this centre and cannot own the action."
        )
    last = locked.outcomes.aggregate(last=Max("position"))["last"] or 0
    outcome = StandardisationOutcome.objects.create(
        meeting=locked,
        position=last + 1,
        decision=decision,
        action_owner=action_owner,
        action_due=action_due,
        recorded_by=actor,
    )
    outcome.units.set(chosen)
    record_event(
        actor=actor,
        action="verification.standardisation_decision_added",
        target=outcome,
        centre_id=locked.centre_id,
        data={
            "meeting": locked.pk,
            "position": outcome.position,
            "decision": decision,
            "units": sorted(u.key for u in chosen),
            "action_owner": action_owner.pk if action_owner else None,
            "action_due": action_due.isoformat() if action_due else None,
        },
    )
    return outcome


@transaction.atomic
def finalise_meeting(*, actor: User, meeting: StandardisationMeeting) -> StandardisationMeeting:
    """Lock the record: from now on it is what the centre shows its EQA."""
    _require_recorder(actor, meeting.centre_id)
    locked = _require_draft(meeting)
    if not locked.attendees.exists() and not locked.external_names():
        raise StandardisationError("Record who attended before finalising the meeting.")
    count = locked.outcomes.count()
    if not count:
        raise StandardisationError("Record at least one decision before finalising the meeting.")
    locked.finalised_by = actor
    locked.finalised_at = timezone.now()
    MEETING_LIFECYCLE.move(
        locked,
        MeetingStatus.FINALISED,
        actor=actor,
        action="verification.standardisation_finalised",
        centre_id=locked.centre_id,
        data={"decisions": count},
        update_fields=["finalised_by", "finalised_at"],
    )
    return locked
