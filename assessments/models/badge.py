"""Open Badges: an achievement record of a unit or a qualification issued as a signed
OpenBadgeCredential (Open Badges 3.0, a W3C Verifiable Credential 2.0).

One badge per record, kept for good: issuing again returns it. Withdrawing the record revokes
the badge by setting its bit in the centre's status list (assessments.badges).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.limits import length_checks


class IssuedBadge(models.Model):
    record = models.OneToOneField(
        "assessments.AchievementRecord", on_delete=models.PROTECT, related_name="badge"
    )
    # The issuer: the record's centre, whose status list holds the badge's bit.
    centre = models.ForeignKey("accounts.Centre", on_delete=models.PROTECT, related_name="+")
    # The badge's place in its centre's status list (Bitstring Status List v1.0).
    status_index = models.PositiveIntegerField()
    # The credential as signed (the JWT's payload) and the compact JWS the learner downloads.
    credential = models.JSONField()
    # Room for the longest rules of combination and learning outcomes, base64url-encoded.
    token = models.TextField(max_length=50_000)
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set once, when the record is withdrawn; the badge row stays.
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [
            *length_checks(token=50_000),
            models.UniqueConstraint(
                fields=["centre", "status_index"], name="assessments_one_badge_per_status_bit"
            ),
            models.CheckConstraint(
                # A compact JWS starts with its base64url JSON header ("eyJ" is '{"').
                condition=Q(token__startswith="eyJ"),  # noqa: S106 - not a password
                name="assessments_badge_is_a_compact_jws",
            ),
        ]

    def __str__(self) -> str:
        return f"Open Badge for {self.record}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
