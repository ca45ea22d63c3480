"""Benchmark: how long loading the whole catalogue takes (target: under 10 s on one machine).

    .venv/bin/python bench/catalogue_load.py [--database-url URL] [--repeat N]

Uses a fresh SQLite file by default; pass a PostgreSQL URL to measure that instead (the
database is emptied of catalogue rows first). Prints one line per run and the best time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="catalogue-bench-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ.setdefault("DJANGO_DEBUG", "false")

    import django

    django.setup()
    from django.core.management import call_command

    from qualifications.models import AssessmentCriterion, AwardingBody, Unit

    call_command("migrate", verbosity=0)
    first = None
    times = []
    for run in range(1, args.repeat + 1):
        started = time.perf_counter()
        call_command("load_catalogue", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        kind = "into an empty database" if run == 1 else "again (nothing changes)"
        first = first or elapsed
        print(f"run {run}: loaded {kind} in {elapsed:.2f} s")
    print(
        f"catalogue: {AwardingBody.objects.count()} awarding bodies, {Unit.objects.count()} units, "
        f"{AssessmentCriterion.objects.count()} criteria; first load {first:.2f} s, "
        f"best reload {min(times[1:] or times):.2f} s (target < 10 s)"
    )


if __name__ == "__main__":
    main()
