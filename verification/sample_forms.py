"""Forms for the sample page: agree, refer back, sign off. They validate; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from core.forms import DateInput


class AgreeForm(forms.Form):
    # Prefixed: the agree and refer forms share a page, and ids must be unique on it.
    prefix = "agree"

    feedback = forms.CharField(
        label="Feedback to the assessor on agreeing (optional)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # The hash of the decisions on screen: the service refuses if they changed meanwhile.
    seen_hash = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class ReferForm(forms.Form):
    prefix = "refer"

    decisions = forms.TypedMultipleChoiceField(
        label="Decisions referred back",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one decision to refer back."},
    )
    actions = forms.CharField(
        label="Actions for the assessor",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what the assessor must do."},
    )
    deadline = forms.DateField(
        label="Deadline",
        widget=DateInput(),
        error_messages={
            "required": "Give a deadline for the actions.",
            "invalid": "Enter the deadline as a date.",
        },
    )
    feedback = forms.CharField(
        label="Feedback to the assessor (optional)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    seen_hash = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, decisions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A whole-portfolio sample holds every unit, and criterion numbers repeat across units
        # ("1.1" in each): name the unit too.
        whole = len({d.criterion.unit_id for d in decisions}) > 1
        self.fields["decisions"].choices = [
            (
                d.pk,
                (f"Unit {d.criterion.unit.reference or d.criterion.unit.key} " if whole else "")
                + f"{d.criterion.number}: {d.get_outcome_display()} by "
                + d.assessor.get_full_name(),
            )
            for d in decisions
        ]


class VerifierSignOffForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to sign off."},
    )
