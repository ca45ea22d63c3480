"""Where a learner stands, criterion by criterion: the units taken, their outcomes and criteria,
the evidence mapped to each, and the state of each criterion.

The state comes from the evidence (no evidence / evidence submitted) unless an assessment
decision says more (met / not yet met / verified). Decisions belong to the assessment work: it
passes them in as a dict criterion_id -> state, or fills in `recorded_decisions`.

Everything here costs a fixed number of queries whatever the size of the registration.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, F, FilteredRelation, Q

from core.prepared import Prepared
from portfolios.models import (
    Evidence,
    EvidenceCriterion,
    EvidenceStatus,
    Registration,
    RegistrationUnit,
)
from qualifications.models import AssessmentCriterion, LearningOutcome, Unit


class CriterionState(models.TextChoices):
    NO_EVIDENCE = "no_evidence", "No evidence"
    SUBMITTED = "submitted", "Evidence submitted"
    # Judged, but the outcome waits for an internal verifier's validation (Pearson BTEC); what
    # the learner sees instead of the outcome.
    AWAITING_VALIDATION = "awaiting_validation", "Awaiting internal verification"
    NOT_YET_MET = "not_yet_met", "Not yet met"
    MET = "met", "Met"
    VERIFIED = "verified", "Verified"


# The states an assessment decision may give a criterion.
DECISION_STATES = frozenset(
    {
        CriterionState.AWAITING_VALIDATION,
        CriterionState.NOT_YET_MET,
        CriterionState.MET,
        CriterionState.VERIFIED,
    }
)
# States that count as "met" for progress.
MET_STATES = frozenset({CriterionState.MET, CriterionState.VERIFIED})
# Evidence in these statuses stands behind a criterion. Drafts are unsigned, and returned
# evidence was sent back for a new version.
COUNTING_STATUSES = frozenset({EvidenceStatus.SUBMITTED, EvidenceStatus.ASSESSED})


def state_for(*, evidenced: bool, decision: str | None = None) -> CriterionState:
    """A decision wins; without one the evidence decides."""
    if decision:
        if decision not in DECISION_STATES:
            raise ValueError(f"unknown decision {decision!r}")
        return CriterionState(decision)
    return CriterionState.SUBMITTED if evidenced else CriterionState.NO_EVIDENCE


# Apps above portfolios (assessments, verification) register functions here that return
# criterion_id -> "met"/"not_yet_met"/"verified" for a registration; portfolios imports none
# of them (dependencies run one way). Later providers win, so verification overrides decisions.
# Each takes the registration and, keyword `viewer`, the person looking (None: the whole truth),
# because the learner does not see a decision before it is released to them; and keyword
# `unit_id`, to read one unit's decisions only (None: every unit); and keyword `met_on`, a dict
# (or None) it fills with criterion_id -> the day each criterion it calls met was judged so,
# for the picture of progress over time, read in the same query.
DecisionProvider = Callable[..., Mapping[int, str]]
decision_providers: list[DecisionProvider] = []


def recorded_decisions(
    registration: Registration,
    *,
    viewer: Any = None,
    unit_id: int | None = None,
    met_on: dict[int, datetime.date] | None = None,
) -> dict[int, str]:
    """Assessment decisions per criterion, from every registered provider (one query each).
    Given `met_on`, the providers fill it with the day each criterion was judged met."""
    decisions: dict[int, str] = {}
    for provider in decision_providers:
        decisions.update(provider(registration, viewer=viewer, unit_id=unit_id, met_on=met_on))
    return decisions


# Past this many weeks the running total is told by month: a phone has room for about thirty
# points, and months are how a programme of a year or two is planned.
WEEKS_SHOWN = 26


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def met_over_time(
    per_day: Mapping[datetime.date, int], *, today: datetime.date
) -> tuple[str, list[tuple[datetime.date, int]]]:
    """The running total of criteria met (`per_day`: criteria met on each day, as
    Portfolio.met_days counts them) and its period ("week" or "month"): one point per week from
    the first decision's week to this one (months, from the first decision's month, past
    WEEKS_SHOWN weeks), the first day of each period and the total at its end. Empty before any
    criterion is met. The points grow with time, not with data."""
    if not per_day:
        return "week", []
    per_week: Counter[datetime.date] = Counter()
    for day, count in per_day.items():
        per_week[_monday(day)] += count
    first, last = min(per_week), max(_monday(today), max(per_week))
    if (last - first).days // 7 + 1 > WEEKS_SHOWN:
        per_month: Counter[datetime.date] = Counter()
        for day, count in per_day.items():
            per_month[day.replace(day=1)] += count
        last = max(today, max(per_day))
        months = []
        month = min(per_day).replace(day=1)
        while month <= last:
            months.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return "month", _running(months, per_month)
    weeks = [first + datetime.timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    return "week", _running(weeks, per_week)


def _running(
    periods: list[datetime.date], counts: Mapping[datetime.date, int]
) -> list[tuple[datetime.date, int]]:
    total, points = 0, []
    for period in periods:
        total += counts.get(period, 0)
        points.append((period, total))
    return points


def criterion_states(
    registration: Registration, decisions: Mapping[int, str] | None = None
) -> dict[int, str]:
    """criterion_id -> state for every criterion of the units the registration takes."""
    decisions = decisions or {}
    criterion_ids = AssessmentCriterion.objects.filter(
        unit_id__in=registration.unit_choices.values("unit_id")
    ).values_list("pk", flat=True)
    evidenced = set(
        EvidenceCriterion.objects.filter(
            evidence__registration=registration, evidence__status__in=COUNTING_STATUSES
        ).values_list("criterion_id", flat=True)
    )
    return {
        pk: str(state_for(evidenced=pk in evidenced, decision=decisions.get(pk)))
        for pk in criterion_ids
    }


@dataclass
class Progress:
    """How many criteria are in each state (a filter by state needs no criterion loaded), and
    from that the counts the pages show."""

    states: Counter[str] = field(default_factory=Counter)

    def add(self, state: str) -> None:
        self.states[state] += 1

    def update(self, other: Progress) -> None:
        self.states.update(other.states)

    @property
    def total(self) -> int:
        return sum(self.states.values())

    @property
    def evidenced(self) -> int:
        return self.total - self.states[CriterionState.NO_EVIDENCE]

    @property
    def met(self) -> int:
        return sum(self.states[state] for state in MET_STATES)

    @property
    def evidenced_percent(self) -> int:
        return round(100 * self.evidenced / self.total) if self.total else 0

    @property
    def met_percent(self) -> int:
        return round(100 * self.met / self.total) if self.total else 0


# Each state's badge (Bootstrap classes), looked up once per row here rather than chosen by a
# chain of template conditions per row.
STATE_BADGES: dict[str, str] = {
    CriterionState.NO_EVIDENCE: "text-bg-light border",
    CriterionState.SUBMITTED: "text-bg-info",
    CriterionState.AWAITING_VALIDATION: "text-bg-light border",
    CriterionState.NOT_YET_MET: "text-bg-warning",
    CriterionState.MET: "text-bg-primary",
    CriterionState.VERIFIED: "text-bg-success",
}
STATE_LABELS: dict[str, str] = {state: state.label for state in CriterionState}


@dataclass
class CriterionRow:
    criterion: AssessmentCriterion
    state: str = CriterionState.NO_EVIDENCE
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def testid(self) -> str:
        # Text, not the id: the template localizes a number, at several times the cost.
        return f"criterion-{self.criterion.pk}"

    @property
    def badge(self) -> str:
        return STATE_BADGES[self.state]


@dataclass
class OutcomeRows:
    outcome: LearningOutcome
    criteria: list[CriterionRow] = field(default_factory=list)


@dataclass
class TakenUnit:
    unit: Unit
    label: str  # the awarding body's code for it in this qualification, else its reference
    mandatory: bool
    outcomes: list[OutcomeRows] = field(default_factory=list)
    progress: Progress = field(default_factory=Progress)
    # The assess page's mapping tree: the unit's key and the address that loads it when opened.
    key: str = ""
    url: str = ""

    @property
    def dom_id(self) -> str:
        return f"unit-{self.unit.pk}"

    @property
    def criteria(self) -> list[CriterionRow]:
        return [row for outcome in self.outcomes for row in outcome.criteria]


# The unit's long texts, which the portfolio never shows: not read for it.
LONG_UNIT_FIELDS = ("aim", "nos", "assessment_requirements", "guidance", "source")


def _unit_fields(*, brief: bool) -> list[str]:
    return [
        field.attname
        for field in Unit._meta.concrete_fields
        if not (brief and field.attname in LONG_UNIT_FIELDS)
    ]


def _choice_rows(*, brief: bool) -> Callable[..., models.QuerySet]:
    """The query behind _choices, for Prepared: the units' fields, then their code and group's
    mandatory flag in the qualification."""

    def build(*, registration: int, qualification: int) -> models.QuerySet:
        return (
            RegistrationUnit.objects.filter(registration_id=registration)
            # The unit's place in this qualification, joined (a unit outside it has none).
            .annotate(
                membership=FilteredRelation(
                    "unit__memberships",
                    condition=Q(unit__memberships__qualification_id=qualification),
                )
            )
            .annotate(
                position=F("membership__position"),
                code=F("membership__code"),
                mandatory=F("membership__group__mandatory"),
            )
            .order_by(F("position").asc(nulls_last=True), "unit__key")
            .values_list(
                *(f"unit__{name}" for name in _unit_fields(brief=brief)), "code", "mandatory"
            )
        )

    return build


# Every portfolio page reads the units taken: compiled once (core.prepared), brief or not.
_CHOICES = {brief: Prepared(_choice_rows(brief=brief)) for brief in (False, True)}


def _choices(registration: Registration, *, brief: bool = False) -> list[TakenUnit]:
    """The registration's units in the qualification's order, with no outcomes yet; `brief`
    leaves the units' long texts unread. One query."""
    rows = _CHOICES[brief].rows(
        registration=registration.pk, qualification=registration.qualification_id
    )
    names = _unit_fields(brief=brief)
    taken = []
    for *values, code, mandatory in rows:
        unit = Unit.from_db("default", names, values)
        taken.append(
            TakenUnit(
                unit=unit, label=code or unit.reference or unit.key, mandatory=bool(mandatory)
            )
        )
    return taken


