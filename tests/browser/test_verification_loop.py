"""The whole quality-assurance loop in the browser, ending in a certification claim (axe on
every page):

1. The IV samples a complete portfolio from the plan and refers one decision back.
2. The assessor finds the referral, corrects the decision and signs the unit off again (the
   registration is complete again).
3. The IV agrees and signs the portfolio off for claim.
4. The EQA sees the sample but can change nothing.
5. The centre admin claims the learner, exports and downloads the file, marks the batch
   submitted, builds and reads its summary PDF, and cannot claim the same learner again.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import Role
from assessments.models import Decision
from certification.models import BatchState, ClaimLine
from demo.quality import achieve_unit
from portfolios.models import Registration, RegistrationStatus
from portfolios.services import register_learner
from qualifications.models import Qualification, Unit
from qualifications.queries import combination_rules
from tests.browser.conftest import AccessiblePage
from tests.browser.steps import agree_and_sign_off, correct_decision, sign_off_unit
from tests.browser.test_plans import sign_out
from tests.browser.test_sign_in import sign_in
from tests.conftest import ensure_catalogue
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member
from verification.models import SampleStage
from verification.models.sample import Sample, SampleState, VerifierSignOff
from verification.services import draw_plan, save_strategy

ASCENTIS_AWARD = "600/1686/3"


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


def complete_learner() -> dict:
    """A learner on the Ascentis Award whose every unit is met and signed off, and a plan
    holding the summative sample of their portfolio."""
    from demo.common import a_valid_choice

    ensure_catalogue()
    qualification = Qualification.objects.get(number=ASCENTIS_AWARD)
    centre = CentreFactory(name="Northgate Training", number="70421")
    centre.qualifications.add(qualification)
    admin = member(centre, Role.CENTRE_ADMIN, full_name="Helen Carter")
    assessor = member(centre, Role.ASSESSOR, full_name="Aisha Khan")
    iv = member(centre, Role.INTERNAL_VERIFIER, full_name="Dorothy Evans")
    eqa = member(centre, Role.EQA, full_name="Graham Lowe")
    learner = member(centre, Role.LEARNER, full_name="Noah Williams")
    learner.learner_profiles.filter(centre=centre).update(uln="4830007919")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=qualification,
        start_date=datetime.date.today() - datetime.timedelta(weeks=20),
        awarding_body_number="NTC0102",
        unit_keys=a_valid_choice(combination_rules(qualification), 0),
        assessors=[assessor],
        internal_verifier=iv,
    )
    for choice in registration.unit_choices.select_related("unit").order_by("unit__key"):
        achieve_unit(registration, choice.unit, assessor, password=DEFAULT_PASSWORD)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.COMPLETE
    strategy = save_strategy(actor=iv, centre=centre, qualification=qualification, values={})
    today = datetime.date.today()
    plan = draw_plan(
        actor=iv,
        strategy=strategy,
        period_start=today - datetime.timedelta(days=7),
        period_end=today + datetime.timedelta(days=30),
    )
    assert plan.samples.filter(registration=registration, stage=SampleStage.SUMMATIVE).exists()
    return {
        "centre": centre,
        "admin": admin,
        "assessor": assessor,
        "iv": iv,
        "eqa": eqa,
        "registration": registration,
        "strategy": strategy,
    }


def test_sample_refer_correct_agree_sign_off_then_claim_once_and_the_eqa_only_reads(
    site: AccessiblePage,
) -> None:
    case = complete_learner()
    registration: Registration = case["registration"]
    page = site.page
    referred = (
        Decision.objects.current()
        .filter(registration=registration)
        .select_related("criterion__unit")
        .order_by("criterion__unit__key", "criterion__position")
        .first()
    )
    unit: Unit = referred.criterion.unit
    unit_label = unit.reference or unit.key

    # 1. The IV starts the planned summative sample and refers one decision back.
    site.goto("/accounts/login/")
    sign_in(site, case["iv"].email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/verification/plan/{case['strategy'].pk}/")
    page.get_by_role("link", name=re.compile(r"Sample record of Noah Williams")).click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    page.get_by_role("button", name="Start the sample").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("The sample is started")
    page.get_by_role(
        "group",
        name=f"Unit {unit_label} {referred.criterion.number}: Met by Aisha Khan",
        exact=True,
    ).get_by_label("Refer back").check()
    page.get_by_label("Actions for the assessor").fill("Say which workbook answer shows it.")
    page.get_by_label("Deadline for the actions").fill(
        (datetime.date.today() + datetime.timedelta(days=7)).isoformat()
    )
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_test_id("review-result")).to_contain_text("1 decision referred back")
    site.assert_accessible()
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE  # reopened for the correction
    sign_out(site)

    # 2. The assessor corrects the decision and signs the unit off again.
    sign_in(site, case["assessor"].email, DEFAULT_PASSWORD)
    site.assert_accessible()
    expect(page.get_by_test_id("referrals")).to_contain_text("Say which workbook answer")
    evidence = referred.evidence.get()
    correct_decision(
        site,
        evidence_pk=evidence.pk,
        criterion_id=referred.criterion_id,
        feedback="Workbook answer 2 shows it met.",
        reason="The IV asked which.",
    )
    sign_off_unit(site, registration_pk=registration.pk, unit_pk=unit.pk)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.COMPLETE
    sign_out(site)

    # 3. The IV agrees and signs the portfolio off for claim.
    sign_in(site, case["iv"].email, DEFAULT_PASSWORD)
    site.assert_accessible()
    sample = Sample.objects.get(registration=registration)
    site.goto(f"/verification/record/{sample.pk}/")
    expect(page.get_by_test_id("decisions")).to_contain_text("Workbook answer 2 shows it met.")
    agree_and_sign_off(site, sample_pk=sample.pk, verifier_name="Dorothy Evans")
    sign_out(site)

    # 4. The EQA reads the sample, is offered nothing to change, and a forged POST is refused.
    sign_in(site, case["eqa"].email, DEFAULT_PASSWORD)
    site.assert_accessible()
    site.goto(f"/verification/record/{sample.pk}/")
    expect(page.get_by_test_id("state")).to_contain_text("Agreed")
    expect(page.get_by_test_id("decisions")).to_contain_text("Workbook answer 2 shows it met.")
    expect(page.get_by_role("button", name="Record the review")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign off for claim")).to_have_count(0)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    forged = page.request.post(
        f"{site.base_url}/verification/record/{sample.pk}/refer/",
        headers={"X-CSRFToken": token, "Referer": page.url},
        form={"refer-actions": "Changed by the EQA", "refer-deadline": "2030-01-01"},
    )
    assert forged.status == 403
    forged_review = page.request.post(
        f"{site.base_url}/verification/record/{sample.pk}/review/",
        headers={"X-CSRFToken": token, "Referer": page.url},
        form={"actions": "Changed by the EQA", "deadline": "2030-01-01"},
    )
    assert forged_review.status == 403
    sign_out(site)

    # 5. The centre admin claims the learner, exports and downloads the file.
    sign_in(site, case["admin"].email, DEFAULT_PASSWORD)
    site.assert_accessible()
    page.get_by_role("link", name="Certification claims").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    eligible = page.get_by_test_id("full-eligible")
    expect(eligible).to_contain_text("Noah Williams")
    claim_form = page.get_by_role("button", name="Add the chosen to the draft claim batches")
    eligible.get_by_role("checkbox", name="Claim Noah Williams").check()
    # The page as it is now, to send again later (a second tab, or the back button).
    stale_value = f"{registration.pk}:0"
    claim_form.click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("1 line added")
    expect(page.get_by_test_id("full-eligible")).not_to_contain_text("Noah Williams")
    page.get_by_test_id("batches").get_by_role("link").first.click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("lines")).to_contain_text("Noah Williams")
    page.get_by_role("button", name="Export the batch").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"Download claim-70421-ASCENTIS-\d+\.csv")).click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(rows) == 1
    row = rows[0]
    assert (row["Forenames"], row["Surname"]) == ("Noah", "Williams")
    assert row["Centre number"] == "70421"
    assert row["Registration number"] == "NTC0102"
    assert row["ULN"] == "4830007919"
    assert row["Qualification number"] == ASCENTIS_AWARD
    assert row["Result"] == "Pass"
    expected_units = sorted(
        c.unit.reference or c.unit.key for c in registration.unit_choices.select_related("unit")
    )
    assert sorted(row["Unit references"].split(";")) == expected_units
    page.get_by_label("Awarding body's reference").fill("ASC-70421-0002")
    page.get_by_role("button", name="Mark the batch submitted").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("batch-state")).to_contain_text("Submitted")

    # The summary for the centre's files: asked for, built (tasks run in-process here), read.
    page.get_by_role("button", name="Build summary (PDF)").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    with page.expect_download() as summary:
        page.get_by_role("link", name="Download the summary (PDF)").click()
    summary_text = "\n".join(
        sheet.extract_text() for sheet in PdfReader(summary.value.path()).pages
    )
    assert "Noah Williams" in summary_text
    assert ASCENTIS_AWARD in summary_text
    assert "ASC-70421-0002" in summary_text

    # The same learner cannot be claimed again: gone from the page, and the old form refused.
    site.goto("/verification/claims/")
    expect(page.get_by_test_id("full-eligible")).not_to_contain_text("Noah Williams")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    again = page.request.post(
        f"{site.base_url}/verification/claims/",
        headers={"X-CSRFToken": token, "Referer": page.url},
        form={"claim": stale_value},
    )
    assert "Noah Williams (600/1686/3) cannot be claimed" in again.text()

    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CLAIMED
    line = ClaimLine.objects.get(registration=registration)
    assert line.batch.state == BatchState.SUBMITTED
    assert sample.outcomes.count() == 2
    sample.refresh_from_db()
    assert sample.state == SampleState.AGREED
    assert VerifierSignOff.objects.get(registration=registration).unit is None
