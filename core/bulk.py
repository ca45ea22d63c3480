"""Writing thousands of rows in one statement, without a model instance or a field's
preparation per value.

Django's bulk_create prepares every value of every row through its field (at 10,000 claim
lines, 180,000 calls: most of the time of adding them). Here a column's values go to the
database as one array (`insert_rows`: INSERT … SELECT FROM unnest(…) RETURNING id) or as
COPY text (`copy_rows`), converted by the driver or by a few string operations. The caller
gives values already in the column's Python type (ids, dates, JSON as text); fields' defaults
fill the columns left out, as Model() would. Other databases (SQLite) take bulk_create.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection, models

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_DATES: dict[Any, str] = {}  # the few distinct dates and times, written thousands of times


def copy_value(value: Any, is_json: bool = False) -> str:
    """One value in COPY's text format (a million rows: the common cases come first)."""
    kind = type(value)
    if kind is int:
        return str(value)
    if value is None:
        return r"\N"
    if is_json:
        value = json.dumps(value)
    elif kind is bool:
        return "t" if value else "f"
    elif kind is datetime or kind is date:
        found = _DATES.get(value)
        if found is None:
            found = _DATES[value] = value.isoformat()
        return found
    elif kind is not str:
        value = str(value)
    return copy_text(value)


def copy_text(value: str) -> str:
    """A string as COPY text reads it back (JSON already serialised included)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def _column_field(model: type[models.Model], name: str) -> models.Field:
    """The model's field that holds column `name` (a reverse relation holds none)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


def _column(field: models.Field | None) -> str:
    """A concrete field's column. (Django types it optional: a non-concrete field has none.)"""
    if field is None or field.column is None:
        raise ValueError(f"{field} has no column")
    return field.column


def copy_lines(model: type[models.Model], columns: Sequence[str], lines: Iterable[str]) -> None:
    """COPY rows already in COPY's text format (tab-separated `columns`, one a line, each
    ending in a newline) into the model's table. PostgreSQL only. Errors (a unique
    constraint) are raised as Django's, as from any query."""
    buffer = io.StringIO()
    buffer.writelines(lines)
    buffer.seek(0)
    names = ", ".join(f'"{_column_field(model, c).column}"' for c in columns)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.cursor.copy_expert(f'COPY "{model._meta.db_table}" ({names}) FROM STDIN', buffer)


def _defaults(model: type[models.Model], columns: Sequence[str]) -> list[tuple[models.Field, Any]]:
    given = set(columns)
    return [
        (f, f.get_default())
        for f in model._meta.concrete_fields
        if f.attname not in given and not f.primary_key
    ]


def insert_rows(
    model: type[models.Model], columns: Sequence[str], values: Sequence[Sequence[Any]]
) -> list[int]:
    """Insert rows given column by column (`values[i]` holds every row's value of
    `columns[i]`, all of the same length) and return their new ids, in row order.

    PostgreSQL: one INSERT … SELECT FROM unnest(one array a column) … RETURNING id, whatever
    the number of rows. JSON columns take their values as JSON text.
    """
    count = len(values[0]) if values else 0
    if count == 0:
        return []
    defaults = _defaults(model, columns)
    if connection.vendor != "postgresql":
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        rows = [
            model(
                **{
                    c: json.loads(v) if isinstance(by_attname[c], models.JSONField) else v
                    for c, v in zip(columns, row, strict=True)
                }
            )
            for row in zip(*values, strict=True)
        ]
        return [row.pk for row in model._default_manager.bulk_create(rows, batch_size=500)]
    fields = [_column_field(model, c) for c in columns]
    arrays = []
    for field, column_values in zip(fields, values, strict=True):
        if len(column_values) != count:
            raise ValueError("every column needs a value for every row")
        # JSON travels as text: psycopg2 adapts a list of str in C, then PostgreSQL parses.
        kind = "text" if isinstance(field, models.JSONField) else field.db_type(connection)
        arrays.append((field, f"%s::{kind}[]", list(column_values)))
    quote = connection.ops.quote_name
    names = [quote(_column(f)) for f in fields] + [quote(_column(f)) for f, _ in defaults]
    selected = [
        f"u.c{n}::jsonb" if isinstance(f, models.JSONField) else f"u.c{n}"
        for n, (f, _, _) in enumerate(arrays)
    ] + ["%s"] * len(defaults)
    aliases = ", ".join(f"c{n}" for n in range(len(arrays)))
    default_params = [json.dumps(d) if isinstance(f, models.JSONField) else d for f, d in defaults]
    # WITH ORDINALITY … ORDER BY: the rows are inserted, so their ids are handed out and
    # returned, in the order given.
    # Names from the model's meta, values as parameters.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(names)}) "  # noqa: S608
        f"SELECT {', '.join(selected)} "
        f"FROM unnest({', '.join(a for _, a, _ in arrays)}) WITH ORDINALITY AS u({aliases}, n) "
        f"ORDER BY u.n RETURNING {quote(_column(model._meta.pk))}"
    )
    # Placeholders bind in the order they appear: the defaults (select list) before the arrays.
    params = default_params + [v for _, _, v in arrays]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


class RowWriter:
    """Reserves ids and writes rows (tuples in the order of `columns`) to a model's table:
    the scale seed's millions. `reserve` moves a sequence past a block in two steps, so it is
    for a writer alone on the table (seeding), not for requests."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self._next: dict[str, int] = {}

    def reserve(self, model: type[models.Model], count: int) -> int:
        """The first of `count` consecutive ids no other row has or will be given."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                if count == 0:
                    return 0
                # One statement moves the sequence past the whole block.
                cursor.execute(
                    "SELECT setval(%s, nextval(%s) + %s - 1)", [sequence, sequence, count]
                )
                return int(cursor.fetchone()[0]) - count + 1
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
            first = max(int(cursor.fetchone()[0]) + 1, self._next.get(table, 1))
        self._next[table] = first + count
        return first

    def write(
        self, model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple]
    ) -> None:
        if not rows:
            return
        # Columns left out take the field's default, as Model() would give them.
        given = set(columns)
        missing = [
            f for f in model._meta.concrete_fields if f.attname not in given and not f.primary_key
        ]
        if missing:
            defaults = tuple(f.get_default() for f in missing)
            columns = (*columns, *(f.attname for f in missing))
            rows = [row + defaults for row in rows]
        if self.postgres:
            self._copy(model, columns, rows)
        else:
            model._default_manager.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=500
            )

    def _copy(
        self, model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple]
    ) -> None:
        fields = {f.attname: f for f in model._meta.concrete_fields}
        json_columns = [isinstance(fields[c], models.JSONField) for c in columns]
        copy_lines(
            model,
            columns,
            (
                "\t".join(
                    copy_value(value, is_json)
                    for value, is_json in zip(row, json_columns, strict=True)
                )
                + "\n"
                for row in rows
            ),
        )
