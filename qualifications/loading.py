"""Load catalogue fixtures by difference: read what is there, write only what changed.

`loaddata` costs several queries a row (a natural-key lookup for the row and for each of its
foreign keys, then an UPDATE that falls back to an INSERT), so a reload that changes nothing
still sent some 17,000 queries. Here each table is read once, the fixtures are compared with it
in Python, and only new rows are inserted (bulk) and only changed rows updated (bulk): a
reload that changes nothing writes nothing and costs one query per table, whatever the rows.

The result is the one `loaddata` gives for the same fixtures:
- rows are matched on their natural key; a fixture's fields replace the row's, and a field the
  fixture leaves out takes the model's default;
- a many-to-many field named in a fixture is set to exactly that list;
- a row no fixture names any more is left in place (as `loaddata` leaves it);
- when two fixtures name the same row, the later one wins.
No save signals are sent (the catalogue's models have none); the caller holds the transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.serializers.base import DeserializationError
from django.db import models

Model = type[models.Model]
NaturalKey = tuple[Any, ...]


@dataclass
class LoadSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    links_added: int = 0
    links_removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.links_added or self.links_removed)


@dataclass
class _Entry:
    """One object of a fixture, as written, with the file it came from (for error messages)."""

    source: str
    fields: dict[str, Any]


@dataclass
class _Table:
    """Every row of one model, indexed by primary key and by natural key."""

    by_pk: dict[Any, models.Model] = field(default_factory=dict)
    by_key: dict[NaturalKey, models.Model] = field(default_factory=dict)


def read_fixtures(paths: Sequence[Path]) -> dict[Model, list[_Entry]]:
    """Parse every fixture, grouping its objects by model in the order they were written.

    Raises DeserializationError naming the file for anything that is not a fixture of
    natural-keyed rows (bad JSON, an unknown model, a field the model does not have).
    """
    entries: dict[Model, list[_Entry]] = defaultdict(list)
    for path in paths:
        try:
            objects = json.loads(Path(path).read_text(encoding="utf-8"))
            if not isinstance(objects, list):
                raise ValueError("a fixture is a JSON list of objects")
            for obj in objects:
                model = apps.get_model(obj["model"])
                if "pk" in obj or not hasattr(model, "natural_key"):
                    raise ValueError(f"{obj['model']}: catalogue rows are named by natural key")
                fields = obj.get("fields", {})
                for name in fields:
                    model._meta.get_field(name)  # raises FieldDoesNotExist for a stray name
                entries[model].append(_Entry(Path(path).name, fields))
        except (ValueError, LookupError, KeyError, TypeError) as exc:
            raise DeserializationError(f"{Path(path).name}: {exc}") from exc
    return entries


def _foreign_keys(model: Model) -> list[models.ForeignKey]:
    return [
        f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey) and f.many_to_one
    ]


def _through(f: models.ManyToManyField) -> Model:
    """The table of a many-to-many field's links. (Django types it optional: it is set when the
    models are loaded.)"""
    through = f.remote_field.through
    if through is None:
        raise TypeError(f"{f} has no through model")
    return through


def _many_to_many(model: Model) -> list[models.ManyToManyField]:
    return [
        f
        for f in model._meta.local_many_to_many
        if isinstance(f, models.ManyToManyField) and _through(f)._meta.auto_created
    ]


def _natural_key(row: models.Model) -> NaturalKey:
    """A catalogue row's natural key (read_fixtures takes no model without one)."""
    if not hasattr(row, "natural_key"):
        raise TypeError(f"{row._meta.label} has no natural key")
    return row.natural_key()


def _in_dependency_order(wanted: Iterable[Model]) -> list[Model]:
    """The models, each after every model its foreign keys and many-to-many fields point to."""
    ordered: list[Model] = []
    visiting: set[Model] = set()

    def visit(model: Model) -> None:
        if model in ordered:
            return
        if model in visiting:
            raise DeserializationError(f"{model._meta.label}: circular foreign keys")
        visiting.add(model)
        for f in [*_foreign_keys(model), *_many_to_many(model)]:
            target = f.remote_field.model
            if target is not model:
                visit(target)
        visiting.discard(model)
        ordered.append(model)

    for model in wanted:
        visit(model)
    return ordered


