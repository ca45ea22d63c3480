"""Password reset: limited per address and per client, and the same for known and unknown."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models.password_reset import PasswordResetRequest
from accounts.password_reset import address_key
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KNOWN = "lee@centre.example"
UNKNOWN = "nobody@centre.example"


@pytest.fixture
def ask(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Callable[..., Any]:
    def post(email: str, ip: str = "203.0.113.7") -> Any:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)
        response.queued = len(callbacks)
        return response

    return post


def unmasked(page: bytes) -> bytes:
    # The CSRF token is masked afresh on every response; all else must be byte for byte equal.
    return re.sub(rb'"X-CSRFToken": "[^"]+"', b"", page)


@pytest.fixture(autouse=True)
def known() -> None:
    UserFactory(email=KNOWN)


def test_a_known_and_an_unknown_address_get_the_same_reply_and_queue_the_same_task(
    ask: Callable[..., Any],
) -> None:
    known = ask(KNOWN)
    unknown = ask(UNKNOWN)

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert known.content == unknown.content
    # The request's work is the same: one task queued either way; the task alone looks up.
    assert known.queued == unknown.queued == 1
    assert [message.to for message in mail.outbox] == [[KNOWN]]


def test_the_email_still_arrives_for_a_known_address(ask: Callable[..., Any]) -> None:
    ask(KNOWN.upper())

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [KNOWN]
    assert "/accounts/password/reset/" in mail.outbox[0].body


def test_an_address_gets_at_most_three_emails_an_hour_and_the_same_reply_after(
    ask: Callable[..., Any],
) -> None:
    replies = [ask(KNOWN, ip=f"203.0.113.{n}") for n in range(5)]

    assert len(mail.outbox) == 3
    # The fourth and fifth look exactly like the first: nothing tells the limit was reached.
    assert {reply.status_code for reply in replies} == {302}
    assert {reply["Location"] for reply in replies} == {reverse("password_reset_done")}
    assert [reply.queued for reply in replies] == [1, 1, 1, 0, 0]


def test_a_limited_address_gets_the_same_done_page(client: Client, ask: Callable[..., Any]) -> None:
    for _ in range(3):
        ask(KNOWN)
    first_page = unmasked(client.get(reverse("password_reset_done")).content)

    limited = ask(KNOWN)

    assert limited["Location"] == reverse("password_reset_done")
    assert unmasked(client.get(limited["Location"]).content) == first_page
    assert len(mail.outbox) == 3


def test_the_address_limit_ignores_capitals_and_counts_unknown_addresses_alike(
    ask: Callable[..., Any],
) -> None:
    for email in ("Nobody@centre.example", "NOBODY@centre.example", UNKNOWN):
        assert ask(email).queued == 1
    assert ask(UNKNOWN).queued == 0


def test_a_client_gets_ten_requests_an_hour_then_a_clear_429(ask: Callable[..., Any]) -> None:
    for n in range(10):
        assert ask(f"person{n}@centre.example").status_code == 302

    refused = ask(KNOWN)

    assert refused.status_code == 429
    assert "Too many reset requests" in refused.content.decode()
    assert refused.queued == 0
    assert mail.outbox == []
    # Another client is not held back.
    assert ask(KNOWN, ip="198.51.100.1").status_code == 302
    assert len(mail.outbox) == 1


def test_the_limits_last_an_hour(ask: Callable[..., Any]) -> None:
    for _ in range(3):
        ask(KNOWN)
    PasswordResetRequest.objects.update(created_at=timezone.now() - timedelta(minutes=61))

    assert ask(KNOWN).queued == 1
    assert len(mail.outbox) == 4
    # Rows past the window are cleared as new requests come.
    assert PasswordResetRequest.objects.count() == 1


def test_the_limits_come_from_settings(settings, ask: Callable[..., Any]) -> None:
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 1
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 2

    assert ask(KNOWN).queued == 1
    assert ask(KNOWN).queued == 0
    assert ask(UNKNOWN).status_code == 429


def test_addresses_are_stored_only_as_keyed_hashes(ask: Callable[..., Any]) -> None:
    ask(KNOWN)

    stored = PasswordResetRequest.objects.get()
    assert stored.address_key == address_key(KNOWN)
    assert KNOWN not in stored.address_key
    assert stored.client == "203.0.113.7"
