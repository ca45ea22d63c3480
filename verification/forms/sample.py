"""Forms for the sample page: the one review form, and sign-off. They validate; the services
decide."""

from __future__ import annotations

from typing import Any

from django import forms

AGREE = "agree"
REFER = "refer"
REVIEW_CHOICES = [(AGREE, "Agree"), (REFER, "Refer back")]


def decision_label(decision: Any, *, whole: bool) -> str:
    # A whole-portfolio sample holds every unit, and criterion numbers repeat across units.
    unit = decision.criterion.unit
    return (
        (f"Unit {unit.reference or unit.key} " if whole else "")
        + f"{decision.criterion.number}: {decision.get_outcome_display()} by "
        + decision.assessor.get_full_name()
    )


class ReviewForm(forms.Form):
    """The IV's review of a whole sample in one form: per decision agree or refer back (per
    unit too, in a whole-portfolio sample), and once the actions, deadline and feedback. All
    agreed is an agreement; any referred is one referral of those decisions. The template
    draws the fields by hand (templates/verification/_sample_review.html)."""

    actions = forms.CharField(
        label="Actions for the assessor (needed when you refer back)",
        required=False,
        max_length=4000,
    )
    deadline = forms.DateField(
        label="Deadline for the actions (needed when you refer back)",
        required=False,
        error_messages={"invalid": "Enter the deadline as a date."},
    )
    feedback = forms.CharField(
        label="Feedback to the assessor (optional)", required=False, max_length=4000
    )
    # The hash of the decisions on screen: the service refuses if they changed meanwhile.
    seen_hash = forms.CharField(required=False, max_length=64)

    def __init__(self, *args: Any, decisions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decisions = decisions
        self.whole = len({d.criterion.unit_id for d in decisions}) > 1
        for decision in decisions:
            self.fields[f"d{decision.pk}"] = forms.ChoiceField(
                choices=REVIEW_CHOICES, required=False
            )
        if self.whole:
            for unit_id in {d.criterion.unit_id for d in decisions}:
                self.fields[f"u{unit_id}"] = forms.ChoiceField(
                    choices=[("", "Decide per criterion"), *REVIEW_CHOICES], required=False
                )

    def referred(self) -> list[Any]:
        """The decisions referred back: by their own choice, or their whole unit's."""
        data = self.cleaned_data
        found = []
        for decision in self.decisions:
            unit_choice = data.get(f"u{decision.criterion.unit_id}") if self.whole else ""
            choice = unit_choice or data.get(f"d{decision.pk}") or AGREE
            if choice == REFER:
                found.append(decision)
        return found

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors or not self.referred():
            return cleaned
        if not (cleaned.get("actions") or "").strip():
            self.add_error("actions", "Say what the assessor must do.")
        if not cleaned.get("deadline"):
            self.add_error("deadline", "Give a deadline for the actions.")
        return cleaned


class VerifierSignOffForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to sign off."},
    )