def _outline(units: list[TakenUnit]) -> list[TakenUnit]:
    """Fill in the units' outcomes and criteria (no states yet). Two queries."""
    by_unit = {entry.unit.pk: entry for entry in units}
    outcomes: dict[int, OutcomeRows] = {}
    for outcome in LearningOutcome.objects.filter(unit_id__in=list(by_unit)).order_by(
        "unit_id", "position"
    ):
        outcomes[outcome.pk] = OutcomeRows(outcome)
        by_unit[outcome.unit_id].outcomes.append(outcomes[outcome.pk])
    _attach(
        AssessmentCriterion.objects.filter(unit_id__in=list(by_unit)).order_by(
            "unit_id", "position"
        ),
        by_unit,
        outcomes,
    )
    return units


def _attach(
    criteria: Iterable[AssessmentCriterion],
    by_unit: dict[int, TakenUnit],
    outcomes: dict[int, OutcomeRows],
) -> None:
    """Each criterion under its outcome in its unit; an outcome not yet known is added (read
    with the criterion, or of another unit: the catalogue never has one)."""
    for criterion in criteria:
        criterion.unit = by_unit[criterion.unit_id].unit  # spare templates a query per row
        rows = outcomes.get(criterion.outcome_id)
        if rows is None:
            rows = outcomes[criterion.outcome_id] = OutcomeRows(criterion.outcome)
            by_unit[criterion.unit_id].outcomes.append(rows)
        rows.criteria.append(CriterionRow(criterion))


