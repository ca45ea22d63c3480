"""The off-the-job log page: who sees and does what, forms that keep what was typed, queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Role
from portfolios.models import OffTheJobActivity, OffTheJobKind, OffTheJobStatus
from portfolios.off_the_job import REFUSED, approve, log, query
from tests.factories import member
from tests.portfolios.test_off_the_job import NCFE, apprentice, ksb, last_weeks_monday
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.fixture
def people() -> dict:
    return apprentice()


def url(people: dict) -> str:
    return reverse("off_the_job:log", args=[people["registration"].pk])


def posted(**fields: object) -> dict:
    today = clock.today()
    monday = last_weeks_monday(today)
    data: dict = {
        "date": monday.isoformat(),
        "hours": "2.5",
        "kind": OffTheJobKind.MENTORING,
        "description": "Mentoring with my team leader on difficult calls",
    }
    data.update(fields)
    return data


def test_who_may_open_the_page(client: Client, people: dict) -> None:
    for who, status in (
        ("learner", 200),
        ("assessor", 200),
        ("iv", 200),
        ("other_assessor", 404),
    ):
        client.force_login(people[who])
        assert client.get(url(people)).status_code == status, who
    client.force_login(member(people["centre"], Role.CENTRE_ADMIN))
    assert client.get(url(people)).status_code == 200
    client.logout()
    assert client.get(url(people)).status_code == 302


def test_the_learner_logs_and_sees_the_entry_totals_and_weeks(client: Client, people: dict) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    client.force_login(people["learner"])
    k1 = ksb(NCFE, "K1")
    response = client.post(url(people), posted(statements=[k1.pk]), follow=True)
    assert response.status_code == 200
    [activity] = OffTheJobActivity.objects.all()
    assert activity.hours == Decimal("2.5")
    assert list(activity.statements.all()) == [k1]
    body = response.content.decode()
    assert "Mentoring with my team leader" in body
    assert "Waiting for review" in body
    assert f"{monday.day} {monday:%B %Y}" in body
    assert "<svg" in body


def test_an_excluded_kind_is_refused_and_the_form_keeps_what_was_typed(
    client: Client, people: dict
) -> None:
    client.force_login(people["learner"])
    k2 = ksb(NCFE, "K2")
    response = client.post(
        url(people),
        posted(
            kind=OffTheJobKind.ENGLISH_MATHS,
            description="Functional skills maths",
            statements=[k2.pk],
        ),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert escape(REFUSED[OffTheJobKind.ENGLISH_MATHS]) in body
    assert "Functional skills maths" in body
    # The KSB ticked stays ticked (the checkboxes are written by ActivityForm.statement_groups).
    assert f'value="{k2.pk}" id="ksb-{k2.pk}" checked' in body
    assert not OffTheJobActivity.objects.exists()


def test_bad_hours_are_refused_with_a_message(client: Client, people: dict) -> None:
    client.force_login(people["learner"])
    response = client.post(url(people), posted(hours="30"))
    assert response.status_code == 400
    assert "less than or equal to 24" in response.content.decode()
    assert not OffTheJobActivity.objects.exists()


def test_staff_cannot_log_and_see_review_buttons(client: Client, people: dict) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    log(
        actor=people["learner"],
        registration=people["registration"],
        date=monday,
        hours=Decimal("2"),
        kind=OffTheJobKind.TEACHING,
        description="Lecture",
    )
    client.force_login(people["assessor"])
    response = client.get(url(people))
    body = response.content.decode()
    assert "Log the training" not in body
    assert "Approve" in body
    assert "Query" in body
    assert client.post(url(people), posted()).status_code == 403
    client.force_login(people["learner"])
    assert 'btn-success">Approve' not in client.get(url(people)).content.decode()


def test_approve_twice_is_harmless_and_query_needs_a_reason(client: Client, people: dict) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    first, second = (
        log(
            actor=people["learner"],
            registration=people["registration"],
            date=monday,
            hours=Decimal("2"),
            kind=OffTheJobKind.TEACHING,
            description=name,
        )
        for name in ("Lecture", "Workshop")
    )
    client.force_login(people["assessor"])
    approve_url = reverse("off_the_job:approve", args=[first.pk])
    client.post(approve_url)
    response = client.post(approve_url, follow=True)
    assert "already approved" in response.content.decode()
    first.refresh_from_db()
    assert first.status == OffTheJobStatus.APPROVED

    query_url = reverse("off_the_job:query", args=[second.pk])
    response = client.post(query_url, {"reason": ""}, follow=True)
    assert "Say what is wrong" in response.content.decode()
    response = client.post(query_url, {"reason": "Which module?"}, follow=True)
    assert "Query: Which module?" in response.content.decode()

    # The learner may not review; staff of another registration cannot even find it.
    client.force_login(people["learner"])
    assert client.post(approve_url).status_code == 403
    client.force_login(people["other_assessor"])
    assert client.post(reverse("off_the_job:approve", args=[second.pk])).status_code == 404


def test_the_learner_corrects_a_queried_entry(client: Client, people: dict) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    activity = log(
        actor=people["learner"],
        registration=people["registration"],
        date=monday,
        hours=Decimal("6"),
        kind=OffTheJobKind.TEACHING,
        description="Lecture",
    )
    query(actor=people["assessor"], activity=activity, reason="Six hours?")
    client.force_login(people["learner"])
    correct_url = reverse("off_the_job:correct", args=[activity.pk])
    page = client.get(correct_url).content.decode()
    assert "Six hours?" in page
    response = client.post(correct_url, posted(hours="30", description="Lecture, 2 hours"))
    assert response.status_code == 400
    assert "Lecture, 2 hours" in response.content.decode()
    client.post(correct_url, posted(hours="2", description="Lecture, 2 hours"))
    activity.refresh_from_db()
    assert (activity.status, activity.hours) == (OffTheJobStatus.SUBMITTED, Decimal("2"))
    client.force_login(people["assessor"])
    assert client.get(correct_url).status_code == 403


def test_the_portfolio_page_links_the_log_on_a_standard(client: Client, people: dict) -> None:
    client.force_login(people["learner"])
    page = client.get(reverse("evidence:portfolio", args=[people["registration"].pk]))
    assert url(people) in page.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_queries_do_not_grow_with_entries(
    client: Client, people: dict, count: int, django_assert_num_queries: object
) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    k1 = ksb(NCFE, "K1")
    for index in range(count):
        activity = log(
            actor=people["learner"],
            registration=people["registration"],
            date=monday - datetime.timedelta(days=index),
            hours=Decimal("1"),
            kind=OffTheJobKind.TEACHING,
            description=f"Session {index}",
            statements=[k1],
        )
        if index % 3 == 0:
            approve(actor=people["assessor"], activity=activity)
        elif index % 3 == 1:
            query(actor=people["assessor"], activity=activity, reason="Which?")
    for who in ("learner", "assessor"):
        client.force_login(people[who])
        client.get(url(people))  # warm the session and role caches
        with django_assert_num_queries(QUERIES[who]):  # type: ignore[operator]
            assert client.get(url(people)).status_code == 200


# Measured: the same with 3 entries as with 30 (session, roles, registration, the weeks, whose
# sums give the totals and the count of entries too, and a page of entries with their KSBs
# beside them; the learner also the form's KSBs and evidence, the assessor the assignment that
# lets them review); the programme record whose plan the page draws comes with the registration.
# Issue 20: 12 and 11 before the weeks counted the totals and entries, the KSBs came in the
# entries' query and the programme record with the registration.
QUERIES = {"learner": 8, "assessor": 7}


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled slices", "built slices"])
def test_the_log_shows_a_page_of_entries_and_counts_them_all(
    client: Client, people: dict, monkeypatch: pytest.MonkeyPatch, compiled: bool
) -> None:
    """30 entries: the newest 25 on the first page, the other 5 on the second; the totals and
    weeks count all 30 on either. The same whether a page's slice is a query compiled once
    (the first pages) or built on the visit (pages past those kept)."""
    from portfolios import off_the_job

    monkeypatch.setattr(off_the_job.ENTRY_SLICES, "_shapes", {})
    if not compiled:
        monkeypatch.setattr(off_the_job.ENTRY_SLICES, "kept", 0)
    today = clock.today()
    monday = last_weeks_monday(today)
    for index in range(30):
        log(
            actor=people["learner"],
            registration=people["registration"],
            date=monday - datetime.timedelta(days=index),
            hours=Decimal("1"),
            kind=OffTheJobKind.TEACHING,
            description=f"Session {index}",
        )
    client.force_login(people["assessor"])

    first = client.get(url(people))
    second = client.get(url(people) + "?page=2")

    assert [e.description for e in first.context["entries"]] == [
        f"Session {index}" for index in range(25)
    ]
    assert [e.description for e in second.context["entries"]] == [
        f"Session {index}" for index in range(25, 30)
    ]
    for response in (first, second):
        assert response.context["totals"].waiting == 30
        assert "entries 1 to 25 of 30" in first.content.decode()
    assert 'aria-label="Pages"' in first.content.decode()


def programme(registration: object, *, start: datetime.date, days: int, hours: str) -> object:
    """The registration's apprenticeship programme record, as the centre admin keeps it: the
    published minimum (here less 10 hours of prior learning) over the practical period."""
    from accounts.models import Employer
    from portfolios.models import Apprenticeship
    from qualifications.models import Standard

    return Apprenticeship.objects.create(
        registration=registration,
        employer=Employer.objects.create(centre=registration.centre, name="Harbour Hotels"),
        standard=Standard.objects.filter(qualification=registration.qualification).first(),
        standard_version="1.2",
        practical_start=start,
        practical_planned_end=start + datetime.timedelta(days=days),
        minimum_otj_hours=Decimal(hours) + 10,
        rpl_reduction_hours=Decimal("10"),
        rpl_reason="Level 2 customer service already held.",
        epao_name="Customer Service EPA Ltd",
    )


def test_without_a_programme_record_there_is_no_plan(client: Client, people: dict) -> None:
    client.force_login(people["learner"])
    page = client.get(url(people)).content.decode()
    assert "Planned to date" not in page
    assert 'data-testid="off-the-job-behind"' not in page


def test_the_programme_records_plan_gives_planned_to_date_and_warns_when_behind(
    client: Client, people: dict
) -> None:
    # The practical period, not the registration's dates: 60 of its 120 days gone.
    today = datetime.date.today()
    programme(
        people["registration"], start=today - datetime.timedelta(days=60), days=120, hours="120"
    )
    client.force_login(people["learner"])
    page = client.get(url(people)).content.decode()
    # 120 planned hours (130 less 10 of prior learning): 60 due, none approved.
    assert "60 of 120 hours" in page
    assert 'data-testid="off-the-job-behind"' in page


def test_a_blank_form_is_blank_after_a_refused_one_and_dated_today(
    client: Client, people: dict
) -> None:
    # A blank form's fields are written once a day and reused (ActivityForm.shown): what one
    # person typed, or the errors they got, never reach the next blank form, and a new day
    # gives a new date.
    from unittest import mock

    from django.utils import timezone

    client.force_login(people["learner"])
    refused = client.post(url(people), posted(hours="30", description="Typed by me"))
    assert refused.status_code == 400
    assert "is-invalid" in refused.content.decode()
    blank = client.get(url(people)).content.decode()
    assert "is-invalid" not in blank
    assert "Typed by me" not in blank
    assert f'value="{clock.today().isoformat()}"' in blank
    tomorrow = clock.today() + datetime.timedelta(days=1)
    with mock.patch.object(timezone, "localdate", return_value=tomorrow):
        later = client.get(url(people)).content.decode()
    assert f'name="date" value="{tomorrow.isoformat()}"' in later
    again = client.post(url(people), posted(hours="30", description="Typed again"))
    assert "Typed again" in again.content.decode()
    assert "Typed again" not in client.get(url(people)).content.decode()
