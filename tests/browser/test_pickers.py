"""The learner picker on the register page (issue 15): found by typing, chosen by keyboard,
axe-clean, fitting 390 px, and working without JavaScript too."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from accounts.models import Role
from qualifications.models import Qualification
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member

AWARD = "600/1686/3"


def _centre_with_learners() -> tuple[object, object]:
    ensure_catalogue()
    centre = CentreFactory(name="Northgate Training Centre")
    centre.qualifications.add(Qualification.objects.get(number=AWARD))
    admin = member(centre, Role.CENTRE_ADMIN, full_name="Ada Admin")
    member(centre, Role.LEARNER, full_name="Lara Learner")
    member(centre, Role.LEARNER, full_name="Larry Lamb")
    member(centre, Role.LEARNER, full_name="Owen Other")
    member(CentreFactory(), Role.LEARNER, full_name="Lara Elsewhere")
    return centre, admin


def test_an_admin_finds_and_chooses_a_learner_by_keyboard(site: AccessiblePage) -> None:
    _, admin = _centre_with_learners()
    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})
    site.goto("/accounts/login/")
    sign_in(site, admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto("/centre/registrations/new/")

    box = page.get_by_role("searchbox", name=re.compile("^Learner"))
    box.focus()
    page.keyboard.type("lar")
    # htmx lists the centre's matches under the box, as radios; never another centre's.
    results = page.locator("#id_learner_results")
    expect(results.get_by_role("radio")).to_have_count(2)
    expect(results).to_contain_text("2 learners matching “lar”")
    expect(results).not_to_contain_text("Elsewhere")
    site.assert_accessible()

    # Tab into the list, arrow down to the second, and it is chosen.
    page.keyboard.press("Tab")
    expect(results.get_by_role("radio", name=re.compile("Lara Learner"))).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(results.get_by_role("radio", name=re.compile("Larry Lamb"))).to_be_checked()

    # At 390 px the form and its matches fit without sideways scrolling.
    fits(page)

    page.get_by_label("Qualification").select_option(
        value=str(Qualification.objects.get(number=AWARD).pk)
    )
    page.get_by_label("Start date").fill("2026-09-01")
    page.get_by_role("button", name="Continue to units").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Register Larry Lamb")


def test_without_javascript_the_form_comes_back_with_the_matches(
    site: AccessiblePage, browser: Browser
) -> None:
    _, admin = _centre_with_learners()
    context = browser.new_context(java_script_enabled=False, base_url=site.base_url)
    try:
        # axe needs scripts: the JavaScript test above checks the same markup.
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("E-mail address").fill(admin.email)
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("load")
        page.goto("/centre/registrations/new/")

        page.get_by_role("searchbox", name=re.compile("^Learner")).fill("lar")
        page.get_by_label("Qualification").select_option(
            value=str(Qualification.objects.get(number=AWARD).pk)
        )
        page.get_by_label("Start date").fill("2026-09-01")
        page.get_by_role("button", name="Continue to units").click()
        page.wait_for_load_state("load")
        expect(
            page.get_by_text("Choose the learner from those matching “lar”.").first
        ).to_be_visible()
        page.get_by_role("radio", name=re.compile("Lara Learner")).check()
        page.get_by_role("button", name="Continue to units").click()
        page.wait_for_load_state("load")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Register Lara Learner")
    finally:
        context.close()


def test_an_admin_opens_a_hold_on_a_registration_found_by_typing(site: AccessiblePage) -> None:
    from django.urls import reverse

    from accounts.models import User
    from certification.models import ClaimHold
    from tests.factories import RegistrationFactory

    centre, admin = _centre_with_learners()
    lara = User.objects.get(full_name="Lara Learner")
    registration = RegistrationFactory(learner=lara, centre=centre)
    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})
    site.goto("/accounts/login/")
    sign_in(site, admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(reverse("certification:claim_holds"))

    page.get_by_role("searchbox", name=re.compile("^Learner and qualification")).fill("lara")
    results = page.locator("#id_hold-registration_results")
    expect(results.get_by_role("radio")).to_have_count(1)
    site.assert_accessible()
    results.get_by_role("radio").check()
    page.get_by_label("Kind of hold").select_option(index=0)
    page.get_by_label("Why the claim is held").fill("Under investigation.")
    # The table of holds scrolls in its own box; the page and the form do not.
    fits(page)
    page.get_by_role("button", name="Open the hold").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_text("The hold is open")).to_be_visible()
    assert ClaimHold.objects.get().registration_id == registration.pk
