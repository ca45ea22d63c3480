"""A lived-in demo centre: staff in every role, twelve learners registered through the services,
and portfolios with evidence in every state (drafts, submitted and declared, returned and
resubmitted as version 2, a signed witness testimony and a witness request still waiting),
assessor's records, an assessment plan, decisions released on Pearson, a standardisation
meeting, and the quality-assurance story (demo/quality.py).

`manage.py seed_demo` calls seed_centre for each demo centre; each step finds what exists and
adds what is missing, so a second run adds nothing. A DemoCentre (demo/centres.py) says who is
who at each; every story below is told through it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Centre, Role, StaffCredential, User
from accounts.services import credential_add, learner_profile_update, person_create
from assessments.models import (
    AssessmentPlan,
    AssessorRecord,
    Decision,
    DecisionValidation,
    RecordKind,
    UnitSignOff,
)
from assessments.plans import (
    activity_add,
    activity_done,
    assessor_sign,
    learner_sign,
    plan_create,
)
from assessments.records import acknowledge_record, create_record
from assessments.release import awaiting_validation
from assessments.services import record_decision, return_evidence, sign_off_unit
from assessments.validation import validate_decision, validate_decisions
from demo.api import seed_api_token
from demo.apprenticeships import seed_apprenticeships
from demo.badges import seed_badges
from demo.briefs import seed_briefs
from demo.cases import seed_cases
from demo.centre_rules import seed_centre_rules
from demo.centres import DEMO_ADMIN, DEMO_PASSWORD, DemoCentre
from demo.common import (
    a_valid_choice,
    criteria_by_unit,
    ensure_password,
    tiny_pdf,
    tiny_png,
    upload,
)
from demo.competence import seed_competence
from demo.employer_contact import seed_employer_contact
from demo.evidence import seed_evidence_basis
from demo.gateway import seed_gateway
from demo.held_returns import agree_held_return, seed_held_returns
from demo.off_the_job import seed_off_the_job
from demo.overdue import seed_overdue_learner
from demo.pictures import seed_progress_over_time
from demo.quality import seed_quality_assurance
from demo.records import seed_records
from demo.reviews import seed_reviews
from demo.sso import seed_identity_provider
from portfolios.evidence import (
    evidence_create,
    evidence_update,
    file_add,
    map_criteria,
    resubmit,
    submit,
)
from portfolios.models import EvidenceContext, EvidenceMethod, Registration, RegistrationStatus
from portfolios.services import register_learner
from portfolios.witness import witness_request_create, witness_respond
from qualifications.models import Qualification, QualificationStatus, Unit
from qualifications.queries import combination_rules
from verification.models.standardisation import StandardisationMeeting
from verification.standardisation import add_outcome, create_meeting, finalise_meeting


def seed_centre(demo: DemoCentre) -> Centre:
    """One demo centre, all its stories told (each finds what exists, adds what is missing)."""
    centre = seed(actor=User.objects.get(email=DEMO_ADMIN.email), demo=demo)
    seed_competence(centre=centre, demo=demo)
    seed_evidence(centre=centre, demo=demo)
    seed_assessor_records(centre=centre, demo=demo)
    seed_plan(centre=centre, demo=demo)
    seed_release(centre=centre, demo=demo)
    seed_standardisation(centre=centre, demo=demo)
    seed_quality_assurance(
        centre=centre, actor=User.objects.get(email=demo.centre_admin.email), demo=demo
    )
    seed_centre_rules(centre=centre, actor=User.objects.get(email=demo.centre_admin.email))
    seed_briefs(centre=centre, demo=demo)
    seed_evidence_basis(centre=centre, demo=demo)
    seed_cases(centre=centre, demo=demo)
    seed_records(centre=centre, demo=demo)
    seed_held_returns(centre=centre, demo=demo)
    seed_progress_over_time(centre=centre, demo=demo)
    seed_overdue_learner(centre=centre, demo=demo)
    seed_apprenticeships(centre=centre, demo=demo)
    seed_off_the_job(centre=centre, demo=demo)
    seed_employer_contact(centre=centre, demo=demo)
    seed_reviews(centre=centre, demo=demo)
    seed_gateway(centre=centre, demo=demo)
    seed_api_token(centre=centre, demo=demo)
    seed_badges(centre=centre, demo=demo)
    seed_identity_provider(centre=centre, demo=demo)
    return centre


def seed(*, actor: User, demo: DemoCentre) -> Centre:
    """The demo centre and everyone in it; finds what exists, adds what is missing."""
    today = timezone.localdate()
    centre, _ = Centre.objects.get_or_create(number=demo.number, defaults={"name": demo.name})
    catalogue = list(Qualification.objects.with_status(today).order_by("number"))
    centre.qualifications.add(
        *[q for q in catalogue if q.current_status != QualificationStatus.CLOSED]
    )
    open_ones = [q for q in catalogue if q.current_status == QualificationStatus.OPEN]
    if not open_ones:
        raise CommandError("The catalogue has no open qualification: run load_catalogue first.")

    people: dict[str, User] = {}
    for person in demo.staff:
        for role in person.roles:
            user, _ = person_create(
                actor=actor,
                centre=centre,
                email=person.email,
                full_name=person.full_name,
                role=role,
                password=DEMO_PASSWORD,
                expires_on=today + timedelta(days=90) if role == Role.EQA else None,
            )
        ensure_password(user)
        people[person.email] = user
    for person, kind, title in (
        (demo.assessor_iv, StaffCredential.Kind.ASSESSOR, "Level 3 Certificate in Assessing"),
        (
            demo.assessor_iv,
            StaffCredential.Kind.VERIFIER,
            "Level 4 Award in Internal Quality Assurance",
        ),
        (demo.assessor, StaffCredential.Kind.ASSESSOR, "Level 3 Certificate in Assessing"),
        (
            demo.verifier,
            StaffCredential.Kind.VERIFIER,
            "Level 4 Award in Internal Quality Assurance",
        ),
    ):
        credential_add(
            actor=actor,
            user=people[person.email],
            centre=centre,
            kind=kind,
            title=title,
            status=StaffCredential.Status.HELD,
            achieved_on=date(2019, 6, 1),
        )

    rules_cache: dict[int, Any] = {}
    for index, (name, born, employer) in enumerate(demo.learners):
        learner, _ = person_create(
            actor=actor,
            centre=centre,
            email=demo.learner_email(name),
            full_name=name,
            role=Role.LEARNER,
            password=DEMO_PASSWORD,
        )
        ensure_password(learner)
        learner_profile_update(
            actor=actor,
            user=learner,
            centre=centre,
            uln=demo.uln(index),
            date_of_birth=born,
            employer=employer,
            phone=demo.phone(index),
        )
        qualification = open_ones[index % len(open_ones)]
        if Registration.objects.filter(
            learner=learner,
            centre=centre,
            qualification=qualification,
            status=RegistrationStatus.ACTIVE,
        ).exists():
            continue
        if qualification.pk not in rules_cache:
            rules_cache[qualification.pk] = combination_rules(qualification)
        # Assessors alternate; the IV never verifies their own assessments.
        assessor = people[demo.assessor_iv.email if index % 2 == 0 else demo.assessor.email]
        verifier = people[demo.verifier.email if index % 2 == 0 else demo.assessor_iv.email]
        learner.refresh_from_db()
        start = today - timedelta(days=30 + 21 * index)
        register_learner(
            actor=actor,
            learner=learner,
            centre=centre,
            qualification=qualification,
            start_date=start,
            planned_end_date=start + timedelta(days=365),
            awarding_body_number=f"{demo.registration_prefix}{index + 1:04d}",
            unit_keys=a_valid_choice(rules_cache[qualification.pk], index // len(open_ones)),
            assessors=[assessor],
            internal_verifier=verifier,
        )
    return centre


# ---------------------------------------------------------------- the demo's evidence


def seed_evidence(*, centre: Centre, demo: DemoCentre) -> None:
    """Evidence for every demo learner who has none yet (so a second run adds nothing)."""
    learners = demo.learner_emails()
    registrations = {
        r.learner.email: r
        for r in Registration.objects.filter(centre=centre, learner__email__in=learners)
        .select_related("learner")
        .prefetch_related("assessors")
        .order_by("created_at", "pk")
    }
    for index, email in enumerate(learners):
        registration = registrations.get(email)
        if registration is None:
            continue
        if registration.evidence.exists() or registration.witness_requests.exists():
            continue
        _portfolio(index, registration, demo)


def _portfolio(index: int, registration: Any, demo: DemoCentre) -> None:
    units = criteria_by_unit(registration)
    if not units:
        return
    learner = registration.learner
    assessor = registration.assessors.all()[0]
    first_name = learner.get_short_name()
    today = timezone.localdate()

    def when(days_after_start: int) -> date:
        return min(registration.start_date + timedelta(days=days_after_start), today)

    def pick(unit_index: int, count: int) -> list[Any]:
        criteria = units[unit_index % len(units)]
        start = index % max(1, len(criteria) - count + 1)
        return criteria[start : start + count]

    # Submitted and declared: a work product in two units (or two criteria of one).
    product = evidence_create(
        actor=learner,
        registration=registration,
        title="Job sheet and customer handover notes",
        description=f"The job sheet {first_name} completed for a real job, with handover notes.",
        evidence_date=when(7),
        method=EvidenceMethod.PRODUCT,
        context=EvidenceContext.REAL_WORK_PAID,
    )
    file_add(
        actor=learner,
        evidence=product,
        upload=upload(
            "job-sheet.pdf", tiny_pdf(f"Job sheet - {learner.full_name}"), "application/pdf"
        ),
    )
    file_add(
        actor=learner,
        evidence=product,
        upload=upload("workplace-photo.png", tiny_png((40, 90 + index * 10, 160)), "image/png"),
    )
    judged = pick(0, 2) + pick(1, 1)
    map_criteria(actor=learner, evidence=product, criteria=judged)
    submit(actor=learner, evidence=product, typed_name=learner.full_name, confirmed=True)
    # The assessor's decisions so far: one criterion met, one not yet, one still waiting.
    for position, criterion in enumerate(judged[:2]):
        record_decision(
            assessor=assessor,
            registration=registration,
            criterion=criterion,
            outcome="met" if position == 0 else "not_yet_met",
            method=EvidenceMethod.PRODUCT,
            assessed_on=when(9),
            feedback=(
                "Clear and complete: this meets the criterion."
                if position == 0
                else "Not yet: say what you checked with the customer before you closed the job."
            ),
            evidence=[product],
        )

    if index % 4 == 1:
        # A whole unit judged met and signed off by the assessor.
        smallest = min(units, key=len)
        # What the decisions rest on (assessments.basis): the learner's log of the work the
        # assessor observed, mapped to the criteria it shows.
        observed = evidence_create(
            actor=learner,
            registration=registration,
            title="Work log: the shifts my assessor observed",
            description="What I did on each observed shift, signed by my supervisor.",
            evidence_date=when(20),
            method=EvidenceMethod.PRODUCT,
            context=EvidenceContext.REAL_WORK_PAID,
        )
        map_criteria(
            actor=learner,
            evidence=observed,
            criteria=[criterion for criterion in smallest if criterion != judged[0]],
        )
        submit(actor=learner, evidence=observed, typed_name=learner.full_name, confirmed=True)
        for criterion in smallest:
            if criterion == judged[0]:
                continue
            current = (
                Decision.objects.current()
                .filter(registration=registration, criterion=criterion)
                .first()
            )
            record_decision(
                assessor=assessor,
                registration=registration,
                criterion=criterion,
                outcome="met",
                method=EvidenceMethod.OBSERVATION,
                assessed_on=when(20),
                feedback="Observed in the workplace: met.",
                evidence=[observed],
                supersedes=current,
                reason="Observed again in the workplace." if current else "",
            )
        _release_unit(registration, smallest[0].unit)
        sign_off_unit(
            assessor=assessor,
            registration=registration,
            unit=smallest[0].unit,
            password=DEMO_PASSWORD,
            declared_authentic=True,
        )

    # A draft still being put together.
    draft = evidence_create(
        actor=learner,
        registration=registration,
        title="Reflective account: a difficult customer",
        description="Draft: what happened, what I did and what I would do differently.",
        evidence_date=when(14),
        method=EvidenceMethod.REFLECTIVE_ACCOUNT,
        context=EvidenceContext.REAL_WORK_PAID,
    )
    file_add(
        actor=learner,
        evidence=draft,
        upload=upload(
            "reflective-notes.txt",
            f"Notes by {learner.full_name}\nStill to finish.\n".encode(),
            "text/plain",
        ),
    )
    map_criteria(actor=learner, evidence=draft, criteria=pick(1, 1))

    if index % 3 == 0:
        # Returned by the assessor, then resubmitted as version 2 (version 1 stays).
        account = evidence_create(
            actor=learner,
            registration=registration,
            title="Professional discussion record",
            description="Summary of the discussion with my assessor.",
            evidence_date=when(10),
            method=EvidenceMethod.PROFESSIONAL_DISCUSSION,
            context=EvidenceContext.REAL_WORK_PAID,
        )
        file_add(
            actor=learner,
            evidence=account,
            upload=upload(
                "discussion.pdf",
                tiny_pdf(f"Professional discussion - {learner.full_name}"),
                "application/pdf",
            ),
        )
        map_criteria(actor=learner, evidence=account, criteria=pick(2, 2))
        submit(actor=learner, evidence=account, typed_name=learner.full_name, confirmed=True)
        return_evidence(
            assessor=assessor,
            evidence=account,
            feedback="Please say which safety checks you made and why.",
        )
        agree_held_return(account)  # where an IV validates it before the learner has it
        second = resubmit(actor=learner, evidence=account)
        evidence_update(
            actor=learner,
            evidence=second,
            description=(
                "Summary of the discussion with my assessor, now with the safety checks I "
                "made and why each one mattered."
            ),
        )
        submit(actor=learner, evidence=second, typed_name=learner.full_name, confirmed=True)

    if index == 0:
        # One testimony signed by the witness, one request still waiting for an answer.
        first_witness, second_witness = demo.witnesses
        signed = witness_request_create(
            actor=learner,
            registration=registration,
            witness_name=first_witness.name,
            witness_email=first_witness.email,
            job_title="Team leader",
            relationship="line manager",
            is_expert=False,
            activity=f"{first_name}'s work on shift over the past month.",
            criteria=pick(0, 1) + pick(1, 1),
        )
        witness_respond(
            token=signed.token,
            testimony=(
                f"I have supervised {first_name} for six months. Last month I watched them deal "
                "with a busy shift calmly, follow every procedure and keep the customer informed."
            ),
            signed_name=first_witness.name,
            confirmed=True,
        )
        witness_request_create(
            actor=assessor,
            registration=registration,
            witness_name=second_witness.name,
            witness_email=second_witness.email,
            job_title="Duty manager",
            relationship="senior colleague",
            is_expert=True,
            expert_competence="Duty manager in the custody suite since 2019; runs the stock check.",
            activity=f"{first_name}'s handling of the end-of-month stock check.",
            criteria=pick(2, 1),
        )


# ---------------------------------------------------------------- assessor-made records


def seed_assessor_records(*, centre: Centre, demo: DemoCentre) -> None:
    """For the first three demo learners, an observation by their assessor: the first two
    acknowledged (one with a disagreement), the third still waiting. Added once."""
    today = timezone.localdate()
    learners = demo.learner_emails()[:3]
    registrations = (
        Registration.objects.filter(centre=centre, learner__email__in=learners)
        .select_related("learner")
        .prefetch_related("assessors")
        .order_by("created_at", "pk")
    )
    for index, registration in enumerate(registrations):
        if AssessorRecord.objects.filter(evidence__registration=registration).exists():
            continue
        signed = set(
            UnitSignOff.objects.active()
            .filter(registration=registration)
            .values_list("unit_id", flat=True)
        )
        units = [u for u in criteria_by_unit(registration) if u[0].unit_id not in signed]
        if not units:
            continue
        first_name = registration.learner.get_short_name()
        record = create_record(
            assessor=registration.assessors.all()[0],
            registration=registration,
            kind=RecordKind.OBSERVATION,
            title="Observed on shift",
            occurred_on=min(registration.start_date + timedelta(days=12), today),
            place=f"{first_name}'s workplace",
            context=EvidenceContext.REAL_WORK_PAID,
            account=(
                f"I watched {first_name} work a full shift: they followed the procedures, "
                "checked their work and kept the customer informed throughout."
            ),
            criteria=units[-1][:2],
        )
        if index < 2:
            acknowledge_record(
                learner=registration.learner,
                record=record,
                comment="I also completed the handover, which is not mentioned." if index else "",
                disagrees=bool(index),
            )


# ---------------------------------------------------------------- the demo's assessment plan


def seed_plan(*, centre: Centre, demo: DemoCentre) -> None:
    """One learner's agreed plan: an activity done, one overdue, one coming up (added once)."""
    registration = (
        Registration.objects.filter(
            centre=centre, learner__email=demo.learner_email(demo.plan_learner)
        )
        .prefetch_related("assessors")
        .first()
    )
    if registration is None or AssessmentPlan.objects.filter(registration=registration).exists():
        return
    assessor = registration.assessors.all()[0]
    units = criteria_by_unit(registration)
    today = timezone.localdate()
    plan = plan_create(
        assessor=assessor,
        registration=registration,
        title="Assessment plan: first three months",
        summary="Agreed at the induction review. We meet every fortnight to check progress.",
    )
    # (what, how, target in days from today): the first is done, the second overdue.
    activities = (
        ("Upload the job sheets from your last two jobs.", EvidenceMethod.PRODUCT, -14),
        ("Observation of a customer handover at work.", EvidenceMethod.OBSERVATION, -5),
        (
            "Professional discussion on safe working practices.",
            EvidenceMethod.PROFESSIONAL_DISCUSSION,
            21,
        ),
    )
    added = [
        activity_add(
            assessor=assessor,
            plan=plan,
            description=description,
            method=method,
            target_date=today + timedelta(days=days),
            criteria=units[position % len(units)][:2] if units else [],
        )
        for position, (description, method, days) in enumerate(activities)
    ]
    assessor_sign(assessor=assessor, plan=plan)
    learner_sign(learner=registration.learner, plan=plan)
    activity_done(assessor=assessor, activity=added[0])


