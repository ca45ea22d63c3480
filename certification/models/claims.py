"""Certification claims: holds that block a claim, and claim batches of lines sent to an
awarding body.

Nothing here is deleted. A hold is released (with a note), a line taken off a draft batch is
marked removed. "Claimed once" is the database's rule too: one live (not removed) full line per
registration and one live line per registration and unit (the UniqueConstraints below).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.lifecycle import Lifecycle
from core.limits import length_checks


class ClaimError(Exception):
    """A claim step the rules refuse; the message is for the centre admin."""


class HoldKind(models.TextChoices):
    MALPRACTICE = "malpractice", "Malpractice investigation"
    SPECIAL_CONSIDERATION = "special_consideration", "Special consideration pending"
    APPEAL = "appeal", "Appeal open"


class ClaimHoldQuerySet(models.QuerySet["ClaimHold"]):
    def open(self) -> ClaimHoldQuerySet:
        return self.filter(released_at__isnull=True)


class ClaimHold(models.Model):
    """Something that stops a registration (or one of its units) being claimed, and why."""

    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="claim_holds"
    )
    # Blank: the whole registration.
    unit = models.ForeignKey(
        "qualifications.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=HoldKind.choices)
    reason = models.TextField(max_length=4_000)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_note = models.TextField(blank=True, max_length=4_000)
    # The case (appeal, special consideration, malpractice) the hold stands for, if any: closing
    # the case releases it.
    case = models.ForeignKey(
        "certification.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )

    objects = ClaimHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            *length_checks(reason=4_000, release_note=4_000),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | ~Q(release_note=""),
                name="certification_hold_release_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} hold on {self.registration_id}"

    @property
    def is_open(self) -> bool:
        return self.released_at is None

    def describe(self) -> str:
        """The words shown as the reason a claim is blocked: the case it stands for by name."""
        if self.case_id is not None:
            return (
                f"Open hold: {self.get_kind_display().lower()} — case {self.case_id} "
                f"({self.reason})"
            )
        return f"Open hold: {self.get_kind_display().lower()} — {self.reason}"


class BatchState(models.TextChoices):
    DRAFT = "draft", "Draft"
    EXPORTED = "exported", "Exported"
    SUBMITTED = "submitted", "Submitted"
    CERTIFICATES_RECEIVED = "certificates_received", "Certificates received"


# Exporting fixes the file; the awarding body's reference marks it submitted (its learners
# claimed); the last certificate received closes it.
BATCH_LIFECYCLE = Lifecycle(
    field="state",
    choices=BatchState,
    moves={
        BatchState.DRAFT: {BatchState.EXPORTED},
        BatchState.EXPORTED: {BatchState.SUBMITTED},
        BatchState.SUBMITTED: {BatchState.CERTIFICATES_RECEIVED},
        BatchState.CERTIFICATES_RECEIVED: set(),
    },
)


class ClaimBatch(models.Model):
    """The lines a centre claims from one awarding body at once."""

    centre = models.ForeignKey("accounts.Centre", on_delete=models.PROTECT, related_name="+")
    awarding_body = models.ForeignKey(
        "qualifications.AwardingBody", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=30, choices=BatchState.choices, default=BatchState.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    exported_at = models.DateTimeField(null=True, blank=True)
    # The export's own audit event (the chain's head at export): a checkpoint that
    # verify_audit_chain holds the chain to.
    exported_audit_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    exported_audit_hash = models.CharField(max_length=64, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The awarding body's own reference for the claim, typed in at submission.
    reference = models.CharField("awarding body reference", max_length=100, blank=True)
    certificates_received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            *length_checks(reference=100),
            # New lines go to the one open draft of their awarding body (a double click cannot
            # start two).
            models.UniqueConstraint(
                fields=["centre", "awarding_body"],
                condition=Q(state="draft"),
                name="certification_one_draft_claim_batch",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim batch {self.pk} ({self.get_state_display()})"


class ClaimLineQuerySet(models.QuerySet["ClaimLine"]):
    def live(self) -> ClaimLineQuerySet:
        return self.filter(removed_at__isnull=True)


class ClaimLine(models.Model):
    """One learner's qualification (unit blank) or one unit, claimed in a batch."""

    batch = models.ForeignKey(ClaimBatch, on_delete=models.PROTECT, related_name="lines")
    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="claim_lines"
    )
    # Blank: the full qualification.
    unit = models.ForeignKey(
        "qualifications.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Frozen when added, so the file never depends on later sign-off changes.
    unit_references = models.JSONField(default=list)
    result = models.CharField(max_length=20, default="Pass")
    achievement_date = models.DateField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    certificate_number = models.CharField(max_length=100, blank=True)
    certificate_received_on = models.DateField(null=True, blank=True)
    # Frozen when the batch is exported, so every later download is the file that was sent,
    # even if a learner's name or ULN is corrected afterwards.
    centre_number = models.CharField(max_length=30, blank=True)
    registration_number = models.CharField(max_length=50, blank=True)
    uln = models.CharField(max_length=10, blank=True)
    learner_name = models.CharField(max_length=300, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    qualification_number = models.CharField(max_length=20, blank=True)

    objects = ClaimLineQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            *length_checks(certificate_number=100),
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(unit__isnull=True, removed_at__isnull=True),
                name="certification_qualification_claimed_once",
            ),
            models.UniqueConstraint(
                fields=["registration", "unit"],
                condition=Q(unit__isnull=False, removed_at__isnull=True),
                name="certification_unit_claimed_once",
            ),
        ]

    def __str__(self) -> str:
        what = f"unit {self.unit_id}" if self.unit_id else "qualification"
        return f"Claim of {what} for {self.registration_id}"

    @property
    def is_live(self) -> bool:
        return self.removed_at is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "registration": self.registration_id,
            "unit": self.unit_id,
            "unit_references": self.unit_references,
            "achievement_date": self.achievement_date.isoformat(),
        }


class RetentionPeriodQuerySet(models.QuerySet["RetentionPeriod"]):
    def in_force(self) -> RetentionPeriodQuerySet:
        return self.filter(superseded_at__isnull=True)


class RetentionPeriod(models.Model):
    """The weeks a centre keeps an awarding body's evidence after external verification, where
    the body's document leaves the period to the centre (AwardingBody.retention_weeks null:
    Pearson's is in its UK Information Manual; SFJ, IMI and NCFE state none). A change is a
    new row; the one it replaces is marked superseded, never edited."""

    centre = models.ForeignKey("accounts.Centre", on_delete=models.PROTECT, related_name="+")
    awarding_body = models.ForeignKey(
        "qualifications.AwardingBody", on_delete=models.PROTECT, related_name="+"
    )
    weeks = models.PositiveSmallIntegerField()
    # Where the centre's period comes from (its policy, the body's manual and page).
    source = models.CharField(max_length=300)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = RetentionPeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-set_at", "-pk"]
        constraints = [
            *length_checks(source=300),
            models.UniqueConstraint(
                fields=["centre", "awarding_body"],
                condition=Q(superseded_at__isnull=True),
                name="certification_one_retention_period_in_force",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weeks} weeks for {self.awarding_body_id} at {self.centre_id}"
