"""What a strategy samples from, and how a plan covers it (CAMERA: candidates, assessors,
methods, records, evidence, sites).

Both are read in a fixed number of queries whatever the number of registrations: the plan page
and the draw share them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Prefetch

from accounts.models import User
from accounts.queries import centre_profile
from assessments.models import Decision
from portfolios.models import EvidenceMethod, Registration, RegistrationStatus, RegistrationUnit
from qualifications.models import Unit
from verification.models import (
    DEFAULT_RATING,
    AssessorRiskRating,
    PlannedSample,
    RiskRating,
    SampleStage,
    SamplingPlan,
    SamplingStrategy,
)

NO_SITE = "No employer recorded"


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


@dataclass
class Candidate:
    registration: Registration
    stage: str
    site: str
    assessor_ids: list[int]
    unit_ids: list[int]
    facts: list[Fact] = field(default_factory=list)

    def judged_units(self, assessor_id: int) -> set[int]:
        return {f.unit_id for f in self.facts if f.assessor_id == assessor_id}


def site_of(registration: Registration) -> str:
    """The assessment site: the learner's workplace, as the registration's centre records it
    (population() selects that profile as `held_profile`, left unset when there is none)."""
    profile = getattr(registration, "held_profile", None)
    return (profile.employer.strip() if profile else "") or NO_SITE


@dataclass
class Population:
    """The registrations a strategy samples from now, and what was judged in them."""

    strategy: SamplingStrategy
    candidates: dict[int, Candidate]
    facts: list[Fact]
    assessors: dict[int, User]
    ratings: dict[int, AssessorRiskRating]
    units: dict[int, Unit]
    # CAMERA's records and evidence: per (registration, unit), the kinds of record and of
    # evidence file the current decisions rest on.
    materials: list[Material] = field(default_factory=list)

    def rating_of(self, assessor_id: int) -> str:
        rating = self.ratings.get(assessor_id)
        return rating.rating if rating else DEFAULT_RATING

    def assessor_order(self) -> list[int]:
        return sorted(
            self.assessors, key=lambda pk: (self.assessors[pk].get_full_name().lower(), pk)
        )

    def assessors_sampleable(self, candidate_id: int) -> list[int]:
        """Assessors whose work on this learner can be sampled: any assigned assessor at
        completion; part-way, only those who have judged something."""
        candidate = self.candidates[candidate_id]
        if candidate.stage == SampleStage.SUMMATIVE:
            return list(candidate.assessor_ids)
        judged = {f.assessor_id for f in candidate.facts}
        return [pk for pk in candidate.assessor_ids if pk in judged]

    def learners_of(self, assessor_id: int) -> set[int]:
        return {
            candidate_id
            for candidate_id in self.candidates
            if assessor_id in self.assessors_sampleable(candidate_id)
        }

    def methods(self) -> set[str]:
        return {f.method for f in self.facts}

    def sites(self) -> set[str]:
        return {c.site for c in self.candidates.values()}

    def _in_scope(self, registration_id: int, unit_id: int | None) -> list[Fact]:
        candidate = self.candidates.get(registration_id)
        if candidate is None:
            return []
        return [f for f in candidate.facts if unit_id is None or f.unit_id == unit_id]

    def methods_covered(self, samples: Iterable[dict[str, Any]]) -> set[str]:
        return {
            f.method for s in samples for f in self._in_scope(s["registration"].pk, s["unit_id"])
        }

    def sites_covered(self, samples: Iterable[dict[str, Any]]) -> set[str]:
        return {
            self.candidates[s["registration"].pk].site
            for s in samples
            if s["registration"].pk in self.candidates
        }


def population(strategy: SamplingStrategy) -> Population:
    """Registrations the strategy samples: active ones already part-way (some decision made)
    for interim sampling, complete ones for summative, each only if the strategy asks for it.
    Five queries whatever their number."""
    statuses = []
    if strategy.interim_required:
        statuses.append(RegistrationStatus.ACTIVE)
    if strategy.summative_required:
        statuses.append(RegistrationStatus.COMPLETE)
    registrations = list(
        Registration.objects.filter(
            centre_id=strategy.centre_id,
            qualification_id=strategy.qualification_id,
            status__in=statuses,
        )
        .annotate(held_profile=centre_profile("learner", "centre"))
        .select_related("learner", "held_profile")
        .prefetch_related(
            Prefetch("assessors", queryset=User.objects.order_by("full_name", "pk")),
            Prefetch(
                "unit_choices",
                queryset=RegistrationUnit.objects.select_related("unit").order_by("unit__key"),
            ),
        )
        .order_by("pk")
    )
    facts = sorted(
        Fact(row[0], row[1], row[2], row[3])
        for row in Decision.objects.current()
        .filter(registration__in=[r.pk for r in registrations])
        .values_list("registration_id", "criterion__unit_id", "assessor_id", "method")
        .distinct()
    )
    facts_of: dict[int, list[Fact]] = defaultdict(list)
    for fact in facts:
        facts_of[fact.registration_id].append(fact)
    candidates: dict[int, Candidate] = {}
    assessors: dict[int, User] = {}
    units: dict[int, Unit] = {}
    for registration in registrations:
        if registration.status == RegistrationStatus.ACTIVE and not facts_of[registration.pk]:
            continue  # not part-way yet: nothing judged to sample
        people = list(registration.assessors.all())
        for person in people:
            assessors[person.pk] = person
        for choice in registration.unit_choices.all():
            units[choice.unit_id] = choice.unit
        candidates[registration.pk] = Candidate(
            registration=registration,
            stage=(
                SampleStage.SUMMATIVE
                if registration.status == RegistrationStatus.COMPLETE
                else SampleStage.INTERIM
            ),
            site=site_of(registration),
            assessor_ids=[p.pk for p in people],
            unit_ids=[c.unit_id for c in registration.unit_choices.all()],
            facts=facts_of[registration.pk],
        )
    kept = [f for f in facts if f.registration_id in candidates]
    materials = sorted(
        {
            Material(row[0], row[1], record_label(row[2], row[3]), evidence_label(row[4]))
            for row in Decision.objects.current()
            .filter(registration__in=list(candidates), evidence__isnull=False)
            .values_list(
                "registration_id",
                "criterion__unit_id",
                "evidence__assessor_record__kind",
                "evidence__witness_request__id",
                "evidence__files__content_type",
            )
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
    assessor: User
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


@dataclass
class Coverage:
    plan: SamplingPlan
    samples: list[PlannedSample]
    assessors: list[AssessorRow]
    units: list[CoverageRow]
    methods: list[CoverageRow]
    records: list[CoverageRow]
    evidence: list[CoverageRow]
    sites: list[CoverageRow]
    stages: list[CoverageRow]
    reasons: list[str]

    @property
    def meets_strategy(self) -> bool:
        return not self.reasons


def plan_samples(plan: SamplingPlan) -> list[PlannedSample]:
    """The plan's samples still in it, by verifier and date."""
    return list(
        plan.samples.active()
        .select_related("registration__learner", "unit", "assessor", "verifier")
        .order_by("verifier__full_name", "planned_on", "pk")
    )


