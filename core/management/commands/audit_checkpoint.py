"""Write an audit checkpoint (the chain head) to file storage now, as the daily beat task does."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.audit import write_checkpoint


class Command(BaseCommand):
    help = "Record the audit chain's head in file storage (audit/checkpoints/<UTC time>.json)."

    def handle(self, *args: Any, **options: Any) -> None:
        name, checkpoint = write_checkpoint()
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {name}: sequence {checkpoint.sequence}, hash {checkpoint.hash}."
            )
        )
