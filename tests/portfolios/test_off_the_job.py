"""The off-the-job training log's services: what is refused and why, review, correction, totals."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Role
from core.models import AuditEvent
from portfolios import off_the_job
from portfolios.models import OffTheJobActivity, OffTheJobKind, OffTheJobStatus, Registration
from portfolios.off_the_job import (
    REFUSED,
    OffTheJobError,
    approve,
    behind,
    correct,
    log,
    planned_to_date,
    query,
    totals,
    weekly,
)
from portfolios.services import register_learner
from qualifications.models import AssessmentCriterion, Qualification, Statement
from tests.factories import CentreFactory, mapped_evidence, member
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

NCFE = "601/3973/0"  # the Customer Service Practitioner standard is mapped to it
PEARSON = "603/5450/1"  # the Customer Service Specialist standard is mapped to it


def last_weeks_monday(today: datetime.date) -> datetime.date:
    """The Monday of last week: every day of that week is past, so any of them may be logged."""
    return today - datetime.timedelta(days=today.weekday() + 7)


def apprentice(number: str = NCFE) -> dict:
    """A learner on `number` with an assessor and an IV, and the people who are not theirs."""
    today = clock.today()
    centre = CentreFactory()
    centre.qualifications.add(Qualification.objects.get(number=number))
    assessor = member(centre, Role.ASSESSOR)
    iv = member(centre, Role.INTERNAL_VERIFIER)
    registration = register_learner(
        actor=member(centre, Role.CENTRE_ADMIN),
        learner=member(centre, Role.LEARNER, full_name="Ana Lima"),
        centre=centre,
        qualification=Qualification.objects.get(number=number),
        start_date=today - datetime.timedelta(days=60),
        unit_keys=(),
        assessors=[assessor],
        internal_verifier=iv,
    )
    return {
        "centre": centre,
        "registration": registration,
        "learner": registration.learner,
        "assessor": assessor,
        "iv": iv,
        "other_assessor": member(centre, Role.ASSESSOR),
    }


def ksb(number: str, code: str) -> Statement:
    return Statement.objects.get(standard__qualification__number=number, code=code)


def entry(people: dict, **fields: object) -> OffTheJobActivity:
    today = clock.today()
    monday = last_weeks_monday(today)
    values: dict = {
        "date": monday,
        "hours": Decimal("3"),
        "kind": OffTheJobKind.TEACHING,
        "description": "Workshop on handling complaints",
    }
    values.update(fields)
    return log(actor=people["learner"], registration=people["registration"], **values)


@pytest.fixture
def people() -> dict:
    return apprentice()


def test_logging_saves_a_submitted_entry_with_its_ksbs_and_an_audit_event(people: dict) -> None:
    k1 = ksb(NCFE, "K1")
    activity = entry(people, statements=[k1])
    assert activity.status == OffTheJobStatus.SUBMITTED
    assert list(activity.statements.all()) == [k1]
    [event] = AuditEvent.objects.for_object(activity)
    assert event.action == "off_the_job.logged"
    assert event.actor == people["learner"]


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_each_excluded_kind_is_refused_with_its_reason_and_nothing_saved(
    people: dict, kind: str
) -> None:
    with pytest.raises(OffTheJobError) as refused:
        entry(people, kind=kind)
    assert str(refused.value) == REFUSED[kind]
    assert "not off-the-job training" in str(refused.value)
    assert not OffTheJobActivity.objects.exists()
    assert not AuditEvent.objects.filter(action="off_the_job.logged").exists()


def test_a_day_holds_no_more_than_24_hours(people: dict) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    entry(people, hours=Decimal("20"))
    with pytest.raises(OffTheJobError, match="already has 20 hours logged"):
        entry(people, hours=Decimal("4.5"))
    entry(people, hours=Decimal("4"))  # exactly 24 is allowed
    with pytest.raises(OffTheJobError, match="24"):
        entry(people, date=monday + datetime.timedelta(days=1), hours=Decimal("25"))
    with pytest.raises(OffTheJobError, match="more than none"):
        entry(people, hours=Decimal("0"))


def test_future_dates_are_refused(people: dict) -> None:
    today = clock.today()
    with pytest.raises(OffTheJobError, match="future"):
        entry(people, date=today + datetime.timedelta(days=1))


def test_a_ksb_of_another_standard_is_refused(people: dict) -> None:
    stray = Statement.objects.filter(standard__qualification__number=PEARSON).first()
    assert stray is not None
    with pytest.raises(OffTheJobError, match="not of the standard"):
        entry(people, statements=[ksb(NCFE, "K1"), stray])
    assert not OffTheJobActivity.objects.exists()


def test_evidence_of_another_registration_is_refused(people: dict) -> None:
    other = apprentice()
    criterion = AssessmentCriterion.objects.filter(unit__statements__isnull=False).first()
    foreign = mapped_evidence(other["registration"], criterion)
    with pytest.raises(OffTheJobError, match="from this portfolio"):
        entry(people, evidence=foreign)
    own = mapped_evidence(people["registration"], criterion)
    assert entry(people, evidence=own).evidence == own


def test_only_the_learner_logs(people: dict) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    for who in ("assessor", "iv", "other_assessor"):
        with pytest.raises(PermissionDenied):
            log(
                actor=people[who],
                registration=people["registration"],
                date=monday,
                hours=Decimal("1"),
                kind=OffTheJobKind.TEACHING,
                description="x",
            )


@pytest.mark.parametrize("reviewer", ["assessor", "iv"])
def test_the_assessor_or_iv_approves_and_a_second_approve_says_so(
    people: dict, reviewer: str
) -> None:
    activity = entry(people)
    approve(actor=people[reviewer], activity=activity)
    activity.refresh_from_db()
    assert activity.status == OffTheJobStatus.APPROVED
    assert activity.reviewer == people[reviewer]
    assert activity.reviewed_at is not None
    with pytest.raises(OffTheJobError, match="already approved"):
        approve(actor=people[reviewer], activity=activity)
    assert AuditEvent.objects.filter(action="off_the_job.approved").count() == 1


def test_the_learner_and_staff_of_another_registration_cannot_review(people: dict) -> None:
    activity = entry(people)
    for who in ("learner", "other_assessor"):
        with pytest.raises(PermissionDenied):
            approve(actor=people[who], activity=activity)
        with pytest.raises(PermissionDenied):
            query(actor=people[who], activity=activity, reason="Why?")
    activity.refresh_from_db()
    assert activity.status == OffTheJobStatus.SUBMITTED


def test_a_query_needs_a_reason(people: dict) -> None:
    activity = entry(people)
    with pytest.raises(OffTheJobError, match="Say what is wrong"):
        query(actor=people["assessor"], activity=activity, reason="   ")
    activity.refresh_from_db()
    assert activity.status == OffTheJobStatus.SUBMITTED


def test_an_approved_entry_stands(people: dict) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    activity = entry(people)
    approve(actor=people["assessor"], activity=activity)
    with pytest.raises(OffTheJobError, match="already approved"):
        query(actor=people["assessor"], activity=activity, reason="Too many hours")
    with pytest.raises(OffTheJobError, match="Only a queried entry"):
        correct(
            actor=people["learner"],
            activity=activity,
            date=monday,
            hours=Decimal("1"),
            kind=OffTheJobKind.TEACHING,
            description="x",
        )
    with pytest.raises(Exception):  # noqa: B017, PT011 - PROTECT or the audit trail: it stays
        people["registration"].delete()


def test_a_queried_entry_is_corrected_with_old_and_new_values_on_record(people: dict) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    activity = entry(people, statements=[ksb(NCFE, "K1")])
    query(actor=people["assessor"], activity=activity, reason="Three hours for a 1-hour session?")
    # It may not be approved until it is corrected.
    with pytest.raises(OffTheJobError, match="corrects it first"):
        approve(actor=people["assessor"], activity=activity)
    correct(
        actor=people["learner"],
        activity=activity,
        date=monday,
        hours=Decimal("1"),
        kind=OffTheJobKind.TEACHING,
        description="Workshop on handling complaints (one hour)",
        statements=[ksb(NCFE, "K2")],
    )
    activity.refresh_from_db()
    assert activity.status == OffTheJobStatus.SUBMITTED
    assert activity.hours == Decimal("1")
    assert activity.query_reason == ""
    event = AuditEvent.objects.get(action="off_the_job.corrected")
    assert event.data["query"] == "Three hours for a 1-hour session?"
    assert event.data["old"]["hours"] == "3.00"
    assert event.data["old"]["statements"] == ["K1"]
    assert event.data["new"]["hours"] == "1"
    assert event.data["new"]["statements"] == ["K2"]
    approve(actor=people["assessor"], activity=activity)


def test_a_correction_is_still_refused_for_an_excluded_kind(people: dict) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    activity = entry(people)
    query(actor=people["assessor"], activity=activity, reason="Which session?")
    with pytest.raises(OffTheJobError, match="English and maths"):
        correct(
            actor=people["learner"],
            activity=activity,
            date=monday,
            hours=Decimal("1"),
            kind=OffTheJobKind.ENGLISH_MATHS,
            description="x",
        )
    activity.refresh_from_db()
    assert activity.status == OffTheJobStatus.QUERIED


def test_totals_and_weeks(people: dict) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    first = entry(people, hours=Decimal("2"))
    entry(people, date=monday + datetime.timedelta(days=2), hours=Decimal("1.5"))
    entry(people, date=monday - datetime.timedelta(days=7), hours=Decimal("4"))
    approve(actor=people["assessor"], activity=first)
    assert totals(people["registration"]) == off_the_job.Totals(
        approved=Decimal("2"), waiting=Decimal("5.5")
    )
    weeks = weekly(people["registration"])
    assert [w.monday for w in weeks] == [monday - datetime.timedelta(days=7), monday]
    assert (weeks[1].approved, weeks[1].waiting) == (Decimal("2"), Decimal("1.5"))
    assert (weeks[0].approved, weeks[0].waiting) == (Decimal("0"), Decimal("4"))


def test_planned_to_date_is_pro_rata_and_clamped() -> None:
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
    assert planned_to_date(Decimal("400"), start, end, datetime.date(2025, 12, 1)) == 0
    assert planned_to_date(Decimal("400"), start, end, start) == 0
    assert planned_to_date(Decimal("400"), start, end, end) == Decimal("400")
    assert planned_to_date(Decimal("400"), start, end, datetime.date(2027, 6, 1)) == Decimal("400")
    half = planned_to_date(Decimal("364"), start, end, datetime.date(2026, 7, 2))
    assert half == Decimal("182.00")


def test_behind_allows_a_tenth_of_the_plan_to_date() -> None:
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
    today = datetime.date(2026, 7, 2)  # 182 hours due of 364
    assert not behind(Decimal("364"), Decimal("182"), start, end, today)
    assert not behind(Decimal("364"), Decimal("163.8"), start, end, today)  # 90%
    assert behind(Decimal("364"), Decimal("163"), start, end, today)


def test_no_plan_until_the_programme_record_supplies_one(people: dict) -> None:
    registration = Registration.objects.get(pk=people["registration"].pk)
    assert off_the_job.programme_plan(registration) is None


def test_the_plan_is_the_programmes_hours_over_its_practical_period(people: dict) -> None:
    from tests.portfolios.test_off_the_job_pages import programme

    registration = Registration.objects.get(pk=people["registration"].pk)
    start = datetime.date(2026, 1, 5)
    programme(registration, start=start, days=400, hours="278")

    plan = off_the_job.programme_plan(registration)

    assert plan == off_the_job.Plan(Decimal("278"), start, start + datetime.timedelta(days=400))
