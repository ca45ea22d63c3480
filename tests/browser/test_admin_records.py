"""The centre admin's records in the browser (issue 17): the awarding body's registration
recorded late (Ascentis L249 named), a unit credited by transfer (SFJ section 2.8) and one
refused as not identical; axe-clean and fitting 390 px."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from portfolios.models import CreditTransfer, Registration
from tests.assessments.test_credit_transfer import again
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_sign_in import sign_in
from tests.certification.claim_cases import SFJ, learner_on, make_centre, units_of
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD


def test_an_admin_records_the_awarding_body_registration_and_a_credit_transfer(
    site: AccessiblePage,
) -> None:
    ensure_catalogue()
    where = make_centre()
    ascentis = learner_on(
        where,
        name="Olive Overdue",
        qualification="600/1686/3",
        status="active",
        iv_signed=False,
        start=datetime.date.today() - datetime.timedelta(days=60),
    )
    earlier = learner_on(
        where, name="Wes Withdrawn", qualification=SFJ, status="withdrawn", iv_signed=False
    )
    registration = again(earlier)
    first, second = units_of(SFJ, 2)
    page = site.page
    site.goto("/accounts/login/")
    sign_in(site, where.admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()

    site.goto("/centre/registrations/?awarding_body=overdue")
    site.assert_accessible()
    expect(page.get_by_role("table")).to_contain_text("Olive Overdue")
    expect(page.get_by_role("table")).to_contain_text("Ascentis specification L249")

    site.goto(f"/portfolio/registrations/{ascentis.pk}/")
    site.assert_accessible()
    page.get_by_label("Awarding body registration number").fill("ASC-1")
    page.get_by_label("Registered with the awarding body on").fill(
        datetime.date.today().isoformat()
    )
    page.get_by_role("button", name="Record the registration").click()
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("Ascentis specification L249")
    assert Registration.objects.get(pk=ascentis.pk).awarding_body_number == "ASC-1"

    site.goto(f"/portfolio/registrations/{registration.pk}/")
    site.assert_accessible()
    page.get_by_label("The learner's unit to credit").select_option(str(first.pk))
    page.get_by_label("Unit reference number on the earlier award").fill(second.reference)
    page.get_by_label("Achieved on the learner's earlier registration here").select_option(
        str(earlier.pk)
    )
    page.get_by_role("button", name="Credit the unit").click()
    site.assert_accessible()
    expect(page.get_by_role("alert")).to_contain_text("SFJ Awards specification section 2.8")
    assert not CreditTransfer.objects.exists()

    page.get_by_label("Unit reference number on the earlier award").fill(first.reference)
    page.get_by_role("button", name="Credit the unit").click()
    site.assert_accessible()
    expect(page.get_by_test_id("credit-transfers")).to_contain_text(first.reference)

    page.set_viewport_size({"width": 390, "height": 844})
    fits(page)
