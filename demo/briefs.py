"""The demo's Pearson assignment briefs (Pearson BTEC specification, section 8): on the first
demo learner registered on a Pearson qualification, an issued brief for one learning outcome of
a unit they take, an extension their assessor authorised for illness, and their evidence handed
in against it; beside it a draft brief the learners do not see. Written once: a second run
finds the briefs and adds nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Centre
from assessments import briefs
from assessments.models import AssignmentBrief
from demo.centres import DemoCentre
from portfolios.evidence import evidence_create, map_criteria, submit
from portfolios.models import EvidenceContext, EvidenceMethod, Registration, RegistrationStatus
from qualifications.models import AssessmentCriterion, LearningOutcome


def seed_briefs(*, centre: Centre, demo: DemoCentre) -> None:
    if AssignmentBrief.objects.filter(centre=centre).exists():
        return
    registration = (
        Registration.objects.filter(
            centre=centre,
            learner__email__in=demo.learner_emails(),
            qualification__awarding_body__code="PEARSON",
            status=RegistrationStatus.ACTIVE,
        )
        .select_related("learner", "qualification")
        .order_by("created_at", "pk")
        .first()
    )
    if registration is None:
        return
    assessor = registration.assessors.order_by("pk").first()
    outcome = (
        LearningOutcome.objects.filter(
            unit__in=registration.unit_choices.values("unit"), criteria__isnull=False
        )
        .select_related("unit")
        .order_by("unit__key", "position")
        .first()
    )
    if assessor is None or outcome is None:
        return
    today = timezone.localdate()
    brief = briefs.write_brief(
        author=assessor,
        centre=centre,
        qualification=registration.qualification,
        unit=outcome.unit,
        outcomes=[outcome],
        title=f"{outcome.unit.title}: a guide for new starters",
        scenario=(
            "You work in the customer service team of a regional energy supplier. Your team "
            "leader wants a short guide that new starters can read in their first week."
        ),
        audience="New starters in the customer service team",
        tasks=(
            f"Task 1: produce a guide that covers learning outcome {outcome.number} "
            f"({outcome.text}).\nTask 2: use examples from your own organisation, or one you "
            "know well, and reference your sources."
        ),
        start_date=today - timedelta(days=14),
        hand_in_date=today + timedelta(days=7),
    )
    briefs.issue_brief(actor=assessor, brief=brief)
    briefs.authorise_extension(
        actor=assessor,
        brief=brief,
        registration=registration,
        hand_in_date=today + timedelta(days=14),
        reason="Illness at the time of submission: the learner was signed off work for a week.",
    )
    learner = registration.learner
    guide = evidence_create(
        actor=learner,
        registration=registration,
        title="Guide for new starters",
        description=f"{learner.get_short_name()}'s guide, written for the assignment brief.",
        evidence_date=today,
        method=EvidenceMethod.ASSIGNMENT,
        context=EvidenceContext.REAL_WORK_PAID,
    )
    map_criteria(
        actor=learner, evidence=guide, criteria=AssessmentCriterion.objects.filter(outcome=outcome)
    )
    submit(actor=learner, evidence=guide, typed_name=learner.full_name, confirmed=True)
    briefs.hand_in(learner=learner, brief=brief, evidence=guide)
    # A draft for the next outcome, which only staff see until it is issued.
    following = (
        LearningOutcome.objects.filter(unit=outcome.unit, position__gt=outcome.position)
        .order_by("position")
        .first()
    )
    if following is not None:
        briefs.write_brief(
            author=assessor,
            centre=centre,
            qualification=registration.qualification,
            unit=outcome.unit,
            outcomes=[following],
            title=f"{outcome.unit.title}: a presentation to your team",
            scenario="Your team meets monthly to share good practice.",
            audience="Your team at its monthly meeting",
            tasks=f"Task 1: prepare a presentation covering learning outcome {following.number}.",
            start_date=today + timedelta(days=21),
            hand_in_date=today + timedelta(days=49),
        )
