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
from core.encryption import UnreadableSecret, decrypt, encrypt
from core.limits import length_checks

# A Fernet token of the longest secret the form takes (500 characters, up to 2,000 bytes in
# UTF-8): 57 bytes of its own and the text padded to 16, in url-safe base64.
SECRET_TOKEN_LENGTH = 2800


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
    # Needed in clear to call the provider's token endpoint, so encrypted rather than hashed
    # (core.encryption, FIELD_ENCRYPTION_KEYS); read and set through `client_secret`. Never
    # shown back in full nor logged.
    client_secret_encrypted = models.CharField(
        "client secret, encrypted", max_length=SECRET_TOKEN_LENGTH, editable=False
    )
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
            *length_checks(
                name=100,
                issuer=300,
                client_id=200,
                client_secret_encrypted=SECRET_TOKEN_LENGTH,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def client_secret(self) -> str:
        """The secret in clear; UnreadableSecret if none of the site's keys opens it."""
        token = self.client_secret_encrypted
        return decrypt(token) if token else ""

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.client_secret_encrypted = encrypt(value) if value else ""

    @property
    def secret_readable(self) -> bool:
        try:
            self.client_secret  # noqa: B018 (decrypted to see whether it can be)
        except UnreadableSecret:
            return False
        return True

    @property
    def secret_hint(self) -> str:
        """Enough of the secret to tell which one is saved: its last four characters."""
        try:
            secret = self.client_secret
        except UnreadableSecret:
            return "cannot be read with this site's keys: enter it again"
        return f"ending …{secret[-4:]}" if len(secret) >= 12 else "saved"
