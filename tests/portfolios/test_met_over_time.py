"""The running total behind the portfolio's picture of progress over time: every period from
the first decision's to today's, empty ones included; weeks, or months past half a year."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest

from portfolios import progress
from portfolios.progress import WEEKS_SHOWN, met_over_time

MONDAY = datetime.date(2026, 11, 30)


@pytest.fixture
def days() -> Iterator[list[tuple[datetime.date, int]]]:
    """The rows a provider returns, set by each test, in place of the database's."""
    rows: list[tuple[datetime.date, int]] = []
    saved = list(progress.met_days_providers)
    progress.met_days_providers[:] = [lambda registration, **kwargs: rows]
    yield rows
    progress.met_days_providers[:] = saved


def test_nothing_met_is_no_points(days: list) -> None:
    assert met_over_time(None, viewer=None, unit_ids=[], today=MONDAY) == ("week", [])


def test_weeks_run_from_the_first_decision_to_this_week_with_gaps_filled(days: list) -> None:
    # A Wednesday three weeks back, and a Sunday and a Tuesday of the week before this one.
    days += [
        (MONDAY - datetime.timedelta(days=19), 2),
        (MONDAY - datetime.timedelta(days=1), 1),
        (MONDAY - datetime.timedelta(days=6), 3),
    ]
    period, points = met_over_time(
        None, viewer=None, unit_ids=[], today=MONDAY + datetime.timedelta(days=2)
    )
    assert period == "week"
    assert points == [
        (MONDAY - datetime.timedelta(weeks=3), 2),
        (MONDAY - datetime.timedelta(weeks=2), 2),
        (MONDAY - datetime.timedelta(weeks=1), 6),
        (MONDAY, 6),
    ]


def test_past_half_a_year_it_counts_by_month(days: list) -> None:
    first = MONDAY - datetime.timedelta(weeks=WEEKS_SHOWN + 4)
    days += [(first, 1), (datetime.date(2026, 9, 15), 4)]
    period, points = met_over_time(None, viewer=None, unit_ids=[], today=MONDAY)
    assert period == "month"
    assert points[0] == (first.replace(day=1), 1)
    assert points[-1] == (datetime.date(2026, 11, 1), 5)
    assert (datetime.date(2026, 9, 1), 5) in points
    assert all(day.day == 1 for day, _ in points)
    # One point per month, none skipped.
    assert len(points) == (2026 - first.year) * 12 + 11 - first.month + 1
