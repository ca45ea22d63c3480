"""The end-point assessment gateway's checklist and services (issue 19, point 5): what each
checklist item asks and says, naming a gap, the three-way declaration, withdrawing it, the
result, and the result printed in the achievement record."""

from __future__ import annotations

import datetime
import io
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import IntegrityError, close_old_connections, connections, transaction
from django.test import TestCase
from pypdf import PdfReader

from accounts.models import Role, User
from assessments import achievements, gateway
from assessments.coverage import State, coverage_for
from assessments.gateway import GatewayError, readiness_for
from assessments.models import UnitSignOff
from assessments.services import record_decision, sign_off_unit
from core.models import AuditEvent
from demo.common import a_valid_choice
from portfolios.models import (
    Apprenticeship,
    EndPointResult,
    GatewayGap,
    GatewayParty,
    GatewaySignature,
    OffTheJobActivity,
    OffTheJobKind,
    OffTheJobStatus,
    Registration,
    RegistrationStatus,
)
from portfolios.services import register_learner
from qualifications.models import Qualification, Standard, Statement
from qualifications.queries import combination_rules
from tests.factories import (
    DEFAULT_PASSWORD,
    CentreFactory,
    EmployerFactory,
    apprentice,
    mapped_evidence,
    member,
)
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

NCFE = "601/3973/0"  # the Customer Service Practitioner standard's own qualification
NCFE_DIPLOMA = "601/3456/2"  # shares mapped units with it: the standard does not include it


@dataclass
class People:
    centre: Any
    admin: User
    assessor: User
    iv: User
    learner: User
    contact: User
    registration: Registration

    @property
    def signers(self) -> dict[str, User]:
        return {
            GatewayParty.APPRENTICE: self.learner,
            GatewayParty.EMPLOYER: self.contact,
            GatewayParty.PROVIDER: self.assessor,
        }


def some_units(qualification: Qualification) -> set[str]:
    """A valid choice; NCFE's certificate gives no rule of combination: three of its units."""
    rules = combination_rules(qualification)
    if rules.rules_given:
        return a_valid_choice(rules, 0)
    return {"F/506/2131", "A/506/2130", "J/506/2132"}


def make_people(number: str = NCFE) -> People:
    today = clock.today()
    centre = CentreFactory()
    qualification = Qualification.objects.get(number=number)
    centre.qualifications.add(qualification)
    admin = member(centre, Role.CENTRE_ADMIN, full_name="Ada Admin")
    assessor = member(centre, Role.ASSESSOR, full_name="Sam Assessor")
    iv = member(centre, Role.INTERNAL_VERIFIER)
    registration = register_learner(
        actor=admin,
        learner=member(centre, Role.LEARNER, full_name="Ana Lima"),
        centre=centre,
        qualification=qualification,
        start_date=today - datetime.timedelta(days=400),
        unit_keys=some_units(qualification),
        assessors=[assessor],
        internal_verifier=iv,
    )
    employer = EmployerFactory(centre=centre, name="Harbour Hotels")
    apprentice(registration, employer)
    Apprenticeship.objects.filter(registration=registration).update(
        practical_start=today - datetime.timedelta(days=400),
        practical_planned_end=today + datetime.timedelta(days=30),
    )
    contact = member(centre, Role.EMPLOYER, employer=employer, full_name="Sarah Quinn")
    return People(centre, admin, assessor, iv, registration.learner, contact, registration)


def approved_hours(people: People, hours: str, *, status: str = OffTheJobStatus.APPROVED) -> None:
    """Hours already reviewed: rows made directly (the log's own tests cover logging them)."""
    today = clock.today()
    total, day = Decimal(hours), today - datetime.timedelta(days=300)
    while total > 0:
        step = min(total, Decimal("7"))
        OffTheJobActivity.objects.create(
            registration=people.registration,
            date=day,
            hours=step,
            kind=OffTheJobKind.TEACHING,
            description="Training day",
            status=status,
        )
        total -= step
        day += datetime.timedelta(days=7)


def gaps_for_all(people: People) -> None:
    """A gap named for every KSB, directly (naming one is tested through the service)."""
    GatewayGap.objects.bulk_create(
        GatewayGap(
            registration=people.registration,
            statement=statement,
            gap=f"{statement.code} is not evidenced yet.",
            plan="Professional discussion at the end-point assessment.",
            written_by=people.assessor,
        )
        for statement in Statement.objects.filter(standard__code="customer-service-practitioner")
    )


