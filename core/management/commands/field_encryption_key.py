"""Print a new key for FIELD_ENCRYPTION_KEYS (core.encryption).

To rotate: put the new key first, keep the old after it (comma-separated), restart, then run
`python manage.py rotate_field_encryption`; the old key may then go.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.encryption import new_key


class Command(BaseCommand):
    help = "Print a new Fernet key for FIELD_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(new_key())