def coverage(plan: SamplingPlan, samples: list[PlannedSample] | None = None) -> Coverage:
    """How the plan covers the strategy's population now, and every way it falls short."""
    strategy = plan.strategy
    people = population(strategy)
    if samples is None:
        samples = plan_samples(plan)
    scoped = [{"registration": s.registration, "unit_id": s.unit_id} for s in samples]

    assessor_rows = []
    reasons = []
    for assessor_id in people.assessor_order():
        rating = people.rating_of(assessor_id)
        rate = strategy.rate_for(rating)
        learners = people.learners_of(assessor_id)
        required = rounded_up_share(rate, len(learners))
        if strategy.cover_every_assessor and learners:
            required = max(required, 1)
        planned = len({s.registration_id for s in samples if s.assessor_id == assessor_id})
        row = AssessorRow(
            assessor=people.assessors[assessor_id],
            rating=RiskRating(rating).label,
            rate=rate,
            learners=len(learners),
            required=required,
            planned=planned,
        )
        assessor_rows.append(row)
        if not row.met:
            reasons.append(
                f"Assessor {row.assessor.get_full_name()}: {planned} of {row.learners} "
                f"learner{'s' if row.learners != 1 else ''} planned, the strategy asks {rate} % "
                f"({required})."
            )

    unit_rows = []
    for unit_id, unit in sorted(people.units.items(), key=lambda item: item[1].key):
        judged = {f.registration_id for f in people.facts if f.unit_id == unit_id}
        summative = {
            pk
            for pk, c in people.candidates.items()
            if c.stage == SampleStage.SUMMATIVE and unit_id in c.unit_ids
        }
        learners = judged | summative
        if not learners:
            continue
        planned = {
            s.registration_id
            for s in samples
            if s.unit_id == unit_id or (s.unit_id is None and s.registration_id in learners)
        }
        unit_rows.append(
            CoverageRow(
                label=f"{unit.reference or unit.key}: {unit.title}",
                learners=len(learners),
                planned=len(planned),
            )
        )

    covered_methods = people.methods_covered(scoped)
    method_rows = []
    for method in sorted(people.methods(), key=lambda m: EvidenceMethod(m).label):
        learners = {f.registration_id for f in people.facts if f.method == method}
        planned = {
            s.registration_id
            for s in samples
            if method in {f.method for f in people._in_scope(s.registration_id, s.unit_id)}
        }
        method_rows.append(
            CoverageRow(
                label=EvidenceMethod(method).label, learners=len(learners), planned=len(planned)
            )
        )
        if strategy.cover_every_method and method not in covered_methods:
            reasons.append(
                f"No sample covers the method {EvidenceMethod(method).label.lower()}; "
                "the strategy asks for every method."
            )

    def material_rows(kind: str) -> list[CoverageRow]:
        """Records or evidence: learners whose decisions rest on each kind, and how many of
        them a sample (of that unit, or of the whole portfolio) reaches."""
        rows = []
        for label in sorted({getattr(m, kind) for m in people.materials}):
            having = [m for m in people.materials if getattr(m, kind) == label]
            reached = {
                s.registration_id
                for s in samples
                for m in having
                if m.registration_id == s.registration_id and s.unit_id in (None, m.unit_id)
            }
            learners = {m.registration_id for m in having}
            rows.append(CoverageRow(label=label, learners=len(learners), planned=len(reached)))
        return rows

    site_rows = []
    for site in sorted(people.sites()):
        learners = {pk for pk, c in people.candidates.items() if c.site == site}
        planned = {s.registration_id for s in samples if s.registration_id in learners}
        site_rows.append(CoverageRow(label=site, learners=len(learners), planned=len(planned)))
        if strategy.cover_every_site and not planned:
            reasons.append(
                f"No sample covers the assessment site {site}; the strategy asks for every site."
            )

    stage_rows = []
    for stage, required in (
        (SampleStage.INTERIM, strategy.interim_required),
        (SampleStage.SUMMATIVE, strategy.summative_required),
    ):
        learners = {pk for pk, c in people.candidates.items() if c.stage == stage}
        planned = {s.registration_id for s in samples if s.stage == stage}
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
    )


def meets_strategy(plan: SamplingPlan) -> list[str]:
    """Every way the plan falls short of its strategy; empty when it meets it."""
    return coverage(plan).reasons
