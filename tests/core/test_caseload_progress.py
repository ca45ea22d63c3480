"""The assessor's caseload shows each learner's progress at a fixed query cost."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from accounts.models import Role
from assessments.models import Decision
from portfolios.models import RegistrationUnit
from qualifications.models import Qualification, Unit
from tests.factories import CentreFactory, RegistrationFactory, member

TODAY = datetime.date.today()

pytestmark = pytest.mark.usefixtures("catalogue")


def caseload(centre: object, assessor: object, size: int) -> list:
    imi = Qualification.objects.get(number="601/3456/2")
    unit = Unit.objects.get(key="F/506/2131")  # 9 criteria
    registrations = []
    for _ in range(size):
        learner = member(centre, Role.LEARNER)
        registration = RegistrationFactory(
            learner=learner,
            centre=centre,
            qualification=imi,
            start_date=TODAY - datetime.timedelta(days=90),
            planned_end_date=TODAY + datetime.timedelta(days=10),
        )
        registration.assessors.add(assessor)
        RegistrationUnit.objects.create(registration=registration, unit=unit)
        registrations.append(registration)
    return registrations


def test_progress_is_shown_and_costs_the_same_for_3_or_200_learners(
    client: Client, django_assert_num_queries
) -> None:
    small_centre, big_centre = CentreFactory(), CentreFactory()
    small_assessor = member(small_centre, Role.ASSESSOR)
    big_assessor = member(big_centre, Role.ASSESSOR)
    small = caseload(small_centre, small_assessor, 3)
    caseload(big_centre, big_assessor, 200)
    unit = Unit.objects.get(key="F/506/2131")
    for criterion in unit.criteria.order_by("position")[:3]:
        Decision.objects.create(
            registration=small[0],
            criterion=criterion,
            outcome="met",
            method="observation",
            assessed_on=TODAY,
            assessor=small_assessor,
        )

    client.force_login(small_assessor)
    client.get("/")
    # Session, user, roles, the count for the pager, and one query for the page with progress.
    with django_assert_num_queries(5):
        html = client.get("/").content.decode()
    assert "3 of 9" in html
    # 90 of 100 days gone with a third of the criteria met: behind.
    assert "<strong>Behind</strong>" in html

    client.force_login(big_assessor)
    client.get("/")
    with django_assert_num_queries(5):
        client.get("/")
