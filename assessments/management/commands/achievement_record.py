"""Build an achievement record synchronously, for admins: no worker needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.achievements import AchievementError, build_now
from assessments.models.achievement import AchievementKind, BuildStatus
from portfolios.models import Registration
from qualifications.models import Unit


class Command(BaseCommand):
    help = (
        "Build a registration's achievement record (or unit record, or progress report) now, "
        "write the PDF to --out and print its verification code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("registration_id", type=int)
        parser.add_argument("--out", required=True, help="Where to write the PDF.")
        parser.add_argument(
            "--kind",
            # A claim batch summary is of a centre's batch, asked for from the batch.
            choices=[k for k in AchievementKind.values if k != AchievementKind.CLAIM_SUMMARY],
            default=AchievementKind.FULL.value,
        )
        parser.add_argument("--unit", default="", help="The unit's key, for --kind unit.")

    def handle(self, *args: Any, **options: Any) -> None:
        registration = Registration.objects.filter(pk=options["registration_id"]).first()
        if registration is None:
            raise CommandError(f"There is no registration with id {options['registration_id']}.")
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(key=options["unit"]).first()
            if unit is None:
                raise CommandError(f"There is no unit with key {options['unit']!r}.")
        try:
            record = build_now(
                actor=None, registration=registration, kind=options["kind"], unit=unit
            )
        except AchievementError as error:
            raise CommandError(str(error)) from error
        if record.status != BuildStatus.READY:
            raise CommandError(f"The record could not be built: {record.error or record.status}.")
        out = Path(options["out"])
        with default_storage.open(record.file.name, "rb") as stored:
            out.write_bytes(stored.read())
        self.stdout.write(f"Wrote {out} ({record.get_kind_display()}).")
        self.stdout.write(f"Verification code: {record.verification_code}")
        self.stdout.write(f"Verify at: {record.verify_url}")
