from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, UserFactory


def test_a_person_browses_the_catalogue_down_to_a_criterion(site: AccessiblePage) -> None:
    ensure_catalogue()
    person = UserFactory()
    site.goto("/accounts/login/")
    sign_in(site, person.email, DEFAULT_PASSWORD)
    site.assert_accessible()

    site.page.get_by_role("link", name="Browse qualifications").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()
    expect(site.page.get_by_role("caption")).to_have_text("7 qualifications")

    site.page.get_by_label("Awarding body").select_option(label="Institute of the Motor Industry")
    site.page.get_by_role("button", name="Filter").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()
    expect(site.page.get_by_role("caption")).to_have_text("1 qualification")

    site.page.get_by_role("link", name="601/3456/2").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()
    expect(site.page.get_by_text("Achieve at least 45 credits.")).to_be_visible()

    site.page.get_by_role("link", name="Deliver customer service", exact=True).click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()
    expect(site.page.get_by_role("heading", name="Deliver customer service")).to_be_visible()

    site.page.get_by_role("link", name="K3", exact=True).first.click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()
    expect(site.page.get_by_text("Understand who customers are.")).to_be_visible()


def test_the_pearson_standard_and_unit_pages_are_accessible(site: AccessiblePage) -> None:
    ensure_catalogue()
    person = UserFactory()
    site.goto("/accounts/login/")
    sign_in(site, person.email, DEFAULT_PASSWORD)
    site.assert_accessible()

    site.goto("/catalogue/qualifications/603/5450/1/")
    site.goto("/catalogue/units/PEARSON:Unit%208/")
    site.goto("/catalogue/standards/customer-service-specialist/")
    site.goto("/catalogue/qualifications/601/1109/4/")
