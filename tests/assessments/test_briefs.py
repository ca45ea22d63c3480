"""Assignment briefs: the rules of the Pearson BTEC specification, section 8 "Assessment"
(fixtures/sources: Pearson BTEC Level 3 Certificate and Diploma for Customer Service Specialists,
/work/shared/seeds/003, lines 310-456):

- "Assessment of knowledge units using assignments" (line 314): "An assignment is issued to
  learners as an assignment brief with a defined start date, a completion date and clear
  requirements for the evidence that they need to provide."
- "Designing effective assignments for knowledge units" (lines 323, 325, 329): "A learning
  outcome must always be assessed as a whole and should not be split into two or more
  assignments"; "Clear instructions must be provided to the learner about what they are required
  to do"; "The assignment brief must include the vocational scenario or context for the tasks to
  be completed. There must, in addition, be a clear audience or purpose".
- "Dealing with late completion of assignments" (lines 437, 441): "Learners may be given
  authorised extensions for legitimate reasons, such as illness at the time of submission, in
  line with centre policies." "If a late completion is accepted, then the assignment should be
  assessed normally".
- "Resubmissions and retakes" (line 456), the whole rule: "Learners who do not successfully pass
  an assignment are allowed to resubmit evidence for the assignment or to retake another
  assignment." No count, window or authoriser: none is enforced.
"""

from __future__ import annotations

import datetime

import pytest

from accounts.models import Role
from assessments import briefs
from assessments.briefs import BriefError
from assessments.models import AssignmentBrief, BriefStatus, HandInKind, Outcome
from assessments.services import record_decision
from core.models import AuditEvent
from portfolios.evidence import evidence_create, map_criteria, submit
from portfolios.models import (
    Evidence,
    EvidenceContext,
    EvidenceMethod,
    RegistrationUnit,
)
from qualifications.models import AssessmentCriterion, LearningOutcome, Qualification, Unit
from tests.factories import CentreFactory, RegistrationFactory, member
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

PEARSON = "603/5449/5"


def pearson_unit() -> Unit:
    """The Certificate's first unit that has learning outcomes with criteria."""
    return (
        Unit.objects.filter(
            memberships__qualification__number=PEARSON, outcomes__criteria__isnull=False
        )
        .distinct()
        .order_by("key")
        .first()
    )


@pytest.fixture
def world() -> dict:
    centre = CentreFactory()
    pearson = Qualification.objects.get(number=PEARSON)
    centre.qualifications.add(pearson)
    unit = pearson_unit()
    learner = member(centre, Role.LEARNER, full_name="Ada Learner")
    assessor = member(centre, Role.ASSESSOR)
    registration = RegistrationFactory(learner=learner, centre=centre, qualification=pearson)
    RegistrationUnit.objects.create(registration=registration, unit=unit)
    registration.assessors.add(assessor)
    return {
        "centre": centre,
        "pearson": pearson,
        "unit": unit,
        "outcome": LearningOutcome.objects.filter(unit=unit).order_by("position").first(),
        "learner": learner,
        "assessor": assessor,
        "other_assessor": member(centre, Role.ASSESSOR),
        "iv": member(centre, Role.INTERNAL_VERIFIER),
        "registration": registration,
    }


def write(world: dict, **kw: object) -> AssignmentBrief:
    today = clock.today()
    fields: dict = {
        "author": world["assessor"],
        "centre": world["centre"],
        "qualification": world["pearson"],
        "unit": world["unit"],
        "outcomes": [world["outcome"]],
        "title": "Customer insight guide",
        "scenario": "You work in the contact centre of a regional energy supplier.",
        "audience": "A guide for new team members",
        "tasks": "Task 1: describe three sources of customer insight.",
        "start_date": today - datetime.timedelta(days=7),
        "hand_in_date": today + datetime.timedelta(days=14),
    }
    fields.update(kw)
    return briefs.write_brief(**fields)


def issued(world: dict, **kw: object) -> AssignmentBrief:
    return briefs.issue_brief(actor=world["assessor"], brief=write(world, **kw))


