"""Finding the real services the suite needs: Redis, a Celery worker, Chromium.

Under CI=true a missing service fails the test; elsewhere the test is skipped with the reason,
so `make test` still runs on a laptop without Redis or Chromium.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(service: str, why: str) -> NoReturn:
    message = f"{service} is not available: {why}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: this test must run, not skip)", pytrace=False)
    pytest.skip(message)


def redis_url() -> str:
    """A Redis URL that answers PING, or skip/fail."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/1"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable("Redis", f"{url}: {exc}")
    return url


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path or not os.access(path, os.X_OK):
        unavailable("Chromium", "install Debian's `chromium` package or set CHROMIUM_PATH")
    return path
