"""Password reset requests, counted so one address or one client cannot flood the mail."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class PasswordResetRequest(models.Model):
    """One reset asked for. Kept only for the limit's window, then deleted.

    The address is stored as a keyed hash, not as typed: the table must not become a list of
    addresses people tried, known or not. Counted in the database, not the cache, because
    production's cache is per process while its web processes are many.
    """

    address_key = models.CharField(max_length=64)
    client = models.GenericIPAddressField(null=True, blank=True)
    # False when the per-address limit was already reached: the reply was the same, no mail.
    queued = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["address_key", "created_at"], name="accounts_reset_address_idx"),
            models.Index(fields=["client", "created_at"], name="accounts_reset_client_idx"),
        ]

    def __str__(self) -> str:
        return f"Password reset asked at {self.created_at:%Y-%m-%d %H:%M}"