def submitted_evidence(world: dict, title: str = "My guide") -> Evidence:
    today = clock.today()
    evidence = evidence_create(
        actor=world["learner"],
        registration=world["registration"],
        title=title,
        description="The guide.",
        evidence_date=today,
        method=EvidenceMethod.ASSIGNMENT,
        context=EvidenceContext.REAL_WORK_PAID,
    )
    map_criteria(
        actor=world["learner"],
        evidence=evidence,
        criteria=AssessmentCriterion.objects.filter(outcome=world["outcome"]),
    )
    submit(actor=world["learner"], evidence=evidence, typed_name="Ada Learner", confirmed=True)
    evidence.refresh_from_db()
    return evidence


def judge(world: dict, evidence: Evidence, outcome: str) -> None:
    today = clock.today()
    for criterion in AssessmentCriterion.objects.filter(outcome=world["outcome"]):
        record_decision(
            assessor=world["assessor"],
            registration=world["registration"],
            criterion=criterion,
            outcome=outcome,
            method=EvidenceMethod.ASSIGNMENT,
            assessed_on=today,
            feedback="AC met: the guide describes three sources.",
            evidence=[evidence],
        )


# ---------------------------------------------------------------- writing and issuing


def test_an_assessor_writes_a_draft_brief_and_issues_it_with_audit_events(world: dict) -> None:
    brief = write(world)
    assert brief.status == BriefStatus.DRAFT
    briefs.issue_brief(actor=world["assessor"], brief=brief)
    brief.refresh_from_db()
    assert brief.status == BriefStatus.ISSUED
    assert brief.issued_by == world["assessor"]
    actions = list(
        AuditEvent.objects.filter(
            object_id=str(brief.pk), object_type="assessments.assignmentbrief"
        ).values_list("action", flat=True)
    )
    assert actions == ["brief.written", "brief.issued"]


def test_only_an_assessor_at_the_centre_writes_a_brief(world: dict) -> None:
    with pytest.raises(BriefError, match="only an assessor at the centre writes"):
        write(world, author=world["iv"])
    with pytest.raises(BriefError, match="Pearson BTEC specification, section 8"):
        write(world, author=member(CentreFactory(), Role.ASSESSOR))


def test_a_brief_needs_a_scenario_and_an_audience_as_the_specification_says(world: dict) -> None:
    with pytest.raises(BriefError) as error:
        write(world, audience="  ")
    assert '"Designing effective assignments for knowledge units"' in str(error.value)
    assert "a clear audience or purpose" in str(error.value)


def test_the_completion_date_comes_after_the_start_date(world: dict) -> None:
    today = clock.today()
    with pytest.raises(BriefError) as error:
        write(world, hand_in_date=today - datetime.timedelta(days=7))
    assert "with a defined start date, a completion date" in str(error.value)


def test_a_brief_covers_whole_learning_outcomes_of_its_unit_only(world: dict) -> None:
    # The brief names outcomes, so an outcome is never split; another unit's is refused.
    other = LearningOutcome.objects.exclude(unit=world["unit"]).first()
    with pytest.raises(BriefError, match="Choose learning outcomes of"):
        write(world, outcomes=[other])
    with pytest.raises(BriefError, match="targeted to the learning outcomes"):
        write(world, outcomes=[])


def test_briefs_are_for_pearson_qualifications(world: dict) -> None:
    imi = Qualification.objects.get(number="601/3456/2")
    world["centre"].qualifications.add(imi)
    with pytest.raises(BriefError, match="follow the Pearson BTEC specification"):
        write(world, qualification=imi)


def test_an_issued_brief_is_not_issued_again_and_a_withdrawn_one_stays(world: dict) -> None:
    brief = issued(world)
    with pytest.raises(BriefError, match="only a draft is issued"):
        briefs.issue_brief(actor=world["assessor"], brief=brief)
    with pytest.raises(BriefError, match="Say why"):
        briefs.withdraw_brief(actor=world["assessor"], brief=brief, reason="")
    briefs.withdraw_brief(actor=world["assessor"], brief=brief, reason="Wrong scenario")
    assert AssignmentBrief.objects.get(pk=brief.pk).status == BriefStatus.WITHDRAWN


# ---------------------------------------------------------------- extensions


def test_the_learners_assessor_authorises_an_extension_for_a_reason(world: dict) -> None:
    brief = issued(world)
    later = brief.hand_in_date + datetime.timedelta(days=7)
    briefs.authorise_extension(
        actor=world["assessor"],
        brief=brief,
        registration=world["registration"],
        hand_in_date=later,
        reason="Illness at the time of submission (GP note seen)",
    )
    assert briefs.due_date(brief, world["registration"]) == later
    assert AuditEvent.objects.filter(action="brief.extension_authorised").count() == 1


