"""Check the audit trail's hash chain against every checkpoint of its end; exit non-zero naming
every altered or removed event, and every checkpoint the chain no longer reaches or matches."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.audit import verify


class Command(BaseCommand):
    help = (
        "Verify that no audit event has been altered or removed, the newest included: the chain "
        "is checked against the checkpoint files in storage and the heads that achievement "
        "records and claim exports stored."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify()
        checked = f"{report.events} events, {report.checkpoints} checkpoint(s) checked"
        if report.problems:
            for problem in report.problems:
                self.stderr.write(f"- {problem}")
            raise CommandError(
                f"The audit chain is broken in {len(report.problems)} place(s) ({checked})."
            )
        self.stdout.write(self.style.SUCCESS(f"The audit chain is intact ({checked})."))
