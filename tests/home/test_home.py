from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Centre, Membership, User
from home.roles import link
from portfolios.models import Registration, RegistrationUnit
from qualifications.models import Qualification, Unit
from tests.factories import CentreFactory, RegistrationFactory, UserFactory, member

pytestmark = pytest.mark.django_db

IMI = "601/3456/2"
PEARSON = "603/5449/5"


def test_everyone_is_offered_their_account_page(client: Client, user: User) -> None:
    client.force_login(user)

    html = client.get("/").content.decode()

    assert 'href="/accounts/password/change/"' in html
    assert "Site administration" not in html


def test_staff_are_led_to_site_administration(client: Client, staff_user: User) -> None:
    client.force_login(staff_user)

    html = client.get("/").content.decode()

    assert 'href="/admin/"' in html


def test_the_home_page_costs_a_fixed_number_of_queries(
    client: Client, django_assert_num_queries
) -> None:
    user = UserFactory()
    UserFactory.create_batch(20)
    client.force_login(user)

    # Session, user and the person's roles (for the header), as they hold none whether an EQA
    # grant of theirs has ended, and invitations waiting for their answer: nothing grows with
    # the site.
    with django_assert_num_queries(5):
        assert client.get("/").status_code == 200


def test_unknown_pages_get_the_site_404(client: Client, user: User) -> None:
    client.force_login(user)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_it_only_answers_get(client: Client, user: User) -> None:
    client.force_login(user)

    assert client.post("/").status_code == 405


def test_links_to_pages_that_do_not_exist_yet_are_left_out() -> None:
    assert link("imports:upload") == "/centre/import/"
    assert link("no-such:page", 1) is None


# ------------------------------------------------------------------------------ role pages


@pytest.fixture
def centre(catalogue: None) -> Centre:
    return CentreFactory(name="Riverside Academy")


def registration(
    centre: Centre,
    *,
    learner: User | None = None,
    assessor: User | None = None,
    iv: User | None = None,
    number: str = IMI,
    status: str = "active",
    **learner_fields: object,
) -> Registration:
    learner = learner or member(centre, "learner", **learner_fields)
    made = RegistrationFactory(
        learner=learner,
        centre=centre,
        qualification=Qualification.objects.get(number=number),
        internal_verifier=iv,
        status=status,
    )
    if assessor:
        made.assessors.add(assessor)
    return made


def sign_in(client: Client, person: User) -> str:
    client.force_login(person)
    return client.get("/").content.decode()


def queries_for(client: Client, url: str = "/") -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_a_learner_sees_their_registrations_and_how_their_choice_stands(
    client: Client, centre: Centre
) -> None:
    learner = member(centre, "learner")
    mine = registration(centre, learner=learner)
    RegistrationUnit.objects.create(registration=mine, unit=Unit.objects.get(key="A/506/2130"))
    registration(centre, learner=learner, number=PEARSON, status="withdrawn")
    registration(centre, full_name="Someone Else", number="600/1686/3")

    html = sign_in(client, learner)

    assert "Learner at Riverside Academy" in html
    assert "601/3456/2 IMI Level 2 Diploma in Customer Service" in html
    assert "Withdrawn" in html
    assert "1: CS 7" in html  # units by the awarding body's code
    # Mandatory units count as chosen; the engine says what the optional choice still lacks.
    assert "16 more credits from Group C." in html
    assert "26 more credits in total: 19 of the 45 needed." in html
    assert "600/1686/3" not in html.split("Qualification catalogue")[0]
    assert "Your account" in html
    assert "Qualification catalogue" in html


def test_a_learner_s_complete_choice_is_said_to_meet_the_rules(
    client: Client, centre: Centre
) -> None:
    learner = member(centre, "learner")
    pearson = registration(centre, learner=learner, number=PEARSON)
    for key in ("PEARSON:Unit 1", "PEARSON:Unit 2", "PEARSON:Unit 3", "PEARSON:Unit 4"):
        RegistrationUnit.objects.create(registration=pearson, unit=Unit.objects.get(key=key))

    html = sign_in(client, learner)

    assert "Meets the rules of combination." in html


