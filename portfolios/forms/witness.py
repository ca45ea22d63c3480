"""Forms for asking a witness and for the witness's testimony. They validate; services change."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Membership, Role, User
from core.forms import declared
from portfolios.models import EvidenceContext, Registration
from portfolios.witness import (
    DEFAULT_EXPIRY_DAYS,
    EXPERT_COMPETENCE_RULE,
    MAX_EXPIRY_DAYS,
    STATEMENT,
    WITNESS_CONTEXTS,
)
from qualifications.models import AssessmentCriterion


def registration_criteria(registration: Registration) -> list[AssessmentCriterion]:
    """Every criterion of the units the registration takes, in unit then outcome order."""
    return list(
        AssessmentCriterion.objects.filter(unit__in=registration.unit_choices.values("unit_id"))
        .select_related("unit", "outcome")
        .order_by("unit__key", "position")
    )


def employer_contacts(registration: Registration) -> list[User]:
    """The people an apprentice's testimony may be asked of through their account (issue 19):
    current contacts, at the registration's centre, of the employer its programme record names.
    None for a registration that is no apprenticeship. One query."""
    return list(
        User.objects.filter(
            memberships__in=Membership.objects.current().filter(
                centre_id=registration.centre_id,
                role=Role.EMPLOYER,
                employer__apprenticeships__registration_id=registration.pk,
            )
        )
        .distinct()
        .order_by("full_name", "email")
    )


class WitnessRequestForm(forms.Form):
    # Issue 19: one of the apprentice's employer contacts, asked through their account; offered
    # only where there are any, and then the name and address below are not needed.
    contact = forms.TypedChoiceField(
        label="Ask one of the employer's contacts",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="They write and sign the testimony signed in; no link is e-mailed. Or leave "
        "this empty and name anyone else below.",
    )
    witness_name = forms.CharField(label="Witness's full name", max_length=150, required=False)
    witness_email = forms.EmailField(
        label="Witness's e-mail address", max_length=254, required=False
    )
    job_title = forms.CharField(label="Witness's job title", max_length=150)
    relationship = forms.CharField(
        label="Relationship to the learner",
        max_length=150,
        help_text="For example: line manager, supervisor, colleague, customer.",
    )
    is_expert = forms.BooleanField(
        label="Expert witness",
        required=False,
        help_text="Occupationally competent in the area, so the testimony counts as expert.",
    )
    expert_competence = forms.CharField(
        label="How the expert witness is occupationally competent",
        required=False,
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Expert witnesses only (SFJ handbook section 4.5): their recent role in the "
        "functions the units cover, where and since when.",
    )
    activity = forms.CharField(
        label="What the witness is asked about",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2_000,
        help_text="The work they saw: what, where and when.",
    )
    context = forms.ChoiceField(
        label="Where the work took place",
        choices=[(c.value, c.label) for c in WITNESS_CONTEXTS],
        initial=EvidenceContext.REAL_WORK_PAID,
    )
    criteria = forms.TypedMultipleChoiceField(
        label="Criteria the testimony is for",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    expires_in_days = forms.IntegerField(
        label="The link expires after (days)",
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        initial=DEFAULT_EXPIRY_DAYS,
    )

    def __init__(
        self,
        *args: Any,
        criteria: list[AssessmentCriterion],
        contacts: list[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria_by_pk = {c.pk: c for c in criteria}
        declared(self, "criteria", forms.ChoiceField).choices = [
            (c.pk, f"{c.number} {c.text}") for c in criteria
        ]
        self.contacts_by_pk = {contact.pk: contact for contact in contacts or []}
        if self.contacts_by_pk:
            declared(self, "contact", forms.ChoiceField).choices = [
                ("", "No: someone else, by e-mail"),
                *((c.pk, c.get_full_name()) for c in self.contacts_by_pk.values()),
            ]
        else:
            del self.fields["contact"]

    def clean_contact(self) -> User | None:
        chosen = self.cleaned_data.get("contact")
        return None if chosen is None else self.contacts_by_pk[chosen]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("contact") is None:
            # Anyone but a contact is asked by e-mail: their name and address are needed.
            for field in ("witness_name", "witness_email"):
                if field not in self.errors and not (data.get(field) or "").strip():
                    self.add_error(field, "This field is required.")
        if data.get("is_expert") and not (data.get("expert_competence") or "").strip():
            self.add_error("expert_competence", EXPERT_COMPETENCE_RULE)
        return data

    def clean_criteria(self) -> list[AssessmentCriterion]:
        return [self.criteria_by_pk[pk] for pk in self.cleaned_data["criteria"]]

    def criteria_groups(self) -> list[dict[str, Any]]:
        """The criteria checkboxes grouped by unit, for one fieldset per unit."""
        chosen = {str(v) for v in (self["criteria"].value() or [])}
        groups: dict[int, dict[str, Any]] = {}
        for criterion in self.criteria_by_pk.values():
            group = groups.setdefault(criterion.unit_id, {"unit": criterion.unit, "criteria": []})
            group["criteria"].append(
                {"criterion": criterion, "checked": str(criterion.pk) in chosen}
            )
        return list(groups.values())


class WitnessTestimonyForm(forms.Form):
    testimony = forms.CharField(
        label="Your testimony",
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=10_000,
        help_text="Describe what you saw the learner do, when and where, and how well.",
    )
    signed_name = forms.CharField(label="Type your full name to sign", max_length=150)
    confirmed = forms.BooleanField(label=STATEMENT)
