"""What every app shares: the audit trail.

Services that change state write an AuditEvent in the same transaction. Events are chained by
hash (each hashes its predecessor's hash with its own content), so editing or deleting a row in
the middle shows up when the chain is verified. Each event has a gap-free sequence number, given
under the lock of the one-row chain head (AuditChainHead), so concurrent writers queue and each
event follows exactly one predecessor. Deleting the newest events shows against checkpoints kept
outside the chain (see core.audit).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

# A model that moved to another app keeps the object_type its earlier events were written with:
# the chain hashes it, so those events are never rewritten. Readers match the current label and
# every label the model had before (objects keep their ids when a model moves).
LEGACY_OBJECT_TYPES: dict[str, tuple[str, ...]] = {
    # Claims left verification for their own app (certification 0001/0002, verification 0008).
    "certification.claimbatch": ("verification.claimbatch",),
    "certification.claimhold": ("verification.claimhold",),
    "certification.claimline": ("verification.claimline",),
}


def object_types(model: type[models.Model] | models.Model) -> list[str]:
    """Every object_type the events of this model's objects may carry, the current one first."""
    label = model._meta.label_lower
    return [label, *LEGACY_OBJECT_TYPES.get(label, ())]


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        types = object_types(obj)
        # One label (most models): an equality, as before, for the (object_type, object_id) index.
        if len(types) == 1:
            return self.filter(object_type=types[0], object_id=str(obj.pk))
        return self.filter(object_type__in=types, object_id=str(obj.pk))


class AuditEvent(models.Model):
    # 1, 2, 3, … in chain order, whatever order the primary keys were handed out in.
    sequence = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    centre_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"
        )

    def content(self) -> dict[str, Any]:
        return {
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "centre": self.centre_id,
            "data": self.data,
        }

    def compute_hash(self) -> str:
        payload = json.dumps(self.content(), sort_keys=True, default=str)
        return hashlib.sha256((self.previous_hash + payload).encode()).hexdigest()


class AuditChainHead(models.Model):
    """The chain's newest event, in one row. record_event locks it (select_for_update) for the
    rest of the writer's transaction, so appends queue one behind another, and updates it."""

    ROW = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW, editable=False)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="core_one_chain_head")]

    def __str__(self) -> str:
        return f"Audit chain head {self.sequence} {self.hash[:12]}"
