"""The rules-of-combination engine: a pure function, no database and no request.

Given a qualification's rules and a set of units (chosen or achieved), say whether the rules
hold and, if not, each missing or broken thing in words a learner understands. Registration
(choosing units) and completion (achieved units) both call `check`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations


@dataclass(frozen=True)
class UnitFacts:
    key: str
    label: str  # how a learner knows the unit: the awarding body's code or the Ofqual reference
    title: str
    credit: int | None
    glh: int | None
    level_rank: int
    level_label: str


@dataclass(frozen=True)
class GroupRules:
    code: str
    name: str
    mandatory: bool
    units: tuple[str, ...]
    min_credits: int | None = None
    max_credits: int | None = None
    min_units: int | None = None
    max_units: int | None = None


@dataclass(frozen=True)
class LevelRequirement:
    min_credits: int
    level_rank: int
    level_label: str
    at_or_above: bool
    groups: tuple[str, ...] = ()  # empty: every group
    # Where the printed rule can be read two ways, the reading applied and why (shown, not used).
    reading: str = ""


@dataclass(frozen=True)
class CombinationRules:
    qualification: str
    units: Mapping[str, UnitFacts]
    groups: tuple[GroupRules, ...]
    level_rules: tuple[LevelRequirement, ...] = ()
    barred: tuple[tuple[str, str], ...] = ()
    min_credits: int | None = None
    max_credits: int | None = None
    min_units: int | None = None
    min_glh: int | None = None
    rules_given: bool = True


@dataclass(frozen=True)
class Problem:
    code: str  # machine-readable kind, e.g. "group_min_credits"
    message: str


@dataclass(frozen=True)
class Result:
    problems: tuple[Problem, ...]
    credits: int
    glh: int
    units: int
    extra: tuple[str, ...] = field(default=())  # chosen keys that are not in the qualification

    @property
    def ok(self) -> bool:
        return not self.problems


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _group_names(rules: CombinationRules, codes: tuple[str, ...]) -> str:
    if not codes:
        return "any group"
    names = [f"Group {code}" for code in codes]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _credit(unit: UnitFacts) -> int:
    return unit.credit or 0


def _describe(unit: UnitFacts) -> str:
    return f"{unit.label} {unit.title}"


def check(rules: CombinationRules, chosen: Iterable[str]) -> Result:
    """Do `chosen` units satisfy the qualification's rules? List every problem if not."""
    chosen_set = set(chosen)
    extra = tuple(sorted(key for key in chosen_set if key not in rules.units))
    selected = [rules.units[key] for key in sorted(chosen_set) if key in rules.units]
    credits = sum(_credit(unit) for unit in selected)
    glh = sum(unit.glh or 0 for unit in selected)
    problems: list[Problem] = []

    if not rules.rules_given:
        problems.append(
            Problem(
                "rules_not_given",
                "No rule of combination is recorded for this qualification: the awarding "
                "body's document in the catalogue gives none, so no learner can complete it "
                "yet. The centre admin must record the rule from the awarding body's own "
                "specification, or an interim rule until then.",
            )
        )

    for key in extra:
        problems.append(
            Problem("not_in_qualification", f"{key} is not part of this qualification.")
        )

    for group in rules.groups:
        in_group = [rules.units[key] for key in group.units if key in chosen_set]
        group_credits = sum(_credit(unit) for unit in in_group)
        label = f"Group {group.code}"
        if group.mandatory:
            for key in group.units:
                if key not in chosen_set:
                    problems.append(
                        Problem(
                            "missing_mandatory",
                            f"Mandatory unit missing: {_describe(rules.units[key])}.",
                        )
                    )
        if group.min_credits is not None and group_credits < group.min_credits:
            short = group.min_credits - group_credits
            problems.append(
                Problem("group_min_credits", f"{_plural(short, 'more credit')} from {label}.")
            )
        if group.max_credits is not None and group_credits > group.max_credits:
            over = group_credits - group.max_credits
            problems.append(
                Problem(
                    "group_max_credits",
                    f"{_plural(over, 'credit')} too many from {label}: at most "
                    f"{_plural(group.max_credits, 'credit')} may be taken from it.",
                )
            )
        if group.min_units is not None and len(in_group) < group.min_units:
            short = group.min_units - len(in_group)
            problems.append(
                Problem("group_min_units", f"{_plural(short, 'more unit')} from {label}.")
            )
        if group.max_units is not None and len(in_group) > group.max_units:
            over = len(in_group) - group.max_units
            problems.append(
                Problem(
                    "group_max_units",
                    f"{_plural(over, 'unit')} too many from {label}: at most "
                    f"{_plural(group.max_units, 'unit')} may be taken from it.",
                )
            )

    group_of = {key: group.code for group in rules.groups for key in group.units}
    for requirement in rules.level_rules:
        eligible = [
            unit
            for unit in selected
            if (not requirement.groups or group_of.get(unit.key) in requirement.groups)
            and (
                unit.level_rank >= requirement.level_rank
                if requirement.at_or_above
                else unit.level_rank == requirement.level_rank
            )
        ]
        have = sum(_credit(unit) for unit in eligible)
        if have < requirement.min_credits:
            short = requirement.min_credits - have
            where = "at or above " if requirement.at_or_above else "at "
            problems.append(
                Problem(
                    "level_credits",
                    f"{_plural(short, 'more credit')} {where}{requirement.level_label} from "
                    f"{_group_names(rules, requirement.groups)}.",
                )
            )

    for key_a, key_b in rules.barred:
        if key_a in chosen_set and key_b in chosen_set:
            unit_a, unit_b = rules.units[key_a], rules.units[key_b]
            problems.append(
                Problem(
                    "barred",
                    f"{_describe(unit_a)} cannot be taken with {unit_b.label} ({unit_b.title}).",
                )
            )

    if rules.min_credits is not None and credits < rules.min_credits:
        short = rules.min_credits - credits
        problems.append(
            Problem(
                "total_min_credits",
                f"{_plural(short, 'more credit')} in total: {credits} of the "
                f"{rules.min_credits} needed.",
            )
        )
    if rules.max_credits is not None and credits > rules.max_credits:
        problems.append(
            Problem(
                "total_max_credits",
                f"{_plural(credits - rules.max_credits, 'credit')} too many: at most "
                f"{rules.max_credits} in total.",
            )
        )
    if rules.min_units is not None and len(selected) < rules.min_units:
        short = rules.min_units - len(selected)
        problems.append(
            Problem(
                "total_min_units",
                f"{_plural(short, 'more unit')}: {len(selected)} of the {rules.min_units} needed.",
            )
        )
    if rules.min_glh is not None and glh < rules.min_glh:
        short = rules.min_glh - glh
        problems.append(
            Problem(
                "total_min_glh",
                f"{short} more guided learning hours: {glh} of the {rules.min_glh} needed.",
            )
        )
    return Result(tuple(problems), credits, glh, len(selected), extra)


