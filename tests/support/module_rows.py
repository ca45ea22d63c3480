"""Rows made once for a whole test module, and thrown away after it.

A module-scoped fixture opens a transaction, makes its rows and keeps the transaction open while
the module's tests run. Each test's own transaction (pytest-django's `db`) then nests inside it
as a savepoint and is rolled back as usual, so every test sees the module's rows exactly as they
were made, whatever an earlier test changed. At the end of the module the outer transaction is
rolled back too, and the next module finds the database as it was.

Only for tests that run in a transaction (`db`), never with `transactional_db` or a live server,
which need their writes committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import transaction

T = TypeVar("T")


@contextmanager
def made_for_the_module(django_db_blocker: Any, make: Callable[[], T]) -> Iterator[T]:
    """Call `make` in the module's transaction and hold that open until the `with` ends.

    Between the two the database is blocked again, so a test reaches it only through `db`,
    as in any other module.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        made = make()
        with django_db_blocker.block():
            yield made
        transaction.set_rollback(True)
