"""Load every catalogue fixture, all or nothing. Loading twice changes nothing.

The fixtures are compared with the tables and only what differs is written (see
qualifications/loading.py): a reload that changes nothing writes nothing and reads each table
once, so it costs the same handful of queries however large the catalogue grows.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, transaction

from qualifications.catalogue import catalogue_fixtures
from qualifications.loading import load_fixtures


class Command(BaseCommand):
    help = "Load the qualification catalogue from fixtures/catalogue/."

    def handle(self, *args: Any, **options: Any) -> None:
        paths = catalogue_fixtures()
        if not paths:
            raise CommandError("No catalogue fixtures found in fixtures/catalogue/.")
        started = time.perf_counter()
        try:
            # One transaction: a malformed fixture leaves the catalogue as it was.
            with transaction.atomic():
                summary = load_fixtures(paths)
        except DeserializationError as exc:
            # The message starts with the fixture's file name.
            raise CommandError(
                f"Could not load {exc}. Nothing was loaded; fix the fixture "
                "(or re-run import_specification) and try again."
            ) from exc
        except (DatabaseError, ValidationError, ValueError, LookupError) as exc:
            names = ", ".join(path.name for path in paths)
            raise CommandError(
                f"Could not load the catalogue ({names}): {exc}. Nothing was loaded; fix the "
                "fixture (or re-run import_specification) and try again."
            ) from exc
        elapsed = time.perf_counter() - started
        if summary.changed:
            done = (
                f"{summary.created} row(s) added, {summary.updated} updated, "
                f"{summary.unchanged} unchanged"
            )
        else:
            done = f"nothing changed ({summary.unchanged} rows)"
        self.stdout.write(
            f"Loaded the catalogue from {len(paths)} fixture(s) in {elapsed:.1f} s: {done}."
        )
