"""The provider's cohort of apprentices in the browser (issue 19, point 6): the centre admin
reaches it from the header, filters those behind on hours and sorts them; every page checked
with axe and measured at a phone's width (the table stacks)."""

from __future__ import annotations

from playwright.sync_api import ViewportSize, expect

from tests.assessments.test_cohort import Centre, hours
from tests.browser.conftest import PHONE, AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD

DESKTOP: ViewportSize = {"width": 1280, "height": 720}


def test_the_admin_finds_the_apprentices_behind_on_hours(site: AccessiblePage) -> None:
    ensure_catalogue()
    made = Centre()
    hours(made.apprentice("Anastasia Montgomery-Fitzwilliam"), "95")
    hours(made.apprentice("Ben Cole", employer=made.formula), "20")
    made.apprentice("Cara Diaz", started=-10)
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, made.admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="Apprentices", exact=True).click()
    site.assert_accessible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Apprentices at {made.centre.name}")
    expect(page.get_by_test_id("cohort-row")).to_have_count(3)

    page.get_by_label("Only those behind on off-the-job hours").check()
    page.get_by_label("Order").select_option(label="Most hours behind first")
    page.get_by_role("button", name="Filter").click()
    site.assert_accessible()
    rows = page.get_by_test_id("cohort-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ben Cole")
    expect(page.get_by_test_id("hours-behind")).to_contain_text("80")
    expect(page.get_by_test_id("hours-behind")).to_contain_text("Behind")

    # On a phone the rows stack, each cell labelled with its column.
    page.get_by_role("link", name="Clear").click()
    page.wait_for_load_state("load")
    page.set_viewport_size(PHONE)
    site.assert_accessible()
    expect(page.get_by_test_id("cohort-row")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    label = page.evaluate(
        "getComputedStyle(document.querySelector('[data-label=\"Hours behind\"]'), '::before')"
        ".content"
    )
    assert "Hours behind" in label

    # An assessor's header offers it too, over their own apprentices: none for this one.
    page.set_viewport_size(DESKTOP)
    page.context.clear_cookies()
    site.goto("/accounts/login/")
    sign_in(site, made.other_assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="Apprentices", exact=True).click()
    site.assert_accessible()
    expect(page.get_by_text("No apprentices yet")).to_be_visible()