# ---------------------------------------------------------------- extremes over valid routes


def mandatory_units(rules: CombinationRules) -> frozenset[str]:
    return frozenset(key for group in rules.groups if group.mandatory for key in group.units)


def optional_units(rules: CombinationRules) -> tuple[str, ...]:
    mandatory = mandatory_units(rules)
    seen: dict[str, None] = {}
    for group in rules.groups:
        for key in group.units:
            if key not in mandatory:
                seen.setdefault(key)
    return tuple(seen)


def largest_combination(rules: CombinationRules, criteria: Mapping[str, int]) -> frozenset[str]:
    """The valid set of units with the most units, then the most criteria. Every optional unit
    is taken, except in groups capped by credits or units, where a small knapsack picks the
    subset; the rules engine then confirms the result is valid."""
    chosen = set(mandatory_units(rules))
    for group in rules.groups:
        if group.mandatory:
            continue
        pool = [key for key in group.units if key not in chosen]
        cap_credits = group.max_credits
        cap_units = group.max_units or len(pool)
        if cap_credits is None and cap_units >= len(pool):
            chosen.update(pool)
            continue
        # best[(credits, units)] = (units, criteria, keys), over subsets within the caps.
        best: dict[tuple[int, int], tuple[int, int, tuple[str, ...]]] = {(0, 0): (0, 0, ())}
        for key in pool:
            credit = rules.units[key].credit or 0
            for (used, count), (n, crit, keys) in list(best.items()):
                if cap_credits is not None and used + credit > cap_credits:
                    continue
                if count + 1 > cap_units:
                    continue
                slot = (used + credit, count + 1)
                candidate = (n + 1, crit + criteria.get(key, 0), (*keys, key))
                if slot not in best or candidate[:2] > best[slot][:2]:
                    best[slot] = candidate
        chosen.update(max(best.values())[2])
    result = check(rules, chosen)
    if not result.ok:
        raise ValueError(f"no valid largest combination: {[p.message for p in result.problems]}")
    return frozenset(chosen)


