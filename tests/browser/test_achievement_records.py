"""An achievement record in the browser: the learner asks for a progress report from the
portfolio, downloads it once built, and anyone checks it on the public verify page (with axe
on every page)."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import expect

from assessments.models.achievement import AchievementRecord
from tests.assessments.test_achievement_records import make_case, sign
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD


def test_a_learner_builds_a_progress_report_and_anyone_verifies_it(site: AccessiblePage) -> None:
    ensure_catalogue()
    case = make_case()
    sign(case, case.units[0])
    page = site.page

    site.goto(reverse("evidence:portfolio", args=[case.registration.pk]))
    sign_in(site, case.learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    # The panel arrives by htmx once the portfolio has loaded.
    build = page.get_by_role("button", name="Build progress report")
    expect(build).to_be_visible()
    site.assert_accessible()

    build.click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="Achievement records: Ana Lima")).to_be_visible()
    expect(page.get_by_role("link", name="Download the PDF")).to_be_visible()
    site.assert_accessible()
    record = AchievementRecord.objects.get()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    site.goto(reverse("verify_form"))
    page.get_by_label("Verification code").fill(record.verification_code)
    page.get_by_role("button", name="Check").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("This is a genuine record, and it is current.")).to_be_visible()
    expect(page.get_by_text(record.pdf_sha256)).to_be_visible()
    site.assert_accessible()

    site.goto(reverse("verify", args=["no-such-code"]))
    expect(page.get_by_role("heading", name="No record with that code")).to_be_visible()