_CRITERION_FIELDS = [field.attname for field in AssessmentCriterion._meta.concrete_fields]
_OUTCOME_FIELDS = [field.attname for field in LearningOutcome._meta.concrete_fields]


def _one_unit_rows(*, registration: int, qualification: int, unit: int) -> models.QuerySet:
    """The unit as _choices gives it (if the registration takes it) with its criteria and their
    outcomes, one row a criterion: the floor's shape, one query where three were."""
    return (
        RegistrationUnit.objects.filter(registration_id=registration, unit_id=unit)
        .annotate(
            membership=FilteredRelation(
                "unit__memberships",
                condition=Q(unit__memberships__qualification_id=qualification),
            )
        )
        .annotate(code=F("membership__code"), mandatory=F("membership__group__mandatory"))
        .order_by("unit__criteria__outcome__position", "unit__criteria__position")
        .values_list(
            *(f"unit__{name}" for name in _unit_fields(brief=True)),
            "code",
            "mandatory",
            # A unit with no criteria still comes, once, with these empty (a LEFT JOIN).
            *(f"unit__criteria__{name}" for name in _CRITERION_FIELDS),
            *(f"unit__criteria__outcome__{name}" for name in _OUTCOME_FIELDS),
        )
    )


ONE_UNIT = Prepared(_one_unit_rows)


