"""Idempotency-Key for the API's writes: a client that sends the same key again (a retry after
a timeout, a double submit) gets the first answer again, and nothing is made twice.

The pages guard a double submit each in their own way (evidence_create returns the draft just
made; register_new_learner refuses a second invitation to the same qualification; the
off-the-job log has only the redirect after its POST). An API client retries blindly, so every
write takes the header. The first answer is kept in the cache (Redis in production, CACHE_URL)
for a day, per token; while the first request is still running a second one answers 409.
Refusals (4xx) are not kept: the client corrects the request and sends it with the same key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from ninja.errors import HttpError

from api.caller import Caller

HEADER = "Idempotency-Key"
KEY_SHAPE = re.compile(r"[A-Za-z0-9_.:-]{8,100}")
KEEP_SECONDS = 24 * 60 * 60
# While the first request runs: longer than any write takes, so a crash frees the key.
RUNNING_SECONDS = 5 * 60


def once(request: Any, caller: Caller, write: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """`write()` once per key (its status and body), or the answer it gave the first time."""
    key = request.headers.get(HEADER)
    if key is None:
        return write()
    if not KEY_SHAPE.fullmatch(key):
        raise HttpError(422, f"header.{HEADER}: 8 to 100 letters, digits, '-', '_', '.' or ':'.")
    digest = hashlib.sha256(key.encode()).hexdigest()
    where = f"{request.method} {request.path}"
    if request.content_type == "application/json":
        # The same key with another body is another request, refused, not answered as the first.
        # (A multipart upload streams past unkept: its key stands for the path alone.)
        where += f" {hashlib.sha256(request.body).hexdigest()[:16]}"
    slot = f"api:idempotency:{caller.token.pk}:{digest}"
    if not cache.add(slot, {"where": where, "running": True}, RUNNING_SECONDS):
        kept = cache.get(slot)
        if kept is None:
            raise HttpError(409, "The first request with this Idempotency-Key just ended: retry.")
        if kept["where"] != where:
            raise HttpError(
                422,
                f"header.{HEADER}: this key was used for another request "
                f"({kept['where'].split(' ')[1]}, or another body).",
            )
        if kept.get("running"):
            raise HttpError(
                409, "The first request with this Idempotency-Key is still running: retry soon."
            )
        return kept["status"], kept["body"]
    try:
        status, body = write()
    except BaseException:
        cache.delete(slot)
        raise
    cache.set(slot, {"where": where, "status": status, "body": body}, KEEP_SECONDS)
    return status, body
