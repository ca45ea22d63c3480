"""An assessment plan in the browser: the assessor drafts and signs it, the learner signs it,
and both home pages show it (with axe on every page)."""

from __future__ import annotations

import datetime

from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Role
from assessments import plans
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member
from tests.support import clock


def add_activity(site: AccessiblePage, description: str, target: datetime.date) -> None:
    page = site.page
    page.get_by_role("textbox", name="Activity").fill(description)
    page.get_by_label("Assessment method").select_option("observation")
    page.get_by_label("Target date").fill(target.isoformat())
    page.get_by_role("button", name="Add the activity").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("Activity added to the plan.")).to_be_visible()
    site.assert_accessible()


def sign_out(site: AccessiblePage) -> None:
    site.page.get_by_role("button", name="Sign out").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()


def test_an_assessor_and_learner_agree_a_plan_and_both_homes_show_it(
    site: AccessiblePage,
) -> None:
    today = clock.today()
    ensure_catalogue()
    centre = CentreFactory()
    imi = Qualification.objects.get(number="601/3456/2")
    centre.qualifications.add(imi)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR, full_name="Alex Assessor")
    learner = member(centre, Role.LEARNER, full_name="Ana Lima")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=imi,
        start_date=today - datetime.timedelta(days=30),
        assessors=[assessor],
    )
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(reverse("evidence:portfolio", args=[registration.pk]))
    page.get_by_role("link", name="Assessment plans").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_role("link", name="Start a plan").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Title").fill("Ana's first plan")
    page.get_by_role("button", name="Start the plan").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana's first plan")
    site.assert_accessible()

    add_activity(site, "Observe a customer handover", today - datetime.timedelta(days=1))
    add_activity(site, "Professional discussion on safety", today + datetime.timedelta(days=7))
    page.get_by_role("button", name="Sign the plan as assessor").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("plan-state")).to_contain_text(
        "Signed by the assessor, waiting for the learner"
    )
    site.assert_accessible()
    sign_out(site)

    site.goto("/accounts/login/")
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    expect(page.get_by_text("it waits for your signature")).to_be_visible()
    page.get_by_role("link", name="Read and sign the plan").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_role("button", name="Sign and agree the plan").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("You signed the plan: it is agreed.")).to_be_visible()
    site.assert_accessible()
    site.goto("/")
    activities = page.get_by_test_id(f"plan-activities-{registration.pk}")
    expect(activities).to_contain_text("Overdue")
    expect(activities).to_contain_text("Observe a customer handover")
    expect(activities).to_contain_text("Professional discussion on safety")
    sign_out(site)

    site.goto("/accounts/login/")
    sign_in(site, assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    row = page.get_by_role("row").filter(has_text="Ana Lima")
    expect(row).to_contain_text("1 overdue")
    page.get_by_label("Has overdue plan actions").check()
    page.get_by_role("button", name="Search and filter").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("row").filter(has_text="Ana Lima")).to_contain_text("1 overdue")


def test_the_assessor_finds_an_overdue_activity_on_the_plans_page_and_opens_its_plan(
    site: AccessiblePage,
) -> None:
    today = clock.today()
    ensure_catalogue()
    centre = CentreFactory()
    imi = Qualification.objects.get(number="601/3456/2")
    centre.qualifications.add(imi)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR, full_name="Alex Assessor")
    day = datetime.timedelta(days=1)

    def plan_of(name: str, title: str, *activities: tuple[str, datetime.date], agree: bool) -> None:
        learner = member(centre, Role.LEARNER, full_name=name)
        registration = register_learner(
            actor=admin,
            learner=learner,
            centre=centre,
            qualification=imi,
            start_date=today - 30 * day,
            assessors=[assessor],
        )
        plan = plans.plan_create(assessor=assessor, registration=registration, title=title)
        for description, target in activities:
            plans.activity_add(
                assessor=assessor,
                plan=plan,
                description=description,
                method="observation",
                target_date=target,
                criteria=[],
            )
        plans.assessor_sign(assessor=assessor, plan=plan)
        if agree:
            plans.learner_sign(learner=learner, plan=plan)

    plan_of("Ben Cole", "Ben's plan", ("Discuss tyre safety", today + 3 * day), agree=True)
    plan_of("Ana Lima", "Ana's plan", ("Observe a customer handover", today - 2 * day), agree=True)
    plan_of("Cat Dunn", "Cat's plan", ("Write up the service", today + day), agree=False)
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Plans", exact=True
    ).click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plans at")
    site.assert_accessible()
    rows = page.get_by_test_id("plan-row")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Overdue")
    expect(rows.first).to_contain_text("Observe a customer handover")
    expect(rows.nth(1)).to_contain_text("Discuss tyre safety")
    expect(rows.last).to_contain_text("Waiting for the learner’s signature")

    rows.first.get_by_role("link", name="Ana's plan").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana's plan")
    site.assert_accessible()

    page.set_viewport_size({"width": 390, "height": 844})
    site.goto(reverse("assessments:caseload_plans"))
    expect(page.get_by_test_id("plan-row").first).to_contain_text("Overdue")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    site.assert_accessible()
