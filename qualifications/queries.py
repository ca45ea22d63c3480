"""Reusable catalogue queries, each a fixed number of queries whatever the qualification's size."""

from __future__ import annotations

from qualifications.combination import CombinationRules, GroupRules, LevelRequirement, UnitFacts
from qualifications.importers.schema import level_rank
from qualifications.models import LEVEL_CHOICES, Qualification, QualificationUnit

_LEVEL_LABELS = dict(LEVEL_CHOICES)


def combination_rules(qualification: Qualification) -> CombinationRules:
    """The qualification's rules of combination as plain data for `combination.check`."""
    memberships = list(
        QualificationUnit.objects.filter(qualification=qualification)
        .select_related("unit", "group")
        .order_by("position")
    )
    units = {
        m.unit.key: UnitFacts(
            key=m.unit.key,
            label=m.code or m.unit.reference or m.unit.key,
            title=m.unit.title,
            credit=m.unit.credit,
            glh=m.unit.glh,
            level_rank=m.unit.level_rank,
            level_label=m.unit.level_label,
        )
        for m in memberships
    }
    groups = tuple(
        GroupRules(
            code=group.code,
            name=group.name,
            mandatory=group.mandatory,
            units=tuple(m.unit.key for m in memberships if m.group_id == group.pk),
            min_credits=group.min_credits,
            max_credits=group.max_credits,
            min_units=group.min_units,
            max_units=group.max_units,
        )
        for group in qualification.groups.order_by("position")
    )
    level_rules = tuple(
        LevelRequirement(
            min_credits=rule.min_credits,
            level_rank=level_rank(rule.level),
            level_label=_LEVEL_LABELS[rule.level],
            at_or_above=rule.at_or_above,
            groups=tuple(rule.groups),
        )
        for rule in qualification.level_rules.order_by("position")
    )
    # A barred pair only matters when both units can count towards this qualification; the
    # specification's table also names units of sister qualifications.
    barred = tuple(
        (pair.unit_a.key, pair.unit_b.key)
        for pair in qualification.barred_pairs.select_related("unit_a", "unit_b")
        if pair.unit_a.key in units and pair.unit_b.key in units
    )
    return CombinationRules(
        qualification=qualification.number,
        units=units,
        groups=groups,
        level_rules=level_rules,
        barred=barred,
        min_credits=qualification.min_credits,
        max_credits=qualification.max_credits,
        min_units=qualification.min_units,
        min_glh=qualification.min_glh,
        rules_given=qualification.rules_given,
    )
