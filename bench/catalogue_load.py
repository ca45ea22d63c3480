"""Benchmark: how long loading the whole catalogue takes (target: under 10 s on one machine).

    .venv/bin/python bench/catalogue_load.py [--database-url URL] [--repeat N]

Uses a fresh SQLite file by default; pass a PostgreSQL URL to measure that instead (the
database is emptied of catalogue rows first). Prints one line per run and the best time.

As a suite of bench/run.py (`bench(ctx)`): a reload that changes nothing on the bench's
PostgreSQL database, in this process (with its query count), and a first load into an empty
SQLite database, in a child process running this file.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import Context, Row  # noqa: E402

TARGET_SECONDS = 10.0


def bench(ctx: Context) -> list[Row]:
    from django.core.management import call_command
    from django.db import connection

    queries = []

    def count(execute, sql, params, many, context):  # noqa: ANN001 (Django's hook)
        queries.append(1)
        return execute(sql, params, many, context)

    # A counting hook, not CaptureQueriesContext: that keeps only the last 9,000.
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        call_command("load_catalogue", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        reload = time.perf_counter() - started
    rows = [
        Row(
            measure="catalogue_load: reload that changes nothing (PostgreSQL)",
            project=reload,
            unit="s",
            goal=f"< {TARGET_SECONDS:.0f} s",
            met=reload < TARGET_SECONDS,
            note=f"{len(queries):,} queries",
        )
    ]
    child = subprocess.run(  # noqa: S603 (this file)
        [sys.executable, __file__, "--repeat", "1"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        check=False,
    )
    found = re.search(r"run 1: loaded into an empty database in ([\d.]+) s", child.stdout)
    if found is None:
        raise RuntimeError(f"the SQLite load failed: {child.stderr[-500:]}")
    first = float(found.group(1))
    rows.append(
        Row(
            measure="catalogue_load: first load into an empty database (SQLite)",
            project=first,
            unit="s",
            goal=f"< {TARGET_SECONDS:.0f} s",
            met=first < TARGET_SECONDS,
        )
    )
    return rows


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
