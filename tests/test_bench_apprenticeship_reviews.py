"""bench/pages_apprenticeship_reviews.py on the test database: seed_scale's apprentices with
their progress reviews and gateway (demo/scale.py, `apprentices` and `apprentice_reviews`) built
small through the services, each hand-written floor returning the data the pages show, and the
suite's rows measured once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Membership, Role
from assessments.cohort import SORT_BY_BEHIND, Filters, cohort_page, cohort_registrations
from bench import pages_apprenticeship_reviews as suite
from bench.harness import Context
from demo.scale import Sizes
from portfolios.models import ProgressReview, Registration, ReviewStatus
from tests.support.scale_apprentices import UNITS, rows_of, scale_apprentices

pytestmark = pytest.mark.usefixtures("catalogue")

SIZES = Sizes(otj_entries=12, reviews=2, gateway_every=2, result_every=1)


@pytest.fixture
def built() -> dict:
    return scale_apprentices(SIZES, days_apart=90, reviews=True)


def test_each_apprentice_has_locked_reviews_and_one_passed_the_gateway(built: dict) -> None:
    ids = suite.measured({})

    # Two reviews each, the longest log's four, every one signed by the three.
    assert ProgressReview.objects.count() == 2 + 2 + 4
    assert set(ProgressReview.objects.values_list("status", flat=True)) == {ReviewStatus.LOCKED}
    assert ids["reviews"] == 4
    assert ids["apprentices"] == 3
    assert ids["admin"] == built["admin"].pk
    assert ids["assessor"] == ids["gateway_assessor"] == built["assessor"].pk
    passed = Registration.objects.get(pk=ids["gateway_registration"])
    assert passed.gateway_signatures.current().count() == 3
    assert passed.epa_results.current().count() == 1


def test_the_review_and_gateway_floors_return_what_the_pages_show(built: dict) -> None:
    ids = suite.measured({})
    apprentice, assessor = ids["apprentice"], ids["assessor"]
    header, viewer, programme, reviews, signers = suite.reviews_floor(ids, apprentice)
    review = ProgressReview.objects.get(pk=ids["review"])

    assert [row[0] for row in rows_of(*reviews)] == list(
        ProgressReview.objects.filter(registration_id=ids["review_registration"]).values_list(
            "pk", flat=True
        )
    )
    assert len(rows_of(*signers)) == 3 * 4
    [(_start, employer, last_signed, _weeks)] = rows_of(*programme)
    assert employer == "Harbour Hotels"
    assert rows_of(*header)[0][0] == ids["review_registration"]
    assert last_signed == review.review_date.isoformat() or last_signed == review.review_date
    assert rows_of(*viewer) in ([(1, 0, 0)], [(True, False, False)])
    # The apprentice's floor leaves out the staff-only notes; the assessor's reads them.
    mine = suite.review_floor(ids, apprentice, staff=False)
    staff = suite.review_floor(ids, assessor, staff=True)
    assert review.staff_notes in rows_of(*staff[0])[0]
    assert review.staff_notes not in rows_of(*mine[0])[0]
    assert len(rows_of(*staff[2])) == 3

    gateway = dict(
        zip(
            (
                *("header", "viewer", "programme", "met", "signed", "taken"),
                *("criteria", "units", "gaps", "approved", "signatures", "results"),
            ),
            suite.gateway_floor(ids, assessor),
            strict=True,
        )
    )
    assert len(rows_of(*gateway["signatures"])) == 3
    assert len(rows_of(*gateway["results"])) == 1
    assert rows_of(*gateway["taken"]) == [(ids["gateway_registration"], unit) for unit in _units()]
    assert rows_of(*gateway["criteria"])


def _units() -> list[int]:
    from qualifications.models import Unit

    return list(Unit.objects.filter(key__in=UNITS).values_list("pk", flat=True))


@pytest.mark.parametrize("sort", ["name", SORT_BY_BEHIND])
def test_the_cohort_floors_return_the_pages_rows_in_its_order(built: dict, sort: str) -> None:
    ids = suite.measured({})
    today = timezone.localdate()
    floor = suite.cohort_floor(ids, today, connection.vendor, sort=sort)
    admin, employers, count, records = floor[:4]
    membership = Membership.objects.get(user=built["admin"], role=Role.CENTRE_ADMIN)
    page = cohort_page(
        cohort_registrations(built["admin"], membership),
        Filters(sort=sort),
        page_number=1,
        today=today,
    )

    assert len(rows_of(*admin)) == 1
    assert rows_of(*count) == [(3,)]
    assert len(rows_of(*employers)) == 1
    shown = [row.registration_id for row in page.object_list]
    found = [row[0] for row in rows_of(*records)]
    if sort == SORT_BY_BEHIND:
        # The floor reads the page's records by id; the order is its ids' query's.
        wanted = rows_of(suite.behind_ids(connection.vendor), records[1])
        assert [row[0] for row in wanted] == shown
        assert sorted(found) == sorted(shown)
    else:
        assert found == shown


def test_the_csv_floor_reads_every_row(built: dict) -> None:
    ids = suite.measured({})
    floor = suite.cohort_floor(ids, timezone.localdate(), connection.vendor, every=True)

    assert len(rows_of(*floor[1])) == 3
    assert len(rows_of(*floor[-2])) == 1  # the signatures, of the one past the gateway
    assert len(rows_of(*floor[-1])) == 1  # its result


def test_the_suite_measures_each_page_beside_its_floor(built: dict) -> None:
    made = suite.bench(Context(database_url="sqlite://", repeat=1))

    assert [row.measure for row in made] == [
        "progress reviews list, 4 reviews, as the apprentice",
        "progress review page, as the apprentice",
        "progress reviews list, 4 reviews, as the assessor",
        "progress review page, as the assessor (wellbeing notes)",
        "gateway page (passed, with a result), as the assessor",
        "gateway page (passed, with a result), as the centre admin",
        "apprentices cohort, 3 apprentices, first page by name",
        "apprentices cohort, 3 apprentices, first page by hours behind",
        "apprentices cohort CSV, 3 rows",
    ]
    assert all(row.project > 0 and row.floor and row.floor > 0 for row in made)
    assert all(row.unit == "ms" and row.note.endswith("KB") for row in made)
