"""Lifecycles: each record with one declares its states' allowed moves once (beside its model),
and every change of state goes through `Lifecycle.move` (one row) or `Lifecycle.move_many` (a
set of rows), which check the move, save it and write its audit event in the same transaction.

Why this small helper and not django-fsm-2: the bulk changes (a claim's 10,000 registrations
becoming claimed) must stay one UPDATE with their events in one COPY (core.audit.record_events),
and django-fsm's transitions are methods on one instance with no set-based form; its protected
fields refuse the assignment Django's refresh_from_db makes; and it writes no audit events, so
each service would still pair the move with its event by hand. Here the declaration is data
(checked by tests/core/test_lifecycles.py) and tests/test_codebase.py refuses any status or
state written anywhere else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from core.audit import record_event, record_events
from core.models import AuditEvent


class IllegalTransition(Exception):
    """A move its lifecycle does not declare. Nothing was changed."""

    def __init__(
        self, lifecycle: Lifecycle, source: str, target: str, noun: str, pk: Any = None
    ) -> None:
        # pk: which row of a set refused (move_many), for a message naming it.
        self.source, self.target, self.pk = source, target, pk
        super().__init__(
            f"A {noun} that is {lifecycle.label(source)} cannot become {lifecycle.label(target)}."
        )


@dataclass(frozen=True)
class Lifecycle:
    """The states a model's `field` may take and the moves allowed between them."""

    field: str
    choices: type[models.TextChoices]
    moves: Mapping[str, Iterable[str]]
    # dataclasses.field in full: the `field` above names the model's field in this class.
    _moves: dict[str, frozenset[str]] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        moves = {
            str(source): frozenset(map(str, targets)) for source, targets in self.moves.items()
        }
        values = set(self.choices.values)
        named = set(moves) | {t for targets in moves.values() for t in targets}
        if named - values or values - set(moves):
            # Every state is declared (a final one with no moves), and nothing else.
            raise ValueError(f"{self.field}: the moves must name each of {sorted(values)}")
        object.__setattr__(self, "_moves", moves)

    def label(self, state: str) -> str:
        return str(self.choices(state).label).lower()

    def targets(self, source: str) -> frozenset[str]:
        return self._moves[str(source)]

    def sources(self, target: str) -> frozenset[str]:
        return frozenset(s for s, targets in self._moves.items() if str(target) in targets)

    def allows(self, source: str, target: str) -> bool:
        return str(target) in self._moves.get(str(source), frozenset())

    def check(self, obj: models.Model, target: str) -> None:
        source = getattr(obj, self.field)
        if not self.allows(source, target):
            raise IllegalTransition(self, source, target, str(obj._meta.verbose_name))

    def move(
        self,
        obj: models.Model,
        target: str,
        *,
        actor: Any,
        action: str,
        centre_id: int | None = None,
        data: dict[str, Any] | None = None,
        update_fields: Iterable[str] = (),
        before_event: Callable[[], object] | None = None,
    ) -> AuditEvent:
        """Move one (locked) row to `target`, saving `update_fields` with it (the caller sets
        their values first), and write its event. Raises IllegalTransition before any change.

        Take any other row locks before calling, or in `before_event` (run after the save,
        before the event: a read model recounted from the new state): the event holds the
        audit chain's head to the commit (core.audit.record_event)."""
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("a move must run inside the state change's transaction")
        self.check(obj, target)
        setattr(obj, self.field, target)
        obj.save(update_fields=[self.field, *update_fields])
        if before_event is not None:
            before_event()
        return record_event(actor=actor, action=action, target=obj, centre_id=centre_id, data=data)

    def move_many(
        self,
        queryset: models.QuerySet,
        target: str,
        *,
        actor: Any,
        action: str,
        centre_id: int | None,
        data: Callable[[str], dict[str, Any]] | None = None,
        also: Mapping[str, Any] | None = None,
    ) -> int:
        """Move every row of `queryset` to `target` in one UPDATE (setting `also` beside it),
        one event each in one bulk write; returns how many moved. If any row's state may not
        make this move, raises IllegalTransition and changes nothing.

        The rows are read once, locked, for their states (the events name where each came
        from); the UPDATE repeats the allowed sources in its WHERE, so a row the read did not
        lock (SQLite) cannot slip through. `data(source)` gives an event's data (default: from
        and to); every row is at `centre_id`."""
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("a move must run inside the state change's transaction")
        model = queryset.model
        rows = list(
            model._default_manager.filter(pk__in=queryset.values("pk"))
            .select_for_update()
            .order_by("pk")
            .values_list("pk", self.field)
        )
        if not rows:
            return 0
        for pk, source in rows:
            if not self.allows(source, target):
                raise IllegalTransition(self, source, target, str(model._meta.verbose_name), pk)
        moved = model._default_manager.filter(
            pk__in=[pk for pk, _ in rows], **{f"{self.field}__in": self.sources(target)}
        ).update(**{self.field: target, **(also or {})})
        if moved != len(rows):
            raise RuntimeError(f"{len(rows) - moved} rows changed state while being moved")

        def event_data(source: str) -> dict[str, Any]:
            return data(source) if data else {"from": source, "to": str(target)}

        record_events(
            actor=actor,
            action=action,
            model=model,
            centre_id=centre_id,
            items=[(pk, event_data(source)) for pk, source in rows],
        )
        return moved
