"""Simulation and realistic working environments: the rules from the specifications.

SFJ Awards Level 3 NVQ Diploma in Customer Service handbook (fixtures/sources/sfj-601-1109-4.txt):
- section 4.7, line 401: "All Level 3 and Level 4 units must be achieved in a real working
  situation (either paid or voluntary)." Evidence from a simulation does not count towards
  them, whether the simulation is named as the method or as the setting.
- section 4.7, lines 384-389: "SFJ Awards requires that assessment in a simulated environment
  should only be used in the following circumstances: ... Simulations must be agreed between
  SFJ Awards and the Centre contact from the Assessment Centre prior to use." Evidence by
  simulation counts (on a Level 2 unit) only under an agreement recorded for its unit, made on
  or before the evidence's date; the centre contact (a centre admin) records it.
- section 4.6, lines 363-380: a Realistic Working Environment is allowed "for Level 2 units"
  where "the following guidelines must be met: a) ... i)". The catalogue records them.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Role
from assessments.mapping import confirm_mapping
from assessments.records import RecordError, create_record
from assessments.services import AssessmentError
from core.models import AuditEvent
from portfolios.evidence import EvidenceError, evidence_create, evidence_update, map_criteria
from portfolios.models import (
    Evidence,
    EvidenceContext,
    EvidenceCriterion,
    EvidenceMethod,
    EvidenceStatus,
    RegistrationUnit,
    SimulationAgreement,
)
from portfolios.simulation import SimulationAgreementError, record_simulation_agreement
from qualifications.models import AssessmentCriterion, Qualification, Unit
from tests.factories import CentreFactory, RegistrationFactory, member

pytestmark = pytest.mark.usefixtures("catalogue")

SFJ = "601/1109/4"
IMI = "601/3456/2"
SFJ_LEVEL_2 = "M/601/1511"
OTHER_LEVEL_2 = "F/601/1223"
SFJ_LEVEL_3 = "J/601/1515"
DAY = datetime.date(2026, 3, 2)

REAL_WORK_WORDS = (
    "All Level 3 and Level 4 units must be achieved in a real working situation "
    "(either paid or voluntary)."
)
AGREEMENT_WORDS = (
    "Simulations must be agreed between SFJ Awards and the Centre contact from the Assessment "
    "Centre prior to use."
)
CIRCUMSTANCE_WORDS = (
    "where evidence in the workplace will not be demonstrated within an acceptable time frame"
)
RWE_WORDS = "To undertake the assessment in a RWE the following guidelines must be met:"


@pytest.fixture
def world() -> dict:
    centre = CentreFactory()
    centre.qualifications.set(Qualification.objects.filter(number__in=[SFJ, IMI]))
    learner = member(centre, Role.LEARNER, full_name="Sam Okafor")
    assessor = member(centre, Role.ASSESSOR)
    registration = RegistrationFactory(
        learner=learner, centre=centre, qualification=Qualification.objects.get(number=SFJ)
    )
    RegistrationUnit.objects.bulk_create(
        RegistrationUnit(registration=registration, unit=unit)
        for unit in Unit.objects.filter(key__in=[SFJ_LEVEL_2, OTHER_LEVEL_2, SFJ_LEVEL_3])
    )
    registration.assessors.add(assessor)
    return {
        "centre": centre,
        "admin": member(centre, Role.CENTRE_ADMIN),
        "iv": member(centre, Role.INTERNAL_VERIFIER),
        "assessor": assessor,
        "learner": learner,
        "registration": registration,
        "sfj": Qualification.objects.get(number=SFJ),
    }


def criterion(unit_key: str) -> AssessmentCriterion:
    return AssessmentCriterion.objects.select_related("unit").filter(unit__key=unit_key)[0]


def draft(world: dict, *, method: str, context: str, day: datetime.date = DAY) -> Evidence:
    return evidence_create(
        actor=world["learner"],
        registration=world["registration"],
        title="Handling a complaint",
        description="Role play of a late delivery.",
        evidence_date=day,
        method=method,
        context=context,
    )


def agree(
    world: dict, *unit_keys: str, on: datetime.date = DAY, **kw: object
) -> SimulationAgreement:
    return record_simulation_agreement(
        actor=kw.pop("actor", world["admin"]),  # type: ignore[arg-type]
        centre=kw.pop("centre", world["centre"]),  # type: ignore[arg-type]
        qualification=kw.pop("qualification", world["sfj"]),  # type: ignore[arg-type]
        units=Unit.objects.filter(key__in=unit_keys),
        circumstance=kw.pop("circumstance", "risk"),  # type: ignore[arg-type]
        agreed_by="Jo Bloggs, SFJ Awards",
        agreed_on=on,
        reference="SFJ-SIM-0042",
        arrangements="Training room set out as a counter; plan v2 of 1 March.",
    )


# ---------------------------------------------------------------- the catalogue quotes the rules


def test_the_sfj_catalogue_quotes_the_simulation_rule_and_the_rwe_guidelines() -> None:
    sfj = Qualification.objects.get(number=SFJ)
    assert AGREEMENT_WORDS in sfj.simulation_rule
    assert CIRCUMSTANCE_WORDS in sfj.simulation_rule
    assert 'section "4.7 Use of Simulation" (lines 384-389)' in sfj.simulation_rule
    assert RWE_WORDS in sfj.rwe_guidelines
    assert "for Level 2 units in this qualification" in sfj.rwe_guidelines
    guidelines = re.findall(r"^([a-i])\) ", sfj.rwe_guidelines, flags=re.M)
    assert guidelines == list("abcdefghi")
    assert "i) the RWE is managed as a real work situation." in sfj.rwe_guidelines
    # The others' specifications say nothing of the kind.
    assert not Qualification.objects.exclude(number=SFJ).exclude(simulation_rule="").exists()


# ---------------------------------------------------------------- real work only checks the method


def test_simulation_as_the_method_is_refused_on_a_real_work_unit_whatever_the_setting(
    world: dict,
) -> None:
    evidence = draft(
        world, method=EvidenceMethod.SIMULATION, context=EvidenceContext.REAL_WORK_PAID
    )

    with pytest.raises(EvidenceError) as refused:
        map_criteria(actor=world["learner"], evidence=evidence, criteria=[criterion(SFJ_LEVEL_3)])

    message = str(refused.value)
    assert message.startswith("Real work only: Simulation evidence cannot count towards J/601/1515")
    assert REAL_WORK_WORDS in message
    assert "sfj-601-1109-4.txt" in message
    assert not evidence.mappings.exists()


def test_an_agreement_never_makes_simulation_count_on_a_real_work_unit(world: dict) -> None:
    agree(world, SFJ_LEVEL_2)
    evidence = draft(world, method=EvidenceMethod.SIMULATION, context=EvidenceContext.SIMULATION)
    with pytest.raises(EvidenceError, match=r"^Real work only"):
        map_criteria(actor=world["learner"], evidence=evidence, criteria=[criterion(SFJ_LEVEL_3)])
    with pytest.raises(SimulationAgreementError, match=r"^Real work only: J/601/1515"):
        agree(world, SFJ_LEVEL_3)


def test_changing_mapped_real_work_evidence_to_the_simulation_method_is_refused(
    world: dict,
) -> None:
    evidence = draft(world, method=EvidenceMethod.PRODUCT, context=EvidenceContext.REAL_WORK_PAID)
    map_criteria(actor=world["learner"], evidence=evidence, criteria=[criterion(SFJ_LEVEL_3)])

    with pytest.raises(EvidenceError, match=r"^Real work only"):
        evidence_update(actor=world["learner"], evidence=evidence, method=EvidenceMethod.SIMULATION)

    evidence.refresh_from_db()
    assert evidence.method == EvidenceMethod.PRODUCT


def test_the_assessor_cannot_map_simulation_evidence_to_a_real_work_unit(world: dict) -> None:
    evidence = draft(
        world, method=EvidenceMethod.SIMULATION, context=EvidenceContext.REAL_WORK_PAID
    )
    agree(world, SFJ_LEVEL_2)
    map_criteria(actor=world["learner"], evidence=evidence, criteria=[criterion(SFJ_LEVEL_2)])
    Evidence.objects.filter(pk=evidence.pk).update(status=EvidenceStatus.SUBMITTED)

    with pytest.raises(AssessmentError, match=r"^Real work only"):
        confirm_mapping(
            assessor=world["assessor"],
            evidence=evidence,
            criteria=[criterion(SFJ_LEVEL_2), criterion(SFJ_LEVEL_3)],
        )
    assert set(evidence.mappings.values_list("criterion__unit__key", flat=True)) == {SFJ_LEVEL_2}


# ---------------------------------------------------------------- simulation by prior agreement


@pytest.mark.parametrize(
    ("method", "context"),
    [
        (EvidenceMethod.SIMULATION, EvidenceContext.REAL_WORK_PAID),
        (EvidenceMethod.PRODUCT, EvidenceContext.SIMULATION),
    ],
)
def test_simulation_on_a_level_2_unit_needs_a_recorded_agreement(
    world: dict, method: str, context: str
) -> None:
    evidence = draft(world, method=method, context=context)

    with pytest.raises(EvidenceError) as refused:
        map_criteria(actor=world["learner"], evidence=evidence, criteria=[criterion(SFJ_LEVEL_2)])

    message = str(refused.value)
    assert message.startswith(
        "Simulation only by prior agreement: simulation evidence dated 2 March 2026 cannot count "
        "towards M/601/1511: no agreement with SFJ Awards"
    )
    assert AGREEMENT_WORDS in message
    assert "4.7 Use of Simulation" in message
    assert not evidence.mappings.exists()

    agree(world, SFJ_LEVEL_2)
    map_criteria(actor=world["learner"], evidence=evidence, criteria=[criterion(SFJ_LEVEL_2)])
    assert evidence.mappings.count() == 1


def test_an_agreement_made_after_the_evidence_does_not_cover_it(world: dict) -> None:
    agree(world, SFJ_LEVEL_2, on=DAY)
    earlier = draft(
        world,
        method=EvidenceMethod.SIMULATION,
        context=EvidenceContext.SIMULATION,
        day=DAY - datetime.timedelta(days=1),
    )
    with pytest.raises(EvidenceError, match="prior agreement: simulation evidence dated 1 March"):
        map_criteria(actor=world["learner"], evidence=earlier, criteria=[criterion(SFJ_LEVEL_2)])


def test_an_agreement_covers_only_its_units_and_its_centre(world: dict) -> None:
    agree(world, SFJ_LEVEL_2)
    evidence = draft(world, method=EvidenceMethod.SIMULATION, context=EvidenceContext.SIMULATION)
    with pytest.raises(EvidenceError, match="cannot count towards F/601/1223: no agreement"):
        map_criteria(
            actor=world["learner"],
            evidence=evidence,
            criteria=[criterion(SFJ_LEVEL_2), criterion(OTHER_LEVEL_2)],
        )

    # The same units at another centre: that centre has agreed nothing.
    other = CentreFactory()
    other.qualifications.add(world["sfj"])
    learner = member(other, Role.LEARNER)
    registration = RegistrationFactory(learner=learner, centre=other, qualification=world["sfj"])
    RegistrationUnit.objects.create(registration=registration, unit=criterion(SFJ_LEVEL_2).unit)
    elsewhere = evidence_create(
        actor=learner,
        registration=registration,
        title="Role play",
        description="",
        evidence_date=DAY,
        method=EvidenceMethod.SIMULATION,
        context=EvidenceContext.SIMULATION,
    )
    with pytest.raises(EvidenceError, match=r"^Simulation only by prior agreement"):
        map_criteria(actor=learner, evidence=elsewhere, criteria=[criterion(SFJ_LEVEL_2)])


def test_changing_the_date_to_before_the_agreement_is_refused(world: dict) -> None:
    agree(world, SFJ_LEVEL_2)
    evidence = draft(world, method=EvidenceMethod.SIMULATION, context=EvidenceContext.SIMULATION)
    map_criteria(actor=world["learner"], evidence=evidence, criteria=[criterion(SFJ_LEVEL_2)])

    with pytest.raises(EvidenceError, match=r"^Simulation only by prior agreement"):
        evidence_update(
            actor=world["learner"],
            evidence=evidence,
            evidence_date=DAY - datetime.timedelta(days=3),
        )


def test_an_assessors_record_in_a_simulation_needs_the_agreement_too(world: dict) -> None:
    fields = {
        "assessor": world["assessor"],
        "registration": world["registration"],
        "kind": "observation",
        "title": "Observed role play",
        "occurred_on": DAY,
        "place": "Training room",
        "context": EvidenceContext.SIMULATION,
        "account": "Handled the complaint calmly.",
        "criteria": [criterion(SFJ_LEVEL_2)],
    }
    with pytest.raises(RecordError, match=r"^Simulation only by prior agreement"):
        create_record(**fields)
    assert not Evidence.objects.exists()

    agree(world, SFJ_LEVEL_2)
    record = create_record(**fields)
    assert EvidenceCriterion.objects.filter(evidence=record.evidence).count() == 1


def test_other_awarding_bodies_need_no_agreement_for_simulation(world: dict) -> None:
    imi = Qualification.objects.get(number=IMI)
    registration = RegistrationFactory(
        learner=world["learner"], centre=world["centre"], qualification=imi
    )
    unit = Unit.objects.filter(memberships__qualification=imi, real_work_only=False).first()
    assert unit is not None
    RegistrationUnit.objects.create(registration=registration, unit=unit)
    evidence = evidence_create(
        actor=world["learner"],
        registration=registration,
        title="Role play",
        description="",
        evidence_date=DAY,
        method=EvidenceMethod.SIMULATION,
        context=EvidenceContext.SIMULATION,
    )
    map_criteria(actor=world["learner"], evidence=evidence, criteria=[criterion(unit.key)])
    assert evidence.mappings.count() == 1


# ---------------------------------------------------------------- judging: what counts as met


def legacy_simulation(world: dict, unit_key: str) -> Evidence:
    """Simulation evidence mapped and submitted before the rules held (written directly)."""
    evidence = Evidence.objects.create(
        registration=world["registration"],
        title="Role play",
        evidence_date=DAY,
        method=EvidenceMethod.SIMULATION,
        context=EvidenceContext.REAL_WORK_PAID,
        status=EvidenceStatus.SUBMITTED,
        created_by=world["learner"],
    )
    EvidenceCriterion.objects.create(
        evidence=evidence, criterion=criterion(unit_key), proposed_by=world["learner"]
    )
    return evidence


def test_a_criterion_is_not_judged_met_by_simulation_where_the_rules_refuse_it(
    world: dict,
) -> None:
    from assessments.services import record_decision

    def met(unit_key: str, **kw: object) -> object:
        return record_decision(
            assessor=world["assessor"],
            registration=world["registration"],
            criterion=criterion(unit_key),
            outcome=kw.pop("outcome", "met"),  # type: ignore[arg-type]
            method=kw.pop("method", "observation"),  # type: ignore[arg-type]
            assessed_on=DAY,
            evidence=kw.pop("evidence", []),  # type: ignore[arg-type]
        )

    # The assessor's own method: simulation never counts on a real-work unit.
    with pytest.raises(AssessmentError, match=r"^Real work only: Simulation evidence"):
        met(SFJ_LEVEL_3, method=EvidenceMethod.SIMULATION)
    # Evidence by simulation from before the rules: not on a real-work unit, and on a Level 2
    # unit only under an agreement.
    with pytest.raises(AssessmentError, match=r"^Real work only"):
        met(SFJ_LEVEL_3, evidence=[legacy_simulation(world, SFJ_LEVEL_3)])
    level_2 = legacy_simulation(world, SFJ_LEVEL_2)
    with pytest.raises(AssessmentError, match=r"^Simulation only by prior agreement"):
        met(SFJ_LEVEL_2, evidence=[level_2])
    # "Not yet met" may still say so.
    met(SFJ_LEVEL_2, evidence=[level_2], outcome="not_yet_met")

    agree(world, SFJ_LEVEL_2)
    met(OTHER_LEVEL_2, method=EvidenceMethod.SIMULATION, outcome="not_yet_met")
    with pytest.raises(AssessmentError, match=r"cannot count towards F/601/1223"):
        met(OTHER_LEVEL_2, method=EvidenceMethod.SIMULATION)


def test_the_judging_form_marks_the_row_simulation_cannot_meet(world: dict) -> None:
    import uuid

    from assessments.judging import JudgingError, RowJudgement, judge_evidence

    evidence = legacy_simulation(world, SFJ_LEVEL_3)
    row = criterion(SFJ_LEVEL_3)
    with pytest.raises(JudgingError) as refused:
        judge_evidence(
            assessor=world["assessor"],
            evidence=evidence,
            rows=[RowJudgement(criterion_id=row.pk, outcome="met")],
            method="observation",
            assessed_on=DAY,
            token=uuid.uuid4(),
        )
    assert refused.value.rows[row.pk].startswith("Real work only: Simulation evidence")
    assert REAL_WORK_WORDS in refused.value.rows[row.pk]


# ---------------------------------------------------------------- recording an agreement


def test_the_centre_contact_records_an_agreement_with_its_audit_event(world: dict) -> None:
    agreement = agree(world, SFJ_LEVEL_2, OTHER_LEVEL_2)

    assert set(agreement.units.values_list("key", flat=True)) == {SFJ_LEVEL_2, OTHER_LEVEL_2}
    assert (agreement.agreed_by, agreement.reference, agreement.recorded_by) == (
        "Jo Bloggs, SFJ Awards",
        "SFJ-SIM-0042",
        world["admin"],
    )
    event = AuditEvent.objects.get(action="simulation_agreement.recorded")
    assert event.centre_id == world["centre"].pk
    assert event.data["units"] == [OTHER_LEVEL_2, SFJ_LEVEL_2]
    assert event.data["reference"] == "SFJ-SIM-0042"


@pytest.mark.parametrize("who", ["iv", "assessor", "learner", "other_admin"])
def test_only_the_centre_contact_records_an_agreement(world: dict, who: str) -> None:
    actor = member(CentreFactory(), Role.CENTRE_ADMIN) if who == "other_admin" else world[who]
    with pytest.raises(SimulationAgreementError) as refused:
        agree(world, SFJ_LEVEL_2, actor=actor)
    message = str(refused.value)
    assert message.startswith("Simulation only by prior agreement: only the centre contact")
    assert AGREEMENT_WORDS in message
    assert not SimulationAgreement.objects.exists()
    assert not AuditEvent.objects.filter(action="simulation_agreement.recorded").exists()


def test_an_agreement_needs_a_stated_circumstance_a_past_date_and_the_right_qualification(
    world: dict,
) -> None:
    with pytest.raises(SimulationAgreementError, match="circumstances the specification allows"):
        agree(world, SFJ_LEVEL_2, circumstance="convenience")
    with pytest.raises(SimulationAgreementError, match="cannot be in the future"):
        agree(world, SFJ_LEVEL_2, on=datetime.date.today() + datetime.timedelta(days=1))
    with pytest.raises(SimulationAgreementError, match="asks for no agreement"):
        agree(world, SFJ_LEVEL_2, qualification=Qualification.objects.get(number=IMI))
    assert not SimulationAgreement.objects.exists()


# ---------------------------------------------------------------- the page


def signed_in(client: Client, user: object) -> Client:
    client.force_login(user)  # type: ignore[arg-type]
    return client


def form_data(world: dict) -> dict:
    return {
        "qualification": world["sfj"].pk,
        "units": [criterion(SFJ_LEVEL_2).unit.pk],
        "circumstance": "time",
        "agreed_by": "Jo Bloggs",
        "agreed_on": DAY.isoformat(),
        "reference": "SFJ-SIM-7",
        "arrangements": "Training room, plan v1.",
    }


def test_the_admin_records_an_agreement_on_the_page(client: Client, world: dict) -> None:
    url = reverse("portfolios:simulation_agreements")
    signed_in(client, world["admin"])
    assert url in client.get(reverse("home")).content.decode()
    html = client.get(url).content.decode()
    assert AGREEMENT_WORDS in html
    assert "i) the RWE is managed as a real work situation." in html
    # Real-work units are not offered.
    assert f'value="{criterion(SFJ_LEVEL_3).unit.pk}"' not in html

    response = client.post(url, form_data(world), follow=True)

    assert "Simulation agreement SFJ-SIM-7 recorded." in response.content.decode()
    agreement = SimulationAgreement.objects.get()
    assert agreement.circumstance == "time"
    assert AuditEvent.objects.filter(action="simulation_agreement.recorded").count() == 1


def test_an_iv_reads_the_agreements_but_is_refused_recording_one_with_the_rule(
    client: Client, world: dict
) -> None:
    url = reverse("portfolios:simulation_agreements")
    signed_in(client, world["iv"])
    html = client.get(url).content.decode()
    assert "Record an agreement" not in html

    response = client.post(url, form_data(world))

    assert response.status_code == 403
    html = response.content.decode()
    assert "Simulation only by prior agreement: only the centre contact" in html
    assert AGREEMENT_WORDS in html
    assert not SimulationAgreement.objects.exists()


@pytest.mark.parametrize("who", ["assessor", "learner"])
def test_assessors_and_learners_do_not_open_the_agreements_page(
    client: Client, world: dict, who: str
) -> None:
    url = reverse("portfolios:simulation_agreements")
    signed_in(client, world[who])
    assert client.get(url).status_code == 403
    assert client.post(url, form_data(world)).status_code == 403
    assert not SimulationAgreement.objects.exists()


@pytest.mark.parametrize("agreements", [1, 4])
def test_the_agreements_page_costs_the_same_for_1_or_4_agreements(
    client: Client, world: dict, django_assert_num_queries, agreements: int
) -> None:
    """Each agreement's qualification, recorder and units come with the list, not one by one."""
    for n in range(agreements):
        agree(world, SFJ_LEVEL_2, OTHER_LEVEL_2, on=DAY - datetime.timedelta(days=n))
    signed_in(client, world["admin"])
    with django_assert_num_queries(8):
        html = client.get(reverse("portfolios:simulation_agreements")).content.decode()
    assert html.count('data-testid="agreement-') == agreements


