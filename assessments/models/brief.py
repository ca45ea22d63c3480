"""Assignment briefs (Pearson BTEC knowledge units): written by an assessor for a qualification's
unit at a centre, issued to its learners with a start date and a hand-in date; per learner,
authorised extensions and the hand-ins (first attempt and resubmissions).

Pearson BTEC Level 3 Certificate and Diploma for Customer Service Specialists, section 8
"Assessment of knowledge units using assignments": "An assignment is issued to learners as an
assignment brief with a defined start date, a completion date and clear requirements for the
evidence that they need to provide." The rules are enforced in assessments.briefs.

Nothing here is edited or deleted once issued: a brief is withdrawn, an extension is followed by a
later one, a resubmission is a new hand-in beside the first.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.lifecycle import Lifecycle
from core.limits import length_checks


class BriefStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    WITHDRAWN = "withdrawn", "Withdrawn"


BRIEF_LIFECYCLE = Lifecycle(
    field="status",
    choices=BriefStatus,
    moves={
        BriefStatus.DRAFT: {BriefStatus.ISSUED, BriefStatus.WITHDRAWN},
        BriefStatus.ISSUED: {BriefStatus.WITHDRAWN},
        BriefStatus.WITHDRAWN: set(),
    },
)


class AssignmentBriefQuerySet(models.QuerySet["AssignmentBrief"]):
    def visible_to(self, user: Any) -> AssignmentBriefQuerySet:
        """Mirrors assessments.rules.can_view_brief: the centre's assessors, IVs and admins;
        an EQA within their grant (its qualification limit); a learner, the issued briefs of
        the qualification they are registered on at that centre. Nothing across centres."""
        from accounts.access import centre_ids, eqa_scope
        from accounts.models import Role
        from portfolios.models import Registration

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        staff = Role.ASSESSOR, Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN
        own = Registration.objects.filter(
            learner_id=user.pk,
            centre_id=models.OuterRef("centre_id"),
            qualification_id=models.OuterRef("qualification_id"),
        )
        return self.filter(
            Q(centre_id__in=centre_ids(user, *staff))
            | eqa_scope(user)
            | Q(models.Exists(own), status=BriefStatus.ISSUED)
        )


class AssignmentBrief(models.Model):
    centre = models.ForeignKey("accounts.Centre", on_delete=models.PROTECT, related_name="+")
    qualification = models.ForeignKey(
        "qualifications.Qualification", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("qualifications.Unit", on_delete=models.PROTECT, related_name="+")
    # Whole learning outcomes: "A learning outcome must always be assessed as a whole and should
    # not be split into two or more assignments", so a brief names outcomes, never loose criteria.
    outcomes = models.ManyToManyField("qualifications.LearningOutcome", related_name="+")
    title = models.CharField(max_length=200)
    scenario = models.TextField("vocational scenario or context", max_length=5_000)
    audience = models.CharField("audience or purpose of the evidence", max_length=500)
    tasks = models.TextField("tasks and the evidence to provide", max_length=10_000)
    start_date = models.DateField()
    hand_in_date = models.DateField("completion (hand-in) date")
    status = models.CharField(max_length=10, choices=BriefStatus.choices, default=BriefStatus.DRAFT)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True, max_length=2_000)

    objects = AssignmentBriefQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]
        constraints = [
            *length_checks(
                title=200, scenario=5_000, audience=500, tasks=10_000, withdrawn_reason=2_000
            ),
            models.CheckConstraint(
                condition=Q(hand_in_date__gt=models.F("start_date")),
                name="assessments_brief_hand_in_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status=BriefStatus.ISSUED) | Q(issued_at__isnull=False),
                name="assessments_brief_issued_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class BriefExtension(models.Model):
    """An authorised extension of one learner's hand-in date. The latest one is in force; an
    earlier one stays as it was."""

    brief = models.ForeignKey(AssignmentBrief, on_delete=models.PROTECT, related_name="extensions")
    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="+"
    )
    hand_in_date = models.DateField("new hand-in date")
    reason = models.TextField("legitimate reason", max_length=2_000)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    authorised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["authorised_at", "pk"]
        constraints = [
            *length_checks(reason=2_000),
            models.CheckConstraint(condition=~Q(reason=""), name="assessments_extension_reason"),
        ]

    def __str__(self) -> str:
        return f"Extension to {self.hand_in_date} ({self.registration_id})"


class HandInKind(models.TextChoices):
    FIRST = "first", "First submission"
    RESUBMISSION = "resubmission", "Resubmission"


class BriefHandIn(models.Model):
    """A learner's submitted evidence handed in against a brief: the first attempt, then any
    resubmission. Whether it was late is fixed when it is handed in."""

    brief = models.ForeignKey(AssignmentBrief, on_delete=models.PROTECT, related_name="hand_ins")
    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="+"
    )
    evidence = models.OneToOneField(
        "portfolios.Evidence", on_delete=models.PROTECT, related_name="brief_hand_in"
    )
    attempt = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=HandInKind.choices)
    # The hand-in date in force (the brief's, or the latest extension's) when it was handed in.
    due_date = models.DateField()
    late = models.BooleanField(default=False)
    handed_in_at = models.DateTimeField(default=timezone.now)
    handed_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["attempt", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["brief", "registration", "attempt"], name="assessments_hand_in_attempt"
            ),
            models.CheckConstraint(
                condition=Q(attempt=1, kind=HandInKind.FIRST)
                | Q(attempt__gt=1, kind=HandInKind.RESUBMISSION),
                name="assessments_hand_in_kind_matches_attempt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.brief_id} ({self.registration_id})"
