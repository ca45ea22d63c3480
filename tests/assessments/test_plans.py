"""Assessment plans: drafting, signing by both, marking done, revising; the pages and who may
use them; what the home pages show."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from assessments import plans
from assessments.models import AssessmentPlan, PlanActivity
from assessments.services import AssessmentError
from core.audit import verify_chain
from core.models import AuditEvent
from portfolios.services import register_learner
from qualifications.models import AssessmentCriterion, Qualification
from tests.assessments.test_decisions import make_case
from tests.factories import CentreFactory, member
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

DAY = datetime.timedelta(days=1)


@pytest.fixture
def case() -> dict:
    return make_case()


def draft(case: dict, *activities: tuple[str, datetime.date]) -> AssessmentPlan:
    plan = plans.plan_create(
        assessor=case["assessor"], registration=case["registration"], title="First plan"
    )
    for description, target in activities:
        plans.activity_add(
            assessor=case["assessor"],
            plan=plan,
            description=description,
            method="observation",
            target_date=target,
            criteria=case["unit"].criteria.order_by("position")[:2],
        )
    return plan


def agreed(case: dict, *activities: tuple[str, datetime.date]) -> AssessmentPlan:
    plan = draft(case, *activities)
    plans.assessor_sign(assessor=case["assessor"], plan=plan)
    return plans.learner_sign(learner=case["learner"], plan=plan)


def actions(plan: AssessmentPlan) -> list[str]:
    events = AuditEvent.objects.filter(object_id=str(plan.pk), action__startswith="plan.")
    return list(events.order_by("pk").values_list("action", flat=True))


# ---------------------------------------------------------------- services


def test_a_plan_is_drafted_signed_by_both_and_then_agreed_with_audit_events(case: dict) -> None:
    today = clock.today()
    plan = draft(case, ("Observe a customer handover", today + 7 * DAY))
    activity = plan.activities.get()
    assert plan.is_draft
    assert not plan.is_agreed
    assert set(activity.criteria.all()) == set(case["unit"].criteria.order_by("position")[:2])

    plans.assessor_sign(assessor=case["assessor"], plan=plan)
    plan.refresh_from_db()
    assert plan.assessor_signed_by == case["assessor"]
    assert len(plan.content_hash) == 64
    assert not AssessmentPlan.objects.in_force().exists()

    plans.learner_sign(learner=case["learner"], plan=plan)
    plan.refresh_from_db()
    assert plan.is_agreed
    assert list(AssessmentPlan.objects.in_force()) == [plan]
    assert actions(plan) == [
        "plan.created",
        "plan.activity_added",
        "plan.assessor_signed",
        "plan.learner_signed",
    ]
    signed = AuditEvent.objects.get(action="plan.learner_signed")
    assert signed.actor == case["learner"]
    assert signed.data == {"content_hash": plan.content_hash}
    assert signed.centre_id == case["centre"].pk
    assert verify_chain() == []


def test_the_learner_cannot_sign_before_the_assessor(case: dict) -> None:
    today = clock.today()
    plan = draft(case, ("Observe", today))

    with pytest.raises(AssessmentError, match="has not signed this plan yet"):
        plans.learner_sign(learner=case["learner"], plan=plan)
    plan.refresh_from_db()
    assert plan.learner_signed_at is None


def test_only_the_learner_countersigns_and_only_once(case: dict) -> None:
    today = clock.today()
    plan = draft(case, ("Observe", today))
    plans.assessor_sign(assessor=case["assessor"], plan=plan)

    with pytest.raises(AssessmentError, match="Only the learner"):
        plans.learner_sign(learner=case["other_assessor"], plan=plan)
    plans.learner_sign(learner=case["learner"], plan=plan)
    with pytest.raises(AssessmentError, match="already signed"):
        plans.learner_sign(learner=case["learner"], plan=plan)


def test_an_empty_plan_cannot_be_signed(case: dict) -> None:
    plan = draft(case)

    with pytest.raises(AssessmentError, match="at least one activity"):
        plans.assessor_sign(assessor=case["assessor"], plan=plan)


def test_a_signed_plan_cannot_be_edited(case: dict) -> None:
    today = clock.today()
    plan = draft(case, ("Observe", today))
    plans.assessor_sign(assessor=case["assessor"], plan=plan)

    with pytest.raises(AssessmentError, match="Revise it"):
        plans.activity_add(
            assessor=case["assessor"],
            plan=plan,
            description="More",
            method="product",
            target_date=today,
        )
    with pytest.raises(AssessmentError, match="Revise it"):
        plans.activity_remove(assessor=case["assessor"], activity=plan.activities.get())
    assert plan.activities.count() == 1


def test_a_draft_activity_can_be_removed_with_its_event(case: dict) -> None:
    today = clock.today()
    plan = draft(case, ("Observe", today), ("Discuss", today))
    first = plan.activities.order_by("position").first()

    plans.activity_remove(assessor=case["assessor"], activity=first)

    assert [a.description for a in plan.activities.all()] == ["Discuss"]
    event = AuditEvent.objects.get(action="plan.activity_removed")
    assert event.data == {"activity": first.pk, "description": "Observe"}


def test_only_an_assigned_assessor_plans_and_only_the_learners_own_criteria(case: dict) -> None:
    today = clock.today()
    outsider = member(case["centre"], Role.ASSESSOR)
    with pytest.raises(AssessmentError, match="Only an assessor assigned"):
        plans.plan_create(assessor=outsider, registration=case["registration"], title="Mine")
    with pytest.raises(AssessmentError, match="Only an assessor assigned"):
        plans.plan_create(assessor=case["iv"], registration=case["registration"], title="Mine")
    plan = draft(case)
    taken = case["registration"].unit_choices.values("unit_id")
    foreign = AssessmentCriterion.objects.exclude(unit_id__in=taken).first()

    with pytest.raises(AssessmentError, match="units this learner takes"):
        plans.activity_add(
            assessor=case["assessor"],
            plan=plan,
            description="Elsewhere",
            method="product",
            target_date=today,
            criteria=[foreign],
        )
    with pytest.raises(AssessmentError, match="already has a plan"):
        draft(case)
    assert not plan.activities.exists()


def test_activities_are_overdue_only_in_the_agreed_plan_in_force(case: dict) -> None:
    today = clock.today()
    plan = draft(case, ("Late", today - DAY), ("Due today", today), ("Later", today + DAY))
    assert not PlanActivity.objects.overdue(today).exists()  # a draft binds nobody yet

    plans.assessor_sign(assessor=case["assessor"], plan=plan)
    plans.learner_sign(learner=case["learner"], plan=plan)

    late = plan.activities.get(description="Late")
    assert list(PlanActivity.objects.overdue(today)) == [late]
    plans.activity_done(assessor=case["assessor"], activity=late)
    assert not PlanActivity.objects.overdue(today).exists()
    late.refresh_from_db()
    assert late.completed_by == case["assessor"]
    assert AuditEvent.objects.filter(action="plan.activity_done", data__activity=late.pk).exists()
    with pytest.raises(AssessmentError, match="already marked done"):
        plans.activity_done(assessor=case["assessor"], activity=late)


def test_a_draft_activity_cannot_be_marked_done(case: dict) -> None:
    today = clock.today()
    plan = draft(case, ("Observe", today))

    with pytest.raises(AssessmentError, match="agreed plan in force"):
        plans.activity_done(assessor=case["assessor"], activity=plan.activities.get())


def test_a_revision_supersedes_the_agreed_plan_which_stays_in_force_until_agreed(
    case: dict,
) -> None:
    today = clock.today()
    plan = agreed(case, ("Done already", today - 2 * DAY), ("Late", today - DAY))
    plans.activity_done(
        assessor=case["assessor"], activity=plan.activities.get(description="Done already")
    )

    with pytest.raises(AssessmentError, match="Say why"):
        plans.plan_revise(assessor=case["assessor"], plan=plan, reason="  ")
    revision = plans.plan_revise(
        assessor=case["assessor"], plan=plan, reason="The learner changed shifts."
    )

    # Only what is not yet done is carried forward; the agreed plan is untouched.
    assert [a.description for a in revision.activities.all()] == ["Late"]
    assert set(revision.activities.get().criteria.all()) == set(
        plan.activities.get(description="Late").criteria.all()
    )
    assert revision.supersedes == plan
    assert revision.is_draft
    assert plan.activities.count() == 2
    assert list(AssessmentPlan.objects.in_force()) == [plan]
    assert PlanActivity.objects.overdue(today).get().plan == plan
    with pytest.raises(AssessmentError, match="newer version"):
        plans.plan_revise(assessor=case["assessor"], plan=plan, reason="Again")

    plans.activity_remove(assessor=case["assessor"], activity=revision.activities.get())
    plans.activity_add(
        assessor=case["assessor"],
        plan=revision,
        description="Observe on the new shift",
        method="observation",
        target_date=today + 7 * DAY,
    )
    plans.assessor_sign(assessor=case["assessor"], plan=revision)
    plans.learner_sign(learner=case["learner"], plan=revision)

    assert list(AssessmentPlan.objects.in_force()) == [revision]
    assert not PlanActivity.objects.overdue(today).exists()
    assert AuditEvent.objects.get(action="plan.revised").data == {
        "supersedes": plan.pk,
        "reason": "The learner changed shifts.",
    }


def test_a_superseded_plan_cannot_be_countersigned(case: dict) -> None:
    today = clock.today()
    plan = draft(case, ("Observe", today))
    plans.assessor_sign(assessor=case["assessor"], plan=plan)
    plans.plan_revise(assessor=case["assessor"], plan=plan, reason="Wrong date.")

    with pytest.raises(AssessmentError, match="newer version"):
        plans.learner_sign(learner=case["learner"], plan=plan)


# ---------------------------------------------------------------- pages


def plan_url(plan: AssessmentPlan, name: str = "plan", *args: object) -> str:
    return reverse(f"assessments:{name}", args=[plan.pk, *args])


def test_the_assessor_drafts_and_signs_through_the_pages(client: Client, case: dict) -> None:
    today = clock.today()
    client.force_login(case["assessor"])
    registration = case["registration"]
    criterion = case["unit"].criteria.get(number="1.1")

    page = client.get(reverse("assessments:plans", args=[registration.pk])).content.decode()
    assert "Start a plan" in page
    response = client.post(
        reverse("assessments:plan_create", args=[registration.pk]),
        {"title": "Plan for Ana", "summary": "Three months."},
    )
    plan = AssessmentPlan.objects.get(registration=registration)
    assert response.status_code == 302
    assert response["Location"] == plan_url(plan)

    # Bad input keeps what was typed and says what is wrong.
    bad = client.post(
        plan_url(plan, "plan_activity_add"),
        {"description": "Observe a handover", "method": "observation", "target_date": "soon"},
    )
    assert bad.status_code == 400
    assert "Enter a valid date." in bad.content.decode()
    assert "Observe a handover" in bad.content.decode()
    client.post(
        plan_url(plan, "plan_activity_add"),
        {
            "description": "Observe a handover",
            "method": "observation",
            "target_date": (today - DAY).isoformat(),
            "criteria": [criterion.pk],
        },
    )
    assert list(plan.activities.get().criteria.all()) == [criterion]

    response = client.post(plan_url(plan, "plan_assessor_sign"), follow=True)
    html = response.content.decode()
    assert "It now waits for the learner&#x27;s signature." in html
    assert "Signed by the assessor, waiting for the learner" in html
    assert "Add an activity" not in html

    client.force_login(case["learner"])
    html = client.get(plan_url(plan)).content.decode()
    assert "Sign and agree the plan" in html
    html = client.post(plan_url(plan, "plan_learner_sign"), follow=True).content.decode()
    assert "it is agreed" in html
    # Agreed, in force and past its target date: marked overdue in words, not only colour.
    assert "Overdue" in html
    assert "(the plan in force)" in html


def test_the_portfolio_links_to_the_plans(client: Client, case: dict) -> None:
    client.force_login(case["learner"])

    html = client.get(reverse("evidence:portfolio", args=[case["registration"].pk])).content
    assert reverse("assessments:plans", args=[case["registration"].pk]).encode() in html


@pytest.mark.parametrize("role", ["learner", "iv", "admin", "eqa", "other_assessor"])
def test_people_who_may_read_the_plan_read_it(client: Client, case: dict, role: str) -> None:
    today = clock.today()
    plan = agreed(case, ("Observe a handover", today + DAY))
    person = case.get(role) or member(case["centre"], role)
    client.force_login(person)

    html = client.get(plan_url(plan)).content.decode()
    assert "Observe a handover" in html
    listing = client.get(reverse("assessments:plans", args=[case["registration"].pk]))
    assert listing.status_code == 200
    assert "First plan" in listing.content.decode()


@pytest.mark.parametrize("role", ["learner", "iv", "admin", "eqa"])
def test_readers_cannot_change_the_plan(client: Client, case: dict, role: str) -> None:
    today = clock.today()
    plan = draft(case, ("Observe", today))
    activity = plan.activities.get()
    person = case.get(role) or member(case["centre"], role)
    client.force_login(person)

    html = client.get(plan_url(plan)).content.decode()
    assert "Add an activity" not in html
    assert "Sign the plan as assessor" not in html
    for url in (
        plan_url(plan, "plan_activity_add"),
        plan_url(plan, "plan_activity_remove", activity.pk),
        plan_url(plan, "plan_activity_done", activity.pk),
        plan_url(plan, "plan_assessor_sign"),
        plan_url(plan, "plan_revise"),
        reverse("assessments:plan_create", args=[case["registration"].pk]),
    ):
        assert client.post(url, {"reason": "x", "title": "x"}).status_code == 403, url
    plan.refresh_from_db()
    assert plan.is_draft
    assert plan.activities.count() == 1


def test_only_the_learner_may_countersign(client: Client, case: dict) -> None:
    today = clock.today()
    plan = draft(case, ("Observe", today))
    plans.assessor_sign(assessor=case["assessor"], plan=plan)
    client.force_login(case["assessor"])

    assert client.post(plan_url(plan, "plan_learner_sign")).status_code == 403
    plan.refresh_from_db()
    assert plan.learner_signed_at is None


def test_a_learner_signing_too_early_is_told_why(client: Client, case: dict) -> None:
    today = clock.today()
    plan = draft(case, ("Observe", today))
    client.force_login(case["learner"])

    response = client.post(plan_url(plan, "plan_learner_sign"))
    assert response.status_code == 400
    assert "has not signed this plan yet" in response.content.decode()


@pytest.mark.parametrize("who", ["another_learner", "other_centre_assessor", "unassigned"])
def test_people_outside_the_registration_get_404(client: Client, case: dict, who: str) -> None:
    today = clock.today()
    plan = draft(case, ("Observe", today))
    other = CentreFactory()
    person = {
        "another_learner": lambda: member(case["centre"], Role.LEARNER),
        "other_centre_assessor": lambda: member(other, Role.ASSESSOR),
        "unassigned": lambda: member(case["centre"], Role.ASSESSOR),
    }[who]()
    client.force_login(person)

    assert client.get(plan_url(plan)).status_code == 404
    assert (
        client.get(reverse("assessments:plans", args=[case["registration"].pk])).status_code == 404
    )
    assert client.post(plan_url(plan, "plan_assessor_sign")).status_code == 404
    assert client.post(plan_url(plan, "plan_learner_sign")).status_code == 404


def test_revising_through_the_page_needs_a_reason(client: Client, case: dict) -> None:
    today = clock.today()
    plan = agreed(case, ("Observe", today + DAY))
    client.force_login(case["assessor"])

    response = client.post(plan_url(plan, "plan_revise"), {"reason": ""})
    assert response.status_code == 400
    assert not AssessmentPlan.objects.filter(supersedes=plan).exists()
    response = client.post(plan_url(plan, "plan_revise"), {"reason": "New shift pattern."})
    revision = AssessmentPlan.objects.get(supersedes=plan)
    assert response["Location"] == plan_url(revision)
    html = client.get(plan_url(plan)).content.decode()
    assert "see the newer version" in html


def test_the_plan_page_costs_the_same_for_1_or_20_activities(
    client: Client, case: dict, django_assert_num_queries
) -> None:
    today = clock.today()
    plan = agreed(case, ("Observe", today - DAY))
    client.force_login(case["assessor"])
    client.get(plan_url(plan))
    with CaptureQueriesContext(connection) as few:
        client.get(plan_url(plan))
    revision = plans.plan_revise(assessor=case["assessor"], plan=plan, reason="More work.")
    for n in range(19):
        plans.activity_add(
            assessor=case["assessor"],
            plan=revision,
            description=f"Activity {n}",
            method="product",
            target_date=today + n * DAY,
            criteria=case["unit"].criteria.order_by("position")[: n % 4],
        )
    plans.assessor_sign(assessor=case["assessor"], plan=revision)
    plans.learner_sign(learner=case["learner"], plan=revision)

    with django_assert_num_queries(len(few)):
        html = client.get(plan_url(revision)).content.decode()
    assert html.count("Mark done") == 20


# ---------------------------------------------------------------- the home pages


def test_the_learner_home_shows_the_next_and_overdue_activities(client: Client, case: dict) -> None:
    today = clock.today()
    agreed(case, ("Late one", today - DAY), ("Next one", today + DAY))
    client.force_login(case["learner"])

    html = client.get("/").content.decode()
    assert "Your assessment plan" in html
    assert "Late one" in html
    assert "Next one" in html
    assert "Overdue" in html


def test_the_learner_home_asks_for_a_signature(client: Client, case: dict) -> None:
    today = clock.today()
    plan = draft(case, ("Observe", today + DAY))
    plans.assessor_sign(assessor=case["assessor"], plan=plan)
    client.force_login(case["learner"])

    html = client.get("/").content.decode()
    assert "waits for your signature" in html
    assert plan_url(plan) in html


def test_the_learner_home_costs_the_same_with_a_plan_of_any_size(
    client: Client, django_assert_num_queries
) -> None:
    today = clock.today()
    centre = CentreFactory()
    imi = Qualification.objects.get(number="601/3456/2")
    centre.qualifications.add(imi)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR)
    learner = member(centre, Role.LEARNER)
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=imi,
        start_date=today,
        assessors=[assessor],
    )
    small = {"assessor": assessor, "learner": learner, "registration": registration}
    small["unit"] = registration.unit_choices.first().unit
    plan = agreed(small, ("One", today - DAY))
    client.force_login(learner)
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    revision = plans.plan_revise(assessor=assessor, plan=plan, reason="More.")
    for n in range(30):
        plans.activity_add(
            assessor=assessor,
            plan=revision,
            description=f"Activity {n}",
            method="product",
            target_date=today + (n - 10) * DAY,
        )
    plans.assessor_sign(assessor=assessor, plan=revision)
    plans.learner_sign(learner=learner, plan=revision)

    with django_assert_num_queries(len(few)):
        html = client.get("/").content.decode()
    assert "Activity 0" in html