# ---------------------------------------------------------------- releasing decisions (Pearson)


def _release_unit(registration: Any, unit: Any) -> None:
    """Where the qualification needs it, the IV agrees the unit's decisions before sign-off."""
    decisions = Decision.objects.filter(registration=registration, criterion__unit=unit)
    waiting = list(awaiting_validation(decisions))
    if waiting:
        validate_decisions(
            validator=registration.internal_verifier,
            decisions=waiting,
            outcome="agreed",
            comment="Sound judgement against the criteria.",
        )


def seed_release(*, centre: Centre, demo: DemoCentre) -> None:
    """On each demo registration whose decisions wait for an IV (Pearson BTEC), one decision is
    validated and so released to the learner, and one still waits. Registrations that already
    have a validation are left alone, so a second run adds nothing."""
    learners = demo.learner_emails()
    for registration in (
        Registration.objects.filter(centre=centre, learner__email__in=learners)
        .select_related("qualification", "internal_verifier")
        .order_by("created_at", "pk")
    ):
        if DecisionValidation.objects.filter(decision__registration=registration).exists():
            continue
        waiting = list(
            awaiting_validation(Decision.objects.filter(registration=registration)).order_by(
                "decided_at", "pk"
            )
        )
        if len(waiting) < 2 or registration.internal_verifier is None:
            continue
        validate_decision(
            validator=registration.internal_verifier,
            decision=waiting[0],
            outcome="agreed",
            comment="Sound judgement, feedback states how the criterion was met.",
        )


