"""Issue 19's foundation in the browser: the admin adds an employer, invites a contact and
records a learner's apprenticeship; the contact accepts and finds the apprentice at home."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import expect

from qualifications.models import Qualification
from tests.browser.conftest import AccessiblePage
from tests.browser.test_invitations import sign_in, sign_out
from tests.factories import CentreFactory, RegistrationFactory, UserFactory, member


def test_an_admin_records_an_apprenticeship_and_the_employer_sees_it(
    site: AccessiblePage,
) -> None:
    page = site.page
    centre = CentreFactory(name="Northgate")
    admin = member(centre, "admin", full_name="Olive Admin")
    learner = member(centre, "learner", full_name="Ana Apprentice")
    registration = RegistrationFactory(
        centre=centre,
        learner=learner,
        qualification=Qualification.objects.get(number="601/3973/0"),
        start_date=datetime.date(2026, 9, 1),
    )
    erin = UserFactory(full_name="Erin Employer", email="erin@acme.example")

    sign_in(site, admin.email)
    site.goto("/centre/employers/")
    page.get_by_role("link", name="Add an employer").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Name").fill("Acme Retail")
    page.get_by_label("Phone").fill("0161 496 0000")
    page.get_by_role("button", name="Add the employer").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("employers")).to_contain_text("Acme Retail")

    site.goto("/centre/people/add/")
    page.get_by_label("Full name").fill("Erin Employer")
    page.get_by_label("E-mail address").fill(erin.email)
    page.get_by_label("Role").select_option("employer")
    page.get_by_label("Employer", exact=True).select_option(label="Acme Retail")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("as employer contact")

    site.goto(f"/portfolio/registrations/{registration.pk}/")
    page.get_by_role("link", name="Record the apprenticeship").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record the apprenticeship")
    # Required fields' labels end in crispy's asterisk: found by role and the name's start.
    page.get_by_role("combobox", name=re.compile(r"^Employer")).select_option(label="Acme Retail")
    page.get_by_role("combobox", name=re.compile(r"^Standard")).select_option(index=1)
    page.get_by_label("Standard version").fill("1.2")
    page.get_by_label("Practical period starts").fill("2026-09-01")
    page.get_by_label("Practical period planned to end").fill("2027-03-01")
    page.get_by_label("Minimum off-the-job hours").fill("278")
    page.get_by_label("End-point assessment organisation").fill("Highfield Assessment")
    page.get_by_role("button", name="Record the apprenticeship").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    # Too short a practical period: said, and nothing typed is lost.
    expect(page.locator("main")).to_contain_text("must last at least 366 days")
    expect(page.get_by_label("End-point assessment organisation")).to_have_value(
        "Highfield Assessment"
    )
    page.get_by_label("Practical period planned to end").fill("2027-10-01")
    page.get_by_role("button", name="Record the apprenticeship").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("apprenticeship")).to_contain_text("Acme Retail")
    expect(page.get_by_test_id("planned-otj")).to_contain_text("278")
    sign_out(site)

    sign_in(site, erin.email)
    mine = page.get_by_test_id("my-invitations")
    expect(mine).to_contain_text("Northgate")
    mine.get_by_role("button", name="Accept").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    site.goto("/")
    apprentices = page.get_by_test_id("apprentices")
    expect(apprentices).to_contain_text("Ana Apprentice")
    apprentices.get_by_role("link", name="Ana Apprentice", exact=True).click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("apprenticeship")).to_contain_text("Highfield Assessment")
    expect(page.locator("main")).not_to_contain_text("Change the apprenticeship")
