"""Where a learner stands, criterion by criterion: the units taken, their outcomes and criteria,
the evidence mapped to each, and the state of each criterion.

The state comes from the evidence (no evidence / evidence submitted) unless an assessment
decision says more (met / not yet met / verified). Decisions belong to the assessment work: it
passes them in as a dict criterion_id -> state, or fills in `recorded_decisions`.

Everything here costs a fixed number of queries whatever the size of the registration.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import F, OuterRef, Subquery

from portfolios.models import (
    Evidence,
    EvidenceCriterion,
    EvidenceStatus,
    Registration,
    RegistrationUnit,
)
from qualifications.models import AssessmentCriterion, LearningOutcome, QualificationUnit, Unit


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
# because the learner does not see a decision before it is released to them.
DecisionProvider = Callable[..., Mapping[int, str]]
decision_providers: list[DecisionProvider] = []


def recorded_decisions(registration: Registration, *, viewer: Any = None) -> dict[int, str]:
    """Assessment decisions per criterion, from every registered provider (one query each)."""
    decisions: dict[int, str] = {}
    for provider in decision_providers:
        decisions.update(provider(registration, viewer=viewer))
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
    total: int = 0
    evidenced: int = 0
    met: int = 0

    def add(self, state: str) -> None:
        self.total += 1
        if state != CriterionState.NO_EVIDENCE:
            self.evidenced += 1
        if state in MET_STATES:
            self.met += 1

    @property
    def evidenced_percent(self) -> int:
        return round(100 * self.evidenced / self.total) if self.total else 0

    @property
    def met_percent(self) -> int:
        return round(100 * self.met / self.total) if self.total else 0


@dataclass
class CriterionRow:
    criterion: AssessmentCriterion
    state: str = CriterionState.NO_EVIDENCE
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return CriterionState(self.state).label


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


def taken_units(registration: Registration) -> list[TakenUnit]:
    """The registration's units in the qualification's order, each with its outcomes and
    criteria (no states yet). Three queries."""
    membership = QualificationUnit.objects.filter(
        qualification_id=registration.qualification_id, unit_id=OuterRef("unit_id")
    )
    choices = (
        RegistrationUnit.objects.filter(registration=registration)
        .select_related("unit")
        .annotate(
            position=Subquery(membership.values("position")[:1]),
            code=Subquery(membership.values("code")[:1]),
            mandatory=Subquery(membership.values("group__mandatory")[:1]),
        )
        .order_by(F("position").asc(nulls_last=True), "unit__key")
    )
    units = [
        TakenUnit(
            unit=choice.unit,
            label=choice.code or choice.unit.reference or choice.unit.key,
            mandatory=bool(choice.mandatory),
        )
        for choice in choices
    ]
    by_unit = {entry.unit.pk: entry for entry in units}
    outcomes: dict[int, OutcomeRows] = {}
    for outcome in LearningOutcome.objects.filter(unit_id__in=by_unit).order_by(
        "unit_id", "position"
    ):
        rows = OutcomeRows(outcome)
        outcomes[outcome.pk] = rows
        by_unit[outcome.unit_id].outcomes.append(rows)
    criteria = AssessmentCriterion.objects.filter(unit_id__in=by_unit).order_by(
        "unit_id", "position"
    )
    for criterion in criteria:
        criterion.unit = by_unit[criterion.unit_id].unit  # spare templates a query per row
        outcomes[criterion.outcome_id].criteria.append(CriterionRow(criterion))
    return units


@dataclass
class Portfolio:
    registration: Registration
    units: list[TakenUnit]
    progress: Progress

    def filtered(self, *, unit_id: int | None = None, state: str = "") -> list[TakenUnit]:
        """The units (and within them outcomes and criteria) that pass the filters; progress
        stays that of the whole unit."""
        shown = []
        for entry in self.units:
            if unit_id and entry.unit.pk != unit_id:
                continue
            if not state:
                shown.append(entry)
                continue
            outcomes = [
                OutcomeRows(o.outcome, [row for row in o.criteria if row.state == state])
                for o in entry.outcomes
            ]
            outcomes = [o for o in outcomes if o.criteria]
            if outcomes:
                shown.append(
                    TakenUnit(entry.unit, entry.label, entry.mandatory, outcomes, entry.progress)
                )
        return shown


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