# ---------------------------------------------------------------- the EQA reads them


def test_an_eqa_reads_the_agreements_read_only(client: Client, world: dict) -> None:
    """The EQA samples the evidence that rests on an agreement, so reads it, and records none."""
    agree(world, SFJ_LEVEL_2)
    eqa = member(world["centre"], Role.EQA)
    url = reverse("portfolios:simulation_agreements")
    signed_in(client, eqa)
    html = client.get(url).content.decode()
    assert "SFJ-SIM-0042" in html
    assert AGREEMENT_WORDS in html
    assert "Record an agreement" not in html

    response = client.post(url, form_data(world))

    assert response.status_code == 403
    assert SimulationAgreement.objects.count() == 1


def test_an_eqa_whose_grant_names_another_qualification_reads_none_of_these(
    client: Client, world: dict
) -> None:
    agree(world, SFJ_LEVEL_2)
    eqa = member(world["centre"], Role.EQA)
    grant = Membership.objects.get(user=eqa)
    grant.qualifications.set(Qualification.objects.filter(number=IMI))
    signed_in(client, eqa)
    html = client.get(reverse("portfolios:simulation_agreements")).content.decode()
    assert "SFJ-SIM-0042" not in html
    assert AGREEMENT_WORDS not in html

    grant.qualifications.set(Qualification.objects.filter(number=SFJ))
    html = client.get(reverse("portfolios:simulation_agreements")).content.decode()
    assert "SFJ-SIM-0042" in html


