"""Apprenticeship-standard coverage: which knowledge, skill and behaviour statements a learner's
met criteria and signed-off units cover.

The rule, for one registration and one statement of a standard its qualification maps to:

- The specification says explicitly that nothing in the qualification maps to it (`no_mapping`):
  "not mapped: the specification says no unit covers it". It must be evidenced outside the
  qualification.
- The mapping names no criteria and no units for it: "not mapped: the mapping names nothing".
- It names criteria or units, but none in a unit this learner takes: "not mapped through this
  learner's units".
- Otherwise count the mapped pieces within the learner's units: each mapped criterion (done when
  its current decision is met) and each unit mapped as a whole, as Pearson's Annexe A maps them
  (done when the unit is signed off). All done: covered. Some: partly covered. None: not yet.

The pieces are judged from `met_criteria` and `signed_off_units`, each one query for any number
of registrations, so both pages cost a fixed number of queries. `met_criteria` is the single
place that says which decisions count, so it can later be restricted to decisions released to
the learner.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import models
from django.db.models import Q, QuerySet

from assessments.models import Decision, Outcome, UnitSignOff
from assessments.release import agreed_q, required_expression
from core.prepared import PreparedForIds
from portfolios.models import Registration, RegistrationUnit
from qualifications.models import AssessmentCriterion, Standard, Statement, Unit
from qualifications.standards import MappedStatement, mapped_statements, statement_links


class State(models.TextChoices):
    COVERED = "covered", "Covered"
    PARTLY = "partly", "Partly covered"
    NOT_YET = "not_yet", "Not yet covered"
    NO_MAPPING = "no_mapping", "Not mapped: the specification says no unit covers it"
    UNMAPPED = "unmapped", "Not mapped: the mapping names no criteria or units for it"
    OUTSIDE_UNITS = "outside_units", "Not mapped through this learner's units"


# The states in which the statement must be evidenced some other way than this qualification.
NOT_MAPPED = {State.NO_MAPPING, State.UNMAPPED, State.OUTSIDE_UNITS}
CATEGORIES = Statement.Category


def _met_rows(ids: list[int]) -> QuerySet:
    return (
        Decision.objects.current()
        .filter(registration_id__in=ids, outcome=Outcome.MET)
        .alias(needs_validation=required_expression())
        .filter(Q(needs_validation=False) | agreed_q())
        .order_by()  # a set: no sort
        .values_list("registration_id", "criterion_id")
    )


def _signed_off_rows(ids: list[int]) -> QuerySet:
    return (
        UnitSignOff.objects.active()
        .filter(registration_id__in=ids)
        .order_by()  # a set: no sort
        .values_list("registration_id", "unit_id")
    )


def _taken_rows(ids: list[int]) -> QuerySet:
    return RegistrationUnit.objects.filter(registration_id__in=ids).values_list(
        "registration_id", "unit_id"
    )


# The gateway page asks them of one registration on every request, the employer's home and the
# cohort of a page of them: compiled once for each size of list (core.prepared.PreparedForIds).
MET_ROWS = PreparedForIds(_met_rows)
SIGNED_OFF_ROWS = PreparedForIds(_signed_off_rows)
TAKEN_ROWS = PreparedForIds(_taken_rows)


def met_criteria(registrations: Iterable[Registration]) -> dict[int, set[int]]:
    """Per registration id, the ids of the criteria whose current decision is met. One query
    (met_criteria_by_id)."""
    return met_criteria_by_id([registration.pk for registration in registrations])


def met_criteria_by_id(ids: Sequence[int]) -> dict[int, set[int]]:
    """met_criteria, for registration ids. One query.

    Where the qualification needs an IV to validate decisions before the learner sees them
    (Pearson BTEC), a decision counts only once validated: coverage is the same for the learner
    and for staff, and never gives away an outcome the learner may not see yet.
    """
    met: dict[int, set[int]] = {pk: set() for pk in ids}
    for registration_id, criterion_id in MET_ROWS.rows(ids):
        met[registration_id].add(criterion_id)
    return met


def signed_off_units(registrations: Iterable[Registration]) -> dict[int, set[int]]:
    """Per registration id, the ids of the units with an active sign-off. One query."""
    return signed_off_units_by_id([registration.pk for registration in registrations])


def signed_off_units_by_id(ids: Sequence[int]) -> dict[int, set[int]]:
    """signed_off_units, for registration ids. One query."""
    signed: dict[int, set[int]] = {pk: set() for pk in ids}
    for registration_id, unit_id in SIGNED_OFF_ROWS.rows(ids):
        signed[registration_id].add(unit_id)
    return signed


def units_taken(registrations: Iterable[Registration]) -> dict[int, set[int]]:
    """Per registration id, the ids of the units the learner takes. One query."""
    return units_taken_by_id([registration.pk for registration in registrations])


def units_taken_by_id(ids: Sequence[int]) -> dict[int, set[int]]:
    """units_taken, for registration ids. One query."""
    taken: dict[int, set[int]] = {pk: set() for pk in ids}
    for registration_id, unit_id in TAKEN_ROWS.rows(ids):
        taken[registration_id].add(unit_id)
    return taken


@dataclass
class StatementCoverage:
    """One statement for one learner: what is mapped within their units and what is done."""

    statement: Statement
    state: State
    criteria: list[AssessmentCriterion] = field(default_factory=list)
    met: set[int] = field(default_factory=set)
    units: list[Unit] = field(default_factory=list)
    signed_off: set[int] = field(default_factory=set)

    @property
    def label(self) -> str:
        return State(self.state).label

    @property
    def criteria_rows(self) -> list[tuple[AssessmentCriterion, bool]]:
        return [(criterion, criterion.pk in self.met) for criterion in self.criteria]

    @property
    def unit_rows(self) -> list[tuple[Unit, bool]]:
        return [(unit, unit.pk in self.signed_off) for unit in self.units]

    @property
    def met_count(self) -> int:
        return len(self.met)

    @property
    def signed_off_count(self) -> int:
        return len(self.signed_off)

    @property
    def is_covered(self) -> bool:
        return self.state == State.COVERED

    @property
    def is_mapped(self) -> bool:
        return self.state not in NOT_MAPPED


Within = tuple[list[int], list[int]]


def within_units(
    criteria: Sequence[tuple[int, int]], units: Sequence[int], taken: set[int]
) -> Within:
    """Of a statement's mapped criteria ((criterion id, unit id) pairs) and whole units, the
    ids of those within the learner's units. It depends on the units taken alone, so a list of
    learners who take the same units can work it out once (assessments.gateway.readiness_of)."""
    return [pk for pk, unit_id in criteria if unit_id in taken], [pk for pk in units if pk in taken]


def judge(
    no_mapping: bool,
    criteria: Sequence[tuple[int, int]],
    units: Sequence[int],
    *,
    taken: set[int],
    met: set[int],
    signed_off: set[int],
    within: Within | None = None,
) -> tuple[State, set[int], set[int]]:
    """The rule in the module docstring, for one statement given as ids: `criteria` its mapped
    (criterion id, unit id) pairs, `units` the ids of the units mapped as a whole; `within`,
    within_units(criteria, units, taken) when the caller has it already. Returns the state and,
    within the learner's units, the criteria met and the units signed off. No database access;
    statement_coverage, coverage_counts and the gateway's checklist all ask it."""
    if no_mapping:
        return State.NO_MAPPING, set(), set()
    if not criteria and not units:
        return State.UNMAPPED, set(), set()
    mine, whole = within if within is not None else within_units(criteria, units, taken)
    if not mine and not whole:
        return State.OUTSIDE_UNITS, set(), set()
    # Set intersections (in C): a cohort's checklists judge thousands of statements.
    done_criteria = met.intersection(mine)
    done_units = signed_off.intersection(whole)
    done = len(done_criteria) + len(done_units)
    if done == len(mine) + len(whole):
        state = State.COVERED
    elif done:
        state = State.PARTLY
    else:
        state = State.NOT_YET
    return state, done_criteria, done_units


