"""Print a new Ed25519 private key (PEM) for BADGE_SIGNING_KEY: the key that signs Open Badges.

Keep it secret and keep it: badges already issued verify only against the key that signed them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assessments.badges import new_key_pem


class Command(BaseCommand):
    help = "Print a new Ed25519 private key (PEM) for BADGE_SIGNING_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(new_key_pem(), ending="")
