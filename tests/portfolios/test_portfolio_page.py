"""The portfolio page: units, outcomes and criteria with their states, evidence and progress."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Centre, Role, User
from portfolios.models import (
    Evidence,
    EvidenceContext,
    EvidenceCriterion,
    EvidenceMethod,
    EvidenceStatus,
    Registration,
    RegistrationUnit,
)
from portfolios.progress import (
    CriterionState,
    criterion_states,
    portfolio,
    state_for,
    taken_units,
)
from portfolios.services import register_learner
from qualifications.models import AssessmentCriterion, Qualification, QualificationUnit, Unit
from tests.factories import CentreFactory, RegistrationFactory, UserFactory, member

pytestmark = pytest.mark.usefixtures("catalogue")

IMI = "601/3456/2"
IMI_MANDATORY = ["A/506/1964", "A/506/2130", "F/506/2131", "J/506/2132", "L/506/1788"]
SFJ = "601/1109/4"


@dataclass
class World:
    centre: Centre
    admin: User
    learner: User
    assessor: User
    iv: User


@pytest.fixture
def world() -> World:
    centre = CentreFactory()
    centre.qualifications.set(Qualification.objects.filter(number__in=[IMI, SFJ]))
    return World(
        centre=centre,
        admin=member(centre, Role.CENTRE_ADMIN),
        learner=member(centre, Role.LEARNER, full_name="Sam Okafor"),
        assessor=member(centre, Role.ASSESSOR),
        iv=member(centre, Role.INTERNAL_VERIFIER),
    )


def registered(world: World) -> Registration:
    return register_learner(
        actor=world.admin,
        learner=world.learner,
        centre=world.centre,
        qualification=Qualification.objects.get(number=IMI),
        start_date=datetime.date.today(),
        assessors=[world.assessor],
        internal_verifier=world.iv,
    )


def sfj_with_every_unit(world: World) -> Registration:
    # The SFJ diploma is closed to new learners, so the service refuses it: rows directly.
    registration = RegistrationFactory(
        learner=world.learner,
        centre=world.centre,
        qualification=Qualification.objects.get(number=SFJ),
        internal_verifier=world.iv,
    )
    registration.assessors.add(world.assessor)
    RegistrationUnit.objects.bulk_create(
        RegistrationUnit(registration=registration, unit_id=unit_id)
        for unit_id in QualificationUnit.objects.filter(qualification__number=SFJ).values_list(
            "unit_id", flat=True
        )
    )
    return registration


def record(
    registration: Registration,
    criteria: list[AssessmentCriterion],
    *,
    title: str = "Observation at the counter",
    status: str = EvidenceStatus.SUBMITTED,
    version: int = 1,
) -> Evidence:
    """A record straight into the tables (the services are tested on their own)."""
    evidence = Evidence.objects.create(
        registration=registration,
        title=title,
        evidence_date=datetime.date(2026, 3, 2),
        method=EvidenceMethod.OBSERVATION,
        context=EvidenceContext.REAL_WORK_PAID,
        status=status,
        version=version,
        created_by=registration.learner,
    )
    EvidenceCriterion.objects.bulk_create(
        EvidenceCriterion(evidence=evidence, criterion=c, proposed_by=registration.learner)
        for c in criteria
    )
    return evidence


def criteria(registration: Registration, unit_key: str | None = None) -> list[AssessmentCriterion]:
    found = AssessmentCriterion.objects.filter(
        unit_id__in=registration.unit_choices.values("unit_id")
    ).order_by("unit__key", "position")
    if unit_key:
        found = found.filter(unit__key=unit_key)
    return list(found)


def page(registration: Registration, **query: str) -> str:
    url = reverse("evidence:portfolio", args=[registration.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def unit_page(registration: Registration, unit: Unit | int, **query: str) -> str:
    unit_id = unit if isinstance(unit, int) else unit.pk
    url = reverse("evidence:portfolio_unit", args=[registration.pk, unit_id])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def opened(client: Client, registration: Registration, unit_key: str, **query: str) -> str:
    """A unit's criteria as htmx fetches them when the unit is opened."""
    unit = registration.units.get(key=unit_key)
    response = client.get(unit_page(registration, unit, **query), headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def every_unit(client: Client, registration: Registration) -> str:
    """The fragments of every unit the registration takes, one after the other."""
    return "".join(
        opened(client, registration, key)
        for key in registration.units.order_by("key").values_list("key", flat=True)
    )


def row(html: str, criterion: AssessmentCriterion) -> str:
    found = re.search(rf'<tr data-testid="criterion-{criterion.pk}">(.*?)</tr>', html, re.S)
    assert found, f"no row for criterion {criterion.pk}"
    return found.group(1)


# ---------------------------------------------------------------- who sees it


def test_the_portfolio_needs_sign_in(client: Client, world: World) -> None:
    response = client.get(page(registered(world)))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("learner", 200),
        ("assessor", 200),
        ("iv", 200),
        ("admin", 200),
        ("eqa", 200),
        ("superuser", 200),
        ("another learner", 404),
        ("an unassigned assessor", 404),
        ("another centre's admin", 404),
        ("a former eqa", 404),
    ],
)
def person(world: World, who: str) -> User:
    people = {
        "learner": lambda: world.learner,
        "assessor": lambda: world.assessor,
        "iv": lambda: world.iv,
        "admin": lambda: world.admin,
        "eqa": lambda: member(world.centre, Role.EQA),
        "superuser": lambda: UserFactory(is_superuser=True, is_staff=True),
        "another learner": lambda: member(world.centre, Role.LEARNER),
        "an unassigned assessor": lambda: member(world.centre, Role.ASSESSOR),
        "another centre's admin": lambda: member(CentreFactory(), Role.CENTRE_ADMIN),
        "a former eqa": lambda: _former_eqa(world.centre),
    }
    return people[who]()


