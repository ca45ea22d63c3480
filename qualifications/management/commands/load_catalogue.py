"""Load every catalogue fixture, all or nothing. Loading twice changes nothing."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, transaction

from qualifications.catalogue import catalogue_fixtures


class Command(BaseCommand):
    help = "Load the qualification catalogue from fixtures/catalogue/."

    def handle(self, *args: Any, **options: Any) -> None:
        paths = catalogue_fixtures()
        if not paths:
            raise CommandError("No catalogue fixtures found in fixtures/catalogue/.")
        started = time.perf_counter()
        current = None
        try:
            # One transaction: a malformed fixture leaves the catalogue as it was.
            with transaction.atomic():
                for current in paths:
                    call_command("loaddata", str(current), verbosity=0)
        except (DeserializationError, DatabaseError, ValueError, LookupError) as exc:
            name = current.name if current else "?"
            raise CommandError(
                f"Could not load {name}: {exc}. Nothing was loaded; fix the fixture "
                "(or re-run import_specification) and try again."
            ) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Loaded the catalogue from {len(paths)} fixture(s) in {elapsed:.1f} s.")
