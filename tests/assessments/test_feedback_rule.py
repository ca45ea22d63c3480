"""Feedback on a Pearson decision says how it was reached, never how to improve the evidence.

Pearson BTEC Level 3 Certificate and Diploma for Customer Service Specialists, section 8
"Issuing assessment decisions and feedback" (seed 003, lines 447-452): "The information given to
the learner: - must show the formal decision and how it has been reached, indicating how or
where criteria have been met - may show why attainment against criteria has not been
demonstrated - must not provide feedback on how to improve evidence - must be validated by an
Internal Verifier before it is given to the learner."

The return form, which asks other qualifications' assessors "What the learner should change",
asks on a Pearson learner's evidence why attainment has not been demonstrated; every service that
takes such feedback (record_decision, judge_evidence, return_evidence) refuses advice, naming the
section. Other awarding bodies' feedback is untouched.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from assessments.feedback import advice_in
from assessments.judging import JudgingError, RowJudgement, judge_evidence
from assessments.models import Decision, Outcome
from assessments.services import AssessmentError, record_decision, return_evidence
from portfolios.models import Evidence, EvidenceMethod, EvidenceStatus
from qualifications.models import AssessmentCriterion
from tests.assessments.test_briefs import submitted_evidence

# The fixture, shared (an explicit re-export).
from tests.assessments.test_briefs import world as world
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

SECTION = 'Pearson BTEC specification, section 8 "Issuing assessment decisions and feedback"'
NO_ADVICE = '"must not provide feedback on how to improve evidence"'


def criterion(world: dict) -> AssessmentCriterion:
    return AssessmentCriterion.objects.filter(outcome=world["outcome"]).order_by("position")[0]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("You should add a third source of insight.", "You should"),
        ("Next time, explain the customer journey.", "Next time"),
        ("To pass, describe three sources.", "To pass, "),
        ("Add more detail on loyalty schemes.", "Add more"),
        ("AC1.1 met: the guide describes three sources (p. 2).", ""),
        # Quoting the criterion is not advice: the unit is about improvement.
        ("AC3.5 met: explains how insight is used to improve the customer journey.", ""),
        ("AC3.1 not demonstrated: only one source is described.", ""),
    ],
)
def test_advice_is_told_apart_from_how_the_decision_was_reached(text: str, words: str) -> None:
    assert advice_in(text) == words.strip(" ,")


def test_a_pearson_decision_with_advice_is_refused_naming_the_section(world: dict) -> None:
    today = clock.today()
    evidence = submitted_evidence(world)
    with pytest.raises(AssessmentError) as error:
        record_decision(
            assessor=world["assessor"],
            registration=world["registration"],
            criterion=criterion(world),
            outcome=Outcome.NOT_YET_MET,
            method=EvidenceMethod.ASSIGNMENT,
            assessed_on=today,
            feedback="You should describe a third source.",
            evidence=[evidence],
        )
    assert SECTION in str(error.value)
    assert NO_ADVICE in str(error.value)
    assert '"You should" tells the learner how to improve the evidence' in str(error.value)
    assert not Decision.objects.exists()


def test_the_judging_form_refuses_advice_overall_and_per_criterion(world: dict) -> None:
    today = clock.today()
    evidence = submitted_evidence(world)
    target = criterion(world)
    with pytest.raises(JudgingError) as overall:
        judge_evidence(
            assessor=world["assessor"],
            evidence=evidence,
            rows=[RowJudgement(target.pk, Outcome.MET, seen=None)],
            method=EvidenceMethod.ASSIGNMENT,
            assessed_on=today,
            token=uuid.uuid4(),
            feedback="Good work. Next time include a diagram.",
        )
    assert SECTION in str(overall.value)
    with pytest.raises(JudgingError) as row:
        judge_evidence(
            assessor=world["assessor"],
            evidence=evidence,
            rows=[
                RowJudgement(
                    target.pk, Outcome.NOT_YET_MET, seen=None, feedback="You need to add sources."
                )
            ],
            method=EvidenceMethod.ASSIGNMENT,
            assessed_on=today,
            token=uuid.uuid4(),
        )
    assert NO_ADVICE in row.value.rows[target.pk]
    assert not Decision.objects.exists()
    # How the decision was reached is accepted.
    judge_evidence(
        assessor=world["assessor"],
        evidence=evidence,
        rows=[
            RowJudgement(
                target.pk,
                Outcome.NOT_YET_MET,
                seen=None,
                feedback="Not demonstrated: one source is described, the criterion asks for three.",
            )
        ],
        method=EvidenceMethod.ASSIGNMENT,
        assessed_on=today,
        token=uuid.uuid4(),
    )
    assert Decision.objects.count() == 1


def test_returning_pearson_evidence_with_advice_is_refused(world: dict) -> None:
    evidence = submitted_evidence(world)
    with pytest.raises(AssessmentError, match="must not provide feedback on how to improve"):
        return_evidence(
            assessor=world["assessor"], evidence=evidence, feedback="Make sure you add sources."
        )
    return_evidence(
        assessor=world["assessor"],
        evidence=evidence,
        feedback="AC3.1 not demonstrated: the guide names one source of insight.",
    )
    # Held for the IV before the learner has it (tests/assessments/test_held_returns.py).
    assert evidence.held_returns.get().feedback.startswith("AC3.1 not demonstrated")


def test_the_return_form_asks_a_pearson_assessor_why_not_what_to_change(
    client: Client, world: dict
) -> None:
    evidence = submitted_evidence(world)
    client.force_login(world["assessor"])
    page = client.get(reverse("assessments:assess", args=[evidence.pk])).content.decode()
    assert "Why attainment against the criteria has not been demonstrated" in page
    assert "What the learner should change" not in page
    assert 'data-testid="feedback-rule"' in page
    response = client.post(
        reverse("assessments:return", args=[evidence.pk]),
        {"feedback": "You should add two more sources."},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Issuing assessment decisions and feedback" in html
    # Nothing lost: the text typed is still in the form.
    assert "You should add two more sources." in html
    assert Evidence.objects.get(pk=evidence.pk).status == EvidenceStatus.SUBMITTED
