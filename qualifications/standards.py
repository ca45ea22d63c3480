"""Which qualifications reach which apprenticeship standards, and a standard's mapping as data.

A standard's mapping is published for one qualification (`Standard.qualification`), but it names
canonical units and criteria (Ofqual unit reference + criterion number). Any qualification that
holds one of those units therefore evidences the same statements through it: NCFE's mapping serves
IMI learners on the same units, and Pearson's Annexe A serves the Certificate (units 1-4) as well
as the Diploma. So a qualification "maps to" a standard when it is the standard's own
qualification or shares a mapped unit with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet

from core.prepared import Prepared, PreparedForIds
from qualifications.models import (
    AssessmentCriterion,
    Qualification,
    QualificationUnit,
    Standard,
    Statement,
    StatementCriterion,
    Unit,
)


def standards_for(qualification_ids: Iterable[int] | QuerySet) -> QuerySet[Standard]:
    """The standards the qualifications map to (one query when evaluated)."""
    if not isinstance(qualification_ids, QuerySet):
        qualification_ids = list(qualification_ids)
    units = QualificationUnit.objects.filter(qualification_id__in=qualification_ids).values(
        "unit_id"
    )
    by_unit = Statement.units.through.objects.filter(
        statement__standard=OuterRef("pk"), unit_id__in=units
    )
    by_criterion = StatementCriterion.objects.filter(
        statement__standard=OuterRef("pk"), criterion__unit_id__in=units
    )
    return Standard.objects.filter(
        Q(qualification_id__in=qualification_ids) | Exists(by_unit) | Exists(by_criterion)
    ).order_by("title")


def _mapped_standard(*, qualification: int) -> QuerySet:
    return standards_for([qualification]).order_by().values_list("pk")[:1]


# The portfolio page asks on every request whether to link the coverage page: compiled once.
MAPPED_STANDARD = Prepared(_mapped_standard)


def maps_to_standard(qualification_id: int) -> bool:
    """Whether the qualification maps to any apprenticeship standard (one query)."""
    return bool(MAPPED_STANDARD.rows(qualification=qualification_id))


def qualifications_for(standard: Standard) -> QuerySet[Qualification]:
    """The qualifications whose learners can evidence the standard's statements."""
    shares_a_unit = QualificationUnit.objects.filter(qualification=OuterRef("pk")).filter(
        Q(unit__statements__standard=standard)
        | Q(unit__criteria__statement_links__statement__standard=standard)
    )
    return Qualification.objects.filter(
        Q(pk=standard.qualification_id) | Exists(shares_a_unit)
    ).order_by("number")


@dataclass
class MappedStatement:
    """One statement with what the mapping names for it: criteria and/or whole units."""

    statement: Statement
    criteria: list[AssessmentCriterion] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)


def mapped_statements(standards: Iterable[Standard]) -> dict[int, list[MappedStatement]]:
    """Each standard's statements in order with their mapped criteria and units.

    Three queries whatever the number of statements and links.
    """
    ids = [standard.pk for standard in standards]
    statements = {
        s.pk: MappedStatement(s)
        for s in Statement.objects.filter(standard_id__in=ids).order_by("standard_id", "position")
    }
    for link in (
        StatementCriterion.objects.filter(statement_id__in=statements)
        .select_related("criterion__unit")
        .order_by("statement_id", "position")
    ):
        statements[link.statement_id].criteria.append(link.criterion)
    through = Statement.units.through.objects.filter(statement_id__in=statements).select_related(
        "unit"
    )
    for row in through.order_by("unit__key"):
        statements[row.statement_id].units.append(row.unit)
    result: dict[int, list[MappedStatement]] = {pk: [] for pk in ids}
    for mapped in statements.values():
        result[mapped.statement.standard_id].append(mapped)
    return result


@dataclass(frozen=True)
class StatementLinks:
    """One statement's mapping as ids only, for pages that count coverage rather than show it
    (a list of apprentices): building a Statement, a criterion and its unit for every link cost
    an employer contact's home most of its time. `criteria` holds (criterion id, its unit id),
    in the mapping's order; `units`, the ids of the units mapped as a whole."""

    pk: int
    # The statement's code ("K1"): the gateway's checklist names the statements not evidenced.
    code: str
    category: str
    no_mapping: bool
    criteria: tuple[tuple[int, int], ...]
    units: tuple[int, ...]


def _statement_criteria(ids: list[int]) -> QuerySet:
    return (
        Statement.objects.filter(standard_id__in=ids)
        .order_by("standard_id", "position", "links__position")
        .values_list(
            "pk",
            "standard_id",
            "code",
            "category",
            "no_mapping",
            "links__criterion_id",
            "links__criterion__unit_id",
        )
    )


def _statement_units(ids: list[int]) -> QuerySet:
    # Unordered: the units mapped as a whole are counted, not listed.
    return (
        Statement.units.through.objects.filter(statement__standard_id__in=ids)
        .order_by()
        .values_list("statement_id", "unit_id")
    )


# Most pages ask them of one standard (the gateway page on every request): compiled once for each
# size of list (core.prepared.PreparedForIds).
STATEMENT_CRITERIA = PreparedForIds(_statement_criteria)
STATEMENT_UNITS = PreparedForIds(_statement_units)


def statement_links(standard_ids: Iterable[int]) -> dict[int, list[StatementLinks]]:
    """Per standard id, its statements in order with the ids they are mapped to: what
    mapped_statements gives, as ids, in two queries (statements with their criteria joined,
    then the whole units) whatever the number of statements and links."""
    ids = list(standard_ids)
    rows = STATEMENT_CRITERIA.rows(ids)
    found: dict[int, tuple[int, str, str, bool, list[tuple[int, int]], list[int]]] = {}
    for pk, standard_id, code, category, no_mapping, criterion_id, unit_id in rows:
        entry = found.get(pk)
        if entry is None:
            entry = found[pk] = (standard_id, code, category, no_mapping, [], [])
        if criterion_id is not None:
            entry[4].append((criterion_id, unit_id))
    for statement_id, unit_id in STATEMENT_UNITS.rows(ids):
        found[statement_id][5].append(unit_id)
    result: dict[int, list[StatementLinks]] = {pk: [] for pk in ids}
    for pk, (standard_id, code, category, no_mapping, criteria, units) in found.items():
        result[standard_id].append(
            StatementLinks(pk, code, category, no_mapping, tuple(criteria), tuple(units))
        )
    return result
