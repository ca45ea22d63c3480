"""Off-the-job training: the hours an apprentice spends learning away from their normal work,
logged by the apprentice and approved or queried by the registration's assessor or IV.

Anchored on the registration (the programme record, when there is one, is one-to-one with it and
supplies the planned hours: portfolios.off_the_job.planned_hours_for). An approved entry is
never edited or deleted; a queried one is corrected by the learner in place, and the correction
is written to the audit log with the old and new values (portfolios.off_the_job.correct), so its
history stays in one chain with every other state change.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.lifecycle import Lifecycle
from core.limits import length_checks
from portfolios.models.registration import Registration


class OffTheJobKind(models.TextChoices):
    # Off-the-job by their nature (the funding rules' examples).
    TEACHING = "teaching", "Teaching or lecture"
    PRACTICAL = "practical", "Practical training or shadowing"
    MENTORING = "mentoring", "Mentoring"
    LEARNING_SUPPORT = "learning_support", "Learning support"
    ONLINE = "online", "Online learning"
    SELF_STUDY = "self_study", "Self-study or research"
    INDUSTRY_VISIT = "industry_visit", "Industry visit"
    COMPETITION = "competition", "Competition"
    ASSIGNMENT = "assignment", "Writing assignments"
    # Never off-the-job (the funding rules' exclusions): offered so the learner is told why,
    # refused by the service and never saved (portfolios.off_the_job.REFUSED).
    ENGLISH_MATHS = "english_maths", "English and maths"
    INITIAL_ASSESSMENT = "initial_assessment", "Initial assessment"
    PROGRESS_REVIEW = "progress_review", "Progress review"
    EXAM = "exam", "End-point assessment or exams"
    OUTSIDE_PAID_HOURS = "outside_paid_hours", "Training outside paid hours"


class OffTheJobStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    QUERIED = "queried", "Queried"


# An approved entry stands for good; a queried one goes back to submitted once corrected.
OFF_THE_JOB_LIFECYCLE = Lifecycle(
    field="status",
    choices=OffTheJobStatus,
    moves={
        OffTheJobStatus.SUBMITTED: {OffTheJobStatus.APPROVED, OffTheJobStatus.QUERIED},
        OffTheJobStatus.QUERIED: {OffTheJobStatus.SUBMITTED},
        OffTheJobStatus.APPROVED: set(),
    },
)

MAX_HOURS_PER_DAY = Decimal("24")


class OffTheJobActivity(models.Model):
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="off_the_job"
    )
    date = models.DateField()
    hours = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(MAX_HOURS_PER_DAY)],
    )
    kind = models.CharField(max_length=30, choices=OffTheJobKind.choices)
    description = models.TextField(max_length=2_000)
    statements = models.ManyToManyField(
        "qualifications.Statement", blank=True, related_name="+", verbose_name="KSBs served"
    )
    evidence = models.ForeignKey(
        "portfolios.Evidence", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=OffTheJobStatus.choices, default=OffTheJobStatus.SUBMITTED
    )
    logged_at = models.DateTimeField(default=timezone.now)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    query_reason = models.TextField(blank=True, max_length=2_000)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name_plural = "off-the-job activities"
        indexes = [models.Index(fields=["registration", "date"])]
        constraints = [
            *length_checks(description=2_000, query_reason=2_000),
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24), name="portfolios_otj_hours_in_day"
            ),
            # A query always says what is wrong.
            models.CheckConstraint(
                condition=~Q(status="queried") | ~Q(query_reason=""),
                name="portfolios_otj_query_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hours} h {self.get_kind_display()} on {self.date}"