WHO_MAY_SEE = [
    ("learner", 200),
    ("assessor", 200),
    ("iv", 200),
    ("admin", 200),
    ("eqa", 200),
    ("superuser", 200),
    ("another learner", 404),
    ("an unassigned assessor", 404),
    ("another centre's admin", 404),
    ("a former eqa", 404),
]


@pytest.mark.parametrize(("who", "status"), WHO_MAY_SEE)
def test_who_may_open_the_portfolio(client: Client, world: World, who: str, status: int) -> None:
    registration = registered(world)
    client.force_login(person(world, who))

    assert client.get(page(registration)).status_code == status


@pytest.mark.parametrize("htmx", [True, False], ids=["fragment", "page"])
@pytest.mark.parametrize(("who", "status"), WHO_MAY_SEE)
def test_who_may_open_a_unit_is_who_may_open_the_portfolio(
    client: Client, world: World, who: str, status: int, htmx: bool
) -> None:
    registration = registered(world)
    unit = registration.units.get(key=IMI_MANDATORY[0])
    client.force_login(person(world, who))
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.get(unit_page(registration, unit), headers=headers)

    assert response.status_code == status
    if status == 200:
        assert 'data-testid="criterion-' in response.content.decode()


@pytest.mark.parametrize("who", ["learner", "assessor", "iv", "admin", "eqa", "superuser"])
def test_evidence_seen_in_a_visible_registration_is_what_visible_to_gives(
    world: World, who: str
) -> None:
    registration = registered(world)
    first, second = criteria(registration)[:2]
    record(registration, [first], title="Submitted")
    record(registration, [second], title="A draft", status=EvidenceStatus.DRAFT)
    user = person(world, who)

    seen = set(Evidence.objects.seen_in(registration, user))

    assert seen == set(Evidence.objects.visible_to(user).filter(registration=registration))
    assert {e.title for e in seen} == (
        {"Submitted", "A draft"} if who in ("learner", "superuser") else {"Submitted"}
    )


def test_a_unit_the_registration_does_not_take_is_not_found(client: Client, world: World) -> None:
    registration = registered(world)
    elsewhere = Qualification.objects.get(number=SFJ).memberships.first().unit
    client.force_login(world.learner)

    assert client.get(unit_page(registration, elsewhere)).status_code == 404
    assert client.get(unit_page(registration, 987654)).status_code == 404