def _one_unit(registration: Registration, unit_id: int) -> TakenUnit | None:
    """One unit taken, as _choices gives it, with its outcomes and criteria (no states yet),
    in one query; None if the registration does not take it."""
    rows = ONE_UNIT.rows(
        registration=registration.pk,
        qualification=registration.qualification_id,
        unit=unit_id,
    )
    if not rows:
        return None
    names = _unit_fields(brief=True)
    at_criterion = len(names) + 2
    at_outcome = at_criterion + len(_CRITERION_FIELDS)
    first = rows[0]
    unit = Unit.from_db("default", names, first[: len(names)])
    code, mandatory = first[len(names)], first[len(names) + 1]
    entry = TakenUnit(
        unit=unit, label=code or unit.reference or unit.key, mandatory=bool(mandatory)
    )
    outcomes: dict[int, OutcomeRows] = {}
    for row in rows:
        if row[at_criterion] is None:  # the unit has no criteria
            continue
        criterion = AssessmentCriterion.from_db(
            "default", _CRITERION_FIELDS, row[at_criterion:at_outcome]
        )
        criterion.unit = unit  # spare templates a query per row
        rows_of_outcome = outcomes.get(criterion.outcome_id)
        if rows_of_outcome is None:
            outcome = LearningOutcome.from_db("default", _OUTCOME_FIELDS, row[at_outcome:])
            rows_of_outcome = outcomes[outcome.pk] = OutcomeRows(outcome)
            entry.outcomes.append(rows_of_outcome)
        criterion.outcome = rows_of_outcome.outcome
        rows_of_outcome.criteria.append(CriterionRow(criterion))
    return entry


def _outline_only(units: list[TakenUnit], only: Collection[int]) -> list[TakenUnit]:
    """Those criteria only, with their outcomes (joined), in the units given; the units that
    hold none of them left out. One query: a page that lists a few criteria of a big portfolio
    does not read all of it."""
    by_unit = {entry.unit.pk: entry for entry in units}
    _attach(
        AssessmentCriterion.objects.filter(pk__in=list(only), unit_id__in=list(by_unit))
        .select_related("outcome")
        .order_by("unit_id", "outcome__position", "position"),
        by_unit,
        {},
    )
    return [entry for entry in units if entry.outcomes]


def taken_units(
    registration: Registration, *, only: Collection[int] | None = None
) -> list[TakenUnit]:
    """The registration's units in the qualification's order, each with its outcomes and
    criteria (no states yet). Three queries; two with `only` (just those criteria, in the units
    that hold them, the units' long texts unread)."""
    if only is not None:
        return _outline_only(_choices(registration, brief=True), only)
    return _outline(_choices(registration))


@dataclass
class Portfolio:
    registration: Registration
    units: list[TakenUnit]
    progress: Progress
    # Criteria met per day they were judged met, over the units counted in `progress`
    # (unit_summaries, given the days): the picture of progress over time.
    met_days: Counter[datetime.date] = field(default_factory=Counter)


def _criteria_taken(registration: int) -> models.QuerySet:
    """The criteria of the units the registration takes, each annotated `evidenced`: whether
    submitted evidence stands behind it. One IN (subquery) the database hashes once, not an
    EXISTS per criterion: a popular criterion has evidence from thousands of registrations."""
    counting = EvidenceCriterion.objects.filter(
        evidence__registration_id=registration, evidence__status__in=COUNTING_STATUSES
    ).values("criterion_id")
    return AssessmentCriterion.objects.filter(
        unit_id__in=RegistrationUnit.objects.filter(registration_id=registration).values("unit_id")
    ).annotate(evidenced=ExpressionWrapper(Q(pk__in=counting), output_field=BooleanField()))


def _counted_criteria(*, registration: int) -> models.QuerySet:
    """Each criterion of the units taken, its unit, and whether submitted evidence stands
    behind it."""
    return (
        _criteria_taken(registration)
        .order_by()  # counted, not listed: the default order would join the units to sort
        .values_list("pk", "unit_id", "evidenced")
    )