def units_signed_off(people: People) -> None:
    """Every unit the learner takes signed off, directly (sign-off has its own tests)."""
    for choice in people.registration.unit_choices.all():
        UnitSignOff.objects.create(
            registration=people.registration,
            unit_id=choice.unit_id,
            signed_by=people.assessor,
            content_hash="0" * 64,
        )


def make_ready(people: People) -> People:
    approved_hours(people, "278")
    gaps_for_all(people)
    units_signed_off(people)
    Apprenticeship.objects.filter(registration=people.registration).update(
        english_requirement="held", maths_requirement="required", maths_status="achieved"
    )
    return people


@pytest.fixture
def people() -> People:
    return make_people()


@pytest.fixture
def ready(people: People) -> People:
    return make_ready(people)


def items(people: People) -> dict[str, gateway.Item]:
    readiness = readiness_for([people.registration])[people.registration.pk]
    return {item.key: item for item in readiness.items}


def sign_all(people: People) -> None:
    for party, signer in people.signers.items():
        gateway.sign(actor=signer, registration=people.registration, party=party)


# ---------------------------------------------------------------- the checklist


def test_a_new_apprentice_is_not_ready_and_each_item_says_why(people: People) -> None:
    found = items(people)

    assert list(found) == ["ksbs", "off_the_job", "english", "maths", "duration", "units"]
    assert not found["ksbs"].met
    assert found["ksbs"].why.startswith("0 of 34 evidenced, 0 with the gap named; K1, K2")
    assert found["off_the_job"].why == "0 hours approved of 278 planned: 278 to go."
    assert found["english"].why == "Required, and not started: not yet achieved."
    assert found["duration"].met  # 400 days into the practical period
    assert found["units"].why == "0 of 3 units signed off."
    assert not readiness_for([people.registration])[people.registration.pk].ready


def test_every_item_met_makes_the_apprentice_ready(ready: People) -> None:
    today = clock.today()
    readiness = readiness_for([ready.registration])[ready.registration.pk]

    assert readiness.ready
    assert [item.why for item in readiness.items] == [
        "0 of 34 evidenced, the gap named for the other 34.",
        "278 hours approved of 278 planned.",
        "Already held.",
        "Required, and achieved.",
        f"The practical period started {(today - datetime.timedelta(days=400)):%-d %B %Y}: "
        "400 days so far, at least 366 needed.",
        "All 3 units signed off.",
    ]


def test_hours_waiting_for_review_do_not_count_towards_the_plan(people: People) -> None:
    approved_hours(people, "270")
    approved_hours(people, "20", status=OffTheJobStatus.SUBMITTED)

    assert items(people)["off_the_job"].why == "270 hours approved of 278 planned: 8 to go."


def test_prior_learning_lowers_the_hours_the_checklist_asks_for(people: People) -> None:
    Apprenticeship.objects.filter(registration=people.registration).update(
        rpl_reduction_hours=Decimal("40"), rpl_reason="Level 2 certificate"
    )
    approved_hours(people, "238")

    assert items(people)["off_the_job"].met


@pytest.mark.parametrize(
    ("requirement", "status", "met"),
    [
        ("required", "in_progress", False),
        ("required", "achieved", True),
        ("held", "not_started", True),
        ("exempt", "not_started", True),
    ],
)
def test_english_is_met_when_held_exempt_or_achieved(
    people: People, requirement: str, status: str, met: bool
) -> None:
    Apprenticeship.objects.filter(registration=people.registration).update(
        english_requirement=requirement, english_status=status
    )

    assert items(people)["english"].met is met


def test_a_practical_period_short_of_the_minimum_says_when_it_is_reached(people: People) -> None:
    today = clock.today()
    start = today - datetime.timedelta(days=100)
    Apprenticeship.objects.filter(registration=people.registration).update(practical_start=start)

    item = items(people)["duration"]

    reached = start + datetime.timedelta(days=366)
    assert not item.met
    assert item.why.endswith(f"100 days so far, at least 366 needed (reached {reached:%-d %B %Y}).")


