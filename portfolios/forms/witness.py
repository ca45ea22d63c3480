"""Forms for asking a witness and for the witness's testimony. They validate; services change."""

from __future__ import annotations

from typing import Any

from django import forms

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


class WitnessRequestForm(forms.Form):
    witness_name = forms.CharField(label="Witness's full name", max_length=150)
    witness_email = forms.EmailField(label="Witness's e-mail address", max_length=254)
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

    def __init__(self, *args: Any, criteria: list[AssessmentCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria_by_pk = {c.pk: c for c in criteria}
        declared(self, "criteria", forms.ChoiceField).choices = [
            (c.pk, f"{c.number} {c.text}") for c in criteria
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
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
