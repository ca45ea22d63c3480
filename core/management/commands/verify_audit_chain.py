"""Check the audit trail's hash chain; exit non-zero naming every altered or removed event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.audit import verify_chain
from core.models import AuditEvent


class Command(BaseCommand):
    help = "Verify that no audit event has been altered or removed."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = verify_chain()
        if problems:
            for problem in problems:
                self.stderr.write(f"- {problem}")
            raise CommandError(f"The audit chain is broken in {len(problems)} place(s).")
        self.stdout.write(
            self.style.SUCCESS(f"The audit chain is intact ({AuditEvent.objects.count()} events).")
        )
