"""Forms for validating decisions and the centre's release settings. They validate input; the
services in assessments.validation decide and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from assessments.models import ValidationOutcome
from assessments.release import waiver_refused
from qualifications.models import Qualification


class DecisionIdsField(forms.Field):
    """The ticked decisions (checkboxes named alike, drawn by the template)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Choose at least one decision.",
        "invalid": "Choose decisions from the list.",
    }

    def to_python(self, value: Any) -> list[int]:
        try:
            return sorted({int(item) for item in value or []})
        except (TypeError, ValueError) as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class _ValidationChoiceForm(forms.Form):
    """Agree or refer what was ticked; a referral says why. `noun` names what is validated."""

    noun = "decision"

    outcome = forms.ChoiceField(
        label="Your validation", choices=ValidationOutcome.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comment"].label = f"Comment (required when you refer a {self.noun} back)"

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if (
            cleaned.get("outcome") == ValidationOutcome.REFERRED
            and not (cleaned.get("comment") or "").strip()
        ):
            self.add_error(
                "comment", f"Say why the {self.noun}s are referred back to the assessor."
            )
        return cleaned


class ValidateForm(_ValidationChoiceForm):
    decisions = DecisionIdsField(label="Decisions")
    field_order = ["decisions", "outcome", "comment"]


class ReturnIdsField(DecisionIdsField):
    """The ticked returns held for validation."""

    default_error_messages = {
        "required": "Choose at least one return.",
        "invalid": "Choose returns from the list.",
    }


class ValidateReturnsForm(_ValidationChoiceForm):
    """The same choice as ValidateForm, of returns for resubmission; prefixed "return" on the
    queue page, which shows both forms (their fields' ids must differ)."""

    noun = "return"

    held = ReturnIdsField(label="Returns")
    field_order = ["held", "outcome", "comment"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "return")
        super().__init__(*args, **kwargs)


class ReleaseSettingForm(forms.Form):
    qualification = forms.ModelChoiceField(
        queryset=Qualification.objects.select_related("awarding_body").order_by("number"),
        empty_label="Choose a qualification",
    )
    validation_required = forms.TypedChoiceField(
        label="Before the learner sees a decision",
        choices=[
            ("yes", "An internal verifier validates it first"),
            ("no", "The learner sees it at once"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        help_text="Where the awarding body requires an internal verifier's validation (see the "
        "table), it cannot be switched off.",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        qualification = self.cleaned_data.get("qualification")
        # Refused here, beside the field, as well as by the service (set_release_setting).
        if qualification is not None and self.cleaned_data.get("validation_required") is False:
            refused = waiver_refused(qualification)
            if refused:
                self.add_error("validation_required", refused)
        return self.cleaned_data
