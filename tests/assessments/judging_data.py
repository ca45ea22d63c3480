"""The one judging form's POST data, as the assessing page draws it, for the tests to send."""

from __future__ import annotations

import datetime
import uuid

from assessments.models import Decision
from portfolios.models import Evidence
from qualifications.models import AssessmentCriterion


def form_data(
    evidence: Evidence,
    outcomes: dict[AssessmentCriterion, str],
    *,
    feedback: dict[AssessmentCriterion, str] | None = None,
    reasons: dict[AssessmentCriterion, str] | None = None,
    overall: str = "",
    method: str = "product",
    assessed_on: datetime.date | None = None,
    token: str | None = None,
) -> dict[str, str]:
    """Every mapped criterion as a row showing its current decision (what the page shows now);
    those in `outcomes` judged, the rest left at "no judgement"."""
    mapped = list(evidence.mappings.order_by("criterion_id").values_list("criterion_id", flat=True))
    current = dict(
        Decision.objects.current()
        .filter(registration_id=evidence.registration_id, criterion_id__in=mapped)
        .values_list("criterion_id", "pk")
    )
    data = {
        "token": token or str(uuid.uuid4()),
        "rows": ",".join(str(pk) for pk in mapped),
        "method": method,
        "assessed_on": (assessed_on or datetime.date.today()).isoformat(),
        "feedback": overall,
    }
    for pk in mapped:
        data[f"c{pk}-seen"] = str(current.get(pk, ""))
        data[f"c{pk}-outcome"] = ""
        data[f"c{pk}-feedback"] = ""
    for criterion, outcome in outcomes.items():
        data[f"c{criterion.pk}-outcome"] = outcome
        data[f"c{criterion.pk}-feedback"] = (feedback or {}).get(criterion, "")
        data[f"c{criterion.pk}-reason"] = (reasons or {}).get(criterion, "")
    return data