class Scoped(NamedTuple):
    """One statement's mapping within a learner's units (scoped): its state where the units
    alone decide it (not mapped, or outside the units), else the criteria and whole units
    within them that the learner's decisions and sign-offs are counted against. It depends on
    the statement and the units taken alone, so a list of learners who take the same units
    works it out once, and each learner's state is then two set intersections (scoped_state):
    judge's rule, without building its sets for every statement of every learner of a cohort."""

    fixed: State | None
    criteria: frozenset[int]
    units: frozenset[int]
    total: int


_NONE: frozenset[int] = frozenset()


def scoped(
    no_mapping: bool, criteria: Sequence[tuple[int, int]], units: Sequence[int], taken: set[int]
) -> Scoped:
    """The statement's Scoped for a learner taking `taken` (judge's first three outcomes)."""
    if no_mapping:
        return Scoped(State.NO_MAPPING, _NONE, _NONE, 0)
    if not criteria and not units:
        return Scoped(State.UNMAPPED, _NONE, _NONE, 0)
    mine, whole = within_units(criteria, units, taken)
    if not mine and not whole:
        return Scoped(State.OUTSIDE_UNITS, _NONE, _NONE, 0)
    return Scoped(None, frozenset(mine), frozenset(whole), len(mine) + len(whole))


