"""The rules-of-combination engine on small hand-made rules, where every answer is known."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qualifications.combination import (
    CombinationRules,
    GlhRange,
    GroupRules,
    LevelRequirement,
    UnitFacts,
    check,
    glh_range,
    valid_combinations,
)


def unit(key: str, credit: int, glh: int, rank: int = 4) -> UnitFacts:
    return UnitFacts(key, key, f"Title {key}", credit, glh, rank, f"Level {rank - 3}")


UNITS = {
    "M1": unit("M1", 3, 24),
    "M2": unit("M2", 2, 18),
    "B1": unit("B1", 2, 15, rank=2),  # Entry 3
    "B2": unit("B2", 2, 18),
    "B3": unit("B3", 3, 20),
    "B4": unit("B4", 1, 8, rank=2),
}
RULES = CombinationRules(
    qualification="TEST",
    units=UNITS,
    groups=(
        GroupRules("A", "Mandatory Group A", True, ("M1", "M2")),
        GroupRules("B", "Optional Group B", False, ("B1", "B2", "B3", "B4"), min_credits=4),
    ),
    level_rules=(LevelRequirement(2, 4, "Level 1", False, ("B",)),),
    barred=(("B1", "B2"),),
    min_credits=9,
)


def messages(chosen: set[str]) -> list[str]:
    return [problem.message for problem in check(RULES, chosen).problems]


def test_a_complete_valid_set_has_no_problems() -> None:
    result = check(RULES, {"M1", "M2", "B2", "B3"})

    assert result.ok
    assert (result.credits, result.glh, result.units) == (10, 80, 4)


def test_it_names_each_missing_mandatory_unit() -> None:
    assert "Mandatory unit missing: M2 Title M2." in messages({"M1", "B2", "B3"})


def test_it_says_how_many_more_credits_a_group_needs() -> None:
    assert "2 more credits from Group B." in messages({"M1", "M2", "B2"})
    assert "1 more credit from Group B." in messages({"M1", "M2", "B3"})


def test_it_says_what_the_level_rule_still_needs() -> None:
    found = messages({"M1", "M2", "B1", "B4"})

    assert "2 more credits at Level 1 from Group B." in found
    assert "1 more credit from Group B." in found


def test_it_names_a_barred_pair() -> None:
    assert "B1 Title B1 cannot be taken with B2 (Title B2)." in messages(
        {"M1", "M2", "B1", "B2", "B3"}
    )


def test_it_counts_total_credits() -> None:
    rules = CombinationRules(
        qualification="T", units=UNITS, groups=RULES.groups, min_credits=12, max_credits=12
    )

    assert "1 more credit in total: 11 of the 12 needed." in [
        p.message for p in check(rules, {"M1", "M2", "B2", "B3", "B4"}).problems
    ]
    assert "1 credit too many: at most 12 in total." in [
        p.message for p in check(rules, {"M1", "M2", "B1", "B2", "B3", "B4"}).problems
    ]


def test_group_maximums_and_unit_counts() -> None:
    rules = CombinationRules(
        qualification="T",
        units=UNITS,
        groups=(
            GroupRules("A", "A", True, ("M1", "M2")),
            GroupRules("B", "B", False, ("B1", "B2", "B3", "B4"), max_credits=3, max_units=1),
        ),
        min_units=3,
        min_glh=100,
    )

    found = [p.message for p in check(rules, {"M1", "M2", "B2", "B3"}).problems]

    assert "2 credits too many from Group B: at most 3 credits may be taken from it." in found
    assert "1 unit too many from Group B: at most 1 unit may be taken from it." in found
    assert "20 more guided learning hours: 80 of the 100 needed." in found
    assert [p.code for p in check(rules, {"M1"}).problems] == [
        "missing_mandatory",
        "total_min_units",
        "total_min_glh",
    ]


def test_a_unit_from_outside_the_qualification_is_a_problem() -> None:
    result = check(RULES, {"M1", "M2", "B2", "B3", "Z9"})

    assert result.extra == ("Z9",)
    assert "Z9 is not part of this qualification." in [p.message for p in result.problems]


def test_rules_not_given_are_never_satisfied() -> None:
    rules = CombinationRules(qualification="N", units=UNITS, groups=(), rules_given=False)

    assert check(rules, set(UNITS)).problems[0].code == "rules_not_given"


def test_the_least_glh_route() -> None:
    # M1 + M2 (42 GLH), then 4 credits from B with 2 at Level 1: B3 + B4 (28 GLH) is cheapest.
    assert glh_range(RULES) == GlhRange(42 + 28, 42 + 15 + 18 + 20 + 8 - 15)


@settings(max_examples=200, deadline=None)
@given(st.sets(st.sampled_from(sorted(UNITS))))
def test_check_agrees_with_the_rules_read_literally(chosen: set[str]) -> None:
    credits_b = sum(UNITS[k].credit for k in chosen if k.startswith("B"))
    level1_b = sum(
        UNITS[k].credit for k in chosen if k.startswith("B") and UNITS[k].level_rank == 4
    )
    total = sum(UNITS[k].credit for k in chosen)
    literal = (
        {"M1", "M2"} <= chosen
        and credits_b >= 4
        and level1_b >= 2
        and not {"B1", "B2"} <= chosen
        and total >= 9
    )

    assert check(RULES, chosen).ok == literal
    assert (frozenset(chosen) in set(valid_combinations(RULES))) == literal
