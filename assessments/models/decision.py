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

from core.limits import length_checks
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
    feedback = models.TextField(blank=True, max_length=5_000)
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
    reason = models.TextField(
        blank=True, help_text="Why an earlier decision is corrected.", max_length=2_000
    )

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "pk"]
        constraints = [
            *length_checks(feedback=5_000, reason=2_000),
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
    # SHA-256 of the decisions signed and the declaration made: what the signature covers.
    content_hash = models.CharField(max_length=64)
    # The assessor's authenticity declaration in the words they confirmed: the awarding body's
    # own (Ascentis Appendix 2, L1398) or Pearson's (BTEC specification, section 8, "Authenticity
    # of learner work") where the body gives none (assessments.basis.sources_for). Blank only
    # on a sign-off made before the declaration was asked for.
    declaration = models.TextField(blank=True, max_length=2_000)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unlock_reason = models.TextField(blank=True, max_length=2_000)
    # A trainee assessor's sign-off (working towards the assessor qualification, SFJ section 4.1
    # item 6) carries the qualified colleague's countersignature (issue 17).
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = UnitSignOffQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            *length_checks(unlock_reason=2_000, declaration=2_000),
            # A double-clicked sign-off cannot sign twice.
            models.UniqueConstraint(
                fields=["registration", "unit"],
                condition=Q(unlocked_at__isnull=True),
                name="assessments_one_active_sign_off",
            ),
        ]

    def __str__(self) -> str:
        return f"Unit {self.unit_id} of registration {self.registration_id} signed off"


# ---------------------------------------------------------------- assessor-made records


class RecordKind(models.TextChoices):
    """The evidence an assessor makes; the values are the evidence methods they become."""

    OBSERVATION = EvidenceMethod.OBSERVATION.value, "Observation"
    PROFESSIONAL_DISCUSSION = (
        EvidenceMethod.PROFESSIONAL_DISCUSSION.value,
        "Professional discussion",
    )
    QUESTIONING = EvidenceMethod.QUESTIONING.value, "Questioning"
    # The assessor's record of the learner's prior learning and why it meets the criteria
    # (Pearson BTEC specification, section 9, "Recognition of Prior Learning").
    RPL = EvidenceMethod.RPL.value, "Recognition of prior learning"


class AssessorRecordQuerySet(models.QuerySet["AssessorRecord"]):
    def visible_to(self, user: object) -> AssessorRecordQuerySet:
        """A record follows its evidence (and so its registration)."""
        from portfolios.models import Evidence

        return self.filter(evidence__in=Evidence.objects.visible_to(user))

    def awaiting_acknowledgement(self) -> AssessorRecordQuerySet:
        return self.filter(acknowledged_at__isnull=True)


class AssessorRecord(models.Model):
    """An observation, professional discussion or questioning record, signed by the assessor
    when made and acknowledged by the learner. Its evidence carries the criteria and any file."""

    evidence = models.OneToOneField(
        "portfolios.Evidence", on_delete=models.PROTECT, related_name="assessor_record"
    )
    kind = models.CharField(max_length=30, choices=RecordKind.choices)
    occurred_on = models.DateField("date")
    place = models.CharField(max_length=200)
    account = models.TextField(
        help_text="What was seen, or a summary of the discussion.", max_length=20_000
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)
    # SHA-256 of exactly what the assessor signed: the record, its questions, criteria and file.
    content_hash = models.CharField(max_length=64)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    learner_comment = models.TextField(blank=True, max_length=5_000)
    learner_disagrees = models.BooleanField(default=False)
    # The hash of the content the learner acknowledged: it must be the one signed.
    acknowledged_hash = models.CharField(max_length=64, blank=True)

    objects = AssessorRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-pk"]
        constraints = [
            *length_checks(place=200, account=20_000, learner_comment=5_000),
            models.CheckConstraint(
                condition=(Q(acknowledged_at__isnull=True) & Q(acknowledged_hash=""))
                | (Q(acknowledged_at__isnull=False) & ~Q(acknowledged_hash="")),
                name="assessments_record_acknowledged_with_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} record {self.pk}"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class RecordQuestion(models.Model):
    """One question the assessor asked and the learner's answer, in the order asked."""

    record = models.ForeignKey(AssessorRecord, on_delete=models.PROTECT, related_name="questions")
    position = models.PositiveSmallIntegerField()
    question = models.TextField(max_length=5_000)
    answer = models.TextField(max_length=10_000)

    class Meta:
        ordering = ["position"]
        constraints = [
            *length_checks(question=5_000, answer=10_000),
            models.UniqueConstraint(
                fields=["record", "position"], name="assessments_record_question_position"
            ),
        ]

    def __str__(self) -> str:
        return f"Question {self.position} of record {self.record_id}"


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
    comment = models.TextField(blank=True, max_length=5_000)

    class Meta:
        ordering = ["validated_at", "pk"]
        constraints = [
            *length_checks(comment=5_000),
            models.CheckConstraint(
                condition=~Q(outcome="referred") | ~Q(comment=""),
                name="assessments_referral_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"Decision {self.decision_id} {self.outcome} by {self.validator_id}"
