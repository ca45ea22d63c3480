"""The off-the-job log's form: one activity, as logged or corrected by the apprentice."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms

from portfolios.models import MAX_HOURS_PER_DAY, Evidence, OffTheJobKind, Registration
from qualifications.models import Statement


def statements_for(registration: Registration) -> Any:
    """The KSBs an entry may serve: those of the standards mapped to the registration's own
    qualification (portfolios.off_the_job checks the same)."""
    return Statement.objects.filter(
        standard__qualification_id=registration.qualification_id
    ).order_by("standard__title", "position")


class ActivityForm(forms.Form):
    # A date input takes ISO dates only, whatever the locale formats.
    date = forms.DateField(widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    hours = forms.DecimalField(
        min_value=Decimal("0.25"),
        max_value=MAX_HOURS_PER_DAY,
        max_digits=4,
        decimal_places=2,
        help_text="In hours: 1.5 for an hour and a half.",
        widget=forms.NumberInput(attrs={"step": "0.25"}),
    )
    # Every kind is offered, the excluded ones too, so the service can say why one does not
    # count rather than the learner wondering where it went.
    kind = forms.ChoiceField(label="Kind of training", choices=OffTheJobKind.choices)
    description = forms.CharField(
        label="What you did and learned", max_length=2_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    statements = forms.ModelMultipleChoiceField(
        label="Knowledge, skills and behaviours it served",
        queryset=Statement.objects.none(),
        required=False,
    )
    evidence = forms.ModelChoiceField(
        label="Evidence from your portfolio (optional)",
        queryset=Evidence.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, registration: Registration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statement_choices = list(statements_for(registration))
        self.fields["statements"].queryset = statements_for(registration)  # type: ignore[attr-defined]
        self.fields["evidence"].queryset = Evidence.objects.filter(  # type: ignore[attr-defined]
            registration=registration
        ).order_by("-pk")
        self.fields["date"].initial = datetime.date.today()

    def statement_groups(self) -> list[dict[str, Any]]:
        """The KSB checkboxes grouped Knowledge, Skills, Behaviours, checked as posted."""
        if self.is_bound:
            chosen = set(self.data.getlist("statements"))  # type: ignore[attr-defined]
        else:
            chosen = {str(pk) for pk in self.initial.get("statements", [])}
        groups: dict[str, dict[str, Any]] = {}
        for statement in self.statement_choices:
            group = groups.setdefault(
                statement.category,
                {"name": statement.get_category_display(), "statements": []},
            )
            group["statements"].append(
                {"statement": statement, "checked": str(statement.pk) in chosen}
            )
        order = {"K": 0, "S": 1, "B": 2}
        return [groups[key] for key in sorted(groups, key=lambda key: order.get(key, 9))]


class QueryForm(forms.Form):
    reason = forms.CharField(
        label="What is wrong with it", max_length=2_000, widget=forms.Textarea(attrs={"rows": 2})
    )
