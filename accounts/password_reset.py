"""Password reset, limited per address and per client, the same work whoever asks.

The request only records the ask and queues `send_password_reset`; the task finds whether the
address belongs to anyone and, if so, builds and sends the e-mail. So a known and an unknown
address cost the request the same (with a broker; the embedded set-up runs tasks in-process),
and get the same reply. Past the per-address limit the reply is still the same and nothing is
queued; past the per-client limit the client is told to wait (HTTP 429).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models.password_reset import PasswordResetRequest


@dataclass(frozen=True)
class Limits:
    per_address: int
    per_client: int
    window: timedelta


def limits() -> Limits:
    return Limits(
        per_address=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
        per_client=settings.PASSWORD_RESET_LIMIT_PER_CLIENT,
        window=timedelta(seconds=settings.PASSWORD_RESET_LIMIT_WINDOW_SECONDS),
    )


def address_key(email: str) -> str:
    # Addresses match whatever their capitals (sign-in and reset both ignore case).
    return salted_hmac("accounts.password_reset", email.strip().lower()).hexdigest()


def _recent(now: datetime) -> QuerySet[PasswordResetRequest]:
    return PasswordResetRequest.objects.filter(created_at__gte=now - limits().window)


def client_limited(client: str | None) -> bool:
    """Whether this client has asked for as many resets as the window allows."""
    if client is None:
        return False
    now = timezone.now()
    return _recent(now).filter(client=client).count() >= limits().per_client


def reset_request(*, email: str, client: str | None, domain: str, use_https: bool) -> bool:
    """Record a reset asked for `email` and queue its e-mail unless the address's limit is
    reached. Returns whether it was queued (for tests; the reply must not depend on it)."""
    from accounts.tasks import send_password_reset

    now = timezone.now()
    key = address_key(email)
    with transaction.atomic():
        # Rows past the window have done their job; clearing them keeps the table small.
        PasswordResetRequest.objects.filter(created_at__lt=now - limits().window).delete()
        sent = _recent(now).filter(address_key=key, queued=True).count()
        queued = sent < limits().per_address
        PasswordResetRequest.objects.create(
            address_key=key, client=client, queued=queued, created_at=now
        )
        if queued:
            transaction.on_commit(
                lambda: send_password_reset.delay(email=email, domain=domain, use_https=use_https)
            )
    return queued
