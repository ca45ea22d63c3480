"""Assessment decisions (an append-only log) and unit sign-off.

A decision is never edited or deleted. A correction is a new decision that supersedes the old one
and says why; the chain's head is the criterion's current judgement. Database constraints keep the
chain a single line even when two assessors decide at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portfolios.models import EvidenceMethod


class Outcome(models.TextChoices):
    MET = "met", "Met"
    NOT_YET_MET = "not_yet_met", "Not yet met"


class DecisionQuerySet(models.QuerySet["Decision"]):
    def current(self) -> DecisionQuerySet:
        """The decisions no later decision has superseded."""
        return self.filter(superseded_by__isnull=True)


class Decision(models.Model):
    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="decisions"
    )
    criterion = models.ForeignKey(
        "qualifications.AssessmentCriterion", on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    feedback = models.TextField(blank=True)
    method = models.CharField(max_length=30, choices=EvidenceMethod.choices)
    assessed_on = models.DateField()
    evidence = models.ManyToManyField("portfolios.Evidence", blank=True, related_name="decisions")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    reason = models.TextField(blank=True, help_text="Why an earlier decision is corrected.")

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "pk"]
        constraints = [
            # One first decision per criterion; every later one supersedes exactly one (the
            # OneToOne), so concurrent deciders cannot fork the chain.
            models.UniqueConstraint(
                fields=["registration", "criterion"],
                condition=Q(supersedes__isnull=True),
                name="assessments_one_first_decision",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(reason=""),
                name="assessments_correction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.get_outcome_display()} by {self.assessor_id}"


class UnitSignOffQuerySet(models.QuerySet["UnitSignOff"]):
    def active(self) -> UnitSignOffQuerySet:
        return self.filter(unlocked_at__isnull=True)


class UnitSignOff(models.Model):
    """The assessor's signature that every criterion of a unit is met; it locks the decisions."""

    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="sign_offs"
    )
    unit = models.ForeignKey("qualifications.Unit", on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)
    # SHA-256 of the decisions signed: what the signature covers.
    content_hash = models.CharField(max_length=64)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unlock_reason = models.TextField(blank=True)

    objects = UnitSignOffQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            # A double-clicked sign-off cannot sign twice.
            models.UniqueConstraint(
                fields=["registration", "unit"],
                condition=Q(unlocked_at__isnull=True),
                name="assessments_one_active_sign_off",
            ),
        ]

    def __str__(self) -> str:
        return f"Unit {self.unit_id} of registration {self.registration_id} signed off"


# ---------------------------------------------------------------- releasing decisions
# Pearson BTEC: a decision is validated by an internal verifier before the learner sees it.
# The qualification says whether that holds; a centre may override it per qualification.


class ReleaseSetting(models.Model):
    """A centre's own choice, for one qualification, whether decisions wait for IV validation."""

    centre = models.ForeignKey("accounts.Centre", on_delete=models.PROTECT, related_name="+")
    qualification = models.ForeignKey(
        "qualifications.Qualification", on_delete=models.PROTECT, related_name="+"
    )
    validation_required = models.BooleanField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "qualification"], name="assessments_one_release_setting"
            ),
        ]

    def __str__(self) -> str:
        required = "required" if self.validation_required else "not required"
        return f"Validation {required} for {self.qualification_id} at {self.centre_id}"


class ValidationOutcome(models.TextChoices):
    AGREED = "agreed", "Agreed"
    REFERRED = "referred", "Referred back to the assessor"


class DecisionValidation(models.Model):
    """An internal verifier's validation of one decision. Agreed releases it to the learner;
    referred sends it back to the assessor, whose correction (a superseding decision) is
    validated in its turn. Never edited: one per decision."""

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="validation")
    validator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    validated_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=ValidationOutcome.choices)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["validated_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="referred") | ~Q(comment=""),
                name="assessments_referral_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"Decision {self.decision_id} {self.outcome} by {self.validator_id}"
