"""The catalogue: qualifications, their units, and units' outcomes and criteria.

Public reference data: any signed-in person reads it on the catalogue pages, so any token with
catalogue:read does here. Fixed query counts, whatever the page size."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch
from ninja import Path, Query, Router
from ninja.errors import HttpError

from api.caller import calling
from api.schemas import (
    MAX_ID,
    Error,
    QualificationDetail,
    QualificationFilters,
    QualificationPage,
    UnitDetail,
)
from api.scopes import Scope
from qualifications.models import (
    AssessmentCriterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
)

router = Router(tags=["catalogue"])
ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error, 429: Error}


def _qualifications() -> Any:
    # The catalogue page's query (qualifications.views.qualification_list), with a stable order.
    return (
        Qualification.objects.with_status()
        .select_related("awarding_body")
        .annotate(unit_count=Count("memberships"))
        .order_by("awarding_body__name", "level", "title", "pk")
    )


def _qualification(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "number": row.number,
        "title": row.title,
        "level": row.level,
        "awarding_body": row.awarding_body.code,
        "qualification_type": row.qualification_type,
        "credit_value": row.credit_value,
        "glh": row.glh,
        "tqt": row.tqt,
        "status": row.current_status,
        "unit_count": row.unit_count,
    }


@router.get(
    "/qualifications",
    response={200: QualificationPage, **ERRORS},
    summary="List qualifications",
)
def qualification_list(request: Any, filters: Query[QualificationFilters]) -> dict[str, Any]:
    calling(request, Scope.CATALOGUE_READ)
    rows = _qualifications()
    if filters.awarding_body:
        rows = rows.filter(awarding_body__code=filters.awarding_body)
    if filters.level:
        rows = rows.filter(level=filters.level)
    if filters.status:
        rows = rows.filter(current_status=filters.status)
    page = rows[filters.offset : filters.offset + filters.limit]
    return {
        "count": rows.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_qualification(row) for row in page],
    }


@router.get(
    "/qualifications/{qualification_id}",
    response={200: QualificationDetail, **ERRORS},
    summary="A qualification and its units",
)
def qualification_detail(
    request: Any, qualification_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    calling(request, Scope.CATALOGUE_READ)
    qualification = _qualifications().filter(pk=qualification_id).first()
    if qualification is None:
        raise HttpError(404, f"No qualification {qualification_id} in the catalogue.")
    memberships = (
        QualificationUnit.objects.filter(qualification=qualification)
        .select_related("unit", "group")
        .order_by("position", "pk")
    )
    return {
        **_qualification(qualification),
        "units": [
            {
                "id": m.unit.pk,
                "key": m.unit.key,
                "reference": m.unit.reference,
                "title": m.unit.title,
                "level": m.unit.level,
                "credit": m.unit.credit,
                "glh": m.unit.glh,
                "group": m.group.code,
                "mandatory": m.group.mandatory,
            }
            for m in memberships
        ],
    }


@router.get(
    "/units/{unit_id}",
    response={200: UnitDetail, **ERRORS},
    summary="A unit, its learning outcomes and their assessment criteria",
)
def unit_detail(request: Any, unit_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    calling(request, Scope.CATALOGUE_READ)
    criteria = AssessmentCriterion.objects.order_by("position", "pk")
    unit = (
        Unit.objects.filter(pk=unit_id)
        .prefetch_related(
            Prefetch(
                "outcomes",
                queryset=LearningOutcome.objects.order_by("position", "pk").prefetch_related(
                    Prefetch("criteria", queryset=criteria)
                ),
            )
        )
        .first()
    )
    if unit is None:
        raise HttpError(404, f"No unit {unit_id} in the catalogue.")
    return {
        "id": unit.pk,
        "key": unit.key,
        "reference": unit.reference,
        "title": unit.title,
        "level": unit.level,
        "credit": unit.credit,
        "glh": unit.glh,
        "outcomes": [
            {
                "number": outcome.number,
                "text": outcome.text,
                "criteria": [
                    {"id": c.pk, "number": c.number, "text": c.text} for c in outcome.criteria.all()
                ],
            }
            for outcome in unit.outcomes.all()
        ],
    }
