"""Today and now, read when a test runs.

A test module must not keep "today" from the moment it was imported: the suite runs for about
twenty minutes, and a run that crosses midnight would compare yesterday (the test's) with today
(the code's). Tests call these inside the test or fixture, once, and pass the value on;
tests/test_codebase.py refuses a clock read at import time.
"""

from __future__ import annotations

import datetime

from django.utils import timezone


def today() -> datetime.date:
    """The date in the project's time zone (Europe/London), as the code under test sees it."""
    return timezone.localdate()


def now() -> datetime.datetime:
    return timezone.now()
