"""A centre admin invites someone who works at another centre; they accept; the admin sees them."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import AccessiblePage, fits
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member


def sign_in(site: AccessiblePage, email: str) -> None:
    site.goto("/accounts/login/")
    site.page.get_by_label("E-mail address").fill(email)
    site.page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    site.page.get_by_role("button", name="Sign in").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()


def sign_out(site: AccessiblePage) -> None:
    # At 390 px the header's Sign out sits behind the menu button; a new session is the same.
    site.page.context.clear_cookies()


def test_an_admin_invites_a_freelance_assessor_who_accepts(site: AccessiblePage) -> None:
    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})
    home = CentreFactory(name="Home Centre")
    other = CentreFactory(name="Other Centre")
    assessor = member(home, "assessor", full_name="Paula Private", email="paula@example.com")
    admin = member(other, "admin", full_name="Olive Admin")

    sign_in(site, admin.email)
    site.goto("/centre/people/add/")
    page.get_by_label("Full name").fill("Paula as typed")
    page.get_by_label("E-mail address").fill(assessor.email)
    page.get_by_label("Role").select_option("assessor")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("An invitation to join Other Centre")
    invitations = page.get_by_test_id("invitations")
    expect(invitations).to_contain_text("Paula as typed")
    expect(page.locator("main")).not_to_contain_text("Paula Private")
    fits(page)
    sign_out(site)

    sign_in(site, assessor.email)
    mine = page.get_by_test_id("my-invitations")
    expect(mine).to_contain_text("Other Centre")
    mine.get_by_role("button", name="Accept").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("You are now assessor at Other Centre")
    sign_out(site)

    sign_in(site, admin.email)
    site.goto("/centre/people/")
    expect(page.get_by_role("link", name="Paula Private")).to_be_visible()
    expect(page.get_by_test_id("invitations")).not_to_contain_text("Paula as typed")
