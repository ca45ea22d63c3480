"""Where a learner stands, criterion by criterion: the units taken, their outcomes and criteria,
the evidence mapped to each, and the state of each criterion.

The state comes from the evidence (no evidence / evidence submitted) unless an assessment
decision says more (met / not yet met / verified). Decisions belong to the assessment work: it
passes them in as a dict criterion_id -> state, or fills in `recorded_decisions`.

Everything here costs a fixed number of queries whatever the size of the registration.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, F, FilteredRelation, Q

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
# `unit_id`, to read one unit's decisions only (None: every unit).
DecisionProvider = Callable[..., Mapping[int, str]]
decision_providers: list[DecisionProvider] = []


def recorded_decisions(
    registration: Registration, *, viewer: Any = None, unit_id: int | None = None
) -> dict[int, str]:
    """Assessment decisions per criterion, from every registered provider (one query each)."""
    decisions: dict[int, str] = {}
    for provider in decision_providers:
        decisions.update(provider(registration, viewer=viewer, unit_id=unit_id))
    return decisions


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
STATE_BADGES = {
    CriterionState.NO_EVIDENCE: "text-bg-light border",
    CriterionState.SUBMITTED: "text-bg-info",
    CriterionState.AWAITING_VALIDATION: "text-bg-light border",
    CriterionState.NOT_YET_MET: "text-bg-warning",
    CriterionState.MET: "text-bg-primary",
    CriterionState.VERIFIED: "text-bg-success",
}
STATE_LABELS = {state: state.label for state in CriterionState}


@dataclass
class CriterionRow:
    criterion: AssessmentCriterion
    state: str = CriterionState.NO_EVIDENCE
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

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

    @property
    def dom_id(self) -> str:
        return f"unit-{self.unit.pk}"

    @property
    def criteria(self) -> list[CriterionRow]:
        return [row for outcome in self.outcomes for row in outcome.criteria]


# The unit's long texts, which the portfolio never shows: not read for it.
LONG_UNIT_FIELDS = ("aim", "nos", "assessment_requirements", "guidance", "source")


def _choices(
    registration: Registration,
    unit_id: int | None = None,
    *,
    brief: bool = False,
    holding: Collection[int] | None = None,
) -> list[TakenUnit]:
    """The registration's units (or the one unit, if it takes it) in the qualification's order,
    with no outcomes yet; `brief` leaves the units' long texts unread; `holding` keeps only the
    units of those criteria. One query."""
    choices = RegistrationUnit.objects.filter(registration=registration)
    if unit_id is not None:
        choices = choices.filter(unit_id=unit_id)
    if holding is not None:
        choices = choices.filter(
            unit_id__in=AssessmentCriterion.objects.filter(pk__in=list(holding)).values("unit_id")
        )
    if brief:
        choices = choices.defer(*(f"unit__{name}" for name in LONG_UNIT_FIELDS))
    choices = (
        choices.select_related("unit")
        # The unit's place in this qualification, joined (a unit outside it has none).
        .annotate(
            membership=FilteredRelation(
                "unit__memberships",
                condition=Q(unit__memberships__qualification_id=registration.qualification_id),
            )
        )
        .annotate(
            position=F("membership__position"),
            code=F("membership__code"),
            mandatory=F("membership__group__mandatory"),
        )
        .order_by(F("position").asc(nulls_last=True), "unit__key")
    )
    return [
        TakenUnit(
            unit=choice.unit,
            label=choice.code or choice.unit.reference or choice.unit.key,
            mandatory=bool(choice.mandatory),
        )
        for choice in choices
    ]


def _outline(
    units: list[TakenUnit], *, joined: bool = False, only: Collection[int] | None = None
) -> list[TakenUnit]:
    """Fill in the units' outcomes and criteria (no states yet). Two queries, or one if
    `joined` (the outcomes read with their criteria: an outcome with none is then left out,
    which the catalogue never has). `only` reads just those criteria and their outcomes,
    joined: a page that lists a few criteria of a big portfolio does not read all of it."""
    by_unit = {entry.unit.pk: entry for entry in units}
    outcomes: dict[int, OutcomeRows] = {}
    criteria = AssessmentCriterion.objects.filter(unit_id__in=list(by_unit))
    if only is not None:
        criteria = criteria.filter(pk__in=list(only))
        joined = True
    if joined:
        criteria = criteria.select_related("outcome").order_by(
            "unit_id", "outcome__position", "position"
        )
    else:
        for outcome in LearningOutcome.objects.filter(unit_id__in=list(by_unit)).order_by(
            "unit_id", "position"
        ):
            outcomes[outcome.pk] = OutcomeRows(outcome)
            by_unit[outcome.unit_id].outcomes.append(outcomes[outcome.pk])
        criteria = criteria.order_by("unit_id", "position")
    for criterion in criteria:
        criterion.unit = by_unit[criterion.unit_id].unit  # spare templates a query per row
        rows = outcomes.get(criterion.outcome_id)
        if rows is None:
            rows = outcomes[criterion.outcome_id] = OutcomeRows(criterion.outcome)
            by_unit[criterion.unit_id].outcomes.append(rows)
        rows.criteria.append(CriterionRow(criterion))
    return units


def taken_units(
    registration: Registration, *, only: Collection[int] | None = None
) -> list[TakenUnit]:
    """The registration's units in the qualification's order, each with its outcomes and
    criteria (no states yet). Three queries; two with `only` (just those criteria, and the
    units' long texts unread)."""
    if only is not None:
        units = _choices(registration, brief=True, holding=only)
        return _outline(units, only=only)
    return _outline(_choices(registration))


@dataclass
class Portfolio:
    registration: Registration
    units: list[TakenUnit]
    progress: Progress


def unit_summaries(registration: Registration, *, decisions: Mapping[int, str]) -> Portfolio:
    """Every unit taken with its criteria counted by state, and the whole portfolio's count,
    without loading a criterion's text or evidence: two queries whatever the size, besides
    the decisions passed in. Only submitted evidence counts, so who looks does not matter."""
    units = _choices(registration, brief=True)
    by_unit = {entry.unit.pk: entry for entry in units}
    counting = EvidenceCriterion.objects.filter(
        evidence__registration=registration, evidence__status__in=COUNTING_STATUSES
    ).values("criterion_id")
    criteria = (
        AssessmentCriterion.objects.filter(unit_id__in=list(by_unit))
        .order_by()  # counted, not listed: the default order would join the units to sort
        # One IN (subquery) the database hashes once, not an EXISTS per criterion: a popular
        # criterion has evidence from thousands of registrations.
        .annotate(evidenced=ExpressionWrapper(Q(pk__in=counting), output_field=BooleanField()))
        .values_list("pk", "unit_id", "evidenced")
    )
    unknown = set(decisions.values()) - DECISION_STATES
    if unknown:
        raise ValueError(f"unknown decisions {sorted(unknown)!r}")
    # state_for's rule, inlined: this loop runs once per criterion of the whole portfolio.
    submitted, no_evidence = CriterionState.SUBMITTED.value, CriterionState.NO_EVIDENCE.value
    counters = {unit_pk: entry.progress.states for unit_pk, entry in by_unit.items()}
    for pk, unit_id, evidenced in criteria:
        counters[unit_id][decisions.get(pk) or (submitted if evidenced else no_evidence)] += 1
    overall = Progress()
    for entry in units:
        overall.update(entry.progress)
    return Portfolio(registration=registration, units=units, progress=overall)


def unit_portfolio(
    registration: Registration,
    unit_id: int,
    *,
    user: Any,
    decisions: Mapping[int, str],
) -> TakenUnit | None:
    """One unit's outcomes and criteria, each with its state and the evidence `user` may see
    mapped to it: three queries whatever the unit, besides the decisions passed in. None when
    the registration does not take the unit. The registration must be one `user` may see
    (loaded through Registration.objects.visible_to)."""
    units = _choices(registration, unit_id, brief=True)
    if not units:
        return None
    _outline(units, joined=True)
    mappings = (
        EvidenceCriterion.objects.filter(
            criterion__unit_id=unit_id,
            evidence__in=Evidence.objects.seen_in(registration, user),
        )
        .select_related("evidence")
        # What a row shows of each piece, not its description.
        .only("criterion", "evidence__title", "evidence__version", "evidence__status")
        .order_by("evidence__title", "evidence__version", "evidence_id")
    )
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
    return assemble(registration, units, mappings, decisions or {})


def assemble(
    registration: Registration,
    units: list[TakenUnit],
    mappings: Iterable[EvidenceCriterion],
    decisions: Mapping[int, str],
) -> Portfolio:
    evidence_for: dict[int, list[Evidence]] = defaultdict(list)
    evidenced: set[int] = set()
    for mapping in mappings:
        evidence_for[mapping.criterion_id].append(mapping.evidence)
        if mapping.evidence.status in COUNTING_STATUSES:
            evidenced.add(mapping.criterion_id)
    overall = Progress()
    for entry in units:
        for row in entry.criteria:
            pk = row.criterion.pk
            row.evidence = evidence_for.get(pk, [])
            row.state = state_for(evidenced=pk in evidenced, decision=decisions.get(pk))
            entry.progress.add(row.state)
            overall.add(row.state)
    return Portfolio(registration=registration, units=units, progress=overall)
