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
from verification.sample_models import Sample, SampleState, VerifierSignOff


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

    # Nothing chosen: a clear message, and what was typed is kept.
    page.get_by_label("Actions for the assessor").fill("Name the survey question that shows 1.1.")
    page.get_by_role("button", name="Refer back").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("Choose at least one decision")
    expect(page.get_by_label("Actions for the assessor")).to_have_value(
        "Name the survey question that shows 1.1."
    )
    page.get_by_role("checkbox", name="1.1: Met by Sam Assessor", exact=True).check()
    deadline = datetime.date.today() + datetime.timedelta(days=7)
    page.get_by_label("Deadline").fill(deadline.isoformat())
    page.get_by_label("Feedback to the assessor (optional)", exact=True).fill("Nearly there.")
    page.get_by_role("button", name="Refer back").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("1 decision referred back")
    expect(page.get_by_test_id("state")).to_contain_text("Referred back to the assessor")
    sign_out(site)

    # The assessor finds the referral on their home page and corrects the decision.
    sign_in(site, case.assessor.email, DEFAULT_PASSWORD)
    site.assert_accessible()
    referrals = page.get_by_test_id("referrals")
    expect(referrals).to_contain_text("Name the survey question that shows 1.1.")
    referrals.get_by_role("link").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("button", name="Refer back")).to_have_count(0)
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