def test_an_eqa_of_another_centre_reads_nothing_here(client: Client, world: dict) -> None:
    agree(world, SFJ_LEVEL_2)
    elsewhere = CentreFactory()
    eqa = member(elsewhere, Role.EQA)
    signed_in(client, eqa)
    html = client.get(reverse("portfolios:simulation_agreements")).content.decode()
    assert "SFJ-SIM-0042" not in html


# ---------------------------------------------------------------- an agreement withdrawn


def test_a_withdrawn_agreement_covers_evidence_before_its_end_and_none_after(
    client: Client, world: dict
) -> None:
    """SFJ section 4.7: simulation only "agreed ... prior to use". Once the awarding body ends an
    agreement, simulation from that day rests on nothing; what came before still does."""
    from portfolios.environment import agreed_units

    agreement = agree(world, SFJ_LEVEL_2, on=DAY - datetime.timedelta(days=30))
    unit = criterion(SFJ_LEVEL_2).unit
    ends = DAY - datetime.timedelta(days=5)
    signed_in(client, world["admin"])
    url = reverse("portfolios:simulation_agreement_withdraw", args=[agreement.pk])

    response = client.post(
        url, {"withdrawn_on": ends.isoformat(), "reason": "SFJ ended it: work now available."}
    )

    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.withdrawn_on == ends
    assert agreement.withdrawn_by == world["admin"]
    key = {"centre_id": world["centre"].pk, "qualification_id": world["sfj"].pk}
    assert unit.pk in agreed_units(**key, on=ends - datetime.timedelta(days=1))
    assert unit.pk not in agreed_units(**key, on=ends)
    event = AuditEvent.objects.get(action="simulation_agreement.withdrawn")
    assert event.data["reason"] == "SFJ ended it: work now available."
    html = client.get(reverse("portfolios:simulation_agreements")).content.decode()
    assert "Withdrawn from" in html
    assert "SFJ ended it" in html

    # A second withdrawal (a double click) is refused with the reason; nothing changes.
    again = client.post(url, {"withdrawn_on": DAY.isoformat(), "reason": "Again."})
    assert again.status_code == 400
    assert "was already withdrawn from" in again.content.decode()
    agreement.refresh_from_db()
    assert agreement.withdrawn_on == ends
    assert AuditEvent.objects.filter(action="simulation_agreement.withdrawn").count() == 1


