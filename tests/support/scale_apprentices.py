"""seed_scale's apprentices built small on the test database, for the tests of the benchmark
suites that measure them (bench/pages_apprenticeship.py, bench/pages_apprenticeship_reviews.py):
three NCFE learners on one assessor, made apprentices by demo/scale.py's `apprentices`, and,
when asked, given their progress reviews and gateway by `apprentice_reviews`."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection

from accounts.models import Role
from demo.scale import Sizes, apprentice_reviews, apprentices
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.factories import CentreFactory, member
from tests.support import clock

NCFE = "601/3973/0"
UNITS = ("F/506/2131",)
LEARNERS = 3


def scale_apprentices(sizes: Sizes, *, days_apart: int, reviews: bool = False) -> dict[str, Any]:
    """The centre, its admin and the assessor. The learners started 200 days ago, each next one
    `days_apart` days earlier (apart enough, their hours behind differ and order the cohort)."""
    today = clock.today()
    centre = CentreFactory()
    ncfe = Qualification.objects.get(number=NCFE)
    centre.qualifications.add(ncfe)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR)
    for n in range(LEARNERS):
        register_learner(
            actor=admin,
            learner=member(centre, Role.LEARNER, full_name=f"Apprentice {n}"),
            centre=centre,
            qualification=ncfe,
            start_date=today - datetime.timedelta(days=200 + days_apart * n),
            unit_keys=UNITS,
            assessors=[assessor],
        )
    apprentices(centre=centre, admin=admin, assessor=assessor, sizes=sizes)
    if reviews:
        apprentice_reviews(centre=centre, admin=admin, sizes=sizes)
    return {"centre": centre, "admin": admin, "assessor": assessor}


def rows_of(sql: str, params: dict) -> list[tuple]:
    """What a floor's query returns."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
