from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-in attempts"


def _sign_in(client: Client, email: str, password: str) -> HttpResponse:
    return client.post(reverse("login"), {"username": email, "password": password})


def _fail(client: Client, email: str, times: int) -> None:
    for _ in range(times):
        response = _sign_in(client, email, "not-the-password")
        assert "_auth_user_id" not in client.session
        assert response.status_code in (200, 429)


# ---------------------------------------------------------------- lockout


def test_five_failures_lock_the_address_even_against_the_right_password(
    client: Client, user: User
) -> None:
    _fail(client, user.email, 5)

    response = _sign_in(client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock_the_address(client: Client, user: User) -> None:
    _fail(client, user.email, 4)

    response = _sign_in(client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_another_address_is_unaffected_by_a_locked_one(client: Client, user: User) -> None:
    other = UserFactory()
    _fail(client, user.email, 5)

    response = _sign_in(client, other.email, DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)


def test_a_successful_sign_in_resets_the_count(client: Client, user: User) -> None:
    _fail(client, user.email, 4)
    assert _sign_in(client, user.email, DEFAULT_PASSWORD).status_code == 302
    client.logout()

    _fail(client, user.email, 4)
    response = _sign_in(client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_changing_the_capitals_of_the_address_does_not_escape_the_lockout(
    client: Client,
) -> None:
    UserFactory(email="lee@centre.example")
    for email in ("Lee@centre.example", "LEE@centre.example", "lEe@centre.example"):
        _fail(client, email, 2)

    response = _sign_in(client, "lee@centre.example", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# ---------------------------------------------------------------- passwords and sessions


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("k7#Qz", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("83920174651", "This password is entirely numeric."),
    ],
)
def test_a_weak_new_password_is_refused(
    client: Client, user: User, password: str, message: str
) -> None:
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": password, "new_password2": password},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_a_session_lasts_two_weeks(client: Client, user: User) -> None:
    assert settings.SESSION_COOKIE_AGE == 60 * 60 * 24 * 14

    _sign_in(client, user.email, DEFAULT_PASSWORD)

    assert client.session.get_expiry_age() == 60 * 60 * 24 * 14
    assert not settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


# ---------------------------------------------------------------- CSRF

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.IGNORECASE | re.DOTALL)
POST = re.compile(r"""method\s*=\s*["']?post\b""", re.IGNORECASE)


def _template_files() -> list[Path]:
    folders = [Path(folder) for folder in settings.TEMPLATES[0]["DIRS"]]
    folders += [p for p in Path(settings.BASE_DIR).glob("*/templates") if ".venv" not in str(p)]
    return sorted(path for folder in folders for path in folder.rglob("*.html"))


def test_every_post_form_in_the_templates_carries_a_csrf_token() -> None:
    missing, found = [], 0
    for path in _template_files():
        for attributes, body in FORM.findall(path.read_text()):
            if POST.search(attributes):
                found += 1
                if "{% csrf_token %}" not in body:
                    missing.append(f"{path.relative_to(settings.BASE_DIR)}: <form{attributes}>")

    assert found >= 5  # the scan really looks at the project's forms
    assert missing == []


def test_signing_in_without_a_csrf_token_is_refused(user: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = _sign_in(client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_signing_in_with_the_pages_csrf_token_works(user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value

    response = client.post(
        reverse("login"),
        {"username": user.email, "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
