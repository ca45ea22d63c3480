"""Many writers appending audit events at the same moment must still leave one unbroken chain.

Each writer is a thread with its own database connection; a barrier releases them together so
their transactions overlap as 16 learners adding evidence at once would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection, connections, transaction

from accounts.models import Centre
from core.audit import record_event, verify_chain
from core.models import AuditEvent
from tests.factories import CentreFactory
from tests.services import unavailable

WRITERS = 16
APPENDS_EACH = 5


def _needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        unavailable("PostgreSQL", "this test needs concurrent transactions and row locks")


def _run_together(work: Callable[[int], None], writers: int = WRITERS) -> list[BaseException]:
    """Run `work(n)` in `writers` threads released at once; return what they raised."""
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(n)
        except BaseException as exc:  # reported to the test, which then fails
            errors.append(exc)
        finally:
            # The test database is dropped at the end: no thread may keep a connection open.
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    return errors


def _append(centre: Centre, n: int, times: int = 1) -> None:
    for i in range(times):
        with transaction.atomic():
            record_event(
                actor=None,
                action="evidence.added",
                target=centre,
                centre_id=centre.pk,
                data={"writer": n, "i": i},
            )
            # Some work after the append, as a real service does before it commits: the window in
            # which another writer could pick the same predecessor.
            time.sleep(0.001)


@pytest.mark.django_db(transaction=True)
def test_sixteen_writers_at_once_leave_an_intact_chain_on_postgresql() -> None:
    _needs_postgresql()
    centre = CentreFactory()
    # A chain already under way: the old code's lock on the last row let every waiting writer
    # attach to that same row once it was released.
    _append(centre, -1)

    errors = _run_together(lambda n: _append(centre, n))

    assert errors == []
    assert AuditEvent.objects.count() == WRITERS + 1
    assert verify_chain() == []


@pytest.mark.django_db(transaction=True)
def test_sixteen_writers_appending_repeatedly_get_contiguous_sequences_on_postgresql() -> None:
    _needs_postgresql()
    centre = CentreFactory()

    errors = _run_together(lambda n: _append(centre, n, times=APPENDS_EACH))

    assert errors == []
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, WRITERS * APPENDS_EACH + 1))
    assert verify_chain() == []


@pytest.mark.django_db(transaction=True)
def test_sixteen_writers_at_once_on_sqlite_queue_for_the_database_lock() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite set-up's own test; PostgreSQL has the tests above")
    centre = CentreFactory()
    _append(centre, -1)

    errors = _run_together(lambda n: _append(centre, n, times=APPENDS_EACH))

    assert errors == []
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, WRITERS * APPENDS_EACH + 2))
    assert verify_chain() == []
