"""A copy of the catalogue kept inside the test database, put back after a flush.

Django ends every transactional test by emptying every table. Re-running load_catalogue after
each one reads and compares the fixtures again; copying the rows back from tables beside the
real ones is one INSERT … SELECT a table, the same on PostgreSQL and SQLite. The copies are
plain tables no model names, so Django's flush never empties them.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.color import no_style
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

PREFIX = "test_copy_"


def _models() -> list[type[Model]]:
    # Every table of the app, the many-to-many tables between its models included.
    return [
        model
        for model in apps.get_app_config("qualifications").get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def _pairs(connection: BaseDatabaseWrapper) -> list[tuple[str, str]]:
    quote = connection.ops.quote_name
    return [
        (quote(model._meta.db_table), quote(PREFIX + model._meta.db_table)) for model in _models()
    ]


def take(connection: BaseDatabaseWrapper) -> None:
    """Copy the catalogue's tables as they stand (once, after load_catalogue)."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for table, copy in _pairs(connection):
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            cursor.execute(f"CREATE TABLE {copy} AS SELECT * FROM {table}")  # noqa: S608


def restore(connection: BaseDatabaseWrapper) -> None:
    """Put the copied rows back into the (emptied) catalogue tables.

    The rows keep their primary keys, so a test sees the same ids as every other test. The
    foreign keys are checked at commit (Django declares them deferrable), so the order of the
    tables does not matter. The sequences are set past the copied ids in case the flush reset
    them (a test marked reset_sequences).
    """
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for table, copy in _pairs(connection):
            cursor.execute(f"INSERT INTO {table} SELECT * FROM {copy}")  # noqa: S608
        for sql in connection.ops.sequence_reset_sql(no_style(), _models()):
            cursor.execute(sql)
