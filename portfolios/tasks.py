"""Thin Celery tasks: they take ids and call the services."""

from __future__ import annotations

import logging

from celery import shared_task

from portfolios import reviews

logger = logging.getLogger(__name__)


@shared_task(
    name="portfolios.build_review_pdf",
    # Acknowledged only once done: a worker killed mid-build leaves the task to another.
    acks_late=True,
    reject_on_worker_lost=True,
)
def build_review_pdf(*, review_id: int) -> str:
    """A locked progress review's PDF; the review's PDF status afterwards."""
    try:
        return reviews.build_pdf(review_id=review_id)
    except Exception as exc:
        logger.exception("Progress review %s: the PDF failed", review_id)
        reviews.mark_pdf_failed(review_id=review_id, error=f"{type(exc).__name__}: {exc}")
        return "failed"
