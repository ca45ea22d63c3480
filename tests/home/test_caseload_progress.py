"""The assessor's caseload shows each learner's progress at a fixed query cost.

These tests build rows directly (factories, raw creates), around the services that keep the
progress read model; `recounted()` brings it level, as `recount_progress --fix` does after a
bulk load. tests/portfolios/test_readmodel.py checks the services keep it without help.
"""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Role
from assessments import plans
from assessments.models import Decision
from portfolios.models import Evidence, RegistrationUnit
from qualifications.models import Qualification, Unit
from tests.factories import CentreFactory, RegistrationFactory, member
from tests.support import clock


def recounted() -> None:
    call_command("recount_progress", "--fix", stdout=StringIO(), stderr=StringIO())


pytestmark = pytest.mark.usefixtures("catalogue")


def caseload(centre: object, assessor: object, size: int) -> list:
    today = clock.today()
    imi = Qualification.objects.get(number="601/3456/2")
    unit = Unit.objects.get(key="F/506/2131")  # 9 criteria
    registrations = []
    for _ in range(size):
        learner = member(centre, Role.LEARNER)
        registration = RegistrationFactory(
            learner=learner,
            centre=centre,
            qualification=imi,
            start_date=today - datetime.timedelta(days=90),
            planned_end_date=today + datetime.timedelta(days=10),
        )
        registration.assessors.add(assessor)
        RegistrationUnit.objects.create(registration=registration, unit=unit)
        registrations.append(registration)
    return registrations


def test_progress_is_shown_and_costs_the_same_for_3_or_200_learners(
    client: Client, django_assert_num_queries
) -> None:
    today = clock.today()
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
            assessed_on=today,
            assessor=small_assessor,
        )
    recounted()

    client.force_login(small_assessor)
    client.get("/")
    # Session, user, roles, the caseload's qualifications (for the filter), the count for the
    # pager, one query for the page with progress, pace and overdue plan actions, and the
    # internal verifier's open referrals, and invitations waiting for the person's answer; and
    # five for the warnings of their own competence (issue 17: home/competence.py); and the
    # whole caseload's pace counted for its picture (home.caseload.glance).
    with django_assert_num_queries(14):
        html = client.get("/").content.decode()
    assert "3 of 9" in html
    # 90 of 100 days gone with a third of the criteria met: behind.
    assert "<strong>Behind</strong>" in html

    client.force_login(big_assessor)
    client.get("/")
    with django_assert_num_queries(14):
        client.get("/")
    # Filtering stays in SQL: the same cost, whatever filter is chosen.
    imi = Qualification.objects.get(number="601/3456/2")
    with django_assert_num_queries(14):
        html = client.get(f"/?pace=behind&qualification={imi.pk}").content.decode()
    assert "Learners you assess at" in html
    assert ": 200 (filtered)" in html


def named(html: str, registration: object) -> bool:
    return registration.learner.full_name.replace("'", "&#x27;") in html


def test_the_caseload_shows_overdue_plan_actions_and_filters_by_them(
    client: Client, django_assert_num_queries
) -> None:
    today = clock.today()
    centre = CentreFactory()
    assessor = member(centre, Role.ASSESSOR)
    late, waiting, steady = caseload(centre, assessor, 3)
    # Started 90 days ago of 1000: nothing met yet is still on track.
    steady.planned_end_date = today + datetime.timedelta(days=910)
    steady.save(update_fields=["planned_end_date"])
    other = RegistrationFactory(
        learner=member(centre, Role.LEARNER),
        centre=centre,
        qualification=Qualification.objects.get(number="600/1686/3"),
        start_date=today,
    )
    other.assessors.add(assessor)
    plan = plans.plan_create(assessor=assessor, registration=late, title="Plan")
    for days in (-3, -1, 5):
        plans.activity_add(
            assessor=assessor,
            plan=plan,
            description=f"Activity {days}",
            method="observation",
            target_date=today + datetime.timedelta(days=days),
        )
    plans.assessor_sign(assessor=assessor, plan=plan)
    plans.learner_sign(learner=late.learner, plan=plan)
    Evidence.objects.create(
        registration=waiting,
        title="Survey",
        evidence_date=today,
        method="product",
        context="real_work_paid",
        status="submitted",
        created_by=waiting.learner,
    )
    recounted()
    client.force_login(assessor)

    html = client.get("/").content.decode()
    assert "2 overdue" in html
    assert all(named(html, r) for r in (late, waiting, steady, other))

    def shown(query: str) -> set:
        html = client.get(f"/?{query}").content.decode()
        return {r.pk for r in (late, waiting, steady, other) if named(html, r)}

    assert shown("overdue=on") == {late.pk}
    assert shown("waiting=on") == {waiting.pk}
    assert shown("pace=behind") == {late.pk, waiting.pk}
    assert shown("pace=on_track") == {steady.pk}
    assert shown(f"qualification={other.qualification_id}") == {other.pk}
    assert shown("pace=behind&overdue=on") == {late.pk}
    html = client.get("/?overdue=on&waiting=on").content.decode()
    assert "matches the filters" in html
    # The filter offers the caseload's own qualifications only.
    assert html.count("<option") == 3 + 3  # pace: any, behind, on track; any + two qualifications
    # Doing an overdue activity takes it off the count.
    plans.activity_done(assessor=assessor, activity=plan.activities.get(description="Activity -3"))
    assert "1 overdue" in client.get("/").content.decode()


def test_the_caseload_reads_the_read_model_once_a_page_and_counts_without_it(
    client: Client,
) -> None:
    """No DISTINCT and no count of the log on the page; the paginator's count is a bare join,
    and only the page's query (25 rows) works out overdue plan actions."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    centre = CentreFactory()
    assessor = member(centre, Role.ASSESSOR)
    caseload(centre, assessor, 30)
    recounted()
    client.force_login(assessor)
    client.get("/")

    for url in ("/", "/?pace=behind", "/?page=2"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        caseload_sql = [
            q["sql"] for q in queries if "portfolios_registration_assessors" in q["sql"]
        ]
        # The filter's qualifications, the pager's count, the page, and the glance's counts.
        assert len(caseload_sql) == 4, caseload_sql
        assert not any("DISTINCT" in sql for sql in caseload_sql)
        assert not any("assessments_decision" in sql for sql in caseload_sql)
        assert not any("portfolios_evidence" in sql for sql in caseload_sql)
        count, page, glance = caseload_sql[1], caseload_sql[2], caseload_sql[3]
        assert "assessments_planactivity" not in glance
        assert count.startswith("SELECT COUNT(*)")
        assert "assessments_planactivity" not in count
        assert "assessments_planactivity" in page
        assert "portfolios_registrationprogress" in page
