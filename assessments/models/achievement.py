"""Achievement records: the PDFs that prove what a learner achieved, and how to check one.

A record keeps the exact content it prints (JSON) and its SHA-256, so asking twice for the same
content builds once. A newer record of the same kind supersedes the older, which is kept; a
centre admin may withdraw one. Anyone holding the verification code may confirm a record is
genuine at /verify/<code>/.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.lifecycle import Lifecycle
from core.limits import length_checks


class AchievementKind(models.TextChoices):
    FULL = "full", "Learner achievement record"
    UNIT = "unit", "Unit achievement record"
    PROGRESS = "progress", "Progress report"
    # Of a centre's claim batch, not of a learner: no registration (verification builds it).
    CLAIM_SUMMARY = "claim_summary", "Claim batch summary"


class BuildStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    BUILDING = "building", "Being built"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class RecordState(models.TextChoices):
    CURRENT = "current", "Current"
    SUPERSEDED = "superseded", "Superseded by a newer record"
    WITHDRAWN = "withdrawn", "Withdrawn"


PENDING = (BuildStatus.QUEUED, BuildStatus.BUILDING)

# A record's build: a worker takes it (again, if the one building it died), then it is ready or
# has failed, for good (asking again makes a new record).
BUILD_LIFECYCLE = Lifecycle(
    field="status",
    choices=BuildStatus,
    moves={
        BuildStatus.QUEUED: {BuildStatus.BUILDING, BuildStatus.FAILED},
        BuildStatus.BUILDING: {BuildStatus.BUILDING, BuildStatus.READY, BuildStatus.FAILED},
        BuildStatus.READY: set(),
        BuildStatus.FAILED: set(),
    },
)

# A built record's standing on the verify page: a newer one supersedes it; an admin may
# withdraw it, superseded or not. The file is kept either way.
RECORD_LIFECYCLE = Lifecycle(
    field="state",
    choices=RecordState,
    moves={
        RecordState.CURRENT: {RecordState.SUPERSEDED, RecordState.WITHDRAWN},
        RecordState.SUPERSEDED: {RecordState.WITHDRAWN},
        RecordState.WITHDRAWN: set(),
    },
)


def new_verification_code() -> str:
    # 128 bits: not guessable, and URL-safe as it stands.
    return secrets.token_urlsafe(16)


RECORD_PREFIX = "achievement-records/"


def record_upload_path(instance: AchievementRecord, filename: str) -> str:
    if instance.registration_id is None:
        # A centre's record (a claim batch summary): no learner's folder to put it in.
        return f"{RECORD_PREFIX}centre-{instance.centre_id}/{instance.verification_code}.pdf"
    return f"{RECORD_PREFIX}{instance.registration_id}/{instance.verification_code}.pdf"


class AchievementRecordQuerySet(models.QuerySet["AchievementRecord"]):
    def visible_to(self, user: object) -> AchievementRecordQuerySet:
        """A learner's records follow the registration; a centre's records (claim batch
        summaries) are its admins' alone, as the claim pages are."""
        from accounts.access import centre_ids
        from accounts.models import Role
        from portfolios.models import Registration

        if getattr(user, "is_superuser", False) and getattr(user, "is_authenticated", False):
            return self.all()
        return self.filter(
            Q(registration__in=Registration.objects.visible_to(user))
            | Q(
                registration__isnull=True,
                centre_id__in=centre_ids(user, Role.CENTRE_ADMIN),
            )
        )

    def pending(self) -> AchievementRecordQuerySet:
        return self.filter(status__in=PENDING)


class AchievementRecord(models.Model):
    # Blank only for a centre's record (a claim batch summary).
    registration = models.ForeignKey(
        "portfolios.Registration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="achievement_records",
    )
    # The centre whose record it is: set on every new record (the registration's centre).
    centre = models.ForeignKey(
        "accounts.Centre",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="achievement_records",
    )
    # What a centre's record is of, printed where a learner's name would be
    # ("Claim batch 12, Pearson"), and the key that groups its versions ("claim_batch:12").
    subject = models.CharField(max_length=200, blank=True)
    subject_key = models.CharField(max_length=100, blank=True, db_index=True)
    kind = models.CharField(max_length=20, choices=AchievementKind.choices)
    # Only for a unit record.
    unit = models.ForeignKey(
        "qualifications.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Exactly what is printed, and the SHA-256 of its canonical JSON.
    content = models.JSONField()
    content_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        max_length=20, choices=BuildStatus.choices, default=BuildStatus.QUEUED
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=record_upload_path, max_length=200, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    verification_code = models.CharField(
        max_length=40, unique=True, default=new_verification_code, editable=False
    )
    # Where the verify page lives, fixed when asked for: the QR code prints it.
    site_url = models.CharField(max_length=200)
    state = models.CharField(
        max_length=20, choices=RecordState.choices, default=RecordState.CURRENT
    )
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True, max_length=2_000)
    # Blank: built by an admin with the achievement_record command.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    built_at = models.DateTimeField(null=True, blank=True)
    # The audit chain's head when the PDF was built, printed on it: a checkpoint that
    # verify_audit_chain holds the chain to (deleting the newest events shows). Kept out of
    # `content`, so the same content still builds once. Blank on records built before.
    audit_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    audit_hash = models.CharField(max_length=64, blank=True)

    objects = AchievementRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            *length_checks(withdrawn_reason=2_000),
            # A double click cannot queue the same content twice while it is being built.
            models.UniqueConstraint(
                fields=["registration", "content_hash"],
                condition=Q(status__in=["queued", "building"]),
                name="assessments_one_pending_record_per_content",
            ),
            # The same for a centre's record, which has no registration (NULLs never clash).
            models.UniqueConstraint(
                fields=["centre", "content_hash"],
                condition=Q(status__in=["queued", "building"], registration__isnull=True),
                name="assessments_one_pending_centre_record_per_content",
            ),
            models.CheckConstraint(
                condition=Q(kind="claim_summary", registration=None, centre__isnull=False)
                | (~Q(kind="claim_summary") & Q(registration__isnull=False)),
                name="assessments_only_a_claim_summary_has_no_registration",
            ),
            models.CheckConstraint(
                condition=Q(kind="unit", unit__isnull=False) | (~Q(kind="unit") & Q(unit=None)),
                name="assessments_unit_record_has_unit",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | ~Q(pdf_sha256=""),
                name="assessments_ready_record_has_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.verification_code}"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING

    @property
    def verify_path(self) -> str:
        from django.urls import reverse

        return reverse("verify", args=[self.verification_code])

    @property
    def verify_url(self) -> str:
        return self.site_url.rstrip("/") + self.verify_path