def test_an_extension_is_refused_without_a_reason_or_by_another_assessor(world: dict) -> None:
    brief = issued(world)
    later = brief.hand_in_date + datetime.timedelta(days=7)
    with pytest.raises(BriefError) as error:
        briefs.authorise_extension(
            actor=world["other_assessor"],
            brief=brief,
            registration=world["registration"],
            hand_in_date=later,
            reason="Ill",
        )
    assert '"Dealing with late completion of assignments"' in str(error.value)
    assert "legitimate reasons, such as illness at the time of submission" in str(error.value)
    with pytest.raises(BriefError, match="Give the legitimate reason"):
        briefs.authorise_extension(
            actor=world["assessor"],
            brief=brief,
            registration=world["registration"],
            hand_in_date=later,
            reason=" ",
        )
    with pytest.raises(BriefError, match="must be after the one in force"):
        briefs.authorise_extension(
            actor=world["assessor"],
            brief=brief,
            registration=world["registration"],
            hand_in_date=brief.hand_in_date,
            reason="Ill",
        )


def test_no_extension_on_a_draft_brief_or_after_the_hand_in(world: dict) -> None:
    draft = write(world)
    with pytest.raises(BriefError, match="This brief is draft, not issued"):
        briefs.authorise_extension(
            actor=world["assessor"],
            brief=draft,
            registration=world["registration"],
            hand_in_date=draft.hand_in_date + datetime.timedelta(days=1),
            reason="Ill",
        )
    brief = issued(world)
    briefs.hand_in(learner=world["learner"], brief=brief, evidence=submitted_evidence(world))
    with pytest.raises(BriefError, match="already handed in this assignment"):
        briefs.authorise_extension(
            actor=world["assessor"],
            brief=brief,
            registration=world["registration"],
            hand_in_date=brief.hand_in_date + datetime.timedelta(days=1),
            reason="Ill",
        )


# ---------------------------------------------------------------- handing in


def test_the_learner_hands_in_submitted_evidence_on_time(world: dict) -> None:
    brief = issued(world)
    handed = briefs.hand_in(
        learner=world["learner"], brief=brief, evidence=submitted_evidence(world)
    )
    assert (handed.attempt, handed.kind, handed.late) == (1, HandInKind.FIRST, False)
    assert AuditEvent.objects.filter(action="brief.handed_in").count() == 1


def test_a_late_hand_in_is_accepted_and_flagged_late(world: dict) -> None:
    # "If a late completion is accepted, then the assignment should be assessed normally."
    today = clock.today()
    brief = issued(
        world,
        start_date=today - datetime.timedelta(days=20),
        hand_in_date=today - datetime.timedelta(days=1),
    )
    handed = briefs.hand_in(
        learner=world["learner"], brief=brief, evidence=submitted_evidence(world)
    )
    assert handed.late
    assert handed.due_date == brief.hand_in_date


def test_an_extension_makes_the_same_hand_in_on_time(world: dict) -> None:
    today = clock.today()
    brief = issued(
        world,
        start_date=today - datetime.timedelta(days=20),
        hand_in_date=today - datetime.timedelta(days=1),
    )
    briefs.authorise_extension(
        actor=world["assessor"],
        brief=brief,
        registration=world["registration"],
        hand_in_date=today + datetime.timedelta(days=3),
        reason="Illness at the time of submission",
    )
    handed = briefs.hand_in(
        learner=world["learner"], brief=brief, evidence=submitted_evidence(world)
    )
    assert not handed.late


def test_no_hand_in_before_the_start_date_or_on_a_draft_or_by_someone_else(world: dict) -> None:
    today = clock.today()
    evidence = submitted_evidence(world)
    future = issued(world, start_date=today + datetime.timedelta(days=2))
    with pytest.raises(BriefError, match="This assignment starts on"):
        briefs.hand_in(learner=world["learner"], brief=future, evidence=evidence)
    with pytest.raises(BriefError, match="not issued"):
        briefs.hand_in(learner=world["learner"], brief=write(world), evidence=evidence)
    with pytest.raises(BriefError, match="Only the learner hands in"):
        briefs.hand_in(learner=world["assessor"], brief=issued(world), evidence=evidence)