def test_a_learner_sees_only_the_active_centre_s_registrations(
    client: Client, centre: Centre
) -> None:
    learner = member(centre, "learner")
    registration(centre, learner=learner)
    other = CentreFactory(name="Hilltop College")
    Membership.objects.create(user=learner, centre=other, role="learner")
    registration(other, learner=learner, number=PEARSON)

    html = sign_in(client, learner)

    # Both roles are learner: the first centre by name is the one worked in.
    assert "Learner at Hilltop College" in html
    assert PEARSON in html
    assert IMI not in html.split("Qualification catalogue")[0]


def test_a_learner_with_nothing_yet_is_told_so(client: Client, centre: Centre) -> None:
    html = sign_in(client, member(centre, "learner"))

    assert "You are not registered on a qualification here yet." in html


def test_an_assessor_sees_their_caseload_only(client: Client, centre: Centre) -> None:
    assessor = member(centre, "assessor")
    colleague = member(centre, "assessor")
    registration(centre, assessor=assessor, full_name="Priya Mistry")
    registration(centre, assessor=colleague, full_name="Gareth Bale")
    registration(CentreFactory(), assessor=assessor, full_name="Far Away")

    html = sign_in(client, assessor)

    assert "Your caseload" in html
    assert "Priya Mistry" in html
    assert "Gareth Bale" not in html
    assert "Far Away" not in html
    assert "Learners you assess at Riverside Academy: 1" in html


def test_the_caseload_is_searchable(client: Client, centre: Centre) -> None:
    assessor = member(centre, "assessor")
    registration(centre, assessor=assessor, full_name="Priya Mistry")
    registration(centre, assessor=assessor, full_name="Gareth Bale", number=PEARSON)
    client.force_login(assessor)

    by_name = client.get("/", {"q": "mistry"}).content.decode()
    by_number = client.get("/", {"q": PEARSON}).content.decode()
    nothing = client.get("/", {"q": "zebra"}).content.decode()

    assert "Priya Mistry" in by_name
    assert "Gareth Bale" not in by_name
    assert "Gareth Bale" in by_number
    assert "Priya Mistry" not in by_number
    assert "No learner in your caseload matches “zebra”." in nothing


def test_the_caseload_is_paginated_and_pages_keep_the_search(
    client: Client, centre: Centre
) -> None:
    assessor = member(centre, "assessor")
    for n in range(30):
        registration(centre, assessor=assessor, full_name=f"Learner {n:02d}")
    client.force_login(assessor)

    first = client.get("/", {"q": "learner"}).content.decode()
    second = client.get("/", {"q": "learner", "page": 2}).content.decode()

    assert "Page 1 of 2" in first
    assert 'href="?q=learner&amp;page=2"' in first
    # A row a learner, besides the four of the caseload at a glance (its groups).
    assert first.count('<th scope="row">') == 25 + 4
    assert second.count('<th scope="row">') == 5 + 4
    assert "Learner 29" in second


def test_an_internal_verifier_sees_the_learners_and_assessors_they_cover(
    client: Client, centre: Centre
) -> None:
    verifier = member(centre, "iv")
    assessor = member(centre, "assessor", full_name="Aled Jones")
    other_assessor = member(centre, "assessor", full_name="Not Covered")
    registration(centre, assessor=assessor, iv=verifier, full_name="Covered Learner")
    registration(centre, assessor=assessor, iv=verifier, full_name="Second Learner")
    registration(centre, assessor=other_assessor, full_name="Someone Else's")

    html = sign_in(client, verifier)

    assert "Learners you verify" in html
    assert "Covered Learner" in html
    assert "Second Learner" in html
    assert "Someone Else" not in html
    assert "Assessors you cover" in html
    assert "Aled Jones" in html
    assert "Not Covered" not in html
    email = f'<td data-label="E-mail">{assessor.email}</td>'
    assert f'{email}\n            <td data-label="Learners">2</td>' in html
    # An IV may hold a learner's claim (suspected malpractice, say).
    assert f'href="{link("certification:claim_holds")}"' in html


