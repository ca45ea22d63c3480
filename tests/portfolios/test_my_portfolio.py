"""The learner's "My portfolio" in the header (evidence:mine): straight to the one portfolio
where work goes on, to the home page's list where there are several, and only as a learner."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from portfolios.models import RegistrationStatus
from qualifications.models import Qualification
from tests.factories import CentreFactory, RegistrationFactory, member

MINE = "/portfolio/evidence/mine/"


@pytest.fixture
def centre(db: None, catalogue: None) -> object:
    return CentreFactory()


def register(learner: object, centre: object, number: str = "601/3456/2", **fields: object):
    return RegistrationFactory(
        learner=learner,
        centre=centre,
        qualification=Qualification.objects.get(number=number),
        start_date=fields.pop("start_date", datetime.date(2026, 9, 1)),
        **fields,
    )


def test_the_header_link_is_the_url_of_evidence_mine() -> None:
    assert reverse("evidence:mine") == MINE


def test_one_registration_goes_straight_to_its_portfolio(client: Client, centre: object) -> None:
    learner = member(centre, Role.LEARNER)
    registration = register(learner, centre)
    client.force_login(learner)

    response = client.get(MINE)

    assert response.status_code == 302
    assert response["Location"] == reverse("evidence:portfolio", args=[registration.pk])


def test_the_one_going_on_is_chosen_over_a_withdrawn_one(client: Client, centre: object) -> None:
    learner = member(centre, Role.LEARNER)
    register(learner, centre, status=RegistrationStatus.WITHDRAWN)
    going_on = register(learner, centre, "600/1686/3", start_date=datetime.date(2025, 1, 1))
    client.force_login(learner)

    response = client.get(MINE)

    assert response["Location"] == reverse("evidence:portfolio", args=[going_on.pk])


def test_a_single_withdrawn_registration_still_leads_to_its_portfolio(
    client: Client, centre: object
) -> None:
    learner = member(centre, Role.LEARNER)
    registration = register(learner, centre, status=RegistrationStatus.WITHDRAWN)
    client.force_login(learner)

    assert client.get(MINE)["Location"] == reverse("evidence:portfolio", args=[registration.pk])


def test_several_going_on_lead_to_the_home_pages_list(client: Client, centre: object) -> None:
    learner = member(centre, Role.LEARNER)
    register(learner, centre)
    register(learner, centre, "600/1686/3")
    client.force_login(learner)

    response = client.get(MINE, follow=True)

    assert response.redirect_chain == [("/#work-heading", 302)]
    assert 'id="work-heading"' in response.content.decode()


def test_none_yet_leads_home(client: Client, centre: object) -> None:
    learner = member(centre, Role.LEARNER)
    client.force_login(learner)

    assert client.get(MINE)["Location"] == "/#work-heading"


def test_only_registrations_at_the_centre_of_the_role_worn_count(
    client: Client, centre: object
) -> None:
    # A learner at two centres: the other centre's registration is not where this role leads.
    learner = member(centre, Role.LEARNER)
    here = register(learner, centre)
    elsewhere = CentreFactory()
    register(learner, elsewhere, "600/1686/3")
    client.force_login(learner)

    assert client.get(MINE)["Location"] == reverse("evidence:portfolio", args=[here.pk])


@pytest.mark.parametrize(
    "role", [Role.ASSESSOR, Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN, Role.EQA]
)
def test_staff_have_no_portfolio_of_their_own(client: Client, centre: object, role: str) -> None:
    client.force_login(member(centre, role))

    assert client.get(MINE).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get(MINE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_on_the_portfolio_the_header_marks_my_portfolio_not_home(
    client: Client, centre: object
) -> None:
    learner = member(centre, Role.LEARNER)
    register(learner, centre)
    client.force_login(learner)

    page = client.get(MINE, follow=True).content.decode()
    header = page.split("<header>", 1)[1].split("</header>", 1)[0]

    assert f'aria-current="true" href="{MINE}">My portfolio</a>' in header
    assert header.count("aria-current") == 1
