"""The staff's Plans page (assessments:caseload_plans): the plan activities and plans to sign
across the learners the role worn covers at its centre, worst first; who may open it; the
filter; a constant cost."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, Role, User
from assessments import plans
from assessments.models import AssessmentPlan
from portfolios.models import Registration
from tests.factories import MembershipFactory, member
from tests.support import clock
from tests.verification.cases import Centre_, add_learner, make_centre

pytestmark = pytest.mark.usefixtures("catalogue")

DAY = datetime.timedelta(days=1)
URL = reverse("assessments:caseload_plans")


def plan_for(
    registration: Registration,
    assessor: User,
    *activities: tuple[str, datetime.date],
    sign: str = "both",
    title: str = "Plan",
) -> AssessmentPlan:
    """A plan with `activities`, signed by "both", by the "assessor" only, or by "nobody"."""
    plan = plans.plan_create(assessor=assessor, registration=registration, title=title)
    criteria = registration.unit_choices.first().unit.criteria.order_by("position")[:1]
    for description, target in activities:
        plans.activity_add(
            assessor=assessor,
            plan=plan,
            description=description,
            method="observation",
            target_date=target,
            criteria=criteria,
        )
    if sign in ("assessor", "both"):
        plans.assessor_sign(assessor=assessor, plan=plan)
    if sign == "both":
        plan = plans.learner_sign(learner=registration.learner, plan=plan)
    return plan


@pytest.fixture
def made() -> Centre_:
    return make_centre(assessors=2)


def rows(html: str) -> list[str]:
    """The rows' states, in the page's order."""
    return [part.split('"')[0] for part in html.split('data-state="')[1:]]


def test_overdue_first_then_upcoming_by_date_then_plans_to_sign(
    client: Client, made: Centre_
) -> None:
    today = clock.today()
    assessor = made.assessors[0]
    ana = add_learner(made, assessor, name="Ana Lima")
    ben = add_learner(made, assessor, name="Ben Cole")
    cat = add_learner(made, assessor, name="Cat Dunn")
    plan_for(ana, assessor, ("Observe the MOT", today + 9 * DAY), ("Late review", today - 3 * DAY))
    plan_for(ben, assessor, ("Discuss tyres", today + 2 * DAY), ("Done already", today - DAY))
    ben_activity = ben.plans.get().activities.get(description="Done already")
    plans.activity_done(assessor=assessor, activity=ben_activity)
    plan_for(cat, assessor, ("Unsigned work", today - 5 * DAY), sign="assessor", title="Cat's plan")
    client.force_login(assessor)

    html = client.get(URL).content.decode()

    assert rows(html) == ["overdue", "upcoming", "upcoming", "to_sign"]
    assert html.index("Late review") < html.index("Discuss tyres") < html.index("Observe the MOT")
    assert html.index("Observe the MOT") < html.index("Cat&#x27;s plan")
    # Done, or in a plan not agreed yet: no activity row.
    assert "Done already" not in html
    assert "Unsigned work" not in html
    assert "learner’s signature" in html
    assert "Ana Lima" in html
    assert "601/3456/2" in html
    assert (today - 3 * DAY).strftime("%-d %B %Y") in html
    assert "Observation" in html
    assert reverse("assessments:plan", args=[ana.plans.get().pk]) in html
    assert 'aria-current="page"' in html


def test_a_draft_waits_for_the_assessors_signature(client: Client, made: Centre_) -> None:
    today = clock.today()
    assessor = made.assessors[0]
    ana = add_learner(made, assessor, name="Ana Lima")
    plan_for(ana, assessor, ("Observe", today), sign="nobody", title="Draft plan")
    client.force_login(assessor)

    html = client.get(URL).content.decode()

    assert rows(html) == ["to_sign"]
    assert "assessor’s signature" in html


@pytest.mark.parametrize(
    ("state", "expected"),
    [("overdue", ["overdue"]), ("upcoming", ["upcoming"]), ("to_sign", ["to_sign"])],
)
def test_the_filter_shows_one_state(
    client: Client, made: Centre_, state: str, expected: list[str]
) -> None:
    today = clock.today()
    assessor = made.assessors[0]
    ana = add_learner(made, assessor)
    ben = add_learner(made, assessor)
    plan_for(ana, assessor, ("Late", today - DAY), ("Soon", today + DAY))
    plan_for(ben, assessor, ("Later", today + DAY), sign="assessor")
    client.force_login(assessor)

    assert rows(client.get(URL, {"state": state}).content.decode()) == expected


def test_an_unknown_state_is_refused_with_a_message_and_shows_everything(
    client: Client, made: Centre_
) -> None:
    today = clock.today()
    assessor = made.assessors[0]
    plan_for(add_learner(made, assessor), assessor, ("Late", today - DAY))
    client.force_login(assessor)

    html = client.get(URL, {"state": "lost"}).content.decode()

    assert 'data-testid="state-error"' in html
    assert "Select a valid choice" in html
    assert rows(html) == ["overdue"]


def test_the_page_shows_only_the_assessors_own_learners_at_the_centre_worn(
    client: Client, made: Centre_
) -> None:
    today = clock.today()
    mine, theirs = made.assessors
    plan_for(add_learner(made, mine, name="Ana Lima"), mine, ("Mine", today - DAY))
    plan_for(add_learner(made, theirs, name="Ben Cole"), theirs, ("Theirs", today - DAY))
    # The same assessor at another centre, with a learner there: behind the centre's wall.
    elsewhere = make_centre(assessors=0)
    MembershipFactory(user=mine, centre=elsewhere.centre, role=Role.ASSESSOR)
    plan_for(add_learner(elsewhere, mine, name="Cy Far"), mine, ("Elsewhere", today - DAY))
    client.force_login(mine)
    here = Membership.objects.get(user=mine, centre=made.centre)
    client.post(reverse("switch_role"), {"membership": here.pk})

    html = client.get(URL).content.decode()

    assert "Mine" in html
    assert "Theirs" not in html
    assert "Ben Cole" not in html
    assert "Elsewhere" not in html
    assert "Cy Far" not in html


def test_the_iv_sees_the_plans_of_the_learners_they_cover(client: Client, made: Centre_) -> None:
    today = clock.today()
    assessor = made.assessors[0]
    plan_for(add_learner(made, assessor, name="Ana Lima"), assessor, ("Covered", today - DAY))
    other_iv = member(made.centre, Role.INTERNAL_VERIFIER)
    ben = add_learner(made, assessor, name="Ben Cole")
    Registration.objects.filter(pk=ben.pk).update(internal_verifier=other_iv)
    plan_for(ben, assessor, ("Not covered", today - DAY))
    client.force_login(made.iv)

    html = client.get(URL).content.decode()

    assert "Covered" in html
    assert "Not covered" not in html
    assert "cover as internal verifier" in html


@pytest.mark.parametrize("role", ["learner", "admin"])
def test_learners_and_centre_admins_are_refused(client: Client, made: Centre_, role: str) -> None:
    registration = add_learner(made, made.assessors[0])
    client.force_login(registration.learner if role == "learner" else made.admin)

    assert client.get(URL).status_code == 403


def test_nothing_to_show_says_so(client: Client, made: Centre_) -> None:
    add_learner(made, made.assessors[0])
    client.force_login(made.assessors[0])

    html = client.get(URL).content.decode()

    assert 'data-testid="plans-empty"' in html
    assert "no open plan activities" in html


def test_the_rows_are_paged(client: Client, made: Centre_) -> None:
    today = clock.today()
    assessor = made.assessors[0]
    registration = add_learner(made, assessor)
    plan_for(registration, assessor, *((f"Step {n}", today + n * DAY) for n in range(26)))
    plan_for(
        add_learner(made, assessor),
        assessor,
        ("Draft step", today),
        sign="assessor",
        title="Sign me",
    )
    client.force_login(assessor)

    first = client.get(URL).content.decode()
    second = client.get(URL, {"page": 2}).content.decode()

    assert len(rows(first)) == 25
    assert "Page 1 of 2" in first
    assert rows(second) == ["upcoming", "to_sign"]
    assert "Step 25" in second
    assert "Sign me" in second


def test_the_page_costs_the_same_for_few_or_many_plans_and_learners(
    client: Client, made: Centre_, django_assert_num_queries
) -> None:
    today = clock.today()
    assessor = made.assessors[0]
    plan_for(add_learner(made, assessor), assessor, ("Late", today - DAY), ("Soon", today + DAY))
    plan_for(add_learner(made, assessor), assessor, ("Draft", today), sign="assessor")
    client.force_login(assessor)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(6):
        plan_for(
            add_learner(made, assessor),
            assessor,
            *((f"Work {n}.{k}", today + (k - 2) * DAY) for k in range(4)),
            sign=("both", "assessor", "nobody")[n % 3],
        )

    with django_assert_num_queries(len(few)):
        html = client.get(URL).content.decode()
    assert len(rows(html)) > 10
