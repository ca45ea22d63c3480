"""NCFE 601/3973/0: the document gives no rules of combination, so the centre records one.

The catalogue holds this qualification only through "Customer Service Practitioner
Apprenticeship Standard ... NCFE Level 2 Diploma in Customer Service (601/3973/0)", a mapping
document that names units ("Unit 1 Deliver Customer Service", ...) but states no rules of
combination (qualifications: rules_given is False; notes seed-001 section 4). Until a rule is
recorded no learner can complete it, and their pages say so and who must record it; once the
centre admin records one (the awarding body's own, with its source, or an interim rule), the
rules-of-combination engine judges completion by it, at that centre only.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from assessments.services import completion
from core.models import AuditEvent
from portfolios.combination import RuleError, record_combination_rule
from portfolios.models import CentreCombinationRule, RegistrationStatus, RuleBasis
from qualifications.models import Qualification, Unit
from qualifications.queries import combination_rules
from tests.assessments.test_completion_catalogue import meet_and_sign_off, register
from tests.factories import member

pytestmark = pytest.mark.usefixtures("catalogue")

NCFE = "601/3973/0"
RULE_URL = "/centre/qualifications/601/3973/0/rule/"


def ncfe() -> Qualification:
    return Qualification.objects.get(number=NCFE)


def smallest_units(count: int) -> list[str]:
    """The NCFE units with the fewest criteria, so signing them off stays quick."""
    keys = combination_rules(ncfe()).units
    return sorted(keys, key=lambda k: (Unit.objects.get(key=k).criteria.count(), k))[:count]


def test_before_a_rule_is_recorded_completion_is_impossible_and_the_pages_say_why(
    client: Client,
) -> None:
    assert ncfe().rules_given is False
    keys = smallest_units(2)
    registration, people = register(ncfe(), set(keys))
    for key in keys:
        meet_and_sign_off(registration, Unit.objects.get(key=key), people["assessor"])

    [problem] = completion(registration).problems
    assert problem.code == "rules_not_given"
    assert "no learner can complete it yet" in problem.message
    assert "The centre admin must record the rule" in problem.message
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE

    client.force_login(registration.learner)
    for url in (
        reverse("evidence:portfolio", args=[registration.pk]),
        reverse("portfolios:registration", args=[registration.pk]),
    ):
        html = client.get(url).content.decode()
        assert "This qualification has no recorded rule of combination" in html, url
        assert "so it cannot be completed yet" in html
        assert "The centre admin must record it from the awarding body" in html
        # The learner is told who records it, not given the admin's page.
        assert RULE_URL not in html


def test_the_centre_admin_records_a_rule_and_completion_then_follows_it(client: Client) -> None:
    mandatory = smallest_units(2)
    registration, people = register(ncfe(), set(smallest_units(3)))
    admin = member(registration.centre, Role.CENTRE_ADMIN)
    client.force_login(admin)

    page = client.get(reverse("portfolios:registration", args=[registration.pk]))
    assert RULE_URL in page.content.decode()
    form = client.get(RULE_URL)
    assert form.status_code == 200
    assert "No rule of combination is recorded" in form.content.decode()

    response = client.post(
        RULE_URL,
        {
            "basis": RuleBasis.INTERIM,
            "source": "Interim until NCFE's qualification specification is obtained; agreed "
            "with our EQA on 1 December 2026.",
            "mandatory_units": mandatory,
            "min_units": 3,
        },
    )

    assert response.status_code == 302
    record = CentreCombinationRule.objects.get(centre=registration.centre, qualification=ncfe())
    assert record.basis == RuleBasis.INTERIM
    assert record.recorded_by == admin
    event = AuditEvent.objects.for_object(record).get(action="combination_rule.recorded")
    assert event.actor == admin
    assert event.centre_id == registration.centre_id
    assert event.data["mandatory_units"] == sorted(mandatory)
    assert event.data["min_units"] == 3
    assert "agreed with our EQA" in event.data["source"]

    # Completion now follows the recorded rule: both mandatory units and three units in all.
    units = {key: Unit.objects.get(key=key) for key in smallest_units(3)}
    for key in mandatory:
        meet_and_sign_off(registration, units[key], people["assessor"])
    remaining = completion(registration)
    assert [p.code for p in remaining.problems] == ["total_min_units"]
    assert remaining.problems[0].message == "1 more unit: 2 of the 3 needed."
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE

    [third] = set(units) - set(mandatory)
    meet_and_sign_off(registration, units[third], people["assessor"])

    assert completion(registration).ok
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.COMPLETE
    client.force_login(registration.learner)
    html = client.get(reverse("evidence:portfolio", args=[registration.pk])).content.decode()
    assert "Rule of combination recorded by" in html
    assert "agreed with our EQA" in html


def test_learners_who_already_meet_a_newly_recorded_rule_are_complete_at_once() -> None:
    keys = smallest_units(2)
    registration, people = register(ncfe(), set(keys))
    for key in keys:
        meet_and_sign_off(registration, Unit.objects.get(key=key), people["assessor"])
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE
    admin = member(registration.centre, Role.CENTRE_ADMIN)

    record_combination_rule(
        actor=admin,
        centre=registration.centre,
        qualification=ncfe(),
        basis=RuleBasis.INTERIM,
        source="Interim: two units, agreed with the EQA.",
        min_units=2,
    )

    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.COMPLETE
    event = AuditEvent.objects.for_object(registration).get(action="registration.status_changed")
    assert event.actor == admin


def test_a_missing_mandatory_unit_of_the_recorded_rule_is_named() -> None:
    registration, _ = register(ncfe(), set(smallest_units(1)))
    [other] = [k for k in combination_rules(ncfe()).units if k not in smallest_units(1)][:1]
    record_combination_rule(
        actor=member(registration.centre, Role.CENTRE_ADMIN),
        centre=registration.centre,
        qualification=ncfe(),
        basis=RuleBasis.SPECIFICATION,
        source="NCFE Level 2 Diploma in Customer Service (601/3973/0) Qualification "
        "Specification, section 'Rules of combination'",
        mandatory_unit_keys=[other],
    )

    codes = [p.code for p in completion(registration).problems]

    assert codes == ["missing_mandatory"]


def test_a_rule_recorded_at_one_centre_does_not_change_another() -> None:
    here, _ = register(ncfe(), set(smallest_units(1)))
    there, _ = register(ncfe(), set(smallest_units(1)))
    record_combination_rule(
        actor=member(here.centre, Role.CENTRE_ADMIN),
        centre=here.centre,
        qualification=ncfe(),
        basis=RuleBasis.INTERIM,
        source="Interim: agreed with the EQA.",
        min_units=1,
    )

    assert [p.code for p in completion(there).problems] == ["rules_not_given"]
    assert [p.code for p in completion(here).problems] == ["total_min_units"]


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR, Role.INTERNAL_VERIFIER, Role.EQA])
def test_only_the_centre_admin_may_record_the_rule(client: Client, role: str) -> None:
    registration, _ = register(ncfe(), set(smallest_units(1)))
    client.force_login(member(registration.centre, role))

    assert client.get(RULE_URL).status_code == 403
    assert (
        client.post(RULE_URL, {"basis": "interim", "source": "x", "min_units": 1}).status_code
        == 403
    )
    assert not CentreCombinationRule.objects.exists()


def test_a_qualification_whose_specification_gives_rules_has_nothing_to_record(
    client: Client,
) -> None:
    registration, _ = register(ncfe(), set(smallest_units(1)))
    client.force_login(member(registration.centre, Role.CENTRE_ADMIN))

    assert client.get("/centre/qualifications/601/3456/2/rule/").status_code == 404
    with pytest.raises(RuleError, match="come from its specification"):
        record_combination_rule(
            actor=member(registration.centre, Role.CENTRE_ADMIN),
            centre=registration.centre,
            qualification=Qualification.objects.get(number="601/3456/2"),
            basis=RuleBasis.INTERIM,
            source="x",
            min_units=1,
        )


def test_a_rule_without_a_source_or_asking_nothing_or_impossible_is_refused(
    client: Client,
) -> None:
    registration, _ = register(ncfe(), set(smallest_units(1)))
    client.force_login(member(registration.centre, Role.CENTRE_ADMIN))

    no_source = client.post(RULE_URL, {"basis": "interim", "source": "", "min_units": 2})
    nothing = client.post(RULE_URL, {"basis": "interim", "source": "Interim."})
    impossible = client.post(RULE_URL, {"basis": "interim", "source": "Interim.", "min_units": 99})

    assert no_source.status_code == 400
    assert nothing.status_code == 400
    assert "A rule must ask for something" in nothing.content.decode()
    assert impossible.status_code == 400
    assert "No learner could meet this rule" in impossible.content.decode()
    assert not CentreCombinationRule.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="combination_rule.").exists()
