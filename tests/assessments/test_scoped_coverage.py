"""assessments.coverage.scoped and scoped_state (a statement scoped once to the units taken, then
two set intersections per learner) give exactly judge's state, for any mapping, units taken,
decisions and sign-offs: the cohort, its CSV, the gateway checklist and the employer's home
count coverage with them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.coverage import judge, scoped, scoped_state

IDS = st.integers(min_value=1, max_value=12)


# No deadline: a timed test fails on a loaded machine, and what is tested here is the output.
@settings(deadline=None)
@given(
    no_mapping=st.booleans(),
    criteria=st.lists(st.tuples(IDS, IDS), max_size=8),
    units=st.lists(IDS, max_size=4),
    taken=st.sets(IDS, max_size=8),
    met=st.sets(IDS, max_size=10),
    signed_off=st.sets(IDS, max_size=6),
)
def test_a_scoped_statement_has_judges_state(
    no_mapping: bool,
    criteria: list[tuple[int, int]],
    units: list[int],
    taken: set[int],
    met: set[int],
    signed_off: set[int],
) -> None:
    expected = judge(no_mapping, criteria, units, taken=taken, met=met, signed_off=signed_off)[0]

    assert scoped_state(scoped(no_mapping, criteria, units, taken), met, signed_off) == expected
