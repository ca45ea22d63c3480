"""Assessor-made records in the browser: the assessor records an observation, the learner
acknowledges it (with axe on every page)."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from accounts.models import Role
from assessments.models import AssessorRecord
from portfolios.services import register_learner
from qualifications.models import Qualification, Unit
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member


def test_an_assessor_records_an_observation_and_the_learner_acknowledges_it(
    site: AccessiblePage,
) -> None:
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
        start_date=datetime.date.today(),
        assessors=[assessor],
    )
    criterion = Unit.objects.get(key="F/506/2131").criteria.get(number="1.1")
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/portfolio/evidence/registration/{registration.pk}/")
    page.get_by_role("link", name="Record an observation").click()
    page.wait_for_load_state("load")
    site.assert_accessible()

    page.get_by_label("Title").fill("Greeting customers at reception")
    page.get_by_label("Place").fill("Northgate Motors, service reception")
    page.get_by_label("What was seen").fill("Ana greeted each customer and confirmed the booking.")
    page.locator("details", has=page.locator(f"#criterion-{criterion.pk}")).locator(
        "summary"
    ).click()
    page.locator(f"#criterion-{criterion.pk}").check()
    page.get_by_role("button", name="Sign and save the record").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Observation record")
    expect(page.get_by_test_id("record-acknowledgement")).to_contain_text(
        "Awaiting the learner's acknowledgement."
    )
    site.assert_accessible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")
    site.assert_accessible()

    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/portfolio/evidence/registration/{registration.pk}/")
    page.get_by_role("link", name="read and acknowledge it").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Your comment (optional; needed if you disagree)").fill("A fair account.")
    page.get_by_role("button", name="Acknowledge the record").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("record-acknowledgement")).to_contain_text("Acknowledged on")
    expect(page.get_by_test_id("record-acknowledgement")).to_contain_text("A fair account.")
    site.assert_accessible()

    record = AssessorRecord.objects.get()
    assert record.acknowledged_hash == record.content_hash
    assert record.evidence.mappings.get().criterion == criterion
