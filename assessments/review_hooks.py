"""What progress reviews (portfolios.reviews, issue 19) take from this app, registered at
start-up (assessments.apps): the KSB coverage snapshot a review records, and the PDF renderer
its signed copy is printed with. Portfolios sits beneath this app and cannot import them."""

from __future__ import annotations

from typing import Any

from assessments.coverage import coverage_for
from portfolios.models import Apprenticeship, Registration


def ksb_snapshot(registration: Registration, apprenticeship: Apprenticeship) -> dict[str, Any]:
    """The apprentice's coverage of their apprenticeship's standard today, statement by
    statement, as JSON the review keeps unchanged (coverage_for: a fixed number of queries)."""
    standard = apprenticeship.standard
    [coverage] = coverage_for([registration], [standard])[registration.pk]
    return {
        "standard": f"{standard.title} ({standard.reference})",
        "covered": coverage.covered,
        "total": coverage.total,
        "statements": [
            {
                "code": item.statement.code,
                "category": item.statement.get_category_display(),
                "text": item.statement.text,
                "state": str(item.state),
                "label": item.label,
            }
            for item in coverage.statements
        ],
    }


def connect() -> None:
    from assessments.pdf import render_pdf
    from portfolios import reviews

    if ksb_snapshot not in reviews.coverage_sources:
        reviews.coverage_sources.append(ksb_snapshot)
    if render_pdf not in reviews.pdf_renderers:
        reviews.pdf_renderers.append(render_pdf)
