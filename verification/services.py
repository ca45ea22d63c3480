"""Risk ratings, sampling strategies, drawing a sampling plan and adjusting it.

Every change is one transaction with its audit event. Nothing is deleted: a rating is superseded
by a newer one, a strategy change bumps its version (the audit event keeps before and after), and
a planned sample taken out of a plan keeps its row with who, when and why.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date
from typing import Any

import rules
from django.db import transaction
from django.utils import timezone

from accounts.access import has_role_at
from accounts.models import Centre, Role, User
from core.audit import record_event
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import Qualification, Unit
from verification.models import (
    STRATEGY_SETTINGS,
    AssessorRiskRating,
    PlannedSample,
    RiskRating,
    SampleSource,
    SampleStage,
    SamplingPlan,
    SamplingStrategy,
)
from verification.queries import Candidate, Population, population, rounded_up_share


class VerificationError(Exception):
    """A change the rules refuse; the message is for the verifier."""


def _require_planner(actor: User, centre_id: int) -> None:
    # Internal verifiers and centre admins at the centre set ratings, strategies and plans.
    if not rules.test_rule("verification.plan_sampling", actor, centre_id):
        raise VerificationError(
            "Only an internal verifier or a centre admin at this centre may do this."
        )


# ---------------------------------------------------------------- risk ratings


@transaction.atomic
def set_rating(
    *, actor: User, centre: Centre, assessor: User, rating: str, reason: str = ""
) -> AssessorRiskRating:
    _require_planner(actor, centre.pk)
    if rating not in RiskRating.values:
        raise VerificationError(f"Unknown risk rating {rating!r}.")
    if not has_role_at(assessor, centre.pk, Role.ASSESSOR):
        raise VerificationError(f"{assessor} is not an assessor at {centre.name}.")
    if assessor.pk == actor.pk:
        raise VerificationError("Nobody may set the risk rating of their own assessing.")
    previous = AssessorRiskRating.objects.current_for(centre.pk).get(assessor.pk)
    made = AssessorRiskRating.objects.create(
        centre=centre, assessor=assessor, rating=rating, reason=reason.strip(), set_by=actor
    )
    record_event(
        actor=actor,
        action="verification.rating_set",
        target=made,
        centre_id=centre.pk,
        data={
            "assessor": assessor.pk,
            "rating": rating,
            "previous": previous.rating if previous else None,
            "reason": made.reason,
        },
    )
    return made


# ---------------------------------------------------------------- strategies


@transaction.atomic
def save_strategy(
    *,
    actor: User,
    centre: Centre,
    qualification: Qualification,
    values: dict[str, Any],
) -> SamplingStrategy:
    """Create the centre's strategy for a qualification, or change it (a new version)."""
    _require_planner(actor, centre.pk)
    if not centre.qualifications.filter(pk=qualification.pk).exists():
        raise VerificationError(f"{centre.name} is not approved to offer {qualification.number}.")
    unknown = set(values) - set(STRATEGY_SETTINGS)
    if unknown:
        raise VerificationError(f"Unknown strategy settings: {', '.join(sorted(unknown))}.")
    for name in ("rate_new", "rate_trainee", "rate_under_confidence", "rate_experienced"):
        if name in values and not 0 <= int(values[name]) <= 100:
            raise VerificationError("Sampling rates are percentages from 0 to 100.")
    if "unit_share" in values and not 1 <= int(values["unit_share"]) <= 100:
        raise VerificationError("The share of units is a percentage from 1 to 100.")
    strategy = (
        SamplingStrategy.objects.select_for_update()
        .filter(centre=centre, qualification=qualification)
        .first()
    )
    if strategy is None:
        strategy = SamplingStrategy(centre=centre, qualification=qualification, updated_by=actor)
        for name, value in values.items():
            setattr(strategy, name, value)
        strategy.save()
        record_event(
            actor=actor,
            action="verification.strategy_created",
            target=strategy,
            centre_id=centre.pk,
            data={"version": 1, "settings": strategy.settings_snapshot()},
        )
        return strategy
    before = strategy.settings_snapshot()
    for name, value in values.items():
        setattr(strategy, name, value)
    after = strategy.settings_snapshot()
    if after == before:
        return strategy
    strategy.version += 1
    strategy.updated_by = actor
    strategy.updated_at = timezone.now()
    strategy.save()
    record_event(
        actor=actor,
        action="verification.strategy_changed",
        target=strategy,
        centre_id=centre.pk,
        data={
            "version": strategy.version,
            "before": before,
            "after": after,
        },
    )
    return strategy


