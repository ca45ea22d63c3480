"""A registration's progress and its assessment decisions, as the portfolio page shows them to
the token's caller: the page's own read model (portfolios.progress with the decisions of
recorded_decisions, which hides from the learner what waits for the internal verifier), and
the decision log with the release rule of assessments.release. Fixed query counts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Exists, OuterRef
from ninja import Path, Query, Router

from api.caller import calling
from api.registrations import readable
from api.schemas import MAX_ID, DecisionFilters, DecisionPage, Error, PortfolioProgress
from api.scopes import Scope
from assessments.models import Decision
from assessments.release import hides_unreleased, is_released, validation_required
from portfolios.models import CreditTransfer
from portfolios.progress import MET_STATES, recorded_decisions, stated_units

router = Router(tags=["registrations"])
ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error, 429: Error}


@router.get(
    "/{registration_id}/progress",
    response={200: PortfolioProgress, **ERRORS},
    summary="A registration's progress per unit and per criterion, as its portfolio page shows",
)
def registration_progress(
    request: Any, registration_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    caller = calling(request, Scope.REGISTRATIONS_READ)
    registration = readable(caller, registration_id, progress=False)
    # The portfolio page's reads (portfolios.views.evidence.portfolio_page): the decisions as
    # this viewer may see them, the units credited by transfer, then every criterion's state.
    decisions = recorded_decisions(registration, viewer=caller.user)
    credited = set(
        CreditTransfer.objects.live()
        .filter(registration=registration)
        .values_list("unit_id", flat=True)
    )
    # Each criterion's state as the page's portfolio() gives it, read as rows: the API shows no
    # criterion's text and no evidence, and building those instances was most of its time.
    overall: Counter[str] = Counter()
    units = []
    for stated in stated_units(registration, decisions=decisions):
        entry = stated.entry
        is_credited = entry.unit.pk in credited
        if not is_credited:
            overall.update(entry.progress.states)
        units.append(
            {
                "id": entry.unit.pk,
                "key": entry.unit.key,
                "label": entry.label,
                "title": entry.unit.title,
                "mandatory": entry.mandatory,
                "credited": is_credited,
                "criteria_total": entry.progress.total,
                "criteria_met": entry.progress.met,
                "states": dict(entry.progress.states),
                "criteria": [
                    {"id": pk, "number": number, "outcome": outcome, "state": state}
                    for pk, number, outcome, state in stated.criteria
                ],
            }
        )
    total = sum(overall.values())
    met = sum(overall[state] for state in MET_STATES)
    return {
        "registration_id": registration.pk,
        "criteria_total": total,
        "criteria_met": met,
        # The page's rounding (portfolios.progress.Progress.met_percent).
        "met_percent": round(100 * met / total) if total else 0,
        "states": dict(overall),
        "units": units,
    }


@router.get(
    "/{registration_id}/decisions",
    response={200: DecisionPage, **ERRORS},
    summary="A registration's assessment decisions, current and superseded, oldest first",
)
def registration_decisions(
    request: Any,
    filters: Query[DecisionFilters],
    registration_id: int = Path(..., ge=1, le=MAX_ID),
) -> dict[str, Any]:
    caller = calling(request, Scope.REGISTRATIONS_READ)
    registration = readable(caller, registration_id, progress=False)
    # Never deleted, only superseded: the log is all of them; `current` narrows it.
    later = Decision.objects.filter(supersedes=OuterRef("pk"))
    rows = Decision.objects.filter(registration=registration).annotate(is_superseded=Exists(later))
    if filters.current is not None:
        rows = rows.filter(is_superseded=not filters.current)
    # The learner sees a decision's outcome and feedback once released (assessments.release):
    # staff see everything.
    required = validation_required(registration)
    learner_waits = required and hides_unreleased(caller.user, registration)
    # The page's ids picked from the decisions alone (their registration's index, then the
    # few sorted), then only those joined to their criterion, assessor and validation: joined
    # first, a portfolio of a thousand decisions was joined whole to be sorted for 25. Only
    # the columns an item shows (no criterion guidance, no password hash).
    chosen = rows.order_by("decided_at", "pk").values("pk")[
        filters.offset : filters.offset + filters.limit
    ]
    page = (
        Decision.objects.filter(pk__in=chosen)
        .annotate(is_superseded=Exists(later))
        .select_related("criterion", "assessor", "validation")
        .only(
            "criterion_id",
            "outcome",
            "feedback",
            "method",
            "assessed_on",
            "decided_at",
            "assessor_id",
            "supersedes_id",
            "reason",
            "criterion__number",
            "criterion__unit_id",
            "assessor__full_name",
            "assessor__email",
            "validation__outcome",
        )
        .order_by("decided_at", "pk")
    )
    items = []
    for decision in page:
        released = is_released(decision, required=required)
        shown = released or not learner_waits
        validation = getattr(decision, "validation", None)
        items.append(
            {
                "id": decision.pk,
                "criterion_id": decision.criterion_id,
                "criterion_number": decision.criterion.number,
                "unit_id": decision.criterion.unit_id,
                "outcome": decision.outcome if shown else None,
                "released": released,
                "feedback": decision.feedback if shown else None,
                "method": decision.method,
                "assessed_on": decision.assessed_on,
                "decided_at": decision.decided_at,
                "assessor": {
                    "id": decision.assessor.pk,
                    "full_name": decision.assessor.get_full_name(),
                },
                "current": not decision.is_superseded,
                "supersedes": decision.supersedes_id,
                "reason": decision.reason if shown else None,
                "validation": None if learner_waits or validation is None else validation.outcome,
            }
        )
    return {
        "count": rows.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": items,
    }
