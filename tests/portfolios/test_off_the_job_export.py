"""The cohort CSV of off-the-job entries: whose rows, which columns, safe cells, queries."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Role
from portfolios.models import OffTheJobKind
from portfolios.off_the_job import EXPORT_HEADERS, approve, log, query
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.factories import member
from tests.portfolios.test_off_the_job import NCFE, apprentice, ksb, last_weeks_monday
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

EXPORT = reverse("off_the_job:export")


def wear(client: Client, person: object, role: str) -> None:
    """Sign in wearing `role` (the export answers in the role worn now)."""
    client.force_login(person)  # type: ignore[arg-type]
    membership = Membership.objects.get(user=person, role=role)
    session = client.session
    session["active_membership"] = membership.pk
    session.save()


def rows(client: Client) -> list[list[str]]:
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def entry(people: dict, **fields: object) -> object:
    today = clock.today()
    monday = last_weeks_monday(today)
    values: dict = {
        "date": monday,
        "hours": Decimal("2.5"),
        "kind": OffTheJobKind.MENTORING,
        "description": "Mentoring",
    }
    values.update(fields)
    return log(actor=people["learner"], registration=people["registration"], **values)


def test_an_assessor_gets_their_caseload_and_an_admin_the_centre(client: Client) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    people = apprentice()
    activity = entry(people, statements=[ksb(NCFE, "K2"), ksb(NCFE, "K1")])
    approve(actor=people["assessor"], activity=activity)
    # Another learner at the centre, with another assessor.
    other = register_learner(
        actor=member(people["centre"], Role.CENTRE_ADMIN),
        learner=member(people["centre"], Role.LEARNER, full_name="Ben Other"),
        centre=people["centre"],
        qualification=Qualification.objects.get(number=NCFE),
        start_date=today,
        unit_keys=(),
        assessors=[people["other_assessor"]],
    )
    log(
        actor=other.learner,
        registration=other,
        date=monday,
        hours=Decimal("1"),
        kind=OffTheJobKind.TEACHING,
        description="Lecture",
    )

    wear(client, people["assessor"], Role.ASSESSOR)
    table = rows(client)
    assert table[0] == list(EXPORT_HEADERS)
    [line] = table[1:]
    assert line[:6] == ["Ana Lima", NCFE, monday.isoformat(), "2.5", "Mentoring", "K1, K2"]
    assert line[6] == "Approved"
    assert line[7] == people["assessor"].get_full_name()
    assert line[8].startswith(today.isoformat()[:4])

    admin = member(people["centre"], Role.CENTRE_ADMIN)
    wear(client, admin, Role.CENTRE_ADMIN)
    assert sorted(line[0] for line in rows(client)[1:]) == ["Ana Lima", "Ben Other"]


def test_the_learner_and_the_iv_may_not_export(client: Client) -> None:
    people = apprentice()
    wear(client, people["learner"], Role.LEARNER)
    assert client.get(EXPORT).status_code == 403
    wear(client, people["iv"], Role.INTERNAL_VERIFIER)
    assert client.get(EXPORT).status_code == 403


def test_cells_a_spreadsheet_would_run_are_made_text(client: Client) -> None:
    people = apprentice()
    people["learner"].full_name = "=HYPERLINK(1)"
    people["learner"].save()
    entry(people)
    wear(client, people["assessor"], Role.ASSESSOR)
    [line] = rows(client)[1:]
    assert line[0] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("count", [3, 30])
def test_queries_do_not_grow_with_entries(
    client: Client, count: int, django_assert_num_queries: object
) -> None:
    today = clock.today()
    monday = last_weeks_monday(today)
    people = apprentice()
    for index in range(count):
        activity = entry(
            people,
            date=monday - datetime.timedelta(days=index),
            statements=[ksb(NCFE, "K1"), ksb(NCFE, "S1")],
        )
        if index % 2:
            query(actor=people["iv"], activity=activity, reason="Which?")
    wear(client, people["assessor"], Role.ASSESSOR)
    client.get(EXPORT)
    with django_assert_num_queries(EXPORT_QUERIES):  # type: ignore[operator]
        assert len(rows(client)) == count + 1


# Measured, the same for 3 entries and 30: session, user, the role worn, and the one query of
# entries with their KSBs (streamed in chunks of 2,000).
EXPORT_QUERIES = 4


def test_the_standards_page_offers_the_export_to_those_who_may_take_it(client: Client) -> None:
    people = apprentice()
    wear(client, people["assessor"], Role.ASSESSOR)
    assert EXPORT in client.get(reverse("assessments:standards")).content.decode()
    wear(client, people["iv"], Role.INTERNAL_VERIFIER)
    assert EXPORT not in client.get(reverse("assessments:standards")).content.decode()
