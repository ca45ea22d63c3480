"""The demo centre's records (issue 17): evidence retention, awarding-body registration dates
and credit transfer, told on the learners demo/quality.py has finished.

- Retention: the learner who left early (Mia Robinson at Northgate, Ascentis Certificate) left
  12 weeks ago; the centre's EQA opened its pages 6 weeks ago (external verification), so
  Ascentis's 4 weeks after it (specification L279) ran out 2 weeks ago: the admin's retention
  page lists her files as past retention, with the remove action. Every other body's period is
  shown "not stated — the centre must enter its period".
- Awarding-body registration: the first Ascentis learner at work has her Ascentis registration
  recorded two weeks after her start; the others show as due or overdue (seven weeks after the
  start, specification L249) on the admin's home and registrations pages.

Each step finds what exists and adds what is missing, so a second run adds nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Centre, User
from demo.centres import LEFT_EARLY, DemoCentre
from portfolios import awarding_body
from portfolios.models import Registration, RegistrationStatus
from verification.models import EqaPageView


def seed_records(*, centre: Centre, demo: DemoCentre) -> None:
    now = timezone.now()
    left = next(learner for learner in demo.finished if learner.story == LEFT_EARLY)
    # She left 12 weeks ago: the day the registration last changed is the day it finished.
    Registration.objects.filter(
        centre=centre,
        learner__email=demo.learner_email(left.name),
        updated_at__gt=now - timedelta(weeks=11),  # once: a second run leaves it
    ).update(updated_at=now - timedelta(weeks=12))
    eqa = User.objects.get(email=demo.eqa.email)
    if not EqaPageView.objects.filter(user=eqa, centre=centre).exists():
        # The EQA's visit six weeks ago, as the page log records one.
        for path in ("/", "/verification/claims/", "/verification/claims/holds/"):
            EqaPageView.objects.create(
                user=eqa,
                centre=centre,
                method="GET",
                path=path,
                status=200,
                viewed_at=now - timedelta(weeks=6),
            )

    first = (
        Registration.objects.filter(
            centre=centre,
            status=RegistrationStatus.ACTIVE,
            qualification__awarding_body__code="ASCENTIS",
            learner__email__in=demo.learner_emails(),
        )
        .select_related("qualification__awarding_body")
        .order_by("pk")
        .first()
    )
    if first is not None and first.awarding_body_registered_on is None:
        awarding_body.record(
            actor=User.objects.get(email=demo.centre_admin.email),
            registration=first,
            number=first.awarding_body_number or f"{demo.registration_prefix}{first.pk:05d}",
            registered_on=min(first.start_date + timedelta(weeks=2), timezone.localdate()),
        )
