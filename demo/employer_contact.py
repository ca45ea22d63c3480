"""Issue 19's demo, the employer contact's side: one apprentice behind on their off-the-job hours
(Hannah Price at the first demo centre: a few hours logged and approved, well short of the plan
to date), one on plan (Daniel Hughes, whose progress review is overdue instead: each of
the demo's three apprentices shows one state of the cohort page), and one apprentice's
testimony asked of the employer contact (Sarah Quinn) through their account, waiting on her
home page.

Through the services (off_the_job.log and approve, witness_request_create), so each has its
audit events. A second run finds what it made and adds nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Centre, User
from demo.centres import DemoCentre
from portfolios import off_the_job
from portfolios.evidence import EvidenceError
from portfolios.models import (
    OffTheJobActivity,
    OffTheJobKind,
    Registration,
    RegistrationStatus,
    WitnessRequest,
)
from portfolios.witness import witness_request_create
from qualifications.models import AssessmentCriterion

# The apprentice behind on hours; at a demo centre without her, its last apprentice by name.
BEHIND = "Hannah Price"
# The apprentice on plan for hours (demo/reviews.py makes his review overdue).
ON_PLAN = "Daniel Hughes"
ON_PLAN_WEEKLY = "A weekly half day of training with the guest services team"
# (weeks back, hours, kind, what was done): some 11 hours approved, against over a hundred due
# by now on a 278-hour plan half way through its practical period.
BEHIND_ENTRIES = (
    (9, "3", OffTheJobKind.TEACHING, "Induction workshop: the service promise"),
    (7, "2.5", OffTheJobKind.ONLINE, "E-learning: handling personal data"),
    (5, "4", OffTheJobKind.PRACTICAL, "Shadowed the duty manager at check-in"),
    (3, "2", OffTheJobKind.MENTORING, "Mentoring session on complaint handling"),
)
ACTIVITY = (
    "Handling a guest's complaint about a double-booked room at the front desk: listening, "
    "apologising, finding an upgrade and following it up the next morning."
)


def _apprentices(centre: Centre) -> list[Registration]:
    return list(
        Registration.objects.filter(
            centre=centre, status=RegistrationStatus.ACTIVE, apprenticeship__isnull=False
        )
        .select_related("learner", "apprenticeship__employer")
        .prefetch_related("assessors")
        .order_by("learner__full_name", "pk")
    )


def seed_employer_contact(*, centre: Centre, demo: DemoCentre) -> None:
    apprentices = _apprentices(centre)
    if not apprentices:
        return
    behind = next((r for r in apprentices if r.learner.full_name == BEHIND), apprentices[-1])
    _hours_behind(behind)
    on_plan = next((r for r in apprentices if r.learner.full_name == ON_PLAN), None)
    if on_plan is not None and on_plan.pk != behind.pk:
        _hours_on_plan(on_plan)
    contact = User.objects.filter(email=demo.employer_contact.email).first()
    if contact is not None:
        _testimony_asked(apprentices[0], contact)


def _hours_behind(registration: Registration) -> None:
    if OffTheJobActivity.objects.filter(registration=registration).exists():
        return
    assessor = registration.assessors.order_by("pk").first()
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    for weeks, hours, kind, description in BEHIND_ENTRIES:
        activity = off_the_job.log(
            actor=registration.learner,
            registration=registration,
            date=max(monday - timedelta(weeks=weeks), registration.start_date),
            hours=Decimal(hours),
            kind=kind,
            description=description,
        )
        if assessor is not None:
            off_the_job.approve(actor=assessor, activity=activity)


def _hours_on_plan(registration: Registration) -> None:
    """A weekly session since the practical period began, each a little more than the plan's
    weekly share, so the approved hours stay ahead of the plan to date."""
    plan = off_the_job.programme_plan(registration)
    if plan is None or OffTheJobActivity.objects.filter(registration=registration).exists():
        return
    assessor = registration.assessors.order_by("pk").first()
    weeks = Decimal(max((plan.end - plan.start).days, 7)) / 7
    weekly = (plan.hours / weeks).quantize(Decimal("1")) + 1
    day, today = max(plan.start, registration.start_date), timezone.localdate()
    while day < today:
        activity = off_the_job.log(
            actor=registration.learner,
            registration=registration,
            date=day,
            hours=weekly,
            kind=OffTheJobKind.PRACTICAL,
            description=ON_PLAN_WEEKLY,
        )
        if assessor is not None:
            off_the_job.approve(actor=assessor, activity=activity)
        day += timedelta(weeks=1)


def _testimony_asked(registration: Registration, contact: User) -> None:
    if WitnessRequest.objects.filter(witness_user=contact).exists():
        return
    criteria = list(
        AssessmentCriterion.objects.filter(
            unit__in=registration.unit_choices.values("unit_id")
        ).order_by("unit__key", "position")[:2]
    )
    if not criteria:
        return
    try:
        witness_request_create(
            actor=registration.learner,
            registration=registration,
            contact=contact,
            witness_name="",
            witness_email="",
            job_title="Front of house manager",
            relationship="line manager",
            is_expert=False,
            activity=ACTIVITY,
            criteria=criteria,
        )
    except EvidenceError:
        # Criteria the demo's rules on where evidence came from refuse: no request, as the
        # form would say.
        return
