"""Print the catalogue as JSON (every unit, outcome and criterion) or as counts."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qualifications.reports import catalogue_report, catalogue_summary


class Command(BaseCommand):
    help = "Print the qualification catalogue: --json for everything, --summary for counts."

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--json", action="store_true", help="Every unit, outcome and criterion.")
        mode.add_argument("--summary", action="store_true", help="Counts per qualification.")

    def handle(self, *args: Any, json: bool, summary: bool, **options: Any) -> None:
        if summary:
            rows = catalogue_summary()
            for row in rows:
                self.stdout.write(
                    f"{row['number']:<11} {row['awarding_body']:<9} units {row['units']:>3}  "
                    f"outcomes {row['outcomes']:>4}  criteria {row['criteria']:>5}  {row['title']}"
                )
        else:
            self.stdout.write(_dumps(catalogue_report()))


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