COUNTED_CRITERIA = Prepared(_counted_criteria)


def unit_summaries(
    registration: Registration,
    *,
    decisions: Mapping[int, str],
    credited: Collection[int] = (),
    met_on: Mapping[int, datetime.date] | None = None,
) -> Portfolio:
    """Every unit taken with its criteria counted by state, and the whole portfolio's count,
    without loading a criterion's text or evidence: two queries whatever the size, besides
    the decisions passed in. Only submitted evidence counts, so who looks does not matter.
    Units `credited` by transfer (their ids) are achieved already: the whole portfolio's count
    leaves their criteria out, as the progress read model does. Given `met_on` (criterion id
    -> day judged met, as recorded_decisions fills it), `met_days` counts the criteria met per
    day over the same units, so the picture over time ends where the count of criteria met does."""
    units = _choices(registration, brief=True)
    by_unit = {entry.unit.pk: entry for entry in units}
    criteria = COUNTED_CRITERIA.rows(registration=registration.pk)
    unknown = set(decisions.values()) - DECISION_STATES
    if unknown:
        raise ValueError(f"unknown decisions {sorted(unknown)!r}")
    # state_for's rule, inlined: this loop runs once per criterion of the whole portfolio.
    submitted, no_evidence = CriterionState.SUBMITTED.value, CriterionState.NO_EVIDENCE.value
    counters = {unit_pk: entry.progress.states for unit_pk, entry in by_unit.items()}
    for pk, unit_id, evidenced in criteria:
        counters[unit_id][decisions.get(pk) or (submitted if evidenced else no_evidence)] += 1
    met_days: Counter[datetime.date] = Counter()
    if met_on:
        # Only the met criteria of the units counted (a few of the portfolio's, at first).
        counted = {pk for pk, unit_id, _ in criteria if unit_id not in credited}
        met_days.update(day for pk, day in met_on.items() if pk in counted)
    overall = Progress()
    for entry in units:
        if entry.unit.pk not in credited:
            overall.update(entry.progress)
    return Portfolio(registration=registration, units=units, progress=overall, met_days=met_days)


def _stated_criteria(*, registration: int) -> models.QuerySet:
    """Each criterion of the units taken in the portfolio's order (unit, outcome, criterion),
    with its number, its outcome's number and whether submitted evidence stands behind it."""
    return (
        _criteria_taken(registration)
        .order_by("unit_id", "outcome__position", "outcome_id", "position", "pk")
        .values_list("pk", "unit_id", "number", "outcome__number", "evidenced")
    )


STATED_CRITERIA = Prepared(_stated_criteria)


@dataclass
class StatedUnit:
    """A unit taken, counted by state, and its criteria as (id, number, outcome's number,
    state) in the portfolio's order."""

    entry: TakenUnit
    criteria: list[tuple[int, str, str, str]] = field(default_factory=list)


def stated_units(registration: Registration, *, decisions: Mapping[int, str]) -> list[StatedUnit]:
    """Every unit taken with each criterion's state as `portfolio` gives it, read as rows (no
    criterion, outcome or evidence instance): two queries whatever the size, besides the
    decisions passed in. Only submitted evidence counts, so who looks does not matter (as for
    unit_summaries); the decisions carry what the viewer may see of them."""
    units = [StatedUnit(entry) for entry in _choices(registration, brief=True)]
    by_unit = {stated.entry.unit.pk: stated for stated in units}
    unknown = set(decisions.values()) - DECISION_STATES
    if unknown:
        raise ValueError(f"unknown decisions {sorted(unknown)!r}")
    # state_for's rule, inlined: this loop runs once per criterion of the whole portfolio.
    submitted, no_evidence = CriterionState.SUBMITTED.value, CriterionState.NO_EVIDENCE.value
    for pk, unit_id, number, outcome, evidenced in STATED_CRITERIA.rows(
        registration=registration.pk
    ):
        state = decisions.get(pk) or (submitted if evidenced else no_evidence)
        stated = by_unit[unit_id]
        stated.entry.progress.states[state] += 1
        stated.criteria.append((pk, number, outcome, state))
    return units


# What a criterion's row shows of each piece of evidence mapped to it (not its description),
# in the model's order of fields, which Model.from_db expects.
_EVIDENCE_SHOWN = [
    field.attname
    for field in Evidence._meta.concrete_fields
    if field.attname in {"id", "title", "version", "status"}
]


