from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_front_page_sends_a_visitor_to_sign_in(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_the_sign_in_page_asks_for_an_email_address(client: Client) -> None:
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'for="id_username"' in html
    assert "E-mail address" in html
    assert 'type="email" name="username"' in html
    assert "Forgotten your password?" in html


def test_signing_in_leads_home_and_the_header_says_who(client: Client) -> None:
    user = UserFactory(full_name="Amira Khan")

    response = client.post(
        reverse("login"), {"username": user.email, "password": DEFAULT_PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/"
    html = response.content.decode()
    assert "Signed in as <strong>Amira Khan</strong>" in html
    assert "Welcome, Amira" in html


def test_signing_in_rotates_the_session_logs_the_access_and_costs_fixed_queries(
    client: Client, django_assert_num_queries
) -> None:
    from axes.models import AccessLog
    from django.contrib.sessions.models import Session

    user = UserFactory()
    before = client.session
    before["seen"] = True
    before.save()

    # The old session read; the failure count checked, the person read; then in one
    # transaction the new session (its key checked unused, inserted), the old one read and
    # deleted, the access attempts cleared (read twice) and the access logged, the last
    # sign-in time; the roles read (for the page log); the session's contents saved.
    # Savepoints around the transaction and each session write (the test runs inside a
    # transaction of its own). None of it grows with anything.
    with django_assert_num_queries(19):
        response = client.post(
            reverse("login"), {"username": user.email, "password": DEFAULT_PASSWORD}
        )

    assert response.status_code == 302
    assert response["Location"] == "/"
    after = client.cookies["sessionid"].value
    assert after != before.session_key
    assert not Session.objects.filter(session_key=before.session_key).exists()
    assert Session.objects.get(session_key=after).get_decoded()["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.last_login is not None
    assert AccessLog.objects.filter(username=user.email).count() == 1


def test_a_wrong_password_gets_a_clear_message_and_keeps_the_address(client: Client) -> None:
    user = UserFactory()

    response = client.post(reverse("login"), {"username": user.email, "password": "wrong"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Please enter a correct e-mail address and password" in html
    assert f'value="{user.email}"' in html
    assert "_auth_user_id" not in client.session


def test_an_inactive_account_cannot_sign_in(client: Client) -> None:
    user = UserFactory(is_active=False)

    client.post(reverse("login"), {"username": user.email, "password": DEFAULT_PASSWORD})

    assert "_auth_user_id" not in client.session


def test_signing_out_needs_a_post_and_ends_the_session(client: Client, user: User) -> None:
    client.force_login(user)

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_a_signed_in_person_can_change_their_password(client: Client, user: User) -> None:
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": "a-much-better-passphrase",
            "new_password2": "a-much-better-passphrase",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("a-much-better-passphrase")


def test_password_change_needs_sign_in(client: Client) -> None:
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_forgotten_password_is_reset_through_an_emailed_link(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    user = UserFactory(email="lee@centre.example")

    # The e-mail is sent by a task queued once the request's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "LEE@centre.example"})
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lee@centre.example"]
    assert message.subject == "Reset your e-portfolio password"
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", message.body).group(1)

    # Django swaps the token for a session marker on the first visit, then shows the form.
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "fresh-passphrase-99", "new_password2": "fresh-passphrase-99"},
    )
    assert done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("fresh-passphrase-99")

    # The link works once.
    again = client.get(link, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_a_reset_for_an_unknown_address_reveals_nothing(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "nobody@centre.example"})

    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []
