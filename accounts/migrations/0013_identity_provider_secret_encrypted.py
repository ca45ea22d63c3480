"""A provider's client secret kept encrypted (core.encryption, FIELD_ENCRYPTION_KEYS) instead of
in plain text: each saved secret is encrypted into the new column, then the old one goes. Back
again, each is decrypted into the plain column (refused, naming it, if no key opens it)."""

import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models

from core.encryption import UnreadableSecret, decrypt, encrypt


def encrypt_secrets(apps, schema_editor):
    provider_model = apps.get_model("accounts", "IdentityProvider")
    for provider in provider_model.objects.exclude(client_secret="").order_by("pk"):
        provider.client_secret_encrypted = encrypt(provider.client_secret)
        provider.save(update_fields=["client_secret_encrypted"])


def decrypt_secrets(apps, schema_editor):
    provider_model = apps.get_model("accounts", "IdentityProvider")
    for provider in provider_model.objects.exclude(client_secret_encrypted="").order_by("pk"):
        try:
            provider.client_secret = decrypt(provider.client_secret_encrypted)
        except UnreadableSecret:
            raise RuntimeError(
                f"No key of FIELD_ENCRYPTION_KEYS opens the client secret of identity provider "
                f"{provider.pk}: give the key it was encrypted with, or clear the secret."
            ) from None
        provider.save(update_fields=["client_secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_identity_providers"),
    ]

    operations = [
        migrations.AddField(
            model_name="identityprovider",
            name="client_secret_encrypted",
            field=models.CharField(
                default="",
                editable=False,
                max_length=2800,
                verbose_name="client secret, encrypted",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets, elidable=False),
        migrations.RemoveConstraint(
            model_name="identityprovider",
            name="accounts_identityprovider_client_secret_len",
        ),
        # A default, so that going back can add the column again to a table with rows.
        migrations.AlterField(
            model_name="identityprovider",
            name="client_secret",
            field=models.CharField(default="", max_length=500, verbose_name="client secret"),
        ),
        migrations.RemoveField(
            model_name="identityprovider",
            name="client_secret",
        ),
        migrations.AddConstraint(
            model_name="identityprovider",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("client_secret_encrypted"), 2800
                ),
                name="accounts_identityprovider_client_secret_encrypted_len",
            ),
        ),
    ]
