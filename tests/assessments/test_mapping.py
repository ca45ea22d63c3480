"""The assessor confirms the learner's mapping of evidence to criteria, or changes it."""

from __future__ import annotations

from html import escape

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from assessments.mapping import confirm_mapping
from assessments.models import Decision
from assessments.services import AssessmentError, record_decision, return_evidence, sign_off_unit
from core.models import AuditEvent
from portfolios import evidence as evidence_services
from portfolios.export import portfolio_manifest
from portfolios.models import Evidence, EvidenceCriterion, EvidenceStatus
from qualifications.models import AssessmentCriterion, Unit
from tests.assessments.test_decisions import make_case
from tests.assessments.test_pages import ASSESS_QUERIES, assess_url, signed_in, submitted
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

OTHER_UNIT = "A/506/1964"  # another of the IMI learner's mandatory units, 6 criteria


@pytest.fixture
def case() -> dict:
    data = make_case()
    unit = data["unit"]
    data["c11"] = unit.criteria.get(number="1.1")
    data["c12"] = unit.criteria.get(number="1.2")
    data["c13"] = unit.criteria.get(number="1.3")
    data["evidence"] = submitted(data, [data["c11"], data["c12"]])
    return data


def mapping_url(evidence: Evidence) -> str:
    return reverse("assessments:confirm_mapping", args=[evidence.pk])


def mapped(evidence: Evidence) -> set[int]:
    return set(evidence.mappings.values_list("criterion_id", flat=True))


def mapping_events(evidence: Evidence) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.for_object(evidence)
        .filter(action__startswith="evidence.mapping")
        .order_by("pk")
    )


def decide(case: dict, criterion: AssessmentCriterion, evidence: list[Evidence]) -> Decision:
    today = clock.today()
    return record_decision(
        assessor=case["assessor"],
        registration=case["registration"],
        criterion=criterion,
        outcome="met",
        method="product",
        assessed_on=today,
        evidence=evidence,
    )


# ---------------------------------------------------------------- the service


def test_confirming_the_mapping_unchanged_records_who_and_when(case: dict) -> None:
    evidence = case["evidence"]

    added, removed = confirm_mapping(
        assessor=case["assessor"], evidence=evidence, criteria=[case["c11"], case["c12"]]
    )

    assert (added, removed) == (set(), set())
    rows = list(evidence.mappings.all())
    assert {row.criterion_id for row in rows} == {case["c11"].pk, case["c12"].pk}
    # The learner still proposed them; the assessor confirmed them.
    assert {row.proposed_by_id for row in rows} == {case["learner"].pk}
    assert {row.confirmed_by_id for row in rows} == {case["assessor"].pk}
    assert all(row.confirmed_at is not None for row in rows)
    [event] = mapping_events(evidence)
    assert event.action == "evidence.mapping_confirmed"
    assert event.actor == case["assessor"]
    assert event.data["before"] == event.data["after"] == sorted([case["c11"].pk, case["c12"].pk])
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.SUBMITTED


def test_adding_and_removing_keeps_the_mapping_before_and_after_in_the_audit_log(
    case: dict,
) -> None:
    evidence = case["evidence"]
    c11, c12, c13 = case["c11"], case["c12"], case["c13"]

    added, removed = confirm_mapping(
        assessor=case["assessor"], evidence=evidence, criteria=[c11, c13]
    )

    assert (added, removed) == ({c13.pk}, {c12.pk})
    assert mapped(evidence) == {c11.pk, c13.pk}
    new = evidence.mappings.get(criterion=c13)
    assert (new.proposed_by, new.confirmed_by) == (case["assessor"], case["assessor"])
    [event] = mapping_events(evidence)
    assert event.action == "evidence.mapping_changed"
    assert event.data == {
        "before": sorted([c11.pk, c12.pk]),
        "after": sorted([c11.pk, c13.pk]),
        "added": [c13.pk],
        "removed": [c12.pk],
    }
    # The learner's original proposal is still in the submission event's history too.
    assert AuditEvent.objects.for_object(evidence).filter(action="evidence.mapped").exists()


def test_a_second_confirmation_keeps_the_first_assessors_name(case: dict) -> None:
    evidence = case["evidence"]
    confirm_mapping(assessor=case["assessor"], evidence=evidence, criteria=[case["c11"]])

    confirm_mapping(
        assessor=case["other_assessor"], evidence=evidence, criteria=[case["c11"], case["c13"]]
    )

    assert evidence.mappings.get(criterion=case["c11"]).confirmed_by == case["assessor"]
    assert evidence.mappings.get(criterion=case["c13"]).confirmed_by == case["other_assessor"]
    assert [e.action for e in mapping_events(evidence)] == [
        "evidence.mapping_changed",
        "evidence.mapping_changed",
    ]


