"""The portfolio in the browser at phone width: the units are listed, and a unit opened from the
keyboard brings its criteria (htmx), announced and axe-clean; without htmx the unit's link is a
page of its own."""

from __future__ import annotations

import datetime
import re

from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Role
from portfolios import evidence as evidence_services
from portfolios.models import EvidenceContext, EvidenceMethod
from portfolios.services import register_learner
from qualifications.models import AssessmentCriterion, Qualification
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member
from tests.support import clock

IMI = "601/3456/2"


def test_a_learner_opens_a_unit_from_the_keyboard_and_sees_its_criteria(
    site: AccessiblePage,
) -> None:
    today = clock.today()
    ensure_catalogue()
    centre = CentreFactory()
    imi = Qualification.objects.get(number=IMI)
    centre.qualifications.add(imi)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR)
    learner = member(centre, Role.LEARNER, full_name="Ana Lima")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=imi,
        start_date=today - datetime.timedelta(days=30),
        assessors=[assessor],
    )
    unit = registration.units.order_by("key").first()
    first, second = AssessmentCriterion.objects.filter(unit=unit).order_by("position")[:2]
    evidence = evidence_services.evidence_create(
        actor=learner,
        registration=registration,
        title="Handling a complaint at the counter",
        evidence_date=today,
        method=EvidenceMethod.OBSERVATION,
        context=EvidenceContext.REAL_WORK_PAID,
        description="Observed by my line manager.",
    )
    evidence_services.map_criteria(actor=learner, evidence=evidence, criteria=[first, second])
    evidence_services.submit(
        actor=learner, evidence=evidence, typed_name="Ana Lima", confirmed=True
    )
    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})

    site.goto("/accounts/login/")
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(reverse("evidence:portfolio", args=[registration.pk]))
    fits(page)
    block = page.get_by_test_id(f"unit-{unit.pk}")
    expect(block).to_contain_text("2 with evidence")
    expect(page.locator("[data-testid^=criterion-]")).to_have_count(0)

    # Open the unit from the keyboard: its criteria arrive by htmx, and the status line says so.
    summary = block.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(block.locator("details")).to_have_attribute("open", "")
    row = block.get_by_test_id(f"criterion-{first.pk}")
    expect(row).to_contain_text("Evidence submitted")
    expect(row).to_contain_text("Handling a complaint at the counter")
    expect(block.get_by_test_id(f"criterion-{second.pk}")).to_contain_text("Evidence submitted")
    total = AssessmentCriterion.objects.filter(unit=unit).count()
    expect(block.locator("[data-testid^=criterion-]")).to_have_count(total)
    expect(page.locator("#criteria-status")).to_have_text(re.compile(rf"shown: {total}\."))
    expect(summary).to_be_focused()
    site.assert_accessible()
    fits(page)

    # The evidence is the next stop from the keyboard; closing and opening again fetches
    # nothing more (the criteria stay).
    page.keyboard.press("Enter")
    expect(block.locator("details")).not_to_have_attribute("open", "")
    page.keyboard.press("Enter")
    expect(block.get_by_test_id(f"criterion-{first.pk}")).to_be_visible()
    expect(block.locator("[data-testid^=criterion-]")).to_have_count(total)

    # Without htmx the unit's link is a page of its own.
    site.goto(reverse("evidence:portfolio_unit", args=[registration.pk, unit.pk]))
    expect(page.get_by_role("heading", level=1)).to_contain_text(unit.title)
    expect(page.get_by_test_id(f"criterion-{first.pk}")).to_contain_text("Evidence submitted")
    fits(page)
