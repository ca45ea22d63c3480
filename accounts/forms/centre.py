"""Forms for the centre admin's pages about people. They validate; accounts.services changes."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import password_validation
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils import timezone

from accounts.models import (
    Centre,
    CompetenceRecord,
    Employer,
    LearnerProfile,
    Membership,
    Role,
    StaffCredential,
    User,
)
from accounts.queries import people_matching, people_named
from core.forms import DateInput, PickerField, declared
from qualifications.models import LEVEL_CHOICES, Qualification

EQA_NEEDS_EXPIRY = "External quality assurers need an expiry date: their access is time-limited."


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label="Search", max_length=200, required=False, help_text="Name or e-mail address."
    )


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    expires_on = forms.DateField(
        label="Access ends on",
        required=False,
        widget=DateInput,
        help_text="Required for external quality assurers: a date after today.",
    )
    qualifications = forms.ModelMultipleChoiceField(
        label="Only these qualifications",
        queryset=Qualification.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="External quality assurers only. Choose none for the whole centre.",
    )
    employer = forms.ModelChoiceField(
        label="Employer",
        queryset=Employer.objects.none(),
        required=False,
        help_text="Employer contacts only: the employer they work for.",
    )

    def __init__(self, *args: Any, centre: Centre | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if centre is not None:
            qualifications = declared(self, "qualifications", forms.ModelChoiceField)
            qualifications.queryset = centre.qualifications.order_by("number")
            # Only this centre's employers: another centre's are never offered (or accepted).
            employer = declared(self, "employer", forms.ModelChoiceField)
            employer.queryset = Employer.objects.filter(centre=centre).order_by("name", "pk")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("role") == Role.EMPLOYER and not data.get("employer"):
            self.add_error("employer", "Choose the employer this contact works for.")
        elif data.get("role") != Role.EMPLOYER and data.get("employer"):
            self.add_error("employer", "Only an employer contact is linked to an employer.")
        if data.get("role") == Role.EQA:
            expires_on = data.get("expires_on")
            if not expires_on:
                self.add_error("expires_on", EQA_NEEDS_EXPIRY)
            elif expires_on <= timezone.localdate():
                self.add_error("expires_on", "EQA access must end on a date after today.")
        elif data.get("qualifications"):
            self.add_error(
                "qualifications",
                "Only an external quality assurer's access is limited by qualification.",
            )
        return data


class PersonAddForm(RoleGrantForm):
    full_name = forms.CharField(max_length=150)
    email = forms.EmailField(label="E-mail address", max_length=254)

    field_order = ["full_name", "email", "role", "employer", "expires_on", "qualifications"]

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


class EmployerForm(forms.ModelForm):
    """An employer organisation the centre keeps; accounts.services saves it."""

    class Meta:
        model = Employer
        fields = ["name", "address", "phone", "contact_email"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, centre: Centre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.centre = centre

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        taken = Employer.objects.filter(centre=self.centre, name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                f"{self.centre.name} already has an employer called {name}."
            )
        return name


class InvitationSignUpForm(forms.Form):
    """An invitee without an account chooses their name and password."""

    full_name = forms.CharField(label="Your full name", max_length=150)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        password = data.get("password1")
        if password and data.get("password2") and password != data["password2"]:
            self.add_error("password2", "The two passwords differ.")
        elif password:
            # An unsaved user, so the similarity check sees the address and the name.
            candidate = User(email=self.email, full_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class LearnerProfileForm(forms.ModelForm):
    class Meta:
        model = LearnerProfile
        fields = [
            "uln",
            "date_of_birth",
            "phone",
            "address",
            "employer",
            "employer_contact_name",
            "employer_contact_email",
            "employer_contact_phone",
        ]
        widgets = {"date_of_birth": DateInput, "address": forms.Textarea(attrs={"rows": 3})}

    def clean_uln(self) -> str:
        uln = self.cleaned_data["uln"].strip()
        if uln and not (uln.isdigit() and len(uln) == 10):
            raise forms.ValidationError("A unique learner number is 10 digits.")
        return uln


class StaffCredentialForm(forms.ModelForm):
    prefix = "credential"  # one page holds several forms: keep the field ids apart
    levels = forms.MultipleChoiceField(
        choices=LEVEL_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Levels this person may assess or verify.",
    )

    class Meta:
        model = StaffCredential
        fields = [
            "kind",
            "title",
            "status",
            "achieved_on",
            "started_on",
            "deadline",
            "countersigner",
            "levels",
            "qualifications",
        ]
        widgets = {
            "achieved_on": DateInput,
            "started_on": DateInput,
            "deadline": DateInput,
            "qualifications": forms.CheckboxSelectMultiple,
        }
        labels = {"kind": "Qualification for", "deadline": "Deadline to achieve it"}

    def __init__(self, *args: Any, centre: Centre | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only this centre's qualifications and staff (issue 17).
        quals = cast(forms.ModelMultipleChoiceField, self.fields["qualifications"])
        mates = cast(forms.ModelChoiceField, self.fields["countersigner"])
        if centre is None:
            quals.queryset = Qualification.objects.none()
            mates.queryset = User.objects.none()
        else:
            quals.queryset = centre.qualifications.order_by("number")
            mates.queryset = User.objects.filter(
                pk__in=Membership.objects.current()
                .filter(centre=centre, role__in=[Role.ASSESSOR, Role.INTERNAL_VERIFIER])
                .values("user_id")
            ).order_by("full_name", "email")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        status = data.get("status")
        if status == StaffCredential.Status.WORKING_TOWARDS:
            if not data.get("deadline"):
                self.add_error("deadline", "Give the date by which it must be achieved.")
            if not data.get("started_on"):
                self.add_error(
                    "started_on",
                    "SFJ handbook section 4.1 item 6: the 18 months count from this date.",
                )
            if not data.get("countersigner"):
                self.add_error(
                    "countersigner", "Name the qualified colleague who countersigns the trainee."
                )
        if status == StaffCredential.Status.HELD:
            if data.get("deadline"):
                self.add_error("deadline", "A qualification already held has no deadline.")
            if data.get("countersigner"):
                self.add_error(
                    "countersigner", "A qualification already held needs no countersigner."
                )
        return data


class CompetenceRecordForm(forms.ModelForm):
    prefix = "record"

    class Meta:
        model = CompetenceRecord
        fields = ["kind", "date", "activity", "hours", "notes", "qualifications"]
        widgets = {
            "date": DateInput,
            "notes": forms.Textarea(attrs={"rows": 2}),
            "qualifications": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, centre: Centre | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        quals = cast(forms.ModelMultipleChoiceField, self.fields["qualifications"])
        quals.queryset = (
            centre.qualifications.order_by("number")
            if centre is not None
            else Qualification.objects.none()
        )


def people_with_role(centre: Centre, role: str) -> QuerySet[User]:
    """People currently holding `role` at `centre`, by name."""
    return User.objects.filter(
        pk__in=Membership.objects.current().filter(centre=centre, role=role).values("user_id")
    ).order_by("full_name", "email")


def person_label(person: User) -> str:
    return f"{person.get_full_name()} ({person.email})" if person.full_name else person.email


class LearnerPicker(PickerField):
    """One of a centre's learners, found by part of the name or e-mail, or the exact ULN.

    A centre has thousands: a <select> of them all cost the register page seconds."""

    noun, nouns = "learner", "learners"

    def __init__(self, *args: Any, centre: Centre | int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("search_url", reverse_lazy("centre:learner_search"))
        kwargs.setdefault(
            "help_text", "Type part of the learner's name or e-mail, or their ULN, and choose."
        )
        super().__init__(*args, **kwargs)
        self.centre = centre

    def label_from_instance(self, obj: User) -> str:
        return person_label(obj)

    def search(self, q: str) -> QuerySet[User]:
        return self.options.filter(people_matching(q, self.centre))

    def exact(self, q: str) -> QuerySet[User]:
        return self.options.filter(people_named(q, self.centre))


def centre_learners(centre: Centre) -> QuerySet[User]:
    return people_with_role(centre, Role.LEARNER)
