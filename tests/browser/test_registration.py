"""Issue 4's journey: an admin registers a learner, the learner sees it, nobody else does."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from accounts.models import Role
from qualifications.models import Qualification
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member

AWARD = "600/1686/3"


def sign_out(site: AccessiblePage) -> None:
    site.page.get_by_role("button", name="Sign out").click()
    site.page.wait_for_load_state("load")
    site.assert_accessible()


def test_an_admin_registers_a_learner_who_then_sees_the_qualification(site: AccessiblePage) -> None:
    ensure_catalogue()
    centre = CentreFactory(name="Northgate Training Centre")
    centre.qualifications.add(Qualification.objects.get(number=AWARD))
    admin = member(centre, Role.CENTRE_ADMIN, full_name="Ada Admin")
    learner = member(centre, Role.LEARNER, full_name="Lara Learner")
    other = member(centre, Role.LEARNER, full_name="Owen Other")

    site.goto("/accounts/login/")
    sign_in(site, admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()

    site.goto("/centre/registrations/new/")
    page = site.page
    award = Qualification.objects.get(number=AWARD)
    # The learner is found by typing part of the name (the picker), then chosen.
    page.get_by_role("searchbox", name=re.compile("^Learner")).fill("lara")
    page.get_by_role("radio", name=re.compile("Lara Learner")).check()
    page.get_by_label("Qualification").select_option(value=str(award.pk))
    page.get_by_label("Start date").fill("2026-09-01")
    page.get_by_role("button", name="Continue to units").click()
    page.wait_for_load_state("load")
    site.assert_accessible()

    # A barred pair: the live check says so as soon as both are ticked...
    page.get_by_label(re.compile(r"A/601/6047 ")).check()
    page.get_by_label(re.compile(r"R/601/6068 ")).check()
    check = page.locator("#unit-check")
    expect(check).to_contain_text("cannot be taken with R/601/6068")
    site.assert_accessible()
    # ...and registering with it is refused, with the engine's words.
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_text(re.compile("cannot be taken with R/601/6068")).first).to_be_visible()

    # Put it right: drop the barred unit, take a Level 1 unit instead.
    page.get_by_label(re.compile(r"R/601/6068 ")).uncheck()
    page.get_by_label(re.compile(r"T/601/6077 ")).check()
    expect(check).to_contain_text("The units chosen satisfy the rules of combination.")
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Lara Learner: Ascentis Level 1 Award"
    )
    registration_url = page.url
    sign_out(site)

    # The learner signs in and finds the qualification and the units chosen for them.
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name=re.compile("Ascentis Level 1 Award")).first.click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    assert page.url == registration_url
    expect(
        page.get_by_text("The importance of appearance and behaviour in customer service")
    ).to_be_visible()
    expect(page.get_by_text("Answer telephone calls from customers")).to_be_visible()
    sign_out(site)

    # Another learner who tries that address gets "not found", not the page.
    sign_in(site, other.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    response = page.goto(registration_url)
    assert response is not None
    assert response.status == 404
    site.assert_accessible()
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_an_admin_adds_a_new_learner_and_registers_them_in_one_form(
    site: AccessiblePage,
) -> None:
    """Issue 18: nobody here yet; one form invites them and registers them when they accept."""
    from django.core import mail

    ensure_catalogue()
    centre = CentreFactory(name="Northgate Training Centre")
    centre.qualifications.add(Qualification.objects.get(number=AWARD))
    admin = member(centre, Role.CENTRE_ADMIN, full_name="Ada Admin")
    member(centre, Role.ASSESSOR, full_name="Asha Assessor")
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    # The people page's "add a person" points here.
    site.goto("/centre/people/add/")
    page.get_by_role("link", name="Add and register a new learner in one step").click()
    page.wait_for_load_state("load")
    site.assert_accessible()

    # Both ways of choosing the learner fit a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 800})

    new = page.get_by_test_id("new-learner")
    new.get_by_label("Full name").fill("Nina New")
    new.get_by_label("E-mail address").fill("nina@example.com")
    page.get_by_label("Qualification").select_option(
        value=str(Qualification.objects.get(number=AWARD).pk)
    )
    page.get_by_label("Start date").fill("2026-09-01")
    # A minimum age of 14: without a date of birth the page says so and keeps what was typed.
    page.get_by_role("button", name="Continue to units").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("has a minimum age of 14")
    expect(new.get_by_label("Full name")).to_have_value("Nina New")
    new.get_by_label("Date of birth").fill("2000-01-01")
    page.get_by_role("button", name="Continue to units").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    assert "nina" not in page.url

    expect(page.get_by_role("heading", level=1)).to_contain_text("Register Nina New on 600/1686/3")
    page.get_by_label(re.compile(r"T/601/6077 ")).check()
    page.get_by_label(re.compile("Asha Assessor")).check()
    page.get_by_role("button", name="Invite and register").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text(
        "Invitation sent to Nina New (nina@example.com). Once they accept it they are registered"
        " on 600/1686/3 Ascentis Level 1 Award for Introduction to Customer Service starting"
        " 1 September 2026."
    )
    expect(page.get_by_test_id("invitations")).to_contain_text("1 registration to be made")
    page.context.clear_cookies()

    # The e-mail's link: the invitee sees what accepting does, chooses a password, and is in.
    [message] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/invitations/\S+/)", message.body)
    assert link is not None
    site.goto(link[1])
    expect(page.get_by_test_id("invitation-registrations")).to_contain_text(
        "600/1686/3 starting 1 September 2026"
    )
    # Crispy marks required labels with an asterisk, so the two password boxes go by id.
    page.locator("#id_password1").fill("a-long-new-pass-42")
    page.locator("#id_password2").fill("a-long-new-pass-42")
    page.get_by_role("button", name="Join Northgate Training Centre").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("Welcome: you are now learner")
    page.get_by_role("link", name=re.compile("Ascentis Level 1 Award")).first.click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ascentis Level 1 Award")
    expect(page.get_by_text("Answer telephone calls from customers")).to_be_visible()
