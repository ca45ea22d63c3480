"""NCFE 601/3973/0 in the browser (with axe, and at 390 px): the document gives no rule of
combination, so the admin's registration page says the learner cannot complete and links to the
page where the centre records its rule; a rule asking for nothing is refused with the reason; an
interim rule with its source is recorded, and the learner's portfolio then names it."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from accounts.models import Role
from portfolios.models import CentreCombinationRule
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_registration import sign_out
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member

NCFE = "601/3973/0"


def test_the_admin_records_an_interim_rule_and_the_learner_is_told(site: AccessiblePage) -> None:
    ensure_catalogue()
    centre = CentreFactory(name="Northgate Training Centre")
    ncfe = Qualification.objects.get(number=NCFE)
    centre.qualifications.add(ncfe)
    admin = member(centre, Role.CENTRE_ADMIN)
    learner = member(centre, Role.LEARNER, full_name="Ana Lima")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=ncfe,
        start_date=datetime.date.today(),
    )
    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})

    site.goto("/accounts/login/")
    sign_in(site, admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/portfolio/registrations/{registration.pk}/")
    expect(page.get_by_test_id("rule-notice")).to_contain_text(
        "This qualification has no recorded rule of combination"
    )
    site.assert_accessible()
    fits(page)
    page.get_by_role("link", name=f"Record the rule of combination for {NCFE}").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("no-rule")).to_contain_text("its learners cannot complete it")
    site.assert_accessible()
    fits(page)

    # A rule that asks for nothing is refused, with the reason, and what was typed stays.
    page.get_by_label("An interim rule the centre states until then").check()
    page.get_by_label("Source").fill("Agreed with our EQA on 3 December, until the spec comes.")
    page.get_by_role("button", name="Record the rule").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("error-summary")).to_contain_text("A rule must ask for something")
    expect(page.get_by_label("Source")).to_have_value(
        "Agreed with our EQA on 3 December, until the spec comes."
    )
    site.assert_accessible()
    fits(page)
    assert not CentreCombinationRule.objects.exists()

    page.get_by_label("Minimum number of units in total").fill("2")
    page.get_by_role("button", name="Record the rule").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text(f"Rule of combination recorded for {NCFE}")).to_be_visible()
    expect(page.get_by_test_id("recorded-rule")).to_contain_text("Minimum units: 2")
    site.assert_accessible()
    fits(page)
    assert CentreCombinationRule.objects.get().basis == "interim"
    # At 390 px the header's Sign out sits behind the menu button; open the menu first.
    page.get_by_role("button", name="Toggle navigation").click()
    sign_out(site)

    site.goto("/accounts/login/")
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/portfolio/evidence/registration/{registration.pk}/")
    expect(page.get_by_test_id("rule-notice")).to_contain_text(
        "Rule of combination recorded by Northgate Training Centre"
    )
    site.assert_accessible()
    fits(page)
