"""The rules of combination a registration is judged by, and recording a centre's own rule.

Where the catalogue's document states the rules, they are the catalogue's. Where it gives none
(NCFE 601/3973/0: qualifications rules_given is False), the rule the centre admin recorded
(portfolios.models.combination) is turned into the same plain rules the engine reads
(qualifications.combination), so registration and completion check it as any other. Until one
is recorded the engine says completion cannot be checked, and the pages say who must record it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Centre, User
from core.audit import record_event
from portfolios.models import CentreCombinationRule, Registration, RuleBasis
from portfolios.signals import combination_rule_recorded
from qualifications.combination import CombinationRules, GroupRules, check
from qualifications.models import Qualification, Unit
from qualifications.queries import combination_rules

# Who records a missing rule, as the pages tell a learner or assessor who finds none.
WHO_RECORDS = (
    "The centre admin must record it from the awarding body's own specification, or state an "
    "interim rule until then (Registrations, then the qualification's rule of combination)."
)


class RuleError(Exception):
    """The rule cannot be recorded as given; the message says why."""


def recorded_rule(qualification: Qualification, centre_id: int) -> CentreCombinationRule | None:
    return (
        CentreCombinationRule.objects.filter(qualification=qualification, centre_id=centre_id)
        .select_related("recorded_by")
        .prefetch_related("mandatory_units")
        .first()
    )


def with_recorded_rule(
    rules: CombinationRules, record: CentreCombinationRule | None
) -> CombinationRules:
    """The catalogue's rules, or, where its document gives none, the centre's recorded rule."""
    if rules.rules_given or record is None:
        return rules
    mandatory = {unit.key for unit in record.mandatory_units.all()}
    # Two groups over the qualification's units, in the catalogue's order: the mandatory ones,
    # and the rest to choose from. The minimums are the qualification's totals.
    keys = list(rules.units)
    groups = tuple(
        group
        for group in (
            GroupRules(
                code="M",
                name="Mandatory units (recorded by the centre)",
                mandatory=True,
                units=tuple(k for k in keys if k in mandatory),
            ),
            GroupRules(
                code="O",
                name="Optional units",
                mandatory=False,
                units=tuple(k for k in keys if k not in mandatory),
            ),
        )
        if group.units
    )
    return replace(
        rules,
        groups=groups,
        level_rules=(),
        min_credits=record.min_credits,
        min_units=record.min_units,
        rules_given=True,
    )


def rules_at_centre(qualification: Qualification, centre_id: int) -> CombinationRules:
    """The rules a registration at this centre is judged by (one more query only where the
    catalogue gives none)."""
    rules = combination_rules(qualification)
    if rules.rules_given:
        return rules
    return with_recorded_rule(rules, recorded_rule(qualification, centre_id))


def rule_notice(registration: Registration) -> dict[str, Any] | None:
    """What a registration's pages say about its rule of combination where the catalogue
    gives none: the centre's recorded rule, or that none is recorded and who must record it.
    No query where the catalogue states the rules."""
    if registration.qualification.rules_given:
        return None
    record = recorded_rule(registration.qualification, registration.centre_id)
    return {"record": record, "who_records": WHO_RECORDS}


@transaction.atomic
def record_combination_rule(
    *,
    actor: User,
    centre: Centre,
    qualification: Qualification,
    basis: str,
    source: str,
    mandatory_unit_keys: Iterable[str] = (),
    min_credits: int | None = None,
    min_units: int | None = None,
) -> CentreCombinationRule:
    """Record (or replace) the centre's rule for a qualification whose document gives none."""
    if qualification.rules_given:
        raise RuleError(
            f"{qualification.number}'s rules of combination come from its specification "
            f"({qualification.source}); a centre cannot replace them."
        )
    if basis not in RuleBasis.values:
        raise RuleError("Say whether the rule is the awarding body's own or an interim rule.")
    source = source.strip()
    if not source:
        raise RuleError(
            "Name the source: the specification's title, version and section, or, for an "
            "interim rule, why this rule and who agreed it."
        )
    catalogue = combination_rules(qualification)
    mandatory = set(mandatory_unit_keys)
    unknown = sorted(mandatory - set(catalogue.units))
    if unknown:
        raise RuleError(f"Not units of {qualification.number}: {', '.join(unknown)}.")
    if not mandatory and not min_credits and not min_units:
        raise RuleError(
            "A rule must ask for something: mandatory units, a minimum of credits or a minimum "
            "number of units."
        )
    record, created = CentreCombinationRule.objects.update_or_create(
        centre=centre,
        qualification=qualification,
        defaults={
            "basis": basis,
            "source": source,
            "min_credits": min_credits or None,
            "min_units": min_units or None,
            "recorded_by": actor,
            "recorded_at": timezone.now(),
        },
    )
    record.mandatory_units.set(Unit.objects.filter(key__in=mandatory))
    # The rule must be achievable with the qualification's units, or no learner could finish.
    rules = with_recorded_rule(catalogue, record)
    if not check_all(rules):
        raise RuleError(
            "No learner could meet this rule with the units of "
            f"{qualification.number} in the catalogue: lower the minimums."
        )
    record_event(
        actor=actor,
        action="combination_rule.recorded" if created else "combination_rule.replaced",
        target=record,
        centre_id=centre.pk,
        data={
            "qualification": qualification.number,
            "basis": basis,
            "source": source,
            "mandatory_units": sorted(mandatory),
            "min_credits": record.min_credits,
            "min_units": record.min_units,
        },
    )
    combination_rule_recorded.send(sender=CentreCombinationRule, rule=record, actor=actor)
    return record


def check_all(rules: CombinationRules) -> bool:
    """Do all the qualification's units together meet the rules? (Without maximums or barred
    pairs, which a recorded rule has none of, taking every unit is the easiest way to meet it.)"""
    return check(rules, rules.units).ok
