"""Queries of a fixed shape, compiled once per database and run again with other ids.

Building a queryset and compiling it to SQL costs Django more CPU than PostgreSQL takes to
answer an indexed read of a few hundred rows: about a millisecond a query on the portfolio's
pages (measured with a sampling profiler, issue 15), which made the ORM, not the database, most
of their time. A page that runs the same shape on every request, with only ids changing, builds
it once with a stand-in for each id, keeps the SQL, the parameters and the converters, and then
only puts the real ids in place of the stand-ins. The rows are what `values_list` would give.

The arguments are integer ids, or where named so, dates (`dates`: a `today` for "current"
rows), aware datetimes (`datetimes`) or text (`texts`: a key).
The shape must depend on nothing but them (no date of its own, no list whose length varies, no
branch on who looks: a branch is a second Prepared); each argument must reach the parameters,
which is checked when the query is compiled.
"""

from __future__ import annotations

import datetime
import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Ids no row has, and a date no row has; each argument gets its own, so each can be found
# among the parameters.
_STAND_IN = -7_294_361_000
_STAND_IN_DATE = datetime.date(1001, 1, 1)
_STAND_IN_TIME = datetime.datetime(1001, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, tuple[int, ...]]  # argument -> the parameters it fills
    adapted: frozenset[str]  # date arguments the backend takes as text (SQLite)
    converters: dict[int, tuple[list[Any], Any]]  # column -> (converters, expression)


class Prepared:
    """`build(**ids)` returns a `values_list` queryset; `rows(**ids)` returns its rows, having
    built and compiled it only the first time on each database."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        dates: Iterable[str] = (),
        datetimes: Iterable[str] = (),
        texts: Iterable[str] = (),
    ) -> None:
        self.build = build
        self.names = tuple(inspect.signature(build).parameters)
        self.dates, self.datetimes, self.texts = (
            frozenset(dates),
            frozenset(datetimes),
            frozenset(texts),
        )
        named = self.dates | self.datetimes | self.texts
        if not named <= set(self.names):
            raise ValueError(f"{build.__qualname__} takes no {sorted(named - set(self.names))}")
        self._compiled: dict[str, _Compiled] = {}

    def _stand_in(self, n: int, name: str) -> Any:
        if name in self.dates:
            return _STAND_IN_DATE + datetime.timedelta(days=n)
        if name in self.datetimes:
            return _STAND_IN_TIME + datetime.timedelta(seconds=n)
        if name in self.texts:
            return f"~prepared stand-in {n}~"
        return _STAND_IN - n

    def _adapt(self, ops: Any, name: str, value: Any) -> Any:
        """A date or datetime as the backend takes it when it takes it as text (SQLite)."""
        if name in self.dates:
            return ops.adapt_datefield_value(value)
        return ops.adapt_datetimefield_value(value)

    def _compile(self, using: str) -> _Compiled:
        ops = connections[using].ops
        stand_ins = {name: self._stand_in(n, name) for n, name in enumerate(self.names)}
        queryset = self.build(**stand_ins)
        if queryset._iterable_class.__name__ != "ValuesListIterable":
            raise TypeError(f"{self.build.__qualname__} must return values_list(...) rows")
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        params = tuple(params)
        slots, adapted = {}, set()
        for name, stand_in in stand_ins.items():
            slots[name] = tuple(at for at, value in enumerate(params) if value == stand_in)
            if name in self.dates | self.datetimes and not slots[name]:
                as_text = self._adapt(ops, name, stand_in)
                slots[name] = tuple(at for at, value in enumerate(params) if value == as_text)
                adapted.add(name)
        missing = [name for name, positions in slots.items() if not positions]
        if missing:
            raise ValueError(f"{self.build.__qualname__}: {missing} do not reach the SQL")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        compiled = _Compiled(
            sql=sql,
            params=params,
            slots=slots,
            adapted=frozenset(adapted),
            converters=converters,
        )
        self._compiled[using] = compiled
        return compiled

    # `using` before the `/`: no id can take its place when callers pass a dict of ids.
    def rows(self, using: str = "default", /, **ids: Any) -> list[tuple[Any, ...]]:
        if ids.keys() != set(self.names):
            raise TypeError(f"{self.build.__qualname__} takes {self.names}, given {tuple(ids)}")
        compiled = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            value = ids[name]
            self._check(name, value)
            if name in compiled.adapted:
                value = self._adapt(connection.ops, name, value)
            for at in positions:
                params[at] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()  # tuples, from both PostgreSQL and SQLite
        if not compiled.converters:
            return rows
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

    def _check(self, name: str, value: Any) -> None:
        if name in self.dates:
            wanted, ok = "a date", type(value) is datetime.date
        elif name in self.datetimes:
            wanted = "an aware datetime"
            ok = isinstance(value, datetime.datetime) and value.tzinfo is not None
        elif name in self.texts:
            wanted, ok = "text", isinstance(value, str)
        else:
            wanted = "an integer id"
            ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok:
            raise TypeError(f"{name} must be {wanted}, not {value!r}")


def attnames(model: Any) -> list[str]:
    """A model's columns in its own order, as from_db takes them for a whole row."""
    return [field.attname for field in model._meta.concrete_fields]


def from_rows(model: Any, rows: Iterable[tuple[Any, ...]], using: str = "default") -> list[Any]:
    """Instances of `model` from rows of all its columns (attnames), as a queryset makes them."""
    names = attnames(model)
    return [model.from_db(using, names, row) for row in rows]