def valid_combinations(
    rules: CombinationRules, *, exact_credits: int | None = None
) -> Iterable[frozenset[str]]:
    """Every valid set of units, by brute force over the optional units (small pools only)."""
    mandatory = mandatory_units(rules)
    optional = optional_units(rules)
    if len(optional) > 22:
        raise ValueError(f"{len(optional)} optional units: too many to enumerate")
    for size in range(len(optional) + 1):
        for extra in combinations(optional, size):
            chosen = mandatory | frozenset(extra)
            result = check(rules, chosen)
            if result.ok and (exact_credits is None or result.credits == exact_credits):
                yield chosen


@dataclass(frozen=True)
class GlhRange:
    least: int | None  # None: no valid combination
    most: int | None


def glh_range(rules: CombinationRules, *, exact_credits: int | None = None) -> GlhRange:
    """Least and most GLH over valid combinations (optionally of exactly `exact_credits`).

    Small optional pools are enumerated. Large ones (the IMI diploma has 34 optional units) are
    solved by dynamic programming over (credits per group, credits towards each level rule),
    which is exact when the qualification has no barred pairs.
    """
    if len(optional_units(rules)) <= 22:
        totals = [
            sum(rules.units[key].glh or 0 for key in combo)
            for combo in valid_combinations(rules, exact_credits=exact_credits)
        ]
        return GlhRange(min(totals, default=None), max(totals, default=None))
    if rules.barred or rules.min_units is not None or rules.min_glh is not None:
        raise ValueError("large pools with barred pairs or unit/GLH minimums are not supported")
    return _glh_range_dp(rules, exact_credits=exact_credits)


def _glh_range_dp(rules: CombinationRules, *, exact_credits: int | None) -> GlhRange:
    # State: (credits per group, units per group, credits per level rule), capped where only
    # a minimum matters, exact where a maximum or exact total matters.
    mandatory = mandatory_units(rules)
    group_index = {code: i for i, group in enumerate(rules.groups) for code in [group.code]}
    unit_group = {key: group_index[group.code] for group in rules.groups for key in group.units}
    cap_total = exact_credits if exact_credits is not None else rules.max_credits
    if cap_total is None:
        cap_total = max(rules.min_credits or 0, 0) + max(
            (_credit(unit) for unit in rules.units.values()), default=0
        )

    def level_gain(unit: UnitFacts) -> tuple[int, ...]:
        gains = []
        for requirement in rules.level_rules:
            in_groups = (
                not requirement.groups
                or rules.groups[unit_group[unit.key]].code in requirement.groups
            )
            at_level = (
                unit.level_rank >= requirement.level_rank
                if requirement.at_or_above
                else unit.level_rank == requirement.level_rank
            )
            gains.append(_credit(unit) if in_groups and at_level else 0)
        return tuple(gains)

    n_groups = len(rules.groups)
    start_credits = [0] * n_groups
    start_units = [0] * n_groups
    start_level = [0] * len(rules.level_rules)
    glh0 = 0
    for key in mandatory:
        unit = rules.units[key]
        start_credits[unit_group[key]] += _credit(unit)
        start_units[unit_group[key]] += 1
        for i, gain in enumerate(level_gain(unit)):
            start_level[i] += gain
        glh0 += unit.glh or 0

    def cap(credits: list[int], units: list[int], levels: list[int]) -> tuple:
        capped_credits = tuple(
            credits[i]
            if group.max_credits is not None or exact_credits is not None
            else min(credits[i], group.min_credits or 0)
            for i, group in enumerate(rules.groups)
        )
        capped_units = tuple(
            units[i] if group.max_units is not None else min(units[i], group.min_units or 0)
            for i, group in enumerate(rules.groups)
        )
        capped_levels = tuple(
            min(levels[i], requirement.min_credits)
            for i, requirement in enumerate(rules.level_rules)
        )
        return capped_credits, capped_units, capped_levels

    # The exact total is part of the state too (bounded by cap_total).
    states: dict[tuple, tuple[int, int]] = {}
    first = (tuple(start_credits), tuple(start_units), tuple(start_level), sum(start_credits))
    states[first] = (glh0, glh0)
    for key in optional_units(rules):
        unit = rules.units[key]
        gi = unit_group[key]
        gains = level_gain(unit)
        new_states = dict(states)
        for (credits, units, levels, total), (low, high) in states.items():
            c = list(credits)
            c[gi] += _credit(unit)
            u = list(units)
            u[gi] += 1
            levels_new = [levels[i] + gains[i] for i in range(len(levels))]
            total_new = total + _credit(unit)
            if total_new > cap_total:
                continue
            group = rules.groups[gi]
            if group.max_credits is not None and c[gi] > group.max_credits:
                continue
            if group.max_units is not None and u[gi] > group.max_units:
                continue
            capped = cap(c, u, levels_new)
            state = (capped[0], capped[1], capped[2], total_new)
            glh = unit.glh or 0
            old = new_states.get(state)
            candidate = (low + glh, high + glh)
            new_states[state] = (
                candidate if old is None else (min(old[0], candidate[0]), max(old[1], candidate[1]))
            )
        states = new_states

    least = most = None
    for (credits, units, levels, total), (low, high) in states.items():
        if exact_credits is not None and total != exact_credits:
            continue
        if rules.min_credits is not None and total < rules.min_credits:
            continue
        ok = all(
            (group.min_credits is None or credits[i] >= group.min_credits)
            and (group.min_units is None or units[i] >= group.min_units)
            for i, group in enumerate(rules.groups)
        ) and all(levels[i] >= r.min_credits for i, r in enumerate(rules.level_rules))
        if rules.min_units is not None and sum(units) < rules.min_units:
            ok = False
        if not ok:
            continue
        least = low if least is None else min(least, low)
        most = high if most is None else max(most, high)
    return GlhRange(least, most)


