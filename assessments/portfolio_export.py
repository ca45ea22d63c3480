"""The decisions in the learner's portfolio ZIP (portfolios.export's index.html).

The export is the learner's own copy, so it holds what the learner may see: a decision waiting
for its internal verifier (assessments.release) is left out, as on the learner's pages. A
return held for the IV is not a decision and never reaches here; its evidence stays "submitted".
"""

from __future__ import annotations

from assessments.models import Decision
from assessments.release import is_released, validation_required
from portfolios.export import CriterionDecision
from portfolios.models import Registration


def released_decisions(registration: Registration) -> dict[int, CriterionDecision]:
    """criterion_id -> its current decision, where released to the learner. Two queries."""
    required = validation_required(registration)
    rows = (
        Decision.objects.current()
        .filter(registration_id=registration.pk)
        .select_related("assessor", "validation")
        .order_by()
    )
    return {
        decision.criterion_id: CriterionDecision(
            outcome_label=decision.get_outcome_display(),
            assessor=decision.assessor.get_full_name(),
            assessed_on=decision.assessed_on,
            feedback=decision.feedback,
        )
        for decision in rows
        if is_released(decision, required=required)
    }
