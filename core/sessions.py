"""The database session store, reading a session by a query compiled once (core.prepared).

Every request loads its session. Django's store builds and compiles the same query each time,
which cost more CPU than PostgreSQL took to answer it (a millisecond a request on the portfolio's
pages, issue 15). Everything else (writing, expiry, cycling the key) is Django's.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.utils import timezone

from core.prepared import Prepared


def _session(*, key: str, now: datetime.datetime) -> QuerySet:
    return Session.objects.filter(session_key=key, expire_date__gt=now).values_list(
        "session_key", "session_data", "expire_date"
    )


SESSION = Prepared(_session, texts=["key"], datetimes=["now"])


class SessionStore(DatabaseStore):
    db = "default"

    # Django's private hook, which django-stubs leave out of SessionStore.
    def _get_session_from_db(self) -> Any:
        if not isinstance(self.session_key, str):  # no key: Django's own answer (no row)
            return super()._get_session_from_db()  # type: ignore[misc]
        try:
            rows = SESSION.rows(key=self.session_key, now=timezone.now())
        except SuspiciousOperation as error:  # as Django's store treats it
            logger = logging.getLogger(f"django.security.{error.__class__.__name__}")
            logger.warning(str(error))
            rows = []
        if not rows:
            self._session_key = None
            return None
        return Session.from_db(self.db, ["session_key", "session_data", "expire_date"], rows[0])
