"""Thin Celery tasks: they take ids and call the notification functions."""

from __future__ import annotations

from celery import shared_task

from assessments import notifications


@shared_task(name="assessments.notify_learner")
def notify_learner(*, evidence_id: int, event: str) -> bool:
    return notifications.notify_learner(evidence_id=evidence_id, event=event)


@shared_task(name="assessments.send_digests")
def send_digests() -> int:
    return notifications.send_digests()