class CatalogueLoader:
    """Brings the database in line with fixtures, one query per table when nothing changed."""

    def __init__(self) -> None:
        self.tables: dict[Model, _Table] = {}
        self.summary = LoadSummary()

    def load(self, paths: Sequence[Path]) -> LoadSummary:
        entries = read_fixtures(paths)
        for model in _in_dependency_order(entries):
            if model in entries:
                self._sync(model, entries[model])
            else:
                self._table(model)
        return self.summary

    # ------------------------------------------------------------------ reading

    def _table(self, model: Model) -> _Table:
        """Every row of `model` in one query, its foreign keys joined up from tables in memory."""
        if model in self.tables:
            return self.tables[model]
        links = [(f, self._table(f.remote_field.model)) for f in _foreign_keys(model)]
        table = _Table()
        for row in model._default_manager.all().order_by():
            self._join(row, links)
            table.by_pk[row.pk] = row
            if hasattr(row, "natural_key"):
                table.by_key[row.natural_key()] = row
        self.tables[model] = table
        return table

    @staticmethod
    def _join(row: models.Model, links: list[tuple[models.ForeignKey, _Table]]) -> None:
        # Filling the relation caches lets natural_key() read `self.unit.key` without a query.
        for f, target in links:
            value = getattr(row, f.attname)
            if value is not None:
                related = _by_target_field(target, f, value)
                if related is not None:
                    f.set_cached_value(row, related)

    # ------------------------------------------------------------------ building

    def _build(self, model: Model, entry: _Entry) -> tuple[models.Model, dict[str, list[Any]]]:
        """The row the fixture describes (not saved) and its many-to-many values as keys."""
        data: dict[str, Any] = {}
        related: list[tuple[models.ForeignKey, models.Model]] = []
        m2m: dict[str, list[Any]] = {}
        for name, value in entry.fields.items():
            f = model._meta.get_field(name)
            if not isinstance(f, models.Field):
                raise DeserializationError(
                    f"{entry.source}: {model._meta.label}.{name} is a reverse relation"
                )
            if isinstance(f, models.ManyToManyField):
                m2m[name] = [self._resolve(f, v, entry) for v in value]
            elif isinstance(f, models.ForeignKey) and f.many_to_one:
                if value is None:
                    data[f.attname] = None
                    continue
                target = self._resolve(f, value, entry)
                data[f.attname] = getattr(target, f.target_field.attname)
                related.append((f, target))
            else:
                try:
                    data[f.attname] = f.to_python(value)
                except Exception as exc:
                    raise DeserializationError(
                        f"{entry.source}: {model._meta.label}.{name}: {exc}"
                    ) from exc
        row = model(**data)
        for f, target in related:
            f.set_cached_value(row, target)
        return row, m2m

    def _resolve(
        self, f: models.ForeignKey | models.ManyToManyField, value: Any, entry: _Entry
    ) -> models.Model:
        target_model = f.remote_field.model
        table = self._table(target_model)
        if isinstance(value, list | tuple):
            found = table.by_key.get(tuple(value))
        elif isinstance(f, models.ManyToManyField):
            found = table.by_pk.get(target_model._meta.pk.to_python(value))
        else:
            found = _by_target_field(table, f, f.target_field.to_python(value))
        if found is None:
            raise DeserializationError(
                f"{entry.source}: {f.model._meta.label}.{f.name} names "
                f"{target_model._meta.label} {value!r}, which is in no fixture or table"
            )
        return found

    # ------------------------------------------------------------------ writing

    def _sync(self, model: Model, entries: list[_Entry]) -> None:
        table = self._table(model)
        compared = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
        # Later fixtures win over earlier ones, as loaddata's successive saves would.
        wanted: dict[NaturalKey, tuple[models.Model, dict[str, list[Any]]]] = {}
        for entry in entries:
            row, m2m = self._build(model, entry)
            wanted[_natural_key(row)] = (row, m2m)

        new: list[models.Model] = []
        changed: dict[frozenset[str], list[models.Model]] = defaultdict(list)
        for key, (row, _m2m) in wanted.items():
            existing = table.by_key.get(key)
            if existing is None:
                new.append(row)
                continue
            differ = [
                f.attname
                for f in compared
                if getattr(existing, f.attname) != getattr(row, f.attname)
            ]
            if differ:
                for name in differ:
                    setattr(existing, name, getattr(row, name))
                    # The cached related object must follow a changed foreign key.
                    f = model._meta.get_field(name)
                    if isinstance(f, models.ForeignKey) and f.is_cached(row):
                        f.set_cached_value(existing, f.get_cached_value(row))
                changed[frozenset(differ)].append(existing)
            else:
                self.summary.unchanged += 1

        for names, rows in changed.items():
            model._default_manager.bulk_update(rows, sorted(names))
            self.summary.updated += len(rows)
        if new:
            model._default_manager.bulk_create(new)
            if any(row.pk is None for row in new):
                # A backend that cannot return ids from a bulk insert: read them back once.
                del self.tables[model]
                fresh = self._table(model)
                new = [fresh.by_key[_natural_key(row)] for row in new]
            for row in new:
                table.by_pk[row.pk] = row
                table.by_key[_natural_key(row)] = row
            self.summary.created += len(new)

        for m2m_field in _many_to_many(model):
            self._sync_links(model, m2m_field, wanted, table)

    def _sync_links(
        self,
        model: Model,
        m2m_field: models.ManyToManyField,
        wanted: dict[NaturalKey, tuple[models.Model, dict[str, list[Any]]]],
        table: _Table,
    ) -> None:
        """Set each named row's many-to-many links to the fixture's list, as `.set()` does."""
        desired: dict[Any, set[Any]] = {}
        for key, (_row, m2m) in wanted.items():
            if m2m_field.name in m2m:
                desired[table.by_key[key].pk] = {target.pk for target in m2m[m2m_field.name]}
        if not desired:
            return
        through = _through(m2m_field)
        source = m2m_field.m2m_column_name()
        target = m2m_field.m2m_reverse_name()
        existing: dict[Any, dict[Any, Any]] = defaultdict(dict)
        for pk, source_id, target_id in through._default_manager.values_list(
            "pk", source, target
        ).order_by():
            existing[source_id][target_id] = pk
        add = []
        remove = []
        for source_id, targets in desired.items():
            have = existing.get(source_id, {})
            add += [
                through(**{source: source_id, target: target_id})
                for target_id in sorted(targets - have.keys())
            ]
            remove += [pk for target_id, pk in have.items() if target_id not in targets]
        if remove:
            through._default_manager.filter(pk__in=remove).delete()
            self.summary.links_removed += len(remove)
        if add:
            through._default_manager.bulk_create(add)
            self.summary.links_added += len(add)


def _by_target_field(table: _Table, f: models.ForeignKey, value: Any) -> models.Model | None:
    if f.target_field.primary_key:
        return table.by_pk.get(value)
    name = f.target_field.attname
    return next((row for row in table.by_pk.values() if getattr(row, name) == value), None)


def load_fixtures(paths: Sequence[Path]) -> LoadSummary:
    """Bring the database in line with `paths`; the caller wraps it in a transaction."""
    return CatalogueLoader().load(paths)
