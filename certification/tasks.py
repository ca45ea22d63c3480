"""Thin Celery tasks: they take ids and call the services."""

from __future__ import annotations

from celery import shared_task

from certification import retention


@shared_task(name="certification.delete_removed_files", acks_late=True)
def delete_removed_files(*, file_ids: list[int]) -> int:
    """The bytes of evidence files removed after retention (the rows were marked first)."""
    return retention.delete_stored_bytes(file_ids)
