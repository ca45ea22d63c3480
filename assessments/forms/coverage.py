"""The cohort page's filter. It validates the choice; the view does the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from qualifications.models import Qualification


class CohortFilterForm(forms.Form):
    qualification = forms.TypedChoiceField(
        label="Qualification",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={
            "invalid_choice": "Choose one of the qualifications listed: that one does not map "
            "to this standard."
        },
    )

    def __init__(self, *args: Any, qualifications: Sequence[Qualification], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["qualification"].choices = [("", "Every qualification")] + [
            (q.pk, f"{q.number} {q.title}") for q in qualifications
        ]
