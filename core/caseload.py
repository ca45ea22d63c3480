"""The assessor's caseload: pace and overdue plan actions worked out in SQL, and the filters.

Everything is an annotation on the registrations QuerySet, so filtering and paging stay in the
database and a caseload of 200 costs the same queries as one of 3. `core` sits beneath the apps,
so their models are imported inside the functions.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least, NullIf
from django.db.models.lookups import LessThanOrEqual

# How far the share of criteria met may trail the share of planned time gone before a learner
# counts as behind (20 percentage points).
SLACK = 0.2


class Days(Func):
    """A date as a number of days, so two dates subtract to a day count in SQL."""

    function = "julianday"
    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)::timestamp) / 86400.0)",
            **extra,
        )


def with_pace_and_actions(registrations: QuerySet, today: datetime.date) -> QuerySet:
    """Annotate `pace` ("on_track", "behind" or "" when there is no planned end or nothing to
    do) and `overdue_actions` (activities of the agreed plan in force past their date).

    Needs `criteria_met` and `criteria_required` from core.navigation.with_progress.
    """
    from assessments.models import PlanActivity

    start, end = Days(F("start_date")), Days(F("planned_end_date"))
    elapsed = Least(
        Greatest((Days(Value(today)) - start) / NullIf(end - start, Value(0.0)), Value(0.0)),
        Value(1.0),
    )
    done = Cast(F("criteria_met"), FloatField()) / Cast(F("criteria_required"), FloatField())
    # The guard comes first: CASE evaluates the lag only where the division makes sense.
    pace = Case(
        When(
            Q(planned_end_date__isnull=True)
            | Q(planned_end_date__lte=F("start_date"))
            | Q(criteria_required=0),
            then=Value(""),
        ),
        When(LessThanOrEqual(elapsed - done, Value(SLACK)), then=Value("on_track")),
        default=Value("behind"),
        output_field=CharField(),
    )
    overdue = (
        PlanActivity.objects.overdue(today)
        .filter(plan__registration=OuterRef("pk"))
        .order_by()
        .values("plan__registration")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return registrations.annotate(
        pace=pace,
        overdue_actions=Coalesce(Subquery(overdue, output_field=IntegerField()), 0),
    )


SELECT = forms.Select(attrs={"class": "form-select"})
CHECK = forms.CheckboxInput(attrs={"class": "form-check-input"})
PACE_CHOICES = [("", "Any pace"), ("behind", "Behind"), ("on_track", "On track")]


class CaseloadFilterForm(forms.Form):
    """Filters over the caseload; the choices of qualification are the caseload's own."""

    q = forms.CharField(label="Search your caseload", required=False, max_length=200)
    pace = forms.ChoiceField(label="Pace", choices=PACE_CHOICES, required=False, widget=SELECT)
    qualification = forms.TypedChoiceField(
        label="Qualification", coerce=int, empty_value=None, required=False, widget=SELECT
    )
    waiting = forms.BooleanField(label="Has evidence waiting", required=False, widget=CHECK)
    overdue = forms.BooleanField(label="Has overdue plan actions", required=False, widget=CHECK)

    def __init__(self, *args: Any, qualifications: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["qualification"].choices = [("", "Any qualification"), *qualifications]

    @property
    def active(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in ("pace", "qualification", "waiting", "overdue"))


def caseload_qualifications(registrations: QuerySet) -> list[tuple[int, str]]:
    """(id, label) of the qualifications in the caseload: one query."""
    from qualifications.models import Qualification

    return [
        (pk, f"{number} {title}")
        for pk, number, title in Qualification.objects.filter(
            pk__in=registrations.order_by().values("qualification_id")
        )
        .order_by("number")
        .values_list("pk", "number", "title")
    ]


def apply_filters(registrations: QuerySet, form: CaseloadFilterForm) -> QuerySet:
    """The caseload narrowed by a valid form (an invalid one filters nothing but the search)."""
    if not form.is_valid():
        return registrations
    data = form.cleaned_data
    if data["pace"]:
        registrations = registrations.filter(pace=data["pace"])
    if data["qualification"]:
        registrations = registrations.filter(qualification_id=data["qualification"])
    if data["waiting"]:
        registrations = registrations.filter(evidence_waiting__gt=0)
    if data["overdue"]:
        registrations = registrations.filter(overdue_actions__gt=0)
    return registrations
