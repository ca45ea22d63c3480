"""A per-token rate limit: so many calls a minute, counted in the cache (Redis in production,
CACHE_URL; each process's memory by default). Past it, 429 with Retry-After."""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

WINDOW = 60


class TokenRateThrottle(BaseThrottle):
    """A fixed one-minute window per token: add then incr, both atomic in Redis, so several web
    processes count one total."""

    def __init__(self) -> None:
        # ninja asks wait() of the same object right after allow_request; per thread.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        caller = getattr(request, "auth", None)
        if caller is None:
            return True
        now = time.time()
        window = int(now // WINDOW)
        key = f"api:rate:{caller.token.pk}:{window}"
        cache.add(key, 0, WINDOW + 5)
        try:
            count = cache.incr(key)
        except ValueError:
            # Evicted between add and incr: this call starts the count again.
            cache.set(key, 1, WINDOW + 5)
            count = 1
        self._local.wait = WINDOW - (now % WINDOW)
        return count <= settings.API_RATE_LIMIT_PER_MINUTE

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
