"""The gateway page's forms: a KSB's gap, withdrawing the declaration, the EPA result."""

from __future__ import annotations

from django import forms

from core.forms import DateInput
from portfolios.models import EndPointGrade


class GapForm(forms.Form):
    gap = forms.CharField(
        label="What the gap is", max_length=2_000, widget=forms.Textarea(attrs={"rows": 2})
    )
    plan = forms.CharField(
        label="How the end-point assessment will cover it",
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why the declaration is withdrawn",
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResultForm(forms.Form):
    """Rendered field by field by the gateway page (Bootstrap's classes given here), not through
    crispy-forms' field template, which cost the page more than its checklist (measured)."""

    grade = forms.ChoiceField(
        choices=EndPointGrade.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    assessed_on = forms.DateField(
        label="Date of the result", widget=DateInput(attrs={"class": "form-control"})
    )
    reason = forms.CharField(
        label="Why the result is corrected (when one is already recorded)",
        required=False,
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
