from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AccessiblePage
from tests.factories import DEFAULT_PASSWORD, UserFactory


def sign_in(site: AccessiblePage, email: str, password: str) -> None:
    site.page.get_by_label("E-mail address").fill(email)
    site.page.get_by_label("Password").fill(password)
    site.page.get_by_role("button", name="Sign in").click()
    site.page.wait_for_load_state("load")


def test_a_person_signs_in_and_reaches_their_home_page(site: AccessiblePage) -> None:
    person = UserFactory(full_name="Grace Okafor", email="grace@centre.example")

    site.goto("/")
    # A visitor lands on the sign-in page.
    expect(site.page).to_have_url(f"{site.base_url}/accounts/login/?next=/")
    expect(site.page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(site, person.email, DEFAULT_PASSWORD)
    expect(site.page).to_have_url(f"{site.base_url}/")
    site.assert_accessible()

    expect(site.page.get_by_test_id("signed-in-as")).to_contain_text("Grace Okafor")
    expect(site.page.get_by_role("heading", name="Welcome, Grace")).to_be_visible()
    expect(site.page.get_by_role("link", name="Change password")).to_be_visible()


def test_a_wrong_password_is_explained_on_the_page(site: AccessiblePage) -> None:
    person = UserFactory()

    site.goto("/accounts/login/")
    sign_in(site, person.email, "not-the-password")
    site.assert_accessible()

    # Counted in the summary at the top, and said again in the form itself.
    expect(site.page.get_by_test_id("error-summary")).to_contain_text(
        "Please enter a correct e-mail address and password"
    )
    expect(
        site.page.locator("form").get_by_text("Please enter a correct e-mail address and password")
    ).to_be_visible()
    expect(site.page.get_by_label("E-mail address")).to_have_value(person.email)


def test_assets_come_from_the_packages_and_work(site: AccessiblePage) -> None:
    site.goto("/accounts/login/")

    # htmx (from django-htmx) and Bootstrap's CSS (from django-bootstrap-static) are loaded.
    assert site.page.evaluate("typeof window.htmx") == "object"
    button_colour = site.page.get_by_role("button", name="Sign in").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert button_colour == "rgb(13, 110, 253)"  # Bootstrap 5 primary blue


def test_a_signed_in_person_changes_password_then_signs_out(site: AccessiblePage) -> None:
    person = UserFactory(full_name="Tomasz Nowak")

    site.goto("/accounts/login/")
    sign_in(site, person.email, DEFAULT_PASSWORD)
    site.assert_accessible()

    site.page.get_by_role("link", name="Change password").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()
    site.page.get_by_label("Old password").fill(DEFAULT_PASSWORD)
    site.page.locator("#id_new_password1").fill("a-new-long-passphrase")
    site.page.get_by_label("New password confirmation").fill("a-new-long-passphrase")
    site.page.get_by_role("button", name="Change password").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()
    expect(site.page.get_by_role("heading", name="Password changed")).to_be_visible()

    site.page.get_by_role("button", name="Sign out").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()
    expect(site.page).to_have_url(f"{site.base_url}/accounts/login/")

    sign_in(site, person.email, "a-new-long-passphrase")
    site.assert_accessible()
    expect(site.page.get_by_test_id("signed-in-as")).to_contain_text("Tomasz Nowak")


def test_the_password_reset_pages_are_accessible(site: AccessiblePage) -> None:
    site.goto("/accounts/login/")
    site.page.get_by_role("link", name="Forgotten your password?").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()

    site.page.get_by_label("Email").fill("someone@centre.example")
    site.page.get_by_role("button", name="Send reset link").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()
    expect(site.page.get_by_role("heading", name="Check your e-mail")).to_be_visible()


def test_the_accessibility_check_fails_a_page_with_serious_violations(
    site: AccessiblePage,
) -> None:
    # An unlabelled input and an image without alt text: axe rates both serious or critical.
    site.page.set_content(
        '<html lang="en"><body><main><img src="x.png"><input></main></body></html>'
    )

    with pytest.raises(AssertionError, match="serious or critical violations"):
        site.assert_accessible()


def test_the_csp_check_fails_a_page_that_runs_an_inline_script(site: AccessiblePage) -> None:
    site.goto("/accounts/login/")
    # What an injected inline script would do; the page's policy refuses to run it.
    site.page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'document.title = \"ran\"'; document.body.append(s); }"
    )
    for _ in range(50):
        if site.csp_violations:
            break
        site.page.wait_for_timeout(100)

    with pytest.raises(AssertionError, match="Content-Security-Policy violations"):
        site.assert_accessible()
    assert site.page.title() != "ran"
    site.csp_violations.clear()
