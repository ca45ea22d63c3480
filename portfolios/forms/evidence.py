"""Forms for the portfolio and evidence pages. They validate; portfolios.evidence changes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from core.forms import DateInput, QuickSelect, declared
from portfolios.models import Declaration, EvidenceContext, EvidenceMethod, Registration
from portfolios.progress import CriterionState, TakenUnit
from qualifications.models import AssessmentCriterion


class PortfolioFilterForm(forms.Form):
    unit = forms.TypedChoiceField(
        label="Unit", coerce=int, empty_value=None, required=False, widget=QuickSelect
    )
    state = forms.ChoiceField(
        label="State",
        choices=[("", "Any state"), *CriterionState.choices],
        required=False,
        widget=QuickSelect,
    )

    def __init__(self, *args: Any, units: list[TakenUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("unit", "state"):
            self.fields[name].widget.attrs["class"] = "form-select"
        declared(self, "unit", forms.ChoiceField).choices = [
            ("", "All units"),
            *((entry.unit.pk, f"{entry.label} {entry.unit.title}") for entry in units),
        ]


class EvidenceForm(forms.Form):
    """The record itself: what, when, how and where the evidence was produced."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5_000,
        required=False,
        help_text="What you did, and how it shows the criteria you map it to.",
    )
    evidence_date = forms.DateField(label="Date of the evidence", widget=DateInput)
    method = forms.ChoiceField(label="Assessment method", choices=EvidenceMethod.choices)
    context = forms.ChoiceField(
        label="Where it was produced",
        choices=EvidenceContext.choices,
        help_text=(
            "Some units must be achieved in real work: evidence from a simulation (as the "
            "method or the place) or a realistic working environment cannot be mapped to them."
        ),
    )

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("Give the evidence a title.")
        return title

    def clean_evidence_date(self) -> Any:
        day = self.cleaned_data["evidence_date"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date of the evidence cannot be in the future.")
        return day


class MapCriteriaForm(forms.Form):
    criteria = forms.ModelMultipleChoiceField(
        queryset=AssessmentCriterion.objects.none(),
        required=False,
        error_messages={"invalid_choice": "Choose criteria from the units you are taking."},
    )

    def __init__(self, *args: Any, registration: Registration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = declared(self, "criteria", forms.ModelChoiceField)
        field.queryset = self.criteria_of(registration)

    @staticmethod
    def criteria_of(registration: Registration) -> QuerySet[AssessmentCriterion]:
        return AssessmentCriterion.objects.filter(
            unit_id__in=registration.unit_choices.values("unit_id")
        ).select_related("unit")


class DeclarationForm(forms.Form):
    typed_name = forms.CharField(
        label="Your full name",
        max_length=150,
        error_messages={"required": "Type your name to sign the declaration."},
    )
    confirmed = forms.BooleanField(
        label=Declaration.STATEMENT,
        error_messages={"required": "Tick the box to confirm that the evidence is your own work."},
    )
