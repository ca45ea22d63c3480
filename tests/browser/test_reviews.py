"""A progress review in the browser (issue 19): the overdue flag, the assessor writes and signs,
the apprentice signs, the employer with no account signs through the e-mailed one-time link,
the review locks and its PDF is offered; the employer contact with an account reads it without
the staff-only notes; the admin's interval page. Every page checked with axe and at 390 px."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.core import mail
from playwright.sync_api import expect

from accounts.models import Role
from portfolios.models import Apprenticeship, ProgressReview, ReviewStatus
from portfolios.services import register_learner
from qualifications.models import Qualification, Standard
from tests.browser.conftest import AccessiblePage
from tests.browser.test_off_the_job import switch_to
from tests.conftest import ensure_catalogue
from tests.factories import CentreFactory, EmployerFactory, member


def test_a_review_is_written_signed_by_all_three_and_locked(site: AccessiblePage) -> None:
    ensure_catalogue()
    today = datetime.date.today()
    centre = CentreFactory()
    ncfe = Qualification.objects.get(number="601/3973/0")
    centre.qualifications.add(ncfe)
    admin = member(centre, Role.CENTRE_ADMIN, full_name="Ada Admin")
    assessor = member(centre, Role.ASSESSOR, full_name="Alex Assessor")
    learner = member(centre, Role.LEARNER, full_name="Ana Lima")
    employer = EmployerFactory(centre=centre, name="Northwind Ltd")
    contact = member(centre, Role.EMPLOYER, employer=employer, full_name="Cara Contact")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=ncfe,
        start_date=today - datetime.timedelta(days=100),
        unit_keys=["F/506/2131"],
        assessors=[assessor],
    )
    Apprenticeship.objects.create(
        registration=registration,
        employer=employer,
        standard=Standard.objects.get(code="customer-service-practitioner"),
        standard_version="1.2",
        practical_start=today - datetime.timedelta(days=100),
        practical_planned_end=today + datetime.timedelta(days=300),
        minimum_otj_hours=Decimal("278"),
        epao_name="Highfield Assessment",
    )
    page = site.page
    mail.outbox.clear()

    # The assessor finds the review overdue on the registration's apprenticeship card.
    switch_to(site, assessor.email)
    site.goto(f"/portfolio/registrations/{registration.pk}/")
    expect(page.get_by_test_id("apprenticeship")).to_contain_text("Review overdue")
    page.get_by_role("link", name="Progress reviews").click()
    site.assert_accessible()
    expect(page.get_by_test_id("review-overdue")).to_be_visible()
    page.get_by_role("link", name="Write a review").click()
    site.assert_accessible()
    page.get_by_label("Progress against the knowledge").fill("Good progress on S2 and B1.")
    page.get_by_label("Targets agreed").fill("Finish the reflective account\nLog hours weekly")
    page.get_by_label("Wellbeing and safeguarding notes").fill("Worried about travel costs.")
    page.get_by_role("button", name="Save the review").click()
    site.assert_accessible()
    expect(page.get_by_test_id("review-staff-notes")).to_contain_text("travel costs")
    page.get_by_test_id("sign-provider").click()
    site.assert_accessible()
    expect(page.get_by_test_id("review-signatures")).to_contain_text("Alex Assessor")
    # The employer's named person has no account: a one-time link by e-mail.
    page.get_by_label("Name of the person at the employer").fill("Priya Shah")
    page.get_by_label("Their e-mail address").fill("priya@northwind.example")
    page.get_by_role("button", name="E-mail the signing link").click()
    site.assert_accessible()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/portfolio/reviews/sign/\S+/)", mail.outbox[0].body)
    assert link is not None

    # The apprentice signs; they never see the staff-only notes.
    switch_to(site, learner.email)
    site.goto(f"/portfolio/reviews/registration/{registration.pk}/")
    page.get_by_test_id("review-row").get_by_role("link").click()
    site.assert_accessible()
    expect(page.get_by_text("travel costs")).to_have_count(0)
    page.get_by_test_id("sign-apprentice").click()
    site.assert_accessible()

    # Priya signs through the link, signed out: the page shows this review and nothing else.
    page.context.clear_cookies()
    site.goto(link.group(1))
    expect(page.get_by_test_id("review-progress")).to_contain_text("Good progress on S2")
    expect(page.get_by_text("travel costs")).to_have_count(0)
    page.get_by_label("Your full name").fill("Priya Shah")
    page.get_by_role("button", name="Sign the review").click()
    site.assert_accessible()
    expect(page.get_by_test_id("error-summary")).to_contain_text("Tick the box")
    page.get_by_label("I confirm").check()
    page.get_by_role("button", name="Sign the review").click()
    site.assert_accessible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("the review is signed")
    # Used once: the link now says so.
    site.goto(link.group(1))
    expect(page.get_by_role("heading", level=1)).to_contain_text("already been used")

    review = ProgressReview.objects.get()
    assert review.status == ReviewStatus.LOCKED

    # The employer contact with an account reads it, locked, without the staff-only notes,
    # and downloads the PDF the worker built.
    switch_to(site, contact.email)
    site.goto(f"/portfolio/reviews/{review.pk}/")
    expect(page.get_by_test_id("review-status")).to_contain_text("Signed and locked")
    expect(page.get_by_text("travel costs")).to_have_count(0)
    expect(page.get_by_test_id("review-pdf")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("review-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")

    # The centre admin's interval page.
    switch_to(site, admin.email)
    site.goto("/portfolio/reviews/interval/")
    page.get_by_label("Weeks between progress reviews").fill("10")
    page.get_by_role("button", name="Save").click()
    site.assert_accessible()
    expect(page.get_by_label("Weeks between progress reviews")).to_have_value("10")
