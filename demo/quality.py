"""The demo centre's quality-assurance story, told through the real services.

Five more learners have finished, or left early, so that internal verification and claims have
something to work on:

- Grace Mitchell (Ascentis Award): complete, sampled, signed off by the IV, claimed in a
  batch already submitted to Ascentis (whose summary PDF is built), and her achievement
  record built.
- Noah Williams (Ascentis Certificate): complete; the IV referred one decision back, the
  assessor corrected it and signed the unit off again, the IV agreed and signed off. Ready to
  claim.
- Isla Robertson (Pearson BTEC Certificate): complete and signed off, but registered 8 weeks
  ago; Pearson asks for 10 weeks before a claim.
- Ethan Moore (Ascentis Award): complete and signed off, but an appeal is open.
- Mia Robinson (Ascentis Certificate): left her employer part-way; one unit achieved, sampled
  and signed off by the IV for a unit certificate, and her registration withdrawn.

Dorothy Evans is their internal verifier and Aisha Khan their assessor (an IV never verifies
their own decisions). The IV also rates the assessors, writes a sampling strategy for the three
qualifications involved and draws a plan for each; the completed learners' summative samples
come from those plans. Each learner's story runs once: a learner who already has a
registration is left alone, so a second run adds nothing.

These are Northgate's people; `seed_demo --second-centre` tells the same stories at Southfield
College with its own (demo/centres.py's DemoCentre says who is who at each).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Role, User
from accounts.services import learner_profile_update, person_create
from assessments.achievements import build_now, build_record
from assessments.judging import RowJudgement, judge_evidence
from assessments.models import Decision, UnitSignOff
from assessments.release import awaiting_validation
from assessments.services import record_decision, sign_off_unit
from assessments.validation import validate_decisions
from certification.claims import add_to_claim, export_batch, submit_batch
from certification.holds import open_hold
from certification.models import BatchState, ClaimBatch, HoldKind
from certification.summaries import request_summary
from demo.centres import CLAIMED, DEMO_PASSWORD, LEFT_EARLY, ON_HOLD, REFERRED, DemoCentre
from demo.common import a_valid_choice, ensure_password, tiny_pdf, upload
from portfolios.evidence import evidence_create, file_add, map_criteria, submit
from portfolios.models import EvidenceContext, EvidenceMethod, Registration
from portfolios.services import register_learner, withdraw
from qualifications.models import Qualification
from qualifications.queries import combination_rules
from verification.models import AssessorRiskRating, RiskRating, SampleStage, SamplingPlan
from verification.samples import agree, refer_back, sign_off, start_planned_sample
from verification.services import add_planned_sample, draw_plan, save_strategy, set_rating

STRATEGY_QUALIFICATIONS = ("600/1686/3", "600/1684/X", "603/5449/5")


def seed_quality_assurance(*, centre: Any, actor: Any, demo: DemoCentre) -> list[Any]:
    """Ratings, strategies and plans, then each finished learner's story at the `demo`
    centre (a DemoCentre). Returns the registrations made this run (none on a
    second run)."""
    verifier = User.objects.get(email=demo.verifier.email)
    assessor = User.objects.get(email=demo.assessor.email)
    if not AssessorRiskRating.objects.filter(centre=centre).exists():
        # Marcus has assessed for years; Aisha stays unrated ("new"), so all her work is
        # sampled, as the strategy asks of a new assessor.
        set_rating(
            actor=verifier,
            centre=centre,
            assessor=User.objects.get(email=demo.assessor_iv.email),
            rating=RiskRating.EXPERIENCED,
            reason="Five years assessing this qualification; no referrals in the last year.",
        )
    made = []
    for learner in demo.finished:
        registration = _register(
            centre=centre, actor=actor, learner=learner, assessor=assessor, demo=demo
        )
        if registration is None:
            continue
        made.append((learner, registration))
        units = _units_to_achieve(registration, learner)
        for unit in units:
            achieve_unit(registration, unit, assessor)
    if made:
        plans = _plans(centre=centre, verifier=verifier)
        for learner, registration in made:
            _verify(learner, registration, plans[registration.qualification.number], assessor, demo)
        _claims(centre=centre, actor=actor, made=made, demo=demo)
    _achievement_record(centre=centre, actor=actor, demo=demo)
    _claim_summary(centre=centre, actor=actor, demo=demo)
    return [registration for _, registration in made]


def _achievement_record(*, centre: Any, actor: Any, demo: DemoCentre) -> Any:
    """Grace's full achievement record, built here and now (`make run` has no worker). Asked
    for every run, so a demo seeded before records existed gains one; the same content asked
    again is the record already built, so a second run adds nothing."""
    grace = next(learner for learner in demo.finished if learner.story == CLAIMED)
    registration = Registration.objects.get(
        centre=centre,
        learner__email=demo.learner_email(grace.name),
        qualification__number=grace.qualification,
    )
    return build_now(actor=actor, registration=registration, kind="full")


def _claim_summary(*, centre: Any, actor: Any, demo: DemoCentre) -> Any:
    """The summary PDF of the batch submitted to Ascentis, built here and now, as the centre
    admin would ask for it from the batch page. The same content asked again is the summary
    already built, so a second run adds nothing."""
    batch = ClaimBatch.objects.filter(
        centre=centre, state=BatchState.SUBMITTED, reference=demo.claim_reference
    ).first()
    if batch is None:
        return None
    record, _ = request_summary(actor=actor, batch=batch, queue=False)
    if record.is_pending:
        record = build_record(record_id=record.pk)
    return record


def _claims(*, centre: Any, actor: Any, made: list[tuple[Any, Any]], demo: DemoCentre) -> None:
    """Grace's qualification claimed in a batch already sent to Ascentis; Ethan held by an
    appeal. Noah (his qualification) and Mia (her unit) are left for the admin to claim."""
    for learner, registration in made:
        if learner.story == CLAIMED:
            line = add_to_claim(actor=actor, centre_id=centre.pk, items=[(registration.pk, None)])[
                0
            ]
            export_batch(actor=actor, batch=line.batch)
            submit_batch(actor=actor, batch=line.batch, reference=demo.claim_reference)
        elif learner.story == ON_HOLD:
            open_hold(
                actor=actor,
                registration=registration,
                kind=HoldKind.APPEAL,
                reason="The learner has appealed the grading of his workbook; the centre's "
                "appeal panel has not met yet.",
            )


def _register(*, centre: Any, actor: Any, learner: Any, assessor: Any, demo: DemoCentre) -> Any:
    user, _ = person_create(
        actor=actor,
        centre=centre,
        email=demo.learner_email(learner.name),
        full_name=learner.name,
        role=Role.LEARNER,
        password=DEMO_PASSWORD,
    )
    ensure_password(user)
    if Registration.objects.filter(learner=user, centre=centre).exists():
        return None
    index = [f.name for f in demo.finished].index(learner.name)
    learner_profile_update(
        actor=actor,
        user=user,
        centre=centre,
        uln=demo.uln(index, finished=True),
        date_of_birth=learner.born,
        employer=learner.employer,
        phone=demo.phone(index, finished=True),
    )
    qualification = Qualification.objects.get(number=learner.qualification)
    start = timezone.localdate() - timedelta(weeks=learner.weeks_ago)
    user.refresh_from_db()
    return register_learner(
        actor=actor,
        learner=user,
        centre=centre,
        qualification=qualification,
        start_date=start,
        planned_end_date=start + timedelta(days=365),
        awarding_body_number=f"{demo.registration_prefix}{101 + index:04d}",
        unit_keys=a_valid_choice(combination_rules(qualification), index),
        assessors=[assessor],
        internal_verifier=User.objects.get(email=demo.verifier.email),
    )


def _units_to_achieve(registration: Any, learner: Any) -> list[Any]:
    units = [
        choice.unit
        for choice in registration.unit_choices.select_related("unit").order_by("unit__key")
    ]
    if learner.story == LEFT_EARLY:
        # She left after her first unit: the smallest, so the story stays short.
        return [min(units, key=lambda unit: unit.criteria.count())]
    return units


def achieve_unit(
    registration: Any,
    unit: Any,
    assessor: Any,
    password: str | None = None,
    *,
    sign_off: bool = True,
) -> None:
    """The learner's workbook for the unit, judged met criterion by criterion, and signed off
    (the assessor confirms with `password`, the demo's by default; `sign_off=False` leaves the
    unit met but unsigned). Tests and seed_scale use it too."""
    learner = registration.learner
    criteria = list(unit.criteria.order_by("position"))
    today = timezone.localdate()
    done_on = min(registration.start_date + timedelta(days=28), today)
    evidence = evidence_create(
        actor=learner,
        registration=registration,
        title=f"Workbook and workplace examples: {unit.title}",
        description="Answers to the unit workbook, with examples from my own work.",
        evidence_date=done_on,
        method=EvidenceMethod.PRODUCT,
        context=EvidenceContext.REAL_WORK_PAID,
    )
    file_add(
        actor=learner,
        evidence=evidence,
        upload=upload(
            "workbook.pdf",
            tiny_pdf(f"{unit.reference or unit.key} workbook - {learner.full_name}"),
            "application/pdf",
        ),
    )
    map_criteria(actor=learner, evidence=evidence, criteria=criteria)
    submit(actor=learner, evidence=evidence, typed_name=learner.full_name, confirmed=True)
    # Judged in one form, as an assessor does (assessments.judging): the same decisions, each
    # with its row, progress and audit event, but the checks and the lock once for the unit
    # rather than once per criterion (seed_scale's 1,232-criterion learner spent half its time
    # on them).
    judge_evidence(
        assessor=assessor,
        evidence=evidence,
        rows=[
            RowJudgement(
                criterion_id=criterion.pk,
                outcome="met",
                feedback="Your workbook answer and your example from work meet this criterion.",
            )
            for criterion in criteria
        ],
        method=EvidenceMethod.PRODUCT,
        assessed_on=done_on,
        token=uuid.uuid4(),
    )
    waiting = list(
        awaiting_validation(
            Decision.objects.filter(registration=registration, criterion__unit=unit)
        )
    )
    if waiting:
        # Pearson: the IV validates the decisions before the learner sees them.
        validate_decisions(
            validator=registration.internal_verifier,
            decisions=waiting,
            outcome="agreed",
            comment="Sound judgement against the criteria.",
        )
    if sign_off:
        sign_off_unit(
            assessor=assessor,
            registration=registration,
            unit=unit,
            password=password or DEMO_PASSWORD,
            declared_authentic=True,
        )


def _plans(*, centre: Any, verifier: Any) -> dict[str, Any]:
    """A strategy (the defaults) and a current plan for each qualification in the story."""
    today = timezone.localdate()
    plans = {}
    for number in STRATEGY_QUALIFICATIONS:
        strategy = save_strategy(
            actor=verifier,
            centre=centre,
            qualification=Qualification.objects.get(number=number),
            values={},
        )
        plan = SamplingPlan.objects.filter(strategy=strategy).first()
        if plan is None:
            plan = draw_plan(
                actor=verifier,
                strategy=strategy,
                period_start=today - timedelta(days=30),
                period_end=today + timedelta(days=60),
            )
        plans[number] = plan
    return plans


def _planned(plan: Any, registration: Any, unit: Any, assessor: Any, verifier: Any) -> Any:
    """The plan's summative sample of this work, added to the plan if the draw left it out."""
    found = (
        plan.samples.active()
        .filter(registration=registration, unit=unit, stage=SampleStage.SUMMATIVE)
        .first()
    )
    if found is not None:
        return found
    return add_planned_sample(
        actor=verifier,
        plan=plan,
        registration=registration,
        assessor=assessor,
        stage=SampleStage.SUMMATIVE,
        planned_on=max(plan.period_start, timezone.localdate() - timedelta(days=7)),
        unit=unit,
    )


