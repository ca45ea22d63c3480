"""Issue 17 in the demo: the staff's occupational competence, one trainee assessor with a
countersigning colleague, and one competence about to lapse (so the warnings show).

Assessing and internal verification are refused without a current credential and occupational
competence (accounts/competence.py); demo/seed.py records the staff's qualifications, this adds
the rest. Finds what exists, adds what is missing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.competence import RECENT_YEARS, TRAINEE_MONTHS, add_months
from accounts.models import Centre, CompetenceRecord, Role, StaffCredential, User
from accounts.services import competence_record_add, credential_add, person_create
from demo.centres import DEMO_PASSWORD, DemoCentre

# The verifier's latest occupational experience lapses this many days from the day of seeding.
LAPSES_IN_DAYS = 40


def _experience(actor: User | None, user: User, centre: Centre, day: Any, activity: str) -> None:
    has = CompetenceRecord.objects.filter(
        user=user, centre=centre, kind=CompetenceRecord.Kind.OCCUPATIONAL
    ).exists()
    if not has:
        competence_record_add(
            actor=actor,
            user=user,
            centre=centre,
            kind=CompetenceRecord.Kind.OCCUPATIONAL,
            date=day,
            activity=activity,
        )


def give_competence(*, actor: User | None, centre: Centre, staff: dict[str, str]) -> None:
    """A held qualification for each role and recent occupational experience, covering every
    qualification, for `staff` ({e-mail: role}): the scale demo's people."""
    today = timezone.localdate()
    for email, role in staff.items():
        user = User.objects.get(email=email)
        credential_add(
            actor=actor,
            user=user,
            centre=centre,
            kind=StaffCredential.Kind.ASSESSOR
            if role == Role.ASSESSOR
            else StaffCredential.Kind.VERIFIER,
            title="Level 3 Certificate in Assessing"
            if role == Role.ASSESSOR
            else "Level 4 Award in Internal Quality Assurance",
            status=StaffCredential.Status.HELD,
            achieved_on=add_months(today, -60),
        )
        _experience(actor, user, centre, today - timedelta(days=90), "Team leader, contact centre")


def seed_competence(*, centre: Centre, demo: DemoCentre) -> None:
    actor = User.objects.get(email=demo.centre_admin.email)
    today = timezone.localdate()
    _experience(
        actor,
        User.objects.get(email=demo.assessor_iv.email),
        centre,
        today - timedelta(days=200),
        "Customer service team leader (part-time, alongside assessing)",
    )
    _experience(
        actor,
        User.objects.get(email=demo.assessor.email),
        centre,
        today - timedelta(days=120),
        "Custody suite customer service supervisor",
    )
    # Recorded nearly three years ago: lapses within the warning window.
    _experience(
        actor,
        User.objects.get(email=demo.verifier.email),
        centre,
        add_months(today, -12 * RECENT_YEARS) + timedelta(days=LAPSES_IN_DAYS),
        "Contact centre operations manager",
    )
    # The trainee: working towards the assessor qualification since four months ago, within
    # SFJ's 18 months, countersigned by the centre's qualified assessor.
    domain = demo.assessor.email.split("@", 1)[1]
    trainee, _ = person_create(
        actor=actor,
        centre=centre,
        email=f"trainee.assessor@{domain}",
        full_name="Tariq Trainee",
        role=Role.ASSESSOR,
        password=DEMO_PASSWORD,
    )
    started = today - timedelta(days=120)
    credential_add(
        actor=actor,
        user=trainee,
        centre=centre,
        kind=StaffCredential.Kind.ASSESSOR,
        title="Level 3 Certificate in Assessing Vocational Achievement",
        status=StaffCredential.Status.WORKING_TOWARDS,
        started_on=started,
        deadline=add_months(started, TRAINEE_MONTHS),
        countersigner=User.objects.get(email=demo.assessor.email),
    )
    _experience(actor, trainee, centre, today - timedelta(days=60), "Customer service adviser")