def _unit_evidence(*, registration: int, unit: int, drafts: bool = True) -> models.QuerySet:
    """(criterion id, evidence fields) of each mapping of the unit's criteria to the
    registration's evidence, drafts left out unless `drafts` (Evidence.objects.seen_in's rule:
    they are the learner's alone)."""
    evidence = Evidence.objects.filter(registration_id=registration)
    if not drafts:
        evidence = evidence.exclude(status=EvidenceStatus.DRAFT)
    return (
        EvidenceCriterion.objects.filter(criterion__unit_id=unit, evidence__in=evidence)
        .order_by("evidence__title", "evidence__version", "evidence_id")
        .values_list("criterion_id", *(f"evidence__{name}" for name in _EVIDENCE_SHOWN))
    )


def _unit_evidence_seen_by_staff(*, registration: int, unit: int) -> models.QuerySet:
    return _unit_evidence(registration=registration, unit=unit, drafts=False)


def _unit_evidence_with_drafts(*, registration: int, unit: int) -> models.QuerySet:
    return _unit_evidence(registration=registration, unit=unit)


UNIT_EVIDENCE = Prepared(_unit_evidence_seen_by_staff)
UNIT_EVIDENCE_WITH_DRAFTS = Prepared(_unit_evidence_with_drafts)


def unit_portfolio(
    registration: Registration,
    unit_id: int,
    *,
    user: Any,
    decisions: Mapping[int, str],
) -> TakenUnit | None:
    """One unit's outcomes and criteria, each with its state and the evidence `user` may see
    mapped to it: two queries whatever the unit, besides the decisions passed in. None when
    the registration does not take the unit. The registration must be one `user` may see
    (loaded through Registration.objects.visible_to)."""
    entry = _one_unit(registration, unit_id)
    if entry is None:
        return None
    units = [entry]
    ids = {"registration": registration.pk, "unit": unit_id}
    if getattr(user, "is_superuser", False) or registration.learner_id == user.pk:
        rows = UNIT_EVIDENCE_WITH_DRAFTS.rows(**ids)
    else:
        rows = UNIT_EVIDENCE.rows(**ids)
    # One instance per piece, however many of the unit's criteria it is mapped to.
    pieces: dict[int, Evidence] = {}
    mappings = []
    for criterion_id, *values in rows:
        evidence = pieces.get(values[0])
        if evidence is None:
            evidence = pieces[values[0]] = Evidence.from_db("default", _EVIDENCE_SHOWN, values)
        mappings.append((criterion_id, evidence))
    return assemble(registration, units, mappings, decisions).units[0]


def portfolio(
    registration: Registration,
    *,
    user: Any,
    decisions: Mapping[int, str] | None = None,
) -> Portfolio:
    """The whole portfolio as `user` may see it: four queries whatever its size."""
    units = taken_units(registration)
    mappings = (
        EvidenceCriterion.objects.filter(
            evidence__in=Evidence.objects.visible_to(user).filter(registration=registration)
        )
        .select_related("evidence")
        .order_by("evidence__title", "evidence__version", "evidence_id")
    )
    return assemble(
        registration,
        units,
        ((mapping.criterion_id, mapping.evidence) for mapping in mappings),
        decisions or {},
    )


def assemble(
    registration: Registration,
    units: list[TakenUnit],
    mappings: Iterable[tuple[int, Evidence]],
    decisions: Mapping[int, str],
) -> Portfolio:
    """The units with each criterion's state and evidence, from (criterion id, evidence)
    pairs in the order to show them."""
    evidence_for: dict[int, list[Evidence]] = defaultdict(list)
    evidenced: set[int] = set()
    for criterion_id, evidence in mappings:
        evidence_for[criterion_id].append(evidence)
        if evidence.status in COUNTING_STATUSES:
            evidenced.add(criterion_id)
    overall = Progress()
    for entry in units:
        for row in entry.criteria:
            pk = row.criterion.pk
            row.evidence = evidence_for.get(pk, [])
            row.state = state_for(evidenced=pk in evidenced, decision=decisions.get(pk))
            entry.progress.add(row.state)
            overall.add(row.state)
    return Portfolio(registration=registration, units=units, progress=overall)
