"""The sample record in the browser: the IV samples a signed-off unit from the plan and refers
one decision back; the assessor sees the referral, corrects the decision and signs the unit off
again; the IV agrees and signs off (axe on every page)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AccessiblePage
from tests.browser.steps import agree_and_sign_off, correct_decision, sign_off_unit
from tests.browser.test_plans import sign_out
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD
from tests.verification.sample_cases import decision_on, make_case, plan_sample
from verification.models import SampleStage
from verification.models.sample import Sample, SampleState, VerifierSignOff


@pytest.fixture(autouse=True)
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def test_the_iv_refers_a_decision_back_the_assessor_corrects_it_and_the_iv_signs_off(
    site: AccessiblePage,
) -> None:
    ensure_catalogue()
    case = make_case()
    planned = plan_sample(case, SampleStage.SUMMATIVE)
    first = decision_on(case, "1.1")
    page = site.page

    site.goto("/accounts/login/")
    sign_in(site, case.iv.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/verification/plan/{planned.plan.strategy_id}/")
    page.get_by_role("link", name=re.compile(r"Sample record of Ana Lima")).click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("not-started")).to_be_visible()
    page.get_by_role("button", name="Start the sample").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("The sample is started")
    expect(page.get_by_test_id("decisions")).to_contain_text("survey.pdf")

    # 1.1 referred back without saying what to do: a clear message by the field, and what was
    # chosen and typed is kept.
    page.evaluate("window.reviewMarker = 'same page'")  # a page load would lose it
    row = page.get_by_test_id(f"review-{first.pk}")
    # By keyboard: the row's checked "Agree" takes the focus, the arrow key moves to "Refer back".
    row.get_by_label("Agree", exact=True).focus()
    page.keyboard.press("ArrowRight")
    expect(row.get_by_label("Refer back")).to_be_checked()
    page.get_by_label("Feedback to the assessor (optional)", exact=True).fill("Nearly there.")
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_test_id("review-error")).to_be_visible()
    expect(page.get_by_text("Say what the assessor must do.")).to_be_visible()
    expect(page.get_by_test_id(f"review-{first.pk}").get_by_label("Refer back")).to_be_checked()
    expect(page.get_by_label("Feedback to the assessor (optional)", exact=True)).to_have_value(
        "Nearly there."
    )
    site.assert_accessible()
    page.get_by_label("Actions for the assessor").fill("Name the survey question that shows 1.1.")
    deadline = datetime.date.today() + datetime.timedelta(days=7)
    page.get_by_label("Deadline for the actions").fill(deadline.isoformat())
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_test_id("review-result")).to_contain_text("1 decision referred back")
    expect(page.get_by_test_id("review-result")).to_be_focused()
    assert page.evaluate("window.reviewMarker") == "same page"  # saved in place, no page load
    expect(page.get_by_test_id("state")).to_contain_text("Referred back to the assessor")
    site.assert_accessible()
    sign_out(site)

    # The assessor finds the referral on their home page and corrects the decision.
    sign_in(site, case.assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    referrals = page.get_by_test_id("referrals")
    expect(referrals).to_contain_text("Name the survey question that shows 1.1.")
    referrals.get_by_role("link").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("button", name="Record the review")).to_have_count(0)
    correct_decision(
        site,
        evidence_pk=case.evidence.pk,
        criterion_id=first.criterion_id,
        feedback="Question 3 of the survey shows it.",
        reason="The IV asked which.",
    )
    sign_off_unit(site, registration_pk=case.registration.pk, unit_pk=case.unit.pk)
    sign_out(site)

    # The IV reviews again, agrees, and signs the unit off for claim.
    sign_in(site, case.iv.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    sample = Sample.objects.get()
    site.goto(f"/verification/record/{sample.pk}/")
    expect(page.get_by_test_id("changed")).to_be_visible()
    expect(page.get_by_test_id("decisions")).to_contain_text("Question 3 of the survey shows it.")
    agree_and_sign_off(site, sample_pk=sample.pk, verifier_name="Ivy Verifier")

    sample.refresh_from_db()
    assert sample.state == SampleState.AGREED
    assert [o.outcome for o in sample.outcomes.all()] == ["referred", "agreed"]
    assert decision_on(case, "1.1").supersedes == first
    assert VerifierSignOff.objects.get().unit == case.unit
