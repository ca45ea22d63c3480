"""API tokens: a secret shown once, kept only as its hash, owned by a centre or a person."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.limits import length_checks


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def visible_to(self, user: Any) -> ApiTokenQuerySet:
        """Mirrors api.rules.manages_token: your own personal tokens, and the centre tokens of
        the centres you administer (whoever made them)."""
        from accounts.access import centre_ids
        from accounts.models import Role

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            Q(user_id=user.pk, centre__isnull=True)
            | Q(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN))
        )

    def live(self, now: datetime.datetime | None = None) -> ApiTokenQuerySet:
        """Not revoked and not expired (at `now`, by default the present): the tokens that are
        still accepted."""
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now())
        )


class ApiToken(models.Model):
    """Either a centre's (acts as that centre's admin view, made by one of its admins) or a
    person's (acts as that person): exactly one of `centre` and `user` is set."""

    name = models.CharField(max_length=100, help_text="What the token is for, to recognise it.")
    centre = models.ForeignKey(
        "accounts.Centre", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_tokens",
    )
    # The secret's first characters, shown in lists so a holder can tell which token is theirs;
    # also the lookup key (unique), so checking a secret reads one row, then compares the hash.
    prefix = models.CharField(max_length=16, unique=True)
    # SHA-256 of the whole secret: the secret is long and random, so a plain hash is enough
    # (no password hasher's work factor), and the secret itself is never stored.
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            *length_checks(name=100, prefix=16, secret_hash=64),
            models.CheckConstraint(
                condition=Q(centre__isnull=True, user__isnull=False)
                | Q(centre__isnull=False, user__isnull=True),
                name="api_token_centre_or_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
