"""Off-the-job training in the browser: the apprentice logs hours, the assessor queries one with
a reason, the apprentice corrects it, the assessor approves; every page checked with axe."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import expect

from accounts.models import Role
from portfolios.models import OffTheJobActivity, OffTheJobStatus
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member


def switch_to(site: AccessiblePage, email: str) -> None:
    site.page.context.clear_cookies()
    site.goto("/accounts/login/")
    site.assert_accessible()
    sign_in(site, email, DEFAULT_PASSWORD)
    site.assert_accessible()


def test_hours_are_logged_queried_corrected_and_approved(site: AccessiblePage) -> None:
    ensure_catalogue()
    today = datetime.date.today()
    centre = CentreFactory()
    ncfe = Qualification.objects.get(number="601/3973/0")
    centre.qualifications.add(ncfe)
    assessor = member(centre, Role.ASSESSOR, full_name="Alex Assessor")
    learner = member(centre, Role.LEARNER, full_name="Ana Lima")
    registration = register_learner(
        actor=member(centre, Role.CENTRE_ADMIN),
        learner=learner,
        centre=centre,
        qualification=ncfe,
        start_date=today - datetime.timedelta(days=30),
        unit_keys=["F/506/2131"],
        assessors=[assessor],
    )
    page = site.page
    day = today - datetime.timedelta(days=2)

    # The apprentice reaches the log from their portfolio and logs an afternoon's workshop.
    switch_to(site, learner.email)
    site.goto(f"/portfolio/evidence/registration/{registration.pk}/")
    site.assert_accessible()
    page.get_by_role("link", name="Off-the-job training").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.locator("#id_date").fill(day.isoformat())
    page.locator("#id_hours").fill("3")
    page.get_by_label("Kind of training").select_option(label="English and maths")
    page.get_by_label("What you did and learned").fill("Workshop on complaint handling")
    page.get_by_role("checkbox", name=re.compile(r"^K1 ")).check()
    page.get_by_role("button", name="Log the training").click()
    page.wait_for_load_state("load")
    # English and maths do not count: refused with the reason, what was typed kept.
    site.assert_accessible()
    expect(page.get_by_test_id("error-summary")).to_contain_text("not off-the-job training")
    expect(page.get_by_label("What you did and learned")).to_have_value(
        "Workshop on complaint handling"
    )
    page.get_by_label("Kind of training").select_option(label="Teaching or lecture")
    page.get_by_role("button", name="Log the training").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("off-the-job-entry")).to_contain_text("Submitted")
    expect(page.get_by_test_id("off-the-job-weeks")).to_contain_text("3")

    # The assessor queries it with a reason.
    switch_to(site, assessor.email)
    site.goto(f"/portfolio/off-the-job/registration/{registration.pk}/")
    site.assert_accessible()
    page.get_by_label("Query: what is wrong").fill("Was the workshop three hours or two?")
    page.get_by_role("button", name="Query").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("query-reason")).to_contain_text("three hours or two")

    # The apprentice corrects it.
    switch_to(site, learner.email)
    site.goto(f"/portfolio/off-the-job/registration/{registration.pk}/")
    site.assert_accessible()
    page.get_by_role("link", name="Correct").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.locator("#id_hours").fill("2")
    page.get_by_role("button", name="Submit the correction").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("off-the-job-entry")).to_contain_text("Submitted")

    # The assessor approves it.
    switch_to(site, assessor.email)
    site.goto(f"/portfolio/off-the-job/registration/{registration.pk}/")
    site.assert_accessible()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("off-the-job-entry")).to_contain_text("Approved")
    expect(page.get_by_test_id("off-the-job-totals")).to_contain_text("2 hours")
    [activity] = OffTheJobActivity.objects.all()
    assert (activity.status, activity.hours) == (OffTheJobStatus.APPROVED, 2)
