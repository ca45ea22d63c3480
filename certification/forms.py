"""Forms for the claim and hold pages. They validate; the services in certification.claims
decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Centre
from certification.models import CaseKind, CaseOutcome, HoldKind
from core.forms import DateInput, declared
from portfolios.forms.registration import QualificationChoiceField, RegistrationPicker
from portfolios.models import Registration
from qualifications.models import AwardingBody, Qualification


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
        field = declared(self, "registration", RegistrationPicker)
        field.queryset = registrations
        field.centre = centre


class ClaimFilterForm(forms.Form):
    """Narrows the claims page's lists (GET). Bad input narrows nothing rather than failing."""

    q = forms.CharField(
        label="Learner name, ULN or registration number", required=False, max_length=100
    )
    qualification = QualificationChoiceField(
        label="Qualification",
        queryset=Qualification.objects.none(),
        required=False,
        empty_label="All qualifications",
    )

    def __init__(self, *args: Any, qualifications: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        declared(self, "qualification", QualificationChoiceField).queryset = qualifications


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


# ---------------------------------------------------------------- cases


class CaseRegistrationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Registration) -> str:
        return (
            f"{obj.learner.get_full_name()}: {obj.qualification.number} {obj.qualification.title}"
        )


class CaseForm(forms.Form):
    """Raise a case. Staff who search the centre pick the registration; a learner or an assessor
    chooses from the registrations their role sees."""

    prefix = "case"

    registration = CaseRegistrationChoice(
        label="Learner and qualification", queryset=Registration.objects.none()
    )
    kind = forms.ChoiceField(label="What kind of case", choices=CaseKind.choices)
    unit = forms.CharField(
        label="Unit reference (leave blank if it concerns the whole qualification)",
        required=False,
        max_length=60,
    )
    details = forms.CharField(
        label="What it is about",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say what the case is about."},
    )
    document = forms.FileField(label="A document (optional)", required=False)

    def __init__(
        self,
        *args: Any,
        registrations: QuerySet[Registration],
        centre: Centre | None = None,
        kinds: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if centre is not None:
            picker = RegistrationPicker(
                label="Learner and qualification", queryset=registrations, centre=centre
            )
            self.fields["registration"] = picker
        else:
            field = declared(self, "registration", CaseRegistrationChoice)
            field.queryset = registrations
        if kinds is not None:
            declared(self, "kind", forms.ChoiceField).choices = kinds


class CaseDecisionForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=CaseOutcome.choices)
    note = forms.CharField(
        label="Why (the learner reads this)",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why it was decided so."},
    )

    def __init__(self, *args: Any, outcomes: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if outcomes:
            declared(self, "outcome", forms.ChoiceField).choices = [
                (value, CaseOutcome(value).label) for value in outcomes
            ]


class CaseNoteForm(forms.Form):
    note = forms.CharField(
        label="Why",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why."},
    )


class CaseReferForm(forms.Form):
    reference = forms.CharField(
        label="The awarding body's reference for the case",
        max_length=100,
        error_messages={"required": "Type the awarding body's reference for the case."},
    )
    note = forms.CharField(
        label="What was sent",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say what was sent to the awarding body."},
    )


class CaseDocumentForm(forms.Form):
    document = forms.FileField(label="Add a document")


class CasePolicyForm(forms.Form):
    lead_iv = forms.ModelChoiceField(
        label="Lead internal verifier (blank: any of the centre's internal verifiers)",
        queryset=Registration.objects.none(),
        required=False,
    )
    lead_iv_days = forms.IntegerField(
        label="Days for the lead IV's stage", min_value=1, max_value=365
    )
    centre_days = forms.IntegerField(
        label="Days for the head of centre's stage", min_value=1, max_value=365
    )
    escalation_days = forms.IntegerField(
        label="Days a learner has to take an appeal further", min_value=1, max_value=365
    )

    def __init__(self, *args: Any, verifiers: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        declared(self, "lead_iv", forms.ModelChoiceField).queryset = verifiers


class RetentionRemoveForm(forms.Form):
    """Which finished registrations' files to remove, and why (the service checks each is past
    retention and needed by nothing)."""

    registrations = forms.TypedMultipleChoiceField(
        label="Learners whose files to remove",
        coerce=int,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the learners whose files to remove."},
    )
    reason = forms.CharField(
        label="Why the files are removed",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the files are removed."},
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registrations"].choices = choices  # type: ignore[attr-defined]  # a ChoiceField


class RetentionPeriodForm(forms.Form):
    """The centre's own period for an awarding body whose document gives none."""

    prefix = "period"

    awarding_body = forms.ModelChoiceField(
        label="Awarding body", queryset=AwardingBody.objects.filter(retention_weeks__isnull=True)
    )
    weeks = forms.IntegerField(
        label="Weeks evidence is kept after external verification", min_value=0, max_value=1040
    )
    source = forms.CharField(
        label="Where the period comes from (policy or manual, and page)",
        max_length=300,
        error_messages={"required": "Say where the period comes from."},
    )