def test_a_unit_with_no_criteria_opens_empty_rather_than_as_not_taken(
    client: Client, world: World
) -> None:
    registration = registered(world)
    bare = Unit.objects.create(
        key="BARE-1",
        reference="B/000/0001",
        title="A unit with nothing to assess",
        level="2",
        level_rank=4,
        source="test",
    )
    RegistrationUnit.objects.create(registration=registration, unit=bare)
    client.force_login(world.learner)

    response = client.get(unit_page(registration, bare), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "No criteria of B/000/0001" in response.content.decode()


def test_the_unit_needs_sign_in(client: Client, world: World) -> None:
    registration = registered(world)
    unit = registration.units.get(key=IMI_MANDATORY[0])

    response = client.get(unit_page(registration, unit))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _former_eqa(centre: Centre) -> User:
    from accounts.models import Membership

    eqa = member(centre, Role.EQA)
    Membership.objects.filter(user=eqa).update(expires_on=datetime.date(2020, 1, 1))
    return eqa


# ---------------------------------------------------------------- what it shows


def test_the_page_lists_every_unit_and_no_criterion_until_one_is_opened(
    client: Client, world: World
) -> None:
    registration = registered(world)
    client.force_login(world.learner)

    html = client.get(page(registration)).content.decode()

    assert html.count("<h1") == 1
    for key in IMI_MANDATORY:
        assert key in html
    assert "Mandatory" in html
    every = criteria(registration)
    assert 'data-testid="criterion-' not in html
    assert f"0 of {len(every)} (0%)" in html
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="0"' in html
    assert "Add evidence" in html
    for unit in registration.units.all():
        total = len(criteria(registration, unit.key))
        block = re.search(rf'<li [^>]*data-testid="unit-{unit.pk}">(.*?)</li>', html, re.S)
        assert block, unit.key
        assert f"0 of {total} criteria met, 0 with evidence" in block.group(1)
        # Opened with htmx; without JavaScript the same URL is a page of its own.
        url = unit_page(registration, unit)
        assert f'hx-get="{url}"' in block.group(1)
        assert f'<a href="{url}">Show the criteria of' in block.group(1)
        assert "<summary>" in block.group(1)


def test_opening_each_unit_shows_its_outcomes_and_criteria(client: Client, world: World) -> None:
    registration = registered(world)
    client.force_login(world.learner)

    html = every_unit(client, registration)

    every = criteria(registration)
    assert html.count('data-testid="criterion-') == len(every)
    assert "Outcome 1:" in html
    assert html.count("No evidence</span>") == len(every)
    assert "<html" not in html


def test_the_fragment_says_what_arrived_and_the_plain_page_stands_alone(
    client: Client, world: World
) -> None:
    registration = registered(world)
    unit = registration.units.get(key=IMI_MANDATORY[0])
    total = len(criteria(registration, unit.key))
    client.force_login(world.learner)

    fragment = client.get(unit_page(registration, unit), headers={"HX-Request": "true"})
    plain = client.get(unit_page(registration, unit))

    assert "HX-Request" in fragment["Vary"]
    assert "HX-Request" in plain["Vary"]
    # The page's status line (role="status") is filled out of band, so it is announced.
    assert (
        '<p id="criteria-status" hx-swap-oob="innerHTML">Criteria of' in fragment.content.decode()
    )
    assert f"shown: {total}." in fragment.content.decode()
    html = plain.content.decode()
    assert html.count("<h1") == 1
    assert unit.title in html
    assert html.count('data-testid="criterion-') == total
    assert page(registration) in html  # back to the portfolio
    assert reverse("assessments:unit", args=[registration.pk, unit.pk]) in html


def test_submitted_evidence_marks_its_criteria_and_drafts_do_not(
    client: Client, world: World
) -> None:
    registration = registered(world)
    unit_criteria = criteria(registration, IMI_MANDATORY[0])
    first, second, third = unit_criteria[:3]
    record(registration, [first, second], title="Observed complaint")
    record(registration, [third], title="Unsigned notes", status=EvidenceStatus.DRAFT)
    client.force_login(world.learner)

    overview = client.get(page(registration)).content.decode()
    html = opened(client, registration, IMI_MANDATORY[0])

    assert "Evidence submitted" in row(html, first)
    assert "Observed complaint" in row(html, first)
    assert "version 1, submitted" in row(html, first)
    assert "Evidence submitted" in row(html, second)
    # The learner sees their draft against the criterion, which still has no evidence.
    assert "Unsigned notes" in row(html, third)
    assert "No evidence" in row(html, third)
    total = len(criteria(registration))
    assert f"2 of {total} (" in overview
    assert 'data-testid="progress-overall-evidenced-count">2 of' in overview
    assert f"0 of {len(unit_criteria)} criteria met, 2 with evidence" in overview


def test_the_assessor_never_sees_the_learners_drafts(client: Client, world: World) -> None:
    registration = registered(world)
    first = criteria(registration, IMI_MANDATORY[0])[0]
    record(registration, [first], title="Unsigned notes", status=EvidenceStatus.DRAFT)
    client.force_login(world.assessor)

    overview = client.get(page(registration)).content.decode()
    html = opened(client, registration, IMI_MANDATORY[0])

    assert "Unsigned notes" not in overview + html
    assert "No evidence" in row(html, first)
    assert "Add evidence" not in overview


def test_filtering_by_unit_shows_that_unit_with_its_criteria(client: Client, world: World) -> None:
    registration = registered(world)
    wanted = registration.units.get(key=IMI_MANDATORY[1])
    client.force_login(world.learner)

    html = client.get(page(registration, unit=str(wanted.pk))).content.decode()

    shown = set(re.findall(r'data-testid="criterion-(\d+)"', html))
    assert shown == {str(c.pk) for c in criteria(registration, IMI_MANDATORY[1])}
    assert "Showing 1 of" in html
    assert "<details open>" in html


def test_filtering_by_state_lists_the_units_with_such_criteria_and_opens_them_filtered(
    client: Client, world: World
) -> None:
    registration = registered(world)
    first_unit = criteria(registration, IMI_MANDATORY[0])
    evidenced = [*first_unit[:3], criteria(registration, IMI_MANDATORY[2])[0]]
    record(registration, evidenced)
    client.force_login(world.learner)

    html = client.get(page(registration, state="submitted")).content.decode()
    empty = client.get(page(registration, state="met")).content.decode()

    listed = set(re.findall(r'<li [^>]*data-testid="unit-(\d+)"', html))
    assert listed == {
        str(registration.units.get(key=key).pk) for key in (IMI_MANDATORY[0], IMI_MANDATORY[2])
    }
    assert re.search(r"<summary>Criteria of [^<:]+: 3 evidence submitted</summary>", html)
    assert (
        unit_page(registration, registration.units.get(key=IMI_MANDATORY[0])) + ("?state=submitted")
        in html
    )
    assert "Showing 2 of" in html
    assert "No criteria match the filter." in empty
    # Progress stays that of the whole portfolio.
    assert f"4 of {len(criteria(registration))}" in html
    fragment = opened(client, registration, IMI_MANDATORY[0], state="submitted")
    shown = set(re.findall(r'data-testid="criterion-(\d+)"', fragment))
    assert shown == {str(c.pk) for c in first_unit[:3]}
    assert "shown: 3 evidence submitted." in fragment
    unfiltered = opened(client, registration, IMI_MANDATORY[0], state="lost")
    assert unfiltered.count('data-testid="criterion-') == len(first_unit)


def test_a_filter_that_makes_no_sense_is_shown_as_an_error_not_a_crash(
    client: Client, world: World
) -> None:
    registration = registered(world)
    client.force_login(world.learner)

    response = client.get(page(registration, state="lost", unit="x"))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_registration_page_links_to_the_portfolio(client: Client, world: World) -> None:
    registration = registered(world)
    client.force_login(world.learner)

    html = client.get(reverse("portfolios:registration", args=[registration.pk])).content.decode()

    assert page(registration) in html


# ---------------------------------------------------------------- states and decisions


def test_a_decision_outranks_the_evidence() -> None:
    assert state_for(evidenced=False) == CriterionState.NO_EVIDENCE
    assert state_for(evidenced=True) == CriterionState.SUBMITTED
    assert state_for(evidenced=True, decision="met") == CriterionState.MET
    assert state_for(evidenced=True, decision="not_yet_met") == CriterionState.NOT_YET_MET
    assert state_for(evidenced=True, decision="verified") == CriterionState.VERIFIED
    with pytest.raises(ValueError, match="unknown decision"):
        state_for(evidenced=True, decision="submitted")


def test_criterion_states_cover_every_criterion_and_take_decisions(world: World) -> None:
    registration = registered(world)
    every = criteria(registration)
    met, verified, not_yet, evidenced = every[:4]
    record(registration, [met, verified, not_yet, evidenced])
    record(registration, [every[4]], title="Sent back", status=EvidenceStatus.RETURNED)

    states = criterion_states(
        registration,
        decisions={met.pk: "met", verified.pk: "verified", not_yet.pk: "not_yet_met"},
    )

    assert set(states) == {c.pk for c in every}
    assert states[met.pk] == "met"
    assert states[verified.pk] == "verified"
    assert states[not_yet.pk] == "not_yet_met"
    assert states[evidenced.pk] == "submitted"
    assert states[every[4].pk] == "no_evidence"  # returned for a new version
    assert states[every[5].pk] == "no_evidence"


def test_progress_counts_evidence_and_met_per_unit_and_overall(world: World) -> None:
    registration = registered(world)
    unit_criteria = criteria(registration, IMI_MANDATORY[0])
    record(registration, unit_criteria[:3])

    result = portfolio(
        registration,
        user=world.learner,
        decisions={unit_criteria[0].pk: "met", unit_criteria[1].pk: "verified"},
    )

    unit = next(u for u in result.units if u.unit.key == IMI_MANDATORY[0])
    assert (unit.progress.total, unit.progress.evidenced, unit.progress.met) == (
        len(unit_criteria),
        3,
        2,
    )
    assert result.progress.total == len(criteria(registration))
    assert (result.progress.evidenced, result.progress.met) == (3, 2)
    assert unit.mandatory


def test_units_come_in_the_qualifications_order(world: World) -> None:
    registration = sfj_with_every_unit(world)

    units = taken_units(registration)

    expected = list(
        QualificationUnit.objects.filter(qualification__number=SFJ)
        .order_by("position")
        .values_list("unit__key", flat=True)
    )
    assert [u.unit.key for u in units] == expected
    assert sum(len(u.criteria) for u in units) == len(criteria(registration))


# ---------------------------------------------------------------- cost


def _queries(client: Client, url: str, **headers: str) -> int:
    from django.db import connection

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(captured.captured_queries)


def every_sfj_unit_decided(world: World) -> Registration:
    """The largest portfolio there is: all 59 SFJ units, one piece of evidence per unit mapped
    to each of its criteria, every criterion judged met. Straight into the tables, in bulk:
    these tests are about the page, and the services have tests of their own."""
    from assessments.models import Decision

    registration = sfj_with_every_unit(world)
    every = criteria(registration)
    by_unit: dict[int, list[AssessmentCriterion]] = {}
    for criterion in every:
        by_unit.setdefault(criterion.unit_id, []).append(criterion)
    evidence = Evidence.objects.bulk_create(
        Evidence(
            registration=registration,
            title=f"Workplace observation {n}",
            evidence_date=datetime.date(2021, 1, 11),
            method=EvidenceMethod.OBSERVATION,
            context=EvidenceContext.REAL_WORK_PAID,
            status=EvidenceStatus.ASSESSED,
            created_by=world.learner,
        )
        for n in range(len(by_unit))
    )
    EvidenceCriterion.objects.bulk_create(
        EvidenceCriterion(evidence=piece, criterion=c, proposed_by=world.learner)
        for piece, unit_criteria in zip(evidence, by_unit.values(), strict=True)
        for c in unit_criteria
    )
    Decision.objects.bulk_create(
        Decision(
            registration=registration,
            criterion=c,
            outcome="met",
            method=EvidenceMethod.OBSERVATION,
            assessed_on=datetime.date(2021, 2, 1),
            assessor=world.assessor,
            feedback="Seen and well done.",
        )
        for c in every
    )
    return registration


def test_the_page_costs_the_same_queries_for_one_unit_as_for_every_sfj_unit(
    client: Client, world: World, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    small = RegistrationFactory(
        learner=world.learner,
        centre=world.centre,
        qualification=Qualification.objects.get(number=IMI),
    )
    RegistrationUnit.objects.create(
        registration=small, unit=Qualification.objects.get(number=IMI).memberships.first().unit
    )
    record(small, criteria(small)[:1])
    large = sfj_with_every_unit(world)
    every = criteria(large)
    for start in range(0, 600, 20):
        record(large, every[start : start + 20], title=f"Evidence {start}")
    record(large, every[600:610], title="A draft", status=EvidenceStatus.DRAFT)
    client.force_login(world.learner)
    _queries(client, page(small))  # warm the session

    with django_assert_num_queries(_queries(client, page(small))):
        response = client.get(page(large))

    html = response.content.decode()
    assert html.count('<li class="unit ') == 59
    assert f"600 of {len(every)}" in html
    # Session, user, registration (the learner's own: the predicate asks nothing more), the
    # current decisions (with the centre's release setting: the learner sees only released
    # ones), units, criteria counted, records, whether the qualification maps to a standard,
    # the membership (header), the units credited by transfer (SFJ section 2.8) and the
    # portfolios transferred in from another centre (issue 20; two more only where there is
    # one). The days criteria were met (the picture over time) come with the decisions: no
    # query of their own.
    with django_assert_num_queries(11):
        client.get(page(large, state="submitted"))
    # Filtered to one unit, its criteria come too: the unit with its criteria, the mappings.
    with django_assert_num_queries(13):
        client.get(page(large, unit=str(every[-1].unit_id)))


def test_a_unit_costs_the_same_queries_whatever_its_size_and_the_portfolios(
    client: Client, world: World, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    small = registered(world)
    large = sfj_with_every_unit(world)
    every = criteria(large)
    for start in range(0, 600, 20):
        record(large, every[start : start + 20], title=f"Evidence {start}")
    sizes = {u.pk: len(criteria(large, u.key)) for u in large.units.all()}
    largest = max(sizes, key=sizes.__getitem__)
    smallest_of_small = small.units.order_by("key").first()
    client.force_login(world.learner)
    htmx = {"HX-Request": "true"}
    _queries(client, unit_page(small, smallest_of_small), **htmx)  # warm the session

    # Session, user, registration, the unit's decisions (with the release setting), the unit
    # with its criteria and their outcomes, the mappings, and the membership (the EQA page log).
    with django_assert_num_queries(7):
        client.get(unit_page(small, smallest_of_small), headers=htmx)
    with django_assert_num_queries(7):
        response = client.get(unit_page(large, largest), headers=htmx)
    assert response.content.decode().count('data-testid="criterion-') == sizes[largest]
    # As a page of its own, the same.
    with django_assert_num_queries(7):
        client.get(unit_page(large, largest))
    # The assessor: the predicate asks whether they are assigned (one more; that they hold
    # the role at the centre comes from the memberships the request has loaded).
    client.force_login(world.assessor)
    _queries(client, unit_page(large, largest), **htmx)
    with django_assert_num_queries(8):
        client.get(unit_page(large, largest), headers=htmx)


def test_the_largest_portfolio_fits_in_150_kb_and_a_unit_comes_whole(
    client: Client, world: World
) -> None:
    """CI keeps the shape the benchmark times: the page of a learner with all 59 SFJ units
    and 1,232 criteria decided stays under 150 KB (it was 1 MB with every criterion on it)."""
    registration = every_sfj_unit_decided(world)
    every = criteria(registration)
    client.force_login(world.learner)

    response = client.get(page(registration))

    html = response.content.decode()
    assert len(every) == 1232
    assert len(response.content) <= 150 * 1024, f"{len(response.content) / 1024:.0f} KB"
    assert f"1232 of {len(every)} (100%)" in html
    assert html.count('<li class="unit ') == 59
    assert html.count(" criteria met, ") == 59
    assert 'data-testid="criterion-' not in html
    client.force_login(world.assessor)
    assert len(client.get(page(registration)).content) <= 150 * 1024
    largest = max(registration.units.all(), key=lambda unit: len(criteria(registration, unit.key)))
    fragment = opened(client, registration, largest.key)
    assert fragment.count("Met</span>") == len(criteria(registration, largest.key))
