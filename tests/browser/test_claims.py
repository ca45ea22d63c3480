"""The claims page of a large centre in the browser: paged lists, the filter, ticking some on a
page, "Add all" for every match, the batch page's pages; axe-clean and fitting 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from certification.models import ClaimLine
from certification.views import claims as claim_views
from portfolios.models import RegistrationStatus
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_sign_in import sign_in
from tests.certification.claim_cases import learner_on, make_centre
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    # The live server runs in this process: two rows a page stand for 25 of 10,000.
    monkeypatch.setattr(claim_views, "PAGE_SIZE", 2)


def test_an_admin_pages_filters_ticks_and_adds_all(site: AccessiblePage, small_pages: None) -> None:
    ensure_catalogue()
    where = make_centre()
    ready = [learner_on(where, name=f"Ready {n} Learner") for n in range(5)]
    others = [learner_on(where, name=f"Other {n} Person") for n in range(2)]
    learner_on(where, name="Wes Waiting", iv_signed=False)
    learner_on(
        where, name="Lee Leaver", status=RegistrationStatus.WITHDRAWN, iv_signed=False, iv_units=1
    )
    page = site.page
    site.goto("/accounts/login/")
    sign_in(site, where.admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto("/verification/claims/")
    expect(page.get_by_test_id("ready-count")).to_have_text("7")
    eligible = page.get_by_test_id("full-eligible")
    expect(eligible.get_by_role("checkbox")).to_have_count(2)
    expect(page.get_by_test_id("full-waiting")).to_contain_text("No summative IV sign-off")
    expect(page.get_by_test_id("unit-eligible")).to_contain_text("Lee Leaver")

    # Tick one on the first page and add it.
    eligible.get_by_role("checkbox", name="Claim Other 0 Person").check()
    page.get_by_role("button", name="Add the chosen to the draft claim batches").click()
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("1 line added")
    expect(page.get_by_test_id("ready-count")).to_have_text("6")

    # Filter by name, walk to the next page, keeping the filter.
    page.get_by_label("Learner name, ULN or registration number").fill("ready")
    page.get_by_role("button", name="Filter").click()
    site.assert_accessible()
    expect(page.get_by_test_id("ready-count")).to_have_text("5")
    pages = page.get_by_role("navigation", name="Pages of full qualifications ready to claim")
    pages.get_by_role("link", name="Next").click()
    site.assert_accessible()
    expect(page.get_by_test_id("full-eligible")).to_contain_text("Ready 2 Learner")
    expect(page.get_by_label("Learner name, ULN or registration number")).to_have_value("ready")

    # Every match, on every page, in one action; the others stay.
    page.get_by_role(
        "button", name="Add all 5 full qualifications ready that match the filter"
    ).click()
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("5 lines added")
    claimed = set(ClaimLine.objects.values_list("registration_id", flat=True))
    assert claimed == {r.pk for r in ready} | {others[0].pk}

    # The batch's lines, paged, with their count.
    page.get_by_role("link", name="Clear").click()
    site.assert_accessible()
    page.get_by_test_id("batches").get_by_role("link").first.click()
    site.assert_accessible()
    expect(page.get_by_test_id("line-count")).to_have_text("6")
    expect(page.get_by_test_id("lines").get_by_role("row")).to_have_count(3)  # header + 2

    # At 390 px both pages fit without sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    fits(page)
    site.goto("/verification/claims/")
    fits(page)
