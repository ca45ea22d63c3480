"""An Open Badge in the browser: the finished learner issues her qualification's badge from her
records page, downloads it, and anyone sees on the public verify page that it stands, then
that it is revoked once the record is withdrawn; an employer checks the badge file she was given
on the public badge check (axe and 390 px on every page)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from playwright.sync_api import expect

from assessments import achievements, badges
from assessments.models import IssuedBadge
from tests.assessments.test_achievement_records import ask, make_case, sign
from tests.assessments.test_badge_check import issued_at
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD
from tests.support.did_web_site import AnotherSite


def test_a_finished_learner_issues_downloads_and_anyone_checks_her_badge(
    site: AccessiblePage,
) -> None:
    ensure_catalogue()
    case = make_case()
    for unit in case.units:
        sign(case, unit)
    record = ask(case)
    page = site.page

    site.goto(reverse("assessments:achievements", args=[case.registration.pk]))
    sign_in(site, case.learner.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("button", name="Issue Open Badge").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("Open Badge issued: download it below.")).to_be_visible()
    site.assert_accessible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download Open Badge").click()
    assert download.value.suggested_filename.endswith(".jwt")
    with open(download.value.path()) as saved:
        assert saved.read() == IssuedBadge.objects.get(record=record).token
    badge_file = download.value.path()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    site.goto(record.verify_path)
    expect(page.get_by_test_id("verify-badge")).to_contain_text("it is not revoked")
    site.assert_accessible()

    # The employer she sent the file to checks it, and that it is hers, signed out.
    site.goto(reverse("verify_form"))
    page.get_by_role("link", name="Check an Open Badge").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_label("Or choose the badge file").set_input_files(badge_file)
    page.get_by_label("The learner's e-mail address (optional)").fill(case.learner.email)
    page.get_by_role("button", name="Check the badge").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("badge-verdict")).to_contain_text(
        "This is a genuine Open Badge, issued here and not revoked."
    )
    expect(page.get_by_test_id("badge-email")).to_contain_text("It was issued to the e-mail")
    site.assert_accessible()

    achievements.withdraw_record(actor=case.admin, record=record, reason="Issued in error")
    site.goto(record.verify_path)
    expect(page.get_by_test_id("verify-badge")).to_contain_text("was revoked on")
    site.assert_accessible()
    site.goto(reverse("verify_badge"))
    page.get_by_label("Or choose the badge file").set_input_files(badge_file)
    page.get_by_role("button", name="Check the badge").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("badge-verdict")).to_contain_text("revoked on")
    site.assert_accessible()


def test_a_badge_another_site_issued_is_said_valid_against_that_sites_key(
    site: AccessiblePage, another_site: AnotherSite, settings: Any
) -> None:
    ensure_catalogue()
    case = make_case()
    for unit in case.units:
        sign(case, unit)
    record = ask(case)
    badge = badges.issue_badge(actor=case.learner, record=record)[0]
    token, did = issued_at(another_site, badge)
    another_site.publish(did)
    page = site.page

    site.goto(reverse("verify_badge"))
    page.get_by_label("Paste the badge").fill(token)
    page.get_by_role("button", name="Check the badge").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("badge-verdict")).to_contain_text(
        f"This badge was issued by another site, {did}, and its signature is valid"
    )
    site.assert_accessible()

    # Past the lookups this client may make a minute (none left here), another issuer's badge
    # gets the page again, saying to try again in a minute, readable at a phone's width.
    settings.DID_WEB_LOOKUPS_PER_CLIENT_PER_MINUTE = 0
    token, did = issued_at(another_site, badge, centre="8")
    another_site.publish(did)
    page.get_by_label("Paste the badge").fill(token)
    page.get_by_role("button", name="Check the badge").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("badge-verdict")).to_contain_text(
        "cannot be checked against that site just now"
    )
    expect(page.get_by_test_id("badge-verdict")).to_contain_text("Try again in a minute.")
    site.assert_accessible()
    assert another_site.asked == ["/badges/centres/7/did.json"]
