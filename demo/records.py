"""The demo centre's records (issue 17): evidence retention, awarding-body registration dates
and credit transfer, told on the learners demo/quality.py has finished.

- Retention: the learner who left early (Mia Robinson at Northgate, Ascentis Certificate) left
  12 weeks ago; the centre's EQA opened its pages 6 weeks ago (external verification), so
  Ascentis's 4 weeks after it (specification L279) ran out 2 weeks ago: the admin's retention
  page lists her files as past retention, with the remove action. Every other body's period is
  shown "not stated — the centre must enter its period".

Each step finds what exists and adds what is missing, so a second run adds nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Centre, User
from demo.centres import LEFT_EARLY, DemoCentre
from portfolios.models import Registration
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
