"""Fixed one-minute windows counted in the cache (Redis in production, CACHE_URL, shared by
every web process; each process's memory by default): the API's per-token limit (api/throttle.py)
and the public badge check's lookups of other sites (assessments.did_web)."""

from __future__ import annotations

import time

from django.core.cache import cache

WINDOW = 60


def hit(name: str) -> tuple[int, float]:
    """Count one more call under `name` in this minute's window: the count so far, this one
    included, and the seconds until the window ends. add then incr, both atomic in Redis, so
    several web processes count one total."""
    now = time.time()
    key = f"rate:{name}:{int(now // WINDOW)}"
    cache.add(key, 0, WINDOW + 5)
    try:
        count = cache.incr(key)
    except ValueError:
        # Evicted between add and incr: this call starts the count again.
        cache.set(key, 1, WINDOW + 5)
        count = 1
    return count, WINDOW - (now % WINDOW)
