"""Decisions rest on evidence, in the browser: the assessor records the learner's prior
learning (Pearson BTEC specification, section 9, "Recognition of Prior Learning"), judges a
criterion met by RPL on it, and signs the unit off only with the authenticity declaration
(section 8, "Authenticity of learner work"). axe on every page; the pages fit 390 px."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from accounts.models import Role
from assessments.models import Decision, UnitSignOff
from assessments.services import record_decision
from demo.common import tiny_pdf
from portfolios.services import register_learner
from qualifications.models import Qualification, Unit
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, mapped_evidence, member


def test_an_assessor_recognises_prior_learning_and_signs_off_with_the_declaration(
    site: AccessiblePage,
) -> None:
    ensure_catalogue()
    centre = CentreFactory()
    imi = Qualification.objects.get(number="601/3456/2")
    centre.qualifications.add(imi)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR, full_name="Alex Assessor")
    learner = member(centre, Role.LEARNER, full_name="Ana Lima")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=imi,
        start_date=datetime.date.today(),
        assessors=[assessor],
    )
    unit = Unit.objects.get(key="F/506/2131")
    first, *others = list(unit.criteria.order_by("position"))
    survey = mapped_evidence(registration, others)
    for criterion in others:
        record_decision(
            assessor=assessor,
            registration=registration,
            criterion=criterion,
            outcome="met",
            method="product",
            assessed_on=datetime.date.today(),
            evidence=[survey],
        )
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/portfolio/evidence/registration/{registration.pk}/")
    page.get_by_role("link", name="Record prior learning (RPL)").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Title").fill("Level 2 Certificate in Customer Service (2023)")
    page.get_by_label("Where the prior learning was gained").fill("Northgate College")
    page.get_by_label("Why the prior learning meets the criteria").fill(
        "Her certificate's unit 3 covers 1.1 in full; I checked it with the awarding body."
    )
    page.get_by_label("Evidence of the prior learning (optional)").set_input_files(
        [{"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": tiny_pdf("Cert")}]
    )
    page.locator("details", has=page.locator(f"#criterion-{first.pk}")).locator("summary").click()
    page.locator(f"#criterion-{first.pk}").check()
    page.get_by_role("button", name="Sign and save the record").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Recognition of prior learning record"
    )
    site.assert_accessible()

    # Judged met by RPL on the record, in the one judging form.
    page.get_by_role("link", name="Judge its criteria").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Assessment method").select_option("rpl")
    page.get_by_test_id(f"criterion-{first.pk}").get_by_label("Met", exact=True).check()
    page.get_by_role("button", name="Record the judgements").click()
    expect(page.get_by_test_id("judging-result")).to_contain_text("1 criterion judged")
    site.assert_accessible()
    decision = Decision.objects.get(criterion=first)
    assert (decision.outcome, decision.method) == ("met", "rpl")

    # Sign-off without the declaration is refused, naming the rule and its source.
    site.goto(f"/assessment/registration/{registration.pk}/unit/{unit.pk}/")
    page.get_by_label("Your password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign off the unit").click()
    page.wait_for_load_state("load")
    expect(page.locator("form[action$='/sign-off/']")).to_contain_text(
        "Authenticity of learner work: confirm the assessor's declaration"
    )
    site.assert_accessible()
    assert not UnitSignOff.objects.exists()
    page.get_by_label("the evidence submitted for this unit is the learner's own").check()
    page.get_by_label("Your password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign off the unit").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("authenticity-declaration")).to_contain_text(
        "false declaration is a form of malpractice"
    )
    site.assert_accessible()

    # At 390 px the unit page and the RPL form fit without sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    site.goto(f"/assessment/registration/{registration.pk}/unit/{unit.pk}/")
    fits(page)
    site.goto(f"/assessment/registration/{registration.pk}/record/rpl/")
    fits(page)
