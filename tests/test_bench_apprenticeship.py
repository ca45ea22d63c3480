"""bench/pages_apprenticeship.py on the test database: seed_scale's apprentices (demo/scale.py,
`apprentices`) built small through the services, the suite's rows measured once, and each
hand-written floor returning the data the pages show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from bench import pages_apprenticeship
from bench.harness import Context
from demo.scale import Sizes
from portfolios.models import Registration, WitnessRequest
from portfolios.off_the_job import hours_for
from tests.support.scale_apprentices import rows_of, scale_apprentices

pytestmark = pytest.mark.usefixtures("catalogue")

ENTRIES = 12


@pytest.fixture
def built() -> dict:
    return scale_apprentices(Sizes(otj_entries=ENTRIES), days_apart=1)


def test_the_scale_centres_apprentices_are_built_with_a_long_log_and_a_testimony_asked(
    built: dict,
) -> None:
    ids = pages_apprenticeship.measured({})

    assert ids["apprentices"] == 3
    assert ids["entries"] == ENTRIES
    assert ids["assessor"] == built["assessor"].pk
    assert WitnessRequest.objects.filter(witness_user_id=ids["contact"]).count() == 1


def test_the_floors_return_what_the_pages_show(built: dict) -> None:
    ids = pages_apprenticeship.measured({})
    log = dict(
        zip(
            ("header", "count", "entries", "totals", "weeks", "plan", "reviews"),
            pages_apprenticeship.log_floor(ids, connection.vendor, viewer=ids["assessor"]),
            strict=True,
        )
    )
    home = dict(
        zip(
            (
                *("apprentices", "count", "hours", "met", "signed", "taken"),
                *("criteria", "units", "asked", "invited"),
            ),
            pages_apprenticeship.home_floor(ids, timezone.now()),
            strict=True,
        )
    )

    # No KSBs named: one row each, the log's first page of them.
    assert len(rows_of(*log["entries"])) == min(ENTRIES, pages_apprenticeship.PAGE)
    assert rows_of(*log["count"]) == [(ENTRIES,)]
    registration = Registration.objects.get(pk=ids["registration"])
    hours = hours_for([registration])[registration.pk]
    [(approved, waiting)] = rows_of(*log["totals"])
    assert (approved or 0, waiting or 0) == (hours.approved, hours.waiting)
    assert sum(week[1] or 0 for week in rows_of(*log["weeks"])) == hours.approved
    assert rows_of(*log["reviews"])[0][0]
    assert len(rows_of(*home["apprentices"])) == 3
    assert rows_of(*home["count"]) == [(3,)]
    summed = {row[0]: row[1] or 0 for row in rows_of(*home["hours"])}
    assert summed == {pk: h.approved for pk, h in hours_for(list(summed)).items()}
    assert len(rows_of(*home["taken"])) == 3
    assert rows_of(*home["criteria"])
    assert len(rows_of(*home["asked"])) == 1
    assert rows_of(*home["invited"]) == []  # the contact has answered theirs


def test_the_apprentices_floor_has_the_forms_choices_and_every_floor_the_signed_in_reads(
    built: dict,
) -> None:
    """The apprentice's log shows the form: its KSB checkboxes and evidence choices are read by
    the floor as by the page (ActivityForm's rows); and every page reads the session, the user
    and their roles (harness.SIGNED_IN), so every floor does."""
    from django.test import Client

    from accounts.models import User
    from bench.harness import signed_in_floor
    from portfolios.forms.off_the_job import EVIDENCE_ROWS, STATEMENT_ROWS

    ids = pages_apprenticeship.measured({})
    floor = pages_apprenticeship.log_floor(ids, connection.vendor, viewer=ids["learner"], form=True)
    ksbs, evidence = floor[-2:]
    registration = Registration.objects.get(pk=ids["registration"])
    assert rows_of(*ksbs) == STATEMENT_ROWS.rows(qualification=registration.qualification_id)
    assert rows_of(*ksbs)
    assert rows_of(*evidence) == EVIDENCE_ROWS.rows(registration=registration.pk)
    assert (
        len(floor)
        == len(pages_apprenticeship.log_floor(ids, connection.vendor, viewer=ids["assessor"])) + 2
    )

    client = Client()
    client.force_login(User.objects.get(pk=ids["learner"]))
    session, user, roles = signed_in_floor(client)
    assert len(rows_of(*session)) == 1
    assert rows_of(*user)[0][0] == ids["learner"]
    assert {row[2] for row in rows_of(*roles)} == {registration.centre_id}


def test_the_suite_measures_each_page_beside_its_floor(built: dict) -> None:
    made = pages_apprenticeship.bench(Context(database_url="sqlite://", repeat=1))

    assert [row.measure for row in made] == [
        f"off-the-job log, {ENTRIES} entries, as the apprentice",
        f"off-the-job log, {ENTRIES} entries, as the assessor",
        "employer contact's home, 3 apprentices",
    ]
    assert all(row.project > 0 and row.floor and row.floor > 0 for row in made)
    assert all(row.unit == "ms" and row.note.endswith("KB") for row in made)
