"""The header's places (home/navigation.py): which each role gets, which one is current, and
the breadcrumbs of deep pages (home/templatetags/breadcrumbs.py)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, resolve, reverse

from accounts.models import Membership, Role, User
from home.navigation import (
    NO_ROLE,
    ROLE_PLACES,
    NavLink,
    current,
    gate,
    may_go,
    nav_links,
    places_for,
)
from tests.factories import MembershipFactory, member
from tests.verification.cases import add_learner, make_centre

EXPECTED = {
    Role.LEARNER: [
        "Home",
        "My portfolio",
        "Briefs",
        "Appeals and adjustments",
        "API tokens",
        "Qualifications",
    ],
    Role.ASSESSOR: [
        "Home",
        "Assessment queue",
        "Plans",
        "Apprentices",
        "Briefs",
        "Standards",
        "Standardisation",
        "Appeals and adjustments",
        "API tokens",
        "Qualifications",
    ],
    Role.INTERNAL_VERIFIER: [
        "Home",
        "Validation queue",
        "Plans",
        "Apprentices",
        "Sampling",
        "Standardisation",
        "Claim holds",
        "Briefs",
        "Standards",
        "Appeals and adjustments",
        "API tokens",
        "Qualifications",
    ],
    Role.CENTRE_ADMIN: [
        "Home",
        "People",
        "Registrations",
        "Apprentices",
        "Claims",
        "Sampling",
        "Standardisation",
        "EQA access",
        "Appeals and adjustments",
        "API tokens",
        "Qualifications",
    ],
    Role.EQA: [
        "Home",
        "Sampling",
        "Standardisation",
        "Claims",
        "Claim holds",
        "Competence",
        "Appeals and adjustments",
        "API tokens",
        "Qualifications",
    ],
    # Issue 19: their apprentices are on the home page; the testimony asked of them has a list.
    Role.EMPLOYER: ["Home", "Witness requests", "API tokens", "Qualifications"],
}


def working_as(role: str, **fields: object) -> tuple[User, Membership]:
    """An unsaved person and their membership: the rules read only the membership's fields."""
    user = User(pk=7, email="sam@example.com")
    membership = Membership(user_id=7, centre_id=1, role=role, is_active=True, **fields)
    return user, membership


# ------------------------------------------------------------------------ places per role


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_gets_its_places(role: str) -> None:
    user, membership = working_as(role)

    assert [place.label for place in places_for(user, membership)] == EXPECTED[role]


@pytest.mark.parametrize("role", list(Role))
def test_every_place_of_a_role_passes_the_rule_its_page_asks(role: str) -> None:
    # The lists and the rules agree: nothing in a role's list is dropped for that role.
    user, membership = working_as(role)

    assert places_for(user, membership) == list(ROLE_PLACES[role])


def test_someone_with_no_role_gets_home_and_the_catalogue_only() -> None:
    user = User(pk=7)

    assert [place.label for place in places_for(user, None)] == ["Home", "Qualifications"]
    assert places_for(user, None) == list(NO_ROLE)


@pytest.mark.parametrize(
    "fields",
    [
        {"is_active": False},
        {"expires_on": datetime.date(2020, 1, 1)},
        {"user_id": 8},
    ],
    ids=["revoked", "expired", "someone-elses"],
)
def test_places_are_hidden_where_the_rules_refuse(fields: dict) -> None:
    user, membership = working_as(Role.CENTRE_ADMIN)
    for name, value in fields.items():
        setattr(membership, name, value)

    assert [place.label for place in places_for(user, membership)] == ["Home", "Qualifications"]


def test_every_place_and_section_names_real_pages() -> None:
    # A typo in a URL name or pattern would quietly never match: each must name a page.
    names = {
        f"{namespace}:{name}" if namespace else name
        for namespace, name in _url_names(get_resolver())
    }
    for places in ROLE_PLACES.values():
        for place in places:
            assert place.url_name in names
            reverse(place.url_name)
            for pattern in place.section:
                assert any(re.fullmatch(_regex(pattern), name) for name in names), pattern


