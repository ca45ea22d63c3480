"""Progress reviews of an apprenticeship (issue 19, point 4).

A review is written by the provider (the registration's assessor or the centre's admin), with a
snapshot of where the apprentice stood that day: KSB coverage and off-the-job hours against the
plan. It is signed by three: the apprentice, the employer (a contact through their account, or a
named person through a one-time e-mailed link) and the provider. The first signature freezes
the content; the third locks the review for good and queues its PDF. A wrong review is never
deleted or edited once signed: a new review supersedes it.

The wellbeing and safeguarding notes are the centre's staff's alone: they are not part of what
the three sign, and neither the apprentice's nor the employer's pages nor the PDF carry them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.lifecycle import Lifecycle
from core.limits import length_checks
from portfolios.models.registration import Registration

# The centre's interval between reviews, unless it sets its own (issue 19: "12 weeks by default").
DEFAULT_REVIEW_INTERVAL_WEEKS = 12
MAX_REVIEW_INTERVAL_WEEKS = 52


class ReviewSchedule(models.Model):
    """A centre's interval between progress reviews; no row means the default."""

    centre = models.OneToOneField(
        "accounts.Centre", on_delete=models.CASCADE, related_name="review_schedule"
    )
    interval_weeks = models.PositiveSmallIntegerField(
        "weeks between reviews",
        default=DEFAULT_REVIEW_INTERVAL_WEEKS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REVIEW_INTERVAL_WEEKS)],
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_weeks__gte=1)
                & Q(interval_weeks__lte=MAX_REVIEW_INTERVAL_WEEKS),
                name="portfolios_reviewschedule_interval_range",
            )
        ]

    def __str__(self) -> str:
        return f"Reviews every {self.interval_weeks} weeks at centre {self.centre_id}"


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNING = "signing", "Being signed"
    LOCKED = "locked", "Signed and locked"
    # Signed by some, then corrected by a new review before all three had signed.
    SUPERSEDED = "superseded", "Superseded before it was locked"


# Drafts are edited freely; the first signature freezes the content (signing); the third locks
# it. A locked review never moves again: a correction is a new review naming it (supersedes).
REVIEW_LIFECYCLE = Lifecycle(
    field="status",
    choices=ReviewStatus,
    moves={
        ReviewStatus.DRAFT: {ReviewStatus.SIGNING},
        ReviewStatus.SIGNING: {ReviewStatus.LOCKED, ReviewStatus.SUPERSEDED},
        ReviewStatus.LOCKED: set(),
        ReviewStatus.SUPERSEDED: set(),
    },
)


class ReviewPdfStatus(models.TextChoices):
    NONE = "none", "Not asked for"
    QUEUED = "queued", "Being built"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


# Queued when the review locks; a failed build may be queued again.
REVIEW_PDF_LIFECYCLE = Lifecycle(
    field="pdf_status",
    choices=ReviewPdfStatus,
    moves={
        ReviewPdfStatus.NONE: {ReviewPdfStatus.QUEUED},
        ReviewPdfStatus.QUEUED: {ReviewPdfStatus.READY, ReviewPdfStatus.FAILED},
        ReviewPdfStatus.FAILED: {ReviewPdfStatus.QUEUED},
        ReviewPdfStatus.READY: set(),
    },
)


class SignerRole(models.TextChoices):
    APPRENTICE = "apprentice", "Apprentice"
    EMPLOYER = "employer", "Employer"
    PROVIDER = "provider", "Training provider"


class ProgressReviewQuerySet(models.QuerySet["ProgressReview"]):
    def visible_to(self, user: Any) -> ProgressReviewQuerySet:
        """A review follows its registration: whoever sees the portfolio reads its reviews (the
        staff-only notes are a rule of their own, portfolios.view_review_notes)."""
        return self.filter(registration__in=Registration.objects.visible_to(user))


REVIEW_PDF_PREFIX = "progress-reviews/"


def review_pdf_path(instance: ProgressReview, filename: str) -> str:
    return (
        f"{REVIEW_PDF_PREFIX}{instance.registration_id}/{instance.pk}-{instance.content_hash}.pdf"
    )


class ProgressReview(models.Model):
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="progress_reviews"
    )
    review_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Where the apprentice stood when the review was written (refreshed while it is a draft):
    # the KSB coverage and the off-the-job hours, as JSON the page and the PDF print as they are.
    ksb_snapshot = models.JSONField(default=dict)
    progress_comment = models.TextField("progress against the KSBs", max_length=5_000)
    otj_approved_hours = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    otj_planned_to_date = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    otj_planned_total = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    otj_behind = models.BooleanField(default=False)
    targets = models.TextField("targets agreed", max_length=3_000, help_text="One a line.")
    # Staff of the centre only: never the apprentice's, the employer's, or in the PDF.
    staff_notes = models.TextField(
        "wellbeing and safeguarding notes (staff only)", blank=True, max_length=5_000
    )
    # SHA-256 of what the three sign (portfolios.reviews.signed_content), set by the first
    # signature; every signature records the hash it signed.
    content_hash = models.CharField(max_length=64, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    pdf_status = models.CharField(
        max_length=20, choices=ReviewPdfStatus.choices, default=ReviewPdfStatus.NONE
    )
    pdf = models.FileField(upload_to=review_pdf_path, blank=True, max_length=300)
    pdf_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProgressReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-review_date", "-pk"]
        constraints = [
            *length_checks(progress_comment=5_000, targets=3_000, staff_notes=5_000, pdf_error=500),
            # Locked means all three signed, at a time, over content with a hash.
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.LOCKED)
                | (Q(locked_at__isnull=False) & ~Q(content_hash="")),
                name="portfolios_progressreview_locked_has_hash",
            ),
        ]
        indexes = [models.Index(fields=["registration", "status", "review_date"])]

    def __str__(self) -> str:
        return f"Progress review of {self.review_date:%-d %B %Y}"

    @property
    def target_list(self) -> list[str]:
        return [line.strip() for line in self.targets.splitlines() if line.strip()]

    @property
    def is_frozen(self) -> bool:
        return self.status != ReviewStatus.DRAFT


class ReviewSignature(models.Model):
    """One of the three signatures: who (an account, or a named person through a link), when,
    and the hash of the content signed. One per role per review (the database holds it)."""

    review = models.ForeignKey(ProgressReview, on_delete=models.PROTECT, related_name="signatures")
    role = models.CharField(max_length=20, choices=SignerRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_name = models.CharField(max_length=150)
    link = models.OneToOneField(
        "portfolios.ReviewSignatureLink",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signature",
    )
    signed_at = models.DateTimeField(default=timezone.now)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            *length_checks(signed_name=150),
            models.UniqueConstraint(
                fields=["review", "role"], name="portfolios_reviewsignature_one_per_role"
            ),
            # Signed through an account or through a link: exactly one.
            models.CheckConstraint(
                condition=Q(user__isnull=False, link__isnull=True)
                | Q(user__isnull=True, link__isnull=False),
                name="portfolios_reviewsignature_account_or_link",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} signature of review {self.review_id}"


class ReviewSignatureLink(models.Model):
    """A one-time link for an employer with no account: a named person signs one review.

    Only the SHA-256 of the link's token is kept, as for witnesses (portfolios.witness)."""

    review = models.ForeignKey(ProgressReview, on_delete=models.PROTECT, related_name="links")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [*length_checks(name=150, email=254)]

    def __str__(self) -> str:
        return f"Signing link for {self.name} (review {self.review_id})"
