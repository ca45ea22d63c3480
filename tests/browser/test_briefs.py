"""A Pearson assignment brief in the browser (Pearson BTEC specification, section 8): the assessor
writes and issues it and authorises an extension, the learner reads their extended date and hands
in; axe-clean on every page, and the brief pages fit 390 px with no sideways scroll."""

from __future__ import annotations

import datetime

from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Role
from assessments.models import AssignmentBrief, BriefHandIn
from portfolios.models import RegistrationUnit
from qualifications.models import LearningOutcome, Qualification
from tests.assessments.test_briefs import pearson_unit, submitted_evidence
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_plans import sign_out
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, RegistrationFactory, member
from tests.support import clock


def test_an_assessor_issues_a_brief_and_the_learner_hands_in_by_the_extended_date(
    site: AccessiblePage,
) -> None:
    today = clock.today()
    ensure_catalogue()
    centre = CentreFactory()
    pearson = Qualification.objects.get(number="603/5449/5")
    centre.qualifications.add(pearson)
    unit = pearson_unit()
    outcome = LearningOutcome.objects.filter(unit=unit).order_by("position").first()
    assert outcome is not None
    assessor = member(centre, Role.ASSESSOR, full_name="Alex Assessor")
    learner = member(centre, Role.LEARNER, full_name="Ada Learner")
    registration = RegistrationFactory(learner=learner, centre=centre, qualification=pearson)
    RegistrationUnit.objects.create(registration=registration, unit=unit)
    registration.assessors.add(assessor)
    world = {"learner": learner, "registration": registration, "outcome": outcome}
    submitted_evidence(world, "Guide for new starters")
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(reverse("assessments:briefs"))
    page.get_by_label("Qualification").select_option(str(pearson.pk))
    page.locator("#id_unit").select_option(str(unit.pk))
    page.get_by_label(f"{unit.title}, LO{outcome.number}:").check()
    page.get_by_label("Title").fill("Customer insight guide")
    page.get_by_label("Vocational scenario or context").fill("A regional energy supplier.")
    page.get_by_label("Audience or purpose of the evidence").fill("New starters")
    page.get_by_label("Tasks, and the evidence the learner provides").fill("Task 1: a guide.")
    page.get_by_label("Start date").fill((today - datetime.timedelta(days=7)).isoformat())
    page.get_by_label("Completion (hand-in) date").fill(
        (today + datetime.timedelta(days=7)).isoformat()
    )
    page.get_by_role("button", name="Save the draft brief").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("brief-state")).to_have_text("Draft")
    site.assert_accessible()
    page.get_by_role("button", name="Issue to the learners").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("brief-state")).to_have_text("Issued")
    site.assert_accessible()
    extended = today + datetime.timedelta(days=14)
    page.locator("#id_registration").select_option(str(registration.pk))
    page.get_by_label("New hand-in date").fill(extended.isoformat())
    page.get_by_label("Legitimate reason").fill("Illness at the time of submission")
    page.get_by_role("button", name="Authorise the extension").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("Extension authorised")).to_be_visible()
    site.assert_accessible()
    sign_out(site)

    brief = AssignmentBrief.objects.get()
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.set_viewport_size({"width": 390, "height": 844})
    site.goto(reverse("assessments:briefs"))
    expect(page.get_by_test_id(f"brief-{brief.pk}")).to_contain_text("extended")
    fits(page)
    page.get_by_role("link", name="Customer insight guide").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    fits(page)
    page.get_by_label("Your submitted evidence").select_option(label="Guide for new starters (v1)")
    page.get_by_role("button", name="Hand in").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("First submission handed in.")).to_be_visible()
    site.assert_accessible()
    fits(page)
    assert not BriefHandIn.objects.get().late
