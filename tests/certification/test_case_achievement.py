"""The learner's achievement record prints their reasonable adjustments and appeals. Pearson
BTEC specification (seed 003) l.460: "Records should include assessments taken, decisions
reached and any adjustments or appeals"; l.488: "Centres must document all learner appeals and
their resolutions"."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from assessments import achievements
from assessments.models.achievement import AchievementKind, AchievementRecord
from certification import cases
from certification.models import CaseKind, CaseOutcome
from tests.certification.claim_cases import learner_on, make_centre

pytestmark = pytest.mark.django_db


def test_the_record_prints_approved_adjustments_and_every_appeal_not_refused_ones():
    where = make_centre()
    registration = learner_on(where)
    learner = registration.learner
    approved = cases.raise_case(
        actor=learner,
        registration=registration,
        kind=CaseKind.REASONABLE_ADJUSTMENT,
        details="Questions read aloud by a reader.",
    )
    cases.decide(
        actor=where.iv, case=approved, outcome=CaseOutcome.APPROVED, note="Normal practice."
    )
    refused = cases.raise_case(
        actor=learner,
        registration=registration,
        kind=CaseKind.REASONABLE_ADJUSTMENT,
        details="Skip the practical observation.",
    )
    cases.decide(actor=where.iv, case=refused, outcome=CaseOutcome.REFUSED, note="Competence.")
    appeal = cases.raise_case(
        actor=learner, registration=registration, kind=CaseKind.APPEAL, details="Unit 2 decision."
    )
    cases.decide(actor=where.iv, case=appeal, outcome=CaseOutcome.UPHELD, note="Re-assessed.")
    cases.raise_case(
        actor=where.admin,
        registration=registration,
        kind=CaseKind.MALPRACTICE,
        details="Not on the learner's record.",
    )

    content = achievements.gather_content(registration, kind=AchievementKind.FULL)
    titles = [case["title"] for case in content["cases"]]
    assert titles == [approved.title, appeal.title]

    record = AchievementRecord(
        registration=registration,
        centre=where.centre,
        kind=AchievementKind.FULL,
        content=content,
        content_hash="0" * 64,
        site_url="http://testserver",
        verification_code="x" * 24,
    )
    text = "\n".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(achievements.render_achievement_pdf(record))).pages
    ).replace("\n", " ")
    assert "Reasonable adjustments and appeals" in text
    assert "Questions read aloud by a reader." in text
    # A line may break after the hyphen: the longer written dates move where lines wrap.
    assert "Re-assessed." in text.replace("- ", "-")
    # Issue 18: raised and decided dates as the pages write them, never ISO.
    today = timezone.localdate()
    assert f"raised {today.day} {today:%B} {today.year}" in " ".join(text.split())
    assert today.isoformat() not in text
    assert "Ivy Verifier" in text
    assert "Skip the practical observation." not in text
    assert "Not on the learner" not in text
