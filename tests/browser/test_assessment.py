"""The assessor's pages in the browser: queue, judging a criterion, the unit page (with axe)."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import expect

from accounts.models import Role
from portfolios import evidence as evidence_services
from portfolios.services import register_learner
from qualifications.models import Qualification, Unit
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member


def test_an_assessor_judges_a_criterion_from_the_queue(site: AccessiblePage) -> None:
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
    unit = Unit.objects.get(key="F/506/2131")
    evidence = evidence_services.evidence_create(
        actor=learner,
        registration=registration,
        title="Customer survey",
        evidence_date=datetime.date.today(),
        method="product",
        context="real_work_paid",
        description="A survey I ran for the shop.",
    )
    evidence_services.map_criteria(
        actor=learner, evidence=evidence, criteria=unit.criteria.filter(number="1.1")
    )
    evidence_services.submit(
        actor=learner, evidence=evidence, typed_name="Ana Lima", confirmed=True
    )
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="Evidence waiting for assessment").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_role("link", name="Customer survey").click()
    page.wait_for_load_state("load")
    site.assert_accessible()

    page.get_by_label("Met", exact=True).check()
    page.get_by_role("textbox", name=re.compile("^Feedback on")).fill(
        "A clear survey of real customers."
    )
    page.get_by_role("button", name="Record the judgements").click()
    expect(page.get_by_test_id("judging-result")).to_contain_text("1 criterion judged")
    # The criterion is now judged: the form offers to correct it, with a reason.
    expect(page.get_by_label("Why the earlier decision is corrected")).to_be_visible()
    expect(page.get_by_test_id("evidence-status")).to_have_text("Assessed")
    site.assert_accessible()

    site.goto(f"/assessment/registration/{registration.pk}/unit/{unit.pk}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
