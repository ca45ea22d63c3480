"""`make bench`: every benchmark suite against the large centre, in one table.

    .venv/bin/python bench/run.py [--database-url URL] [--reseed] [--platform]
        [--only name[,name]] [--load] [--repeat N] [--json PATH]

Needs PostgreSQL (default postgres://postgres@127.0.0.1:5432/eportfolio_bench, created if
missing). The first run migrates it, loads the catalogue and runs `manage.py seed_scale`
(minutes); later runs reuse it while its manifest (bench/.scale.json) says it was seeded by
the same code (the seed's source, the migrations and the catalogue). --reseed drops and builds
it again. --platform also builds the platform-sized data (100 centres, 20,000 learners, a
million decisions) into a second database, <name>_platform, which suites find in
ctx.platform.

Django is set up once, then each suite in SUITES is imported (bench/<name>.py) and its
`bench(ctx)` called. A suite that is not written yet, or that fails, is a row of its own (not
met) and the run goes on. The table (measure, project, floor, ratio, goal, met) is printed and
written as JSON to bench/results.json (and --json PATH). It asserts nothing: exit status 0
whatever the rows say, 1 only if the run itself could not start.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import platform
import shlex
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import Context, Row  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/eportfolio_bench"
MANIFEST = ROOT / "bench" / ".scale.json"
PLATFORM_MANIFEST = ROOT / "bench" / ".scale-platform.json"
RESULTS = ROOT / "bench" / "results.json"
MEDIA = ROOT / "bench" / ".media"

# Run in this order. A module that does not exist yet shows as a row "not yet written".
SUITES = [
    "import_parse",
    "catalogue_load",
    "setup_time",
    "pages_portfolio",
    "pages_caseload",
    # Issue 19: the off-the-job log and the employer contact's home; the progress reviews, the
    # gateway and the cohort of apprentices.
    "pages_apprenticeship",
    "pages_apprenticeship_reviews",
    "judging",
    "sampling_plan",
    "claim_export",
    # The largest IMI record built as the worker builds it (achievement_build.py is not a suite).
    "achievement_record",
    "upload",
    # Issue 20: a large portfolio ZIP imported by another centre (the POST, rolled back each run).
    "transfer_import",
    # Needs --platform; without it, one row saying so.
    "pages_platform",
]
# Only with --load: it starts gunicorn and locust for minutes.
LOAD_SUITES = ["load"]

# What the seed depends on: when any of it changes, the bench database is seeded again.
SEED_SOURCES = [
    "demo/scale.py",
    "demo/scale_bulk.py",
    "core/bulk.py",
    "demo/quality.py",
    "demo/common.py",
    "demo/centres.py",
]
# Migrations are not among them: a later run migrates the seeded database forward, as a
# deployment would, rather than seeding it again for a new index (seeding takes minutes).
SEED_SOURCE_DIRS = ["fixtures/catalogue"]


# ---------------------------------------------------------------- the table


def suite_error_row(name: str, error: str) -> Row:
    return Row(measure=name, project=0.0, unit="", goal="runs", met=False, note=error)


def run_suites(
    names: Sequence[str],
    ctx: Context,
    *,
    importer: Callable[[str], Any] | None = None,
    say: Callable[[str], None] = print,
) -> list[Row]:
    """Each suite's rows; a missing or failing suite becomes a row that is not met."""
    load = importer or (lambda name: importlib.import_module(f"bench.{name}"))
    rows: list[Row] = []
    for name in names:
        started = time.perf_counter()
        try:
            module = load(name)
        except ModuleNotFoundError as exc:
            if exc.name in (f"bench.{name}", name):
                rows.append(suite_error_row(name, "not yet written"))
                say(f"{name}: not yet written")
                continue
            rows.append(suite_error_row(name, f"import failed: {exc}"))
            say(f"{name}: import failed: {exc}")
            continue
        except Exception as exc:
            rows.append(suite_error_row(name, f"import failed: {exc!r}"))
            say(f"{name}: import failed:\n{traceback.format_exc()}")
            continue
        try:
            made = list(module.bench(ctx))
        except Exception as exc:
            rows.append(suite_error_row(name, f"failed: {exc!r}"))
            say(f"{name}: failed:\n{traceback.format_exc()}")
            continue
        finally:
            _close_connections()
        for row in made:
            if not row.measure.startswith(name):
                row.measure = f"{name}: {row.measure}"
        rows.extend(made)
        say(f"{name}: {len(made)} row(s) in {time.perf_counter() - started:.1f} s")
    return rows


