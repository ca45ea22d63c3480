"""The pictures of progress (issue 18, point 3): each page draws its picture and puts the same
figures in a table, from a small known data set, at a query cost that does not grow with data.

The drawing itself is tested in tests/core/test_charts.py; the browser checks (axe, 390 px) in
tests/browser/test_pictures.py.
"""

from __future__ import annotations

import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from assessments.models import Decision, DecisionValidation, ReleaseSetting, ValidationOutcome
from certification.models import ClaimHold, HoldKind
from portfolios.models import RegistrationStatus, RegistrationUnit
from qualifications.models import Qualification, Unit
from tests.factories import CentreFactory, RegistrationFactory, member
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

IMI = "601/3456/2"
UNIT = "F/506/2131"  # 9 criteria


def recounted() -> None:
    call_command("recount_progress", "--fix", stdout=StringIO(), stderr=StringIO())


def section(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"')[1].split("</table>")[0]


def rows(table: str) -> dict[str, list[str]]:
    """Row heading -> the row's cells, tags stripped."""
    found = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        heading = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if heading:
            found[re.sub(r"<[^>]+>", "", heading.group(1)).strip()] = [
                re.sub(r"<[^>]+>", "", cell).strip()
                for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            ]
    return found


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# ---------------------------------------------------------------- the learner's portfolio


def judge(registration, criterion, assessor, day, outcome="met"):
    return Decision.objects.create(
        registration=registration,
        criterion=criterion,
        outcome=outcome,
        method="observation",
        assessed_on=day,
        assessor=assessor,
    )


def test_the_portfolio_draws_criteria_met_per_unit_and_by_week(client: Client) -> None:
    today = clock.today()
    centre = CentreFactory()
    learner = member(centre, Role.LEARNER)
    assessor = member(centre, Role.ASSESSOR)
    imi = Qualification.objects.get(number=IMI)
    registration = RegistrationFactory(learner=learner, centre=centre, qualification=imi)
    unit = Unit.objects.get(key=UNIT)
    RegistrationUnit.objects.create(registration=registration, unit=unit)
    criteria = list(unit.criteria.order_by("position"))
    monday = today - datetime.timedelta(days=today.weekday())
    weeks_ago = [monday - datetime.timedelta(weeks=n) for n in (3, 3, 1, 0)]
    for criterion, day in zip(criteria, weeks_ago, strict=False):
        judge(registration, criterion, assessor, day)
    judge(registration, criteria[4], assessor, monday, outcome="not_yet_met")
    client.force_login(learner)

    html = client.get(reverse("evidence:portfolio", args=[registration.pk])).content.decode()

    pictures = html.split('data-testid="progress-pictures"')[1]
    assert pictures.count('role="img"') == 2
    assert f"{unit.title}" in section(html, "unit-progress-table")
    assert list(rows(section(html, "unit-progress-table")).values()) == [["4", "9", "44%"]]
    timeline = rows(section(html, "timeline-table"))
    # Every week from the first decision's to this one, empty weeks included.
    assert list(timeline.values()) == [["2", "2"], ["0", "2"], ["1", "3"], ["1", "4"]]
    assert "Criteria met over time, by week: from 2 in the week of" in html


def test_the_learner_sees_only_released_decisions_over_time(client: Client) -> None:
    today = clock.today()
    centre = CentreFactory()
    learner = member(centre, Role.LEARNER)
    assessor = member(centre, Role.ASSESSOR)
    admin = member(centre, Role.CENTRE_ADMIN)
    imi = Qualification.objects.get(number=IMI)
    ReleaseSetting.objects.create(
        centre=centre, qualification=imi, validation_required=True, changed_by=admin
    )
    registration = RegistrationFactory(learner=learner, centre=centre, qualification=imi)
    registration.assessors.add(assessor)
    unit = Unit.objects.get(key=UNIT)
    RegistrationUnit.objects.create(registration=registration, unit=unit)
    first, second = unit.criteria.order_by("position")[:2]
    agreed = judge(registration, first, assessor, today)
    DecisionValidation.objects.create(
        decision=agreed, validator=admin, outcome=ValidationOutcome.AGREED
    )
    judge(registration, second, assessor, today)  # not validated yet
    url = reverse("evidence:portfolio", args=[registration.pk])

    client.force_login(learner)
    assert list(rows(section(client.get(url).content.decode(), "timeline-table")).values()) == [
        ["1", "1"]
    ]
    client.force_login(assessor)
    assert list(rows(section(client.get(url).content.decode(), "timeline-table")).values()) == [
        ["2", "2"]
    ]


def test_a_portfolio_with_nothing_met_says_so(client: Client) -> None:
    centre = CentreFactory()
    learner = member(centre, Role.LEARNER)
    registration = RegistrationFactory(
        learner=learner, centre=centre, qualification=Qualification.objects.get(number=IMI)
    )
    client.force_login(learner)
    html = client.get(reverse("evidence:portfolio", args=[registration.pk])).content.decode()
    assert 'aria-label="No criteria met yet."' in html
    assert 'aria-label="No units taken yet."' in html
    assert 'data-testid="timeline-table"' not in html


def test_the_portfolio_costs_the_same_for_decisions_on_2_days_or_on_40(client: Client) -> None:
    today = clock.today()
    centre = CentreFactory()
    learner = member(centre, Role.LEARNER)
    assessor = member(centre, Role.ASSESSOR)
    imi = Qualification.objects.get(number=IMI)
    other = Qualification.objects.get(number="600/1686/3")
    small = RegistrationFactory(learner=learner, centre=centre, qualification=imi)
    large = RegistrationFactory(learner=learner, centre=centre, qualification=other)
    for registration in (small, large):
        units = registration.qualification.memberships.order_by("position")
        for unit_id in units.values_list("unit", flat=True)[:6]:
            RegistrationUnit.objects.create(registration=registration, unit_id=unit_id)

    def every(registration):
        return [
            c
            for choice in registration.unit_choices.all()
            for c in choice.unit.criteria.order_by("position")
        ]

    for n, criterion in enumerate(every(small)[:2]):
        judge(small, criterion, assessor, today - datetime.timedelta(days=n))
    judged = every(large)[:40]
    assert len(judged) == 40
    for n, criterion in enumerate(judged):
        judge(large, criterion, assessor, today - datetime.timedelta(days=3 * n))
    client.force_login(learner)

    def page(registration):
        return reverse("evidence:portfolio", args=[registration.pk])

    queries(client, page(small))

    assert queries(client, page(small)) == queries(client, page(large))
    # 40 criteria met over 117 days: by week, the running total reaching 40.
    html = client.get(page(large)).content.decode()
    assert "Criteria met over time, by week" in html
    assert list(rows(section(html, "timeline-table")).values())[-1][-1] == "40"


# ---------------------------------------------------------------- the assessor's caseload


def test_the_caseload_at_a_glance_counts_each_active_learner_once(client: Client) -> None:
    today = clock.today()
    centre = CentreFactory()
    assessor = member(centre, Role.ASSESSOR)
    imi = Qualification.objects.get(number=IMI)
    unit = Unit.objects.get(key=UNIT)

    def learner(start_days_ago: int, end_in_days: int | None, status: str = "active") -> object:
        registration = RegistrationFactory(
            learner=member(centre, Role.LEARNER),
            centre=centre,
            qualification=imi,
            start_date=today - datetime.timedelta(days=start_days_ago),
            planned_end_date=None
            if end_in_days is None
            else today + datetime.timedelta(days=end_in_days),
            status=status,
        )
        registration.assessors.add(assessor)
        RegistrationUnit.objects.create(registration=registration, unit=unit)
        return registration

    learner(90, -5)  # overdue
    learner(90, -1)  # overdue
    learner(90, 10)  # nothing met, 90 % of the time gone: behind
    learner(1, 300)  # on track
    learner(1, None)  # no planned end: no pace
    learner(90, -5, status=RegistrationStatus.WITHDRAWN)  # not active: not counted
    recounted()
    client.force_login(assessor)

    html = client.get("/").content.decode()

    table = rows(section(html, "glance-table"))
    assert table == {
        "Overdue": ["2", "40%"],
        "Behind": ["1", "20%"],
        "On track": ["1", "20%"],
        "No pace to judge": ["1", "20%"],
    }
    assert "Your 5 active learners: 2 overdue, 1 behind, 1 on track, 1 no pace to judge." in html
    assert html.split('data-testid="caseload-glance"')[1].count('role="img"') == 1


def test_an_empty_caseload_says_so(client: Client) -> None:
    assessor = member(CentreFactory(), Role.ASSESSOR)
    client.force_login(assessor)
    assert (
        'aria-label="No active learners in your caseload yet."' in client.get("/").content.decode()
    )


# ---------------------------------------------------------------- the centre admin


def test_the_centre_overview_counts_states_claims_and_holds(client: Client) -> None:
    today = clock.today()
    centre = CentreFactory()
    admin = member(centre, Role.CENTRE_ADMIN)
    imi = Qualification.objects.get(number=IMI)
    made = {}
    for status, n in (("active", 3), ("complete", 2), ("withdrawn", 1)):
        made[status] = [
            RegistrationFactory(
                learner=member(centre, Role.LEARNER),
                centre=centre,
                qualification=imi,
                status=status,
                start_date=today - datetime.timedelta(weeks=30),
            )
            for _ in range(n)
        ]
    ClaimHold.objects.create(
        registration=made["complete"][0],
        kind=HoldKind.APPEAL,
        reason="Appeal against unit 2",
        opened_by=admin,
    )
    client.force_login(admin)

    html = client.get("/").content.decode()

    states = rows(section(html, "overview-registrations"))
    assert states["Active"] == ["3"]
    assert states["Complete"] == ["2"]
    assert states["Withdrawn"] == ["1"]
    assert states["Certificated"] == ["0"]
    holds = rows(section(html, "overview-holds"))
    assert holds["Appeal open"] == ["1"]
    assert holds["Malpractice investigation"] == ["0"]
    claims = rows(section(html, "overview-claims"))
    # Both complete registrations wait (no IV sign-off; one is held too).
    assert claims["Qualifications waiting"] == ["2"]
    assert claims["Qualifications ready to claim"] == ["0"]
    overview = html.split('data-testid="centre-overview"')[1]
    assert overview.count('role="img"') == 3
    assert 'aria-label="Registrations by state: Active 3, Withdrawn 1' in overview


def test_the_centre_overview_costs_the_same_with_more_registrations_and_holds(
    client: Client,
) -> None:
    centre = CentreFactory()
    admin = member(centre, Role.CENTRE_ADMIN)
    imi = Qualification.objects.get(number=IMI)

    def grow(n: int) -> None:
        for number in range(n):
            registration = RegistrationFactory(
                learner=member(centre, Role.LEARNER),
                centre=centre,
                qualification=imi,
                status=("active", "complete", "withdrawn")[number % 3],
            )
            ClaimHold.objects.create(
                registration=registration,
                kind=HoldKind.values[number % 3],
                reason="Held",
                opened_by=admin,
            )

    grow(3)
    client.force_login(admin)
    queries(client, "/")
    few = queries(client, "/")
    grow(30)
    assert queries(client, "/") == few
