"""The centre admin's registration pages (/centre/registrations/): the list, its search and
filters, and assigning staff to many registrations at once."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from core.models import AuditEvent
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import Qualification
from tests.factories import RegistrationFactory, member
from tests.support.centre_world import World, centre_world

pytestmark = pytest.mark.django_db

IMI = "601/3456/2"


@pytest.fixture
def world() -> World:
    return centre_world()


@pytest.fixture
def as_admin(client: Client, world: World) -> Client:
    client.force_login(world.admin)
    return client


@pytest.mark.parametrize("name", ["centre:registrations", "centre:register"])
def test_the_registration_pages_need_sign_in(client: Client, name: str) -> None:
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["learner", "assessor", "iv", "eqa"])
@pytest.mark.parametrize("name", ["centre:registrations", "centre:register"])
def test_people_who_are_not_centre_admins_get_403(
    client: Client, world: World, role: str, name: str
) -> None:
    client.force_login(member(world.centre, role))

    assert client.get(reverse(name)).status_code == 403


# ---------------------------------------------------------------- registrations list


def imi() -> Qualification:
    return Qualification.objects.get(number=IMI)


@pytest.mark.usefixtures("catalogue")
def test_the_registrations_list_shows_only_this_centres_registrations(
    as_admin: Client, world: World
) -> None:
    mine = RegistrationFactory(learner=world.learner, centre=world.centre, qualification=imi())
    theirs = RegistrationFactory(qualification=imi())

    html = as_admin.get(reverse("centre:registrations")).content.decode()

    assert f'href="/portfolio/registrations/{mine.pk}/"' in html
    assert f'href="/portfolio/registrations/{theirs.pk}/"' not in html
    assert "1 registration<" in html


@pytest.mark.usefixtures("catalogue")
def test_the_registrations_list_searches_and_filters(as_admin: Client, world: World) -> None:
    other = member(world.centre, "learner", full_name="Olly Other")
    lena = RegistrationFactory(learner=world.learner, centre=world.centre, qualification=imi())
    olly = RegistrationFactory(
        learner=other, centre=world.centre, qualification=imi(), status="withdrawn"
    )
    lena.assessors.add(world.assessor)
    url = reverse("centre:registrations")

    def shown(params: dict) -> set[int]:
        html = as_admin.get(url, params).content.decode()
        return {int(pk) for pk in re.findall(r'name="registrations" value="(\d+)"', html)}

    assert shown({"q": "lena"}) == {lena.pk}
    assert shown({"q": IMI}) == {lena.pk, olly.pk}
    assert shown({"status": "withdrawn"}) == {olly.pk}
    assert shown({"assessor": world.assessor.pk}) == {lena.pk}


@pytest.mark.usefixtures("catalogue")
def test_the_registrations_list_costs_the_same_for_3_or_30(
    as_admin: Client, world: World, django_assert_num_queries
) -> None:
    def make(count: int) -> None:
        for _ in range(count):
            registration = RegistrationFactory(
                learner=member(world.centre, "learner"), centre=world.centre, qualification=imi()
            )
            registration.assessors.add(world.assessor)

    url = reverse("centre:registrations")
    make(3)
    as_admin.get(url)
    with django_assert_num_queries(9) as small:
        as_admin.get(url)
    make(27)
    with django_assert_num_queries(len(small.captured_queries)):
        html = as_admin.get(url).content.decode()
    assert "Page 1 of 2" in html


# ---------------------------------------------------------------- bulk assignment


@pytest.mark.usefixtures("catalogue")
def test_the_admin_assigns_staff_to_the_ticked_registrations(
    as_admin: Client, world: World
) -> None:
    ticked = [
        RegistrationFactory(
            learner=member(world.centre, "learner"), centre=world.centre, qualification=imi()
        )
        for _ in range(2)
    ]
    unticked = RegistrationFactory(learner=world.learner, centre=world.centre, qualification=imi())

    response = as_admin.post(
        reverse("centre:assign_bulk"),
        {
            "registrations": [r.pk for r in ticked],
            "assessor": world.assessor.pk,
            "internal_verifier": world.iv.pk,
        },
        follow=True,
    )

    assert "Staff assigned to 2 registrations." in response.content.decode()
    for registration in ticked:
        registration.refresh_from_db()
        assert list(registration.assessors.all()) == [world.assessor]
        assert registration.internal_verifier == world.iv
    assert not unticked.assessors.exists()
    assert AuditEvent.objects.filter(action="registration.staff_assigned").count() == 2


@pytest.mark.usefixtures("catalogue")
def test_bulk_assignment_is_all_or_nothing(as_admin: Client, world: World) -> None:
    # The assessor is also a learner here: they may not assess their own portfolio.
    Membership.objects.create(user=world.assessor, centre=world.centre, role="learner")
    fine = RegistrationFactory(learner=world.learner, centre=world.centre, qualification=imi())
    own = RegistrationFactory(learner=world.assessor, centre=world.centre, qualification=imi())

    response = as_admin.post(
        reverse("centre:assign_bulk"),
        {"registrations": [fine.pk, own.pk], "assessor": world.assessor.pk},
        follow=True,
    )

    assert "Nothing was changed: A learner cannot assess their own portfolio." in (
        response.content.decode()
    )
    assert not fine.assessors.exists()


@pytest.mark.usefixtures("catalogue")
def test_bulk_assignment_explains_what_is_missing(as_admin: Client, world: World) -> None:
    registration = RegistrationFactory(
        learner=world.learner, centre=world.centre, qualification=imi()
    )
    url = reverse("centre:assign_bulk")

    nobody = as_admin.post(url, {"registrations": [registration.pk]}, follow=True)
    nothing = as_admin.post(url, {"assessor": world.assessor.pk}, follow=True)

    assert "Choose an assessor or an internal verifier to assign." in nobody.content.decode()
    assert "Tick at least one registration." in nothing.content.decode()


@pytest.mark.usefixtures("catalogue")
def test_bulk_assignment_ignores_no_other_centres_registration(
    as_admin: Client, world: World
) -> None:
    theirs = RegistrationFactory(qualification=imi())

    response = as_admin.post(
        reverse("centre:assign_bulk"),
        {"registrations": [theirs.pk], "assessor": world.assessor.pk},
        follow=True,
    )

    assert "Select a valid choice" in response.content.decode()
    assert not theirs.assessors.exists()
    assert Registration.objects.filter(status=RegistrationStatus.ACTIVE).count() == 1


def test_bulk_assignment_answers_only_posts(as_admin: Client) -> None:
    assert as_admin.get(reverse("centre:assign_bulk")).status_code == 405
