"""Reusable catalogue queries, each a fixed number of queries whatever the qualification's size."""

from __future__ import annotations

from qualifications.combination import CombinationRules, GroupRules, LevelRequirement, UnitFacts
from qualifications.importers.schema import level_rank
from qualifications.models import LEVEL_CHOICES, Qualification, QualificationUnit

_LEVEL_LABELS = dict(LEVEL_CHOICES)


def combination_rules(qualification: Qualification) -> CombinationRules:
    """The qualification's rules of combination as plain data for `combination.check`."""
    # Plain rows, not models: a qualification has up to a few hundred units, and this runs on
    # every learner's home page; the units' long texts are never read here.
    memberships = list(
        QualificationUnit.objects.filter(qualification=qualification)
        .order_by("position")
        .values_list(
            "group_id",
            "code",
            "unit__key",
            "unit__reference",
            "unit__title",
            "unit__credit",
            "unit__glh",
            "unit__level_rank",
            "unit__level",
        )
    )
    units = {
        key: UnitFacts(
            key=key,
            label=code or reference or key,
            title=title,
            credit=credit,
            glh=glh,
            level_rank=rank,
            level_label=_LEVEL_LABELS.get(level, level),
        )
        for _group, code, key, reference, title, credit, glh, rank, level in memberships
    }
    groups = tuple(
        GroupRules(
            code=group.code,
            name=group.name,
            mandatory=group.mandatory,
            units=tuple(m[2] for m in memberships if m[0] == group.pk),
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
            reading=rule.reading,
        )
        for rule in qualification.level_rules.order_by("position")
    )
    # A barred pair only matters when both units can count towards this qualification; the
    # specification's table also names units of sister qualifications.
    barred = tuple(
        (a, b)
        for a, b in qualification.barred_pairs.values_list("unit_a__key", "unit_b__key")
        if a in units and b in units
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
