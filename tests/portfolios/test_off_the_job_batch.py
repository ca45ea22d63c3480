"""off_the_job.hours_for: a list of apprentices' hours, plan to date and "behind", in one query,
the same figures the log page shows for each (totals, programme_plan, planned_to_date, behind)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolios import off_the_job
from portfolios.apprenticeships import Programme, apprenticeship_save
from portfolios.off_the_job import Hours, approve, hours_for, log
from qualifications.models import Standard
from tests.factories import EmployerFactory
from tests.portfolios.test_off_the_job import apprentice, last_weeks_monday
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")


def with_programme(people: dict, *, started_days_ago: int, rpl: str = "0") -> None:
    today = clock.today()
    registration = people["registration"]
    apprenticeship_save(
        actor=None,
        registration=registration,
        programme=Programme(
            employer=EmployerFactory(centre=people["centre"]),
            standard=Standard.objects.get(code="customer-service-practitioner"),
            standard_version="1.2",
            practical_start=today - datetime.timedelta(days=started_days_ago),
            practical_planned_end=today + datetime.timedelta(days=400 - started_days_ago),
            minimum_otj_hours=Decimal("278"),
            rpl_reduction_hours=Decimal(rpl),
            rpl_reason="Prior learning" if rpl != "0" else "",
            epao_name="Highfield Assessment",
        ),
    )


def logged(people: dict, hours: str, *, approved: bool, days_back: int = 0) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    activity = log(
        actor=people["learner"],
        registration=people["registration"],
        date=monday - datetime.timedelta(days=days_back),
        hours=Decimal(hours),
        kind="teaching",
        description="Workshop",
    )
    if approved:
        approve(actor=people["assessor"], activity=activity)


def test_each_apprentices_hours_are_the_log_pages_own() -> None:
    today = clock.today()
    behind, on_track, no_plan = apprentice(), apprentice(), apprentice()
    with_programme(behind, started_days_ago=200)
    with_programme(on_track, started_days_ago=100, rpl="40")
    logged(behind, "6", approved=True)
    logged(behind, "2", approved=False, days_back=1)
    for day in range(7):
        logged(on_track, "10", approved=True, days_back=day)
    logged(no_plan, "3", approved=True)
    registrations = [people["registration"] for people in (behind, on_track, no_plan)]

    with CaptureQueriesContext(connection) as queries:
        found = hours_for(registrations, today)

    assert len(queries) == 1
    for registration in registrations:
        hours = found[registration.pk]
        totals = off_the_job.totals(registration)
        assert (hours.approved, hours.waiting) == (totals.approved, totals.waiting)
        plan = off_the_job.programme_plan(registration)
        assert hours.plan == plan
        if plan is not None:
            assert hours.planned_to_date == off_the_job.planned_to_date(
                plan.hours, plan.start, plan.end, today
            )
            assert hours.behind is off_the_job.behind(
                plan.hours, totals.approved, plan.start, plan.end, today
            )
    assert found[behind["registration"].pk].behind is True
    assert found[behind["registration"].pk].waiting == Decimal("2")
    assert found[on_track["registration"].pk].behind is False
    assert found[on_track["registration"].pk].plan.hours == Decimal("238")
    assert found[no_plan["registration"].pk] == Hours(approved=Decimal("3"), waiting=Decimal("0"))


def test_no_registrations_cost_no_query_and_ids_serve_as_well() -> None:
    people = apprentice()
    logged(people, "4", approved=True)

    with CaptureQueriesContext(connection) as queries:
        assert hours_for([]) == {}
    assert len(queries) == 0
    assert hours_for([people["registration"].pk])[people["registration"].pk].approved == 4
