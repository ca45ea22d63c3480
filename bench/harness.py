"""What every benchmark under `bench/` shares: one row shape, timing helpers, the scale database.

A benchmark suite is a module `bench/<name>.py` with

    def bench(ctx: Context) -> list[Row]: ...

`bench/run.py` (what `make bench` calls) sets Django up once against the scale database
(built by `manage.py seed_scale` on PostgreSQL), calls each suite in turn, prints one table
(measure, project, floor, ratio, goal, met) and writes it as JSON. A suite measures the
project's own path (a page through the test client, a command, a task) and, in the same run,
its floor: the hand-written SQL (or the library call alone) that returns the same data. Ratios
are what to read on a shared machine; absolute goals hold on an idle one.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Row:
    """One line of the table. `project` and `floor` are in `unit` (ms, s, KB, MB/s, queries)."""

    measure: str
    project: float
    unit: str
    goal: str
    met: bool
    floor: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.floor in (None, 0):
            return None
        return self.project / self.floor

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = None if self.ratio is None else round(self.ratio, 2)
        return data


@dataclass
class Context:
    """What a suite is given: the scale database's named objects and the run's options."""

    database_url: str
    repeat: int = 5
    # Named objects of the large centre (ids), filled in by run.py from seed_scale's manifest.
    scale: dict[str, Any] = field(default_factory=dict)
    # With run.py --platform: the platform database's manifest, its "database_url", and
    # "alias", the Django connection name it is open under ("platform"). Empty otherwise.
    platform: dict[str, Any] = field(default_factory=dict)
    # run.py --load: the load test is asked for.
    load: bool = False


def median_seconds(fn: Callable[[], object], *, repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of `fn()` over `repeat` runs after `warmup` untimed ones.

    The median, not the best: a page must be fast as people meet it, and the median is steady
    enough on a shared machine without hiding a slow path the way the minimum can.
    """
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def sql_floor(statements: Sequence[tuple[str, Sequence[Any]]]) -> Callable[[], None]:
    """A callable that runs hand-written SQL and fetches every row, as a page's floor."""
    from django.db import connection

    def run() -> None:
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                if cursor.description is not None:
                    cursor.fetchall()

    return run


# What every signed-in page reads besides its own rows: the session, the user, and their current
# roles with their centres (the header's "Signed in as ..., <role> at <centre>" and the role
# switcher). Part of every page's floor, as bench/pages_caseload.py's AROUND begins; portable
# SQL (the floors also run on SQLite in the tests).
SIGNED_IN = (
    "SELECT session_data FROM django_session "
    "WHERE session_key = %(session)s AND expire_date > %(now)s",
    "SELECT id, password, email, full_name, is_active, is_superuser FROM accounts_user "
    "WHERE id = %(user)s",
    "SELECT m.id, m.role, m.centre_id, c.name FROM accounts_membership m "
    "JOIN accounts_centre c ON c.id = m.centre_id WHERE m.user_id = %(user)s AND m.is_active "
    "AND (m.expires_on IS NULL OR m.expires_on >= %(today)s)",
)


def signed_in_floor(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """SIGNED_IN for the person a test client is signed in as (force_login), its session's key
    from the cookie."""
    from django.conf import settings
    from django.utils import timezone

    params = {
        "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "user": int(client.session["_auth_user_id"]),
        "now": timezone.now(),
        "today": timezone.localdate(),
    }
    return [(sql, params) for sql in SIGNED_IN]


def within(
    project: float, floor: float | None, *, ratio: float | None = None, under: float | None = None
) -> bool:
    """Whether a measure meets a goal of 'at most `ratio` x floor' and/or 'under `under`'."""
    ok = True
    if ratio is not None and floor:
        ok = ok and project <= ratio * floor
    if under is not None:
        ok = ok and project < under
    return ok


def print_profile(fn: Callable[[], object], *, top: int = 25, callers: int = 40) -> None:
    """Run `fn` once to warm it, then once under cProfile; print where the time goes."""
    import cProfile
    import pstats

    fn()
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(callers)


def standalone_parser(doc: str | None, *, repeat: int) -> argparse.ArgumentParser:
    """A suite's command line when run alone: a database (a throwaway SQLite one by default),
    how many times to time each measure, a profile of where the time goes, and seed_scale's
    manifest to measure on when there is one."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--database-url", help="default: a throwaway SQLite database")
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--manifest",
        type=Path,
        default=Path(__file__).resolve().parent / ".scale.json",
        help="seed_scale's manifest, used when it exists (default bench/.scale.json)",
    )
    return parser


def read_scale(manifest: Path) -> dict[str, Any]:
    """seed_scale's manifest, or nothing when the large centre was not built."""
    return json.loads(manifest.read_text()) if manifest.is_file() else {}
