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
from qualifications.models import AssessmentCriterion, Qualification, QualificationUnit
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
def test_who_may_open_the_portfolio(client: Client, world: World, who: str, status: int) -> None:
    registration = registered(world)
    people = {
        "learner": world.learner,
        "assessor": world.assessor,
        "iv": world.iv,
        "admin": world.admin,
        "eqa": lambda: member(world.centre, Role.EQA),
        "superuser": lambda: UserFactory(is_superuser=True, is_staff=True),
        "another learner": lambda: member(world.centre, Role.LEARNER),
        "an unassigned assessor": lambda: member(world.centre, Role.ASSESSOR),
        "another centre's admin": lambda: member(CentreFactory(), Role.CENTRE_ADMIN),
        "a former eqa": lambda: _former_eqa(world.centre),
    }
    person = people[who]
    client.force_login(person() if callable(person) else person)

    assert client.get(page(registration)).status_code == status


def _former_eqa(centre: Centre) -> User:
    from accounts.models import Membership

    eqa = member(centre, Role.EQA)
    Membership.objects.filter(user=eqa).update(expires_on=datetime.date(2020, 1, 1))
    return eqa


# ---------------------------------------------------------------- what it shows


def test_the_learner_sees_every_unit_outcome_and_criterion_with_no_evidence_yet(
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
    assert html.count('data-testid="criterion-') == len(every)
    assert "Outcome 1:" in html
    assert html.count("No evidence</span>") == len(every)
    assert f"0 of {len(every)} (0%)" in html
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="0"' in html
    assert "Add evidence" in html


def test_submitted_evidence_marks_its_criteria_and_drafts_do_not(
    client: Client, world: World
) -> None:
    registration = registered(world)
    first, second, third = criteria(registration, IMI_MANDATORY[0])[:3]
    record(registration, [first, second], title="Observed complaint")
    record(registration, [third], title="Unsigned notes", status=EvidenceStatus.DRAFT)
    client.force_login(world.learner)

    html = client.get(page(registration)).content.decode()

    assert "Evidence submitted" in row(html, first)
    assert "Observed complaint" in row(html, first)
    assert "version 1, submitted" in row(html, first)
    assert "Evidence submitted" in row(html, second)
    # The learner sees their draft against the criterion, which still has no evidence.
    assert "Unsigned notes" in row(html, third)
    assert "No evidence" in row(html, third)
    total = len(criteria(registration))
    assert f"2 of {total} (" in html
    assert 'data-testid="progress-overall-evidenced-count">2 of' in html


def test_the_assessor_never_sees_the_learners_drafts(client: Client, world: World) -> None:
    registration = registered(world)
    first = criteria(registration)[0]
    record(registration, [first], title="Unsigned notes", status=EvidenceStatus.DRAFT)
    client.force_login(world.assessor)

    html = client.get(page(registration)).content.decode()

    assert "Unsigned notes" not in html
    assert "No evidence" in row(html, first)
    assert "Add evidence" not in html


def test_filtering_by_unit_shows_that_unit_only(client: Client, world: World) -> None:
    registration = registered(world)
    wanted = registration.units.get(key=IMI_MANDATORY[1])
    client.force_login(world.learner)

    html = client.get(page(registration, unit=str(wanted.pk))).content.decode()

    shown = set(re.findall(r'data-testid="criterion-(\d+)"', html))
    assert shown == {str(c.pk) for c in criteria(registration, IMI_MANDATORY[1])}
    assert "Showing 1 of" in html


def test_filtering_by_state_shows_only_criteria_in_that_state(client: Client, world: World) -> None:
    registration = registered(world)
    evidenced = criteria(registration)[:4]
    record(registration, evidenced)
    client.force_login(world.learner)

    html = client.get(page(registration, state="submitted")).content.decode()
    empty = client.get(page(registration, state="met")).content.decode()

    shown = set(re.findall(r'data-testid="criterion-(\d+)"', html))
    assert shown == {str(c.pk) for c in evidenced}
    assert "No criteria match the filter." in empty
    # Progress stays that of the whole portfolio.
    assert f"4 of {len(criteria(registration))}" in html


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


def _queries(client: Client, url: str) -> int:
    from django.db import connection

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


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
    assert html.count('data-testid="criterion-') == len(every) > 1000
    assert f"600 of {len(every)}" in html
    # Session, user, registration, units, outcomes, criteria, mappings, records, membership,
    # the current assessment decisions, whether the qualification maps to a standard, and the
    # centre's release setting (the learner sees only released decisions).
    with django_assert_num_queries(12):
        client.get(page(large, state="submitted"))
