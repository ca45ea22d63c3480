"""What the assessing page draws of the one judging form: its header fields and messages, and
the overall feedback of earlier judgements. The rows themselves are the page's criterion cases
(assessments.views.assess.CriterionCase)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from assessments.feedback import DECISION_HELP, rules_feedback
from assessments.forms.judging import FEEDBACK_LIMIT, REASON_LIMIT, JudgingForm, row_prefix
from assessments.models import Outcome, ValidationOutcome
from assessments.models.judgement import Judgement
from portfolios.models import Evidence, EvidenceMethod
from qualifications.models import AssessmentCriterion


@dataclass
class JudgingState:
    """How the last submit went: refusals by row, a message for the form, or what was done."""

    row_errors: dict[int, str] = field(default_factory=dict)
    field_errors: dict[str, str] = field(default_factory=dict)
    error: str = ""
    done: str = ""


def judging_context(
    evidence: Evidence,
    cases: Sequence[Any],
    form: JudgingForm | None,
    state: JudgingState,
) -> dict[str, Any] | None:
    """The form's own fields, or None when there is nothing the viewer may judge."""
    judgeable = [case for case in cases if case.judgeable]
    if not judgeable:
        return None
    typed = form.data if form is not None else {}
    refused = bool(state.error or state.row_errors or state.field_errors)
    # A refused submit recorded nothing, so its token is still unused and is kept; after a
    # recorded one the form is new.
    token = typed.get("token") if refused and typed.get("token") else str(uuid.uuid4())
    return {
        "token": token,
        "rows": ",".join(str(case.criterion.pk) for case in judgeable),
        "method": typed.get("method", evidence.method),
        "methods": EvidenceMethod.choices,
        "assessed_on": typed.get("assessed_on", timezone.localdate().isoformat()),
        "today": timezone.localdate().isoformat(),
        "feedback": typed.get("feedback", ""),
        "errors": state.field_errors,
        "orphans": _orphans(form, cases, state),
        "error": state.error,
        "done": state.done,
        "feedback_limit": FEEDBACK_LIMIT,
        "reason_limit": REASON_LIMIT,
        "feedback_limit_text": f"{FEEDBACK_LIMIT:,}",
        "reason_limit_text": f"{REASON_LIMIT:,}",
        # Pearson (section 8): what the feedback must show, and that it gives no advice.
        "feedback_rule": (
            DECISION_HELP if rules_feedback(evidence.registration.qualification) else ""
        ),
    }


def _orphans(
    form: JudgingForm | None, cases: Sequence[Any], state: JudgingState
) -> list[dict[str, str]]:
    """Refused rows the page no longer draws (their criterion was unmapped meanwhile), with
    what the assessor typed in them, so it is not lost."""
    if form is None or not state.row_errors:
        return []
    drawn = {case.criterion.pk for case in cases}
    missing = [pk for pk in state.row_errors if pk not in drawn]
    criteria = AssessmentCriterion.objects.select_related("unit").in_bulk(missing)
    typed = form.data
    found = []
    for pk in missing:
        criterion = criteria.get(pk)
        label = (
            f"{criterion.unit.reference or criterion.unit.key} {criterion.number}"
            if criterion
            else f"Criterion {pk}"
        )
        outcome = typed.get(f"{row_prefix(pk)}-outcome", "")
        found.append(
            {
                "label": label,
                "error": state.row_errors[pk],
                "outcome": Outcome(outcome).label if outcome in Outcome.values else "",
                "feedback": typed.get(f"{row_prefix(pk)}-feedback", ""),
            }
        )
    return found


def overall_feedback(evidence: Evidence, *, required: bool, learner: bool) -> list[Judgement]:
    """Earlier judgements' overall feedback (one query). Where an internal verifier validates
    decisions first, the learner reads it once every decision it came with is released."""
    judgements = (
        Judgement.objects.filter(evidence=evidence)
        .exclude(feedback="")
        .select_related("assessor")
        .order_by("made_at", "pk")
    )
    if not (required and learner):
        return list(judgements)
    unreleased = Count(
        "decisions",
        filter=Q(decisions__validation__isnull=True)
        | ~Q(decisions__validation__outcome=ValidationOutcome.AGREED),
    )
    return [j for j in judgements.annotate(unreleased=unreleased) if not j.unreleased]
