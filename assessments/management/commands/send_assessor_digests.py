"""Send each assessor one e-mail listing the last day's submissions (run daily: cron or beat)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assessments.notifications import send_digests


class Command(BaseCommand):
    help = "E-mail each assessor a digest of evidence submitted in the last day."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Sent {send_digests()} digest(s).")
