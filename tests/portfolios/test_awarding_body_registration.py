"""Registering learners with the awarding body within its stated period (issue 17, point 6).

Ascentis specification L249: "All learners must normally be registered with Ascentis within
seven weeks of commencement of a course via the Ascentis electronic registration portal."
"Normally": late is flagged, never refused. Bodies that state no period flag nothing.
"""

from __future__ import annotations

import datetime
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from portfolios import awarding_body
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import Qualification
from tests.factories import RegistrationFactory, member
from tests.support import clock
from tests.support.centre_world import World, centre_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

ASCENTIS = "600/1686/3"
IMI = "601/3456/2"
LIST = reverse("centre:registrations")


@pytest.fixture
def world() -> World:
    return centre_world()


def started(world: World, days_ago: int, number: str = ASCENTIS, **fields) -> Registration:
    today = clock.today()
    return RegistrationFactory(
        learner=member(world.centre, "learner"),
        centre=world.centre,
        qualification=Qualification.objects.get(number=number),
        start_date=today - datetime.timedelta(days=days_ago),
        **fields,
    )


def test_an_ascentis_registration_is_due_within_49_days_then_overdue(world: World) -> None:
    today = clock.today()
    due = awarding_body.standing(started(world, 10))
    assert (due.state, due.due_on) == ("due", today + datetime.timedelta(days=39))
    assert "Ascentis specification L249" in due.rule
    overdue = awarding_body.standing(started(world, 50))
    assert overdue.state == "overdue"


def test_a_body_that_states_no_period_flags_nothing(world: World) -> None:
    assert awarding_body.standing(started(world, 300, IMI)).state == ""


def test_a_registration_no_longer_active_is_not_due(world: World) -> None:
    registration = started(world, 100, status=RegistrationStatus.WITHDRAWN)
    assert awarding_body.standing(registration).state == ""


def test_the_registration_page_flags_overdue_with_the_rule(client: Client, world: World) -> None:
    registration = started(world, 60)
    client.force_login(world.admin)
    page = unescape(
        client.get(reverse("portfolios:registration", args=[registration.pk])).content.decode()
    )
    assert "Overdue" in page
    assert "Ascentis specification L249" in page


def test_the_admin_records_it_late_and_is_told_the_rule(client: Client, world: World) -> None:
    today = clock.today()
    registration = started(world, 60)
    client.force_login(world.admin)
    response = client.post(
        reverse("portfolios:registration_awarding_body", args=[registration.pk]),
        {"ab-number": "ASC123", "ab-registered_on": today.isoformat()},
        follow=True,
    )
    page = unescape(response.content.decode())
    assert "Recorded, after the awarding body's period" in page
    assert "Ascentis specification L249" in page
    registration.refresh_from_db()
    assert (registration.awarding_body_number, registration.awarding_body_registered_on) == (
        "ASC123",
        today,
    )
    event = AuditEvent.objects.get(action="registration.awarding_body_registered")
    assert event.data["late"] is True


def test_in_time_is_recorded_without_a_warning(world: World) -> None:
    today = clock.today()
    registration = started(world, 5)
    result = awarding_body.record(
        actor=world.admin, registration=registration, number="A1", registered_on=today
    )
    assert result.state == "registered"


def test_a_future_date_is_refused_and_nothing_changes(client: Client, world: World) -> None:
    today = clock.today()
    registration = started(world, 5)
    client.force_login(world.admin)
    response = client.post(
        reverse("portfolios:registration_awarding_body", args=[registration.pk]),
        {"ab-number": "A1", "ab-registered_on": (today + datetime.timedelta(days=2)).isoformat()},
    )
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    registration.refresh_from_db()
    assert registration.awarding_body_registered_on is None


@pytest.mark.parametrize("role", ["assessor", "iv"])
def test_only_the_centres_admins_record_it(client: Client, world: World, role: str) -> None:
    today = clock.today()
    registration = started(world, 5)
    person = member(world.centre, role)
    registration.assessors.add(person)
    client.force_login(person)
    response = client.post(
        reverse("portfolios:registration_awarding_body", args=[registration.pk]),
        {"ab-number": "A1", "ab-registered_on": today.isoformat()},
    )
    assert response.status_code in (403, 404)
    with pytest.raises(awarding_body.AwardingBodyRegistrationError, match="centre's admins"):
        awarding_body.record(
            actor=person, registration=registration, number="A1", registered_on=today
        )


def test_the_list_filters_overdue_and_due(client: Client, world: World) -> None:
    today = clock.today()
    overdue = started(world, 60)
    due = started(world, 10)
    started(world, 60, IMI)
    started(world, 60, awarding_body_registered_on=today)
    client.force_login(world.admin)

    def shown(kind: str) -> set[int]:
        response = client.get(LIST, {"awarding_body": kind})
        return {r.pk for r in response.context["page_obj"]}

    assert shown("overdue") == {overdue.pk}
    assert shown("due") == {due.pk}


def test_the_admin_home_counts_what_is_due_and_overdue(client: Client, world: World) -> None:
    started(world, 60)
    started(world, 61)
    started(world, 3)
    client.force_login(world.admin)
    page = client.get("/").content.decode()
    assert "2 overdue</a>" in page
    assert "1 due</a>" in page
    assert "Ascentis specification L249" in unescape(page)


@pytest.mark.parametrize("kind", ["overdue", "due"])
def test_the_filtered_list_costs_the_same_for_3_or_30(
    client: Client, world: World, django_assert_num_queries, kind: str
) -> None:
    client.force_login(world.admin)
    days = 60 if kind == "overdue" else 5
    for _ in range(3):
        started(world, days)
    client.get(LIST, {"awarding_body": kind})
    with django_assert_num_queries(10) as small:
        client.get(LIST, {"awarding_body": kind})
    for _ in range(27):
        started(world, days)
    with django_assert_num_queries(len(small.captured_queries)):
        html = client.get(LIST, {"awarding_body": kind}).content.decode()
    assert "Page 1 of 2" in html
