"""Compare the progress read model with a full recount from the log; exit non-zero naming every
registration whose row differs (or is missing). With --fix, recount those rows in place."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portfolios.models import Registration
from portfolios.readmodel import differences, repair

SHOWN = 50


class Command(BaseCommand):
    help = (
        "Check every registration's progress row (criteria required and met, units signed off, "
        "evidence waiting, pace, plan due) against a recount from the log; --fix repairs them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="recount the rows that differ")
        parser.add_argument(
            "--centre", help="only this centre's registrations (its centre number)", default=""
        )

    def handle(self, *args: Any, **options: Any) -> None:
        registrations = Registration.objects.all()
        if options["centre"]:
            registrations = registrations.filter(centre__number=options["centre"])
        wrong = dict(differences(registrations))
        checked = registrations.count()
        for pk, figures in list(wrong.items())[:SHOWN]:
            described = ", ".join(
                f"{name} {kept} (counted {counted})" for name, (kept, counted) in figures.items()
            )
            self.stderr.write(f"- registration {pk}: {described}")
        if len(wrong) > SHOWN:
            self.stderr.write(f"- and {len(wrong) - SHOWN} more")
        if not wrong:
            self.stdout.write(
                self.style.SUCCESS(f"Progress agrees with the log ({checked} registrations).")
            )
            return
        if options["fix"]:
            fixed = repair(wrong)
            self.stdout.write(
                self.style.SUCCESS(f"Recounted {fixed} of {checked} registrations' progress.")
            )
            return
        raise CommandError(
            f"Progress differs from the log for {len(wrong)} of {checked} registrations "
            "(run with --fix to recount them)."
        )
