"""Forms for registering learners and managing registrations. They validate; services change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.access import centre_ids
from accounts.models import Centre, Membership, Role, User
from core.forms import DateInput
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import Qualification


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name()} ({obj.email})" if obj.full_name else obj.email


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name()} ({obj.email})" if obj.full_name else obj.email


class QualificationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Qualification) -> str:
        return f"{obj.number} {obj.title}"


def people_with_role(centre: Centre, role: str) -> QuerySet[User]:
    """People currently holding `role` at `centre`, by name."""
    return User.objects.filter(
        pk__in=Membership.objects.current().filter(centre=centre, role=role).values("user_id")
    ).order_by("full_name", "email")


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

    def __init__(self, *args: Any, centre: Centre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessor"].queryset = people_with_role(centre, Role.ASSESSOR)


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
        self.fields["registrations"].queryset = registrations
        self.fields["assessor"].queryset = people_with_role(centre, Role.ASSESSOR)
        self.fields["internal_verifier"].queryset = people_with_role(centre, Role.INTERNAL_VERIFIER)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("assessor") and not data.get("internal_verifier"):
            raise forms.ValidationError("Choose an assessor or an internal verifier to assign.")
        return data


class RegisterStartForm(forms.Form):
    """Step 1: who, on what, when. The units depend on the qualification, so they come next."""

    learner = PersonChoiceField(queryset=User.objects.none(), empty_label="Choose a learner")
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

    def __init__(self, *args: Any, centre: Centre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.centre = centre
        self.fields["learner"].queryset = people_with_role(centre, Role.LEARNER)
        self.fields["qualification"].queryset = centre.qualifications.order_by("number")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_date"), data.get("planned_end_date")
        if start and end and end < start:
            self.add_error("planned_end_date", "The planned end date is before the start date.")
        return data


class UnitChoiceForm(forms.Form):
    """The optional units ticked (mandatory ones are always included by the service)."""

    units = forms.MultipleChoiceField(required=False, choices=())

    def __init__(self, *args: Any, unit_keys: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = [(key, key) for key in unit_keys]


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
        self.fields["units"].choices = [(key, key) for key in unit_keys]
        self.fields["assessors"].queryset = people_with_role(centre, Role.ASSESSOR)
        self.fields["internal_verifier"].queryset = people_with_role(centre, Role.INTERNAL_VERIFIER)


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
        self.fields["assessors"].queryset = people_with_role(centre, Role.ASSESSOR)
        self.fields["internal_verifier"].queryset = people_with_role(centre, Role.INTERNAL_VERIFIER)


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
        self.fields["to_centre"].queryset = (
            Centre.objects.filter(
                pk__in=centre_ids(user, Role.CENTRE_ADMIN),
                qualifications=registration.qualification_id,
            )
            .exclude(pk=registration.centre_id)
            .order_by("name")
        )
