"""Decisions, corrections, returning evidence, sign-off, unlocking and completion."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from accounts.models import Role
from assessments.models import Decision, UnitSignOff
from assessments.services import (
    AssessmentError,
    completion,
    mark_complete_if_done,
    record_decision,
    return_evidence,
    sign_off_unit,
    unlock_unit,
)
from assessments.validation import validate_decision
from core.models import AuditEvent
from portfolios import evidence as evidence_services
from portfolios.models import EvidenceStatus, RegistrationStatus
from portfolios.progress import criterion_states, recorded_decisions
from portfolios.services import register_learner
from qualifications.models import AssessmentCriterion, Qualification, Unit
from tests.factories import DEFAULT_PASSWORD, CentreFactory, mapped_evidence, member
from tests.services import in_ci
from tests.support import clock

UNDERSTAND_CUSTOMERS = "F/506/2131"  # IMI CS 8, mandatory, 9 criteria


@pytest.fixture
def case(catalogue: None) -> dict:
    return make_case()


def make_case() -> dict:
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
        start_date=today,
        assessors=[assessor, other_assessor],
        internal_verifier=iv,
    )
    return {
        "centre": centre,
        "admin": admin,
        "assessor": assessor,
        "other_assessor": other_assessor,
        "iv": iv,
        "learner": learner,
        "registration": registration,
        "unit": Unit.objects.get(key=UNDERSTAND_CUSTOMERS),
    }


def decide(
    case: dict, criterion: AssessmentCriterion, outcome: str = "met", **kw: object
) -> Decision:
    today = clock.today()
    return record_decision(
        assessor=kw.pop("assessor", case["assessor"]),
        registration=case["registration"],
        criterion=criterion,
        outcome=outcome,
        method="observation",
        assessed_on=today,
        feedback=kw.pop("feedback", "Well done."),
        # A criterion judged met rests on evidence mapped to it (assessments.basis).
        evidence=kw.pop("evidence")
        if "evidence" in kw
        else [mapped_evidence(case["registration"], criterion)]
        if outcome == "met"
        else [],
        **kw,
    )


def test_a_decision_is_recorded_with_its_audit_event_and_shows_in_the_portfolio(case: dict) -> None:
    criterion = case["unit"].criteria.get(number="1.1")

    decision = decide(case, criterion)

    assert decision.outcome == "met"
    assert AuditEvent.objects.for_object(decision).get().action == "decision.recorded"
    registration = case["registration"]
    states = criterion_states(registration, recorded_decisions(registration))
    assert states[criterion.pk] == "met"


def test_a_second_first_decision_is_refused_and_a_correction_needs_a_reason(case: dict) -> None:
    criterion = case["unit"].criteria.get(number="1.1")
    first = decide(case, criterion, "not_yet_met")

    with pytest.raises(AssessmentError, match="already been judged"):
        decide(case, criterion)
    with pytest.raises(AssessmentError, match="Say why"):
        decide(case, criterion, supersedes=first)

    second = decide(case, criterion, supersedes=first, reason="Re-observed on the shop floor.")

    # Both stay: the log is append-only; the newest is current.
    assert list(Decision.objects.filter(criterion=criterion)) == [first, second]
    assert list(Decision.objects.current().filter(criterion=criterion)) == [second]
    assert second.supersedes == first
    assert AuditEvent.objects.for_object(second).get().action == "decision.corrected"


def test_correcting_a_decision_someone_else_already_corrected_is_refused(case: dict) -> None:
    criterion = case["unit"].criteria.get(number="1.1")
    first = decide(case, criterion, "not_yet_met")
    decide(case, criterion, supersedes=first, reason="Second look.")

    with pytest.raises(AssessmentError, match="newer decision"):
        decide(case, criterion, assessor=case["other_assessor"], supersedes=first, reason="Mine.")
    assert Decision.objects.filter(criterion=criterion).count() == 2


def test_only_an_assigned_assessor_decides_and_never_on_their_own_portfolio(case: dict) -> None:
    criterion = case["unit"].criteria.get(number="1.1")
    stranger = member(case["centre"], Role.ASSESSOR)

    with pytest.raises(AssessmentError, match="assigned"):
        decide(case, criterion, assessor=stranger)
    with pytest.raises(AssessmentError, match="assigned"):
        decide(case, criterion, assessor=case["iv"])
    assert not Decision.objects.exists()


def test_a_criterion_outside_the_learners_units_is_refused(case: dict) -> None:
    foreign = AssessmentCriterion.objects.filter(unit__key="PEARSON:Unit 1").first()

    with pytest.raises(AssessmentError, match="not in a unit"):
        decide(case, foreign)


def test_returning_evidence_needs_feedback_and_lets_the_learner_resubmit(case: dict) -> None:
    today = clock.today()
    learner, registration = case["learner"], case["registration"]
    evidence = evidence_services.evidence_create(
        actor=learner,
        registration=registration,
        title="Customer survey",
        evidence_date=today,
        method="product",
        context="real_work_paid",
        description="A survey I ran.",
    )
    evidence_services.map_criteria(
        actor=learner, evidence=evidence, criteria=case["unit"].criteria.filter(number="1.1")
    )
    evidence_services.submit(
        actor=learner, evidence=evidence, typed_name="Ana Lima", confirmed=True
    )

    with pytest.raises(AssessmentError, match="Say what"):
        return_evidence(assessor=case["assessor"], evidence=evidence, feedback=" ")
    returned = return_evidence(
        assessor=case["assessor"], evidence=evidence, feedback="Add the results."
    )

    assert returned.status == EvidenceStatus.RETURNED
    version_two = evidence_services.resubmit(actor=learner, evidence=returned)
    assert version_two.previous == returned
    with pytest.raises(AssessmentError, match="Only submitted"):
        return_evidence(assessor=case["assessor"], evidence=returned, feedback="Again.")


def test_sign_off_needs_every_criterion_met_and_the_password(case: dict) -> None:
    unit, registration = case["unit"], case["registration"]
    criteria = list(unit.criteria.order_by("position"))
    for criterion in criteria[:-1]:
        decide(case, criterion)

    with pytest.raises(AssessmentError, match=r"not yet: 2\.5"):
        sign_off_unit(
            assessor=case["assessor"],
            registration=registration,
            unit=unit,
            password=DEFAULT_PASSWORD,
            declared_authentic=True,
        )
    decide(case, criteria[-1])
    with pytest.raises(AssessmentError, match="password is not right"):
        sign_off_unit(
            assessor=case["assessor"],
            registration=registration,
            unit=unit,
            password="x",
            declared_authentic=True,
        )

    sign_off = sign_off_unit(
        assessor=case["assessor"],
        registration=registration,
        unit=unit,
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )

    assert len(sign_off.content_hash) == 64
    # A double click signs once.
    with pytest.raises(AssessmentError, match="already signed off"):
        sign_off_unit(
            assessor=case["assessor"],
            registration=registration,
            unit=unit,
            password=DEFAULT_PASSWORD,
            declared_authentic=True,
        )
    assert UnitSignOff.objects.count() == 1
    # The unit's decisions are locked.
    first = Decision.objects.current().get(criterion=criteria[0])
    with pytest.raises(AssessmentError, match="locks its decisions"):
        decide(case, criteria[0], "not_yet_met", supersedes=first, reason="Changed my mind.")


def test_only_the_iv_or_an_admin_unlocks_with_a_reason(case: dict) -> None:
    unit, registration = case["unit"], case["registration"]
    for criterion in unit.criteria.all():
        decide(case, criterion)
    sign_off = sign_off_unit(
        assessor=case["assessor"],
        registration=registration,
        unit=unit,
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )

    with pytest.raises(AssessmentError, match="internal verifier or a centre admin"):
        unlock_unit(actor=case["assessor"], sign_off=sign_off, reason="Oops.")
    with pytest.raises(AssessmentError, match="Say why"):
        unlock_unit(actor=case["iv"], sign_off=sign_off, reason="")
    unlocked = unlock_unit(actor=case["iv"], sign_off=sign_off, reason="Referred: 1.3 thin.")

    assert unlocked.unlocked_by == case["iv"]
    criterion = unit.criteria.get(number="1.3")
    current = Decision.objects.current().get(criterion=criterion)
    decide(case, criterion, "not_yet_met", supersedes=current, reason="IV referral.")
    assert AuditEvent.objects.for_object(unlocked).values_list("action", flat=True).last() == (
        "unit.unlocked"
    )


def test_completion_follows_the_rules_over_signed_off_units(case: dict) -> None:
    registration = case["registration"]

    before = [p.message for p in completion(registration).problems]
    assert any("Mandatory unit missing" in m for m in before)

    # Sign off every unit the learner takes (mandatory only here: the rules still need more).
    for choice in registration.unit_choices.select_related("unit"):
        for criterion in choice.unit.criteria.all():
            decide(case, criterion)
        sign_off_unit(
            assessor=case["assessor"],
            registration=registration,
            unit=choice.unit,
            password=DEFAULT_PASSWORD,
            declared_authentic=True,
        )

    result = completion(registration)
    assert not any(p.code == "missing_mandatory" for p in result.problems)
    assert "3 more credits from Group B." in [p.message for p in result.problems]
    assert mark_complete_if_done(actor=case["assessor"], registration=registration) is False
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE


def test_verify_audit_chain_finds_an_altered_event(case: dict) -> None:
    decide(case, case["unit"].criteria.get(number="1.1"))
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert "intact" in out.getvalue()

    event = AuditEvent.objects.filter(action="decision.recorded").get()
    AuditEvent.objects.filter(pk=event.pk).update(data={**event.data, "outcome": "not_yet_met"})

    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit_chain", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db(transaction=True)
def test_two_assessors_deciding_at_once_leave_exactly_one_decision(catalogue: None) -> None:
    if connection.vendor != "postgresql":
        if in_ci():
            pytest.fail("this concurrency test must run on PostgreSQL in CI")
        pytest.skip("needs PostgreSQL's row locks and concurrent transactions")
    from tests.conftest import ensure_catalogue

    ensure_catalogue()
    case_data = make_case()
    criterion = case_data["unit"].criteria.get(number="1.1")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(assessor: object) -> None:
        barrier.wait()
        try:
            decide(case_data, criterion, assessor=assessor)
            outcomes.append("recorded")
        except AssessmentError as exc:
            outcomes.append(str(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=attempt, args=(case_data[name],))
        for name in ("assessor", "other_assessor")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes)[-1] == "recorded"
    assert outcomes.count("recorded") == 1
    assert Decision.objects.filter(criterion=criterion).count() == 1


def test_signing_off_the_last_unit_needed_completes_the_registration(catalogue: None) -> None:
    today = clock.today()
    centre = CentreFactory()
    certificate = Qualification.objects.get(
        number="603/5449/5"
    )  # Pearson: Units 1-4, all mandatory
    centre.qualifications.add(certificate)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR)
    iv = member(centre, Role.INTERNAL_VERIFIER)
    learner = member(centre, Role.LEARNER)
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=certificate,
        start_date=today,
        assessors=[assessor],
        internal_verifier=iv,
    )
    units = [choice.unit for choice in registration.unit_choices.select_related("unit")]
    assert len(units) == 4

    for position, unit in enumerate(sorted(units, key=lambda u: u.key)):
        for criterion in unit.criteria.all():
            decision = record_decision(
                assessor=assessor,
                registration=registration,
                criterion=criterion,
                outcome="met",
                method="assignment",
                assessed_on=today,
                evidence=[mapped_evidence(registration, criterion)],
            )
            # Pearson: released only once the IV agrees (a centre cannot waive it).
            validate_decision(validator=iv, decision=decision, outcome="agreed")
        sign_off_unit(
            assessor=assessor,
            registration=registration,
            unit=unit,
            password=DEFAULT_PASSWORD,
            declared_authentic=True,
        )
        registration.refresh_from_db()
        expected = RegistrationStatus.COMPLETE if position == 3 else RegistrationStatus.ACTIVE
        assert registration.status == expected

    assert completion(registration).ok
    assert (
        AuditEvent.objects.for_object(registration)
        .filter(action="registration.status_changed", data__to="complete")
        .exists()
    )
