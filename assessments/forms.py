"""Forms for the assessor's pages. They validate input; the services decide and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from assessments.models import Outcome
from core.forms import DateInput
from portfolios.evidence_forms import MapCriteriaForm
from portfolios.models import EvidenceMethod


class JudgeForm(forms.Form):
    """One criterion judged against one piece of evidence."""

    outcome = forms.ChoiceField(choices=Outcome.choices, widget=forms.RadioSelect)
    feedback = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    method = forms.ChoiceField(label="Assessment method", choices=EvidenceMethod.choices)
    assessed_on = forms.DateField(
        label="Date assessed",
        widget=DateInput,
    )
    # The decision the assessor saw when the page was drawn: a correction supersedes exactly it.
    supersedes = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why the earlier decision is corrected",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].initial = timezone.localdate

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("supersedes") and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Say why the earlier decision is corrected.")
        return cleaned


class ReturnForm(forms.Form):
    feedback = forms.CharField(
        label="What the learner should change",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )


class SignOffForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class UnlockForm(forms.Form):
    sign_off = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why the unit is unlocked", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class ConfirmMappingForm(MapCriteriaForm):
    """The criteria the assessor confirms, and the mapping the page showed them."""

    # A stale page must not undo another assessor's change: the service compares this.
    shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_shown(self) -> set[int] | None:
        raw = self.cleaned_data.get("shown", "").strip()
        if not raw:
            return None
        try:
            return {int(part) for part in raw.split(",")}
        except ValueError:
            raise forms.ValidationError("Reload the page and try again.") from None
