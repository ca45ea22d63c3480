"""Forms for assessment plans. They validate input; the services in assessments/plans.py save."""

from __future__ import annotations

from typing import Any

from django import forms

from assessments.caseload_plans import STATES
from core.forms import DateInput, declared
from portfolios.models import EvidenceMethod, Registration
from qualifications.models import AssessmentCriterion


class PlanStateFilterForm(forms.Form):
    """The Plans page's filter (GET): one state, or all."""

    state = forms.ChoiceField(
        label="Show",
        choices=[("", "Everything"), *STATES],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class PlanForm(forms.Form):
    title = forms.CharField(max_length=200, initial="Assessment plan")
    summary = forms.CharField(
        label="Summary (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )


class CriterionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: AssessmentCriterion) -> str:
        unit = obj.unit.reference or obj.unit.key
        return f"{unit} {obj.number}: {obj.text}"


class ActivityForm(forms.Form):
    description = forms.CharField(
        label="Activity", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    method = forms.ChoiceField(label="Assessment method", choices=EvidenceMethod.choices)
    target_date = forms.DateField(label="Target date", widget=DateInput)
    criteria = CriterionChoiceField(
        label="Criteria it aims at",
        queryset=AssessmentCriterion.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Hold Ctrl (or Cmd) to choose more than one.",
    )

    def __init__(self, *args: Any, registration: Registration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only criteria of the units this learner takes.
        declared(self, "criteria", forms.ModelChoiceField).queryset = (
            AssessmentCriterion.objects.filter(
                unit_id__in=registration.unit_choices.values("unit_id")
            )
            .select_related("unit")
            .order_by("unit__key", "position")
        )


class ReviseForm(forms.Form):
    reason = forms.CharField(
        label="Why the plan is revised", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
