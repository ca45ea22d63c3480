"""Standardisation records: the meetings where a centre's assessors and verifiers agree how they
judge a qualification, who attended, and the decisions they reached.

A meeting is a draft while its minutes are written (its details and attendees may still change
and decisions are added, each change audited), then it is finalised and never changes again.
We chose draft-then-finalise over amendments because minutes are built up piece by piece
after the meeting; once the centre signs them off they are the record an EQA reads, so the lock
is what matters.
Nothing is ever deleted: there is no delete service, and the foreign keys PROTECT.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.lifecycle import Lifecycle
from core.limits import length_checks


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    FINALISED = "finalised", "Finalised"


# A finalised record is what the centre shows its EQA: it does not change again.
MEETING_LIFECYCLE = Lifecycle(
    field="status",
    choices=MeetingStatus,
    moves={MeetingStatus.DRAFT: {MeetingStatus.FINALISED}, MeetingStatus.FINALISED: set()},
)


# Who may read a centre's standardisation records in full; assessors read those they attended.
def _reader_roles() -> tuple[str, ...]:
    from accounts.models import Role

    return (Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN, Role.EQA)


class StandardisationMeetingQuerySet(models.QuerySet["StandardisationMeeting"]):
    def visible_to(self, user: Any) -> StandardisationMeetingQuerySet:
        """Meetings at any centre where the person holds a role: the views then say who may read
        (learners, and assessors who did not attend, get 403); other centres' meetings are not
        found (404)."""
        from accounts.access import centre_ids
        from accounts.models import Role

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(centre_id__in=centre_ids(user, *Role.values))

    def readable_by(self, user: Any) -> StandardisationMeetingQuerySet:
        """The meetings the person may open: every one at centres where they verify, administer
        or quality-assure; as an assessor only those they attended."""
        from accounts.access import centre_ids
        from accounts.models import Role

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        from accounts.access import eqa_scope

        # An EQA reads only within their grant, which may be limited to some qualifications.
        return self.filter(
            Q(centre_id__in=centre_ids(user, Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN))
            | eqa_scope(user)
            | Q(centre_id__in=centre_ids(user, Role.ASSESSOR), attendees=user)
        ).distinct()


class StandardisationMeeting(models.Model):
    centre = models.ForeignKey(
        "accounts.Centre", on_delete=models.PROTECT, related_name="standardisation_meetings"
    )
    qualification = models.ForeignKey(
        "qualifications.Qualification", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("topic", max_length=200)
    held_on = models.DateField("held on")
    location = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True, max_length=10_000)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="standardisation_meetings", blank=True
    )
    # People from outside the centre (an employer's mentor, the EQA), one a line.
    external_attendees = models.TextField("other attendees", blank=True, max_length=2_000)
    status = models.CharField(
        max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finalised_at = models.DateTimeField(null=True, blank=True)

    objects = StandardisationMeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-pk"]
        constraints = [
            *length_checks(title=200, location=200, notes=10_000, external_attendees=2_000),
            models.CheckConstraint(
                condition=(Q(status="draft") & Q(finalised_at__isnull=True))
                | (Q(status="finalised") & Q(finalised_at__isnull=False)),
                name="verification_meeting_finalised_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on})"

    @property
    def is_draft(self) -> bool:
        return self.status == MeetingStatus.DRAFT

    def external_names(self) -> list[str]:
        return [line.strip() for line in self.external_attendees.splitlines() if line.strip()]


class StandardisationOutcome(models.Model):
    """A decision the meeting reached, in the order recorded."""

    meeting = models.ForeignKey(
        StandardisationMeeting, on_delete=models.PROTECT, related_name="outcomes"
    )
    position = models.PositiveIntegerField()
    decision = models.TextField("decision reached", max_length=5_000)
    units = models.ManyToManyField("qualifications.Unit", related_name="+", blank=True)
    action_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_due = models.DateField("action due by", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            *length_checks(decision=5_000),
            models.UniqueConstraint(
                fields=["meeting", "position"], name="verification_outcome_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Decision {self.position} of {self.meeting}"
