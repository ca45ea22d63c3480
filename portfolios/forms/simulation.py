"""The centre contact's record of the awarding body's agreement to a simulation. The form checks
input; portfolios.simulation decides and saves."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Centre
from portfolios.models import SimulationCircumstance
from qualifications.models import Qualification, Unit


class SimulationAgreementForm(forms.Form):
    qualification = forms.ModelChoiceField(
        queryset=Qualification.objects.none(), empty_label="Choose a qualification"
    )
    units = forms.ModelMultipleChoiceField(
        label="Units it covers",
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Units that must be achieved in real work are not offered: no agreement "
        "makes simulation count towards them.",
    )
    circumstance = forms.ChoiceField(
        label="Why simulation (the circumstances the specification allows)",
        choices=SimulationCircumstance.choices,
        widget=forms.RadioSelect,
    )
    agreed_by = forms.CharField(label="Agreed at the awarding body by", max_length=200)
    agreed_on = forms.DateField(label="Date agreed", widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label="The awarding body's reference", max_length=100)
    arrangements = forms.CharField(
        label="Location, environment and documented plan agreed",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

    def __init__(self, *args: Any, centre: Centre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the centre's qualifications whose specification asks for an agreement.
        offered = centre.qualifications.exclude(simulation_rule="").order_by("number")
        self.fields["qualification"].queryset = offered  # type: ignore[attr-defined]
        self.fields["units"].queryset = (  # type: ignore[attr-defined]
            Unit.objects.filter(memberships__qualification__in=offered, real_work_only=False)
            .distinct()
            .order_by("key")
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        qualification = self.cleaned_data.get("qualification")
        units = self.cleaned_data.get("units")
        if qualification is not None and units:
            outside = units.exclude(memberships__qualification=qualification)
            if outside.exists():
                self.add_error(
                    "units",
                    f"Not units of {qualification.number}: "
                    + ", ".join(u.reference or u.key for u in outside)
                    + ".",
                )
        return self.cleaned_data


class WithdrawAgreementForm(forms.Form):
    withdrawn_on = forms.DateField(
        label="Covers no evidence from",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Evidence dated before this day still rests on the agreement.",
    )
    reason = forms.CharField(
        label="Why it ends",
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
