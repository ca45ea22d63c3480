"""Judging in one form, in the browser, by keyboard alone: three criteria in one submit, saved
in place (htmx, no page load), axe-clean and fitting 390 px."""

from __future__ import annotations

import datetime

from playwright.sync_api import Page, expect

from accounts.models import Role
from assessments.models import Decision
from assessments.models.judgement import Judgement
from portfolios import evidence as evidence_services
from portfolios.services import register_learner
from qualifications.models import Qualification, Unit
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member


def tab_to(page: Page, element_id: str, *, limit: int = 40) -> None:
    """Press Tab until the element with `element_id` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def test_an_assessor_judges_three_criteria_in_one_form_by_keyboard(site: AccessiblePage) -> None:
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
    criteria = list(unit.criteria.order_by("position")[:4])
    evidence = evidence_services.evidence_create(
        actor=learner,
        registration=registration,
        title="Customer survey",
        evidence_date=datetime.date.today(),
        method="product",
        context="real_work_paid",
        description="A survey I ran for the shop.",
    )
    evidence_services.map_criteria(actor=learner, evidence=evidence, criteria=criteria)
    evidence_services.submit(
        actor=learner, evidence=evidence, typed_name="Ana Lima", confirmed=True
    )
    page = site.page
    site.goto("/accounts/login/")
    sign_in(site, assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/assessment/evidence/{evidence.pk}/")
    # Set on this document: a page load would lose it.
    page.evaluate("window.judgingMarker = 'still here'")

    # Method and date once, at the top of the form.
    page.get_by_label("Assessment method").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Date assessed")).to_be_focused()

    first, second, third, untouched = criteria
    # Tab reaches each criterion's choice (the checked "No judgement"); the arrow keys choose.
    tab_to(page, f"c{first.pk}-none")
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"#c{first.pk}-met")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator(f"#c{first.pk}-feedback")).to_be_focused()
    page.keyboard.type("Every customer type is covered.")

    tab_to(page, f"c{second.pk}-none")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"#c{second.pk}-not-yet")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("Add how you chose who to ask.")

    tab_to(page, f"c{third.pk}-none")
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"#c{third.pk}-met")).to_be_checked()

    tab_to(page, "judging-feedback")
    page.keyboard.type("A careful piece of work.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Record the judgements")).to_be_focused()
    page.keyboard.press("Enter")

    result = page.get_by_test_id("judging-result")
    expect(result).to_contain_text("3 criteria judged")
    # Saved in place: the same document, with the focus on the result for the keyboard user.
    assert page.evaluate("window.judgingMarker") == "still here"
    expect(result).to_be_focused()
    expect(page.get_by_test_id(f"current-{first.pk}")).to_have_text("Met")
    expect(page.get_by_test_id(f"current-{second.pk}")).to_have_text("Not yet met")
    expect(page.get_by_test_id(f"current-{untouched.pk}")).to_have_text("not judged yet")
    expect(page.get_by_test_id("overall-feedback")).to_contain_text("A careful piece of work.")
    site.assert_accessible()

    decisions = {d.criterion_id: d for d in Decision.objects.all()}
    assert set(decisions) == {first.pk, second.pk, third.pk}
    assert decisions[second.pk].outcome == "not_yet_met"
    assert decisions[second.pk].feedback == "Add how you chose who to ask."
    assert Judgement.objects.get().decisions.count() == 3

    # At 390 px the page, form and decision tables fit without sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    site.goto(f"/assessment/evidence/{evidence.pk}/")
    fits(page)