def _close_connections() -> None:
    # A suite that broke a transaction must not leave the next one a dead connection.
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: S110 (Django not set up: nothing to close)
        pass


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(rows: Sequence[Row]) -> str:
    """One line a row: measure, project, floor, ratio, goal, met (and the note beneath)."""
    header = ("measure", "project", "floor", "ratio", "goal", "met")
    lines = [
        (
            row.measure,
            f"{_number(row.project)} {row.unit}".strip(),
            f"{_number(row.floor)} {row.unit}".strip() if row.floor is not None else "-",
            f"{row.ratio:.1f}x" if row.ratio is not None else "-",
            row.goal,
            "yes" if row.met else "NO",
        )
        for row in rows
    ]
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]
    out = []
    for index, cells in enumerate([header, *lines]):
        out.append(
            "  ".join(
                str(cell).ljust(widths[i]) if i in (0, 4) else str(cell).rjust(widths[i])
                for i, cell in enumerate(cells)
            ).rstrip()
        )
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
        elif rows[index - 1].note and not rows[index - 1].met:
            out.append(f"    {rows[index - 1].note}")
    met = sum(row.met for row in rows)
    out.append(f"{met} of {len(rows)} met")
    return "\n".join(out)


def results_json(rows: Sequence[Row], *, meta: dict[str, Any]) -> dict[str, Any]:
    return {**meta, "rows": [row.as_dict() for row in rows]}


def write_results(data: dict[str, Any], paths: Sequence[Path]) -> None:
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2) + "\n")


# ---------------------------------------------------------------- the database


def code_version() -> str:
    """A fingerprint of what the seeded data depend on."""
    digest = hashlib.sha256()
    files = [ROOT / name for name in SEED_SOURCES]
    for pattern in SEED_SOURCE_DIRS:
        files += sorted(ROOT.glob(f"{pattern}/*"))
    for path in sorted(files):
        if path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _admin_url(url: str) -> tuple[str, str]:
    """The maintenance database's URL beside `url`, and the bench database's name."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def ensure_database(url: str, *, drop: bool = False) -> bool:
    """Create the database if missing (dropping it first with `drop`); True if made anew."""
    import psycopg2
    from psycopg2 import sql

    admin, name = _admin_url(url)
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            if drop:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        connection.close()


def django_env(url: str) -> dict[str, str]:
    """The environment the bench runs Django in: the local settings with DEBUG off (as a
    production process renders pages), the test client's host allowed, tasks eager, the
    bench's own media folder."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
            "DJANGO_MEDIA_ROOT": str(MEDIA),
        }
    )
    env.pop("CELERY_BROKER_URL", None)
    return env


def manage(url: str, *args: str) -> None:
    subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, str(ROOT / "manage.py"), *args], check=True, env=django_env(url)
    )


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def ensure_seeded(
    url: str, manifest: Path, *, reseed: bool, platform: bool, seed_args: Sequence[str] = ()
) -> dict[str, Any]:
    """The seeded database's manifest, seeding it first unless it is current."""
    version = code_version() + (":" + " ".join(seed_args) if seed_args else "")
    found = read_manifest(manifest)
    current = (
        not reseed and found.get("code_version") == version and found.get("database_url") == url
    )
    _, name = _admin_url(url)
    mine = "bench" in name or found.get("database_url") == url
    # Never drop a database the bench did not make (a developer's own, given by mistake)
    # unless --reseed says so; ensure_database here only creates one that is missing.
    if not current and not reseed and not mine and not ensure_database(url):
        raise RuntimeError(
            f"{name} exists and was not seeded by bench/run.py; pass --reseed to drop it"
        )
    fresh = ensure_database(url, drop=not current)
    if current and not fresh:
        print(f"Reusing {url} (seeded {found.get('seeded_at', '?')}); migrating it forward.")
        manage(url, "migrate", "--noinput", "-v0")
        # The statistics the planner reads: a database that was just copied, restored or
        # migrated may have none, and the timings would be of a planner guessing.
        analyze(url)
        return found
    print(
        f"Seeding {url}: migrate, load the catalogue, seed_scale"
        + (" --platform" if platform else "")
    )
    started = time.perf_counter()
    manage(url, "migrate", "--noinput", "-v0")
    manage(url, "load_catalogue")
    extra = [*(["--platform"] if platform else []), *seed_args]
    manage(url, "seed_scale", "--allow-without-debug", "--manifest", str(manifest), *extra)
    analyze(url)
    data = read_manifest(manifest)
    data.update(
        {
            "code_version": version,
            "database_url": url,
            "seeded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed_seconds": round(time.perf_counter() - started, 1),
        }
    )
    manifest.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data


