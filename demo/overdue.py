"""A learner past their planned end date (issue 18): the demo assessor's caseload picture
(home.caseload.glance) shows one learner in each group, Overdue included.

Every demo registration is planned for a year from a start at most a few months back, so none
would be overdue. The demo assessor's learner at work who started first (Owen Jenkins at
Northgate: 1 criterion met of 149, long behind) had his planned end date three weeks ago and is
still active: the centre has not yet extended it or withdrawn him.

No service changes a planned end date (the date is set at registration), so this is a direct
update, with the progress read model recounted in the same transaction as the services do
(portfolios.readmodel.refresh_progress: its pace depends on the planned end). It finds what
exists: a second run, once the date has passed, changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Centre
from demo.centres import DemoCentre
from portfolios.models import Registration, RegistrationStatus
from portfolios.readmodel import refresh_progress

OVERDUE_BY = timedelta(weeks=3)


def seed_overdue_learner(*, centre: Centre, demo: DemoCentre) -> None:
    today = timezone.localdate()
    active = Registration.objects.filter(
        centre=centre,
        assessors__email=demo.assessor.email,
        learner__email__in=demo.learner_emails(),
        status=RegistrationStatus.ACTIVE,
    )
    if active.filter(planned_end_date__lt=today).exists():
        return
    first = active.order_by("start_date", "pk").first()
    end = today - OVERDUE_BY
    if first is None or first.start_date >= end:
        return
    with transaction.atomic():
        Registration.objects.filter(pk=first.pk).update(planned_end_date=end)
        refresh_progress(first.pk)
