"""Encrypt every stored client secret again with the first of FIELD_ENCRYPTION_KEYS, so the
keys after it may be removed. One that none of the keys opens is named and left as it is."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import IdentityProvider
from core.encryption import UnreadableSecret, rotate


class Command(BaseCommand):
    help = "Encrypt stored secrets again with the first of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        done, unreadable = 0, []
        with transaction.atomic():
            for provider in IdentityProvider.objects.select_for_update().order_by("pk"):
                if not provider.client_secret_encrypted:
                    continue
                try:
                    provider.client_secret_encrypted = rotate(provider.client_secret_encrypted)
                except UnreadableSecret:
                    unreadable.append(f"{provider.pk} ({provider.name})")
                    continue
                provider.save(update_fields=["client_secret_encrypted"])
                done += 1
        self.stdout.write(f"{done} client secret(s) encrypted with the first key.")
        if unreadable:
            raise CommandError(
                "No key opens the client secret of provider(s) "
                + ", ".join(unreadable)
                + ": keep their old key in FIELD_ENCRYPTION_KEYS, or have their centre enter "
                "the secret again."
            )
