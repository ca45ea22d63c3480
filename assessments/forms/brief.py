"""Forms of the assignment brief pages. They check input; assessments.briefs decides and saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.models import Centre
from portfolios.models import Evidence, Registration
from qualifications.models import LearningOutcome, Qualification, Unit

DATE = forms.DateInput(attrs={"type": "date"})


class BriefForm(forms.Form):
    qualification = forms.ModelChoiceField(
        queryset=Qualification.objects.none(), empty_label="Choose a qualification"
    )
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), empty_label="Choose a unit")
    outcomes = forms.ModelMultipleChoiceField(
        label="Learning outcomes it assesses (each as a whole)",
        queryset=LearningOutcome.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    title = forms.CharField(max_length=200)
    scenario = forms.CharField(
        label="Vocational scenario or context",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    audience = forms.CharField(label="Audience or purpose of the evidence", max_length=500)
    tasks = forms.CharField(
        label="Tasks, and the evidence the learner provides",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
    )
    start_date = forms.DateField(widget=DATE)
    hand_in_date = forms.DateField(label="Completion (hand-in) date", widget=DATE)

    def __init__(self, *args: Any, centre: Centre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = centre.qualifications.filter(awarding_body__code="PEARSON").order_by("number")
        units = Unit.objects.filter(memberships__qualification__in=offered).distinct()
        self.fields["qualification"].queryset = offered  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units.order_by("key")  # type: ignore[attr-defined]
        self.fields["outcomes"].queryset = (  # type: ignore[attr-defined]
            LearningOutcome.objects.filter(unit__in=units)
            .select_related("unit")
            .order_by("unit__key", "position")
        )
        self.fields["outcomes"].label_from_instance = (  # type: ignore[attr-defined]
            lambda outcome: f"{outcome.unit.title}, LO{outcome.number}: {outcome.text}"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit, outcomes = data.get("unit"), data.get("outcomes")
        if (
            unit is not None
            and outcomes is not None
            and any(outcome.unit_id != unit.pk for outcome in outcomes)
        ):
            self.add_error("outcomes", f"Choose learning outcomes of {unit.title} only.")
        start, hand_in = data.get("start_date"), data.get("hand_in_date")
        if start and hand_in and hand_in <= start:
            self.add_error("hand_in_date", "The completion date must come after the start date.")
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why the brief is withdrawn",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class ExtensionForm(forms.Form):
    registration = forms.ModelChoiceField(
        label="Learner", queryset=Registration.objects.none(), empty_label="Choose a learner"
    )
    hand_in_date = forms.DateField(label="New hand-in date", widget=DATE)
    reason = forms.CharField(
        label="Legitimate reason (for example, illness at the time of submission)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )

    def __init__(self, *args: Any, learners: QuerySet[Registration], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registration"].queryset = learners  # type: ignore[attr-defined]
        self.fields["registration"].label_from_instance = (  # type: ignore[attr-defined]
            lambda registration: registration.learner.full_name
        )


class HandInForm(forms.Form):
    evidence = forms.ModelChoiceField(
        label="Your submitted evidence", queryset=Evidence.objects.none(), empty_label="Choose"
    )

    def __init__(self, *args: Any, evidence: QuerySet[Evidence], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence  # type: ignore[attr-defined]
