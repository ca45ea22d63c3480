"""The embedded set-up's SQLite: writers take the lock up front, and commits go to a
write-ahead log (one sync a commit, not a journal file made, synced and deleted each time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.utils import ConnectionHandler

from config.settings.base import serialise_sqlite_writers


def test_a_sqlite_database_is_opened_in_wal_mode_with_immediate_transactions(
    tmp_path: Path, django_db_blocker: Any
) -> None:
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
    serialise_sqlite_writers(database)
    handler = ConnectionHandler({"default": database})
    connection = handler["default"]
    # A database of the test's own, not the test database pytest-django guards.
    with django_db_blocker.unblock():
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone()[0] == "wal"
                # Every commit still synced: WAL keeps FULL unless told otherwise.
                cursor.execute("PRAGMA synchronous")
                assert cursor.fetchone()[0] == 2
            assert connection.transaction_mode == "IMMEDIATE"
        finally:
            connection.close()


def test_other_databases_are_left_as_configured() -> None:
    database = {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}
    serialise_sqlite_writers(database)
    assert "OPTIONS" not in database
