"""Forms for the claim and hold pages. They validate; the services in certification.claims
decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Centre
from certification.models import HoldKind
from core.forms import DateInput
from portfolios.forms.registration import RegistrationPicker
from portfolios.models import Registration


class HoldForm(forms.Form):
    prefix = "hold"

    # A picker, not a <select>: a centre claims for thousands of registrations.
    registration = RegistrationPicker(
        label="Learner and qualification", queryset=Registration.objects.none()
    )
    unit = forms.CharField(
        label="Unit reference (leave blank to hold the whole registration)",
        required=False,
        max_length=60,
    )
    kind = forms.ChoiceField(label="Kind of hold", choices=HoldKind.choices)
    reason = forms.CharField(
        label="Why the claim is held",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the claim is held."},
    )

    def __init__(
        self, *args: Any, centre: Centre, registrations: QuerySet[Registration], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["registration"]
        field.queryset = registrations  # type: ignore[attr-defined]
        field.centre = centre  # type: ignore[attr-defined]


class ClaimFilterForm(forms.Form):
    """Narrows the claims page's lists (GET). Bad input narrows nothing rather than failing."""

    q = forms.CharField(
        label="Learner name, ULN or registration number", required=False, max_length=100
    )
    qualification = forms.ModelChoiceField(
        label="Qualification", queryset=None, required=False, empty_label="All qualifications"
    )

    def __init__(self, *args: Any, qualifications: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["qualification"]
        field.queryset = qualifications  # type: ignore[attr-defined]
        field.label_from_instance = lambda q: f"{q.number} {q.title}"  # type: ignore[attr-defined]


class LineSearchForm(forms.Form):
    q = forms.CharField(label="Learner name or registration number", required=False, max_length=100)


class ReleaseForm(forms.Form):
    note = forms.CharField(
        label="Why the hold is released",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the hold is released."},
    )


class SubmitForm(forms.Form):
    reference = forms.CharField(
        label="The awarding body's reference for this claim",
        max_length=100,
        error_messages={"required": "Type the awarding body's reference for the claim."},
    )


class CertificateForm(forms.Form):
    line = forms.IntegerField(required=False, widget=forms.HiddenInput)
    certificate_number = forms.CharField(
        label="Certificate number (optional)", required=False, max_length=100
    )
    received_on = forms.DateField(label="Received on", widget=DateInput, initial=timezone.localdate)