# ---------------------------------------------------------------- standardisation (IV)


def seed_standardisation(*, centre: Centre, demo: DemoCentre) -> None:
    """One finalised standardisation meeting on the motor vehicle qualification, with both
    assessors, the IV and two decisions; recorded once (a second run finds it and adds nothing)."""
    qualification = centre.qualifications.filter(number="601/3456/2").first()
    if qualification is None or StandardisationMeeting.objects.filter(centre=centre).exists():
        return
    people = {
        person.email: User.objects.get(email=person.email)
        for person in (demo.verifier, demo.assessor, demo.assessor_iv)
    }
    verifier = people[demo.verifier.email]
    meeting = create_meeting(
        actor=verifier,
        centre=centre,
        qualification=qualification,
        title="Judging observations of customer handovers",
        held_on=timezone.localdate() - timedelta(days=21),
        attendees=list(people.values()),
        location="Training room 2",
        notes="Each assessor brought one observation record; we judged them together.",
    )
    units = list(Unit.objects.filter(memberships__qualification=qualification).order_by("key")[:1])
    add_outcome(
        actor=verifier,
        meeting=meeting,
        decision="Observation records name the job card and the vehicle registration.",
        units=units,
        action_owner=people[demo.assessor.email],
        action_due=timezone.localdate() + timedelta(days=14),
    )
    add_outcome(
        actor=verifier,
        meeting=meeting,
        decision="Feedback says which criterion each part of the observation meets.",
    )
    finalise_meeting(actor=verifier, meeting=meeting)
