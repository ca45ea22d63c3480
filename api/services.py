"""Making, revoking and checking API tokens. Each change writes its audit event."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Centre
from api.models import ApiToken
from api.scopes import Scope
from core.audit import record_event
from core.prepared import PreparedInstances

# "ept_" + the prefix (identifies the token, stored) + "_" + the rest (never stored).
MARK = "ept_"
PREFIX_LENGTH = 10
# How often last_used_at is written: a busy client should not write the row on every call.
TOUCH_EVERY = datetime.timedelta(minutes=1)


class TokenError(Exception):
    """A token that cannot be made or changed as asked; the message says why."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> tuple[str, str]:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return prefix, f"{MARK}{prefix}_{secrets.token_urlsafe(32)}"


def token_create(
    *,
    actor: Any,
    name: str,
    scopes: Iterable[str],
    centre: Centre | None = None,
    expires_at: datetime.datetime | None = None,
    known_secret: str | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its secret, which is returned here once and never kept. With `centre`
    it is the centre's (the caller has checked that `actor` administers it), else `actor`'s.

    `known_secret` is for the demo only (demo/api.py), whose token is printed like its known
    passwords; everywhere else the secret is random."""
    chosen = sorted(set(scopes))
    unknown = set(chosen) - set(Scope.values)
    if not chosen or unknown:
        raise TokenError("Choose at least one of the scopes offered.")
    if expires_at is not None and expires_at <= timezone.now():
        raise TokenError("The expiry must be in the future.")
    if known_secret is None:
        prefix, secret = _new_secret()
    else:
        prefix, secret = known_secret[len(MARK) :].partition("_")[0], known_secret
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name,
            centre=centre,
            user=None if centre is not None else actor,
            prefix=prefix,
            secret_hash=hash_secret(secret),
            scopes=chosen,
            created_by=actor,
            expires_at=expires_at,
        )
        record_event(
            actor=actor,
            action="api.token_created",
            target=token,
            centre_id=centre.pk if centre is not None else None,
            data={"name": name, "prefix": prefix, "scopes": chosen, "owner": _owner(token)},
        )
    return token, secret


def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Stop the token at once. Kept, not deleted: the audit trail names it."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise TokenError("This token was revoked already.")
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        record_event(
            actor=actor,
            action="api.token_revoked",
            target=locked,
            centre_id=locked.centre_id,
            data={"name": locked.name, "prefix": locked.prefix, "owner": _owner(locked)},
        )
    return locked


def _owner(token: ApiToken) -> str:
    return f"centre {token.centre_id}" if token.centre_id else f"person {token.user_id}"


def _live_token(*, prefix: str, now: datetime.datetime) -> QuerySet[ApiToken]:
    # The prefix is unique: one row or none, so unordered (the default order sorted it).
    return ApiToken.objects.live(now).filter(prefix=prefix).order_by()


# Every API call asks it: compiled once (core.prepared), not built anew each time. Revocation
# still counts at once: it is a query each call, only its SQL is kept.
LIVE_TOKEN = PreparedInstances(
    ApiToken,
    _live_token,
    related=("centre", "user", "created_by"),
    texts=("prefix",),
    datetimes=("now",),
)


def token_for_secret(secret: str) -> ApiToken | None:
    """The live token whose secret this is, or None (unknown, wrong, revoked or expired: the
    caller is told only that the token is not accepted). One query, by the unique prefix."""
    if not secret.startswith(MARK):
        return None
    prefix, _, rest = secret[len(MARK) :].partition("_")
    if not prefix or not rest:
        return None
    now = timezone.now()
    found = LIVE_TOKEN.instances(prefix=prefix, now=now)
    token = found[0] if found else None
    # Compared in constant time, so the answer's timing tells nothing about the hash.
    if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
