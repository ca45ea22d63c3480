"""Forms for the verifier's sampling pages. They validate input; the services decide and save."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from core.forms import DateInput
from portfolios.forms.registration import (
    SAMPLEABLE_STATUSES,
    RegistrationPicker,
    picker_registrations,
)
from portfolios.models import Registration
from qualifications.models import Unit
from verification.models import RiskRating, SampleStage, SamplingStrategy

PERCENT_HELP = "A percentage of the assessor's learners, 0 to 100."


class StrategyForm(forms.ModelForm):
    class Meta:
        model = SamplingStrategy
        fields = [
            "rate_new",
            "rate_trainee",
            "rate_under_confidence",
            "rate_experienced",
            "unit_share",
            "interim_required",
            "summative_required",
            "cover_every_assessor",
            "cover_every_method",
            "cover_every_site",
        ]
        labels = {
            "rate_new": "New assessors: share of learners sampled (%)",
            "rate_trainee": "Trainee assessors: share of learners sampled (%)",
            "rate_under_confidence": "Low-confidence assessors: share of learners sampled (%)",
            "rate_experienced": "Experienced assessors: share of learners sampled (%)",
            "unit_share": "Share of units sampled per learner at interim (%)",
            "interim_required": "Interim sampling (part-way through the programme)",
            "summative_required": "Summative sampling (when the portfolio is complete)",
            "cover_every_assessor": "Sample every assessor at least once",
            "cover_every_method": "Sample every assessment method used at least once",
            "cover_every_site": "Sample every assessment site (workplace) at least once",
        }
        help_texts = {
            "rate_new": PERCENT_HELP,
            "rate_trainee": PERCENT_HELP,
            "rate_under_confidence": PERCENT_HELP,
            "rate_experienced": PERCENT_HELP,
            "unit_share": "Of the units the assessor has judged so far, 1 to 100.",
        }


class RatingForm(forms.Form):
    assessor = forms.ModelChoiceField(queryset=User.objects.none(), empty_label="Choose…")
    rating = forms.ChoiceField(label="Risk rating", choices=RiskRating.choices)
    reason = forms.CharField(
        label="Why (for the record)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessor"].queryset = User.objects.filter(
            memberships__centre_id=centre_id,
            memberships__role=Role.ASSESSOR,
            memberships__is_active=True,
        ).distinct()


class DrawForm(forms.Form):
    period_start = forms.DateField(
        label="Period starts",
        widget=DateInput,
        error_messages={"required": "Say when the plan's period starts."},
    )
    period_end = forms.DateField(
        label="Period ends",
        widget=DateInput,
        error_messages={"required": "Say when the plan's period ends."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A quarter by default: centres commonly plan sampling term by term.
        today = timezone.localdate()
        self.fields["period_start"].initial = today
        self.fields["period_end"].initial = today + datetime.timedelta(days=91)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The period must end on or after the day it starts.")
        return cleaned


class AddSampleForm(forms.Form):
    # A picker, not a <select>: a qualification may have thousands of learners at a centre.
    registration = RegistrationPicker(label="Learner", queryset=Registration.objects.none())
    assessor = forms.ModelChoiceField(
        label="Assessor whose decisions are sampled",
        queryset=User.objects.none(),
        empty_label="Choose…",
    )
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(),
        required=False,
        empty_label="The whole portfolio",
    )
    stage = forms.ChoiceField(choices=SampleStage.choices)
    planned_on = forms.DateField(label="Planned date", widget=DateInput)

    def __init__(self, *args: Any, strategy: SamplingStrategy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        registrations = Registration.objects.filter(
            centre_id=strategy.centre_id,
            qualification_id=strategy.qualification_id,
            status__in=SAMPLEABLE_STATUSES,
        )
        picker = self.fields["registration"]
        picker.queryset = picker_registrations(strategy.centre_id).filter(  # type: ignore[attr-defined]
            qualification_id=strategy.qualification_id, status__in=SAMPLEABLE_STATUSES
        )
        picker.centre = strategy.centre_id  # type: ignore[attr-defined]
        # The search endpoint narrows to the same registrations.
        picker.search_url = (  # type: ignore[attr-defined]
            f"{reverse('portfolios:registration_search')}"
            f"?qualification={strategy.qualification_id}&open=1"
        )
        self.fields["assessor"].queryset = User.objects.filter(
            assessing__in=registrations.values("pk")
        ).distinct()
        self.fields["unit"].queryset = Unit.objects.filter(
            memberships__qualification_id=strategy.qualification_id
        ).distinct()
        self.fields["unit"].label_from_instance = lambda u: f"{u.reference or u.key}: {u.title}"


class RemoveSampleForm(forms.Form):
    reason = forms.CharField(
        label="Why it is removed",
        max_length=2000,
        error_messages={"required": "Say why the sample is removed from the plan."},
    )