def _regex(pattern: str) -> str:
    return re.escape(pattern).replace(r"\*", ".*")


def _url_names(resolver, namespace: str = "") -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = []
    for entry in resolver.url_patterns:
        if hasattr(entry, "url_patterns"):
            inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
            found += _url_names(entry, inner)
        elif entry.name:
            found.append((namespace, entry.name))
    return found


# ------------------------------------------------------------------------ the current place


@pytest.mark.parametrize(
    ("url_name", "view_name", "expected"),
    [
        ("home", "home", "page"),
        ("home", "assessments:plan", "true"),
        ("home", "evidence:portfolio_unit", "true"),
        ("home", "verification:plan", None),
        ("verification:strategies", "verification:strategies", "page"),
        ("verification:strategies", "verification:plan", "true"),
        ("verification:strategies", "verification:sample", "true"),
        ("verification:strategies", "verification:standardisation_list", None),
        ("verification:standardisation_list", "verification:standardisation_detail", "true"),
        ("certification:claims", "certification:claim_batch", "true"),
        ("certification:claims", "certification:claim_holds", None),
        ("centre:people", "centre:person", "true"),
        ("centre:people", "centre:registrations", None),
        ("assessments:briefs", "assessments:brief", "true"),
        ("cases:cases", "cases:case", "true"),
        ("qualifications:list", "qualifications:unit", "true"),
        ("home", None, None),
    ],
)
def test_a_place_is_current_on_its_page_and_its_sections(
    url_name: str, view_name: str | None, expected: str | None
) -> None:
    place = next(
        place
        for places in ROLE_PLACES.values()
        for place in places
        if place.url_name == url_name and (url_name != "home" or place.section)
    )

    assert current(place, view_name) == expected


def marked(role: str, path: str) -> list[NavLink]:
    user, membership = working_as(role)
    return [link for link in nav_links(user, membership, resolve(path)) if link.current]


def test_a_plan_is_under_home_for_its_assessor_and_under_registrations_for_the_admin() -> None:
    path = reverse("assessments:plan", args=[1])

    assert marked(Role.ASSESSOR, path) == [NavLink("Home", "/", "true")]
    assert marked(Role.CENTRE_ADMIN, path) == [
        NavLink("Registrations", reverse("centre:registrations"), "true")
    ]


def test_one_place_at_most_is_marked() -> None:
    assert marked(Role.EQA, reverse("certification:claim_holds")) == [
        NavLink("Claim holds", reverse("certification:claim_holds"), "page")
    ]
    assert marked(Role.INTERNAL_VERIFIER, reverse("verification:sample", args=[3])) == [
        NavLink("Sampling", reverse("verification:strategies"), "true")
    ]


def test_a_contacts_witness_pages_are_under_witness_requests_their_apprentices_under_home() -> None:
    asked = reverse("witness:asked")

    assert marked(Role.EMPLOYER, asked) == [NavLink("Witness requests", asked, "page")]
    assert marked(Role.EMPLOYER, reverse("witness:testify", args=[4])) == [
        NavLink("Witness requests", asked, "true")
    ]
    for apprentice_page in (
        reverse("evidence:portfolio", args=[2]),
        reverse("off_the_job:log", args=[2]),
        reverse("witness:list", args=[2]),
    ):
        assert marked(Role.EMPLOYER, apprentice_page) == [NavLink("Home", "/", "true")]


def test_witness_requests_are_offered_to_employer_contacts_only() -> None:
    for role in Role:
        user, membership = working_as(role)
        offered = "Witness requests" in [place.label for place in places_for(user, membership)]
        assert offered is (role == Role.EMPLOYER), role


def test_a_page_of_no_place_marks_nothing() -> None:
    assert marked(Role.LEARNER, reverse("verification:strategies")) == []
    assert marked(Role.ASSESSOR, reverse("password_change")) == []


