"""Thin Celery tasks: they take ids and call the services."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.db import OperationalError

from assessments import achievements, notifications, transfer

logger = logging.getLogger(__name__)


@shared_task(name="assessments.notify_learner")
def notify_learner(*, evidence_id: int, event: str) -> bool:
    return notifications.notify_learner(evidence_id=evidence_id, event=event)


@shared_task(name="assessments.send_digests")
def send_digests() -> int:
    return notifications.send_digests()


@shared_task(name="assessments.settle_held_transfers")
def settle_held_transfers() -> dict[str, int]:
    """Held imports of expired invitations discarded; of accepted ones not imported, imported."""
    settled = transfer.settle_held()
    return {
        "discarded": settled.discarded,
        "imported": settled.imported,
        "refused": settled.refused,
    }


# Worth another try: a storage or database hiccup. Anything else is a bug; retrying won't help.
TRANSIENT = (OSError, OperationalError)


@shared_task(
    bind=True,
    name="assessments.build_achievement_record",
    # Acknowledged only once done: a worker killed mid-build leaves the task to another.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=3,
)
def build_achievement_record(self: Task, *, record_id: int) -> str | BaseException:
    """The record's status; for an in-process retry, whatever that retry ended with (the
    exception, had one escaped it)."""
    try:
        return achievements.build_record(record_id=record_id).status
    except TRANSIENT as exc:
        # None would be Celery's "retry forever"; this task sets a number.
        if self.max_retries is None or self.request.retries < self.max_retries:
            if self.request.is_eager:
                # In-process (no broker): no queue to come back through, so try again now.
                return self.apply(
                    kwargs={"record_id": record_id}, retries=self.request.retries + 1
                ).result
            raise  # autoretry_for queues it again, with backoff
        logger.exception("Achievement record %s failed after retries", record_id)
        achievements.mark_failed(record_id=record_id, error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        logger.exception("Achievement record %s failed", record_id)
        achievements.mark_failed(record_id=record_id, error=f"{type(exc).__name__}: {exc}")
    return "failed"
