"""The centre admin's form for a single sign-on provider (accounts.sso saves it)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms

from accounts.models import IdentityProvider

# Plain http only on this machine (the demo's and the tests' provider); anywhere else the
# tokens would cross the network in clear.
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class IdentityProviderForm(forms.ModelForm):
    client_secret = forms.CharField(
        label="Client secret",
        max_length=500,
        required=False,
        strip=True,
        # Never sent back to the browser, not even into the field.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    issuer = forms.URLField(
        label="Issuer",
        max_length=300,
        assume_scheme="https",
        help_text=IdentityProvider._meta.get_field("issuer").help_text,
    )

    class Meta:
        model = IdentityProvider
        fields = ["name", "issuer", "client_id", "enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        secret = self.fields["client_secret"]
        if self.instance.pk:
            secret.help_text = (
                f"Saved, {self.instance.secret_hint}. Leave blank to keep it; type a new "
                "one to replace it. Up to 500 characters."
                if self.instance.secret_readable
                else f"Saved, but it {self.instance.secret_hint}. Up to 500 characters."
            )
        else:
            secret.help_text = "The secret the provider gave for this client. Up to 500 characters."
        self.order_fields(["name", "issuer", "client_id", "client_secret", "enabled"])

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_issuer(self) -> str:
        issuer = self.cleaned_data["issuer"].strip()
        parts = urlsplit(issuer)
        if parts.query or parts.fragment:
            raise forms.ValidationError("An issuer address has no ? or # part.")
        if parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
            raise forms.ValidationError("The issuer address must start with https://.")
        return issuer

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.pk and not data.get("client_secret"):
            self.add_error("client_secret", "Enter the client secret the provider gave you.")
        elif not data.get("client_secret") and not self.instance.secret_readable:
            self.add_error(
                "client_secret",
                "The saved secret cannot be read with this site's keys: enter it again.",
            )
        return data