def describe(rules: CombinationRules) -> list[str]:
    """The rules of combination in plain words, one sentence each."""
    sentences: list[str] = []
    if not rules.rules_given:
        return ["The specification does not give this qualification's rules of combination."]
    if rules.min_credits is not None and rules.max_credits is not None:
        if rules.min_credits == rules.max_credits:
            sentences.append(f"Achieve exactly {_plural(rules.min_credits, 'credit')}.")
        else:
            sentences.append(
                f"Achieve between {rules.min_credits} and {rules.max_credits} credits."
            )
    elif rules.min_credits is not None:
        sentences.append(f"Achieve at least {_plural(rules.min_credits, 'credit')}.")
    if rules.min_units is not None:
        sentences.append(f"Achieve at least {_plural(rules.min_units, 'unit')}.")
    if rules.min_glh is not None:
        sentences.append(f"Achieve at least {rules.min_glh} guided learning hours.")
    for group in rules.groups:
        parts = []
        if group.mandatory:
            count = len(group.units)
            parts.append("take its one unit" if count == 1 else f"take all {count} units")
        if group.min_credits is not None:
            parts.append(f"at least {_plural(group.min_credits, 'credit')}")
        if group.max_credits is not None:
            parts.append(f"at most {_plural(group.max_credits, 'credit')}")
        if group.min_units is not None:
            parts.append(f"at least {_plural(group.min_units, 'unit')}")
        if group.max_units is not None:
            parts.append(f"at most {_plural(group.max_units, 'unit')}")
        kind = "mandatory" if group.mandatory else "optional"
        if not parts:
            parts.append(f"any of its {_plural(len(group.units), 'unit')}")
        sentences.append(f"Group {group.code} ({kind}): {', '.join(parts)}.")
    for requirement in rules.level_rules:
        where = "at or above " if requirement.at_or_above else "at "
        sentences.append(
            f"At least {_plural(requirement.min_credits, 'credit')} from "
            f"{_group_names(rules, requirement.groups)} must be {where}"
            f"{requirement.level_label}."
        )
    for key_a, key_b in rules.barred:
        unit_a, unit_b = rules.units[key_a], rules.units[key_b]
        sentences.append(f"{_describe(unit_a)} cannot be taken with {_describe(unit_b)}.")
    return sentences
