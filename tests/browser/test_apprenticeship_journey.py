"""Issue 19's journey in the browser, from the apprentice's first logged hour to a recorded
end-point result: the apprentice logs off-the-job hours, the assessor approves them; two
progress reviews are written by the assessor and signed by all three (the employer's contact
through their account on the first, a named person with no account through the e-mailed
one-time link on the second), each locked with its PDF; the gateway is passed by three
signatures; the centre admin records the result, which the registration page and the
achievement record show. Along the way each person sees only what is theirs: the employer's
contact is refused another employer's apprentice, and neither the apprentice nor the employer
sees the staff-only wellbeing notes. Every page is checked with axe and at 390 px.

The people and the programme record are made through the services, as the other browser tests
do; so is the one unit's sign-off, which the NCFE certificate's gateway asks for (the standard
includes the qualification) and which the assessment journey drives in the browser already.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

from django.core import mail
from django.core.files.storage import default_storage
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import Role
from assessments.gateway import readiness_for
from assessments.models.achievement import AchievementRecord
from assessments.services import record_decision, sign_off_unit
from portfolios.apprenticeships import Programme, apprenticeship_save
from portfolios.models import (
    MINIMUM_PRACTICAL_PERIOD_DAYS,
    EndPointResult,
    GatewayGap,
    OffTheJobActivity,
    OffTheJobStatus,
    ProgressReview,
    ReviewStatus,
)
from portfolios.services import register_learner
from qualifications.models import Qualification, Standard, Unit
from tests.browser.conftest import AccessiblePage
from tests.browser.test_off_the_job import switch_to
from tests.conftest import ensure_catalogue
from tests.factories import (
    DEFAULT_PASSWORD,
    CentreFactory,
    EmployerFactory,
    apprentice,
    mapped_evidence,
    member,
)

NCFE = "601/3973/0"  # the Customer Service Practitioner standard's own qualification
UNIT = "F/506/2131"
STAFF_NOTE = "Worried about travel costs."
SECOND_NOTE = "Moving house next month."


def pdf_text(name: str) -> str:
    with default_storage.open(name, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_an_apprentice_goes_from_a_first_logged_hour_to_a_recorded_end_point_result(
    site: AccessiblePage,
) -> None:
    ensure_catalogue()
    today = datetime.date.today()
    started = today - datetime.timedelta(days=MINIMUM_PRACTICAL_PERIOD_DAYS + 30)
    centre = CentreFactory(name="Northgate Training")
    ncfe = Qualification.objects.get(number=NCFE)
    centre.qualifications.add(ncfe)
    admin = member(centre, Role.CENTRE_ADMIN, full_name="Ada Admin")
    assessor = member(centre, Role.ASSESSOR, full_name="Alex Assessor")
    learner = member(centre, Role.LEARNER, full_name="Ana Lima")
    northwind = EmployerFactory(centre=centre, name="Northwind Ltd")
    contact = member(centre, Role.EMPLOYER, employer=northwind, full_name="Cara Contact")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=ncfe,
        start_date=started,
        unit_keys=[UNIT],
        assessors=[assessor],
    )
    apprenticeship_save(
        actor=admin,
        registration=registration,
        programme=Programme(
            employer=northwind,
            standard=Standard.objects.get(code="customer-service-practitioner"),
            standard_version="1.2",
            practical_start=started,
            practical_planned_end=today + datetime.timedelta(days=60),
            # A small plan, so the hours this journey logs meet it.
            minimum_otj_hours=Decimal("6"),
            epao_name="Highfield Assessment",
            english_requirement="held",
            maths_requirement="required",
            maths_status="achieved",
        ),
    )
    # Another employer's apprentice at the same centre, whom Cara must not see.
    southwind = EmployerFactory(centre=centre, name="Southwind plc")
    other = register_learner(
        actor=admin,
        learner=member(centre, Role.LEARNER, full_name="Omar Other"),
        centre=centre,
        qualification=ncfe,
        start_date=started,
        unit_keys=[UNIT],
        assessors=[assessor],
    )
    apprentice(other, southwind)
    # The unit judged met on evidence and signed off (the assessment journey does it by hand).
    unit = Unit.objects.get(key=UNIT)
    criteria = list(unit.criteria.all())
    evidence = mapped_evidence(registration, criteria, evidence_date=today)
    for criterion in criteria:
        record_decision(
            assessor=assessor,
            registration=registration,
            criterion=criterion,
            outcome="met",
            method="product",
            assessed_on=today,
            evidence=[evidence],
        )
    sign_off_unit(
        assessor=assessor,
        registration=registration,
        unit=unit,
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )
    readiness = readiness_for([registration])[registration.pk]
    missing = [c.statement for c in readiness.coverage if not c.is_covered]
    assert missing, "the one unit evidences some KSBs, not all: the gateway has gaps to name"
    # Every gap but the last is named already; the assessor names the last in the browser.
    *named, last = missing
    GatewayGap.objects.bulk_create(
        GatewayGap(
            registration=registration,
            statement=statement,
            gap=f"{statement.code} is not evidenced in the portfolio.",
            plan="Professional discussion at the end-point assessment.",
            written_by=assessor,
        )
        for statement in named
    )
    page = site.page
    mail.outbox.clear()
    registration_url = f"/portfolio/registrations/{registration.pk}/"
    log_url = f"/portfolio/off-the-job/registration/{registration.pk}/"
    reviews_url = f"/portfolio/reviews/registration/{registration.pk}/"
    gateway_url = f"/assessment/gateway/registration/{registration.pk}/"

    # 1. The apprentice logs their first off-the-job training: six hours over two days.
    switch_to(site, learner.email)
    site.goto(f"/portfolio/evidence/registration/{registration.pk}/")
    page.get_by_role("link", name="Off-the-job training").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    for days_ago, hours, what in ((9, "3.5", "Complaint handling workshop"), (2, "2.5", "CRM")):
        page.locator("#id_date").fill((today - datetime.timedelta(days=days_ago)).isoformat())
        page.locator("#id_hours").fill(hours)
        page.get_by_label("Kind of training").select_option(label="Teaching or lecture")
        page.get_by_label("What you did and learned").fill(what)
        page.get_by_role("checkbox", name=re.compile(r"^K1 ")).check()
        page.get_by_role("button", name="Log the training").click()
        page.wait_for_load_state("load")
        site.assert_accessible()
    expect(page.get_by_test_id("off-the-job-entry")).to_have_count(2)

    # 2. The assessor approves both.
    switch_to(site, assessor.email)
    site.goto(log_url)
    for _ in range(2):
        page.get_by_role("button", name="Approve").first.click()
        page.wait_for_load_state("load")
        site.assert_accessible()
    expect(page.get_by_test_id("off-the-job-totals")).to_contain_text("6 hours")
    assert set(OffTheJobActivity.objects.values_list("status", flat=True)) == {
        OffTheJobStatus.APPROVED
    }

    # 3a. The first progress review: the assessor writes it (dated three months back) and signs.
    site.goto(registration_url)
    page.get_by_role("link", name="Progress reviews").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_role("link", name="Write a review").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Date of the review").fill((today - datetime.timedelta(days=84)).isoformat())
    page.get_by_label("Progress against the knowledge").fill("Good progress on S2 and B1.")
    page.get_by_label("Targets agreed").fill("Finish the reflective account\nLog hours weekly")
    page.get_by_label("Wellbeing and safeguarding notes").fill(STAFF_NOTE)
    page.get_by_role("button", name="Save the review").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("review-staff-notes")).to_contain_text("travel costs")
    page.get_by_test_id("sign-provider").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    first = ProgressReview.objects.get()

    # The apprentice signs, and never sees the staff-only notes.
    switch_to(site, learner.email)
    site.goto(reviews_url)
    page.get_by_test_id("review-row").get_by_role("link").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("review-progress")).to_contain_text("Good progress on S2")
    expect(page.get_by_text("travel costs")).to_have_count(0)
    expect(page.get_by_test_id("review-staff-notes")).to_have_count(0)
    page.get_by_test_id("sign-apprentice").click()
    page.wait_for_load_state("load")
    site.assert_accessible()

    # The employer's contact signs through their own account; the review locks, its PDF is
    # built by the worker (eager in tests) and downloads.
    switch_to(site, contact.email)
    expect(page.get_by_test_id("apprentices")).to_contain_text("Ana Lima")
    expect(page.get_by_test_id("apprentices")).not_to_contain_text("Omar Other")
    site.goto(f"/portfolio/reviews/{first.pk}/")
    expect(page.get_by_text("travel costs")).to_have_count(0)
    page.get_by_test_id("sign-employer").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("review-status")).to_contain_text("Signed and locked")
    expect(page.get_by_test_id("review-signatures")).to_contain_text("Cara Contact")
    with page.expect_download() as download:
        page.get_by_test_id("review-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")
    first.refresh_from_db()
    assert first.status == ReviewStatus.LOCKED
    first_pdf = pdf_text(first.pdf.name)
    assert "Good progress on S2" in first_pdf
    assert "travel costs" not in first_pdf

    # 6. Cara sees only Northwind's apprentice: Omar's pages are refused.
    for path in (
        f"/portfolio/registrations/{other.pk}/",
        f"/portfolio/reviews/registration/{other.pk}/",
        f"/portfolio/off-the-job/registration/{other.pk}/",
        f"/assessment/gateway/registration/{other.pk}/",
    ):
        response = page.goto(site.base_url + path)
        assert response is not None
        assert response.status in (403, 404), path
        site.assert_accessible()

    # 3b. The second review: written and signed by the assessor, the employer's signature
    # asked of a named person with no account, by a one-time link.
    switch_to(site, assessor.email)
    site.goto(reviews_url)
    page.get_by_role("link", name="Write a review").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Date of the review").fill(today.isoformat())
    page.get_by_label("Progress against the knowledge").fill("Ready for the gateway.")
    page.get_by_label("Targets agreed").fill("Prepare the professional discussion")
    page.get_by_label("Wellbeing and safeguarding notes").fill(SECOND_NOTE)
    page.get_by_role("button", name="Save the review").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_test_id("sign-provider").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Name of the person at the employer").fill("Priya Shah")
    page.get_by_label("Their e-mail address").fill("priya@northwind.example")
    page.get_by_role("button", name="E-mail the signing link").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/portfolio/reviews/sign/\S+/)", mail.outbox[0].body)
    assert link is not None
    second = ProgressReview.objects.exclude(pk=first.pk).get()

    switch_to(site, learner.email)
    site.goto(f"/portfolio/reviews/{second.pk}/")
    expect(page.get_by_text("Moving house")).to_have_count(0)
    page.get_by_test_id("sign-apprentice").click()
    page.wait_for_load_state("load")
    site.assert_accessible()

    # Priya, signed out, signs through the link once.
    page.context.clear_cookies()
    site.goto(link.group(1))
    expect(page.get_by_test_id("review-progress")).to_contain_text("Ready for the gateway")
    expect(page.get_by_text("Moving house")).to_have_count(0)
    page.get_by_label("Your full name").fill("Priya Shah")
    page.get_by_label("I confirm").check()
    page.get_by_role("button", name="Sign the review").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("the review is signed")
    second.refresh_from_db()
    assert second.status == ReviewStatus.LOCKED

    # The assessor finds it locked, signed by Priya through the link, its PDF ready.
    switch_to(site, assessor.email)
    site.goto(f"/portfolio/reviews/{second.pk}/")
    expect(page.get_by_test_id("review-status")).to_contain_text("Signed and locked")
    expect(page.get_by_test_id("review-signatures")).to_contain_text(
        "Priya Shah (through an e-mailed link)"
    )
    expect(page.get_by_test_id("review-pdf")).to_be_visible()

    # 4. The gateway: the checklist lacks one KSB's gap; the assessor names it, and every item
    # is met.
    site.goto(gateway_url)
    expect(page.get_by_test_id("gateway-not-ready")).to_be_visible()
    expect(page.get_by_test_id("item-off_the_job")).to_contain_text("6 hours approved")
    gap = page.get_by_test_id(f"gap-{last.code}")
    gap.get_by_text("Name the gap").click()
    site.assert_accessible()
    gap.get_by_label("What the gap is").fill("No evidence yet in the portfolio.")
    gap.get_by_label("How the end-point assessment will cover it").fill(
        "Observation at the end-point assessment."
    )
    page.get_by_role("button", name=f"Record the gap for {last.code}").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("gateway-ready")).to_be_visible()
    for key in ("ksbs", "off_the_job", "english", "maths", "duration", "units"):
        expect(page.get_by_test_id(f"item-{key}")).to_contain_text("Met")
        expect(page.get_by_test_id(f"item-{key}")).not_to_contain_text("Not met")
    page.get_by_role("button", name="Sign: the apprentice is ready (training provider)").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("party-provider")).to_contain_text("signed by Alex Assessor")

    for email, party, name in (
        (learner.email, "apprentice", "Ana Lima"),
        (contact.email, "employer", "Cara Contact"),
    ):
        switch_to(site, email)
        site.goto(gateway_url)
        page.get_by_role("button", name=f"Sign: the apprentice is ready ({party})").click()
        page.wait_for_load_state("load")
        site.assert_accessible()
        expect(page.get_by_test_id(f"party-{party}")).to_contain_text(f"signed by {name}")
    expect(page.get_by_test_id("gateway-passed")).to_be_visible()

    # 5. The centre admin records the result the EPAO awarded.
    switch_to(site, admin.email)
    site.goto(gateway_url)
    page.get_by_label("Grade").select_option(label="Distinction")
    page.get_by_label("Date of the result").fill(today.isoformat())
    page.get_by_role("button", name="Record the result").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("epa-result")).to_contain_text("Distinction")
    result = EndPointResult.objects.get(registration=registration)
    assert (result.grade, result.assessed_on) == ("distinction", today)

    site.goto(registration_url)
    expect(page.get_by_test_id("epa-result")).to_contain_text("Distinction")

    # The apprentice builds their progress report: the achievement record prints the result.
    switch_to(site, learner.email)
    site.goto(f"/portfolio/evidence/registration/{registration.pk}/")
    build = page.get_by_role("button", name="Build progress report")
    expect(build).to_be_visible()
    site.assert_accessible()
    build.click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("link", name="Download the PDF")).to_be_visible()
    record = AchievementRecord.objects.get(registration=registration)
    text = pdf_text(record.file.name)
    assert "End-point assessment" in text
    assert "Distinction" in text
    assert "Highfield Assessment" in text
