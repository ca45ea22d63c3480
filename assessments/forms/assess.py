"""Forms for the assessor's pages. They validate input; the services decide and save."""

from __future__ import annotations

from typing import Any

from django import forms

from assessments.basis import AUTHENTICITY_RULE, PEARSON, sources_for
from assessments.feedback import DECISION_HELP, RETURN_LABEL
from portfolios.forms.evidence import MapCriteriaForm


class ReturnForm(forms.Form):
    feedback = forms.CharField(
        label="What the learner should change",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )

    def __init__(self, *args: Any, rules_feedback: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if rules_feedback:
            # Pearson BTEC, section 8: feedback "may show why attainment against criteria has
            # not been demonstrated" and "must not provide feedback on how to improve evidence".
            self.fields["feedback"].label = RETURN_LABEL
            self.fields["feedback"].help_text = DECISION_HELP


class SignOffForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    # The assessor's authenticity declaration, in the words of the qualification's awarding
    # body or Pearson's where it gives none (assessments.basis): set in __init__.
    declared_authentic = forms.BooleanField()
    # Issue 17: a trainee assessor's countersigning colleague signs with them.
    countersign_password = forms.CharField(
        label="Countersigner's password",
        required=False,
        strip=False,
        help_text="Only for an assessor working towards the qualification: the qualified "
        "colleague named to countersign types their password here.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, qualification: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sources = PEARSON if qualification is None else sources_for(qualification)
        field = self.fields["declared_authentic"]
        field.label = sources.statement
        field.help_text = f"The assessor's declaration: {sources.authenticity}."
        field.error_messages["required"] = (
            f"{AUTHENTICITY_RULE}: confirm the assessor's declaration {sources.claim} before "
            f"signing off ({sources.authenticity})."
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
