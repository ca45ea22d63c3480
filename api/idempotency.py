"""Idempotency-Key for the API's writes: a client that sends the same key again (a retry after
a timeout, a double submit) gets the first answer again, and nothing is made twice.

The pages guard a double submit each in their own way (evidence_create returns the draft just
made; register_new_learner refuses a second invitation to the same qualification; the
off-the-job log has only the redirect after its POST). An API client retries blindly, so every
write takes the header. The first answer is kept in the cache (Redis in production, CACHE_URL)
for a day, per token; while the first request is still running a second one answers 409.
Refusals (4xx) are not kept: the client corrects the request and sends it with the same key.

The key stands for what was sent, not only where: the same key with another body is refused
(422), never answered as the first. A JSON write's body is hashed whole; a multipart upload is
streamed to disk by its handler, so its fingerprint is made after the parse, from its fields and
each file's SHA-256 taken as the bytes streamed in (form_fingerprint), and the write then saves
nothing unless the key is new.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from ninja.errors import HttpError

from api.caller import Caller

HEADER = "Idempotency-Key"
KEY_SHAPE = re.compile(r"[A-Za-z0-9_.:-]{8,100}")
KEEP_SECONDS = 24 * 60 * 60
# While the first request runs: longer than any write takes, so a crash frees the key.
RUNNING_SECONDS = 5 * 60


def key_of(request: Any) -> str | None:
    """The request's Idempotency-Key (None without one); a malformed key is refused (422)."""
    key = request.headers.get(HEADER)
    if key is not None and not KEY_SHAPE.fullmatch(key):
        raise HttpError(422, f"header.{HEADER}: 8 to 100 letters, digits, '-', '_', '.' or ':'.")
    return key


def form_fingerprint(fields: Any, files: Iterable[tuple[str, str, str]]) -> str:
    """What a multipart write sent, as one digest: every field's values (`fields`, a QueryDict)
    and each file as (its part's name, its file name, its SHA-256), in the order sent.

    The files' hashes are those their upload handler took as the bytes streamed in, so no file
    is read again, let alone held in memory; two files of the same name and size but other
    bytes differ here."""
    sent = {
        "fields": sorted((name, fields.getlist(name)) for name in fields),
        "files": [list(part) for part in files],
    }
    return hashlib.sha256(json.dumps(sent, sort_keys=True).encode()).hexdigest()


def once(
    request: Any,
    caller: Caller,
    write: Callable[[], tuple[int, Any]],
    *,
    sent: str | None = None,
) -> tuple[int, Any]:
    """`write()` once per key (its status and body), or the answer it gave the first time.

    `sent` is the fingerprint of what the request sent: a multipart write gives its
    form_fingerprint (its body is streamed, not kept); any other write's body is hashed here."""
    key = key_of(request)
    if key is None:
        return write()
    digest = hashlib.sha256(key.encode()).hexdigest()
    if sent is None:
        if request.content_type.startswith("multipart/"):
            # request.body is gone once the upload has streamed: the write must say what it got.
            raise ValueError("A multipart write passes its form_fingerprint as `sent`.")
        sent = hashlib.sha256(request.body).hexdigest()
    # The same key with another body is another request, refused, not answered as the first.
    where = f"{request.method} {request.path} {sent[:16]}"
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
