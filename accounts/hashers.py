"""A password hasher for seeding the demo: the project's own hasher, paid for once.

Every demo login has the same printed password, and seed_demo hashes it for each account and
checks it at every unit and sample signed off: over a hundred rounds of a hasher built to be
slow, which were most of the command's time. Inside `hashing_once()` this hasher stands in for
the project's preferred one: it gives the same kind of hash (same algorithm and work factor, so
sign-in accepts it and never upgrades it), but with one salt for the whole block, and it keeps
each result, so hashing or checking the same password again costs nothing. Demo accounts thus
share one real hash of their public password; nothing else is hashed inside the block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.contrib.auth.hashers import BasePasswordHasher, get_hasher
from django.test.utils import override_settings

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_delegate: BasePasswordHasher | None = None


class HashOnceHasher(BasePasswordHasher):
    def __init__(self) -> None:
        if _delegate is None:
            raise RuntimeError("HashOnceHasher is only for use inside hashing_once()")
        self.delegate = _delegate
        self.algorithm = _delegate.algorithm
        self._salt = _delegate.salt()
        self._encoded: dict[tuple[str, str], str] = {}
        self._verified: dict[tuple[str, str], bool] = {}

    def salt(self) -> str:
        return self._salt

    def encode(self, password: str, salt: str, *args: Any, **kwargs: Any) -> str:
        key = (password, salt)
        if key not in self._encoded:
            self._encoded[key] = self.delegate.encode(password, salt, *args, **kwargs)
        return self._encoded[key]

    def verify(self, password: str, encoded: str) -> bool:
        key = (password, encoded)
        if key not in self._verified:
            self._verified[key] = self.delegate.verify(password, encoded)
        return self._verified[key]

    def decode(self, encoded: str) -> dict[str, Any]:
        return self.delegate.decode(encoded)

    def safe_summary(self, encoded: str) -> dict[StrOrPromise, Any]:
        return self.delegate.safe_summary(encoded)

    def must_update(self, encoded: str) -> bool:
        return self.delegate.must_update(encoded)

    def harden_runtime(self, password: str, encoded: str) -> None:
        return None


@contextmanager
def hashing_once() -> Iterator[None]:
    """Within the block, hash and check passwords with HashOnceHasher (see the module)."""
    global _delegate
    previous = _delegate
    _delegate = get_hasher("default")
    try:
        with override_settings(PASSWORD_HASHERS=["accounts.hashers.HashOnceHasher"]):
            yield
    finally:
        _delegate = previous
