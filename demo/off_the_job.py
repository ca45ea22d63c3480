"""Off-the-job training for the demo (issue 19, point 3): the first demo learner on a
qualification with an apprenticeship standard (NCFE 601/3973/0, mapped to the Customer Service
Practitioner; or Pearson 603/5450/1) has four weeks of logged hours: approved, waiting for
review, and one queried by their assessor with the reason. Through the services, so each has
its audit events; a second run finds the log and changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Centre
from demo.centres import DemoCentre
from portfolios import off_the_job
from portfolios.models import OffTheJobActivity, OffTheJobKind, Registration, RegistrationStatus
from qualifications.models import Standard, Statement

# (weeks back, day of that week, hours, kind, what was done, KSB codes, what the assessor did)
ENTRIES = (
    (
        4,
        0,
        "3",
        OffTheJobKind.TEACHING,
        "Induction workshop: the customer journey",
        ("K1",),
        "approve",
    ),
    (4, 2, "2", OffTheJobKind.ONLINE, "E-learning module on data protection", ("K4",), "approve"),
    (
        3,
        1,
        "4",
        OffTheJobKind.PRACTICAL,
        "Shadowed a team leader on the complaints desk",
        ("S2",),
        "approve",
    ),
    (
        3,
        3,
        "1.5",
        OffTheJobKind.MENTORING,
        "Mentoring session on handling difficult calls",
        ("B1",),
        "approve",
    ),
    (
        2,
        0,
        "3",
        OffTheJobKind.ASSIGNMENT,
        "Wrote up a reflective account of a service recovery",
        ("K2", "S1"),
        "approve",
    ),
    (2, 4, "6", OffTheJobKind.SELF_STUDY, "Read about service standards", ("K3",), "query"),
    (
        1,
        1,
        "2.5",
        OffTheJobKind.INDUSTRY_VISIT,
        "Visit to the regional contact centre",
        ("K1",),
        "",
    ),
    (1, 3, "2", OffTheJobKind.TEACHING, "Workshop on product knowledge", ("K5",), ""),
)
QUERY = (
    "Six hours of reading in one day: which material, and was it in your working hours? "
    "Split it by source if you can."
)


def seed_off_the_job(*, centre: Centre, demo: DemoCentre) -> None:
    registration = (
        Registration.objects.filter(
            centre=centre,
            learner__email__in=demo.learner_emails(),
            status=RegistrationStatus.ACTIVE,
            qualification_id__in=Standard.objects.values("qualification_id"),
        )
        .select_related("learner")
        .prefetch_related("assessors")
        .order_by("start_date", "pk")
        .first()
    )
    if registration is None or OffTheJobActivity.objects.filter(registration=registration).exists():
        return
    assessor = registration.assessors.order_by("pk").first()
    statements = {
        s.code: s
        for s in Statement.objects.filter(standard__qualification_id=registration.qualification_id)
    }
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    for weeks, day, hours, kind, description, codes, review in ENTRIES:
        activity = off_the_job.log(
            actor=registration.learner,
            registration=registration,
            date=monday - timedelta(weeks=weeks) + timedelta(days=day),
            hours=Decimal(hours),
            kind=kind,
            description=description,
            statements=[statements[code] for code in codes if code in statements],
        )
        if assessor is None:
            continue
        if review == "approve":
            off_the_job.approve(actor=assessor, activity=activity)
        elif review == "query":
            off_the_job.query(actor=assessor, activity=activity, reason=QUERY)
