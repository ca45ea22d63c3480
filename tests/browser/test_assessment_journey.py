"""Issue 6's journey in the browser, with axe on every page.

An assessor opens a learner's submitted evidence, confirms (and corrects) the learner's mapping,
judges criteria, returns one piece for resubmission; the learner resubmits; the assessor accepts
it and signs off the unit; the learner sees it signed off; an assessor from another centre cannot
see any of it. Only the learner's first submissions are made through the services: uploading,
mapping and signing in the browser are covered by test_evidence.py.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from accounts.models import Role, User
from assessments.models import Decision, UnitSignOff
from portfolios import evidence as evidence_services
from portfolios.models import Evidence, EvidenceStatus, Registration
from portfolios.services import register_learner
from qualifications.models import AssessmentCriterion, Qualification, Unit
from tests.browser.conftest import AccessiblePage
from tests.browser.test_registration import sign_out
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member
from tests.support import clock

AWARD = "600/1686/3"  # Ascentis Level 1 Award for Introduction to Customer Service
PHONE_UNIT = "T/601/6077"  # Answer telephone calls from customers: 7 criteria


def submitted(
    registration: Registration, title: str, criteria: list[AssessmentCriterion]
) -> Evidence:
    today = clock.today()
    learner = registration.learner
    evidence = evidence_services.evidence_create(
        actor=learner,
        registration=registration,
        title=title,
        evidence_date=today,
        method="product",
        context="real_work_paid",
        description=f"{title}, from my shifts on the service desk.",
    )
    evidence_services.map_criteria(actor=learner, evidence=evidence, criteria=criteria)
    evidence_services.submit(
        actor=learner, evidence=evidence, typed_name=learner.full_name, confirmed=True
    )
    return evidence


def open_from_queue(site: AccessiblePage, title: str) -> None:
    page = site.page
    site.goto("/assessment/queue/")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Assess: {title}")
    page.wait_for_load_state("load")
    site.assert_accessible()


def judge_met(site: AccessiblePage, *criteria: AssessmentCriterion) -> None:
    """Judge `criteria` met in the one form, in one submit."""
    page = site.page
    for criterion in criteria:
        article = page.get_by_test_id(f"criterion-{criterion.pk}")
        article.get_by_label("Met", exact=True).check()
        article.get_by_role("textbox", name=re.compile("^Feedback on")).fill(
            f"Shown clearly for {criterion.number}."
        )
    page.get_by_role("button", name="Record the judgements").click()
    count = len(criteria)
    expect(page.get_by_test_id("judging-result")).to_contain_text(
        f"{count} {'criterion' if count == 1 else 'criteria'} judged"
    )
    for criterion in criteria:
        expect(page.get_by_test_id(f"current-{criterion.pk}")).to_have_text("Met")
    site.assert_accessible()


def switch_to(site: AccessiblePage, person: User) -> None:
    sign_out(site)
    site.goto("/accounts/login/")
    sign_in(site, person.email, DEFAULT_PASSWORD)
    site.assert_accessible()


def expect_not_found(site: AccessiblePage, path: str) -> None:
    response = site.page.goto(site.base_url + path)
    assert response is not None, path
    assert response.status == 404, path
    site.assert_accessible()
    expect(site.page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_an_assessment_from_submission_to_sign_off_seen_by_the_learner_and_no_one_else(
    site: AccessiblePage,
) -> None:
    today = clock.today()
    ensure_catalogue()
    award = Qualification.objects.get(number=AWARD)
    centre = CentreFactory(name="Harbour Training")
    centre.qualifications.add(award)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR, full_name="Alex Assessor")
    learner = member(centre, Role.LEARNER, full_name="Lena Learner")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=award,
        start_date=today,
        unit_keys=[PHONE_UNIT],
        assessors=[assessor],
    )
    # An assessor at another centre offering the same award, with a learner of their own.
    elsewhere = CentreFactory(name="Valley College")
    elsewhere.qualifications.add(award)
    stranger = member(elsewhere, Role.ASSESSOR, full_name="Sam Stranger")
    register_learner(
        actor=member(elsewhere, Role.CENTRE_ADMIN),
        learner=member(elsewhere, Role.LEARNER),
        centre=elsewhere,
        qualification=award,
        start_date=today,
        assessors=[stranger],
    )
    unit = Unit.objects.get(key=PHONE_UNIT)
    criteria = {c.number: c for c in unit.criteria.all()}
    assert sorted(criteria) == ["1.1", "1.2", "2.1", "2.2", "2.3", "3.1", "3.2"]
    # The learner missed that the call log also shows 3.1; the assessor adds it.
    log = submitted(
        registration, "Call log", [criteria[n] for n in ("1.1", "1.2", "2.1", "2.2", "2.3")]
    )
    notes = submitted(registration, "Call notes", [criteria["3.2"]])
    page: Page = site.page

    # The assessor: queue, then the call log.
    site.goto("/accounts/login/")
    sign_in(site, assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="Evidence waiting for assessment").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("link", name="Call log")).to_be_visible()
    expect(page.get_by_role("link", name="Call notes")).to_be_visible()
    page.get_by_role("link", name="Call log").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id(f"mapping-{criteria['1.1'].pk}")).to_contain_text(
        "Mapping not confirmed yet"
    )

    # Confirm the learner's mapping, adding 3.1.
    mapping = page.locator("section[aria-labelledby=mapping-heading]")
    expect(mapping.get_by_label(re.compile(r"^T/601/6077 1\.1:"))).to_be_checked()
    mapping.get_by_label(re.compile(r"^T/601/6077 3\.1:")).check()
    mapping.get_by_role("button", name="Confirm the mapping").click()
    expect(page.get_by_text("Mapping changed and confirmed: added T/601/6077 3.1.")).to_be_visible()
    page.wait_for_load_state("load")
    site.assert_accessible()
    for number in ("1.1", "3.1"):
        expect(page.get_by_test_id(f"mapping-{criteria[number].pk}")).to_contain_text(
            "Mapping confirmed by Alex Assessor"
        )

    # Judge its six criteria met in one submit: the evidence is then assessed.
    judge_met(site, *(criteria[number] for number in ("1.1", "1.2", "2.1", "2.2", "2.3", "3.1")))
    expect(page.get_by_test_id("evidence-status")).to_have_text("Assessed")

    # Return the call notes for resubmission.
    open_from_queue(site, "Call notes")
    page.get_by_label("What the learner should change").fill(
        "Add the date and time of each call you describe."
    )
    page.get_by_role("button", name="Return to the learner").click()
    expect(page.get_by_test_id("evidence-status")).to_have_text("Returned for resubmission")
    page.wait_for_load_state("load")
    site.assert_accessible()

    # The learner reads the judged call log on their own page of it; the assessing page is staff's.
    switch_to(site, learner)
    site.goto(f"/assessment/evidence/{log.pk}/")
    expect(page).to_have_url(re.compile(rf"/portfolio/evidence/{log.pk}/$"))
    assessed = page.get_by_test_id("learner-assessment")
    expect(assessed.get_by_test_id(f"current-{criteria['3.1'].pk}")).to_have_text("Met")
    page.wait_for_load_state("load")
    site.assert_accessible()

    # The learner reads the feedback, starts a new version, signs and submits it.
    site.goto(f"/portfolio/evidence/{notes.pk}/")
    expect(page.get_by_text("Add the date and time of each call you describe.")).to_be_visible()
    page.get_by_role("button", name="Start a new version").click()
    expect(page.get_by_text("Version 2 started")).to_be_visible()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Your full name").fill("Lena Learner")
    confirm = page.get_by_label(re.compile("I confirm that this evidence is my own work"))
    confirm.focus()
    page.keyboard.press("Space")
    expect(confirm).to_be_checked()
    page.get_by_role("button", name="Sign and submit").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("declaration")).to_contain_text("Lena Learner")
    page.wait_for_load_state("load")
    site.assert_accessible()
    second = Evidence.objects.get(previous=notes)
    assert second.status == EvidenceStatus.SUBMITTED

    # The assessor confirms the new version's mapping as it is, accepts it and signs off.
    switch_to(site, assessor)
    open_from_queue(site, "Call notes")
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 2")
    page.get_by_role("button", name="Confirm the mapping").click()
    expect(page.get_by_text("The learner's mapping to 1 criterion is confirmed.")).to_be_visible()
    page.wait_for_load_state("load")
    site.assert_accessible()
    judge_met(site, criteria["3.2"])
    expect(page.get_by_test_id("evidence-status")).to_have_text("Assessed")
    page.get_by_test_id(f"criterion-{criteria['3.2'].pk}").get_by_role(
        "link", name="unit T/601/6077"
    ).click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_text("Criteria met: 7 of 7")).to_be_visible()
    # Ascentis's own statement (Appendix 2, L1398), signed by the assessor.
    page.get_by_label("judged for validity, authenticity, currency").check()
    page.get_by_label("Your password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign off the unit").click()
    expect(page.get_by_test_id("sign-off")).to_contain_text("Alex Assessor")
    page.wait_for_load_state("load")
    site.assert_accessible()
    # The decisions rest on the evidence the assessor judged.
    assert Decision.objects.get(criterion=criteria["3.1"]).evidence.get() == log
    assert Decision.objects.get(criterion=criteria["3.2"]).evidence.get() == second
    assert UnitSignOff.objects.active().filter(registration=registration, unit=unit).exists()

    # The learner finds the unit signed off from their portfolio.
    switch_to(site, learner)
    site.goto(f"/portfolio/evidence/registration/{registration.pk}/")
    page.get_by_role("link", name="Decisions and sign-off for T/601/6077").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("sign-off")).to_contain_text("Alex Assessor")
    expect(page.get_by_text("Criteria met: 7 of 7")).to_be_visible()

    # The assessor from the other centre sees none of it: not in the queue, 404 everywhere.
    switch_to(site, stranger)
    site.goto("/assessment/queue/")
    expect(page.get_by_role("link", name=re.compile("Call"))).to_have_count(0)
    for path in (
        f"/assessment/evidence/{log.pk}/",
        f"/assessment/evidence/{second.pk}/",
        f"/assessment/registration/{registration.pk}/unit/{unit.pk}/",
        f"/portfolio/evidence/{notes.pk}/",
        f"/portfolio/evidence/registration/{registration.pk}/",
    ):
        expect_not_found(site, path)
