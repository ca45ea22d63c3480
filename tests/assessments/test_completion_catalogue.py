"""Done when a learner's completion matches the rules of combination, for every qualification.

For each qualification in the catalogue: choose a valid combination of units with nothing to
spare, register a learner on it, meet every criterion and sign off each unit through the real
services, and check the registration completes exactly when the last unit is signed off, with
`completion()` naming what remains until then.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import Role
from assessments.models import Decision
from assessments.release import validation_required
from assessments.services import completion, record_decision, sign_off_unit
from assessments.validation import validate_decisions
from core.models import AuditEvent
from portfolios.models import Registration, RegistrationStatus
from portfolios.services import register_learner
from qualifications.combination import (
    CombinationRules,
    Problem,
    check,
    mandatory_units,
    optional_units,
)
from qualifications.models import Qualification as QualificationModel
from qualifications.models import QualificationStatus, QualificationUnit, Unit
from qualifications.queries import combination_rules
from tests.factories import DEFAULT_PASSWORD, CentreFactory, mapped_evidence, member
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

CATALOGUE = Path(settings.BASE_DIR) / "fixtures" / "catalogue"
# Shortfalls one missing unit can leave behind, besides naming the unit itself.
SHORTFALLS = {
    "group_min_credits",
    "group_min_units",
    "level_credits",
    "total_min_credits",
    "total_min_units",
    "total_min_glh",
}


def catalogue_numbers() -> list[str]:
    """Every qualification number in the catalogue fixtures, read from the files themselves."""
    numbers = []
    for path in sorted(CATALOGUE.glob("*.json")):
        for row in json.loads(path.read_text()):
            if row["model"] == "qualifications.qualification":
                numbers.append(row["fields"]["number"])
    return numbers


def _deficit(rules: CombinationRules, chosen: set[str]) -> int:
    """How far `chosen` is from the minimums (credits, units, GLH): zero when all are met."""
    credit = {key: unit.credit or 0 for key, unit in rules.units.items()}
    group_of = {key: group.code for group in rules.groups for key in group.units}
    short = 0
    for group in rules.groups:
        taken = [key for key in group.units if key in chosen]
        short += max(0, (group.min_credits or 0) - sum(credit[key] for key in taken))
        short += max(0, (group.min_units or 0) - len(taken))
    for rule in rules.level_rules:
        have = sum(
            credit[key]
            for key in chosen
            if (not rule.groups or group_of[key] in rule.groups)
            and (
                rules.units[key].level_rank >= rule.level_rank
                if rule.at_or_above
                else rules.units[key].level_rank == rule.level_rank
            )
        )
        short += max(0, rule.min_credits - have)
    short += max(0, (rules.min_credits or 0) - sum(credit[key] for key in chosen))
    short += max(0, (rules.min_units or 0) - len(chosen))
    glh = sum(rules.units[key].glh or 0 for key in chosen)
    short += max(0, (rules.min_glh or 0) - glh)
    return short


def minimal_combination(rules: CombinationRules) -> set[str]:
    """A valid combination from which no optional unit can be dropped.

    Greedy (the unit that closes the most of the gap, the smallest on a tie), then pruned: the
    IMI and SFJ pools are too large to enumerate.
    """
    chosen = set(mandatory_units(rules))
    optional = optional_units(rules)
    while _deficit(rules, chosen):
        candidates = []
        for key in optional:
            if key in chosen:
                continue
            trial = chosen | {key}
            broken = {p.code for p in check(rules, trial).problems} & {
                "barred",
                "group_max_credits",
                "group_max_units",
                "total_max_credits",
            }
            if not broken:
                gain = _deficit(rules, chosen) - _deficit(rules, trial)
                candidates.append((-gain, rules.units[key].credit or 0, key))
        assert candidates, f"no unit closes the gap for {rules.qualification}"
        chosen.add(min(candidates)[2])
    for key in sorted(chosen - mandatory_units(rules), key=lambda k: -(rules.units[k].credit or 0)):
        if check(rules, chosen - {key}).ok:
            chosen.discard(key)
    assert check(rules, chosen).ok, check(rules, chosen).problems
    return chosen


def start_date(qualification: QualificationModel) -> datetime.date:
    """Today if the qualification takes registrations; otherwise a day it still did."""
    today = clock.today()
    if qualification.status_on(today) == QualificationStatus.OPEN:
        return today
    day = qualification.operational_end - datetime.timedelta(days=30)
    assert qualification.status_on(day) == QualificationStatus.OPEN
    return day


def register(qualification: QualificationModel, unit_keys: set[str]) -> tuple[Registration, dict]:
    centre = CentreFactory()
    centre.qualifications.add(qualification)
    assessor = member(centre, Role.ASSESSOR)
    iv = member(centre, Role.INTERNAL_VERIFIER)
    registration = register_learner(
        actor=member(centre, Role.CENTRE_ADMIN),
        learner=member(centre, Role.LEARNER),
        centre=centre,
        qualification=qualification,
        start_date=start_date(qualification),
        unit_keys=unit_keys,
        assessors=[assessor],
        internal_verifier=iv,
    )
    return registration, {"assessor": assessor}


def meet_and_sign_off(registration: Registration, unit: Unit, assessor: object) -> None:
    today = clock.today()
    for criterion in unit.criteria.order_by("position"):
        record_decision(
            assessor=assessor,
            registration=registration,
            criterion=criterion,
            outcome="met",
            method="observation",
            assessed_on=today,
            evidence=[mapped_evidence(registration, criterion)],
        )
    if validation_required(registration):
        # Pearson: the IV validates the decisions before the unit may be signed off.
        validate_decisions(
            validator=registration.internal_verifier,
            decisions=Decision.objects.current().filter(
                registration=registration, criterion__unit=unit
            ),
            outcome="agreed",
        )
    sign_off_unit(
        assessor=assessor,
        registration=registration,
        unit=unit,
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )


def leading_number(message: str) -> int:
    match = re.match(r"(\d+) ", message)
    assert match, f"a shortfall without a number: {message}"
    return int(match.group(1))


@pytest.mark.parametrize("number", catalogue_numbers())
def test_completion_follows_the_rules_of_combination(number: str) -> None:
    qualification = QualificationModel.objects.get(number=number)
    rules = combination_rules(qualification)

    if not rules.rules_given:
        # Nothing can prove this one complete: it stays active however much is signed off.
        keys = sorted(rules.units, key=lambda k: Unit.objects.get(key=k).criteria.count())[:2]
        registration, people = register(qualification, set(keys))
        for key in keys:
            meet_and_sign_off(registration, Unit.objects.get(key=key), people["assessor"])
        result = completion(registration)
        assert [p.code for p in result.problems] == ["rules_not_given"]
        registration.refresh_from_db()
        assert registration.status == RegistrationStatus.ACTIVE
        return

    chosen = minimal_combination(rules)
    registration, people = register(qualification, chosen)
    assert set(registration.unit_choices.values_list("unit__key", flat=True)) == chosen
    units = {unit.key: unit for unit in Unit.objects.filter(key__in=chosen)}
    # The last unit signed off is a mandatory one, so what remains has a name to check.
    last = sorted(mandatory_units(rules))[0]
    first_ones = sorted(chosen - {last})

    assert not completion(registration).ok
    for key in first_ones:
        meet_and_sign_off(registration, units[key], people["assessor"])
        registration.refresh_from_db()
        assert registration.status == RegistrationStatus.ACTIVE

    remaining = completion(registration)
    membership = QualificationUnit.objects.get(qualification=qualification, unit=units[last])
    label = membership.code or units[last].reference or units[last].key
    missing = Problem("missing_mandatory", f"Mandatory unit missing: {label} {units[last].title}.")
    assert missing in remaining.problems
    others = [p for p in remaining.problems if p != missing]
    # Anything else is only the credit, units or hours the missing unit carries.
    for problem in others:
        assert problem.code in SHORTFALLS, problem
        carried = {
            "group_min_units": 1,
            "total_min_units": 1,
            "total_min_glh": units[last].glh or 0,
        }.get(problem.code, units[last].credit or 0)
        assert leading_number(problem.message) <= carried, problem
    assert remaining.units == len(first_ones)
    assert not AuditEvent.objects.for_object(registration).filter(
        action="registration.status_changed"
    )

    meet_and_sign_off(registration, units[last], people["assessor"])

    assert completion(registration).ok
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.COMPLETE
    event = AuditEvent.objects.for_object(registration).get(action="registration.status_changed")
    assert event.actor == people["assessor"]
    total = sum(units[key].criteria.count() for key in chosen)
    assert Decision.objects.filter(registration=registration, outcome="met").count() == total