def test_withdrawal_needs_a_reason_and_a_date_not_before_the_agreement(
    client: Client, world: dict
) -> None:
    agreement = agree(world, SFJ_LEVEL_2, on=DAY)
    signed_in(client, world["admin"])
    url = reverse("portfolios:simulation_agreement_withdraw", args=[agreement.pk])

    no_reason = client.post(url, {"withdrawn_on": DAY.isoformat(), "reason": " "})
    too_early = client.post(
        url, {"withdrawn_on": (DAY - datetime.timedelta(days=1)).isoformat(), "reason": "Ended."}
    )

    assert no_reason.status_code == 400
    assert "was not withdrawn: give the date it ends and why" in no_reason.content.decode()
    assert too_early.status_code == 400
    assert "An agreement cannot end before it was made" in too_early.content.decode()
    agreement.refresh_from_db()
    assert agreement.withdrawn_on is None


@pytest.mark.parametrize("who", ["iv", "eqa"])
def test_only_the_centre_contact_withdraws_an_agreement(
    client: Client, world: dict, who: str
) -> None:
    agreement = agree(world, SFJ_LEVEL_2)
    person = world["iv"] if who == "iv" else member(world["centre"], Role.EQA)
    signed_in(client, person)
    response = client.post(
        reverse("portfolios:simulation_agreement_withdraw", args=[agreement.pk]),
        {"withdrawn_on": DAY.isoformat(), "reason": "Ended."},
    )
    assert response.status_code == 403
    if who == "iv":
        assert "only the centre contact (a centre admin)" in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.withdrawn_on is None


def test_an_admin_of_another_centre_cannot_reach_the_agreement(client: Client, world: dict) -> None:
    agreement = agree(world, SFJ_LEVEL_2)
    signed_in(client, member(CentreFactory(), Role.CENTRE_ADMIN))
    response = client.post(
        reverse("portfolios:simulation_agreement_withdraw", args=[agreement.pk]),
        {"withdrawn_on": DAY.isoformat(), "reason": "Ended."},
    )
    assert response.status_code == 404
    agreement.refresh_from_db()
    assert agreement.withdrawn_on is None
