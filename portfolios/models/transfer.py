"""A portfolio transferred in (issue 20): a learner's portfolio ZIP exported by another centre
(here or on another site) and imported at this one when the learner moved.

What arrives is the earlier centre's record, not this centre's: its evidence is kept read-only
(Evidence.transfer names where it came from) and its decisions as text (the assessor's name
and the date as the export gives them: they are not people of this centre, and not this
centre's decisions). This centre's assessors judge afresh, with the prior decision beside.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.lifecycle import Lifecycle
from core.limits import length_checks
from portfolios.models.registration import Registration


class PortfolioTransferQuerySet(models.QuerySet["PortfolioTransfer"]):
    def visible_to(self, user: Any) -> PortfolioTransferQuerySet:
        """A transfer follows the registration it arrived on: whoever sees the portfolio."""
        return self.filter(registration__in=Registration.objects.visible_to(user))


class PortfolioTransfer(models.Model):
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="transfers_in"
    )
    # The importing centre (the registration's), kept on the row for the once-per-export rule.
    centre = models.ForeignKey("accounts.Centre", on_delete=models.PROTECT, related_name="+")
    source_centre_name = models.CharField("earlier centre", max_length=200)
    source_centre_number = models.CharField(max_length=20, blank=True)
    # The did:web that signed the export, and the SHA-256 of its manifest.json: an export is
    # imported once at a centre.
    issuer = models.CharField(max_length=300)
    manifest_sha256 = models.CharField(max_length=64)
    exported_at = models.DateTimeField()
    source_start_date = models.DateField(null=True, blank=True)
    # The learner's id at the earlier centre (the manifest's): a newer export of the same
    # learner's portfolio, imported into the same registration, adds only what is new.
    source_learner = models.CharField(max_length=64, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)

    objects = PortfolioTransferQuerySet.as_manager()

    class Meta:
        ordering = ["imported_at", "pk"]
        constraints = [
            *length_checks(
                source_centre_name=200,
                source_centre_number=20,
                issuer=300,
                manifest_sha256=64,
                source_learner=64,
            ),
            models.UniqueConstraint(
                fields=["centre", "manifest_sha256"], name="portfolios_transfer_once_per_centre"
            ),
        ]

    def __str__(self) -> str:
        return f"Portfolio from {self.source_centre_name} on {self.registration_id}"


class PriorDecision(models.Model):
    """A decision the earlier centre recorded, as its export gives it. Never this centre's:
    not in the decision log, progress or claims; shown beside this centre's own judgement."""

    transfer = models.ForeignKey(
        PortfolioTransfer, on_delete=models.PROTECT, related_name="decisions"
    )
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="prior_decisions"
    )
    criterion = models.ForeignKey(
        "qualifications.AssessmentCriterion", on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=20, blank=True)
    outcome_label = models.CharField(max_length=50)
    assessor_name = models.CharField(max_length=200)
    assessed_on = models.DateField()
    feedback = models.TextField(blank=True, max_length=5_000)
    # The decision's identity at the earlier centre (its id in the manifest, or, for exports
    # without one, what it decided, by whom and when): a later import adds only newer ones.
    source_key = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            *length_checks(
                outcome=20, outcome_label=50, assessor_name=200, feedback=5_000, source_key=300
            ),
            models.UniqueConstraint(
                fields=["transfer", "criterion"], name="portfolios_prior_decision_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome_label} at {self.transfer.source_centre_name}"


# Held ZIPs are kept in storage under this prefix only. Media is never served by URL (views
# stream files after a permission check) and no view streams these: they are served to nobody.
HELD_PREFIX = "transfers-held/"


class HeldTransferStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for the learner to accept"
    IMPORTED = "imported", "Imported when the learner accepted"
    WITHDRAWN = "withdrawn", "Withdrawn by the centre"
    DISCARDED = "discarded", "Discarded: the invitation ended"
    REFUSED = "refused", "Refused when the learner accepted"


# A held import ends once: imported, withdrawn, discarded with its invitation, or refused.
HELD_TRANSFER_LIFECYCLE = Lifecycle(
    field="status",
    choices=HeldTransferStatus,
    moves={
        HeldTransferStatus.WAITING: {
            HeldTransferStatus.IMPORTED,
            HeldTransferStatus.WITHDRAWN,
            HeldTransferStatus.DISCARDED,
            HeldTransferStatus.REFUSED,
        },
        HeldTransferStatus.IMPORTED: set(),
        HeldTransferStatus.WITHDRAWN: set(),
        HeldTransferStatus.DISCARDED: set(),
        HeldTransferStatus.REFUSED: set(),
    },
)


class HeldTransferQuerySet(models.QuerySet["HeldTransfer"]):
    def visible_to(self, user: Any) -> HeldTransferQuerySet:
        """The importing centre's admins only: it is their import, not yet anyone's portfolio."""
        from accounts.access import centre_ids
        from accounts.models import Role

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN))


class HeldTransfer(models.Model):
    """A portfolio ZIP that passed every check, held against a pending learner invitation: it
    is imported when the person accepts, and its file discarded if the invitation is
    withdrawn, declined or expires (or the centre withdraws the import)."""

    centre = models.ForeignKey("accounts.Centre", on_delete=models.PROTECT, related_name="+")
    invitation = models.ForeignKey(
        "accounts.Invitation", on_delete=models.PROTECT, related_name="held_transfers"
    )
    # The ZIP in storage, under HELD_PREFIX; "" once discarded or imported.
    file_name = models.CharField(max_length=300, blank=True)
    manifest_sha256 = models.CharField(max_length=64)
    source_centre_name = models.CharField("earlier centre", max_length=200)
    learner_name = models.CharField(max_length=150)  # as the export names the learner
    qualification_number = models.CharField(max_length=30)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    held_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=20, choices=HeldTransferStatus.choices, default=HeldTransferStatus.WAITING
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, max_length=2_000)
    transfer = models.ForeignKey(
        PortfolioTransfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = HeldTransferQuerySet.as_manager()

    class Meta:
        ordering = ["held_at", "pk"]
        constraints = [
            *length_checks(
                file_name=300,
                manifest_sha256=64,
                source_centre_name=200,
                learner_name=150,
                qualification_number=30,
                reason=2_000,
            ),
            # The same export held twice at a centre would be imported twice on acceptance.
            models.UniqueConstraint(
                fields=["centre", "manifest_sha256"],
                condition=models.Q(status="waiting"),
                name="portfolios_held_transfer_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Portfolio from {self.source_centre_name} held for {self.invitation_id}"