def test_a_ksb_evidenced_by_met_criteria_needs_no_gap_and_a_unit_signed_off_counts(
    people: People,
) -> None:
    today = clock.today()
    unit = min(
        (choice.unit for choice in people.registration.unit_choices.select_related("unit")),
        key=lambda unit: unit.criteria.count(),
    )
    criteria = list(unit.criteria.all())
    evidence = mapped_evidence(people.registration, criteria, evidence_date=today)
    for criterion in criteria:
        record_decision(
            assessor=people.assessor,
            registration=people.registration,
            criterion=criterion,
            outcome="met",
            method="product",
            assessed_on=today,
            evidence=[evidence],
        )
    sign_off_unit(
        assessor=people.assessor,
        registration=people.registration,
        unit=unit,
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )

    found = items(people)
    readiness = readiness_for([people.registration])[people.registration.pk]
    covered = [c.statement.code for c in readiness.coverage if c.is_covered]
    assert covered  # the unit's criteria evidence some statements in full
    assert found["ksbs"].why.startswith(f"{len(covered)} of 34 evidenced, 0 with the gap named")
    assert found["units"].why == "1 of 3 units signed off."


def test_the_checklist_judges_each_ksb_as_the_coverage_page_does() -> None:
    """The checklist judges coverage from ids alone (statement_links); the coverage page from
    the statements, criteria and units themselves (mapped_statements). On learners whose KSBs
    take every state, both say the same of each statement, in the same order."""
    today = clock.today()
    ncfe = make_people()
    units = list(ncfe.registration.unit_choices.select_related("unit").order_by("unit__key"))
    whole, part = units[0].unit, units[1].unit
    half = list(part.criteria.order_by("position"))
    half = half[: max(len(half) // 2, 1)]
    met = [*whole.criteria.all(), *half]
    evidence = mapped_evidence(ncfe.registration, met, evidence_date=today)
    for criterion in met:
        record_decision(
            assessor=ncfe.assessor,
            registration=ncfe.registration,
            criterion=criterion,
            outcome="met",
            method="product",
            assessed_on=today,
            evidence=[evidence],
        )
    UnitSignOff.objects.create(
        registration=ncfe.registration,
        unit=whole,
        signed_by=ncfe.assessor,
        content_hash="0" * 64,
    )
    # Pearson's Annexe A maps whole units to the specialist standard: a unit signed off.
    pearson = make_people("603/5450/1")
    specialist = Standard.objects.get(code="customer-service-specialist")
    Apprenticeship.objects.filter(registration=pearson.registration).update(standard=specialist)
    unit = pearson.registration.unit_choices.order_by("unit__key").first()
    assert unit is not None
    UnitSignOff.objects.create(
        registration=pearson.registration,
        unit_id=unit.unit_id,
        signed_by=pearson.assessor,
        content_hash="0" * 64,
    )
    practitioner = Standard.objects.get(code="customer-service-practitioner")

    seen: set[str] = set()
    for people, standard in ((ncfe, practitioner), (pearson, specialist)):
        registration = Registration.objects.get(pk=people.registration.pk)
        checklist = readiness_for([registration])[registration.pk]
        (page,) = coverage_for([registration], [standard])[registration.pk]
        judged = [(ksb.statement_id, ksb.code, ksb.state) for ksb in checklist.ksbs]
        shown = [(c.statement.pk, c.statement.code, c.state) for c in page.statements]
        assert judged == shown
        assert [(c.statement.code, c.state) for c in checklist.coverage] == [
            (code, state) for _, code, state in shown
        ]
        seen |= {state for _, _, state in judged}
    assert seen >= {State.COVERED, State.PARTLY, State.NOT_YET, State.OUTSIDE_UNITS}


def test_units_are_no_item_where_the_standard_does_not_include_the_qualification() -> None:
    people = make_people(NCFE_DIPLOMA)

    item = items(people)["units"]

    assert item.met
    assert not item.applies
    assert item.why.startswith("The standard does not include this qualification")


def test_a_registration_without_a_programme_record_has_one_item_not_met() -> None:
    people = make_people()
    Apprenticeship.objects.filter(registration=people.registration).delete()

    readiness = readiness_for([people.registration])[people.registration.pk]

    assert [item.key for item in readiness.items] == ["programme"]
    assert not readiness.ready


def test_the_checklist_of_many_apprentices_costs_the_same_queries(
    django_assert_num_queries: Any,
) -> None:
    one = make_ready(make_people())
    with django_assert_num_queries(8):
        readiness_for([one.registration])
    many = [make_people().registration for _ in range(3)]
    with django_assert_num_queries(8):
        result = readiness_for([one.registration, *many])
    assert result[one.registration.pk].ready
    assert not any(result[r.pk].ready for r in many)


# ---------------------------------------------------------------- naming a gap


def ksb(code: str) -> Statement:
    return Statement.objects.get(standard__code="customer-service-practitioner", code=code)


def test_the_assessor_names_a_gap_and_it_is_audited(people: People) -> None:
    note = gateway.name_gap(
        actor=people.assessor,
        registration=people.registration,
        statement=ksb("K1"),
        gap="  No evidence of the organisation's vision.  ",
        plan="Professional discussion.",
    )

    assert note.gap == "No evidence of the organisation's vision."
    event = AuditEvent.objects.get(action="gateway.gap_named")
    assert event.data["statement"] == "K1"
    assert items(people)["ksbs"].why.startswith("0 of 34 evidenced, 1 with the gap named")


def test_naming_the_same_gap_twice_changes_nothing_and_a_correction_supersedes(
    people: People,
) -> None:
    first = gateway.name_gap(
        actor=people.assessor, registration=people.registration, statement=ksb("K1"),
        gap="Missing.", plan="Discussion.",
    )  # fmt: skip
    again = gateway.name_gap(
        actor=people.assessor, registration=people.registration, statement=ksb("K1"),
        gap="Missing.", plan="Discussion.",
    )  # fmt: skip
    assert again.pk == first.pk
    corrected = gateway.name_gap(
        actor=people.admin, registration=people.registration, statement=ksb("K1"),
        gap="Missing, in part.", plan="Observation.",
    )  # fmt: skip

    first.refresh_from_db()
    assert first.superseded_at is not None  # kept, never deleted
    assert list(GatewayGap.objects.current().filter(registration=people.registration)) == [
        corrected
    ]
    assert AuditEvent.objects.get(action="gateway.gap_corrected").data["supersedes"] == first.pk


@pytest.mark.parametrize("who", ["learner", "contact", "iv"])
def test_only_the_provider_names_a_gap(people: People, who: str) -> None:
    with pytest.raises(PermissionDenied):
        gateway.name_gap(
            actor=getattr(people, who), registration=people.registration, statement=ksb("K1"),
            gap="Missing.", plan="Discussion.",
        )  # fmt: skip
    assert not GatewayGap.objects.exists()


def test_a_gap_needs_both_its_words_and_a_ksb_of_the_standard(people: People) -> None:
    with pytest.raises(GatewayError, match="Say what the gap is"):
        gateway.name_gap(
            actor=people.assessor, registration=people.registration, statement=ksb("K1"),
            gap="Missing.", plan="  ",
        )  # fmt: skip
    other = Statement.objects.exclude(standard__code="customer-service-practitioner").first()
    assert other is not None
    with pytest.raises(GatewayError, match="not of the apprenticeship's standard"):
        gateway.name_gap(
            actor=people.assessor, registration=people.registration, statement=other,
            gap="Missing.", plan="Discussion.",
        )  # fmt: skip


# ---------------------------------------------------------------- the declaration


def test_nobody_signs_while_an_item_is_not_met(people: People) -> None:
    with pytest.raises(GatewayError, match="not ready for the gateway: Knowledge"):
        gateway.sign(
            actor=people.learner, registration=people.registration, party=GatewayParty.APPRENTICE
        )
    assert not GatewaySignature.objects.exists()


def test_three_signatures_pass_the_gateway_once_each_keeping_the_checklist_hash(
    ready: People,
) -> None:
    expected = readiness_for([ready.registration])[ready.registration.pk].checklist_hash
    for party, signer in ready.signers.items():
        assert not gateway.declaration_of(ready.registration).passed
        signature = gateway.sign(
            actor=signer, registration=ready.registration, party=party, checklist_hash=expected
        )
        assert (signature.signed_by, signature.checklist_hash) == (signer, expected)

    declaration = gateway.declaration_of(ready.registration)
    assert declaration.passed
    assert AuditEvent.objects.filter(action="gateway.signed").count() == 3
    passed = AuditEvent.objects.get(action="gateway.passed")
    assert set(passed.data["signatures"]) == {"apprentice", "employer", "provider"}


def test_a_double_click_on_sign_is_refused_and_signs_once(ready: People) -> None:
    gateway.sign(actor=ready.learner, registration=ready.registration, party="apprentice")

    with pytest.raises(GatewayError, match="The apprentice has already signed"):
        gateway.sign(actor=ready.learner, registration=ready.registration, party="apprentice")
    assert GatewaySignature.objects.count() == 1
    # And the database holds it so, whatever a service might miss.
    with pytest.raises(IntegrityError), transaction.atomic():
        GatewaySignature.objects.create(
            registration=ready.registration,
            party="apprentice",
            signed_by=ready.learner,
            checklist_hash="0" * 64,
        )


def test_a_checklist_changed_since_the_page_was_read_is_not_signed(ready: People) -> None:
    seen = readiness_for([ready.registration])[ready.registration.pk].checklist_hash
    approved_hours(ready, "7")  # 285 hours now: the item's words change

    with pytest.raises(GatewayError, match="checklist has changed"):
        gateway.sign(
            actor=ready.contact, registration=ready.registration, party="employer",
            checklist_hash=seen,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("who", "party"),
    [
        ("learner", "employer"),
        ("contact", "apprentice"),
        ("contact", "provider"),
        ("iv", "provider"),  # the IV is not the provider's signatory
        ("assessor", "apprentice"),
        ("admin", "employer"),
    ],
)
def test_each_party_signs_only_for_themselves(ready: People, who: str, party: str) -> None:
    with pytest.raises(PermissionDenied):
        gateway.sign(actor=getattr(ready, who), registration=ready.registration, party=party)


def test_a_contact_of_another_employer_and_a_superuser_sign_for_nobody(ready: People) -> None:
    stranger = member(ready.centre, Role.EMPLOYER)  # another employer of the same centre
    superuser = User.objects.create_superuser(email="root@example.com", password="x")
    for actor, party in ((stranger, "employer"), (superuser, "provider")):
        with pytest.raises(PermissionDenied):
            gateway.sign(actor=actor, registration=ready.registration, party=party)


def test_the_centre_admin_signs_for_the_provider_and_a_completed_qualification_still_signs(
    ready: People,
) -> None:
    Registration.objects.filter(pk=ready.registration.pk).update(status=RegistrationStatus.COMPLETE)
    ready.registration.refresh_from_db()

    gateway.sign(actor=ready.admin, registration=ready.registration, party="provider")

    assert gateway.declaration_of(ready.registration).signatures["provider"].signed_by == (
        ready.admin
    )


def test_a_withdrawn_registration_is_not_signed(ready: People) -> None:
    Registration.objects.filter(pk=ready.registration.pk).update(
        status=RegistrationStatus.WITHDRAWN
    )
    ready.registration.refresh_from_db()
    with pytest.raises(PermissionDenied):
        gateway.sign(actor=ready.learner, registration=ready.registration, party="apprentice")


def test_gap_notes_are_closed_once_the_gateway_is_passed(ready: People) -> None:
    sign_all(ready)
    with pytest.raises(GatewayError, match="withdraw the declaration first"):
        gateway.name_gap(
            actor=ready.assessor, registration=ready.registration, statement=ksb("K1"),
            gap="Changed.", plan="Changed.",
        )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_three_parties_and_a_double_click_at_once_sign_once_each_and_pass_once(
    catalogue: None,
) -> None:
    """Four signings released together, each on its own connection: the registration's row
    lock makes them take turns (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the database lock).
    Each party's signature is recorded once, the repeated click is refused with the message,
    and exactly one of them (the last to sign) records the gateway passed."""
    people = make_ready(make_people())
    attempts = [*people.signers.items(), (GatewayParty.APPRENTICE, people.learner)]
    barrier = threading.Barrier(len(attempts))
    errors: list[BaseException] = []

    def attempt(party: str, signer: User) -> None:
        try:
            barrier.wait(timeout=30)
            gateway.sign(actor=signer, registration=people.registration, party=party)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=pair) for pair in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()

    assert [str(error) for error in errors] == ["The apprentice has already signed."]
    assert sorted(GatewaySignature.objects.values_list("party", flat=True)) == [
        "apprentice",
        "employer",
        "provider",
    ]
    assert AuditEvent.objects.filter(action="gateway.passed").count() == 1


# ---------------------------------------------------------------- withdrawing


def test_the_admin_withdraws_the_declaration_keeping_every_signature(ready: People) -> None:
    sign_all(ready)

    count = gateway.withdraw(
        actor=ready.admin, registration=ready.registration, reason="A KSB gap was missed."
    )

    assert count == 3
    assert not gateway.declaration_of(ready.registration).passed
    assert GatewaySignature.objects.filter(withdrawn_at__isnull=False).count() == 3
    event = AuditEvent.objects.get(action="gateway.withdrawn")
    assert event.data["was_passed"]
    assert event.data["reason"] == "A KSB gap was missed."
    # The parties sign again, afresh.
    sign_all(ready)
    assert gateway.declaration_of(ready.registration).passed
    assert GatewaySignature.objects.count() == 6


def test_a_withdrawal_needs_a_reason_an_admin_and_a_signature(ready: People) -> None:
    with pytest.raises(GatewayError, match="nothing to withdraw"):
        gateway.withdraw(actor=ready.admin, registration=ready.registration, reason="Why.")
    gateway.sign(actor=ready.learner, registration=ready.registration, party="apprentice")
    with pytest.raises(GatewayError, match="Say why"):
        gateway.withdraw(actor=ready.admin, registration=ready.registration, reason=" ")
    with pytest.raises(PermissionDenied):
        gateway.withdraw(actor=ready.assessor, registration=ready.registration, reason="Why.")


# ---------------------------------------------------------------- the result


def test_no_result_before_the_gateway_is_passed(ready: People) -> None:
    today = clock.today()
    with pytest.raises(GatewayError, match="gateway is not passed"):
        gateway.record_result(
            actor=ready.admin, registration=ready.registration, grade="pass", assessed_on=today
        )


def test_the_admin_records_the_result_with_the_programmes_epao(ready: People) -> None:
    today = clock.today()
    sign_all(ready)

    result = gateway.record_result(
        actor=ready.admin, registration=ready.registration, grade="distinction", assessed_on=today
    )

    assert (result.grade, result.epao_name, result.recorded_by) == (
        "distinction",
        "Highfield Assessment",
        ready.admin,
    )
    assert AuditEvent.objects.get(action="epa.result_recorded").data["grade"] == "distinction"
    # Sent again (a double submit), nothing changes.
    again = gateway.record_result(
        actor=ready.admin, registration=ready.registration, grade="distinction", assessed_on=today
    )
    assert again.pk == result.pk
    assert EndPointResult.objects.count() == 1


@pytest.mark.parametrize(
    ("offset", "message"),
    [(-1, "before the gateway was passed"), (1, "in the future")],
)
def test_the_result_is_dated_between_the_gateway_and_today(
    ready: People, offset: int, message: str
) -> None:
    today = clock.today()
    sign_all(ready)
    with pytest.raises(GatewayError, match=message):
        gateway.record_result(
            actor=ready.admin, registration=ready.registration, grade="pass",
            assessed_on=today + datetime.timedelta(days=offset),
        )  # fmt: skip


def test_a_corrected_result_supersedes_with_a_reason(ready: People) -> None:
    today = clock.today()
    sign_all(ready)
    first = gateway.record_result(
        actor=ready.admin, registration=ready.registration, grade="pass", assessed_on=today
    )
    with pytest.raises(GatewayError, match="say why it is corrected"):
        gateway.record_result(
            actor=ready.admin, registration=ready.registration, grade="merit", assessed_on=today
        )

    second = gateway.record_result(
        actor=ready.admin, registration=ready.registration, grade="merit", assessed_on=today,
        reason="The EPAO corrected its grade on appeal.",
    )  # fmt: skip

    first.refresh_from_db()
    assert first.superseded_at is not None
    assert gateway.current_result(ready.registration) == second
    assert AuditEvent.objects.get(action="epa.result_corrected").data["supersedes"] == first.pk
    with pytest.raises(GatewayError, match="correct the result, not the gateway"):
        gateway.withdraw(actor=ready.admin, registration=ready.registration, reason="Why.")


@pytest.mark.parametrize("who", ["assessor", "learner", "contact"])
def test_only_the_centre_admin_records_the_result(ready: People, who: str) -> None:
    today = clock.today()
    sign_all(ready)
    with pytest.raises(PermissionDenied):
        gateway.record_result(
            actor=getattr(ready, who), registration=ready.registration, grade="pass",
            assessed_on=today,
        )  # fmt: skip


# ---------------------------------------------------------------- the achievement record


def test_the_achievement_record_prints_the_end_point_assessment(ready: People) -> None:
    today = clock.today()
    sign_all(ready)
    gateway.record_result(
        actor=ready.admin, registration=ready.registration, grade="merit", assessed_on=today
    )

    with TestCase.captureOnCommitCallbacks(execute=True):
        record, _ = achievements.request_record(
            actor=ready.admin, registration=ready.registration, kind="progress"
        )
    record.refresh_from_db()
    with default_storage.open(record.file.name, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())

    assert "End-point assessment" in text
    assert "Customer Service Practitioner" in text
    assert "Highfield Assessment" in text
    assert "Merit" in text
    assert f"{today:%-d %B %Y}" in text


def test_a_record_without_a_result_has_no_end_point_section(people: People) -> None:
    content = achievements.gather_content(people.registration, kind="progress")

    assert "end_point_assessment" not in content