# ---------------------------------------------------------------- drawing a plan


def _interim_date(candidate: Candidate, start: date, end: date) -> date:
    """Half-way through the learner's programme, kept inside the plan's period."""
    if candidate.planned_end_date and candidate.planned_end_date > candidate.start_date:
        middle = candidate.start_date + (candidate.planned_end_date - candidate.start_date) / 2
    else:
        middle = start + (end - start) / 2
    return min(max(middle, start), end)


def _draw(
    strategy: SamplingStrategy,
    people: Population,
    start: date,
    end: date,
) -> list[dict[str, Any]]:
    """The samples the strategy asks for, as field values. Deterministic: the same strategy
    version, period and registrations always give the same plan (a seeded shuffle, so no
    learner is favoured by the order they were registered in)."""
    # Reproducible, not secret: a seeded generator is the point here.
    rng = random.Random(f"{strategy.pk}:{strategy.version}:{start.isoformat()}")  # noqa: S311
    chosen: list[dict[str, Any]] = []
    seen: set[tuple[int, int | None, int]] = set()

    def add(candidate_id: int, assessor_id: int, units: Iterable[int | None]) -> None:
        candidate = people.candidates[candidate_id]
        for unit_id in units:
            key = (candidate_id, unit_id, assessor_id)
            if key in seen:
                continue
            seen.add(key)
            summative = candidate.stage == SampleStage.SUMMATIVE
            chosen.append(
                {
                    "registration_id": candidate_id,
                    "unit_id": unit_id,
                    "assessor_id": assessor_id,
                    "stage": candidate.stage,
                    "planned_on": start if summative else _interim_date(candidate, start, end),
                    "verifier_id": candidate.internal_verifier_id,
                }
            )

    def units_for(candidate_id: int, assessor_id: int) -> list[int | None]:
        candidate = people.candidates[candidate_id]
        if candidate.stage == SampleStage.SUMMATIVE:
            return [None]  # the whole portfolio
        # Part-way there is only something to sample where this assessor has judged.
        pool = sorted(candidate.judged_units(assessor_id))
        rng.shuffle(pool)
        return list(pool[: max(1, rounded_up_share(strategy.unit_share, len(pool)))])

    learners_by_assessor = people.learners_by_assessor()
    for assessor_id in people.assessor_order():
        learners = sorted(learners_by_assessor.get(assessor_id, ()))
        rng.shuffle(learners)
        rate = strategy.rate_for(people.rating_of(assessor_id))
        need = rounded_up_share(rate, len(learners))
        if strategy.cover_every_assessor and learners:
            need = max(need, 1)
        for candidate_id in learners[:need]:
            add(candidate_id, assessor_id, units_for(candidate_id, assessor_id))

    # Top up so every method and every site used is sampled at least once.
    if strategy.cover_every_method:
        for method in sorted(people.methods()):
            if method in people.methods_covered(
                (c["registration_id"], c["unit_id"]) for c in chosen
            ):
                continue
            facts = sorted(f for f in people.facts if f.method == method)
            fact = facts[rng.randrange(len(facts))]
            candidate = people.candidates[fact.registration_id]
            unit = None if candidate.stage == SampleStage.SUMMATIVE else fact.unit_id
            add(fact.registration_id, fact.assessor_id, [unit])
    if strategy.cover_every_site:
        for site in sorted(people.sites()):
            if site in people.sites_covered(c["registration_id"] for c in chosen):
                continue
            options = sorted(
                (candidate_id, assessor_id)
                for candidate_id, candidate in people.candidates.items()
                if candidate.site == site
                for assessor_id in people.assessors_sampleable(candidate_id)
            )
            if options:
                candidate_id, assessor_id = options[rng.randrange(len(options))]
                add(candidate_id, assessor_id, units_for(candidate_id, assessor_id)[:1])
    return chosen


