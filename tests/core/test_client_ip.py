"""Whom the per-client limits count (core.client_ip): the connection's address alone by default,
whatever X-Forwarded-For says; behind TRUSTED_PROXY_COUNT proxies, the address the outermost one
appended, which a client cannot choose by sending a header of its own. Through the badge check's
lookup limit and the sign-in lockout, as a client would meet them."""

from __future__ import annotations

import html
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import User
from core import rate_limit
from core.client_ip import client_ip_address
from tests.assessments.test_achievement_records import Case, make_case, sign
from tests.assessments.test_badge_check import BUSY, VALID, issued, issued_at
from tests.factories import DEFAULT_PASSWORD
from tests.support.did_web_site import AnotherSite

PROXY = "10.0.0.2"
ALICE = "203.0.113.1"
BOB = "203.0.113.2"
FORGED = "198.51.100.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "counted"),
    [
        (0, None, PROXY),
        (0, ALICE, PROXY),
        (1, ALICE, ALICE),
        (1, f"{FORGED}, {ALICE}", ALICE),
        # Two proxies: the outer one appended the client, the inner one the outer's address.
        (2, f"{FORGED}, {ALICE}, 10.0.0.1", ALICE),
        # Not through the proxies (a health check): the connection's address.
        (1, None, PROXY),
        (2, ALICE, PROXY),
        # Not a bare address: nothing to count by but the connection's.
        (1, f"{ALICE}:4711", PROXY),
        (1, "2001:DB8:0:0::1", "2001:db8::1"),
    ],
)
def test_the_address_counted_is_the_one_the_outermost_trusted_proxy_saw(
    settings: Any, proxies: int, forwarded: str | None, counted: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, **headers)

    assert client_ip_address(request) == counted


# ---------------------------------------------------------------- the badge check's limit


@pytest.fixture
def tokens(
    catalogue: None, another_site: AnotherSite, settings: Any, monkeypatch: Any
) -> dict[str, str]:
    """Badges of three issuers at another site, each lookup counted; one a minute per client."""
    settings.DID_WEB_LOOKUPS_PER_CLIENT_PER_MINUTE = 1
    # A fixed instant 15 s into a minute, so the counts all fall in one window.
    monkeypatch.setattr(rate_limit, "time", SimpleNamespace(time=lambda: 60 * 29_000_000 + 15.0))
    case: Case = make_case()
    for unit in case.units:
        sign(case, unit)
    badge = issued(case)
    found: dict[str, str] = {}
    for centre in ["7", "8", "9"]:
        found[centre], did = issued_at(another_site, badge, centre=centre)
        another_site.publish(did)
    return found


def checked(client: Client, token: str, ip: str, forwarded: str | None = None) -> str:
    """What the page says: VALID when the other site was asked, BUSY when past the limit."""
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    response = client.post(reverse("verify_badge"), {"token": token}, REMOTE_ADDR=ip, **headers)
    page = html.unescape(response.content.decode())
    return "valid" if VALID in page else "busy" if BUSY in page else page


def test_without_a_trusted_proxy_a_forged_header_does_not_give_a_fresh_count(
    client: Client, tokens: dict[str, str], another_site: AnotherSite, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 0

    assert checked(client, tokens["7"], ALICE) == "valid"
    # The same connection claiming to be someone else is still Alice, past her one lookup.
    assert checked(client, tokens["8"], ALICE, forwarded=FORGED) == "busy"
    assert checked(client, tokens["8"], ALICE, forwarded=f"{FORGED}, {BOB}") == "busy"
    # Another connection's count is its own.
    assert checked(client, tokens["8"], BOB) == "valid"
    assert len(another_site.asked) == 2


def test_behind_a_trusted_proxy_clients_are_counted_apart_and_cannot_pick_their_address(
    client: Client, tokens: dict[str, str], another_site: AnotherSite, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1

    # Both through the one proxy (one REMOTE_ADDR); the proxy appended each one's address.
    assert checked(client, tokens["7"], PROXY, forwarded=ALICE) == "valid"
    assert checked(client, tokens["8"], PROXY, forwarded=BOB) == "valid"
    # Alice sending her own header: the proxy appended her real address after it.
    assert checked(client, tokens["9"], PROXY, forwarded=f"{FORGED}, {ALICE}") == "busy"
    assert another_site.asked == ["/badges/centres/7/did.json", "/badges/centres/8/did.json"]


# ---------------------------------------------------------------- the sign-in lockout


def signed_in(client: Client, user: User, password: str, forwarded: str) -> int:
    response = client.post(
        reverse("login"),
        {"username": user.email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    client.logout()
    return response.status_code


def test_behind_a_trusted_proxy_one_clients_failures_lock_that_client_alone(
    client: Client, user: User, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        assert signed_in(client, user, "not-the-password", forwarded=ALICE) in (200, 429)

    assert signed_in(client, user, DEFAULT_PASSWORD, forwarded=ALICE) == 429
    assert signed_in(client, user, DEFAULT_PASSWORD, forwarded=f"{FORGED}, {ALICE}") == 429
    # Bob, behind the same proxy, signs in: the proxy's address is locked for no one.
    assert signed_in(client, user, DEFAULT_PASSWORD, forwarded=BOB) == 302


def test_without_a_trusted_proxy_failures_under_forged_headers_lock_the_connection(
    client: Client, user: User, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    for number in range(5):
        response = client.post(
            reverse("login"),
            {"username": user.email, "password": "not-the-password"},
            REMOTE_ADDR=ALICE,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}",
        )
        assert response.status_code in (200, 429)

    response = client.post(
        reverse("login"),
        {"username": user.email, "password": DEFAULT_PASSWORD},
        REMOTE_ADDR=ALICE,
        HTTP_X_FORWARDED_FOR=BOB,
    )
    assert response.status_code == 429
