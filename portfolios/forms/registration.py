"""Forms for registering learners and managing registrations. They validate; services change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse_lazy

from accounts.access import centre_ids
from accounts.forms.centre import LearnerPicker, centre_learners, people_with_role
from accounts.models import Centre, Invitation, Role, User
from accounts.queries import people_matching, people_named
from core.forms import DateInput, PickerField, declared
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import Qualification, Unit


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name()} ({obj.email})" if obj.full_name else obj.email


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name()} ({obj.email})" if obj.full_name else obj.email


class RegistrationPicker(PickerField):
    """One of a centre's registrations, found by the learner (part of the name or e-mail, the
    exact ULN) or the exact awarding body number."""

    noun, nouns = "registration", "registrations"

    def __init__(self, *args: Any, centre: Centre | int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("search_url", reverse_lazy("portfolios:registration_search"))
        kwargs.setdefault(
            "help_text",
            "Type part of the learner's name or e-mail, their ULN or the awarding body "
            "number, and choose.",
        )
        super().__init__(*args, **kwargs)
        self.centre = centre

    def label_from_instance(self, obj: Registration) -> str:
        return (
            f"{obj.learner.get_full_name()} ({obj.learner.email}): "
            f"{obj.qualification.number} ({obj.get_status_display()})"
        )

    def search(self, q: str) -> QuerySet[Registration]:
        return self._of(User.objects.filter(people_matching(q, self.centre)), q)

    def exact(self, q: str) -> QuerySet[Registration]:
        return self._of(User.objects.filter(people_named(q, self.centre)), q)

    def _of(self, people: QuerySet[User], q: str) -> QuerySet[Registration]:
        # pk IN (those of the people matching UNION those with the AB number): each half has
        # its index (the learner's, the AB number's), so neither walks the centre's
        # thousands; an OR of the two did, and misjudged how many rows it would find. Each
        # half is of the picker's own registrations (the centre's, narrowed): unnarrowed, the
        # people's half read every registration of the platform to hash it against them.
        mine = self.options.order_by()
        ids = (
            mine.filter(learner__in=people.values("pk"))
            .values("pk")
            .union(mine.filter(awarding_body_number__iexact=q).values("pk"))
        )
        return self.options.filter(pk__in=ids)


# The registrations an IV may add to a sampling plan: not yet claimed, withdrawn or moved.
SAMPLEABLE_STATUSES = (RegistrationStatus.ACTIVE, RegistrationStatus.COMPLETE)


def picker_registrations(centre: Centre | int) -> QuerySet[Registration]:
    """What a registration picker lists: the centre's, with what their labels print."""
    return (
        Registration.objects.filter(centre_id=getattr(centre, "pk", centre))
        .select_related("learner", "qualification")
        .order_by("learner__full_name", "learner__email", "pk")
    )


class QualificationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Qualification) -> str:
        return f"{obj.number} {obj.title}"


class RegistrationFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        max_length=200,
        required=False,
        help_text="Learner's name or e-mail, qualification number or title, or AB number.",
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *RegistrationStatus.choices], required=False
    )
    assessor = PersonChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Any assessor"
    )
    # Registered with the awarding body within its stated period (Ascentis L249).
    awarding_body = forms.ChoiceField(
        label="Awarding body registration",
        choices=[
            ("", "Any"),
            ("overdue", "Overdue: past the body's period"),
            ("due", "Due: within the body's period"),
        ],
        required=False,
    )

    def __init__(self, *args: Any, centre: Centre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assessor = declared(self, "assessor", forms.ModelChoiceField)
        assessor.queryset = people_with_role(centre, Role.ASSESSOR)


class BulkAssignForm(forms.Form):
    registrations = forms.ModelMultipleChoiceField(
        queryset=Registration.objects.none(),
        error_messages={"required": "Tick at least one registration."},
    )
    assessor = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Leave the assessors as they are",
        help_text="Replaces the assessors of every ticked registration.",
    )
    internal_verifier = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Leave the internal verifier as it is",
    )

    def __init__(
        self, *args: Any, centre: Centre, registrations: QuerySet[Registration], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        declared(self, "registrations", forms.ModelChoiceField).queryset = registrations
        assessor = declared(self, "assessor", forms.ModelChoiceField)
        assessor.queryset = people_with_role(centre, Role.ASSESSOR)
        verifier = declared(self, "internal_verifier", forms.ModelChoiceField)
        verifier.queryset = people_with_role(centre, Role.INTERNAL_VERIFIER)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("assessor") and not data.get("internal_verifier"):
            raise forms.ValidationError("Choose an assessor or an internal verifier to assign.")
        return data


class RegisterStartForm(forms.Form):
    """Step 1: who, on what, when. The units depend on the qualification, so they come next.

    Who is a learner here (the picker) or a new learner (name and e-mail), never both: a new
    one is added as the people page adds anyone (portfolios.services.register_new_learner).
    """

    learner = LearnerPicker(queryset=User.objects.none(), required=False)
    new_full_name = forms.CharField(label="Full name", max_length=150, required=False)
    new_email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        required=False,
        help_text="Their invitation goes here; it becomes their login.",
    )
    new_date_of_birth = forms.DateField(
        label="Date of birth",
        widget=DateInput,
        required=False,
        help_text="Needed only where the qualification has a minimum age.",
    )
    qualification = QualificationChoiceField(
        queryset=Qualification.objects.none(),
        empty_label="Choose a qualification",
        help_text="Only the qualifications this centre is approved to offer.",
    )
    start_date = forms.DateField(widget=DateInput)
    planned_end_date = forms.DateField(widget=DateInput, required=False)
    awarding_body_number = forms.CharField(
        label="Awarding body registration number", max_length=50, required=False
    )

    NEW_FIELDS = ("new_full_name", "new_email", "new_date_of_birth")

    def __init__(self, *args: Any, centre: Centre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.centre = centre
        learner = declared(self, "learner", LearnerPicker)
        learner.queryset = centre_learners(centre)
        learner.centre = centre
        qualification = declared(self, "qualification", forms.ModelChoiceField)
        qualification.queryset = centre.qualifications.order_by("number")

    def clean_new_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["new_email"]).lower()

    @property
    def is_new_learner(self) -> bool:
        """Valid, and a new learner rather than one here."""
        return self.cleaned_data.get("learner") is None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        # A field that failed (a bad e-mail) was typed all the same: it counts as given.
        new_given = any(data.get(name) or name in self.errors for name in self.NEW_FIELDS)
        if data.get("learner") is not None:
            if new_given:
                self.add_error(
                    None,
                    "Choose a learner here or add a new learner, not both: clear the new "
                    "learner's details or the learner chosen.",
                )
        elif "learner" in self.errors:
            pass  # the picker has said what is wrong with what was typed in it
        elif not new_given:
            self.add_error(
                "learner",
                "Choose a learner here, or add a new learner with their name and e-mail address.",
            )
        else:
            if not data.get("new_full_name"):
                self.add_error("new_full_name", "Give the new learner's full name.")
            if not data.get("new_email") and "new_email" not in self.errors:
                self.add_error(
                    "new_email", "Give the new learner's e-mail address: the invitation goes there."
                )
        start, end = data.get("start_date"), data.get("planned_end_date")
        if start and end and end < start:
            self.add_error("planned_end_date", "The planned end date is before the start date.")
        return data


class UnitChoiceForm(forms.Form):
    """The optional units ticked (mandatory ones are always included by the service)."""

    units = forms.MultipleChoiceField(required=False, choices=())

    def __init__(self, *args: Any, unit_keys: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        declared(self, "units", forms.ChoiceField).choices = [(key, key) for key in unit_keys]


class RegisterForm(RegisterStartForm):
    """Step 2: the whole registration, with units and staff."""

    units = forms.MultipleChoiceField(required=False, choices=())
    assessors = PeopleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    internal_verifier = PersonChoiceField(
        queryset=User.objects.none(), required=False, empty_label="None yet"
    )

    def __init__(self, *args: Any, centre: Centre, unit_keys: list[str], **kwargs: Any) -> None:
        super().__init__(*args, centre=centre, **kwargs)
        declared(self, "units", forms.ChoiceField).choices = [(key, key) for key in unit_keys]
        assessors = declared(self, "assessors", forms.ModelChoiceField)
        assessors.queryset = people_with_role(centre, Role.ASSESSOR)
        verifier = declared(self, "internal_verifier", forms.ModelChoiceField)
        verifier.queryset = people_with_role(centre, Role.INTERNAL_VERIFIER)

    def register(self, *, actor: User, link_for: Callable[[str], str]) -> Registration | Invitation:
        """What the valid form says, through the services: a learner the centre knows is
        registered now; a new one is invited, the invitation carrying the registration. The
        page and the API both register this way (`link_for`: the invitation's address)."""
        from portfolios.services import register_learner, register_new_learner

        data = self.cleaned_data
        staff = {
            "qualification": data["qualification"],
            "start_date": data["start_date"],
            "planned_end_date": data["planned_end_date"],
            "awarding_body_number": data["awarding_body_number"],
            "unit_keys": data["units"],
            "assessors": list(data["assessors"]),
            "internal_verifier": data["internal_verifier"],
        }
        if self.is_new_learner:
            return register_new_learner(
                actor=actor,
                centre=self.centre,
                full_name=data["new_full_name"],
                email=data["new_email"],
                date_of_birth=data["new_date_of_birth"],
                link_for=link_for,
                **staff,
            )
        return register_learner(actor=actor, learner=data["learner"], centre=self.centre, **staff)


class AssignStaffForm(forms.Form):
    assessors = PeopleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    internal_verifier = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Leave as it is",
    )

    def __init__(self, *args: Any, centre: Centre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assessors = declared(self, "assessors", forms.ModelChoiceField)
        assessors.queryset = people_with_role(centre, Role.ASSESSOR)
        verifier = declared(self, "internal_verifier", forms.ModelChoiceField)
        verifier.queryset = people_with_role(centre, Role.INTERNAL_VERIFIER)


class WithdrawForm(forms.Form):
    prefix = "withdraw"  # the registration page holds several forms: keep the field ids apart
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2_000,
        error_messages={"required": "Say why the learner is withdrawn."},
    )


