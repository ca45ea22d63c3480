"""What a strategy samples from, and how a plan covers it (CAMERA: candidates, assessors,
methods, records, evidence, sites).

Both are read in a fixed number of queries whatever the number of registrations: the plan page
and the draw share them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from accounts.models import LearnerProfile
from assessments.models import Decision
from portfolios.models import EvidenceMethod, Registration, RegistrationStatus, RegistrationUnit
from verification.models import (
    DEFAULT_RATING,
    AssessorRiskRating,
    RiskRating,
    SampleSource,
    SampleStage,
    SamplingPlan,
    SamplingStrategy,
)

NO_SITE = "No employer recorded"


def _current_decisions() -> QuerySet[Decision]:
    """Decisions no later one supersedes, as NOT EXISTS: the reverse join `current()` makes
    is planned on PostgreSQL as scans of every decision in the database."""
    return Decision.objects.filter(~Exists(Decision.objects.filter(supersedes=OuterRef("pk"))))


def rounded_up_share(percent: int, count: int) -> int:
    """`percent` of `count`, rounded up: 25 % of 3 learners is 1, never 0."""
    return math.ceil(percent * count / 100)


class Fact(NamedTuple):
    """An assessor judged criteria of this unit, for this learner, by this method."""

    registration_id: int
    unit_id: int
    assessor_id: int
    method: str


class Material(NamedTuple):
    """A current decision on this unit rests on this kind of record and of evidence file."""

    registration_id: int
    unit_id: int
    record: str
    evidence: str


# Labels for CAMERA's "records" (who made the record the decision rests on) and "evidence"
# (what kind of file it is): ours, in the words an IV's sampling matrix uses.
LEARNER_RECORD = "The learner's own evidence"
WITNESS_RECORD = "Witness testimony"
NO_FILE = "No file (written in the record)"
FILE_KINDS = {
    "application/pdf": "Documents",
    "text": "Documents",
    "image": "Photos and images",
    "audio": "Audio recordings",
    "video": "Video recordings",
}


def record_label(assessor_kind: str | None, witness: int | None) -> str:
    from assessments.models import RecordKind

    if assessor_kind:
        return f"Assessor's {RecordKind(assessor_kind).label.lower()} record"
    return WITNESS_RECORD if witness else LEARNER_RECORD


def evidence_label(content_type: str | None) -> str:
    if not content_type:
        return NO_FILE
    return FILE_KINDS.get(content_type) or FILE_KINDS.get(content_type.split("/")[0], "Other files")


class UnitInfo(NamedTuple):
    key: str
    reference: str
    title: str

    @property
    def label(self) -> str:
        return f"{self.reference or self.key}: {self.title}"


@dataclass
class Candidate:
    """A registration in the population, as plain values (no model instances: the population
    can be thousands of learners)."""

    registration_id: int
    stage: str
    site: str
    internal_verifier_id: int | None
    start_date: date
    planned_end_date: date | None
    assessor_ids: list[int]
    unit_ids: list[int]
    facts: list[Fact] = field(default_factory=list)

    def judged_units(self, assessor_id: int) -> set[int]:
        return {f.unit_id for f in self.facts if f.assessor_id == assessor_id}

    def sampleable(self) -> list[int]:
        """Assessors whose work on this learner can be sampled: any assigned assessor at
        completion; part-way, only those who have judged something."""
        if self.stage == SampleStage.SUMMATIVE:
            return list(self.assessor_ids)
        judged = {f.assessor_id for f in self.facts}
        return [pk for pk in self.assessor_ids if pk in judged]


def site_of(employer: str | None) -> str:
    """The assessment site: the learner's workplace, as the registration's centre records it."""
    return (employer or "").strip() or NO_SITE


@dataclass
class Population:
    """The registrations a strategy samples from now, and what was judged in them.

    Everything a plan's coverage asks of it is indexed once here, so that checking a plan of
    S samples costs in proportion to S plus the population, never S times the population."""

    strategy: SamplingStrategy
    candidates: dict[int, Candidate]
    facts: list[Fact]
    # The assessors' names (full name, else e-mail), by id.
    assessors: dict[int, str]
    ratings: dict[int, AssessorRiskRating]
    units: dict[int, UnitInfo]
    # CAMERA's records and evidence: per (registration, unit), the kinds of record and of
    # evidence file the current decisions rest on.
    materials: list[Material] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sampleable = {pk: c.sampleable() for pk, c in self.candidates.items()}
        self._methods: dict[tuple[int, int | None], set[str]] = defaultdict(set)
        for f in self.facts:
            self._methods[f.registration_id, f.unit_id].add(f.method)
            self._methods[f.registration_id, None].add(f.method)

    def rating_of(self, assessor_id: int) -> str:
        rating = self.ratings.get(assessor_id)
        return rating.rating if rating else DEFAULT_RATING

    def assessor_order(self) -> list[int]:
        return sorted(self.assessors, key=lambda pk: (self.assessors[pk].lower(), pk))

    def assessors_sampleable(self, candidate_id: int) -> list[int]:
        return self._sampleable[candidate_id]

    def learners_by_assessor(self) -> dict[int, set[int]]:
        """Each assessor's learners whose work on them can be sampled (one pass)."""
        learners: dict[int, set[int]] = defaultdict(set)
        for candidate_id, assessor_ids in self._sampleable.items():
            for assessor_id in assessor_ids:
                learners[assessor_id].add(candidate_id)
        return learners

    def learners_of(self, assessor_id: int) -> set[int]:
        return set(self.learners_by_assessor().get(assessor_id, ()))

    def methods(self) -> set[str]:
        return {f.method for f in self.facts}

    def sites(self) -> set[str]:
        return {c.site for c in self.candidates.values()}

    def methods_in_scope(self, registration_id: int, unit_id: int | None) -> set[str]:
        """The methods judged in a sample's scope: its unit, or the whole portfolio."""
        return self._methods.get((registration_id, unit_id), set())

    def methods_covered(self, scopes: Iterable[tuple[int, int | None]]) -> set[str]:
        covered: set[str] = set()
        for registration_id, unit_id in scopes:
            covered |= self.methods_in_scope(registration_id, unit_id)
        return covered

    def sites_covered(self, registration_ids: Iterable[int]) -> set[str]:
        return {self.candidates[pk].site for pk in registration_ids if pk in self.candidates}


