"""The gateway page (issue 19, point 5): who sees it, who signs through it, the gap and result
forms, its cost in queries, and the registration page's apprenticeship card linking to it."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from assessments import gateway
from portfolios.models import EndPointResult, GatewayGap, GatewaySignature
from tests.assessments.test_gateway import (
    People,
    approved_hours,
    ksb,
    make_people,
    make_ready,
    sign_all,
)
from tests.factories import CentreFactory, EmployerFactory, member
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.fixture
def ready() -> People:
    return make_ready(make_people())


def url(people: People, name: str = "page", *args: object) -> str:
    return reverse(f"gateway:{name}", args=[people.registration.pk, *args])


def as_user(client: Client, user: object) -> Client:
    client.force_login(user)
    return client


# ---------------------------------------------------------------- who sees it


@pytest.mark.parametrize("who", ["learner", "contact", "assessor", "iv", "admin"])
def test_the_apprentice_their_employer_and_the_centre_see_the_gateway(
    client: Client, ready: People, who: str
) -> None:
    response = as_user(client, getattr(ready, who)).get(url(ready))

    assert response.status_code == 200
    shown = response.content.decode()
    assert "Readiness checklist" in shown
    assert 'data-testid="gateway-ready"' in shown


def test_another_centre_and_another_employer_see_nothing(client: Client, ready: People) -> None:
    elsewhere = member(CentreFactory(), Role.CENTRE_ADMIN)
    other_contact = member(
        ready.centre, Role.EMPLOYER, employer=EmployerFactory(centre=ready.centre)
    )
    for outsider in (elsewhere, other_contact):
        assert as_user(client, outsider).get(url(ready)).status_code == 404
        response = client.post(url(ready, "sign"), {"party": "employer"})
        assert response.status_code == 404
    assert not GatewaySignature.objects.exists()


def test_a_registration_that_is_no_apprenticeship_has_no_gateway(client: Client) -> None:
    people = make_people()
    people.registration.apprenticeship.delete()

    assert as_user(client, people.admin).get(url(people)).status_code == 404


def test_each_signer_sees_only_their_own_sign_button(client: Client, ready: People) -> None:
    for who, party in (("learner", "apprentice"), ("contact", "employer"), ("admin", "provider")):
        shown = as_user(client, getattr(ready, who)).get(url(ready)).content.decode()
        assert shown.count('name="party"') == 1, who
        assert f'name="party" value="{party}"' in shown, who
    shown = as_user(client, ready.iv).get(url(ready)).content.decode()
    assert 'name="party"' not in shown


def test_no_sign_button_while_an_item_is_not_met(client: Client) -> None:
    people = make_people()

    shown = as_user(client, people.learner).get(url(people)).content.decode()

    assert 'data-testid="gateway-not-ready"' in shown
    assert 'name="party"' not in shown


# ---------------------------------------------------------------- signing through the page


def test_the_employer_contact_signs_through_their_account(client: Client, ready: People) -> None:
    shown = as_user(client, ready.contact).get(url(ready)).content.decode()
    checklist = gateway.readiness_for([ready.registration])[ready.registration.pk].checklist_hash
    assert checklist in shown

    response = client.post(
        url(ready, "sign"), {"party": "employer", "checklist_hash": checklist}, follow=True
    )

    assert "Signed for the employer" in response.content.decode()
    signature = GatewaySignature.objects.get()
    assert (signature.party, signature.signed_by) == ("employer", ready.contact)


def test_a_second_click_says_it_is_signed_and_changes_nothing(
    client: Client, ready: People
) -> None:
    as_user(client, ready.learner).post(url(ready, "sign"), {"party": "apprentice"})

    response = client.post(url(ready, "sign"), {"party": "apprentice"}, follow=True)

    assert "The apprentice has already signed." in response.content.decode()
    assert GatewaySignature.objects.count() == 1


def test_signing_for_someone_else_is_forbidden(client: Client, ready: People) -> None:
    response = as_user(client, ready.learner).post(url(ready, "sign"), {"party": "provider"})

    assert response.status_code == 403
    assert not GatewaySignature.objects.exists()


def test_a_stale_page_is_not_signed(client: Client, ready: People) -> None:
    seen = gateway.readiness_for([ready.registration])[ready.registration.pk].checklist_hash
    approved_hours(ready, "7")

    response = as_user(client, ready.learner).post(
        url(ready, "sign"), {"party": "apprentice", "checklist_hash": seen}, follow=True
    )

    assert "The checklist has changed" in response.content.decode()
    assert not GatewaySignature.objects.exists()


# ---------------------------------------------------------------- gaps, withdrawal, result


def test_the_assessor_names_a_gap_on_the_page(client: Client) -> None:
    people = make_people()
    statement = ksb("K1")

    response = as_user(client, people.assessor).post(
        url(people, "gap", statement.pk),
        {"gap": "No evidence of K1.", "plan": "Professional discussion."},
        follow=True,
    )

    assert "The gap for K1 is recorded." in response.content.decode()
    assert GatewayGap.objects.get().plan == "Professional discussion."
    shown = as_user(client, people.learner).get(url(people)).content.decode()
    assert "No evidence of K1." in shown
    assert 'action="' + url(people, "gap", statement.pk) not in shown  # the learner reads only


def test_the_learner_and_the_employer_name_no_gap(client: Client) -> None:
    people = make_people()
    for who in ("learner", "contact"):
        response = as_user(client, getattr(people, who)).post(
            url(people, "gap", ksb("K1").pk), {"gap": "x", "plan": "y"}
        )
        assert response.status_code == 403
    assert not GatewayGap.objects.exists()


def test_the_admin_records_and_corrects_the_result_shown_on_the_card(
    client: Client, ready: People
) -> None:
    today = clock.today()
    sign_all(ready)
    as_user(client, ready.admin)
    assert 'data-testid="epa-result-form"' in client.get(url(ready)).content.decode()

    client.post(url(ready, "result"), {"grade": "pass", "assessed_on": today.isoformat()})
    refused = client.post(
        url(ready, "result"), {"grade": "merit", "assessed_on": today.isoformat()}, follow=True
    )
    assert "say why it is corrected" in refused.content.decode()
    client.post(
        url(ready, "result"),
        {"grade": "merit", "assessed_on": today.isoformat(), "reason": "Regraded on appeal."},
    )

    assert list(EndPointResult.objects.values_list("grade", flat=True).order_by("pk")) == [
        "pass",
        "merit",
    ]
    shown = client.get(url(ready)).content.decode()
    assert "Regraded on appeal." in shown
    assert 'data-testid="epa-past-results"' in shown
    card = client.get(reverse("portfolios:registration", args=[ready.registration.pk]))
    text = card.content.decode()
    assert url(ready) in text
    assert f"Merit, {today:%-d %B %Y} (Highfield Assessment)" in text


def test_the_result_form_refuses_a_future_date_with_the_reason(
    client: Client, ready: People
) -> None:
    today = clock.today()
    sign_all(ready)
    tomorrow = today + datetime.timedelta(days=1)

    response = as_user(client, ready.admin).post(
        url(ready, "result"), {"grade": "pass", "assessed_on": tomorrow.isoformat()}, follow=True
    )

    assert "cannot be dated in the future" in response.content.decode()
    assert not EndPointResult.objects.exists()


def test_only_the_admin_records_a_result_or_withdraws(client: Client, ready: People) -> None:
    sign_all(ready)
    as_user(client, ready.assessor)
    today = clock.today().isoformat()
    response = client.post(url(ready, "result"), {"grade": "pass", "assessed_on": today})
    assert response.status_code == 403
    assert not EndPointResult.objects.exists()
    assert client.post(url(ready, "withdraw"), {"reason": "No."}).status_code == 403

    as_user(client, ready.admin).post(url(ready, "withdraw"), {"reason": "A gap was missed."})

    assert GatewaySignature.objects.current().count() == 0
    assert "A gap was missed." in client.get(url(ready)).content.decode()


# ---------------------------------------------------------------- cost


@pytest.mark.parametrize("who", ["admin", "contact", "learner"])
def test_the_gateway_page_costs_the_same_whatever_the_portfolio_holds(
    client: Client, django_assert_num_queries, who: str
) -> None:
    today = clock.today()
    small = make_people()
    big = make_ready(make_people())
    sign_all(big)
    gateway.record_result(
        actor=big.admin, registration=big.registration, grade="pass", assessed_on=today
    )
    for people in (small, big):
        as_user(client, getattr(people, who)).get(url(people))  # the session's first request

    client.force_login(getattr(small, who))
    with django_assert_num_queries(QUERIES[who]) as captured:
        client.get(url(small))
    client.force_login(getattr(big, who))
    with django_assert_num_queries(len(captured.captured_queries)):
        client.get(url(big))


# Per role: the session and roles, the registration with its apprenticeship, the checklist
# (seven: it is given the apprenticeship), the texts of the statements it shows (one), the
# declaration with its withdrawn signatures, the results; an employer contact's rules ask the
# programme record for their employer (one more). Whom one may sign for is asked only while a
# party has not signed and the checklist is met (neither registration here).
QUERIES = {"admin": 14, "contact": 15, "learner": 14}