@transaction.atomic
def draw_plan(
    *, actor: User, strategy: SamplingStrategy, period_start: date, period_end: date
) -> SamplingPlan:
    """A new plan drawn from the strategy over the centre's current registrations. Earlier
    plans stay as they were; the latest is the current one."""
    _require_planner(actor, strategy.centre_id)
    if period_end < period_start:
        raise VerificationError("The plan's period must end on or after the day it starts.")
    strategy = SamplingStrategy.objects.select_for_update().get(pk=strategy.pk)
    people = population(strategy)
    plan = SamplingPlan.objects.create(
        strategy=strategy,
        strategy_version=strategy.version,
        period_start=period_start,
        period_end=period_end,
        created_by=actor,
    )
    drawn = _draw(strategy, people, period_start, period_end)
    PlannedSample.objects.bulk_create(
        PlannedSample(plan=plan, source=SampleSource.DRAWN, added_by=actor, **values)
        for values in drawn
    )
    record_event(
        actor=actor,
        action="verification.plan_drawn",
        target=plan,
        centre_id=strategy.centre_id,
        data={
            "strategy": strategy.pk,
            "strategy_version": strategy.version,
            "period": [period_start.isoformat(), period_end.isoformat()],
            "samples": len(drawn),
        },
    )
    return plan


# ---------------------------------------------------------------- adjusting a plan


def _require_current(plan: SamplingPlan) -> None:
    # An earlier plan is the record of what was planned then; only the current one changes.
    latest = SamplingPlan.objects.filter(strategy_id=plan.strategy_id).first()
    if latest is None or latest.pk != plan.pk:
        raise VerificationError(
            "A newer plan has been drawn since; only the current plan can be adjusted."
        )


@transaction.atomic
def add_planned_sample(
    *,
    actor: User,
    plan: SamplingPlan,
    registration: Registration,
    assessor: User,
    stage: str,
    planned_on: date,
    unit: Unit | None = None,
) -> PlannedSample:
    strategy = plan.strategy
    _require_planner(actor, strategy.centre_id)
    _require_current(plan)
    if (
        registration.centre_id != strategy.centre_id
        or registration.qualification_id != strategy.qualification_id
    ):
        raise VerificationError("That learner is not registered on this plan's qualification.")
    if registration.status not in (RegistrationStatus.ACTIVE, RegistrationStatus.COMPLETE):
        raise VerificationError("Only active or complete registrations can be sampled.")
    if stage not in SampleStage.values:
        raise VerificationError(f"Unknown sampling stage {stage!r}.")
    if not registration.assessors.filter(pk=assessor.pk).exists():
        raise VerificationError(f"{assessor} does not assess this learner.")
    if unit is not None and not registration.unit_choices.filter(unit=unit).exists():
        raise VerificationError("The learner does not take that unit.")
    if not plan.period_start <= planned_on <= plan.period_end:
        raise VerificationError(
            f"The planned date must fall within the plan's period, "
            f"{plan.period_start:%-d %B %Y} to {plan.period_end:%-d %B %Y}."
        )
    if (
        plan.samples.active()
        .filter(registration=registration, unit=unit, assessor=assessor, stage=stage)
        .exists()
    ):
        raise VerificationError("That sample is already in the plan.")
    sample = PlannedSample.objects.create(
        plan=plan,
        registration=registration,
        unit=unit,
        assessor=assessor,
        stage=stage,
        planned_on=planned_on,
        verifier_id=registration.internal_verifier_id,
        source=SampleSource.MANUAL,
        added_by=actor,
    )
    record_event(
        actor=actor,
        action="verification.sample_added",
        target=sample,
        centre_id=strategy.centre_id,
        data={
            "plan": plan.pk,
            "registration": registration.pk,
            "unit": unit.pk if unit else None,
            "assessor": assessor.pk,
            "stage": stage,
            "planned_on": planned_on.isoformat(),
        },
    )
    return sample


@transaction.atomic
def remove_planned_sample(*, actor: User, sample: PlannedSample, reason: str) -> PlannedSample:
    """Take a sample out of the plan. The row stays, marked removed, with the reason."""
    sample = (
        PlannedSample.objects.select_for_update().select_related("plan__strategy").get(pk=sample.pk)
    )
    centre_id = sample.plan.strategy.centre_id
    _require_planner(actor, centre_id)
    _require_current(sample.plan)
    if sample.removed_at is not None:
        raise VerificationError("That sample is already removed from the plan.")
    if not reason.strip():
        raise VerificationError("Say why the sample is removed from the plan.")
    sample.removed_at = timezone.now()
    sample.removed_by = actor
    sample.removal_reason = reason.strip()
    sample.save(update_fields=["removed_at", "removed_by", "removal_reason"])
    record_event(
        actor=actor,
        action="verification.sample_removed",
        target=sample,
        centre_id=centre_id,
        data={"plan": sample.plan_id, "reason": sample.removal_reason},
    )
    return sample
