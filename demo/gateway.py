"""Issue 19's gateway in the demo: Chloe Walsh, an apprentice on the Customer Service
Practitioner route, is at the end-point assessment gateway. Her readiness checklist is all met
and the declaration waits for its three signatures, so a demo user can sign it in the browser
(Chloe, Sarah Quinn for the employer, her assessor or the centre admin for the provider).

Everything goes through the services: her assessor judges each unit's criteria met (the units
stay unsigned: the standard does not include her qualification, so sign-off is no gateway
item, and a signed-off qualification would mark her registration complete), she logs her
off-the-job hours over the practical period and her assessor approves them, and her assessor
names the gap for each KSB her qualification cannot evidence. Her programme record (earlier
practical period, maths achieved) is demo/apprenticeships.py's. Each step finds what exists:
a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from accounts.models import Centre
from assessments.coverage import NOT_MAPPED
from assessments.gateway import name_gap, readiness_for
from assessments.models import Decision
from demo.apprenticeships import gateway_learner
from demo.centres import DemoCentre
from demo.quality import achieve_unit
from portfolios import off_the_job
from portfolios.models import (
    Apprenticeship,
    OffTheJobActivity,
    OffTheJobKind,
    OffTheJobStatus,
    Registration,
)

# Northgate's (demo/apprenticeships.gateway_learner: Lucy Fraser, her twin, at Southfield).
GATEWAY_LEARNER = "Chloe Walsh"
# A training day a week: seven hours, logged on the Wednesday.
WEEKLY_HOURS = Decimal("7")
GAP = (
    "{code} is not evidenced through this qualification's units: the mapping names nothing "
    "in them for it."
)
PLAN = (
    "Covered by the end-point assessment's professional discussion, drawing on her "
    "portfolio of work at {employer}."
)


def seed_gateway(*, centre: Centre, demo: DemoCentre) -> None:
    registration = (
        Registration.objects.filter(
            centre=centre,
            learner__full_name=gateway_learner(demo),
            learner__email__in=demo.learner_emails(),
            apprenticeship__isnull=False,
        )
        .select_related("learner", "qualification", "internal_verifier")
        .order_by("pk")
        .first()
    )
    if registration is None:
        return
    assessor = registration.assessors.order_by("pk").first()
    if assessor is None:
        return
    record = Apprenticeship.objects.select_related("employer").get(registration=registration)
    _criteria_met(registration, assessor)
    _hours(registration, record, assessor)
    readiness = readiness_for([registration])[registration.pk]
    for coverage in readiness.coverage:
        if coverage.is_covered or coverage.statement.pk in readiness.gaps:
            continue
        code = coverage.statement.code
        name_gap(
            actor=assessor,
            registration=registration,
            statement=coverage.statement,
            gap=GAP.format(code=code)
            if coverage.state in NOT_MAPPED
            else f"{code} is {coverage.label.lower()} by her portfolio so far.",
            plan=PLAN.format(employer=record.employer.name),
        )


def _criteria_met(registration: Registration, assessor: object) -> None:
    """Each of her units judged met, criterion by criterion, where none of it is judged yet
    (a unit the main demo already judged in part keeps its story)."""
    judged_units = set(
        Decision.objects.current()
        .filter(registration=registration)
        .values_list("criterion__unit_id", flat=True)
    )
    for choice in registration.unit_choices.select_related("unit").order_by("unit__key"):
        if choice.unit_id not in judged_units:
            achieve_unit(registration, choice.unit, assessor, sign_off=False)


def _hours(registration: Registration, record: Apprenticeship, assessor: object) -> None:
    """A training day a week from the practical period's start, approved, until the planned
    hours are reached."""
    approved = OffTheJobActivity.objects.filter(
        registration=registration, status=OffTheJobStatus.APPROVED
    ).aggregate(total=Sum("hours"))["total"] or Decimal("0")
    today = timezone.localdate()
    start = record.practical_start
    day = start + timedelta(days=(2 - start.weekday()) % 7)
    while approved < record.planned_otj_hours and day <= today:
        if not OffTheJobActivity.objects.filter(registration=registration, date=day).exists():
            activity = off_the_job.log(
                actor=registration.learner,
                registration=registration,
                date=day,
                hours=WEEKLY_HOURS,
                kind=OffTheJobKind.TEACHING,
                description="Training day: customer service workshop and study",
            )
            off_the_job.approve(actor=assessor, activity=activity)
            approved += WEEKLY_HOURS
        day += timedelta(weeks=1)
