"""Writing and verifying the hash-chained audit trail, and the checkpoints that pin its end.

The chain shows an event altered or removed in the middle. Removing the newest events leaves a
shorter chain that is still whole, so its end is also recorded where deleting rows cannot reach
it unnoticed: every achievement record and claim export stores the chain head it was made at (the
record's PDF prints it), and a daily checkpoint file goes to file storage (S3 in production).
`verify` checks the chain against all of them; `manage.py verify_audit_chain` runs it.

Writing: `record_event` appends one event; `record_events` one per row of a change applied to
many rows at once (10,000 lines added to a claim), in one COPY; `append_events` / `copy_events`
chain events built one by one in bulk (the scale seed).
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from core.bulk import RowWriter, copy_lines, copy_text
from core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
CHECKPOINT_DIR = "audit/checkpoints"


# ---------------------------------------------------------------- writing


def record_event(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    centre_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event. Call inside the service's transaction so both commit or neither.

    The chain head stays locked until that transaction ends, so concurrent writers append one
    after another. Take the service's other row locks before calling this, not after, or two
    writers could each hold what the other waits for.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the state change's transaction")
    head = _locked_head()
    event = AuditEvent(
        sequence=head.sequence + 1,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        centre_id=centre_id,
        data=data or {},
        previous_hash=head.hash,
    )
    event.occurred_at = timezone.now()
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    head.sequence, head.hash = event.sequence, event.hash
    head.save(update_fields=["sequence", "hash"])
    return event


def append_events(
    events: Iterable[AuditEvent],
    *,
    write: Callable[[list[AuditEvent]], None] | None = None,
    batch_size: int = 5_000,
) -> int:
    """Append many events at once, chained exactly as record_event chains them one by one.

    For bulk seeding (`manage.py seed_scale`), where a million state changes written one
    `record_event` at a time would take hours. Each event needs its actor_id, action,
    object_type, object_id, centre_id, data and (optionally) occurred_at; the sequence and
    hashes are filled in here under the chain head's lock, in the order given. `write` stores a
    batch (default: bulk_create; PostgreSQL seeding passes a COPY). Returns the count appended.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_events must run inside the state change's transaction")
    head = _locked_head()
    store = write or (lambda rows: AuditEvent.objects.bulk_create(rows))
    sequence, previous = head.sequence, head.hash
    now = timezone.now()
    pending: list[AuditEvent] = []
    count = 0
    for event in events:
        sequence += 1
        event.sequence = sequence
        event.previous_hash = previous
        if event.occurred_at is None:
            event.occurred_at = now
        event.hash = previous = event.compute_hash()
        pending.append(event)
        count += 1
        if len(pending) >= batch_size:
            store(pending)
            pending = []
    if pending:
        store(pending)
    head.sequence, head.hash = sequence, previous
    head.save(update_fields=["sequence", "hash"])
    return count


# Stand-ins for the two values that differ from event to event, in the one content
# serialised per call (private-use characters: nothing else in an event looks like them).
_DATA_MARK = "\ue000data"
_OBJECT_MARK = "\ue000object"
_encode = json.JSONEncoder(sort_keys=True, default=str).encode  # as AuditEvent.compute_hash
# An event's columns as written in bulk (bench/transfer_import.py's floor writes the same).
EVENT_COLUMNS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "centre_id",
    "data",
    "previous_hash",
    "hash",
)


def record_events(
    *,
    actor: Any,
    action: str,
    model: type[models.Model],
    centre_id: int | None,
    items: Sequence[tuple[Any, dict[str, Any]]],
) -> int:
    """Append one event per (object id, data) item: the same action by the same actor, on
    objects of one model at one centre, at one time (one state change applied to many rows,
    such as 10,000 lines added to a claim). Chained exactly as record_event would chain them
    one by one, in the order given; returns how many were appended.

    What they share is serialised once, as AuditEvent.content() would serialise it, and cut
    around the two values that differ; each event then costs one serialisation of its data,
    one SHA-256 and one line of COPY text (PostgreSQL), with no model instance.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_events must run inside the state change's transaction")
    if not items:
        return 0
    head = _locked_head()
    now = timezone.now()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    object_type = model._meta.label_lower
    shape = AuditEvent(
        occurred_at=now,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=_OBJECT_MARK,
        centre_id=centre_id,
        data=_DATA_MARK,
    )
    text = json.dumps(shape.content(), sort_keys=True, default=str)
    # content()'s keys sorted put "data" before "object_id".
    before_data, found_data, rest = text.partition(json.dumps(_DATA_MARK))
    between, found_object, after = rest.partition(json.dumps(_OBJECT_MARK))
    if not (found_data and found_object):
        raise RuntimeError("an audit event's content no longer has the shape expected")
    sequence, previous = head.sequence, head.hash
    sha256 = hashlib.sha256
    dumps = json.dumps
    postgres = connection.vendor == "postgresql"
    # The columns every event shares, as COPY text: time, actor, action, object type.
    shared = "\t".join(
        copy_text(str(v)) if v is not None else r"\N"
        for v in (now.isoformat(), actor_id, action, object_type)
    )
    centre = r"\N" if centre_id is None else str(centre_id)
    lines: list[str] = []
    events: list[AuditEvent] = []
    for object_id, data in items:
        object_id = str(object_id)
        data_text = _encode(data)
        payload = f"{before_data}{data_text}{between}{dumps(object_id)}{after}"
        digest = sha256((previous + payload).encode()).hexdigest()
        sequence += 1
        if postgres:
            lines.append(
                f"{sequence}\t{shared}\t{copy_text(object_id)}\t{centre}\t"
                f"{copy_text(data_text)}\t{previous}\t{digest}\n"
            )
        else:
            events.append(
                AuditEvent(
                    sequence=sequence,
                    occurred_at=now,
                    actor_id=actor_id,
                    action=action,
                    object_type=object_type,
                    object_id=object_id,
                    centre_id=centre_id,
                    data=data,
                    previous_hash=previous,
                    hash=digest,
                )
            )
        previous = digest
    if postgres:
        copy_lines(AuditEvent, EVENT_COLUMNS, lines)
    else:
        AuditEvent.objects.bulk_create(events, batch_size=500)
    count = sequence - head.sequence
    head.sequence, head.hash = sequence, previous
    head.save(update_fields=["sequence", "hash"])
    return count


class BulkEvent:
    """An audit event to append in bulk: AuditEvent's own content() and compute_hash(), without
    a model instance's cost (the scale seed writes a million of them)."""

    __slots__ = EVENT_COLUMNS
    content = AuditEvent.content
    compute_hash = AuditEvent.compute_hash

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)


