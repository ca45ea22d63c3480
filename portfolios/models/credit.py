"""Credit transfer: a unit counted as achieved because the learner already achieved the
identical unit (the same unit reference number) elsewhere: on an earlier registration at this
centre, or on a certificate from another centre.

SFJ Awards specification section 2.8 (L227): "Credits from identical units that have already
been achieved by the learner may be transferred." Whether a body allows it is catalogue data
(qualifications.AwardingBody.credit_transfer and its rule). The service that records one is in
assessments (assessments.credit), which can see where a unit was signed off. A transfer recorded
in error is withdrawn with a reason, never deleted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.limits import length_checks
from portfolios.models.registration import Registration


class CreditTransferQuerySet(models.QuerySet["CreditTransfer"]):
    def live(self) -> CreditTransferQuerySet:
        return self.filter(withdrawn_at__isnull=True)

    def visible_to(self, user: Any) -> CreditTransferQuerySet:
        """A transfer follows its registration: whoever sees the portfolio sees it."""
        return self.filter(registration__in=Registration.objects.visible_to(user))


class CreditTransfer(models.Model):
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="credit_transfers"
    )
    unit = models.ForeignKey("qualifications.Unit", on_delete=models.PROTECT, related_name="+")
    # Where it was achieved: the learner's earlier registration here (its sign-off stands
    # behind it), or a certificate from elsewhere (its number and who awarded it).
    source_registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The unit reference number as the earlier award gives it: identical to the unit's own.
    source_unit_reference = models.CharField(max_length=12)
    certificate_reference = models.CharField(max_length=100, blank=True)
    awarded_by = models.CharField("awarded by", max_length=200, blank=True)
    achieved_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True, max_length=2_000)

    objects = CreditTransferQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            *length_checks(
                source_unit_reference=12,
                certificate_reference=100,
                awarded_by=200,
                withdrawal_reason=2_000,
            ),
            # A unit is credited once (a withdrawn transfer may be recorded again).
            models.UniqueConstraint(
                fields=["registration", "unit"],
                condition=Q(withdrawn_at__isnull=True),
                name="portfolios_unit_credited_once",
            ),
            # From an earlier registration, or a certificate that names itself.
            models.CheckConstraint(
                condition=Q(source_registration__isnull=False) | ~Q(certificate_reference=""),
                name="portfolios_credit_transfer_has_source",
            ),
        ]

    def __str__(self) -> str:
        return f"Unit {self.source_unit_reference} credited to {self.registration_id}"

    @property
    def source(self) -> str:
        """Where the unit was achieved, in words."""
        if self.source_registration_id:
            return "an earlier registration at this centre"
        by = f" from {self.awarded_by}" if self.awarded_by else ""
        return f"certificate {self.certificate_reference}{by}"
