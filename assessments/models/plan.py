"""Assessment plans: activities the learner and assessor agree, with target dates and the
criteria they aim at, signed by both. An agreed plan is never edited; a revision supersedes it.

Re-exported by assessments/models/__init__.py, which Django imports for the app.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.limits import length_checks
from portfolios.models import EvidenceMethod


class AssessmentPlanQuerySet(models.QuerySet["AssessmentPlan"]):
    def visible_to(self, user: Any) -> AssessmentPlanQuerySet:
        """A plan follows its registration: whoever may see the portfolio may read its plans."""
        from portfolios.models import Registration

        return self.filter(registration__in=Registration.objects.visible_to(user))

    def agreed(self) -> AssessmentPlanQuerySet:
        return self.filter(assessor_signed_at__isnull=False, learner_signed_at__isnull=False)

    def in_force(self) -> AssessmentPlanQuerySet:
        """The agreed plans no later agreed plan of the same registration replaces.

        A revision stays a draft until both sign again; until then the earlier agreed plan is
        still the one the learner works to.
        """
        later = AssessmentPlan.objects.agreed().filter(
            registration=OuterRef("registration"),
            learner_signed_at__gt=OuterRef("learner_signed_at"),
        )
        return self.agreed().filter(~Exists(later))

    def waiting_for_signature(self) -> AssessmentPlanQuerySet:
        """The latest plan of each registration (none revises it) not yet agreed: a draft waits
        for the assessor's signature, a plan the assessor signed for the learner's."""
        return self.filter(superseded_by__isnull=True, learner_signed_at__isnull=True)

    def waiting_for_learner(self) -> AssessmentPlanQuerySet:
        """Signed by the assessor, not yet by the learner, and not revised since."""
        return self.waiting_for_signature().filter(assessor_signed_at__isnull=False)


class AssessmentPlan(models.Model):
    """Activities the learner and assessor agree, signed by both. An agreed plan is never
    edited: a revision is a new plan that supersedes it and says why."""

    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="plans"
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, max_length=5_000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    assessor_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assessor_signed_at = models.DateTimeField(null=True, blank=True)
    learner_signed_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the activities as the assessor signed them: what both signatures cover.
    content_hash = models.CharField(max_length=64, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    reason = models.TextField(
        blank=True, help_text="Why the earlier plan is revised.", max_length=2_000
    )

    objects = AssessmentPlanQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            *length_checks(title=200, summary=5_000, reason=2_000),
            # One first plan per registration, every revision supersedes exactly one: a line.
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(supersedes__isnull=True),
                name="assessments_one_first_plan",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(reason=""),
                name="assessments_plan_revision_has_reason",
            ),
            # The learner countersigns what the assessor signed, never the other way round.
            models.CheckConstraint(
                condition=Q(learner_signed_at__isnull=True) | Q(assessor_signed_at__isnull=False),
                name="assessments_plan_assessor_signs_first",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (registration {self.registration_id})"

    @property
    def is_draft(self) -> bool:
        return self.assessor_signed_at is None

    @property
    def is_agreed(self) -> bool:
        return self.assessor_signed_at is not None and self.learner_signed_at is not None

    @property
    def state(self) -> str:
        if self.is_draft:
            return "Draft"
        if not self.is_agreed:
            return "Signed by the assessor, waiting for the learner"
        return "Agreed"


class PlanActivityQuerySet(models.QuerySet["PlanActivity"]):
    def open(self) -> PlanActivityQuerySet:
        """Not done yet, in the plan in force."""
        return self.filter(
            completed_at__isnull=True, plan__in=AssessmentPlan.objects.in_force().values("pk")
        )

    def overdue(self, today: date) -> PlanActivityQuerySet:
        return self.open().filter(target_date__lt=today)

    def upcoming(self, today: date) -> PlanActivityQuerySet:
        """Open and not overdue: due today or later."""
        return self.open().filter(target_date__gte=today)


class PlanActivity(models.Model):
    plan = models.ForeignKey(AssessmentPlan, on_delete=models.PROTECT, related_name="activities")
    position = models.PositiveSmallIntegerField()
    description = models.TextField(max_length=2_000)
    method = models.CharField(max_length=30, choices=EvidenceMethod.choices)
    target_date = models.DateField()
    criteria = models.ManyToManyField(
        "qualifications.AssessmentCriterion", blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PlanActivityQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = "plan activities"
        constraints = [
            *length_checks(description=2_000),
            models.UniqueConstraint(
                fields=["plan", "position"], name="assessments_plan_activity_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}.{self.position}: {self.description[:40]}"

    def is_overdue(self, today: date) -> bool:
        """Only meaningful for the plan in force; callers check that."""
        return self.completed_at is None and self.target_date < today
