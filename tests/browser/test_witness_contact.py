"""Issue 19 in the browser: a learner asks their employer's contact for testimony through the
contact's account; the contact finds it on their home (beside their apprentice's KSBs and
off-the-job hours against the plan), writes and signs it, and sees it answered."""

from __future__ import annotations

from playwright.sync_api import expect

from accounts.models import Role
from qualifications.models import Qualification
from tests.browser.conftest import AccessiblePage
from tests.browser.test_invitations import sign_in, sign_out
from tests.factories import CentreFactory, EmployerFactory, member
from tests.portfolios.test_witness_contact import make_apprentice


def test_a_learner_asks_their_employer_contact_who_signs_signed_in(
    site: AccessiblePage,
) -> None:
    page = site.page
    centre = CentreFactory(name="Northgate")
    centre.qualifications.add(Qualification.objects.get(number="601/3973/0"))
    acme = EmployerFactory(centre=centre, name="Acme Retail")
    assessor = member(centre, Role.ASSESSOR, full_name="Ada Assessor")
    registration = make_apprentice(centre, acme, assessor, "Priya Shah")
    contact = member(centre, Role.EMPLOYER, employer=acme, full_name="Sarah Quinn")

    sign_in(site, registration.learner.email)
    site.goto(f"/portfolio/witness/registrations/{registration.pk}/ask/")
    site.assert_accessible()
    page.get_by_label("Ask one of the employer's contacts").select_option(label="Sarah Quinn")
    page.get_by_label("Witness's job title").fill("Front of house manager")
    page.get_by_label("Relationship to the learner").fill("line manager")
    page.get_by_label("What the witness is asked about").fill("A complaint at the front desk.")
    page.locator("input[name=criteria]").first.check()
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("waits on their home page")
    sign_out(site)

    sign_in(site, contact.email)
    expect(page.get_by_test_id("hours")).to_contain_text("hours approved, ")
    expect(page.get_by_test_id("ksbs")).to_contain_text("KSBs covered")
    requested = page.get_by_test_id("testimony-requested")
    requested.get_by_role("link", name="Testimony for Priya Shah").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Your testimony").fill("Priya listened, apologised and put it right.")
    page.get_by_label("Type your full name to sign").fill("Sarah Quinn")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Sign and send").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("your testimony is in Priya Shah")
    expect(page.get_by_test_id("witness-done")).to_contain_text("Signed by you")
    expect(page.get_by_test_id("nothing-waiting")).to_be_visible()