def bulk_event(
    actor_id: int | None,
    action: str,
    model: type[models.Model],
    object_id: int,
    centre_id: int | None,
    data: dict[str, Any],
    at: datetime,
) -> AuditEvent:
    """An event for append_events or copy_events, each its own (unlike record_events')."""
    # A BulkEvent stands in for the AuditEvent it copies the fields and methods of, wherever
    # events are appended or copied; typed as one, so the scale seed's lists stay AuditEvents.
    return BulkEvent(  # type: ignore[return-value]
        sequence=None,
        actor_id=actor_id,
        action=action,
        object_type=model._meta.label_lower,
        object_id=str(object_id),
        centre_id=centre_id,
        data=data,
        occurred_at=at,
        previous_hash="",
        hash="",
    )


def copy_events(events: Iterable[AuditEvent], *, writer: RowWriter | None = None) -> int:
    """append_events, stored by the bulk writer (COPY on PostgreSQL) in batches of 20,000:
    for the scale seed, whose events differ each from the next. Returns the count appended."""
    writer = writer or RowWriter()

    def store(batch: list[AuditEvent]) -> None:
        if not writer.postgres:
            # bulk_create wants model instances.
            batch = [
                e
                if isinstance(e, AuditEvent)
                else AuditEvent(**{c: getattr(e, c) for c in EVENT_COLUMNS})
                for e in batch
            ]
        writer.write(
            AuditEvent, EVENT_COLUMNS, [tuple(getattr(e, c) for c in EVENT_COLUMNS) for e in batch]
        )

    return append_events(events, write=store, batch_size=20_000)


def _locked_head() -> AuditChainHead:
    """The chain head, locked for this transaction (PostgreSQL: a waiting writer reads the row
    again once the holder commits, so it follows the event just written; SQLite: the database
    lock taken at BEGIN IMMEDIATE already serialises writers)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=AuditChainHead.ROW).first()
    if head is not None:
        return head
    # No head yet: a new database, or one emptied by a test. Start it where the events end.
    last = AuditEvent.objects.order_by("-sequence").only("sequence", "hash").first()
    try:
        with transaction.atomic():
            return AuditChainHead.objects.create(
                pk=AuditChainHead.ROW,
                sequence=last.sequence if last else 0,
                hash=last.hash if last else GENESIS,
            )
    except IntegrityError:
        # Another writer created it first (we waited on its insert): queue behind it.
        return AuditChainHead.objects.select_for_update().get(pk=AuditChainHead.ROW)


def chain_head() -> tuple[int, str]:
    """The newest committed event's (sequence, hash), without locking: what a checkpoint
    records. (0, GENESIS) for an empty chain."""
    head = AuditChainHead.objects.filter(pk=AuditChainHead.ROW).values_list("sequence", "hash")
    found = head.first()
    return found if found is not None else (0, GENESIS)


# ---------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head as recorded somewhere outside the chain."""

    sequence: int
    hash: str
    when: datetime | None
    where: str

    def describe(self) -> str:
        when = f" of {self.when.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if self.when else ""
        return f"the checkpoint{when} in {self.where}"


# Each returns its checkpoints in ascending sequence order. Apps that store checkpoints
# (achievement records, claim exports) append theirs in AppConfig.ready(): core imports no app.
CheckpointSource = Callable[[], Iterable[Checkpoint]]
checkpoint_sources: list[CheckpointSource] = []


def checkpoint_name(when: datetime) -> str:
    return f"{CHECKPOINT_DIR}/{when.astimezone(UTC):%Y-%m-%dT%H%M%SZ}.json"


