"""The assignment brief pages: each rule tried from the pages by the wrong person or at the wrong
moment is refused with the rule and its source (Pearson BTEC specification, section 8: see
tests/assessments/test_briefs.py for the words of each rule); an EQA reads, never acts; the
pages cost the same number of queries for few or many briefs and learners."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from assessments import briefs
from assessments.models import AssignmentBrief, BriefExtension, BriefHandIn, BriefStatus, Outcome
from portfolios.models import RegistrationUnit
from tests.assessments.test_briefs import issued, judge, submitted_evidence, write
from tests.assessments.test_briefs import world as world
from tests.factories import CentreFactory, RegistrationFactory, member
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

LIST = reverse("assessments:briefs")


def url(name: str, brief: AssignmentBrief) -> str:
    return reverse(f"assessments:{name}", args=[brief.pk])


def signed_in(client: Client, user: object) -> Client:
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_assessor_writes_a_brief_from_the_page_and_issues_it(
    client: Client, world: dict
) -> None:
    today = clock.today()
    signed_in(client, world["assessor"])
    assert "Write a brief" in client.get(LIST).content.decode()
    response = client.post(
        LIST,
        {
            "qualification": world["pearson"].pk,
            "unit": world["unit"].pk,
            "outcomes": [world["outcome"].pk],
            "title": "Customer insight guide",
            "scenario": "A regional energy supplier's contact centre.",
            "audience": "New team members",
            "tasks": "Task 1: describe three sources of customer insight.",
            "start_date": today.isoformat(),
            "hand_in_date": (today + datetime.timedelta(days=21)).isoformat(),
        },
    )
    brief = AssignmentBrief.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("brief", brief)
    assert client.post(url("brief_issue", brief)).status_code == 302
    brief.refresh_from_db()
    assert brief.status == BriefStatus.ISSUED


def test_a_brief_without_a_scenario_is_refused_on_the_page_and_nothing_is_lost(
    client: Client, world: dict
) -> None:
    today = clock.today()
    signed_in(client, world["assessor"])
    response = client.post(
        LIST,
        {
            "qualification": world["pearson"].pk,
            "unit": world["unit"].pk,
            "outcomes": [world["outcome"].pk],
            "title": "Customer insight guide",
            "scenario": "   ",
            "audience": "New team members",
            "tasks": "Task 1",
            "start_date": today.isoformat(),
            "hand_in_date": (today + datetime.timedelta(days=21)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "Customer insight guide" in response.content.decode()
    assert not AssignmentBrief.objects.exists()


def test_the_wrong_people_are_refused_with_the_rule_and_its_source(
    client: Client, world: dict
) -> None:
    draft = write(world)
    # The IV does not issue (assessors set the centre's assignments).
    response = signed_in(client, world["iv"]).post(url("brief_issue", draft))
    assert response.status_code == 403
    assert "Pearson BTEC specification, section 8" in response.content.decode()
    # A learner does not write one.
    response = signed_in(client, world["learner"]).post(LIST, {"title": "Mine"})
    assert response.status_code == 403
    assert "only an assessor at the centre writes" in response.content.decode()
    # Another assessor of the centre, not the learner's, does not authorise their extension.
    brief = issued(world)
    response = signed_in(client, world["other_assessor"]).post(
        url("brief_extend", brief),
        {
            "registration": world["registration"].pk,
            "hand_in_date": (brief.hand_in_date + datetime.timedelta(days=5)).isoformat(),
            "reason": "Illness",
        },
    )
    assert response.status_code == 403
    assert "Dealing with late completion of assignments" in response.content.decode()
    # The assessor hands in nothing for the learner.
    response = signed_in(client, world["assessor"]).post(url("brief_hand_in", brief), {})
    assert response.status_code == 403
    assert "Only the learner hands in" in response.content.decode()
    assert "Authenticity of learner work" in response.content.decode()
    assert not BriefExtension.objects.exists()
    assert not BriefHandIn.objects.exists()


def test_the_learner_sees_issued_briefs_only_and_another_centre_finds_none(
    client: Client, world: dict
) -> None:
    draft, given = write(world, title="Draft one"), issued(world, title="Issued one")
    signed_in(client, world["learner"])
    listed = client.get(LIST).content.decode()
    assert "Issued one" in listed
    assert "Draft one" not in listed
    assert client.get(url("brief", draft)).status_code == 404
    assert client.get(url("brief", given)).status_code == 200
    stranger = member(CentreFactory(), Role.ASSESSOR)
    assert signed_in(client, stranger).get(url("brief", given)).status_code == 404


def test_the_learner_hands_in_at_the_right_moment_only(client: Client, world: dict) -> None:
    today = clock.today()
    evidence = submitted_evidence(world)
    later = issued(world, start_date=today + datetime.timedelta(days=3))
    signed_in(client, world["learner"])
    early = client.post(url("brief_hand_in", later), {"evidence": evidence.pk})
    assert early.status_code == 400
    assert "This assignment starts on" in early.content.decode()
    assert "a defined start date, a completion date" in early.content.decode()
    late = issued(
        world,
        start_date=today - datetime.timedelta(days=30),
        hand_in_date=today - datetime.timedelta(days=2),
    )
    page = client.get(url("brief", late)).content.decode()
    assert "Hand in your evidence" in page
    response = client.post(url("brief_hand_in", late), {"evidence": evidence.pk}, follow=True)
    assert "marked late" in response.content.decode()
    assert BriefHandIn.objects.get().late


def test_a_resubmission_after_a_pass_is_refused_on_the_page(client: Client, world: dict) -> None:
    brief = issued(world)
    first = submitted_evidence(world)
    briefs.hand_in(learner=world["learner"], brief=brief, evidence=first)
    judge(world, first, Outcome.MET)
    second = submitted_evidence(world, "Another go")
    response = signed_in(client, world["learner"]).post(
        url("brief_hand_in", brief), {"evidence": second.pk}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Resubmissions and retakes" in html
    assert "You have passed this assignment" in html


def test_the_eqa_reads_the_briefs_and_acts_on_none(client: Client, world: dict) -> None:
    brief = issued(world)
    eqa = member(world["centre"], Role.EQA)
    signed_in(client, eqa)
    assert "Write a brief" not in client.get(LIST).content.decode()
    page = client.get(url("brief", brief)).content.decode()
    assert world["learner"].full_name in page
    assert "Authorise an extension" not in page
    assert "Withdraw" not in page
    response = client.post(
        url("brief_extend", brief),
        {
            "registration": world["registration"].pk,
            "hand_in_date": (brief.hand_in_date + datetime.timedelta(days=5)).isoformat(),
            "reason": "Illness",
        },
    )
    assert response.status_code == 403
    assert client.post(url("brief_issue", brief)).status_code == 403


# ---------------------------------------------------------------- fixed query counts


def _more_briefs(world: dict, count: int) -> None:
    for number in range(count):
        issued(world, title=f"Brief {number}")


def _more_learners(world: dict, count: int) -> None:
    for _ in range(count):
        learner = member(world["centre"], Role.LEARNER)
        registration = RegistrationFactory(
            learner=learner, centre=world["centre"], qualification=world["pearson"]
        )
        RegistrationUnit.objects.create(registration=registration, unit=world["unit"])
        registration.assessors.add(world["assessor"])


# Session, user, the header's memberships and roles, then the page's own: the briefs (a count
# and a page) and the learner's own extensions and hand-ins (prefetched); the assessor's page
# adds the writing form's choices.
LIST_QUERIES = {"assessor": 10, "learner": 7}
# The brief, its outcomes and criteria, a page of learners (a count and the rows), their
# extensions, hand-ins and met criteria in one query each, and the forms' choices.
DETAIL_QUERIES = {"assessor": 12, "learner": 12}


@pytest.mark.parametrize("who", ["assessor", "learner"])
def test_the_briefs_list_costs_the_same_for_one_or_five_briefs(
    client: Client, world: dict, who: str, django_assert_num_queries: Any
) -> None:
    signed_in(client, world[who])
    issued(world)
    for extra in (0, 4):
        _more_briefs(world, extra)
        with django_assert_num_queries(LIST_QUERIES[who]):
            assert client.get(LIST).status_code == 200


@pytest.mark.parametrize("who", ["assessor", "learner"])
def test_a_brief_costs_the_same_for_one_or_five_learners(
    client: Client, world: dict, who: str, django_assert_num_queries: Any
) -> None:
    brief = issued(world)
    briefs.hand_in(learner=world["learner"], brief=brief, evidence=submitted_evidence(world))
    signed_in(client, world[who])
    for extra in (0, 4):
        _more_learners(world, extra)
        with django_assert_num_queries(DETAIL_QUERIES[who]):
            assert client.get(url("brief", brief)).status_code == 200


def test_the_assessor_sees_a_late_hand_in_flagged_on_the_assessing_page(
    client: Client, world: dict
) -> None:
    today = clock.today()
    brief = issued(
        world,
        start_date=today - datetime.timedelta(days=30),
        hand_in_date=today - datetime.timedelta(days=2),
    )
    evidence = submitted_evidence(world)
    briefs.hand_in(learner=world["learner"], brief=brief, evidence=evidence)
    page = signed_in(client, world["assessor"]).get(
        reverse("assessments:assess", args=[evidence.pk])
    )
    html = page.content.decode()
    assert 'data-testid="brief-hand-in"' in html
    assert "late" in html
    assert "assessed normally" in html
