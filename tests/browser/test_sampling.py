"""The internal verifier's sampling in the browser: set a strategy, draw a plan, read its
coverage (axe on every page)."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from accounts.models import Role
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD
from tests.verification.cases import add_learner, make_centre
from verification.models import SamplingPlan, SamplingStrategy


def test_the_iv_sets_a_strategy_draws_a_plan_and_sees_its_coverage(site: AccessiblePage) -> None:
    ensure_catalogue()
    made = make_centre(iv="Ivy Verifier")
    add_learner(made, made.assessors[0], name="Ana Lima", employer="Kwik Fit")
    add_learner(made, made.assessors[1], name="Ben Cole", employer="Halfords", complete=True)
    add_learner(
        made, made.assessors[1], name="Cara Diaz", employer="Halfords", method="questioning"
    )
    assert made.iv.memberships.get().role == Role.INTERNAL_VERIFIER
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, made.iv.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="Sampling strategies and plans").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_role("link", name="Set a strategy for 601/3456/2").click()
    page.wait_for_load_state("load")
    site.assert_accessible()

    page.get_by_label("Experienced assessors: share of learners sampled (%)").fill("50")
    page.get_by_label("Share of units sampled per learner at interim (%)").fill("250")
    page.get_by_role("button", name="Save the strategy").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    # Counted in the summary at the top, and beside the box that holds it.
    expect(page.get_by_test_id("error-summary")).to_contain_text("less than or equal to 100")
    expect(
        page.get_by_label("Share of units sampled per learner at interim (%)")
    ).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Share of units sampled per learner at interim (%)").fill("60")
    page.get_by_role("button", name="Save the strategy").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("is saved (version 1)")
    expect(page.get_by_test_id("no-plan")).to_be_visible()

    page.get_by_label("Period ends").fill("")
    page.get_by_role("button", name="Draw the plan").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("error-summary")).to_contain_text("Say when the plan's period ends.")
    expect(page.get_by_label("Period ends")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Period ends").fill(
        (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    )
    page.get_by_role("button", name="Draw the plan").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("A new plan is drawn with")
    expect(page.get_by_test_id("verdict")).to_have_text("The plan meets the strategy.")
    samples = page.get_by_test_id("samples")
    for name in ("Ana Lima", "Ben Cole", "Cara Diaz"):
        expect(samples).to_contain_text(name)
    expect(page.get_by_test_id("coverage-sites")).to_contain_text("Halfords")
    expect(page.get_by_test_id("coverage-methods")).to_contain_text("Questioning")
    expect(page.get_by_test_id("coverage-assessors")).to_contain_text("Assessor B")

    strategy = SamplingStrategy.objects.get()
    assert (strategy.rate_experienced, strategy.unit_share) == (50, 60)
    assert SamplingPlan.objects.get().samples.count() == 3
