"""Standard coverage in the browser: home, standards, cohort, one learner (with axe)."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from accounts.models import Role
from assessments.services import record_decision
from portfolios.services import register_learner
from qualifications.models import AssessmentCriterion, Qualification
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, mapped_evidence, member


def test_an_assessor_follows_a_standard_from_the_cohort_to_a_learner(
    site: AccessiblePage,
) -> None:
    ensure_catalogue()
    today = datetime.date.today()
    centre = CentreFactory()
    ncfe = Qualification.objects.get(number="601/3973/0")
    centre.qualifications.add(ncfe)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR, full_name="Alex Assessor")
    learner = member(centre, Role.LEARNER, full_name="Ana Lima")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=ncfe,
        start_date=today,
        unit_keys=["F/506/2131"],
        assessors=[assessor],
    )
    record_decision(
        assessor=assessor,
        registration=registration,
        criterion=AssessmentCriterion.objects.get(unit__key="F/506/2131", number="1.1"),
        outcome="met",
        method="observation",
        assessed_on=today,
        evidence=[
            mapped_evidence(
                registration, AssessmentCriterion.objects.get(unit__key="F/506/2131", number="1.1")
            )
        ],
    )
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="Apprenticeship standard coverage of your learners").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_role("link", name="Customer Service Practitioner").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id(f"learner-{registration.pk}")).to_contain_text("1 of 34")

    page.get_by_role("link", name="Ana Lima").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana Lima")
    expect(page.get_by_test_id("statement-K2")).to_contain_text("Covered")
    expect(page.get_by_test_id("statement-K1")).to_contain_text("specification says no unit")
    page.get_by_test_id("statement-K2").get_by_text("1 of 1 criteria met").click()
    site.assert_accessible()

    site.goto(f"/portfolio/evidence/registration/{registration.pk}/")
    page.get_by_role("link", name="Apprenticeship standard coverage").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Apprenticeship standard coverage")
