"""Cases in the browser: a learner's appeal walked through the lead IV and on to the head of
centre, and a reasonable adjustment requested, approved and shown to the assessor; each page
axe-clean and fitting 390 px.

Pearson BTEC specification (seed 003), "Appeals against assessment" (l.486): "The first step in
such a policy is a consideration of the evidence by a Lead Internal Verifier"; "Learner
malpractice" (l.506): the head of centre reports it, not the learner.
"""

from __future__ import annotations

from playwright.sync_api import Locator, expect

from certification.models import Case
from tests.browser.conftest import AccessiblePage, fits
from tests.browser.test_sign_in import sign_in
from tests.certification.claim_cases import learner_on, make_centre
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD


def as_person(site: AccessiblePage, email: str) -> None:
    site.page.context.clear_cookies()
    site.goto("/accounts/login/")
    sign_in(site, email, DEFAULT_PASSWORD)
    site.assert_accessible()


def section(site: AccessiblePage, heading: str) -> Locator:
    return site.page.locator("section").filter(
        has=site.page.get_by_role("heading", name=heading, exact=True)
    )


def open_panel(site: AccessiblePage, registration_pk: int) -> None:
    site.goto(f"/portfolio/evidence/registration/{registration_pk}/")
    expect(site.page.get_by_test_id("registration-cases")).to_be_visible()
    site.assert_accessible()


def test_an_appeal_goes_from_the_learner_to_the_lead_iv_and_on(site: AccessiblePage) -> None:
    ensure_catalogue()
    where = make_centre()
    registration = learner_on(where, name="Lea Learner")
    registration.assessors.add(where.assessor)
    page = site.page

    # The learner appeals from their portfolio; trying to report malpractice is refused first.
    as_person(site, registration.learner.email)
    open_panel(site, registration.pk)
    page.get_by_role("link", name="Appeal an assessment decision").click()
    site.assert_accessible()
    page.get_by_label("What kind of case").select_option("malpractice")
    page.get_by_label("What it is about").fill("My observation of unit 1 was cut short.")
    page.get_by_role("button", name="Raise the case").click()
    site.assert_accessible()
    expect(page.get_by_role("main")).to_contain_text(
        "'Learner malpractice' (l.506-508): the head of centre reports suspected malpractice"
    )
    expect(page.get_by_label("What it is about")).to_have_value(
        "My observation of unit 1 was cut short."
    )
    page.get_by_label("What kind of case").select_option("appeal")
    page.get_by_role("button", name="Raise the case").click()
    site.assert_accessible()
    expect(page.get_by_test_id("case-status")).to_have_text("Open with the lead internal verifier")
    expect(page.get_by_test_id("case-due")).to_contain_text("the lead internal verifier's answer")
    case = Case.objects.get()

    # The lead IV considers the evidence first.
    as_person(site, where.iv.email)
    site.goto("/cases/")
    page.get_by_role("link", name=case.title).click()
    site.assert_accessible()
    decide = section(site, "Decide as lead internal verifier")
    decide.get_by_label("Outcome").select_option("not_upheld")
    decide.get_by_label("Why (the learner reads this)").fill("The judgement was fair.")
    decide.get_by_role("button", name="Record the decision").click()
    site.assert_accessible()
    expect(page.get_by_test_id("case-status")).to_have_text("Decided: not upheld")

    # The learner takes it on, within the policy's days.
    as_person(site, registration.learner.email)
    site.goto(f"/cases/{case.pk}/")
    expect(page.get_by_test_id("case-due")).to_contain_text("the last day to take the appeal")
    further = section(site, "Take the appeal to the head of centre")
    further.get_by_label("Why").fill("The witness statement covers it.")
    further.get_by_role("button", name="Take the appeal further").click()
    site.assert_accessible()
    expect(page.get_by_test_id("case-status")).to_have_text("Open with the head of centre")

    # The head of centre decides; the history keeps every step; the page fits a phone.
    as_person(site, where.admin.email)
    site.goto(f"/cases/{case.pk}/")
    decide = section(site, "Decide")
    decide.get_by_label("Outcome").select_option("upheld")
    decide.get_by_label("Why (the learner reads this)").fill("Re-assess unit 1.")
    decide.get_by_role("button", name="Record the decision").click()
    site.assert_accessible()
    expect(page.get_by_test_id("case-status")).to_have_text("Decided: upheld")
    expect(page.get_by_test_id("case-history").get_by_role("listitem")).to_have_count(4)
    page.set_viewport_size({"width": 390, "height": 844})
    site.goto(f"/cases/{case.pk}/")
    fits(page)
    site.goto("/cases/")
    fits(page)


def test_an_adjustment_is_requested_approved_and_shown_to_the_assessor(
    site: AccessiblePage,
) -> None:
    ensure_catalogue()
    where = make_centre()
    registration = learner_on(where, name="Ravi Requester")
    registration.assessors.add(where.assessor)
    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})

    as_person(site, registration.learner.email)
    open_panel(site, registration.pk)
    fits(page)
    page.get_by_role("link", name="Ask for a reasonable adjustment").click()
    site.assert_accessible()
    fits(page)
    page.get_by_label("What it is about").fill("Questions read aloud; answers recorded.")
    page.get_by_role("button", name="Raise the case").click()
    site.assert_accessible()
    expect(page.get_by_test_id("case-status")).to_have_text("Open with the head of centre")
    case = Case.objects.get()

    as_person(site, where.iv.email)
    site.goto(f"/cases/{case.pk}/")
    decide = section(site, "Decide")
    decide.get_by_label("Outcome").select_option("approved")
    decide.get_by_label("Why (the learner reads this)").fill("Reflects normal practice.")
    decide.get_by_role("button", name="Record the decision").click()
    site.assert_accessible()
    expect(page.get_by_test_id("case-status")).to_have_text("Decided: approved")
    fits(page)

    as_person(site, where.assessor.email)
    open_panel(site, registration.pk)
    expect(page.get_by_test_id("registration-cases")).to_contain_text(
        "Assess with these reasonable adjustments"
    )
    expect(page.get_by_test_id("registration-cases")).to_contain_text(
        "Questions read aloud; answers recorded."
    )
    fits(page)