@pytest.mark.django_db
def test_the_header_costs_no_query() -> None:
    user, membership = working_as(Role.CENTRE_ADMIN)

    with CaptureQueriesContext(connection) as queries:
        nav_links(user, membership, resolve(reverse("centre:person", args=[1])))

    assert len(queries) == 0


def test_a_sampling_plan_is_offered_only_to_who_reads_the_strategies() -> None:
    assert gate("verification:plan") == "verification.work_sampling"
    assert gate("evidence:portfolio") is None
    assert may_go(*working_as(Role.INTERNAL_VERIFIER), "verification:plan")
    assert not may_go(*working_as(Role.ASSESSOR), "verification:plan")
    assert not may_go(*working_as(Role.LEARNER), "centre:people")
    assert may_go(*working_as(Role.LEARNER), "evidence:portfolio")


# ------------------------------------------------------------------------ pages


def header(html: str) -> str:
    return html.split("<header>", 1)[1].split("</header>", 1)[0]


def header_links(html: str) -> list[tuple[str, str, str | None]]:
    """(label, href, aria-current) of the header's place links."""
    return [
        (label, href, state or None)
        for state, href, label in re.findall(
            r'<a class="nav-link[^"]*"\s*(?:aria-current="(\w+)")?\s*href="([^"]+)">([^<]+)</a>',
            header(html),
        )
    ]


@pytest.fixture
def centre_people(db: None, catalogue: None) -> dict[str, User]:
    made = make_centre(assessors=1)
    registration = add_learner(made, made.assessors[0], name="Ana Lima")
    return {
        Role.LEARNER: registration.learner,
        Role.ASSESSOR: made.assessors[0],
        Role.INTERNAL_VERIFIER: made.iv,
        Role.CENTRE_ADMIN: made.admin,
        Role.EQA: member(made.centre, Role.EQA, full_name="Eve Quality"),
        Role.EMPLOYER: member(made.centre, Role.EMPLOYER, full_name="Erin Employer"),
        "registration": registration,  # type: ignore[dict-item]
    }


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_roles_home_names_its_places_with_home_current(
    client: Client, centre_people: dict[str, User], role: str
) -> None:
    client.force_login(centre_people[role])

    links = header_links(client.get("/").content.decode())

    assert [label for label, _, _ in links] == EXPECTED[role]
    assert [(label, state) for label, _, state in links if state] == [("Home", "page")]


@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_place_in_the_header_lets_the_role_in(
    client: Client, centre_people: dict[str, User], role: str
) -> None:
    # The header offers no page that would refuse: each link answers, and marks itself.
    client.force_login(centre_people[role])

    for label, href, _ in header_links(client.get("/").content.decode()):
        response = client.get(href, follow=True)
        assert response.status_code == 200, (label, href)
        # "My portfolio" leads on to the learner's one portfolio: a page of its section.
        state = "true" if response.redirect_chain else "page"
        assert (label, href, state) in header_links(response.content.decode())


def test_someone_with_no_role_sees_home_and_the_catalogue(client: Client, user: User) -> None:
    client.force_login(user)

    links = header_links(client.get("/").content.decode())

    assert [label for label, _, _ in links] == ["Home", "Qualifications"]


def test_a_deep_page_has_breadcrumbs_and_its_section_marked(
    client: Client, centre_people: dict[str, User]
) -> None:
    registration = centre_people["registration"]
    client.force_login(centre_people[Role.ASSESSOR])
    unit = registration.units.first()

    html = client.get(reverse("assessments:unit", args=[registration.pk, unit.pk])).content.decode()

    trail = html.split('<nav aria-label="Breadcrumb">', 1)[1].split("</nav>", 1)[0]
    items = re.findall(r'<li class="breadcrumb-item[^"]*"[^>]*>(.*?)</li>', trail, re.S)
    labels = [re.sub(r"<[^>]+>", "", item).strip() for item in items]
    assert labels[:3] == ["Home", f"Ana Lima, {registration.qualification.number}", "Portfolio"]
    assert labels[3].startswith("Unit ")
    assert len(labels) == 4
    assert f'href="{reverse("evidence:portfolio", args=[registration.pk])}"' in trail
    assert trail.count('aria-current="page"') == 1
    assert re.search(r'<li class="breadcrumb-item active" aria-current="page">Unit ', trail)
    assert ("Home", "/", "true") in header_links(html)


