"""Delete stored files that no row names and that are older than the grace period, as the
daily beat task does (core.stored_files); --dry-run only lists them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.stored_files import GRACE, sweep_orphaned_files


class Command(BaseCommand):
    help = (
        "Delete stored files (evidence, held transfers, review PDFs, case documents, "
        "achievement records) that no row names and that are older than the grace period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List them; delete nothing.")
        parser.add_argument(
            "--grace-hours",
            type=int,
            default=int(GRACE.total_seconds() // 3600),
            help="Keep files younger than this, however unnamed (an upload in flight).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["grace_hours"] < 1:
            raise CommandError("--grace-hours must be at least 1: an upload may be in flight.")
        swept = sweep_orphaned_files(
            grace=timedelta(hours=options["grace_hours"]), dry_run=options["dry_run"]
        )
        verb = "Would delete" if options["dry_run"] else "Deleted"
        for name in swept.deleted:
            self.stdout.write(f"{verb} {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {len(swept.deleted)} orphaned files; kept {swept.named} named by a "
                f"row and {swept.young} younger than {options['grace_hours']} hours."
            )
        )