def _verify(learner: Any, registration: Any, plan: Any, assessor: Any, demo: DemoCentre) -> None:
    """The IV's summative sample of the finished work, its outcome and the sign-off."""
    verifier = registration.internal_verifier
    registration.refresh_from_db()
    unit = None
    if learner.story == LEFT_EARLY:
        unit = UnitSignOff.objects.active().get(registration=registration).unit
    sample = start_planned_sample(
        verifier=verifier,
        planned_sample=_planned(plan, registration, unit, assessor, verifier),
    )
    if learner.story == REFERRED:
        decision = (
            Decision.objects.current()
            .filter(registration=registration)
            .select_related("criterion__unit")
            .order_by("criterion__unit__key", "criterion__position")[0]
        )
        refer_back(
            verifier=verifier,
            sample=sample,
            decisions=[decision],
            actions="Say in the feedback which part of the workbook shows the criterion met, "
            "and how the workplace example confirms it.",
            deadline=timezone.localdate() + timedelta(days=14),
            feedback="The judgement is right, but the feedback would not show an EQA why.",
        )
        record_decision(
            assessor=assessor,
            registration=registration,
            criterion=decision.criterion,
            outcome="met",
            method=decision.method,
            assessed_on=timezone.localdate(),
            feedback="Met: workbook question 1 explains the organisation's service offer, and "
            "your example of the delayed booking shows you used it with a customer.",
            evidence=list(decision.evidence.all()),
            supersedes=decision,
            reason="The internal verifier asked for feedback that shows how the criterion is met.",
        )
        sign_off_unit(
            assessor=assessor,
            registration=registration,
            unit=decision.criterion.unit,
            password=DEMO_PASSWORD,
            declared_authentic=True,
        )
        agree(verifier=verifier, sample=sample, feedback="Corrected as asked: agreed.")
    else:
        agree(
            verifier=verifier,
            sample=sample,
            feedback="Judgements sound and the evidence is valid, authentic and sufficient.",
        )
    sign_off(verifier=verifier, sample=sample, password=DEMO_PASSWORD)
    if learner.story == LEFT_EARLY:
        withdraw(
            actor=User.objects.get(email=demo.centre_admin.email),
            registration=registration,
            reason="Left her employer before completing; a unit certificate is to be claimed "
            "for the unit she achieved.",
        )