def population(strategy: SamplingStrategy) -> Population:
    """Registrations the strategy samples: active ones already part-way (some decision made)
    for interim sampling, complete ones for summative, each only if the strategy asks for it.
    Six queries whatever their number, each read as plain rows."""
    statuses = []
    if strategy.interim_required:
        statuses.append(RegistrationStatus.ACTIVE)
    if strategy.summative_required:
        statuses.append(RegistrationStatus.COMPLETE)
    registrations = Registration.objects.filter(
        centre_id=strategy.centre_id,
        qualification_id=strategy.qualification_id,
        status__in=statuses,
    )
    rows = list(
        # The employer the centre holds, looked up per registration by the profile's (user,
        # centre) index: joining through the learner (centre_profile) made PostgreSQL read
        # the whole users table of the platform to hash it.
        registrations.annotate(
            held_employer=Subquery(
                LearnerProfile.objects.filter(
                    user_id=OuterRef("learner_id"), centre_id=OuterRef("centre_id")
                ).values("employer")[:1]
            )
        )
        .values_list(
            "pk",
            "status",
            "internal_verifier_id",
            "start_date",
            "planned_end_date",
            "held_employer",
        )
        .order_by("pk")
    )
    # The ids just read, as a list rather than the same filter as a subquery: PostgreSQL
    # guesses a subquery's size from each column alone (a centre's share of registrations
    # times a qualification's share: thousands where there are 160) and read every decision
    # and every registration's assessors to hash them; a list it counts.
    ids = [row[0] for row in rows]
    facts = sorted(
        Fact(*row)
        for row in _current_decisions()
        .filter(registration__in=ids)
        .values_list("registration_id", "criterion__unit_id", "assessor_id", "method")
        # No ordering: the model's own would join DISTINCT and keep every decision's row.
        .order_by()
        .distinct()
    )
    facts_of: dict[int, list[Fact]] = defaultdict(list)
    for fact in facts:
        facts_of[fact.registration_id].append(fact)
    assessors_of: dict[int, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    for registration_id, user_id, full_name, email in (
        Registration.assessors.through.objects.filter(registration__in=ids)
        .values_list("registration_id", "user_id", "user__full_name", "user__email")
        .order_by("user__full_name", "user_id")
    ):
        assessors_of[registration_id].append(user_id)
        names[user_id] = full_name or email
    units_of: dict[int, list[int]] = defaultdict(list)
    unit_info: dict[int, UnitInfo] = {}
    for registration_id, unit_id, key, reference, title in (
        RegistrationUnit.objects.filter(registration__in=ids)
        .values_list("registration_id", "unit_id", "unit__key", "unit__reference", "unit__title")
        .order_by("unit__key")
    ):
        units_of[registration_id].append(unit_id)
        unit_info.setdefault(unit_id, UnitInfo(key, reference, title))

    candidates: dict[int, Candidate] = {}
    assessors: dict[int, str] = {}
    units: dict[int, UnitInfo] = {}
    for pk, status, verifier_id, start_date, planned_end_date, employer in rows:
        if status == RegistrationStatus.ACTIVE and not facts_of[pk]:
            continue  # not part-way yet: nothing judged to sample
        for person in assessors_of[pk]:
            assessors[person] = names[person]
        for unit_id in units_of[pk]:
            units[unit_id] = unit_info[unit_id]
        candidates[pk] = Candidate(
            registration_id=pk,
            stage=(
                SampleStage.SUMMATIVE
                if status == RegistrationStatus.COMPLETE
                else SampleStage.INTERIM
            ),
            site=site_of(employer),
            internal_verifier_id=verifier_id,
            start_date=start_date,
            planned_end_date=planned_end_date,
            assessor_ids=assessors_of[pk],
            unit_ids=units_of[pk],
            facts=facts_of[pk],
        )
    kept = [f for f in facts if f.registration_id in candidates]
    materials = sorted(
        {
            Material(row[0], row[1], record_label(row[2], row[3]), evidence_label(row[4]))
            for row in _current_decisions()
            # The candidates by id: as a subquery, PostgreSQL plans this join over every
            # decision in the database (seconds on a large one).
            .filter(registration__in=list(candidates), evidence__isnull=False)
            .values_list(
                "registration_id",
                "criterion__unit_id",
                "evidence__assessor_record__kind",
                "evidence__witness_request__id",
                "evidence__files__content_type",
            )
            .order_by()
            .distinct()
        }
    )
    return Population(
        strategy=strategy,
        candidates=candidates,
        facts=kept,
        assessors=assessors,
        ratings=AssessorRiskRating.objects.current_for(strategy.centre_id),
        units=units,
        materials=materials,
    )


# ---------------------------------------------------------------- coverage of a plan


@dataclass
class AssessorRow:
    assessor_id: int
    name: str
    rating: str
    rate: int
    learners: int
    required: int
    planned: int

    @property
    def met(self) -> bool:
        return self.planned >= self.required


@dataclass
class CoverageRow:
    """A unit, method or site: how many learners have it, and how many samples cover it."""

    label: str
    learners: int
    planned: int

    @property
    def met(self) -> bool:
        return self.planned > 0 or self.learners == 0


def _name(full_name: str | None, email: str | None) -> str:
    return full_name or email or ""


@dataclass(frozen=True)
class SampleRow:
    """A planned sample as the plan page prints it: plain values, names read in its one query."""

    pk: int
    registration_id: int
    unit_id: int | None
    assessor_id: int
    stage: str
    planned_on: date
    source: str
    verifier: str
    learner: str
    unit_ref: str
    unit_title: str
    assessor: str

    @property
    def stage_label(self) -> str:
        return str(SampleStage(self.stage).label)

    @property
    def source_label(self) -> str:
        return str(SampleSource(self.source).label)


@dataclass
class Grid:
    """Counts by row and column, with their labels: what a heat map and its table show."""

    rows: list[str]
    columns: list[str]
    counts: list[list[int]]

    @property
    def table(self) -> list[tuple[str, list[int], int]]:
        """Each row's label, counts and total, for the table beside the picture."""
        return [
            (label, counts, sum(counts))
            for label, counts in zip(self.rows, self.counts, strict=True)
        ]


WHOLE_PORTFOLIO = "Whole portfolio"


def _grid(
    rows: list[tuple[int, str]],
    columns: list[tuple[object, str]],
    cells: Counter[tuple[int, object]],
) -> Grid:
    return Grid(
        rows=[label for _, label in rows],
        columns=[label for _, label in columns],
        counts=[[cells[row, column] for column, _ in columns] for row, _ in rows],
    )


def sample_grids(people: Population, samples: list[SampleRow]) -> tuple[Grid, Grid]:
    """Planned samples by assessor and unit (a whole-portfolio sample in a column of its own),
    and by assessor and method, from the samples and the population already read: no query.
    Rows are every assessor with work to sample, and any other a sample names."""
    by_unit: Counter[tuple[int, object]] = Counter()
    by_method: Counter[tuple[int, object]] = Counter()
    names = dict(people.assessors)
    for sample in samples:
        names.setdefault(sample.assessor_id, sample.assessor)
        by_unit[sample.assessor_id, sample.unit_id] += 1
        for method in people.methods_in_scope(sample.registration_id, sample.unit_id):
            by_method[sample.assessor_id, method] += 1
    rows = sorted(names.items(), key=lambda item: (item[1].lower(), item[0]))
    # The units judged (the coverage table's) and any sampled: a unit nobody is judged in yet
    # has nothing to sample, and a qualification of 59 units would not fit a phone.
    sampled = {s.unit_id: s.unit_ref for s in samples if s.unit_id is not None}
    judged = {fact.unit_id for fact in people.facts}
    units: list[tuple[object, str]] = [
        (pk, people.units[pk].label if pk in people.units else sampled[pk])
        for pk in sorted(judged | set(sampled), key=lambda pk: _unit_key(people, pk))
    ]
    if any(sample.unit_id is None for sample in samples):
        units.append((None, WHOLE_PORTFOLIO))
    methods: list[tuple[object, str]] = sorted(
        ((m, str(EvidenceMethod(m).label)) for m in people.methods()), key=lambda m: m[1]
    )
    return _grid(rows, units, by_unit), _grid(rows, methods, by_method)


def _unit_key(people: Population, pk: int) -> tuple[str, int]:
    info = people.units.get(pk)
    return (info.key if info else "", pk)


@dataclass
class Coverage:
    plan: SamplingPlan
    samples: list[SampleRow]
    assessors: list[AssessorRow]
    units: list[CoverageRow]
    methods: list[CoverageRow]
    records: list[CoverageRow]
    evidence: list[CoverageRow]
    sites: list[CoverageRow]
    stages: list[CoverageRow]
    reasons: list[str]
    # The heat maps: planned samples by assessor (rows, as `assessors`) and unit, and by
    # assessor and method (a sample counts for every method judged in its scope).
    by_unit: Grid = field(default_factory=lambda: Grid([], [], []))
    by_method: Grid = field(default_factory=lambda: Grid([], [], []))

    @property
    def meets_strategy(self) -> bool:
        return not self.reasons


def plan_samples(plan: SamplingPlan) -> list[SampleRow]:
    """The plan's samples still in it, by verifier and date, as rows (one query)."""
    return [
        SampleRow(
            pk=row[0],
            registration_id=row[1],
            unit_id=row[2],
            assessor_id=row[3],
            stage=row[4],
            planned_on=row[5],
            source=row[6],
            verifier=_name(row[7], row[8]),
            learner=_name(row[9], row[10]),
            unit_ref=(row[12] or row[11] or "") if row[2] else "",
            unit_title=row[13] or "",
            assessor=_name(row[14], row[15]),
        )
        for row in plan.samples.active()
        .order_by("verifier__full_name", "planned_on", "pk")
        .values_list(
            "pk",
            "registration_id",
            "unit_id",
            "assessor_id",
            "stage",
            "planned_on",
            "source",
            "verifier__full_name",
            "verifier__email",
            "registration__learner__full_name",
            "registration__learner__email",
            "unit__key",
            "unit__reference",
            "unit__title",
            "assessor__full_name",
            "assessor__email",
        )
    ]


def _reached(
    samples: list[SampleRow], by_scope: dict[tuple[int, int | None], set[str]]
) -> dict[str, set[int]]:
    """Per label (a method, a kind of record or of evidence): the learners whose samples reach
    it, a sample of a unit reaching that unit's and a whole-portfolio sample all of them."""
    reached: dict[str, set[int]] = defaultdict(set)
    for sample in samples:
        for label in by_scope.get((sample.registration_id, sample.unit_id), ()):
            reached[label].add(sample.registration_id)
    return reached


def coverage(plan: SamplingPlan, samples: list[SampleRow] | None = None) -> Coverage:
    """How the plan covers the strategy's population now, and every way it falls short.

    In proportion to the samples plus the population: each is indexed once, then every row
    of the coverage is counted from the indexes."""
    strategy = plan.strategy
    people = population(strategy)
    if samples is None:
        samples = plan_samples(plan)
    candidates = people.candidates

    planned_by_assessor: dict[int, set[int]] = defaultdict(set)
    planned_by_unit: dict[int, set[int]] = defaultdict(set)
    planned_by_stage: dict[str, set[int]] = defaultdict(set)
    planned_by_site: dict[str, set[int]] = defaultdict(set)
    whole: set[int] = set()
    for sample in samples:
        planned_by_assessor[sample.assessor_id].add(sample.registration_id)
        planned_by_stage[sample.stage].add(sample.registration_id)
        if sample.unit_id is None:
            whole.add(sample.registration_id)
        else:
            planned_by_unit[sample.unit_id].add(sample.registration_id)
        if sample.registration_id in candidates:
            planned_by_site[candidates[sample.registration_id].site].add(sample.registration_id)

    assessor_rows = []
    reasons = []
    learners_by_assessor = people.learners_by_assessor()
    for assessor_id in people.assessor_order():
        rating = people.rating_of(assessor_id)
        rate = strategy.rate_for(rating)
        learners = learners_by_assessor.get(assessor_id, set())
        required = rounded_up_share(rate, len(learners))
        if strategy.cover_every_assessor and learners:
            required = max(required, 1)
        row = AssessorRow(
            assessor_id=assessor_id,
            name=people.assessors[assessor_id],
            rating=RiskRating(rating).label,
            rate=rate,
            learners=len(learners),
            required=required,
            planned=len(planned_by_assessor.get(assessor_id, ())),
        )
        assessor_rows.append(row)
        if not row.met:
            reasons.append(
                f"Assessor {row.name}: {row.planned} of {row.learners} "
                f"learner{'s' if row.learners != 1 else ''} planned, the strategy asks {rate} % "
                f"({required})."
            )

    # A unit's learners: those judged in it, and every complete learner taking it.
    learners_by_unit: dict[int, set[int]] = defaultdict(set)
    for fact in people.facts:
        learners_by_unit[fact.unit_id].add(fact.registration_id)
    for pk, candidate in candidates.items():
        if candidate.stage == SampleStage.SUMMATIVE:
            for unit_id in candidate.unit_ids:
                learners_by_unit[unit_id].add(pk)
    unit_rows = []
    for unit_id, unit in sorted(people.units.items(), key=lambda item: item[1].key):
        unit_learners = learners_by_unit.get(unit_id)
        if not unit_learners:
            continue
        planned = planned_by_unit.get(unit_id, set()) | (whole & unit_learners)
        unit_rows.append(
            CoverageRow(label=unit.label, learners=len(unit_learners), planned=len(planned))
        )

    learners_by_method: dict[str, set[int]] = defaultdict(set)
    for fact in people.facts:
        learners_by_method[fact.method].add(fact.registration_id)
    methods_reached = _reached(samples, people._methods)
    method_rows = []
    for method in sorted(learners_by_method, key=lambda m: EvidenceMethod(m).label):
        label = EvidenceMethod(method).label
        method_rows.append(
            CoverageRow(
                label=label,
                learners=len(learners_by_method[method]),
                planned=len(methods_reached.get(method, ())),
            )
        )
        if strategy.cover_every_method and method not in methods_reached:
            reasons.append(
                f"No sample covers the method {label.lower()}; the strategy asks for every method."
            )

    def material_rows(kind: str) -> list[CoverageRow]:
        """Records or evidence: learners whose decisions rest on each kind, and how many of
        them a sample (of that unit, or of the whole portfolio) reaches."""
        by_scope: dict[tuple[int, int | None], set[str]] = defaultdict(set)
        learners: dict[str, set[int]] = defaultdict(set)
        for material in people.materials:
            label = getattr(material, kind)
            by_scope[material.registration_id, material.unit_id].add(label)
            by_scope[material.registration_id, None].add(label)
            learners[label].add(material.registration_id)
        reached = _reached(samples, by_scope)
        return [
            CoverageRow(
                label=label, learners=len(learners[label]), planned=len(reached.get(label, ()))
            )
            for label in sorted(learners)
        ]

    learners_by_site: dict[str, set[int]] = defaultdict(set)
    learners_by_stage: dict[str, set[int]] = defaultdict(set)
    for pk, candidate in candidates.items():
        learners_by_site[candidate.site].add(pk)
        learners_by_stage[candidate.stage].add(pk)
    site_rows = []
    for site in sorted(learners_by_site):
        planned_count = len(planned_by_site.get(site, ()))
        site_rows.append(
            CoverageRow(label=site, learners=len(learners_by_site[site]), planned=planned_count)
        )
        if strategy.cover_every_site and not planned_count:
            reasons.append(
                f"No sample covers the assessment site {site}; the strategy asks for every site."
            )

    stage_rows = []
    for stage, required in (
        (SampleStage.INTERIM, strategy.interim_required),
        (SampleStage.SUMMATIVE, strategy.summative_required),
    ):
        learners = learners_by_stage.get(stage, set())
        planned = planned_by_stage.get(stage, set())
        stage_rows.append(
            CoverageRow(
                label=SampleStage(stage).label, learners=len(learners), planned=len(planned)
            )
        )
        if required and learners and not planned:
            reasons.append(
                f"No {SampleStage(stage).label.lower()} sample is planned; the strategy asks for "
                f"{SampleStage(stage).label.lower()} sampling."
            )

    return Coverage(
        plan=plan,
        samples=samples,
        assessors=assessor_rows,
        units=unit_rows,
        methods=method_rows,
        records=material_rows("record"),
        evidence=material_rows("evidence"),
        sites=site_rows,
        stages=stage_rows,
        reasons=reasons,
        **dict(zip(("by_unit", "by_method"), sample_grids(people, samples), strict=True)),
    )


def meets_strategy(plan: SamplingPlan) -> list[str]:
    """Every way the plan falls short of its strategy; empty when it meets it."""
    return coverage(plan).reasons