def analyze(url: str) -> None:
    """Do what autovacuum does on a live server, before measuring: VACUUM and ANALYZE.

    ANALYZE: a database bulk-seeded a moment ago has no statistics until autovacuum gets to it
    (and some servers run without autovacuum): PostgreSQL then takes 10,000-row tables for
    empty ones and picks nested loops that cost seconds (the claims page: 13 s instead of 40 ms).
    VACUUM: until a table is vacuumed its visibility map is empty, so the planner prices every
    index-only scan as if it read the table too and reads the whole table instead (the claims
    page's sign-offs); and rows inserted into a GIN index wait in its pending list, which every
    search scans one by one (the trigram searches: 5 ms a query on the platform's users).
    Only a vacuum (autovacuum's ANALYZE, not a manual one) empties it. Ten seconds or so on the
    platform-sized data, and little on a later run (vacuum skips pages it already saw).
    """
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            # As production's PostgreSQL is set (docker-compose.yml: SSD storage), for the
            # pages and their floors alike.
            cursor.execute(
                sql.SQL("ALTER DATABASE {} SET random_page_cost = 1.1").format(
                    sql.Identifier(_admin_url(url)[1])
                )
            )
            cursor.execute("VACUUM (ANALYZE)")
    finally:
        connection.close()


def platform_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path + "_platform"))


def set_up_django(url: str, platform: str | None) -> None:
    """Django once, on the scale database; the platform's as the connection "platform"."""
    os.environ.update(django_env(url))
    import django

    django.setup()
    if platform:
        import environ
        from django.conf import settings
        from django.db import connections

        config = environ.Env.db_url_config(platform)
        settings.DATABASES["platform"] = config
        connections.settings["platform"] = connections.configure_settings(
            {"default": connections.settings["default"], "platform": config}
        )["platform"]


# ---------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--reseed", action="store_true", help="Drop and seed the database again.")
    parser.add_argument(
        "--platform", action="store_true", help="Also build and measure the platform-sized data."
    )
    parser.add_argument("--only", default="", help="Comma-separated suite names.")
    parser.add_argument("--load", action="store_true", help="Also run the load test (minutes).")
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs per measure.")
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    parser.add_argument(
        "--seed-args",
        default="",
        help='Passed to seed_scale, e.g. "--caseload 20 --claimable 500" for a quick small run.',
    )
    args = parser.parse_args(argv)

    names = SUITES + (LOAD_SUITES if args.load else [])
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(wanted) - set(SUITES) - set(LOAD_SUITES))
        if unknown:
            parser.error(
                f"unknown suite(s): {', '.join(unknown)} (known: {', '.join(SUITES + LOAD_SUITES)})"
            )
        names = wanted
    started = time.perf_counter()
    try:
        seed_args = shlex.split(args.seed_args)
        scale = ensure_seeded(
            args.database_url, MANIFEST, reseed=args.reseed, platform=False, seed_args=seed_args
        )
        platform_data: dict[str, Any] = {}
        second = None
        if args.platform:
            second = platform_url(args.database_url)
            platform_data = ensure_seeded(
                second, PLATFORM_MANIFEST, reseed=args.reseed, platform=True, seed_args=seed_args
            )
            platform_data = {**platform_data, "alias": "platform", "database_url": second}
    except Exception as exc:
        print(f"bench: could not prepare the database: {exc}", file=sys.stderr)
        print("make bench needs PostgreSQL on 127.0.0.1:5432 (or --database-url).", file=sys.stderr)
        return 1
    set_up_django(args.database_url, second)
    ctx = Context(
        database_url=args.database_url,
        repeat=args.repeat,
        scale=scale,
        platform=platform_data,
        load=args.load,
    )
    rows = run_suites(names, ctx)
    print()
    print(format_table(rows))
    meta = {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
        "database_url": args.database_url,
        "seed_seconds": scale.get("seed_seconds"),
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_results(results_json(rows, meta=meta), [RESULTS, *([args.json] if args.json else [])])
    print(f"Written to {RESULTS}" + (f" and {args.json}" if args.json else "") + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