def test_removing_a_criterion_a_decision_rests_on_is_refused(case: dict) -> None:
    evidence = case["evidence"]
    decide(case, case["c12"], [evidence])

    with pytest.raises(AssessmentError, match="decision already rests on this evidence"):
        confirm_mapping(assessor=case["assessor"], evidence=evidence, criteria=[case["c11"]])

    assert mapped(evidence) == {case["c11"].pk, case["c12"].pk}
    assert mapping_events(evidence) == []
    assert (
        EvidenceCriterion.objects.filter(evidence=evidence, confirmed_by__isnull=False).count() == 0
    )


def test_a_decision_resting_on_other_evidence_does_not_block_the_removal(case: dict) -> None:
    evidence = case["evidence"]
    other = submitted(case, [case["c12"]], title="Other")
    decide(case, case["c12"], [other])

    confirm_mapping(assessor=case["assessor"], evidence=evidence, criteria=[case["c11"]])

    assert mapped(evidence) == {case["c11"].pk}


def test_the_mapping_of_a_signed_off_unit_cannot_change(case: dict) -> None:
    other_unit = Unit.objects.get(key=OTHER_UNIT)
    elsewhere = other_unit.criteria.order_by("position").first()
    # The evidence covers one criterion of each unit; the IMI unit is then met through other
    # evidence and signed off while this evidence still waits.
    evidence = submitted(case, [case["c11"], elsewhere], title="Two units")
    everything = submitted(case, list(case["unit"].criteria.all()), title="Everything")
    for criterion in case["unit"].criteria.all():
        decide(case, criterion, [everything])
    sign_off_unit(
        assessor=case["assessor"],
        registration=case["registration"],
        unit=case["unit"],
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )

    with pytest.raises(AssessmentError, match="Signed-off units are locked"):
        confirm_mapping(assessor=case["assessor"], evidence=evidence, criteria=[elsewhere])
    with pytest.raises(AssessmentError, match="Signed-off units are locked"):
        confirm_mapping(
            assessor=case["assessor"],
            evidence=evidence,
            criteria=[case["c11"], case["c13"], elsewhere],
        )
    # Confirming it as it stands is still fine: nothing in the signed-off unit changes.
    confirm_mapping(assessor=case["assessor"], evidence=evidence, criteria=[case["c11"], elsewhere])
    assert mapped(evidence) == {case["c11"].pk, elsewhere.pk}


def test_only_submitted_evidence_has_its_mapping_confirmed(case: dict) -> None:
    today = clock.today()
    learner = case["learner"]
    draft = evidence_services.evidence_create(
        actor=learner,
        registration=case["registration"],
        title="Draft",
        evidence_date=today,
        method="product",
        context="real_work_paid",
        description="Not yet.",
    )
    evidence_services.map_criteria(actor=learner, evidence=draft, criteria=[case["c11"]])
    returned = return_evidence(
        assessor=case["assessor"], evidence=case["evidence"], feedback="Add the dates."
    )

    for evidence in (draft, returned):
        with pytest.raises(AssessmentError, match="Only submitted evidence"):
            confirm_mapping(assessor=case["assessor"], evidence=evidence, criteria=[case["c11"]])
        assert not evidence.mappings.filter(confirmed_by__isnull=False).exists()


def test_only_the_assigned_assessor_and_only_the_learners_units(case: dict) -> None:
    evidence = case["evidence"]
    for person in (case["learner"], case["iv"], case["admin"]):
        with pytest.raises(AssessmentError, match="Only an assessor assigned"):
            confirm_mapping(assessor=person, evidence=evidence, criteria=[case["c11"]])
    foreign = AssessmentCriterion.objects.exclude(
        unit_id__in=case["registration"].unit_choices.values("unit_id")
    ).first()
    with pytest.raises(AssessmentError, match="Not in the units this learner takes"):
        confirm_mapping(assessor=case["assessor"], evidence=evidence, criteria=[foreign])
    with pytest.raises(AssessmentError, match="at least one criterion"):
        confirm_mapping(assessor=case["assessor"], evidence=evidence, criteria=[])
    assert mapped(evidence) == {case["c11"].pk, case["c12"].pk}
    assert mapping_events(evidence) == []


