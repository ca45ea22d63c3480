"""Releasing decisions in the browser (with axe): the learner waits, the IV agrees from the
queue, the learner then reads the outcome; the centre admin's release settings."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from accounts.models import Role
from assessments.services import record_decision
from portfolios.services import register_learner
from qualifications.models import Qualification, Unit
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, mapped_evidence, member


def test_the_learner_reads_a_decision_once_the_iv_agrees_it(site: AccessiblePage) -> None:
    ensure_catalogue()
    centre = CentreFactory()
    pearson = Qualification.objects.get(number="603/5449/5")
    centre.qualifications.add(pearson)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR, full_name="Alex Assessor")
    iv = member(centre, Role.INTERNAL_VERIFIER, full_name="Ivy Verifier")
    learner = member(centre, Role.LEARNER, full_name="Bea Jones")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=pearson,
        start_date=datetime.date.today(),
        assessors=[assessor],
        internal_verifier=iv,
    )
    unit = Unit.objects.get(key="PEARSON:Unit 1")
    criterion = unit.criteria.order_by("position").first()
    record_decision(
        assessor=assessor,
        registration=registration,
        criterion=criterion,
        outcome="met",
        method="assignment",
        assessed_on=datetime.date.today(),
        feedback="The report covers every point of the brief.",
        evidence=[mapped_evidence(registration, criterion)],
    )
    page = site.page
    unit_path = f"/assessment/registration/{registration.pk}/unit/{unit.pk}/"
    row = page.get_by_test_id(f"criterion-{criterion.pk}")

    site.goto("/accounts/login/")
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(unit_path)
    expect(row).to_contain_text("Awaiting internal verification")
    site.assert_accessible()
    page.context.clear_cookies()

    site.goto("/accounts/login/")
    sign_in(site, iv.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="Decisions waiting for your validation").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label(f"{unit.reference or unit.key} {criterion.number}").check()
    page.get_by_label("Agreed").check()
    page.get_by_role("button", name="Record the validation").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("1 decision agreed and released to the learner.")).to_be_visible()
    site.assert_accessible()
    page.context.clear_cookies()

    site.goto("/accounts/login/")
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(unit_path)
    expect(row).to_contain_text("Met")
    expect(row).to_contain_text("Validated (agreed)")
    site.assert_accessible()
    page.context.clear_cookies()

    site.goto("/accounts/login/")
    sign_in(site, admin.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="Releasing decisions to learners").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    # Pearson requires validation before release ("must be validated by an Internal Verifier
    # before it is given to the learner", specification line 452): switching it off is refused,
    # with the rule and its source in the error summary and beside the field.
    expect(page.get_by_test_id(f"release-{pearson.pk}")).to_contain_text(
        "required by Pearson, cannot be switched off"
    )
    page.get_by_label("Qualification").select_option(str(pearson.pk))
    page.get_by_label("The learner sees it at once").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("error-summary")).to_contain_text(
        "Internal verification before release cannot be switched off for 603/5449/5"
    )
    expect(page.get_by_test_id("error-summary")).to_contain_text(
        "must be validated by an Internal Verifier before it is given to the learner"
    )
    expect(page.get_by_test_id(f"release-{pearson.pk}")).to_contain_text(
        "Validated by an internal verifier first"
    )
    site.assert_accessible()


def test_the_iv_agrees_a_held_return_from_the_queue_and_the_learner_then_reads_it(
    site: AccessiblePage,
) -> None:
    # Pearson BTEC specification, section 8 "Issuing assessment decisions and feedback":
    # feedback "must be validated by an Internal Verifier before it is given to the learner".
    from assessments.services import return_evidence
    from portfolios import evidence as evidence_services

    ensure_catalogue()
    centre = CentreFactory()
    pearson = Qualification.objects.get(number="603/5449/5")
    centre.qualifications.add(pearson)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR, full_name="Alex Assessor")
    iv = member(centre, Role.INTERNAL_VERIFIER, full_name="Ivy Verifier")
    learner = member(centre, Role.LEARNER, full_name="Bea Jones")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=pearson,
        start_date=datetime.date.today(),
        assessors=[assessor],
        internal_verifier=iv,
    )
    criterion = Unit.objects.get(key="PEARSON:Unit 1").criteria.order_by("position").first()
    evidence = evidence_services.evidence_create(
        actor=learner,
        registration=registration,
        title="Survey",
        evidence_date=datetime.date.today(),
        method="product",
        context="real_work_paid",
        description="Work I did.",
    )
    evidence_services.map_criteria(actor=learner, evidence=evidence, criteria=[criterion])
    evidence_services.submit(
        actor=learner, evidence=evidence, typed_name=learner.full_name, confirmed=True
    )
    feedback = "AC1.1 not demonstrated: the survey names no customer."
    return_evidence(assessor=assessor, evidence=evidence, feedback=feedback)
    page = site.page
    detail = f"/portfolio/evidence/{evidence.pk}/"

    site.goto("/accounts/login/")
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(detail)
    expect(page.get_by_test_id("evidence-status")).to_contain_text("Submitted")
    expect(page.get_by_text(feedback)).to_have_count(0)
    site.assert_accessible()
    page.context.clear_cookies()

    site.goto("/accounts/login/")
    sign_in(site, iv.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.set_viewport_size({"width": 390, "height": 844})
    site.goto("/assessment/validation/")
    site.assert_accessible()
    fits(page)
    returns = page.locator("section", has=page.get_by_role("heading", name="Returns"))
    returns.get_by_label("Survey (version 1)").check()
    returns.get_by_label("Agreed").check()
    returns.get_by_role("button", name="Record the validation").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("1 return agreed: the learner has the feedback now.")).to_be_visible()
    site.assert_accessible()
    page.context.clear_cookies()

    site.goto("/accounts/login/")
    sign_in(site, learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(detail)
    expect(page.get_by_test_id("evidence-status")).to_contain_text("Returned for resubmission")
    expect(page.get_by_text(feedback)).to_be_visible()
    site.assert_accessible()
