"""Standardisation records in the browser: the IV records a meeting with two attendees and two
decisions, finalises it, and the centre's EQA reads it (axe on every page)."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from accounts.models import Role
from tests.browser.conftest import AccessiblePage
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, member
from tests.verification.cases import UNDERSTAND_CUSTOMERS, make_centre
from verification.models.standardisation import MeetingStatus, StandardisationMeeting


def test_the_iv_records_and_finalises_a_meeting_and_the_eqa_reads_it(
    site: AccessiblePage,
) -> None:
    ensure_catalogue()
    made = make_centre(iv="Ivy Verifier")
    eqa = member(made.centre, Role.EQA, full_name="Graham Lowe")
    page = site.page
    held_on = datetime.date.today() - datetime.timedelta(days=3)

    site.goto("/accounts/login/")
    sign_in(site, made.iv.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="Standardisation meetings").click()
    site.assert_accessible()
    expect(page.get_by_test_id("meetings")).to_contain_text("No standardisation meetings")
    page.get_by_role("link", name="Record a meeting").click()
    site.assert_accessible()

    page.get_by_label("Qualification").select_option(str(made.qualification.pk))
    page.get_by_label("Topic").fill("Judging observations")
    page.get_by_label("Location").fill("Training room 2")
    page.get_by_label("Assessor A").check()
    page.get_by_label("Assessor B").check()
    page.get_by_role("button", name="Record the meeting").click()
    site.assert_accessible()
    # Forgot the date: told so, and nothing typed is lost.
    expect(page.get_by_test_id("error-summary")).to_contain_text("Say when the meeting was held.")
    expect(page.get_by_label("Held on")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Topic")).to_have_value("Judging observations")
    expect(page.get_by_label("Assessor B")).to_be_checked()
    page.get_by_label("Held on").fill(held_on.isoformat())
    page.get_by_role("button", name="Record the meeting").click()
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("recorded as a draft")
    expect(page.get_by_test_id("meeting-status")).to_contain_text("Draft")

    page.get_by_label("Decision reached").fill("Observation records name the job card.")
    page.get_by_label("Units it concerns (optional)").select_option(
        label=_unit_label(UNDERSTAND_CUSTOMERS)
    )
    page.get_by_label("Action owner (optional)").select_option(label="Assessor A")
    page.get_by_label("Action due by (optional)").fill(
        (datetime.date.today() + datetime.timedelta(days=14)).isoformat()
    )
    page.get_by_role("button", name="Add the decision").click()
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("Decision 1 is recorded.")
    page.get_by_label("Decision reached").fill("Feedback names each criterion met.")
    page.get_by_role("button", name="Add the decision").click()
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("Decision 2 is recorded.")
    page.get_by_role("button", name="Finalise the meeting").click()
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("The meeting is finalised")
    expect(page.get_by_test_id("meeting-status")).to_contain_text("Finalised by Ivy Verifier")
    expect(page.get_by_role("button", name="Add the decision")).to_have_count(0)

    meeting = StandardisationMeeting.objects.get()
    assert meeting.status == MeetingStatus.FINALISED
    assert meeting.outcomes.count() == 2
    assert sorted(a.full_name for a in meeting.attendees.all()) == ["Assessor A", "Assessor B"]

    # The centre's EQA reads it, and may not change it.
    page.context.clear_cookies()
    site.goto("/accounts/login/")
    sign_in(site, eqa.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto("/verification/standardisation/")
    expect(page.get_by_role("link", name="Record a meeting")).to_have_count(0)
    page.get_by_role("link", name="Judging observations").click()
    site.assert_accessible()
    expect(page.get_by_test_id("attendees")).to_contain_text("Assessor A")
    expect(page.get_by_test_id("attendees")).to_contain_text("Assessor B")
    decisions = page.get_by_test_id("decisions")
    expect(decisions).to_contain_text("Observation records name the job card.")
    expect(decisions).to_contain_text("Feedback names each criterion met.")
    expect(decisions).to_contain_text("Assessor A")
    expect(page.get_by_role("button", name="Finalise the meeting")).to_have_count(0)


def _unit_label(key: str) -> str:
    from qualifications.models import Unit

    return str(Unit.objects.get(key=key))