def test_removing_the_last_undecided_criterion_leaves_the_evidence_assessed(case: dict) -> None:
    evidence = case["evidence"]
    decide(case, case["c11"], [evidence])
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.SUBMITTED

    confirm_mapping(assessor=case["assessor"], evidence=evidence, criteria=[case["c11"]])

    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.ASSESSED
    assert AuditEvent.objects.for_object(evidence).filter(action="evidence.assessed").exists()


# ---------------------------------------------------------------- the page


def test_the_page_shows_the_mapping_form_and_then_the_confirmed_state(
    client: Client, case: dict
) -> None:
    evidence = case["evidence"]
    page = signed_in(client, case["assessor"]).get(assess_url(evidence)).content.decode()
    assert "Confirm or change the mapping" in page
    assert page.count("Mapping not confirmed yet") == 2
    assert f'id="map-criterion-{case["c11"].pk}" checked' in page
    assert f'id="map-criterion-{case["c13"].pk}">' in page

    response = client.post(
        mapping_url(evidence), {"criteria": [case["c11"].pk, case["c12"].pk]}, follow=True
    )

    page = response.content.decode()
    assert "mapping to 2 criteria is confirmed" in page
    assert page.count("Mapping confirmed</span> by") == 2
    assert "Mapping not confirmed yet" not in page
    # Faker makes names such as O'Brien, which the page escapes.
    assert escape(case["assessor"].get_full_name()) in page


def test_the_assessor_adds_and_removes_criteria_from_the_page(client: Client, case: dict) -> None:
    evidence = case["evidence"]
    response = signed_in(client, case["assessor"]).post(
        mapping_url(evidence), {"criteria": [case["c11"].pk, case["c13"].pk]}, follow=True
    )

    page = response.content.decode()
    assert "Mapping changed and confirmed: added F/506/2131 1.3; removed F/506/2131 1.2." in page
    assert f'data-testid="criterion-{case["c13"].pk}"' in page
    assert f'data-testid="criterion-{case["c12"].pk}"' not in page
    assert mapped(evidence) == {case["c11"].pk, case["c13"].pk}


