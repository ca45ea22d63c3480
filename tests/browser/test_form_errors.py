"""A form sent back with errors, in the browser: the summary at the top takes the focus (a
screen reader reads it out), each of its links puts the focus in its field, what was typed is
still there, axe finds nothing serious, and at 390 px nothing scrolls sideways."""

from __future__ import annotations

from playwright.sync_api import expect

from accounts.models import Role
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_sign_in import sign_in
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member


def test_the_error_summary_takes_the_focus_and_links_to_each_field(site: AccessiblePage) -> None:
    centre = CentreFactory()
    admin = member(centre, Role.CENTRE_ADMIN)
    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})
    site.goto("/accounts/login/")
    sign_in(site, admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto("/centre/people/add/")

    page.get_by_label("E-mail address").fill("not-an-address")
    page.get_by_label("Role").select_option("eqa")
    page.get_by_role("button", name="Add").click()
    page.wait_for_load_state("load")
    site.assert_accessible()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("3 problems with this form")
    links = summary.get_by_role("link")
    expect(links).to_have_count(3)
    # What was typed is kept, and each error is read out with its field.
    expect(page.get_by_label("E-mail address")).to_have_value("not-an-address")
    email = page.locator("#id_email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_email_error")).to_have_text("Enter a valid email address.")

    summary.get_by_role("link", name="E-mail address: Enter a valid email address.").click()
    expect(email).to_be_focused()
    summary.get_by_role("link").first.click()
    expect(page.locator("#id_full_name")).to_be_focused()

    fits(page)
