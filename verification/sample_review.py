"""What the sample page draws of the one review form: a row per decision (grouped by unit in a
whole-portfolio sample), with what the verifier chose kept after a refused submit."""

from __future__ import annotations

from typing import Any

from verification.forms.sample import AGREE, REVIEW_CHOICES, ReviewForm, decision_label


def review_rows(
    form: ReviewForm, decisions: list[Any], current_hash: str, *, refused: bool
) -> dict[str, Any]:
    typed = form.data if form.is_bound else {}
    units: dict[int, dict[str, Any]] = {}
    for decision in decisions:
        unit = decision.criterion.unit
        entry = units.setdefault(
            unit.pk,
            {
                "key": str(unit.pk),
                "label": f"Unit {unit.reference or unit.key}: {unit.title}",
                "choice": typed.get(f"u{unit.pk}", ""),
                "rows": [],
            },
        )
        entry["rows"].append(
            {
                "key": str(decision.pk),
                "label": decision_label(decision, whole=form.whole),
                "choice": typed.get(f"d{decision.pk}", AGREE),
            }
        )
    errors = {
        name: " ".join(str(e) for e in form.errors.get(name, []))
        for name in ("actions", "deadline", "feedback")
        if form.is_bound and form.errors.get(name)
    }
    return {
        "whole": form.whole,
        "units": list(units.values()),
        "choices": REVIEW_CHOICES,
        # The decisions on screen now: after a refusal because they changed, the page shows
        # the new ones, so sending the form again decides on what is seen.
        "seen_hash": current_hash,
        "actions": typed.get("actions", ""),
        "deadline": typed.get("deadline", ""),
        "feedback": typed.get("feedback", ""),
        "errors": errors,
        "refused": refused,
    }
