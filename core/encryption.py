"""Secrets the platform must keep in clear form but not in clear in the database (a centre's
OpenID client secret): encrypted at rest with Fernet (AES-128-CBC and HMAC-SHA256, from
`cryptography`), through MultiFernet so the keys can be rotated.

FIELD_ENCRYPTION_KEYS lists Fernet keys, newest first: the first encrypts, every one decrypts
(so a new key goes first and the old one stays until `python manage.py
rotate_field_encryption` has encrypted everything again with the new). Unset, development and
the tests use one key derived from SECRET_KEY, so `make run` needs nothing; production
refuses to start without the variable (config/settings/production.py).
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class UnreadableSecret(Exception):
    """None of FIELD_ENCRYPTION_KEYS opens a stored secret: the keys changed without it."""


def _derived_key(secret_key: str) -> bytes:
    # A key of its own, not SECRET_KEY itself: what signs cookies never encrypts.
    digest = hashlib.sha256(b"eportfolio field encryption\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        if not secret_key:
            raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEYS (or DJANGO_SECRET_KEY).")
        return MultiFernet([Fernet(_derived_key(secret_key))])
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.strip().encode()))
        except ValueError:
            # Never the key itself in the message: it may end up in a log.
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {number} is not a Fernet key (32 bytes, url-safe "
                "base64). Make one with `python manage.py field_encryption_key`."
            ) from None
    return MultiFernet(fernets)


def _keys() -> MultiFernet:
    configured = tuple(key for key in settings.FIELD_ENCRYPTION_KEYS if key.strip())
    return _multi_fernet(configured, settings.SECRET_KEY)


def encrypt(text: str) -> str:
    """`text` encrypted with the first key, as ASCII (a Fernet token)."""
    return _keys().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The text `token` holds; UnreadableSecret if no key opens it (or it was altered)."""
    try:
        return _keys().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise UnreadableSecret from None


def rotate(token: str) -> str:
    """`token` encrypted again with the first key; UnreadableSecret if no key opens it."""
    try:
        return _keys().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise UnreadableSecret from None


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
