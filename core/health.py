"""Checks behind /health/: can this process reach its database, broker and file storage?

Each check returns {"ok": bool, ...}. Errors are reported by exception class only, so the
endpoint, which needs no sign-in, never leaks hostnames or credentials.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from celery import current_app as celery_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.db import connection

Check = dict[str, Any]

# /health/ answers anyone, so it must not write to storage on every request: a healthy write
# probe is trusted for this long (per process), and only a failing one is tried again at once.
STORAGE_PROBE_SECONDS = 60
_probe_lock = threading.Lock()
_last_probe: dict[str, Any] = {"key": None, "at": 0.0, "result": None}


def reset_storage_probe() -> None:
    """Forget the last storage probe (tests, or after reconfiguring storage)."""
    with _probe_lock:
        _last_probe.update(key=None, at=0.0, result=None)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not healthy"; the class name says which
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_broker() -> Check:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "eager", "detail": "no broker: tasks run in-process"}
    try:
        # The project's app (config.celery_app, loaded with Django) is the current one; core
        # sits beneath config, so it asks Celery rather than importing it. connect() tries
        # once; the short timeout keeps a load balancer's probe quick.
        with celery_app.connection_for_write(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.connect()
            transport = conn.transport_cls
    except Exception as exc:
        return {"ok": False, "mode": "broker", "error": type(exc).__name__}
    return {"ok": True, "mode": "broker", "transport": str(transport)}


def check_storage() -> Check:
    """The storage probe, at most once a minute per process while it keeps succeeding."""
    key = repr(settings.STORAGES["default"])
    with _probe_lock:
        now = time.monotonic()
        fresh = now - _last_probe["at"] < STORAGE_PROBE_SECONDS
        if _last_probe["key"] == key and fresh and _last_probe["result"]["ok"]:
            return dict(_last_probe["result"])
        result = probe_storage()
        _last_probe.update(key=key, at=now, result=result)
        return dict(result)


def probe_storage() -> Check:
    # Write, read back and delete a small file: proves credentials and permissions, not only
    # that a bucket or folder exists.
    name = f"health/probe-{uuid.uuid4().hex}.txt"
    payload = b"ok"
    try:
        saved = default_storage.save(name, ContentFile(payload))
        try:
            with default_storage.open(saved, "rb") as fh:
                if fh.read() != payload:
                    return {"ok": False, "error": "ReadBackMismatch"}
        finally:
            default_storage.delete(saved)
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "backend": type(storages["default"]).__name__}


def run_checks() -> dict[str, Check]:
    return {
        "database": check_database(),
        "broker": check_broker(),
        "storage": check_storage(),
    }
