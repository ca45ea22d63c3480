"""A witness answers a request from its e-mailed link, without an account."""

from __future__ import annotations

import datetime
import re

from django.core import mail
from playwright.sync_api import expect

from accounts.models import Role
from portfolios.services import register_learner
from qualifications.models import AssessmentCriterion, Qualification
from tests.browser.conftest import AccessiblePage
from tests.browser.test_registration import sign_out
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member


def test_a_learner_asks_a_witness_who_answers_once_by_the_link(site: AccessiblePage) -> None:
    ensure_catalogue()
    centre = CentreFactory()
    imi = Qualification.objects.get(number="601/3456/2")
    centre.qualifications.add(imi)
    admin = member(centre, Role.CENTRE_ADMIN)
    learner = member(centre, Role.LEARNER, full_name="Nadia Brooks")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=imi,
        start_date=datetime.date.today(),
    )
    criterion = AssessmentCriterion.objects.get(unit__key="A/506/2130", number="1.1")
    page = site.page
    mail.outbox.clear()

    site.goto("/accounts/login/")
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/portfolio/witness/registrations/{registration.pk}/")
    page.get_by_role("link", name="Ask a witness").click()
    page.wait_for_url(re.compile(r"/ask/$"), wait_until="load")
    site.assert_accessible()
    page.get_by_label("Witness's full name").fill("Gareth Price")
    page.get_by_label("Witness's e-mail address").fill("gareth@employer.example")
    page.get_by_label("Witness's job title").fill("Store manager")
    page.get_by_label("Relationship to the learner").fill("Line manager")
    page.get_by_label("What the witness is asked about").fill("Serving customers at the counter")
    page.locator(f"#criterion-{criterion.pk}").check()
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Gareth Price").first).to_be_visible()
    page.wait_for_load_state("load")
    site.assert_accessible()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/portfolio/witness/respond/\S+/)", mail.outbox[0].body)
    assert link
    sign_out(site)

    # The witness, signed out, opens the link and signs.
    site.goto(link.group(1))
    expect(page.get_by_role("heading", name="Witness testimony for Nadia")).to_be_visible()
    expect(page.get_by_text(criterion.text)).to_be_visible()
    page.get_by_label("Your testimony").fill("Nadia greeted every customer and resolved a refund.")
    page.get_by_label("Type your full name to sign").fill("Gareth Price")
    page.get_by_label(re.compile("I confirm that I saw the learner")).check()
    page.get_by_role("button", name="Sign and send").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    page.wait_for_load_state("load")
    site.assert_accessible()

    # The link works once.
    response = page.goto(site.base_url + link.group(1))
    assert response is not None
    assert response.status == 410
    site.assert_accessible()
