"""Send core.ping through the broker and wait for a worker's answer.

Operators run it after deploying (`docker compose exec web python manage.py worker_ping`).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.tasks import ping


class Command(BaseCommand):
    help = "Check that a Celery worker picks up and answers a task through the broker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=10.0)

    def handle(self, *args: Any, timeout: float, **options: Any) -> None:
        try:
            answer = ping.delay().get(timeout=timeout)
        except Exception as exc:
            raise CommandError(f"No answer from a worker: {type(exc).__name__}: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Worker answered: {answer['pong']}"))
