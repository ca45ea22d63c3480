"""Build the large centre the benchmarks measure on: `manage.py seed_scale [--platform]`.

What it builds is described in demo/scale.py. It refuses a database already seeded
(seeding is minutes of work and the data are append-only, so "again" means a fresh database);
`--manifest PATH` then still writes the named objects' ids, read from the database. Like
seed_demo, it makes logins with a published password, so it refuses to run with DEBUG off
unless told otherwise. Smaller sizes (--caseload, --samples, --claimable, --sfj-units, and the
--platform-* options) are for tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from demo.scale import ScaleError, Sizes, manifest, seed

DEFAULT_MANIFEST = Path(settings.BASE_DIR) / "bench" / ".scale.json"


class Command(BaseCommand):
    help = "Build Scale Centre (90001), and with --platform 99 more centres, for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Sizes()
        parser.add_argument("--platform", action="store_true", help="Also build the platform.")
        parser.add_argument(
            "--manifest",
            type=Path,
            default=DEFAULT_MANIFEST,
            help="Write the named objects' ids here as JSON (default bench/.scale.json).",
        )
        parser.add_argument("--caseload", type=int, default=defaults.caseload)
        parser.add_argument("--samples", type=int, default=defaults.samples)
        parser.add_argument("--claimable", type=int, default=defaults.claimable)
        parser.add_argument(
            "--sfj-units", type=int, default=None, help="Optional SFJ units (default: all)."
        )
        parser.add_argument("--platform-centres", type=int, default=defaults.platform_centres)
        parser.add_argument("--platform-learners", type=int, default=defaults.platform_learners)
        parser.add_argument("--platform-decisions", type=int, default=defaults.platform_decisions)
        parser.add_argument(
            "--more-apprentices",
            type=int,
            default=defaults.more_apprentices,
            help="NCFE apprentices at the other employers (issue 19's reviews and cohort).",
        )
        parser.add_argument(
            "--no-largest-imi",
            dest="largest_imi",
            action="store_false",
            help="Leave out the largest IMI learner and their achievement record (slow).",
        )
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Run even though DEBUG is off (a benchmark database).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "Refusing to create logins with a known password while DEBUG is off. "
                "Pass --allow-without-debug if this is a benchmark database."
            )
        sizes = Sizes(
            caseload=options["caseload"],
            samples=options["samples"],
            claimable=options["claimable"],
            sfj_units=options["sfj_units"],
            platform=options["platform"],
            platform_centres=options["platform_centres"],
            platform_learners=options["platform_learners"],
            platform_decisions=options["platform_decisions"],
            largest_imi=options["largest_imi"],
            more_apprentices=options["more_apprentices"],
        )
        if sizes.caseload < 2:
            raise CommandError("The caseload holds at least the SFJ learner and the judging one.")
        try:
            data = seed(sizes=sizes, say=self.stdout.write)
        except ScaleError as exc:
            try:
                data = manifest()
            except ScaleError:
                raise CommandError(str(exc)) from exc
            self.stdout.write(self.style.WARNING(str(exc)))
            if sizes.platform and not data["platform_centres"]:
                raise CommandError(
                    "The centre is seeded without the platform: seed a fresh database with "
                    "--platform."
                ) from exc
        if connection.vendor == "postgresql":
            # Fresh statistics, as autovacuum would gather in time on a live database: straight
            # after bulk inserts the planner still believes the tables small or empty and
            # picks sequential scans (100 ms instead of under 1 ms for a portfolio's evidence).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        path: Path = options["manifest"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        self.stdout.write(self.style.SUCCESS(f"Manifest written to {path}."))