class TransferForm(forms.Form):
    prefix = "transfer"
    to_centre = forms.ModelChoiceField(
        label="Receiving centre",
        queryset=Centre.objects.none(),
        empty_label="Choose a centre",
        error_messages={"required": "Choose the centre the learner moves to."},
        help_text="Centres you administer that are approved for this qualification.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2_000,
        error_messages={"required": "Say why the learner is transferred."},
    )

    def __init__(self, *args: Any, user: User, registration: Registration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        declared(self, "to_centre", forms.ModelChoiceField).queryset = (
            Centre.objects.filter(
                pk__in=centre_ids(user, Role.CENTRE_ADMIN),
                qualifications=registration.qualification_id,
            )
            .exclude(pk=registration.centre_id)
            .order_by("name")
        )


class AwardingBodyRegistrationForm(forms.Form):
    """The awarding body's registration of the learner, as its portal gave it."""

    prefix = "ab"

    number = forms.CharField(
        label="Awarding body registration number",
        max_length=50,
        error_messages={"required": "Give the awarding body's registration number."},
    )
    registered_on = forms.DateField(
        label="Registered with the awarding body on",
        widget=DateInput,
        error_messages={"required": "Give the date the awarding body registered the learner."},
    )


class CreditedUnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.reference or obj.key} {obj.title}"


class EarlierRegistrationField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Registration) -> str:
        q = obj.qualification
        return f"{q.number} {q.title} ({obj.get_status_display()})"


class CreditTransferForm(forms.Form):
    """A unit achieved before, credited to this registration (assessments.credit decides)."""

    prefix = "credit"

    unit = CreditedUnitField(
        label="The learner's unit to credit",
        queryset=Unit.objects.none(),
        error_messages={"required": "Choose the unit to credit."},
    )
    source_unit_reference = forms.CharField(
        label="Unit reference number on the earlier award",
        max_length=12,
        help_text="Only an identical unit (the same unit reference number) transfers.",
        error_messages={"required": "Give the earlier unit's reference number."},
    )
    source_registration = EarlierRegistrationField(
        label="Achieved on the learner's earlier registration here",
        queryset=Registration.objects.none(),
        required=False,
        empty_label="No: on a certificate from elsewhere",
    )
    certificate_reference = forms.CharField(
        label="Certificate number (from elsewhere)", max_length=100, required=False
    )
    awarded_by = forms.CharField(label="Awarded by", max_length=200, required=False)
    achieved_on = forms.DateField(
        label="Achieved on (from elsewhere)", widget=DateInput, required=False
    )

    def __init__(self, *args: Any, registration: Registration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = declared(self, "unit", forms.ModelChoiceField)
        unit.queryset = registration.units.order_by("key")
        source = declared(self, "source_registration", forms.ModelChoiceField)
        source.queryset = (
            Registration.objects.filter(
                learner_id=registration.learner_id, centre_id=registration.centre_id
            )
            .exclude(pk=registration.pk)
            .select_related("qualification")
        )
