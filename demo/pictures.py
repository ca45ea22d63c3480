"""Progress over time, for the pictures (issue 18): two learners at work whose criteria were met
week after week, so the portfolio's running total climbs in steps rather than in the one or two
jumps of the other stories; the first by week (a month in), the other by month (half a year in).

Each learner's observations are one submitted work log mapped to the criteria, judged met one
criterion at a time on the days the assessor saw them. A second run finds the log and adds
nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from assessments.models import Decision
from assessments.services import record_decision
from demo.centres import DemoCentre
from demo.common import criteria_by_unit
from portfolios.evidence import evidence_create, map_criteria, submit
from portfolios.models import EvidenceContext, EvidenceMethod, Registration, RegistrationStatus

LOG_TITLE = "Work log: jobs my assessor observed, week by week"
# (how many learners in from the start of the demo's list, days between observations)
PACES = ((0, 5), (8, 25))
OBSERVED = 6


def seed_progress_over_time(*, centre: Any, demo: DemoCentre) -> None:
    registrations = list(
        Registration.objects.filter(
            centre=centre,
            learner__email__in=demo.learner_emails(),
            status=RegistrationStatus.ACTIVE,
            # Pearson's decisions wait for the IV before the learner sees them: these stories
            # are about what the learner sees, so they are told on other qualifications.
            qualification__decisions_need_validation=False,
        )
        .select_related("learner", "qualification")
        .prefetch_related("assessors")
        .order_by("-start_date", "pk")
    )
    if not registrations:
        return
    for position, every in PACES:
        registration = registrations[min(position, len(registrations) - 1)]
        if registration.evidence.filter(title=LOG_TITLE).exists():
            continue
        _observed_week_by_week(registration, every)


def _observed_week_by_week(registration: Any, every: int) -> None:
    learner = registration.learner
    assessor = registration.assessors.all()[0]
    today = timezone.localdate()
    decided = set(
        Decision.objects.current()
        .filter(registration=registration)
        .values_list("criterion_id", flat=True)
    )
    open_criteria = [
        c for unit in criteria_by_unit(registration) for c in unit if c.pk not in decided
    ]
    days = [
        day
        for n in range(OBSERVED)
        if (day := registration.start_date + timedelta(days=5 + every * n)) <= today
    ]
    chosen = open_criteria[: len(days)]
    if not chosen:
        return
    log = evidence_create(
        actor=learner,
        registration=registration,
        title=LOG_TITLE,
        description="The jobs I did while my assessor watched, one entry per visit.",
        evidence_date=days[0],
        method=EvidenceMethod.PRODUCT,
        context=EvidenceContext.REAL_WORK_PAID,
    )
    map_criteria(actor=learner, evidence=log, criteria=chosen)
    submit(actor=learner, evidence=log, typed_name=learner.full_name, confirmed=True)
    for criterion, day in zip(chosen, days, strict=False):
        _met(assessor, registration, criterion, day, log)


def _met(assessor: Any, registration: Any, criterion: Any, day: date, log: Any) -> None:
    record_decision(
        assessor=assessor,
        registration=registration,
        criterion=criterion,
        outcome="met",
        method=EvidenceMethod.OBSERVATION,
        assessed_on=day,
        feedback="Observed at work on this visit: met.",
        evidence=[log],
    )
