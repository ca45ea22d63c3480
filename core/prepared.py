"""Queries of a fixed shape, compiled once per database and run again with other ids.

Building a queryset and compiling it to SQL costs Django more CPU than PostgreSQL takes to
answer an indexed read of a few hundred rows: about a millisecond a query on the portfolio's
pages (measured with a sampling profiler, issue 15), which made the ORM, not the database, most
of their time. A page that runs the same shape on every request, with only ids changing, builds
it once with a stand-in for each id, keeps the SQL, the parameters and the converters, and then
only puts the real ids in place of the stand-ins. The rows are what `values_list` would give.

The shape must depend on nothing but the ids passed in (no date, no list whose length varies,
no user-dependent branch: a branch is a second Prepared), which `Prepared` checks as far as it
can: every id must reach the parameters, and no parameter may be a stand-in it did not expect.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Ids no row has; each argument gets its own, so each can be found among the parameters.
_STAND_IN = -7_294_361_000


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, tuple[int, ...]]  # argument -> the parameters it fills
    converters: dict[int, tuple[list[Any], Any]]  # column -> (converters, expression)


class Prepared:
    """`build(**ids)` returns a `values_list` queryset; `rows(**ids)` returns its rows, having
    built and compiled it only the first time on each database."""

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        self.names = tuple(inspect.signature(build).parameters)
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, using: str) -> _Compiled:
        stand_ins = {name: _STAND_IN - n for n, name in enumerate(self.names)}
        queryset = self.build(**stand_ins)
        if queryset._iterable_class.__name__ != "ValuesListIterable":
            raise TypeError(f"{self.build.__qualname__} must return values_list(...) rows")
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        params = tuple(params)
        slots = {
            name: tuple(at for at, value in enumerate(params) if value == stand_in)
            for name, stand_in in stand_ins.items()
        }
        missing = [name for name, positions in slots.items() if not positions]
        if missing:
            raise ValueError(f"{self.build.__qualname__}: {missing} do not reach the SQL")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        compiled = _Compiled(sql=sql, params=params, slots=slots, converters=converters)
        self._compiled[using] = compiled
        return compiled

    def rows(self, *, using: str = "default", **ids: int) -> list[tuple[Any, ...]]:
        if ids.keys() != set(self.names):
            raise TypeError(f"{self.build.__qualname__} takes {self.names}, given {tuple(ids)}")
        compiled = self._compiled.get(using) or self._compile(using)
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            value = ids[name]
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an integer id, not {value!r}")
            for at in positions:
                params[at] = value
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if not compiled.converters:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            values = list(row)
            for at, (functions, expression) in compiled.converters.items():
                value = values[at]
                for function in functions:
                    value = function(value, expression, connection)
                values[at] = value
            converted.append(tuple(values))
        return converted
