"""Sample records: what an internal verifier reviewed, their outcomes, and summative sign-off.

A sample keeps a snapshot of exactly the decisions and evidence the verifier saw when it was
started (and each outcome keeps the snapshot it was decided on) with its SHA-256, so later
corrections never rewrite what was reviewed. Outcomes are never edited or deleted: a referral
is followed by a new review, and the loop ends with an agreed outcome. `Sample.state` is the
latest outcome, kept on the row so lists can filter on it; the services change it under a row
lock, in the same transaction as the outcome.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.lifecycle import Lifecycle
from core.limits import length_checks
from verification.models.strategy import SampleStage


class SampleState(models.TextChoices):
    OPEN = "open", "Under review"
    REFERRED = "referred", "Referred back to the assessor"
    AGREED = "agreed", "Agreed"


# A referred sample is reviewed again once the assessor has corrected the decisions: agreed,
# or referred once more. Agreement closes it.
SAMPLE_LIFECYCLE = Lifecycle(
    field="state",
    choices=SampleState,
    moves={
        SampleState.OPEN: {SampleState.REFERRED, SampleState.AGREED},
        SampleState.REFERRED: {SampleState.REFERRED, SampleState.AGREED},
        SampleState.AGREED: set(),
    },
)


class SampleOutcomeKind(models.TextChoices):
    AGREED = "agreed", "Agreed"
    REFERRED = "referred", "Referred back"


class SampleQuerySet(models.QuerySet["Sample"]):
    def visible_to(self, user: Any) -> SampleQuerySet:
        """A sample follows its registration (another centre's answers 404); the views then say
        who may read it (learners, and assessors whose decisions it does not hold, get 403)."""
        from accounts.models import CENTRE_READER_ROLES
        from portfolios.models import Registration

        # The centre's sampling is not an employer contact's to read (issue 19).
        return self.filter(
            registration__in=Registration.objects.visible_to(user, roles=CENTRE_READER_ROLES)
        )


class Sample(models.Model):
    """An internal verifier's review of a learner's decisions: one unit, or the whole portfolio."""

    # Blank: an ad hoc sample, not drawn in a plan.
    planned_sample = models.ForeignKey(
        "verification.PlannedSample",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
    )
    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="samples"
    )
    # Blank: the whole portfolio.
    unit = models.ForeignKey(
        "qualifications.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(max_length=20, choices=SampleStage.choices)
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="samples_verified"
    )
    started_at = models.DateTimeField(default=timezone.now)
    snapshot = models.JSONField()
    snapshot_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=SampleState.choices, default=SampleState.OPEN)

    objects = SampleQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            # A double-clicked "start" cannot start the same planned sample twice.
            models.UniqueConstraint(
                fields=["planned_sample"],
                condition=Q(planned_sample__isnull=False),
                name="verification_one_record_per_planned_sample",
            ),
        ]
        indexes = [
            # The assessor's home lists the referrals waiting on them: a handful of samples
            # among a platform's thousands, found through this small index rather than by
            # reading every sample (the state is fixed, so the index holds only those rows).
            models.Index(
                fields=["registration"],
                condition=Q(state=SampleState.REFERRED),
                name="verification_sample_referred",
            ),
            # The newest samples first (the model's order), a page at a time: the API's list
            # walks this index and stops after its page, rather than sorting a centre's
            # thousands of samples for 25 of them.
            models.Index(fields=["-started_at", "-id"], name="verification_sample_newest"),
        ]

    def __str__(self) -> str:
        what = self.unit.key if self.unit is not None else "whole portfolio"
        return f"{self.get_stage_display()} sample of {what} for {self.registration_id}"


class SampleOutcomeQuerySet(models.QuerySet["SampleOutcome"]):
    def latest_only(self) -> SampleOutcomeQuerySet:
        """Each sample's newest outcome (no later one exists)."""
        later = SampleOutcome.objects.filter(sample_id=OuterRef("sample_id"), pk__gt=OuterRef("pk"))
        return self.filter(~Exists(later))

    def open_referrals_for(self, user: Any, centre_id: int) -> SampleOutcomeQuerySet:
        """Referrals still waiting on the assessor's corrections, of decisions `user` made."""
        # EXISTS rather than a join and DISTINCT: one row per referral without sorting every
        # column (snapshots included) to drop duplicates.
        referred = SampleOutcome.decisions.through.objects.filter(
            sampleoutcome_id=OuterRef("pk"), decision__assessor=user
        )
        return (
            self.latest_only()
            .filter(
                Exists(referred),
                outcome=SampleOutcomeKind.REFERRED,
                sample__state=SampleState.REFERRED,
                sample__registration__centre_id=centre_id,
            )
            .select_related("sample__registration__learner", "sample__unit", "decided_by")
            .order_by("deadline", "pk")
        )


class SampleOutcome(models.Model):
    """One verdict on a sample: agreed, or referred back with actions and a deadline."""

    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="outcomes")
    outcome = models.CharField(max_length=20, choices=SampleOutcomeKind.choices)
    # The decisions referred back (empty when agreed).
    decisions = models.ManyToManyField("assessments.Decision", blank=True, related_name="+")
    actions = models.TextField(blank=True, max_length=4_000)
    deadline = models.DateField(null=True, blank=True)
    feedback = models.TextField("feedback to the assessor", blank=True, max_length=4_000)
    # What the verifier saw when deciding (after corrections it differs from the sample's).
    snapshot = models.JSONField()
    snapshot_hash = models.CharField(max_length=64)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    objects = SampleOutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "pk"]
        constraints = [
            *length_checks(actions=4_000, feedback=4_000),
            # The loop ends once: a second "agree" (a double click) is refused by the database.
            models.UniqueConstraint(
                fields=["sample"],
                condition=Q(outcome="agreed"),
                name="verification_sample_agreed_once",
            ),
            models.CheckConstraint(
                condition=Q(outcome="agreed") | (~Q(actions="") & Q(deadline__isnull=False)),
                name="verification_referral_has_actions_and_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"Sample {self.sample_id} {self.outcome}"


class VerifierSignOffQuerySet(models.QuerySet["VerifierSignOff"]):
    def live(self) -> VerifierSignOffQuerySet:
        """Those still standing: not voided by a later unlock of a unit they covered."""
        return self.filter(voided_at__isnull=True)


class VerifierSignOff(models.Model):
    """The internal verifier's summative sign-off of a registration (or of one unit, for
    unit-only certification): the portfolio may be claimed. Never deleted; voided (not edited)
    when a unit it covered is unlocked."""

    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="verifier_sign_offs"
    )
    # Blank: the whole registration.
    unit = models.ForeignKey(
        "qualifications.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="sign_offs")
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)
    # SHA-256 of the agreed snapshot: what the signature covers.
    content_hash = models.CharField(max_length=64)
    # Set when a unit it covered is unlocked: what was signed is no longer what stands. The row
    # is kept; the IV samples the work again and signs off anew.
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)

    objects = VerifierSignOffQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(unit__isnull=True, voided_at__isnull=True),
                name="verification_one_registration_sign_off",
            ),
            models.UniqueConstraint(
                fields=["registration", "unit"],
                condition=Q(unit__isnull=False, voided_at__isnull=True),
                name="verification_one_unit_sign_off",
            ),
        ]

    def __str__(self) -> str:
        what = f"unit {self.unit_id}" if self.unit_id else "registration"
        return f"IV sign-off of {what} {self.registration_id}"
