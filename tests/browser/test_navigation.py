"""The header in the browser: each role of a centre finds its main job from the header's links,
on a desktop and on a 390 px phone (behind "Toggle navigation"), and the page it lands on is
marked as the current one (axe on every page)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from accounts.models import Role
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, member
from tests.verification.cases import add_learner, make_centre

PHONE = {"width": 390, "height": 844}

# Each role's main job, its header link, the page it leads to (a pattern) and how the link
# then marks itself: "My portfolio" leads on to the learner's one portfolio, a page of its section.
JOURNEYS = [
    (Role.LEARNER, "My portfolio", r"/portfolio/evidence/registration/\d+/", "true"),
    (Role.ASSESSOR, "Assessment queue", "/assessment/queue/", "page"),
    (Role.INTERNAL_VERIFIER, "Validation queue", "/assessment/validation/", "page"),
    (Role.CENTRE_ADMIN, "People", "/centre/people/", "page"),
    (Role.EQA, "Sampling", "/verification/", "page"),
]


# The right edge of the header's widest part: the header must fit the phone whatever the page
# below it holds (tables have their own phone layout).
HEADER_RIGHT = """Math.max(...[...document.querySelectorAll("header, header *")].map(
  (element) => element.getBoundingClientRect().right))"""


def header_fits(page: Page) -> None:
    assert page.evaluate(HEADER_RIGHT) <= PHONE["width"]
    assert page.evaluate("document.querySelector('header').scrollWidth") <= PHONE["width"]


def header_link(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def person_in(role: str) -> str:
    """The e-mail address of someone working in `role` at a centre with a learner."""
    ensure_catalogue()
    made = make_centre(assessors=1)
    registration = add_learner(made, made.assessors[0], name="Ana Lima")
    people = {
        Role.LEARNER: registration.learner,
        Role.ASSESSOR: made.assessors[0],
        Role.INTERNAL_VERIFIER: made.iv,
        Role.CENTRE_ADMIN: made.admin,
    }
    person = people.get(role) or member(made.centre, Role.EQA, full_name="Eve Quality")
    return person.email


@pytest.mark.parametrize(("role", "label", "path", "state"), JOURNEYS)
def test_each_role_finds_its_main_job_in_the_header(
    site: AccessiblePage, role: str, label: str, path: str, state: str
) -> None:
    page = site.page
    site.goto("/")
    sign_in(site, person_in(role), DEFAULT_PASSWORD)
    site.assert_accessible()
    expect(header_link(page, "Home")).to_have_attribute("aria-current", "page")

    header_link(page, label).click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page).to_have_url(re.compile(re.escape(site.base_url) + path + "$"))
    expect(header_link(page, label)).to_have_attribute("aria-current", state)
    expect(header_link(page, "Home")).not_to_have_attribute("aria-current", "page")


@pytest.mark.parametrize(("role", "label", "path", "state"), JOURNEYS)
def test_on_a_phone_the_header_opens_and_fits(
    site: AccessiblePage, role: str, label: str, path: str, state: str
) -> None:
    page = site.page
    page.set_viewport_size(PHONE)
    site.goto("/")
    sign_in(site, person_in(role), DEFAULT_PASSWORD)
    site.assert_accessible()
    # Collapsed: the links are hidden until the button opens them.
    expect(header_link(page, label)).to_be_hidden()
    toggle = page.get_by_role("button", name="Toggle navigation")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(header_link(page, label)).to_be_visible()
    header_fits(page)
    site.assert_accessible()

    header_link(page, label).click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page).to_have_url(re.compile(re.escape(site.base_url) + path + "$"))
    page.get_by_role("button", name="Toggle navigation").click()
    expect(header_link(page, label)).to_have_attribute("aria-current", state)
    header_fits(page)


def test_someone_with_two_roles_switches_and_the_header_follows(site: AccessiblePage) -> None:
    page = site.page
    ensure_catalogue()
    made = make_centre(assessors=0)
    MembershipFactory(user=made.iv, centre=made.centre, role=Role.ASSESSOR)
    site.goto("/")
    sign_in(site, made.iv.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    # The broadest role first: the IV's places.
    expect(header_link(page, "Validation queue")).to_be_visible()
    expect(header_link(page, "Assessment queue")).to_have_count(0)

    page.get_by_label("Work as").select_option(label=f"Assessor — {made.centre.name}")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("assessor at")
    expect(header_link(page, "Assessment queue")).to_be_visible()
    expect(header_link(page, "Validation queue")).to_have_count(0)
