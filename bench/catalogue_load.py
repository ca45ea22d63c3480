"""Benchmark suite: loading the whole catalogue (goal < 10 s), first load and no-op reload.

    .venv/bin/python bench/catalogue_load.py [--database-url postgres://...] [--repeat N]

For each backend (a fresh SQLite file, and a PostgreSQL database of its own made beside the
given one, or on 127.0.0.1, and dropped afterwards) a child process migrates an empty database
and times `load_catalogue` into it (the catalogue is emptied between runs), then times the
reload that changes nothing and counts its queries. The no-op reload's floor is what it must
at least do: parse the fixtures' JSON and read every catalogue table with hand-written SQL.
Children keep this suite out of the caller's Django set-up (run.py's scale database).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import Context, Row, median_seconds, within  # noqa: E402

GOAL_SECONDS = 10.0
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


# ---------------------------------------------------------------- the child: one backend


def _catalogue_models() -> list:
    from django.apps import apps

    from qualifications.loading import _in_dependency_order

    return _in_dependency_order(apps.get_app_config("qualifications").get_models())


def _catalogue_tables() -> list[str]:
    """The catalogue models' tables and their many-to-many link tables."""
    tables = set()
    for model in _catalogue_models():
        tables.add(model._meta.db_table)
        for m2m in model._meta.local_many_to_many:
            tables.add(m2m.remote_field.through._meta.db_table)
    return sorted(tables)


def _empty_catalogue() -> None:
    from django.db import transaction

    with transaction.atomic():
        for model in reversed(_catalogue_models()):
            for m2m in model._meta.local_many_to_many:
                m2m.remote_field.through.objects.all()._raw_delete("default")
            model.objects.all()._raw_delete("default")


def _tables_floor() -> None:
    """Parse every fixture and read every catalogue table: what a no-op reload cannot skip."""
    from django.db import connection

    from qualifications.catalogue import catalogue_fixtures

    for path in catalogue_fixtures():
        json.loads(path.read_text(encoding="utf-8"))
    with connection.cursor() as cursor:
        for table in _catalogue_tables():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            cursor.fetchall()


def child(repeat: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qualifications.models import AssessmentCriterion

    devnull = open(os.devnull, "w")  # noqa: SIM115
    call_command("migrate", verbosity=0)

    # Each first load starts from empty tables; the emptying is outside the timed part.
    first_times = []
    for _ in range(max(1, repeat // 2)):
        _empty_catalogue()
        first_times.append(
            median_seconds(
                lambda: call_command("load_catalogue", verbosity=0, stdout=devnull),
                repeat=1,
                warmup=0,
            )
        )
    first_times.sort()
    reload = median_seconds(
        lambda: call_command("load_catalogue", verbosity=0, stdout=devnull), repeat=repeat
    )
    floor = median_seconds(_tables_floor, repeat=repeat)
    with CaptureQueriesContext(connection) as queries:
        call_command("load_catalogue", verbosity=0, stdout=devnull)
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    return {
        "vendor": connection.vendor,
        "first": first_times[len(first_times) // 2],
        "reload": reload,
        "floor": floor,
        "queries": len(queries.captured_queries),
        "writes": len(writes),
        "tables": len(_catalogue_tables()),
        "criteria": AssessmentCriterion.objects.count(),
    }


# ---------------------------------------------------------------- the parent


def _server_database(server_url: str, statement: str, name: str) -> None:
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(server_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(statement).format(sql.Identifier(name)))
    connection.close()


def _run_child(database_url: str, repeat: int, workdir: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_MEDIA_ROOT": str(Path(workdir) / "media"),
    }
    done = subprocess.run(  # noqa: S603 (this script)
        [sys.executable, __file__, "--child", "--repeat", str(repeat)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rows(result: dict, label: str) -> list[Row]:
    queries_goal = 2 * result["tables"]
    return [
        Row(
            f"catalogue first load ({label})",
            result["first"],
            "s",
            f"< {GOAL_SECONDS:.0f} s",
            within(result["first"], None, under=GOAL_SECONDS),
            note=f"{result['criteria']} criteria into empty tables",
        ),
        Row(
            f"catalogue no-op reload ({label})",
            result["reload"],
            "s",
            f"< {GOAL_SECONDS:.0f} s",
            within(result["reload"], result["floor"], under=GOAL_SECONDS),
            floor=result["floor"],
            note="floor: parse the fixtures and read every catalogue table",
        ),
        Row(
            f"catalogue no-op reload queries ({label})",
            result["queries"],
            "queries",
            f"<= {queries_goal} (2 per table), no writes",
            result["queries"] <= queries_goal and result["writes"] == 0,
            floor=result["tables"],
            note=f"{result['writes']} writes; floor: one read per table",
        ),
    ]


def _postgres_server(database_url: str | None) -> str:
    if not database_url or not database_url.startswith("postgres"):
        return DEFAULT_SERVER
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))


def bench(ctx: Context) -> list[Row]:
    workdir = tempfile.mkdtemp(prefix="catalogue-bench-")
    rows: list[Row] = []
    try:
        sqlite = _run_child(f"sqlite:///{workdir}/bench.sqlite3", ctx.repeat, workdir)
        rows += _rows(sqlite, "SQLite")
        server = _postgres_server(ctx.database_url)
        name = f"eportfolio_catalogue_bench_{uuid.uuid4().hex[:8]}"
        _server_database(server, "CREATE DATABASE {}", name)
        try:
            parts = urlsplit(server)
            url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
            rows += _rows(_run_child(url, ctx.repeat, workdir), "PostgreSQL")
        finally:
            _server_database(server, "DROP DATABASE IF EXISTS {}", name)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def print_rows(rows: list[Row]) -> None:
    for row in rows:
        floor = "" if row.floor is None else f"  floor {row.floor:.3f} {row.unit}"
        ratio = "" if row.ratio is None else f"  x{row.ratio:.1f}"
        verdict = "met" if row.met else "NOT MET"
        print(
            f"{row.measure:<45} {row.project:10.3f} {row.unit:<8}{floor}{ratio}"
            f"  goal {row.goal}: {verdict}  {row.note}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="a PostgreSQL URL whose server the suite uses")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.repeat)))
        return
    print_rows(bench(Context(database_url=args.database_url or "", repeat=args.repeat)))


if __name__ == "__main__":
    main()