def scoped_state(scope: Scoped, met: set[int], signed_off: set[int]) -> State:
    """judge(...)[0] for a statement scoped to the learner's units: the same state."""
    if scope.fixed is not None:
        return scope.fixed
    if len(scope.criteria) + len(scope.units) == scope.total:
        # No criterion or unit mapped twice: all met and signed off, none, or some, asked as
        # subset and disjointness (no set made; a cohort asks it thousands of times).
        if scope.criteria <= met and scope.units <= signed_off:
            return State.COVERED
        if scope.criteria.isdisjoint(met) and scope.units.isdisjoint(signed_off):
            return State.NOT_YET
        return State.PARTLY
    # A mapping listed twice counts twice in judge's total, so it is never all done: counted.
    done = len(met.intersection(scope.criteria)) + len(signed_off.intersection(scope.units))
    if done == scope.total:
        return State.COVERED
    return State.PARTLY if done else State.NOT_YET


def statement_coverage(
    mapped: MappedStatement, *, taken: set[int], met: set[int], signed_off: set[int]
) -> StatementCoverage:
    """The rule (judge) for one statement, with the criteria and units it names within the
    learner's units for the page to list. No database access."""
    statement = mapped.statement
    # `.id`, not `.pk`: the cohort and the gateway ask this of every statement of every
    # apprentice, and `.pk` is a property lookup each time (a third of the page's time).
    state, done_criteria, done_units = judge(
        statement.no_mapping,
        [(c.id, c.unit_id) for c in mapped.criteria],
        [u.id for u in mapped.units],
        taken=taken,
        met=met,
        signed_off=signed_off,
    )
    if state in NOT_MAPPED:
        return StatementCoverage(statement, state)
    criteria = [c for c in mapped.criteria if c.unit_id in taken]
    units = [u for u in mapped.units if u.id in taken]
    return StatementCoverage(statement, state, criteria, done_criteria, units, done_units)


@dataclass
class CategoryCoverage:
    category: str
    label: str
    statements: list[StatementCoverage]

    @property
    def covered(self) -> int:
        return sum(1 for s in self.statements if s.is_covered)

    @property
    def total(self) -> int:
        return len(self.statements)


@dataclass
class StandardCoverage:
    """One standard for one registration, statements grouped K, S, B in the standard's order."""

    standard: Standard
    statements: list[StatementCoverage]

    @property
    def categories(self) -> list[CategoryCoverage]:
        return [
            CategoryCoverage(
                category,
                label,
                [s for s in self.statements if s.statement.category == category],
            )
            for category, label in CATEGORIES.choices
        ]

    @property
    def covered(self) -> int:
        return sum(1 for s in self.statements if s.is_covered)

    @property
    def total(self) -> int:
        return len(self.statements)

    @property
    def counts(self) -> Counter[str]:
        return Counter(s.state for s in self.statements)


def coverage_for(
    registrations: Sequence[Registration], standards: Sequence[Standard]
) -> dict[int, list[StandardCoverage]]:
    """Per registration id, its coverage of each standard. Six queries whatever the sizes."""
    mapping = mapped_statements(standards)
    taken = units_taken(registrations)
    met = met_criteria(registrations)
    signed = signed_off_units(registrations)
    return {
        registration.pk: [
            StandardCoverage(
                standard,
                [
                    statement_coverage(
                        mapped,
                        taken=taken[registration.pk],
                        met=met[registration.pk],
                        signed_off=signed[registration.pk],
                    )
                    for mapped in mapping[standard.pk]
                ],
            )
            for standard in standards
        ]
        for registration in registrations
    }


@dataclass(frozen=True)
class CoverageCount:
    """How many of a standard's statements a learner's work covers, of how many."""

    covered: int
    total: int


def coverage_counts(
    registrations: Sequence[Any], standard_ids: Iterable[int]
) -> dict[int, dict[int, CoverageCount]]:
    """Per registration id, per standard id, the statements covered of all: coverage_for's
    `covered` and `total`, judged by the same rule from ids alone (statement_links), for a list
    that shows the counts (the employer contact's home). Five queries whatever the sizes.
    The registrations are read for their `pk` alone (the home page's rows are not models)."""
    mapping = statement_links(standard_ids)
    taken = units_taken(registrations)
    met = met_criteria(registrations)
    signed = signed_off_units(registrations)
    counts: dict[int, dict[int, CoverageCount]] = {}
    # Each standard's statements scoped once for the learners who take the same units.
    scopes: dict[tuple[int, frozenset[int]], list[Scoped]] = {}
    for registration in registrations:
        pk = registration.pk
        units = frozenset(taken[pk])
        counts[pk] = {}
        for standard_id, statements in mapping.items():
            scope = scopes.get((standard_id, units))
            if scope is None:
                scope = scopes[(standard_id, units)] = [
                    scoped(links.no_mapping, links.criteria, links.units, taken[pk])
                    for links in statements
                ]
            counts[pk][standard_id] = CoverageCount(
                covered=sum(
                    scoped_state(within, met[pk], signed[pk]) == State.COVERED for within in scope
                ),
                total=len(statements),
            )
    return counts
