"""The progress read model stays equal to a full recount of the log through every service that
changes its figures, `recount_progress` finds and repairs any row that is not, and concurrent
changes to one registration leave it right."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from accounts.models import Role
from assessments import plans
from assessments.mapping import confirm_mapping
from assessments.models import RecordKind
from assessments.records import create_record
from assessments.services import record_decision, return_evidence, sign_off_unit, unlock_unit
from portfolios import evidence as evidence_services
from portfolios.models import Evidence, EvidenceStatus, Registration, RegistrationProgress
from portfolios.readmodel import differences, is_behind, pace
from portfolios.services import choose_units, register_learner
from portfolios.witness import witness_request_create, witness_respond
from qualifications.combination import mandatory_units, optional_units
from qualifications.models import AssessmentCriterion, Qualification, Unit
from qualifications.queries import combination_rules
from tests.factories import DEFAULT_PASSWORD, CentreFactory, mapped_evidence, member
from tests.services import unavailable
from tests.support import clock

UNIT = "F/506/2131"  # IMI CS 8, mandatory, 9 criteria


def make_case() -> dict:
    """An IMI learner 100 days into 200, with two assessors and an internal verifier."""
    today = clock.today()
    centre = CentreFactory()
    imi = Qualification.objects.get(number="601/3456/2")
    centre.qualifications.add(imi)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR)
    other_assessor = member(centre, Role.ASSESSOR)
    iv = member(centre, Role.INTERNAL_VERIFIER)
    learner = member(centre, Role.LEARNER, full_name="Ana Lima")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=imi,
        start_date=today - datetime.timedelta(days=100),
        planned_end_date=today + datetime.timedelta(days=100),
        assessors=[assessor, other_assessor],
        internal_verifier=iv,
    )
    unit = Unit.objects.get(key=UNIT)
    return {
        "admin": admin,
        "assessor": assessor,
        "other_assessor": other_assessor,
        "iv": iv,
        "learner": learner,
        "registration": registration,
        "qualification": imi,
        "unit": unit,
        "criteria": list(unit.criteria.order_by("position")),
    }


def row(registration: Registration) -> RegistrationProgress:
    return RegistrationProgress.objects.get(pk=registration.pk)


def agrees(registration: Registration, **expected: object) -> None:
    """The kept row equals a full recount, and holds the figures the step should leave."""
    assert list(differences(Registration.objects.filter(pk=registration.pk))) == []
    kept = row(registration)
    assert {name: getattr(kept, name) for name in expected} == expected


def submitted(case: dict, criteria: list[AssessmentCriterion], title: str = "Log") -> Evidence:
    today = clock.today()
    learner = case["learner"]
    evidence = evidence_services.evidence_create(
        actor=learner,
        registration=case["registration"],
        title=title,
        evidence_date=today,
        method="product",
        context="real_work_paid",
        description="What I did.",
    )
    evidence_services.map_criteria(actor=learner, evidence=evidence, criteria=criteria)
    evidence_services.submit(
        actor=learner, evidence=evidence, typed_name=learner.full_name, confirmed=True
    )
    return evidence


def decide(case: dict, criterion: AssessmentCriterion, outcome: str = "met", **kw: object):
    today = clock.today()
    return record_decision(
        assessor=kw.pop("assessor", case["assessor"]),
        registration=case["registration"],
        criterion=criterion,
        outcome=outcome,
        method="observation",
        assessed_on=today,
        # A criterion judged met rests on evidence mapped to it (assessments.basis).
        evidence=kw.pop("evidence")
        if "evidence" in kw
        else [mapped_evidence(case["registration"], criterion)]
        if outcome == "met"
        else [],
        **kw,
    )


def observation(case: dict, criteria: list[AssessmentCriterion]) -> Evidence:
    today = clock.today()
    record = create_record(
        assessor=case["assessor"],
        registration=case["registration"],
        kind=RecordKind.OBSERVATION,
        title="Greeting customers",
        occurred_on=today,
        place="Reception",
        context="real_work_paid",
        account="Greeted every customer by name.",
        criteria=criteria,
    )
    return record.evidence


@pytest.mark.usefixtures("catalogue")
def test_every_service_that_changes_a_figure_keeps_the_read_model_equal_to_a_recount() -> None:
    today = clock.today()
    case = make_case()
    registration = case["registration"]
    c = case["criteria"]
    rules = combination_rules(case["qualification"])
    mandatory = AssessmentCriterion.objects.filter(unit__key__in=mandatory_units(rules)).count()

    # Registered: every mandatory criterion required, nothing met, half the time gone: behind.
    agrees(
        registration,
        criteria_required=mandatory,
        criteria_met=0,
        evidence_waiting=0,
        paced=True,
        plan_due=None,
    )
    assert row(registration).behind_from <= today

    optional = next(key for key in optional_units(rules) if key not in mandatory_units(rules))
    choose_units(actor=case["admin"], registration=registration, unit_keys=[optional])
    extra = AssessmentCriterion.objects.filter(unit__key=optional).count()
    agrees(registration, criteria_required=mandatory + extra)
    choose_units(actor=case["admin"], registration=registration, unit_keys=[])
    agrees(registration, criteria_required=mandatory)

    survey = submitted(case, [c[0], c[1]])
    agrees(registration, evidence_waiting=1)

    asked = witness_request_create(
        actor=case["learner"],
        registration=registration,
        witness_name="Grace Supervisor",
        witness_email="grace@garage.example",
        job_title="Supervisor",
        relationship="line manager",
        is_expert=False,
        activity="Serving customers.",
        criteria=[c[2]],
    )
    testimony = witness_respond(
        token=asked.token, testimony="I saw it.", signed_name="Grace Supervisor", confirmed=True
    )
    agrees(registration, evidence_waiting=2)

    record = observation(case, [c[3], c[4]])
    agrees(registration, evidence_waiting=3)

    first = decide(case, c[0], evidence=[survey])
    agrees(registration, criteria_met=1, evidence_waiting=3)
    decide(case, c[1], evidence=[survey])  # every criterion of the survey judged: assessed
    agrees(registration, criteria_met=2, evidence_waiting=2)

    return_evidence(assessor=case["assessor"], evidence=testimony, feedback="Say when.")
    agrees(registration, evidence_waiting=1)

    decide(case, c[3], evidence=[record])
    confirm_mapping(assessor=case["assessor"], evidence=record, criteria=[c[3]])  # drops c[4]
    assert Evidence.objects.get(pk=record.pk).status == EvidenceStatus.ASSESSED
    agrees(registration, criteria_met=3, evidence_waiting=0)

    # Corrections: met to not yet met and back; the superseded decisions stop counting.
    second = decide(case, c[0], "not_yet_met", supersedes=first, reason="Re-observed.")
    agrees(registration, criteria_met=2)
    decide(case, c[0], supersedes=second, reason="Met after all.")
    agrees(registration, criteria_met=3)

    for criterion in c:
        if criterion not in (c[0], c[1], c[3]):
            decide(case, criterion)
    agrees(registration, criteria_met=len(c), units_signed_off=0)
    sign_off = sign_off_unit(
        assessor=case["assessor"],
        registration=registration,
        unit=case["unit"],
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )
    agrees(registration, units_signed_off=1)
    unlock_unit(actor=case["iv"], sign_off=sign_off, reason="Referred by sampling.")
    agrees(registration, units_signed_off=0)

    plan = plans.plan_create(assessor=case["assessor"], registration=registration, title="Plan")
    for days in (-2, 5):
        plans.activity_add(
            assessor=case["assessor"],
            plan=plan,
            description=f"Activity {days}",
            method="observation",
            target_date=today + datetime.timedelta(days=days),
        )
    plans.assessor_sign(assessor=case["assessor"], plan=plan)
    agrees(registration, plan_due=None)  # not in force until the learner signs
    plans.learner_sign(learner=case["learner"], plan=plan)
    agrees(registration, plan_due=today - datetime.timedelta(days=2))
    plans.activity_done(
        assessor=case["assessor"], activity=plan.activities.get(description="Activity -2")
    )
    agrees(registration, plan_due=today + datetime.timedelta(days=5))


@pytest.mark.parametrize(
    ("days", "met", "required"),
    [(200, 0, 9), (200, 3, 9), (100, 30, 100), (365, 1, 7), (10, 1, 3), (1, 0, 5), (7, 8, 9)],
)
def test_the_day_pace_turns_agrees_with_the_pace_of_every_day(
    days: int, met: int, required: int
) -> None:
    start = datetime.date(2026, 1, 1)
    end = start + datetime.timedelta(days=days)
    paced, behind_from = pace(start=start, end=end, met=met, required=required)
    assert paced
    for offset in range(-3, days + 4):
        today = start + datetime.timedelta(days=offset)
        behind = is_behind(today=today, start=start, end=end, met=met, required=required)
        assert behind == (behind_from is not None and today >= behind_from), today


def test_pace_means_nothing_without_an_end_after_the_start_or_anything_to_do() -> None:
    start = datetime.date(2026, 1, 1)
    assert pace(start=start, end=None, met=0, required=9) == (False, None)
    assert pace(start=start, end=start, met=0, required=9) == (False, None)
    assert pace(start=start, end=start + datetime.timedelta(days=9), met=0, required=0) == (
        False,
        None,
    )


@pytest.mark.usefixtures("catalogue")
def test_recount_progress_names_what_differs_and_fix_repairs_it() -> None:
    case = make_case()
    registration = case["registration"]
    decide(case, case["criteria"][0])
    healthy = make_case()["registration"]

    out = StringIO()
    call_command("recount_progress", stdout=out)
    assert "agrees with the log (2 registrations)" in out.getvalue()

    RegistrationProgress.objects.filter(pk=registration.pk).update(criteria_met=7)
    RegistrationProgress.objects.filter(pk=healthy.pk).delete()
    err = StringIO()
    with pytest.raises(CommandError, match="differs from the log for 2 of 2"):
        call_command("recount_progress", stdout=StringIO(), stderr=err)
    assert f"registration {registration.pk}: criteria_met 7 (counted 1)" in err.getvalue()
    assert f"registration {healthy.pk}:" in err.getvalue()

    out = StringIO()
    call_command("recount_progress", "--fix", stdout=out, stderr=StringIO())
    assert "Recounted 2 of 2" in out.getvalue()
    assert row(registration).criteria_met == 1
    assert row(healthy).criteria_required > 0
    call_command("recount_progress", stdout=StringIO())


@pytest.mark.usefixtures("catalogue")
def test_a_registration_with_no_row_gets_one_at_its_next_change() -> None:
    case = make_case()
    registration = case["registration"]
    RegistrationProgress.objects.filter(pk=registration.pk).delete()

    decide(case, case["criteria"][0])

    agrees(registration, criteria_met=1)


def _together(*work: Callable[[], object]) -> list[BaseException]:
    """Run each callable in its own thread and connection, released at the same moment."""
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(fn: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            fn()
        except BaseException as exc:  # reported to the test, which then fails
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_changes_to_one_registration_at_the_same_moment_leave_its_progress_right() -> None:
    today = clock.today()
    if connection.vendor != "postgresql":
        unavailable("PostgreSQL", "this test needs concurrent transactions and row locks")
    from tests.conftest import ensure_catalogue

    ensure_catalogue()
    case = make_case()
    registration = case["registration"]
    c = case["criteria"]
    drafts = []
    for n in range(2):
        draft = evidence_services.evidence_create(
            actor=case["learner"],
            registration=registration,
            title=f"Draft {n}",
            evidence_date=today,
            method="product",
            context="real_work_paid",
            description="What I did.",
        )
        evidence_services.map_criteria(actor=case["learner"], evidence=draft, criteria=[c[8]])
        drafts.append(draft)

    def submit(draft: Evidence) -> Callable[[], object]:
        return lambda: evidence_services.submit(
            actor=case["learner"], evidence=draft, typed_name="Ana Lima", confirmed=True
        )

    # Two assessors judge and the learner submits twice, all at once. The submissions lock only
    # their evidence, so only the progress row's lock orders them against the decisions.
    errors = _together(
        lambda: decide(case, c[0]),
        lambda: decide(case, c[1], assessor=case["other_assessor"]),
        submit(drafts[0]),
        submit(drafts[1]),
    )

    assert errors == []
    agrees(registration, criteria_met=2, evidence_waiting=2)


@pytest.mark.django_db(transaction=True)
def test_two_recounts_whose_changes_overlap_count_both() -> None:
    """The row lock itself, without the registration lock the services also take: each writer
    adds a decision, then both recount while the other's is still uncommitted. The second to
    lock must wait for the first to commit and count afresh, or the row misses one."""
    today = clock.today()
    if connection.vendor != "postgresql":
        unavailable("PostgreSQL", "this test needs concurrent transactions and row locks")
    from django.db import transaction

    from assessments.models import Decision
    from portfolios.readmodel import refresh_progress
    from tests.conftest import ensure_catalogue

    ensure_catalogue()
    case = make_case()
    registration = case["registration"]
    both_written = threading.Barrier(2)

    def writer(criterion: AssessmentCriterion) -> Callable[[], object]:
        def work() -> None:
            with transaction.atomic():
                Decision.objects.create(
                    registration=registration,
                    criterion=criterion,
                    outcome="met",
                    method="observation",
                    assessed_on=today,
                    assessor=case["assessor"],
                )
                both_written.wait(timeout=30)
                refresh_progress(registration)

        return work

    errors = _together(writer(case["criteria"][0]), writer(case["criteria"][1]))

    assert errors == []
    agrees(registration, criteria_met=2)


@pytest.mark.usefixtures("catalogue")
def test_a_recount_that_changes_nothing_writes_nothing(django_assert_num_queries) -> None:
    today = clock.today()
    from django.db import transaction

    from portfolios.readmodel import refresh_progress

    case = make_case()
    registration = case["registration"]
    plan = plans.plan_create(assessor=case["assessor"], registration=registration, title="Plan")
    plans.activity_add(
        assessor=case["assessor"],
        plan=plan,
        description="Observe",
        method="observation",
        target_date=today + datetime.timedelta(days=3),
    )
    plans.assessor_sign(assessor=case["assessor"], plan=plan)
    plans.learner_sign(learner=case["learner"], plan=plan)
    agrees(registration, plan_due=today + datetime.timedelta(days=3), paced=True)

    # The row's lock and the recount: no write when every figure (dates included) is the same.
    with transaction.atomic(), django_assert_num_queries(2):
        refresh_progress(registration)
