"""Internal verification: assessor risk ratings, the sampling strategy and the sampling plan.

Nothing here is deleted. A new risk rating supersedes the earlier one (the latest is current), a
strategy's changes are versioned and audited, and a planned sample that is taken out of a plan
keeps its row with who removed it, when and why.

"Assessment site" (the S of CAMERA): the platform records no site of its own; the learner's
workplace is the place the assessments happen, so a site is the learner's employer as held on
accounts.LearnerProfile.employer (blank: "No employer recorded").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.limits import length_checks


class RiskRating(models.TextChoices):
    NEW = "new", "New"
    TRAINEE = "trainee", "Trainee (working towards the assessor qualification)"
    UNDER_CONFIDENCE = "under_confidence", "Low confidence"
    EXPERIENCED = "experienced", "Experienced"


# An assessor nobody has rated yet is treated as new: sampled the most until someone judges them.
DEFAULT_RATING = RiskRating.NEW


class AssessorRiskRatingQuerySet(models.QuerySet["AssessorRiskRating"]):
    def current_for(self, centre_id: int) -> dict[int, AssessorRiskRating]:
        """The latest rating of each assessor at the centre (one query)."""
        latest: dict[int, AssessorRiskRating] = {}
        for rating in self.filter(centre_id=centre_id).order_by("set_at", "pk"):
            latest[rating.assessor_id] = rating
        return latest


class AssessorRiskRating(models.Model):
    """How closely an assessor's decisions are sampled at a centre. The latest row is current."""

    centre = models.ForeignKey(
        "accounts.Centre", on_delete=models.PROTECT, related_name="assessor_ratings"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="risk_ratings"
    )
    rating = models.CharField(max_length=20, choices=RiskRating.choices)
    reason = models.TextField(blank=True, max_length=2_000)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    objects = AssessorRiskRatingQuerySet.as_manager()

    class Meta:
        constraints = [*length_checks(reason=2_000)]
        ordering = ["set_at", "pk"]

    def __str__(self) -> str:
        return f"{self.assessor}: {self.get_rating_display()}"


def _percent() -> list[Any]:
    return [MinValueValidator(0), MaxValueValidator(100)]


class SamplingStrategyQuerySet(models.QuerySet["SamplingStrategy"]):
    def visible_to(self, user: Any) -> SamplingStrategyQuerySet:
        """Anyone with a role at the centre finds the strategy (the views then say who may act:
        learners and assessors get 403); people from other centres do not (404)."""
        from accounts.access import centre_ids
        from accounts.models import Role

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(centre_id__in=centre_ids(user, *Role.values))


class SamplingStrategy(models.Model):
    """How a centre samples assessment decisions on one qualification."""

    centre = models.ForeignKey(
        "accounts.Centre", on_delete=models.PROTECT, related_name="sampling_strategies"
    )
    qualification = models.ForeignKey(
        "qualifications.Qualification", on_delete=models.PROTECT, related_name="+"
    )
    # Share of each assessor's learners to sample, by the assessor's current risk rating.
    rate_new = models.PositiveSmallIntegerField(default=100, validators=_percent())
    rate_trainee = models.PositiveSmallIntegerField(default=100, validators=_percent())
    rate_under_confidence = models.PositiveSmallIntegerField(default=100, validators=_percent())
    rate_experienced = models.PositiveSmallIntegerField(default=25, validators=_percent())
    unit_share = models.PositiveSmallIntegerField(
        "share of units per sampled learner",
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    interim_required = models.BooleanField("interim sampling (part-way)", default=True)
    summative_required = models.BooleanField("summative sampling (at completion)", default=True)
    cover_every_assessor = models.BooleanField("every assessor sampled", default=True)
    cover_every_method = models.BooleanField("every assessment method sampled", default=True)
    cover_every_site = models.BooleanField("every assessment site sampled", default=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SamplingStrategyQuerySet.as_manager()

    class Meta:
        ordering = ["qualification__number"]
        verbose_name_plural = "sampling strategies"
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "qualification"], name="verification_one_strategy"
            ),
            models.CheckConstraint(
                condition=Q(rate_new__lte=100)
                & Q(rate_trainee__lte=100)
                & Q(rate_under_confidence__lte=100)
                & Q(rate_experienced__lte=100)
                & Q(unit_share__gte=1)
                & Q(unit_share__lte=100),
                name="verification_strategy_percentages",
            ),
        ]

    def __str__(self) -> str:
        return f"Sampling strategy for {self.qualification.number} at {self.centre.name}"

    def rate_for(self, rating: str) -> int:
        return int(getattr(self, f"rate_{rating}"))

    def settings_snapshot(self) -> dict[str, Any]:
        """What the audit trail keeps of each version."""
        return {name: getattr(self, name) for name in STRATEGY_SETTINGS}


STRATEGY_SETTINGS = (
    "rate_new",
    "rate_trainee",
    "rate_under_confidence",
    "rate_experienced",
    "unit_share",
    "interim_required",
    "summative_required",
    "cover_every_assessor",
    "cover_every_method",
    "cover_every_site",
)


class SamplingPlan(models.Model):
    """Samples drawn from a strategy for a period. The latest plan of a strategy is current."""

    strategy = models.ForeignKey(SamplingStrategy, on_delete=models.PROTECT, related_name="plans")
    # The strategy's version the plan was drawn from: a later change does not rewrite history.
    strategy_version = models.PositiveIntegerField()
    period_start = models.DateField()
    period_end = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="verification_plan_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Sampling plan {self.period_start} to {self.period_end}"


class SampleStage(models.TextChoices):
    INTERIM = "interim", "Interim"
    SUMMATIVE = "summative", "Summative"


class SampleSource(models.TextChoices):
    DRAWN = "drawn", "Drawn from the strategy"
    MANUAL = "manual", "Added by the verifier"


class PlannedSampleQuerySet(models.QuerySet["PlannedSample"]):
    def active(self) -> PlannedSampleQuerySet:
        return self.filter(removed_at__isnull=True)


class PlannedSample(models.Model):
    """One learner's work (a unit, or the whole portfolio) to be sampled, by whom and when."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="samples")
    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="planned_samples"
    )
    # Blank: the whole portfolio (summative samples look at everything).
    unit = models.ForeignKey(
        "qualifications.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Whose judgements the sample checks.
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(max_length=20, choices=SampleStage.choices)
    planned_on = models.DateField()
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=20, choices=SampleSource.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removal_reason = models.TextField(blank=True, max_length=2_000)

    objects = PlannedSampleQuerySet.as_manager()

    class Meta:
        ordering = ["planned_on", "pk"]
        constraints = [
            *length_checks(removal_reason=2_000),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | ~Q(removal_reason=""),
                name="verification_removal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        what = self.unit.key if self.unit_id else "whole portfolio"  # type: ignore[union-attr]
        return f"{self.get_stage_display()} sample of {what} for {self.registration_id}"