def test_a_refused_removal_comes_back_with_the_reason_and_the_ticks_kept(
    client: Client, case: dict
) -> None:
    evidence = case["evidence"]
    decide(case, case["c12"], [evidence])

    response = signed_in(client, case["assessor"]).post(
        mapping_url(evidence), {"criteria": [case["c11"].pk, case["c13"].pk]}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "A decision already rests on this evidence for F/506/2131 1.2" in page
    # What the assessor ticked is kept for another try.
    assert f'id="map-criterion-{case["c13"].pk}" checked' in page
    assert f'id="map-criterion-{case["c12"].pk}">' in page
    assert mapped(evidence) == {case["c11"].pk, case["c12"].pk}


def test_a_criterion_outside_the_learners_units_is_refused_by_the_form(
    client: Client, case: dict
) -> None:
    foreign = AssessmentCriterion.objects.exclude(
        unit_id__in=case["registration"].unit_choices.values("unit_id")
    ).first()
    response = signed_in(client, case["assessor"]).post(
        mapping_url(case["evidence"]), {"criteria": [case["c11"].pk, foreign.pk]}
    )

    assert response.status_code == 400
    assert "Choose criteria from the units" in response.content.decode()
    assert mapped(case["evidence"]) == {case["c11"].pk, case["c12"].pk}


def test_returned_evidence_shows_no_mapping_form(client: Client, case: dict) -> None:
    return_evidence(assessor=case["assessor"], evidence=case["evidence"], feedback="Add dates.")

    page = signed_in(client, case["assessor"]).get(assess_url(case["evidence"])).content.decode()

    assert "Confirm or change the mapping" not in page
    assert "Mapping not confirmed yet" in page


def test_the_iv_sees_the_state_and_the_learner_their_own_page_but_both_get_403_on_post(
    client: Client, case: dict
) -> None:
    evidence = case["evidence"]
    page = signed_in(client, case["iv"]).get(assess_url(evidence)).content.decode()
    assert "Mapping not confirmed yet" in page
    assert "Confirm or change the mapping" not in page
    # The assessing page is for staff: the learner is sent to their own page of the evidence.
    response = signed_in(client, case["learner"]).get(assess_url(evidence))
    assert response.status_code == 302
    assert response["Location"] == reverse("evidence:detail", args=[evidence.pk])
    for person in (case["learner"], case["iv"]):
        signed_in(client, person)
        response = client.post(mapping_url(evidence), {"criteria": [case["c11"].pk]})
        assert response.status_code == 403
    assert mapped(evidence) == {case["c11"].pk, case["c12"].pk}
    assert mapping_events(evidence) == []


def test_another_centres_assessor_gets_404_and_get_is_not_allowed(
    client: Client, case: dict
) -> None:
    stranger = member(CentreFactory(), Role.ASSESSOR)
    response = signed_in(client, stranger).post(
        mapping_url(case["evidence"]), {"criteria": [case["c11"].pk]}
    )
    assert response.status_code == 404

    response = signed_in(client, case["assessor"]).get(mapping_url(case["evidence"]))
    assert response.status_code == 405
    assert mapping_events(case["evidence"]) == []


def test_an_assessor_at_the_centre_not_assigned_to_the_learner_gets_404(
    client: Client, case: dict
) -> None:
    unassigned = member(case["centre"], Role.ASSESSOR)

    response = signed_in(client, unassigned).post(
        mapping_url(case["evidence"]), {"criteria": [case["c11"].pk]}
    )

    assert response.status_code == 404
    assert mapping_events(case["evidence"]) == []


def test_the_assessing_page_with_confirmed_mappings_costs_the_same_queries(
    client: Client, case: dict, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    many = submitted(case, list(case["unit"].criteria.all()), title="Everything")
    for evidence, criteria in ((case["evidence"], [case["c11"], case["c12"]]), (many, None)):
        confirm_mapping(
            assessor=case["assessor"],
            evidence=evidence,
            criteria=criteria or list(case["unit"].criteria.all()),
        )
    signed_in(client, case["assessor"]).get(assess_url(case["evidence"]))

    with django_assert_num_queries(ASSESS_QUERIES):  # type: ignore[operator]
        small = client.get(assess_url(case["evidence"]))
    with django_assert_num_queries(ASSESS_QUERIES):  # type: ignore[operator]
        large = client.get(assess_url(many))
    assert small.content.decode().count("Mapping confirmed</span> by") == 2
    assert large.content.decode().count("Mapping confirmed</span> by") == 9


def test_the_portfolio_export_says_who_proposed_and_who_confirmed_each_criterion(
    case: dict,
) -> None:
    evidence = case["evidence"]
    confirm_mapping(assessor=case["assessor"], evidence=evidence, criteria=[case["c11"]])

    manifest, _ = portfolio_manifest(case["registration"].pk)

    [entry] = [e for e in manifest["evidence"] if e["id"] == evidence.pk]
    [criterion] = entry["criteria"]
    assert criterion["number"] == "1.1"
    assert criterion["proposed_by"] == case["learner"].get_full_name()
    assert criterion["confirmed_by"] == case["assessor"].get_full_name()
    assert criterion["confirmed_at"] is not None


def test_a_change_from_a_stale_page_is_refused_rather_than_undoing_anothers(
    client: Client, case: dict
) -> None:
    evidence = case["evidence"]
    page = signed_in(client, case["assessor"]).get(assess_url(evidence)).content.decode()
    shown = f"{case['c11'].pk},{case['c12'].pk}"
    assert f'name="shown" value="{shown}"' in page
    # Meanwhile the other assessor adds 1.3.
    confirm_mapping(
        assessor=case["other_assessor"],
        evidence=evidence,
        criteria=[case["c11"], case["c12"], case["c13"]],
    )

    response = client.post(mapping_url(evidence), {"criteria": [case["c11"].pk], "shown": shown})

    assert response.status_code == 400
    assert "Someone changed this mapping since you opened the page" in response.content.decode()
    assert mapped(evidence) == {case["c11"].pk, case["c12"].pk, case["c13"].pk}


def test_the_same_change_sent_twice_is_made_once_then_confirmed(client: Client, case: dict) -> None:
    evidence = case["evidence"]
    data = {
        "criteria": [case["c11"].pk, case["c13"].pk],
        "shown": f"{case['c11'].pk},{case['c12'].pk}",
    }
    signed_in(client, case["assessor"]).post(mapping_url(evidence), data)

    second = client.post(mapping_url(evidence), data, follow=True)

    assert "mapping to 2 criteria is confirmed" in second.content.decode()
    assert mapped(evidence) == {case["c11"].pk, case["c13"].pk}
    assert [e.action for e in mapping_events(evidence)] == [
        "evidence.mapping_changed",
        "evidence.mapping_confirmed",
    ]
