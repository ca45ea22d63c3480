"""The running total behind the portfolio's picture of progress over time: every period from
the first decision's to today's, empty ones included; weeks, or months past half a year."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest

from portfolios.progress import WEEKS_SHOWN, met_over_time

MONDAY = datetime.date(2026, 11, 30)


@pytest.fixture
def days() -> Counter[datetime.date]:
    """Criteria met per day, as Portfolio.met_days counts them, set by each test."""
    return Counter()


def test_nothing_met_is_no_points(days: Counter) -> None:
    assert met_over_time(days, today=MONDAY) == ("week", [])


def test_weeks_run_from_the_first_decision_to_this_week_with_gaps_filled(
    days: Counter,
) -> None:
    # A Wednesday three weeks back, and a Sunday and a Tuesday of the week before this one.
    days.update(
        {
            MONDAY - datetime.timedelta(days=19): 2,
            MONDAY - datetime.timedelta(days=1): 1,
            MONDAY - datetime.timedelta(days=6): 3,
        }
    )
    period, points = met_over_time(days, today=MONDAY + datetime.timedelta(days=2))
    assert period == "week"
    assert points == [
        (MONDAY - datetime.timedelta(weeks=3), 2),
        (MONDAY - datetime.timedelta(weeks=2), 2),
        (MONDAY - datetime.timedelta(weeks=1), 6),
        (MONDAY, 6),
    ]


def test_past_half_a_year_it_counts_by_month(days: Counter) -> None:
    first = MONDAY - datetime.timedelta(weeks=WEEKS_SHOWN + 4)
    days.update({first: 1, datetime.date(2026, 9, 15): 4})
    period, points = met_over_time(days, today=MONDAY)
    assert period == "month"
    assert points[0] == (first.replace(day=1), 1)
    assert points[-1] == (datetime.date(2026, 11, 1), 5)
    assert (datetime.date(2026, 9, 1), 5) in points
    assert all(day.day == 1 for day, _ in points)
    # One point per month, none skipped.
    assert len(points) == (2026 - first.year) * 12 + 11 - first.month + 1
