"""Simulation agreements in the browser (with axe): the centre contact reads SFJ's rules and
records an agreement; the learner's evidence form shows what SFJ allows outside real work."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from accounts.models import Role
from portfolios.models import RegistrationUnit, SimulationAgreement
from qualifications.models import Qualification, Unit
from tests.browser.conftest import AccessiblePage
from tests.browser.test_registration import sign_out
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, RegistrationFactory, member

SFJ = "601/1109/4"
LEVEL_2 = "M/601/1511"


def test_the_centre_contact_records_an_sfj_simulation_agreement(site: AccessiblePage) -> None:
    ensure_catalogue()
    centre = CentreFactory()
    sfj = Qualification.objects.get(number=SFJ)
    centre.qualifications.add(sfj)
    admin = member(centre, Role.CENTRE_ADMIN)
    learner = member(centre, Role.LEARNER, full_name="Sam Okafor")
    registration = RegistrationFactory(learner=learner, centre=centre, qualification=sfj)
    unit = Unit.objects.get(key=LEVEL_2)
    RegistrationUnit.objects.create(registration=registration, unit=unit)
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="Simulation agreements").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id(f"rules-{sfj.pk}")).to_contain_text(
        "Simulations must be agreed between SFJ Awards and the Centre contact"
    )
    site.assert_accessible()
    page.get_by_label("Qualification").select_option(str(sfj.pk))
    page.get_by_label(f"{LEVEL_2} ", exact=False).check()
    page.get_by_label("The work activity presents high risk").check()
    page.get_by_label("Agreed at the awarding body by").fill("Jo Bloggs")
    page.get_by_label("Date agreed").fill(datetime.date.today().isoformat())
    page.get_by_label("The awarding body's reference").fill("SFJ-SIM-9")
    page.get_by_label("Location, environment and documented plan agreed").fill("Training room.")
    page.get_by_role("button", name="Record the agreement").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("Simulation agreement SFJ-SIM-9 recorded.")).to_be_visible()
    site.assert_accessible()
    assert SimulationAgreement.objects.get().units.get() == unit
    sign_out(site)

    site.goto("/accounts/login/")
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/portfolio/evidence/registration/{registration.pk}/new/")
    expect(page.get_by_test_id("setting-rules")).to_contain_text("What SFJ Awards allows")
    site.assert_accessible()
