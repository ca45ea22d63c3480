"""The programme record's form (issue 19). It reads the fields; portfolios.apprenticeships
validates the rules and saves, and its errors come back onto these fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from accounts.models import Employer
from core.forms import DateInput, declared
from portfolios.apprenticeships import Programme, standards_for
from portfolios.models import Apprenticeship, Registration


class ApprenticeshipForm(forms.ModelForm):
    class Meta:
        model = Apprenticeship
        fields = [
            "employer",
            "standard",
            "standard_version",
            "practical_start",
            "practical_planned_end",
            "minimum_otj_hours",
            "rpl_reduction_hours",
            "rpl_reason",
            "english_requirement",
            "english_status",
            "maths_requirement",
            "maths_status",
            "epao_name",
            "epao_reference",
        ]
        widgets = {
            "practical_start": DateInput,
            "practical_planned_end": DateInput,
            "rpl_reason": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "english_requirement": "English: requirement",
            "english_status": "English: status",
            "maths_requirement": "Maths: requirement",
            "maths_status": "Maths: status",
        }

    def __init__(self, *args: Any, registration: Registration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.registration = registration
        # Only this centre's employers and this qualification's standards are offered.
        employer = declared(self, "employer", forms.ModelChoiceField)
        employer.queryset = Employer.objects.filter(centre_id=registration.centre_id)
        standard = declared(self, "standard", forms.ModelChoiceField)
        standard.queryset = standards_for(registration)
        # No reduction is the usual case: left empty, it is none.
        self.fields["rpl_reduction_hours"].required = False

    def clean_rpl_reduction_hours(self) -> Decimal:
        return self.cleaned_data.get("rpl_reduction_hours") or Decimal("0")

    def _post_clean(self) -> None:
        # The rules are the service's (portfolios.apprenticeships.validate), asked once, on
        # save: the model's own checks would repeat them in other words.
        pass

    def programme(self) -> Programme:
        return Programme(**self.cleaned_data)