def test_a_centre_admin_sees_counts_latest_and_links(client: Client, centre: Centre) -> None:
    admin = member(centre, "admin")
    registration(centre, full_name="Newest Learner")
    registration(centre, status="withdrawn")
    registration(CentreFactory(), full_name="Elsewhere Learner")

    html = sign_in(client, admin)

    assert "Centre admin at Riverside Academy" in html
    assert '<dt class="col-sm-4">Learners</dt><dd class="col-sm-8">2</dd>' in html
    assert '<dd class="col-sm-8">1 of 2</dd>' in html
    assert "Newest Learner" in html
    assert "Elsewhere Learner" not in html
    assert 'href="/centre/import/"' in html
    person_url = link("centre:person", admin.pk)
    assert person_url is None or f'href="{person_url}"' in html
    for name in ("centre:people", "centre:registrations", "centre:register"):
        url = link(name)
        assert url is None or f'href="{url}"' in html


def test_an_eqa_reads_the_centre_s_registrations_until_their_access_ends(
    client: Client, centre: Centre
) -> None:
    eqa = member(centre, "eqa")
    registration(centre, full_name="Audited Learner")
    registration(CentreFactory(), full_name="Elsewhere Learner")
    ends = datetime.date.today() + datetime.timedelta(days=90)

    html = sign_in(client, eqa)

    assert f"Read-only access, until {ends:%-d %B %Y}." in html
    assert "Audited Learner" in html
    assert "Elsewhere Learner" not in html

    Membership.objects.filter(user=eqa).update(expires_on=datetime.date(2020, 1, 1))
    expired = sign_in(client, eqa)

    assert "Audited Learner" not in expired
    assert "Qualification catalogue" in expired


def test_the_role_switcher_changes_the_home_page(client: Client, centre: Centre) -> None:
    person = member(centre, "assessor")
    Membership.objects.create(user=person, centre=centre, role="iv")
    registration(centre, assessor=person, full_name="Assessed Learner")
    client.force_login(person)

    as_iv = client.get("/").content.decode()
    assessor_role = Membership.objects.get(user=person, role="assessor")
    client.post("/accounts/role/", {"membership": assessor_role.pk})
    as_assessor = client.get("/").content.decode()

    assert "Learners you verify" in as_iv
    assert "Assessed Learner" not in as_iv
    assert "Your caseload" in as_assessor
    assert "Assessed Learner" in as_assessor


# ------------------------------------------------------------------- fixed query counts


def grow(centre: Centre, n: int, **kwargs: object) -> None:
    for _ in range(n):
        registration(centre, **kwargs)


@pytest.mark.parametrize("role", ["assessor", "iv", "admin", "eqa"])
def test_a_staff_home_page_costs_the_same_for_3_or_30_registrations(
    client: Client, centre: Centre, django_assert_num_queries, role: str
) -> None:
    person = member(centre, role)
    helper = member(centre, "assessor") if role == "iv" else None
    links = {"assessor": {"assessor": person}, "iv": {"iv": person, "assessor": helper}}
    grow(centre, 3, **links.get(role, {}))
    client.force_login(person)
    few = queries_for(client)

    grow(centre, 27, **links.get(role, {}))
    if role == "iv":
        for _ in range(5):
            registration(centre, iv=person, assessor=member(centre, "assessor"))

    with django_assert_num_queries(few):
        assert client.get("/").status_code == 200


def test_a_learner_home_page_costs_the_same_for_3_or_30_registrations(
    client: Client, centre: Centre, django_assert_num_queries
) -> None:
    learner = member(centre, "learner")
    numbers = [IMI, PEARSON, "600/1686/3"]
    for number in numbers:
        registration(centre, learner=learner, number=number)
    client.force_login(learner)
    few = queries_for(client)

    # The rules are read once per qualification, whatever the number of registrations on it.
    for n in range(27):
        registration(centre, learner=learner, number=numbers[n % 3], status="withdrawn")

    with django_assert_num_queries(few):
        assert client.get("/").status_code == 200
