"""The one assessing form: method, date and overall feedback once; per criterion an outcome,
feedback and (for a correction) a reason. It validates; assessments.judging decides and saves.

The template draws the fields by hand (templates/assessments/_judging_form.html): 25 criteria
through crispy's per-field templates cost most of a second, and the markup is the same.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone

from assessments.judging import RowJudgement
from assessments.models import Outcome
from portfolios.models import EvidenceMethod

FEEDBACK_LIMIT = 5_000
REASON_LIMIT = 2_000


def row_prefix(criterion_id: int) -> str:
    return f"c{criterion_id}"


class JudgingForm(forms.Form):
    method = forms.ChoiceField(label="Assessment method", choices=EvidenceMethod.choices)
    assessed_on = forms.DateField(
        label="Date assessed",
        error_messages={"required": "Give the date assessed.", "invalid": "Enter a date."},
    )
    feedback = forms.CharField(
        label="Overall feedback (optional)", required=False, max_length=FEEDBACK_LIMIT
    )
    # Drawn with the form; the service records each token once (a double submit is harmless).
    token = forms.UUIDField(
        widget=forms.HiddenInput, error_messages={"required": "Reload the page and try again."}
    )
    # The criteria the form showed, so a row whose criterion was unmapped since is still read
    # (and refused by the service) rather than silently dropped.
    rows = forms.CharField(required=False, max_length=20_000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.row_ids: list[int] = []
        if self.is_bound:
            for part in str(self.data.get("rows", "")).split(","):
                if part.strip().isdigit():
                    self.row_ids.append(int(part))
        for pk in self.row_ids:
            prefix = row_prefix(pk)
            self.fields[f"{prefix}-outcome"] = forms.ChoiceField(
                choices=[("", "No judgement"), *Outcome.choices], required=False
            )
            self.fields[f"{prefix}-feedback"] = forms.CharField(
                required=False, max_length=FEEDBACK_LIMIT
            )
            self.fields[f"{prefix}-reason"] = forms.CharField(
                required=False, max_length=REASON_LIMIT
            )
            self.fields[f"{prefix}-seen"] = forms.IntegerField(required=False)

    def clean_assessed_on(self) -> Any:
        value = self.cleaned_data["assessed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The assessment date cannot be in the future.")
        return value

    def row_errors(self) -> dict[int, str]:
        """Field errors by criterion id, for the template to show by the row."""
        found: dict[int, str] = {}
        for pk in self.row_ids:
            prefix = row_prefix(pk)
            for name in ("outcome", "feedback", "reason", "seen"):
                errors = self.errors.get(f"{prefix}-{name}")
                if errors:
                    found[pk] = " ".join(str(e) for e in errors)
                    break
        return found

    def judgements(self) -> list[RowJudgement]:
        data = self.cleaned_data
        return [
            RowJudgement(
                criterion_id=pk,
                outcome=data.get(f"{row_prefix(pk)}-outcome") or "",
                feedback=data.get(f"{row_prefix(pk)}-feedback") or "",
                reason=data.get(f"{row_prefix(pk)}-reason") or "",
                seen=data.get(f"{row_prefix(pk)}-seen"),
            )
            for pk in self.row_ids
        ]

    @property
    def token_value(self) -> uuid.UUID:
        return self.cleaned_data["token"]
