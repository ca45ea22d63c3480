"""Property-based tests of the rules engine on the real qualifications, against brute force."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualifications.combination import (
    CombinationRules,
    _glh_range_dp,
    check,
    glh_range,
    mandatory_units,
    optional_units,
)
from qualifications.models import Qualification
from qualifications.queries import combination_rules
from tests.conftest import ensure_catalogue

# Read-only use of the catalogue; the mark also makes pytest-django set up the test database
# when this module runs on its own.
pytestmark = pytest.mark.django_db

NUMBERS = ["601/1109/4", "601/3456/2", "600/1686/3", "600/1684/X", "603/5449/5", "603/5450/1"]


@pytest.fixture(scope="module")
def real_rules(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> dict:
    with django_db_blocker.unblock():
        ensure_catalogue()
        return {
            q.number: combination_rules(q) for q in Qualification.objects.filter(number__in=NUMBERS)
        }


def literally(rules: CombinationRules, chosen: frozenset[str]) -> bool:
    """The rules read straight off the specification, written independently of `check`."""
    if not chosen <= set(rules.units):
        return False
    credit = {key: rules.units[key].credit or 0 for key in rules.units}
    group_of = {key: g.code for g in rules.groups for key in g.units}
    for group in rules.groups:
        taken = [key for key in group.units if key in chosen]
        credits = sum(credit[key] for key in taken)
        if group.mandatory and len(taken) != len(group.units):
            return False
        if group.min_credits is not None and credits < group.min_credits:
            return False
        if group.max_credits is not None and credits > group.max_credits:
            return False
    for rule in rules.level_rules:
        got = 0
        for key in chosen:
            unit = rules.units[key]
            level_ok = (
                unit.level_rank >= rule.level_rank
                if rule.at_or_above
                else unit.level_rank == rule.level_rank
            )
            if level_ok and (not rule.groups or group_of[key] in rule.groups):
                got += credit[key]
        if got < rule.min_credits:
            return False
    if any(a in chosen and b in chosen for a, b in rules.barred):
        return False
    total = sum(credit[key] for key in chosen)
    if rules.min_credits is not None and total < rules.min_credits:
        return False
    if rules.min_units is not None and len(chosen) < rules.min_units:
        return False
    glh = sum(rules.units[key].glh or 0 for key in chosen)
    return rules.min_glh is None or glh >= rules.min_glh


@st.composite
def qualification_and_units(draw: st.DrawFn, rules_by_number: dict) -> tuple:
    number = draw(st.sampled_from(NUMBERS))
    rules = rules_by_number[number]
    mandatory = sorted(mandatory_units(rules))
    optional = list(optional_units(rules))
    keep_mandatory = draw(st.sets(st.sampled_from(mandatory))) if mandatory else set()
    # Usually all mandatory units (the interesting case), sometimes not.
    if draw(st.booleans()):
        keep_mandatory = set(mandatory)
    chosen = keep_mandatory | draw(st.sets(st.sampled_from(optional))) if optional else set()
    return rules, frozenset(chosen | keep_mandatory)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_check_agrees_with_the_rules_read_literally(real_rules: dict, data: st.DataObject) -> None:
    rules, chosen = data.draw(qualification_and_units(real_rules))

    assert check(rules, chosen).ok == literally(rules, chosen)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_adding_what_a_group_message_asks_for_removes_it(
    real_rules: dict, data: st.DataObject
) -> None:
    rules, chosen = data.draw(qualification_and_units(real_rules))
    result = check(rules, chosen)

    for problem in result.problems:
        if problem.code != "group_min_credits":
            continue
        code = problem.message.rsplit("Group ", 1)[1].rstrip(".")
        group = next(g for g in rules.groups if g.code == code)
        needed = int(problem.message.split()[0])
        have = sum(rules.units[k].credit or 0 for k in group.units if k in chosen)
        assert needed == group.min_credits - have
        # Add the group's untaken units one by one until the message should go.
        extended = set(chosen)
        for key in group.units:
            if key not in extended and have < group.min_credits:
                extended.add(key)
                have += rules.units[key].credit or 0
        if have >= group.min_credits:
            assert problem not in check(rules, extended).problems


def _restricted(rules: CombinationRules, keep: set[str]) -> CombinationRules:
    """The same rules over a subset of the optional units (so brute force stays small)."""
    mandatory = mandatory_units(rules)
    groups = tuple(
        replace(g, units=tuple(k for k in g.units if k in mandatory or k in keep))
        for g in rules.groups
    )
    units = {k: u for k, u in rules.units.items() if k in mandatory or k in keep}
    return replace(rules, groups=groups, units=units)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_glh_optimiser_agrees_with_brute_force(real_rules: dict, data: st.DataObject) -> None:
    number = data.draw(st.sampled_from(["601/1109/4", "601/3456/2"]))
    rules = real_rules[number]
    pool = list(optional_units(rules))
    keep = data.draw(st.sets(st.sampled_from(pool), min_size=4, max_size=14))
    small = _restricted(rules, keep)
    exact = data.draw(st.sampled_from([None, small.min_credits]))

    optimised = _glh_range_dp(small, exact_credits=exact)
    brute = glh_range(small, exact_credits=exact)
    assert optimised.least == brute.least
    if exact is not None:
        # "Most" is only bounded over combinations of a fixed credit total.
        assert optimised.most == brute.most


def test_the_published_glh_figures_come_out_of_the_rules(real_rules: dict) -> None:
    imi = real_rules["601/3456/2"]
    assert glh_range(imi).least == 245
    assert glh_range(imi, exact_credits=45).most == 305
    assert glh_range(real_rules["600/1686/3"]).least == 57
    assert glh_range(real_rules["600/1684/X"]).least == 109


def test_real_messages_read_as_a_learner_would_want(real_rules: dict) -> None:
    award = real_rules["600/1686/3"]
    # The mandatory unit and its barred Entry 3 counterpart's Level 1 pair.
    chosen = {"R/601/6071", "A/601/6047", "R/601/6068"}

    messages = [p.message for p in check(award, chosen).problems]

    assert any("cannot be taken with R/601/6068" in m for m in messages), messages
