"""seed_demo's hash-once hasher: real hashes of the preferred kind, each made once."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, get_hasher, identify_hasher, make_password

from accounts.hashers import hashing_once


def test_inside_the_block_a_password_is_hashed_once_as_the_preferred_hasher_would() -> None:
    preferred = get_hasher("default")
    calls: list[str] = []
    real_encode = type(preferred).encode

    with hashing_once():
        hasher = get_hasher("default")
        hasher.delegate.encode = lambda password, salt, *a: (
            calls.append(password) or real_encode(hasher.delegate, password, salt, *a)
        )
        first = make_password("demo-pass")
        second = make_password("demo-pass")

    assert first == second
    assert calls == ["demo-pass"]
    # Outside the block the project's own hasher reads it: sign-in accepts it, no upgrade due.
    assert identify_hasher(first).algorithm == preferred.algorithm
    assert check_password("demo-pass", first)
    assert not check_password("another", first)
    assert not get_hasher("default").must_update(first)
    assert type(get_hasher("default")) is type(preferred)
