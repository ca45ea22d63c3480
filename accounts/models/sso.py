"""Single sign-on (issue 20): a centre's OpenID Connect identity provider.

A centre names its provider (a college's Microsoft or Google accounts) by issuer and the client
it registered there. Signing in through it reaches only people the centre already has or has
invited (accounts.sso); everyone keeps their password too.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from accounts.models.people import Centre, Role
from core.limits import length_checks


class IdentityProviderQuerySet(models.QuerySet["IdentityProvider"]):
    def manageable_by(self, user: Any) -> IdentityProviderQuerySet:
        """A centre's admins set up its providers (accounts.manage_identity_provider)."""
        from accounts.access import centre_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN))

    def offered(self) -> IdentityProviderQuerySet:
        """The buttons on the sign-in page: every enabled provider, by centre then name."""
        return (
            self.filter(enabled=True)
            .select_related("centre")
            .order_by("centre__name", "name", "pk")
        )


class IdentityProvider(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="identity_providers")
    # On the sign-in page's button: "Sign in with <name>".
    name = models.CharField(
        "name on the sign-in button",
        max_length=100,
        help_text="What your people call the account, e.g. “Northfield College account”.",
    )
    issuer = models.URLField(
        "issuer",
        max_length=300,
        # Help text is rendered as HTML by the forms: no angle brackets in it.
        help_text=(
            "The provider's issuer address exactly as it publishes it, e.g. "
            "https://login.microsoftonline.com/YOUR-TENANT-ID/v2.0 (its settings are read from "
            "this address followed by /.well-known/openid-configuration)."
        ),
    )
    client_id = models.CharField("client ID", max_length=200)
    # Needed in clear to call the provider's token endpoint; never shown back in full nor logged.
    client_secret = models.CharField("client secret", max_length=500)
    enabled = models.BooleanField(
        "offered on the sign-in page",
        default=True,
        help_text="Switched off, the button goes and nobody signs in through it.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = IdentityProviderQuerySet.as_manager()

    class Meta:
        ordering = ["centre__name", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "name"], name="accounts_idp_one_name"),
            *length_checks(name=100, issuer=300, client_id=200, client_secret=500),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        """Enough of the secret to tell which one is saved: its last four characters."""
        return f"…{self.client_secret[-4:]}" if len(self.client_secret) >= 12 else "(saved)"