def test_a_sample_records_breadcrumbs_leave_out_what_the_assessor_may_not_open(
    client: Client, centre_people: dict[str, User]
) -> None:
    from home.templatetags.breadcrumbs import trail

    user, membership = working_as(Role.ASSESSOR)
    strategies = reverse("verification:strategies")
    plan = reverse("verification:plan", args=[4])

    crumbs = trail(user, membership, "Sampling strategies", strategies, "Plan", plan, "Sample")

    assert crumbs == [("Home", "/"), ("Sample", None)]
    verifier, verifying = working_as(Role.INTERNAL_VERIFIER)
    assert trail(verifier, verifying, "Sampling strategies", strategies, "Sample") == [
        ("Home", "/"),
        ("Sampling strategies", strategies),
        ("Sample", None),
    ]


def test_the_person_page_has_its_trail_under_people(
    client: Client, centre_people: dict[str, User]
) -> None:
    admin = centre_people[Role.CENTRE_ADMIN]
    learner = centre_people[Role.LEARNER]
    client.force_login(admin)

    html = client.get(reverse("centre:person", args=[learner.pk])).content.decode()

    assert f'<a href="{reverse("centre:people")}">People</a>' in html
    assert 'aria-current="page">Ana Lima</li>' in html
    assert ("People", reverse("centre:people"), "true") in header_links(html)


def test_the_role_switcher_is_labelled_and_changes_the_header(
    client: Client, centre_people: dict[str, User]
) -> None:
    iv = centre_people[Role.INTERNAL_VERIFIER]
    admin_role = MembershipFactory(
        user=iv, centre=Membership.objects.get(user=iv).centre, role=Role.CENTRE_ADMIN
    )
    client.force_login(iv)

    html = client.get("/").content.decode()
    assert '<label for="role-switch"' in html
    assert ">Work as</label>" in html
    assert [label for label, _, _ in header_links(html)] == EXPECTED[Role.CENTRE_ADMIN]

    verifying = Membership.objects.get(user=iv, role=Role.INTERNAL_VERIFIER)
    client.post(reverse("switch_role"), {"membership": verifying.pk})
    html = client.get("/").content.decode()
    assert [label for label, _, _ in header_links(html)] == EXPECTED[Role.INTERNAL_VERIFIER]
    assert admin_role.pk


def test_the_admins_trail_to_a_portfolio_goes_through_registrations(
    client: Client, centre_people: dict[str, User]
) -> None:
    registration = centre_people["registration"]
    registrations = reverse("centre:registrations")

    client.force_login(centre_people[Role.CENTRE_ADMIN])
    admins = client.get(reverse("evidence:portfolio", args=[registration.pk])).content.decode()
    client.force_login(centre_people[Role.INTERNAL_VERIFIER])
    verifiers = client.get(reverse("evidence:portfolio", args=[registration.pk])).content.decode()

    assert f'<a href="{registrations}">Registrations</a></li>' in admins
    assert 'aria-current="page">Portfolio</li>' in admins
    assert ("Registrations", registrations, "true") in header_links(admins)
    # The IV may not open the centre's registration list: their trail leaves it out.
    assert f'<a href="{registrations}">' not in verifiers
    assert 'aria-current="page">Portfolio</li>' in verifiers
    assert ("Home", "/", "true") in header_links(verifiers)
