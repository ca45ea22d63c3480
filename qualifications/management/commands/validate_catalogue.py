"""Check the loaded catalogue; exit non-zero with the list of failures."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qualifications.validation import validate_catalogue


class Command(BaseCommand):
    help = "Validate references, numbering, rules of combination and known totals."

    def handle(self, *args: Any, **options: Any) -> None:
        failures = validate_catalogue()
        if failures:
            for failure in failures:
                self.stderr.write(f"- {failure}")
            raise CommandError(f"{len(failures)} catalogue check(s) failed.")
        self.stdout.write(self.style.SUCCESS("The catalogue is valid."))