def write_checkpoint(*, now: datetime | None = None) -> tuple[str, Checkpoint]:
    """Write the chain head to file storage as audit/checkpoints/<UTC time>.json. Returns the
    stored name (storage may add a suffix rather than overwrite) and the checkpoint."""
    now = now or timezone.now()
    sequence, digest = chain_head()
    payload = {
        "sequence": sequence,
        "hash": digest,
        # The head is gap-free, so its sequence is the number of events; said outright for
        # whoever reads the file without this code.
        "events": sequence,
        "written_at": now.isoformat(),
    }
    name = default_storage.save(
        checkpoint_name(now), ContentFile(json.dumps(payload, indent=2).encode())
    )
    return name, Checkpoint(sequence=sequence, hash=digest, when=now, where=name)


def stored_checkpoints() -> list[Checkpoint]:
    """Every checkpoint file in storage, in sequence order (one a day: a short list)."""
    try:
        _dirs, files = default_storage.listdir(CHECKPOINT_DIR)
    except FileNotFoundError:
        return []
    found = []
    for filename in files:
        if not filename.endswith(".json"):
            continue
        name = f"{CHECKPOINT_DIR}/{filename}"
        with default_storage.open(name, "rb") as stored:
            try:
                payload = json.loads(stored.read())
                found.append(
                    Checkpoint(
                        sequence=int(payload["sequence"]),
                        hash=str(payload["hash"]),
                        when=datetime.fromisoformat(payload["written_at"]),
                        where=name,
                    )
                )
            except (ValueError, KeyError, TypeError):
                # An unreadable checkpoint is itself a finding: sequence -1 sorts first.
                found.append(Checkpoint(sequence=-1, hash="", when=None, where=name))
    return sorted(found, key=lambda c: c.sequence)


def _head_checkpoint() -> list[Checkpoint]:
    head = AuditChainHead.objects.filter(pk=AuditChainHead.ROW).first()
    if head is None:
        return []
    return [
        Checkpoint(sequence=head.sequence, hash=head.hash, when=None, where="the chain head row")
    ]


# ---------------------------------------------------------------- verifying


@dataclass
class Report:
    events: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)


def verify() -> Report:
    """Walk the chain in sequence order (one pass, flat memory) and check each checkpoint as
    the walk reaches its sequence; checkpoints past the end mean the newest events are gone."""
    report = Report()
    sources: list[Iterable[Checkpoint]] = [
        stored_checkpoints(),
        _head_checkpoint(),
        *(source() for source in checkpoint_sources),
    ]
    pending: Iterator[Checkpoint] = heapq.merge(*sources, key=lambda c: c.sequence)
    checkpoint = next(pending, None)
    previous_hash = GENESIS
    last_sequence = 0

    def check(at_sequence: int, at_hash: str) -> None:
        # Every checkpoint at or before this event: equal sequence must have equal hash.
        nonlocal checkpoint
        while checkpoint is not None and checkpoint.sequence <= at_sequence:
            report.checkpoints += 1
            if checkpoint.sequence < 0:
                report.problems.append(f"{checkpoint.describe()} cannot be read")
            elif checkpoint.sequence < at_sequence:
                report.problems.append(
                    f"{checkpoint.describe()} recorded sequence {checkpoint.sequence}, "
                    "which is missing from the chain"
                )
            elif checkpoint.sequence == at_sequence and checkpoint.hash != at_hash:
                report.problems.append(
                    f"{checkpoint.describe()} recorded sequence {checkpoint.sequence} with hash "
                    f"{checkpoint.hash[:12]}…, but the chain has {at_hash[:12]}… there"
                )
            checkpoint = next(pending, None)

    check(0, GENESIS)
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        report.events += 1
        if event.sequence != last_sequence + 1:
            report.problems.append(
                f"event {event.pk}: sequence {event.sequence} follows {last_sequence}"
            )
        if event.previous_hash != previous_hash:
            report.problems.append(f"event {event.pk}: does not follow its predecessor")
        if event.compute_hash() != event.hash:
            report.problems.append(f"event {event.pk}: content does not match its hash")
        check(event.sequence, event.hash)
        previous_hash, last_sequence = event.hash, event.sequence

    beyond = []
    while checkpoint is not None:
        beyond.append(checkpoint)
        report.checkpoints += 1
        checkpoint = next(pending, None)
    if beyond:
        latest = beyond[-1]
        others = len(beyond) - 1
        missing = latest.sequence - last_sequence
        report.problems.append(
            f"the chain ends at sequence {last_sequence} but {latest.describe()} recorded "
            f"sequence {latest.sequence}: "
            + (
                "the newest event is missing"
                if missing == 1
                else f"the newest {missing} events are missing"
            )
            + (f" ({others} other checkpoint(s) also lie past the end)" if others else "")
        )
    if report.events and not AuditChainHead.objects.filter(pk=AuditChainHead.ROW).exists():
        report.problems.append("the chain head row is missing")
    return report


def verify_chain() -> list[str]:
    """Return a description of every break in the chain or its checkpoints (empty when intact)."""
    return verify().problems