def test_a_resubmission_waits_for_the_first_to_be_assessed(world: dict) -> None:
    brief = issued(world)
    briefs.hand_in(learner=world["learner"], brief=brief, evidence=submitted_evidence(world))
    with pytest.raises(BriefError) as error:
        briefs.hand_in(
            learner=world["learner"], brief=brief, evidence=submitted_evidence(world, "v2")
        )
    assert '"Resubmissions and retakes"' in str(error.value)
    assert "not assessed yet" in str(error.value)


def test_a_learner_who_did_not_pass_resubmits_and_one_who_passed_may_not(world: dict) -> None:
    today = clock.today()
    brief = issued(world)
    first = submitted_evidence(world)
    briefs.hand_in(learner=world["learner"], brief=brief, evidence=first)
    judge(world, first, Outcome.NOT_YET_MET)
    # Judged on every criterion it maps to, it is assessed: not passed, so it may resubmit.
    second = submitted_evidence(world, "v2")
    again = briefs.hand_in(learner=world["learner"], brief=brief, evidence=second)
    assert (again.attempt, again.kind) == (2, HandInKind.RESUBMISSION)
    # The specification sets no limit on resubmissions: none is enforced.
    from assessments.models import Decision

    for decision in Decision.objects.current().filter(registration=world["registration"]):
        record_decision(
            assessor=world["assessor"],
            registration=world["registration"],
            criterion=decision.criterion,
            outcome=Outcome.MET,
            method=EvidenceMethod.ASSIGNMENT,
            assessed_on=today,
            feedback="AC met in the second version.",
            evidence=[second],
            supersedes=decision,
            reason="Resubmitted evidence assessed",
        )
    assert briefs.passed(brief, world["registration"])
    with pytest.raises(BriefError) as error:
        briefs.hand_in(
            learner=world["learner"], brief=brief, evidence=submitted_evidence(world, "v3")
        )
    assert "Learners who do not successfully pass an assignment are allowed to resubmit" in str(
        error.value
    )
    assert "You have passed this assignment" in str(error.value)


# ---------------------------------------------------------------- in the achievement record


def test_the_learners_record_lists_the_assignment_with_its_dates_and_extension(
    world: dict,
) -> None:
    # Pearson BTEC specification, section 8 "Records": "Records should include assessments
    # taken, decisions reached and any adjustments or appeals."
    today = clock.today()
    import io

    from pypdf import PdfReader

    from assessments.achievements import render_achievement_pdf, request_record

    brief = issued(world)
    briefs.authorise_extension(
        actor=world["assessor"],
        brief=brief,
        registration=world["registration"],
        hand_in_date=brief.hand_in_date + datetime.timedelta(days=7),
        reason="Illness at the time of submission",
    )
    briefs.hand_in(learner=world["learner"], brief=brief, evidence=submitted_evidence(world))
    record, _ = request_record(
        actor=world["learner"], registration=world["registration"], kind="progress", queue=False
    )
    [unit] = [u for u in record.content["units"] if u["key"] == world["unit"].key]
    [assignment] = unit["assignments"]
    assert assignment["title"] == brief.title
    assert assignment["hand_in_by"] == brief.hand_in_date.isoformat()
    assert (
        assignment["extended_to"] == (brief.hand_in_date + datetime.timedelta(days=7)).isoformat()
    )
    assert assignment["hand_ins"] == [
        {"kind": "First submission", "on": today.isoformat(), "late": False}
    ]
    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(render_achievement_pdf(record))).pages
    )
    assert "Customer insight guide" in " ".join(text.split())
    assert "Illness at the time of submission" in " ".join(text.split())
    # Issue 18: the dates are written as the pages write them, the content keeps them ISO.
    hand_in_by = brief.hand_in_date
    assert f"hand in by {hand_in_by.day} {hand_in_by:%B} {hand_in_by.year}" in " ".join(
        text.split()
    )
    assert f"First submission {today.day} {today:%B} {today.year}" in " ".join(text.split())
    assert brief.hand_in_date.isoformat() not in text


def test_evidence_already_assessed_is_not_handed_in_again(world: dict) -> None:
    brief = issued(world)
    evidence = submitted_evidence(world)
    judge(world, evidence, Outcome.NOT_YET_MET)
    with pytest.raises(BriefError, match="hand in a new version"):
        briefs.hand_in(learner=world["learner"], brief=brief, evidence=evidence)
