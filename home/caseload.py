"""The assessor's caseload: one page of their learners with the progress read model's figures
(portfolios.RegistrationProgress), pace and overdue plan actions, and the filters.

The figures are columns kept in step with the log by the services, so a caseload of 200 costs
a count and one page of 25 rows whatever the size of the learners' portfolios; filters read
the same (indexed) columns.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from assessments.models import PlanActivity
from core.forms import declared
from portfolios.models import Registration, RegistrationProgress, RegistrationStatus
from qualifications.models import Qualification

# The progress row's columns the caseload reads.
SHOWN = (
    "criteria_required",
    "criteria_met",
    "units_signed_off",
    "evidence_waiting",
    "paced",
    "behind_from",
)


def caseload(user: Any, membership: Any) -> QuerySet:
    """The registrations `user` assesses at the membership's centre, with their learner,
    qualification and progress row joined in.

    `membership` is the person's current assessor role there (home.roles.role_home), which
    is all Registration.visible_to asks of an assessor; its other branches, and the DISTINCT
    their joins need, add nothing here. One link per registration and assessor, so no
    duplicates either.
    """
    return (
        Registration.objects.filter(centre=membership.centre, assessors=user)
        .select_related("learner", "qualification", "progress")
        # What the page shows: not the qualification's rules text and notes, nor passwords.
        .only(
            "start_date",
            "planned_end_date",
            "status",
            "learner__full_name",
            "learner__email",
            "qualification__number",
            "qualification__title",
            *(f"progress__{name}" for name in SHOWN),
        )
    )


def with_overdue_actions(registrations: QuerySet, today: datetime.date) -> QuerySet:
    """Annotate `overdue_actions`: activities of the agreed plan in force past their date.

    Only the page's rows are fetched with it (the paginator's count leaves unused annotations
    out), and the filter reads the progress row's `plan_due` instead.
    """
    overdue = (
        PlanActivity.objects.overdue(today)
        .filter(plan__registration=OuterRef("pk"))
        .order_by()
        .values("plan__registration")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return registrations.annotate(
        overdue_actions=Coalesce(Subquery(overdue, output_field=IntegerField()), 0)
    )


def show_progress(registrations: Iterable[Any], today: datetime.date) -> None:
    """Copy each row's figures onto its registration for the template, with `on_track` (True,
    False, or None where pace means nothing)."""
    blank = RegistrationProgress()  # a row not counted yet (recount_progress --fix) shows 0
    for registration in registrations:
        progress = getattr(registration, "progress", None) or blank
        registration.criteria_required = progress.criteria_required
        registration.criteria_met = progress.criteria_met
        registration.units_signed_off = progress.units_signed_off
        registration.evidence_waiting = progress.evidence_waiting
        registration.on_track = (
            None
            if not progress.paced
            else progress.behind_from is None or progress.behind_from > today
        )


# ---------------------------------------------------------------- the caseload at a glance

GLANCE = (
    ("overdue", "Overdue"),
    ("behind", "Behind"),
    ("on_track", "On track"),
    ("unpaced", "No pace to judge"),
)


def glance(registrations: QuerySet, today: datetime.date) -> dict[str, int]:
    """How the active learners of a caseload stand, counted in one query; each falls in exactly
    one group, worst first:

    - overdue: past their planned end date and still active;
    - behind: not overdue, and behind the pace the progress read model keeps (`paced` and
      `behind_from` reached: the share of criteria met trails the share of the planned time
      gone, portfolios.readmodel), the "Behind" of the caseload's pace column and filter;
    - on track: paced and not behind;
    - no pace to judge: no planned end, nothing required yet, or not counted yet.

    Learners no longer active (complete, claimed, withdrawn...) are not counted.
    """
    not_overdue = Q(planned_end_date__isnull=True) | Q(planned_end_date__gte=today)
    behind = Q(progress__paced=True, progress__behind_from__lte=today)
    on_track = Q(progress__paced=True) & (
        Q(progress__behind_from__isnull=True) | Q(progress__behind_from__gt=today)
    )
    counts = (
        registrations.filter(status=RegistrationStatus.ACTIVE)
        .order_by()
        .aggregate(
            active=Count("pk"),
            overdue=Count("pk", filter=Q(planned_end_date__lt=today)),
            behind=Count("pk", filter=not_overdue & behind),
            on_track=Count("pk", filter=not_overdue & on_track),
        )
    )
    counts["unpaced"] = counts["active"] - counts["overdue"] - counts["behind"] - counts["on_track"]
    return counts


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
        field = declared(self, "qualification", forms.ChoiceField)
        field.choices = [("", "Any qualification"), *qualifications]

    @property
    def active(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in ("pace", "qualification", "waiting", "overdue"))


def caseload_qualifications(registrations: QuerySet) -> list[tuple[int, str]]:
    """(id, label) of the qualifications in the caseload: one query."""
    return [
        (pk, f"{number} {title}")
        for pk, number, title in Qualification.objects.filter(
            pk__in=registrations.order_by().values("qualification_id")
        )
        .order_by("number")
        .values_list("pk", "number", "title")
    ]


def apply_filters(
    registrations: QuerySet, form: CaseloadFilterForm, today: datetime.date
) -> QuerySet:
    """The caseload narrowed by a valid form (an invalid one filters nothing but the search),
    on the progress row's indexed columns."""
    if not form.is_valid():
        return registrations
    data = form.cleaned_data
    if data["pace"] == "behind":
        registrations = registrations.filter(progress__paced=True, progress__behind_from__lte=today)
    elif data["pace"] == "on_track":
        registrations = registrations.filter(
            Q(progress__behind_from__isnull=True) | Q(progress__behind_from__gt=today),
            progress__paced=True,
        )
    if data["qualification"]:
        registrations = registrations.filter(qualification_id=data["qualification"])
    if data["waiting"]:
        registrations = registrations.filter(progress__evidence_waiting__gt=0)
    if data["overdue"]:
        registrations = registrations.filter(progress__plan_due__lt=today)
    return registrations