class PreparedForIds:
    """A `values_list` query over a list of ids, `build(ids)`, compiled once (Prepared) for each
    size of list up to MAX_IDS, in powers of two: a shorter list is padded to the next size by
    repeating its first id (an IN list's duplicates change nothing). Building and compiling a
    query with its subqueries cost the list pages milliseconds on every request (2.5 ms of CPU
    for the met criteria of a page of 20 apprentices, against 0.3 ms for the rows), however
    many ids they asked about; with sizes in powers of two a query keeps at most a handful of
    compiled forms. An empty list, or one longer than MAX_IDS, is built as any query is. The
    rows are the same."""

    MAX_IDS = 256

    def __init__(self, build: Callable[[list[int]], QuerySet]) -> None:
        self.build = build
        self._sized: dict[int, Prepared] = {}

    def _prepared(self, size: int) -> Prepared:
        found = self._sized.get(size)
        if found is None:
            names = [f"id{n}" for n in range(size)]

            def sized(**ids: int) -> QuerySet:
                return self.build([ids[name] for name in names])

            # Prepared reads the arguments from the signature: one per id of the list.
            sized.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
                [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in names]
            )
            sized.__qualname__ = f"{self.build.__qualname__} ({size} ids)"
            found = self._sized[size] = Prepared(sized)
        return found

    def rows(self, ids: Iterable[int]) -> list[tuple[Any, ...]]:
        ids = list(ids)
        if not ids or len(ids) > self.MAX_IDS:
            return list(self.build(ids))
        size = 1 << (len(ids) - 1).bit_length()
        padded = ids + [ids[0]] * (size - len(ids))
        return self._prepared(size).rows(**{f"id{n}": pk for n, pk in enumerate(padded)})


class PreparedInstances:
    """Model instances, as `build(**ids).select_related(*related)` gives them, from a query
    compiled once (Prepared): `build` returns a queryset of `model`, filtered and ordered;
    `related` names its foreign keys (one step, nullable or not) to load alongside; `dates`,
    `datetimes` and `texts` name arguments as for Prepared. The rows
    are turned into instances with from_db, each foreign key's object cached on them (None where
    the key is null), so the page's templates read them as before."""

    def __init__(
        self,
        model: Any,
        build: Callable[..., QuerySet],
        *,
        related: Iterable[str] = (),
        dates: Iterable[str] = (),
        datetimes: Iterable[str] = (),
        texts: Iterable[str] = (),
    ) -> None:
        self.model = model
        self.related = tuple(model._meta.get_field(name) for name in related)
        self.names = attnames(model)
        self.related_names = [attnames(relation.related_model) for relation in self.related]
        columns = [
            *self.names,
            *(
                f"{relation.name}__{attname}"
                for relation, names in zip(self.related, self.related_names, strict=True)
                for attname in names
            ),
        ]

        @functools.wraps(build)  # Prepared reads build's arguments through __wrapped__
        def values(**ids: Any) -> QuerySet:
            return build(**ids).values_list(*columns)

        self.query = Prepared(values, dates=dates, datetimes=datetimes, texts=texts)

    def instances(self, using: str = "default", /, **ids: Any) -> list[Any]:
        found = []
        for row in self.query.rows(using, **ids):
            instance = self.model.from_db(using, self.names, row[: len(self.names)])
            at = len(self.names)
            for relation, names in zip(self.related, self.related_names, strict=True):
                values = row[at : at + len(names)]
                at += len(names)
                related = (
                    None
                    if getattr(instance, relation.attname) is None
                    else relation.related_model.from_db(using, names, values)
                )
                relation.set_cached_value(instance, related)
            found.append(instance)
        return found


class PreparedShapes:
    """A family of `values_list` queries, `build(start, stop, **arguments)`, whose shape varies
    with which optional arguments are given and with the slice `build` takes (`[start:stop]`,
    of the query or of a subquery): LIMIT and OFFSET are written into the SQL, not bound, so
    each page of a list is a query of its own. Each shape (the names of the arguments given,
    and the slice) is compiled once (Prepared) on first use, up to `kept` shapes; past that,
    or for a slice past `deepest`, the query is built and run as any is. A list read page by
    page from the front (an API client's sync, a log) keeps a handful of compiled shapes.
    `dates`, `datetimes` and `texts` name arguments as for Prepared."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        kept: int = 64,
        deepest: int = 1_000,
        dates: Iterable[str] = (),
        datetimes: Iterable[str] = (),
        texts: Iterable[str] = (),
    ) -> None:
        self.build = build
        self.kept, self.deepest = kept, deepest
        self.dates, self.datetimes, self.texts = set(dates), set(datetimes), set(texts)
        self._shapes: dict[tuple[tuple[str, ...], int | None, int | None], Prepared] = {}

    def _prepared(self, names: tuple[str, ...], start: int | None, stop: int | None) -> Prepared:
        build = self.build

        def shaped(**arguments: Any) -> QuerySet:
            return build(start, stop, **arguments)

        # Prepared reads the arguments from the signature: those given, by name.
        shaped.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in names]
        )
        shaped.__qualname__ = f"{build.__qualname__}({', '.join(names)})[{start}:{stop}]"
        given = set(names)
        return Prepared(
            shaped,
            dates=self.dates & given,
            datetimes=self.datetimes & given,
            texts=self.texts & given,
        )

    def rows(
        self, start: int | None = None, stop: int | None = None, /, **arguments: Any
    ) -> list[tuple[Any, ...]]:
        """The rows of `build(start, stop, **arguments)`, from its compiled shape where one is
        kept, else from the query as built (the same rows)."""
        key = (tuple(sorted(arguments)), start, stop)
        prepared = self._shapes.get(key)
        if prepared is None:
            if len(self._shapes) >= self.kept or (stop or 0) > self.deepest:
                return list(self.build(start, stop, **arguments))
            prepared = self._shapes[key] = self._prepared(key[0], start, stop)
        return prepared.rows(**arguments)
