"""A centre admin finds "API tokens" in the header, makes a centre API token on a phone (reading,
and adding learners), copies its secret (shown once), the API answers it, and the admin revokes
it; the API's docs page, on a phone too."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_invitations import sign_in
from tests.factories import CentreFactory, member


def test_an_admin_makes_uses_and_revokes_a_centre_token(site: AccessiblePage) -> None:
    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})
    centre = CentreFactory(name="Northgate College")
    admin = member(centre, "admin", full_name="Ada Admin")
    sign_in(site, admin.email)

    site.goto("/")
    toggle = page.get_by_role("button", name="Toggle navigation")
    toggle.click()
    # Clicked only once the menu has finished opening (Bootstrap's "collapsing" turns to
    # "show"): a click during the animation could miss the link and leave the page as it was.
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    page.get_by_role("link", name="API tokens").click()
    expect(page).to_have_url(re.compile(re.escape(site.base_url) + "/api/tokens/$"))
    page.wait_for_load_state("load")
    site.assert_accessible()
    fits(page)
    # The header marks where the admin is (the menu is folded again on the new page).
    expect(page.locator('#main-nav a[aria-current="page"]')).to_have_text("API tokens")
    expect(page.get_by_test_id("no-tokens")).to_be_visible()
    page.get_by_label("Name").fill("MIS export")
    page.get_by_label("Whose token").select_option(str(centre.pk))
    page.get_by_label("Read registrations, their progress and assessment decisions").check()
    # The writes are offered too: the centre's MIS adds its learners.
    page.get_by_label("Add learners and register them on qualifications").check()
    expect(page.get_by_label("Log the apprentice's own off-the-job hours")).to_be_visible()
    page.get_by_role("button", name="Make the token").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    fits(page)
    secret = page.get_by_test_id("secret").input_value()
    assert secret.startswith("ept_")

    answer = page.request.get(
        site.base_url + "/api/v1/registrations", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200
    assert answer.json()["count"] == 0

    site.goto("/api/tokens/")
    tokens = page.get_by_test_id("tokens")
    expect(tokens).to_contain_text("MIS export")
    expect(tokens).to_contain_text("Northgate College")
    expect(tokens).not_to_contain_text(secret)
    fits(page)
    tokens.get_by_role("button", name="Revoke the token MIS export").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    refused = page.request.get(
        site.base_url + "/api/v1/registrations", headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status == 401


def test_the_api_docs_page_lists_every_operation_of_the_schema(site: AccessiblePage) -> None:
    site.page.set_viewport_size({"width": 390, "height": 844})
    site.goto("/api/v1/docs")
    main = site.page.locator("main")
    expect(main).to_contain_text("E-portfolio API")
    expect(main).to_contain_text("GET /api/v1/registrations/{registration_id}")
    expect(main).to_contain_text("one of active, withdrawn")
    expect(main).to_contain_text("POST /api/v1/registrations/{registration_id}/evidence")
    expect(main).to_contain_text("multipart/form-data: title")
    site.assert_accessible()
    fits(site.page)
