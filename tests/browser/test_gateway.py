"""The end-point assessment gateway in the browser: the assessor names the last KSB gap, the
apprentice, their employer's contact and the assessor each sign the declaration, the centre
admin records the result, and the registration page's card shows it. Every page is checked
with axe and measured at 390 px (assert_accessible)."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from portfolios.models import GatewayGap
from tests.assessments.test_gateway import ksb, make_people, make_ready
from tests.browser.conftest import AccessiblePage
from tests.browser.test_off_the_job import switch_to
from tests.conftest import ensure_catalogue


def test_the_gateway_is_passed_by_three_signatures_and_the_result_recorded(
    site: AccessiblePage,
) -> None:
    ensure_catalogue()
    people = make_ready(make_people())
    GatewayGap.objects.filter(registration=people.registration, statement=ksb("K1")).delete()
    page = site.page
    gateway_url = f"/assessment/gateway/registration/{people.registration.pk}/"

    # The assessor finds one item not met, follows its link and names the gap.
    switch_to(site, people.assessor.email)
    site.goto(gateway_url)
    expect(page.get_by_test_id("item-ksbs")).to_contain_text("Not met")
    expect(page.get_by_test_id("gateway-not-ready")).to_be_visible()
    gap = page.get_by_test_id("gap-K1")
    gap.get_by_text("Name the gap").click()
    site.assert_accessible()
    gap.get_by_label("What the gap is").fill("No evidence of the organisation's vision.")
    gap.get_by_label("How the end-point assessment will cover it").fill(
        "Professional discussion at the end-point assessment."
    )
    page.get_by_role("button", name="Record the gap for K1").click()
    site.assert_accessible()
    expect(page.get_by_test_id("gateway-ready")).to_be_visible()
    page.get_by_role("button", name="Sign: the apprentice is ready (training provider)").click()
    site.assert_accessible()
    expect(page.get_by_test_id("party-provider")).to_contain_text("signed by Sam Assessor")

    # The apprentice, then their employer's contact, each sign for themselves.
    for email, party, name in (
        (people.learner.email, "apprentice", "Ana Lima"),
        (people.contact.email, "employer", "Sarah Quinn"),
    ):
        switch_to(site, email)
        site.goto(gateway_url)
        page.get_by_role("button", name=f"Sign: the apprentice is ready ({party})").click()
        site.assert_accessible()
        expect(page.get_by_test_id(f"party-{party}")).to_contain_text(f"signed by {name}")
    expect(page.get_by_test_id("gateway-passed")).to_be_visible()

    # The centre admin records the result the EPAO awarded.
    switch_to(site, people.admin.email)
    site.goto(gateway_url)
    page.get_by_label("Grade").select_option(label="Distinction")
    page.get_by_label("Date of the result").fill(datetime.date.today().isoformat())
    page.get_by_role("button", name="Record the result").click()
    site.assert_accessible()
    expect(page.get_by_test_id("epa-result")).to_contain_text("Distinction")

    # The registration page's apprenticeship card shows it, and leads back to the gateway.
    site.goto(f"/portfolio/registrations/{people.registration.pk}/")
    expect(page.get_by_test_id("epa-result")).to_contain_text("Distinction")
    page.get_by_role("link", name="The end-point assessment gateway").click()
    site.assert_accessible()
    expect(page.get_by_test_id("epa-result")).to_contain_text("Highfield Assessment")
