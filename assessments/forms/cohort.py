"""The cohort page's filters (assessments.cohort): employer, only those behind on hours, with a
review overdue or ready for the gateway, the order."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Centre, Employer
from assessments.cohort import SORT_BY_BEHIND, SORT_BY_NAME, Filters
from core.forms import declared


class CohortFilterForm(forms.Form):
    employer = forms.TypedChoiceField(
        label="Employer",
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    behind = forms.BooleanField(
        label="Only those behind on off-the-job hours",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    review_overdue = forms.BooleanField(
        label="Only those with a progress review overdue",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    gateway_ready = forms.BooleanField(
        label="Only those ready for the gateway",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    sort = forms.ChoiceField(
        label="Order",
        choices=[(SORT_BY_NAME, "By name"), (SORT_BY_BEHIND, "Most hours behind first")],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, centre: Centre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The centre's own employers (one query, which also checks what was sent): another
        # centre's employer is no choice, so its apprentices cannot be asked for.
        field = declared(self, "employer", forms.TypedChoiceField)
        field.choices = [
            ("", "Any employer"),
            *Employer.objects.filter(centre=centre)
            .order_by("name", "pk")
            .values_list("pk", "name"),
        ]

    def filters(self) -> Filters:
        """What a valid form asks for; an invalid one (an unknown employer) filters nothing."""
        if not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(
            employer_id=data["employer"],
            only_behind=bool(data["behind"]),
            only_review_overdue=bool(data["review_overdue"]),
            only_gateway_ready=bool(data["gateway_ready"]),
            sort=data["sort"] or SORT_BY_NAME,
        )

    @property
    def active(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(
            data.get(name) for name in ("employer", "behind", "review_overdue", "gateway_ready")
        )
