"""A per-token rate limit: so many calls a minute, counted in the cache (core.rate_limit: Redis
in production, CACHE_URL; each process's memory by default). Past it, 429 with Retry-After."""

from __future__ import annotations

import threading

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from core import rate_limit


class TokenRateThrottle(BaseThrottle):
    """A fixed one-minute window per token, one count across every web process."""

    def __init__(self) -> None:
        # ninja asks wait() of the same object right after allow_request; per thread.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        caller = getattr(request, "auth", None)
        if caller is None:
            return True
        count, self._local.wait = rate_limit.hit(f"api:{caller.token.pk}")
        return count <= settings.API_RATE_LIMIT_PER_MINUTE

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
