"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from core.models import AuditEvent

GENESIS = "0" * 64


def record_event(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    centre_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event. Call inside the service's transaction so both commit or neither."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the state change's transaction")
    # Lock the chain's tail so two writers cannot both extend the same predecessor.
    last = AuditEvent.objects.select_for_update().order_by("-pk").only("hash").first()
    event = AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        centre_id=centre_id,
        data=data or {},
        previous_hash=last.hash if last else GENESIS,
    )
    event.occurred_at = timezone.now()
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    return event


def verify_chain() -> list[str]:
    """Return a description of every break in the chain (empty when intact)."""
    problems = []
    previous = GENESIS
    for event in AuditEvent.objects.order_by("pk").iterator():
        if event.previous_hash != previous:
            problems.append(f"event {event.pk}: does not follow its predecessor")
        if event.compute_hash() != event.hash:
            problems.append(f"event {event.pk}: content does not match its hash")
        previous = event.hash
    return problems
