"""Single sign-on (issue 20): who a centre's provider may sign in, and what its answers must be.

The provider here is a small one of the test's own, on 127.0.0.1: it publishes a discovery
document and its keys (JWKS) and answers the token and user info endpoints with ID tokens it
really signs (RS256). mozilla-django-oidc fetches and checks them as it would any provider's;
nothing of the checking is mocked. So each test can say exactly what the provider answers, an
unverified address, someone else's token, a forged signature, and see what the site does. The
browser tests (tests/browser/test_single_sign_on.py) do it again against the `oidc-provider`
package.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import IdentityProvider, Invitation, InvitationStatus, Membership, User
from accounts.sso import SSO_SESSION_KEY
from core.models import AuditEvent
from tests.factories import CentreFactory, UserFactory, invite, member

pytestmark = pytest.mark.django_db

CLIENT_ID = "eportfolio-test"
CLIENT_SECRET = "a-client-secret-of-the-tests-0123456789"


class Provider:
    """The test's OpenID provider: what it will answer next is the test's to set."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        # Another key under the same name: what a forger without the provider's key would sign with.
        self.forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.claims: dict[str, Any] = {}
        self.token_claims: dict[str, Any] = {}
        self.userinfo_sub: str | None = None
        self.sign_with = self.key
        self.token_requests: list[dict[str, list[str]]] = []
        # Every path asked for with GET, in order.
        self.asked: list[str] = []
        self.jwks_path = "/jwks"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/auth",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/me",
            "jwks_uri": f"{self.issuer}{self.jwks_path}",
            "end_session_endpoint": f"{self.issuer}/session/end",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        }

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "person-1",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **self.token_claims,
        }
        return jwt.encode(claims, self.sign_with, algorithm="RS256", headers={"kid": "k1"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                provider.asked.append(self.path)
                if self.path == "/.well-known/openid-configuration":
                    self._json(provider.discovery())
                elif self.path == "/jwks":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key()))
                    self._json({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]})
                elif self.path == "/me":
                    self._json({"sub": provider.userinfo_sub or "person-1", **provider.claims})
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = parse_qs(body)
                provider.token_requests.append(form)
                nonce = provider.nonces.get(form["code"][0], "")
                self._json(
                    {
                        "access_token": "an-access-token",
                        "token_type": "Bearer",
                        "id_token": provider.id_token(nonce),
                    }
                )

        return Handler

    # The nonce each code was issued for (the authorisation request carried it).
    nonces: dict[str, str]

    def start(self) -> None:
        self.nonces = {}
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def op() -> Iterator[Provider]:
    provider = Provider()
    provider.start()
    cache.clear()
    yield provider
    provider.stop()
    cache.clear()


@pytest.fixture
def centre() -> Any:
    return CentreFactory(name="Northfield College")


@pytest.fixture
def idp(op: Provider, centre: Any) -> IdentityProvider:
    return IdentityProvider.objects.create(
        centre=centre,
        name="Northfield College account",
        issuer=op.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def sign_in_through(
    client: Client, op: Provider, idp: IdentityProvider, claims: dict[str, Any], **query: str
) -> Any:
    """Press the button, then come back as the provider would, with `claims` about the person."""
    start = client.get(reverse("sso_start", args=[idp.pk]))
    assert start.status_code == 302, start
    sent = parse_qs(urlsplit(start["Location"]).query)
    op.claims = claims
    op.nonces["the-code"] = sent["nonce"][0]
    back = {"code": "the-code", "state": sent["state"][0], "iss": op.issuer, **query}
    return client.get(reverse("sso_callback"), back)


def signed_in_as(client: Client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


VERIFIED = {"email": "helen.carter@northfield.example", "email_verified": True}


# ---------------------------------------------------------------- the request sent


def test_the_button_asks_the_provider_with_state_nonce_and_pkce(
    client: Client, op: Provider, idp: IdentityProvider
) -> None:
    response = client.get(reverse("sso_start", args=[idp.pk]), {"next": "/centre/people/"})

    assert response["Location"].startswith(f"{op.issuer}/auth?")
    sent = parse_qs(urlsplit(response["Location"]).query)
    assert sent["client_id"] == [CLIENT_ID]
    assert sent["scope"] == ["openid email profile"]
    assert sent["redirect_uri"] == ["http://testserver/accounts/sso/callback/"]
    assert sent["code_challenge_method"] == ["S256"]
    assert len(sent["state"][0]) >= 32
    assert len(sent["nonce"][0]) >= 32
    # The secret never travels through the browser.
    assert CLIENT_SECRET not in response["Location"]


# ---------------------------------------------------------------- who comes in


def test_someone_with_a_role_at_the_centre_comes_in_by_a_verified_address(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any
) -> None:
    helen = member(centre, "admin", email="helen.carter@northfield.example")

    response = sign_in_through(client, op, idp, VERIFIED)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_as(client) == helen.pk
    # The code was exchanged with the PKCE verifier and the client's secret (over the back
    # channel), and the ID token is kept for signing out of the provider.
    token_request = op.token_requests[-1]
    assert token_request["client_secret"] == [CLIENT_SECRET]
    assert len(token_request["code_verifier"][0]) >= 43
    assert client.session[SSO_SESSION_KEY]["provider"] == idp.pk
    assert client.session[SSO_SESSION_KEY]["end_session"] == f"{op.issuer}/session/end"


def test_the_address_matches_whatever_its_capitals(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any
) -> None:
    helen = member(centre, "learner", email="helen.carter@northfield.example")

    sign_in_through(
        client, op, idp, {"email": "Helen.Carter@NORTHFIELD.example", "email_verified": True}
    )

    assert signed_in_as(client) == helen.pk


def test_the_page_asked_for_before_signing_in_is_where_they_land(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any
) -> None:
    member(centre, "admin", email="helen.carter@northfield.example")
    start = client.get(reverse("sso_start", args=[idp.pk]), {"next": "/centre/people/"})
    sent = parse_qs(urlsplit(start["Location"]).query)
    op.claims, op.nonces["c"] = VERIFIED, sent["nonce"][0]

    response = client.get(reverse("sso_callback"), {"code": "c", "state": sent["state"][0]})

    assert response["Location"] == "/centre/people/"


def test_signing_in_over_someone_else_lands_on_the_page_asked_for_as_the_new_person(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any
) -> None:
    helen = member(centre, "admin", email="helen.carter@northfield.example")
    client.force_login(UserFactory())
    start = client.get(reverse("sso_start", args=[idp.pk]), {"next": "/centre/people/"})
    sent = parse_qs(urlsplit(start["Location"]).query)
    op.claims, op.nonces["c"] = VERIFIED, sent["nonce"][0]

    response = client.get(reverse("sso_callback"), {"code": "c", "state": sent["state"][0]})

    assert response["Location"] == "/centre/people/"
    assert signed_in_as(client) == helen.pk


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"email": VERIFIED["email"], "email_verified": False}, "has not verified your e-mail"),
        ({"email": VERIFIED["email"]}, "has not verified your e-mail"),
        # Only JSON's true: a string is not the provider saying so.
        ({"email": VERIFIED["email"], "email_verified": "true"}, "has not verified your e-mail"),
        ({"email_verified": True}, "did not tell us your e-mail address"),
    ],
    ids=["unverified", "verification not said", "verified as a string", "no address"],
)
def test_an_address_the_provider_has_not_verified_is_refused(
    client: Client,
    op: Provider,
    idp: IdentityProvider,
    centre: Any,
    claims: dict[str, Any],
    reason: str,
) -> None:
    member(centre, "admin", email=VERIFIED["email"])

    response = sign_in_through(client, op, idp, claims)

    assert response["Location"] == reverse("login")
    assert signed_in_as(client) is None
    assert any(reason in message for message in _messages(response))


def test_an_address_nobody_has_is_refused_and_nothing_is_made(
    client: Client, op: Provider, idp: IdentityProvider
) -> None:
    users, events = User.objects.count(), AuditEvent.objects.count()

    response = sign_in_through(client, op, idp, VERIFIED)

    assert signed_in_as(client) is None
    assert _messages(response) == [
        "helen.carter@northfield.example is not someone Northfield College has invited, so you "
        "cannot sign in with Northfield College account. Ask the centre to invite you, or sign "
        "in with your password."
    ]
    assert (User.objects.count(), AuditEvent.objects.count()) == (users, events)
    # The login page shows it.
    page = Client().get(reverse("login"))
    assert page.status_code == 200


@pytest.mark.parametrize(
    "situation",
    ["another centre only", "role revoked", "invitation expired", "invitation withdrawn"],
)
def test_someone_the_centre_has_not_let_in_is_refused_as_a_stranger_is(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any, situation: str
) -> None:
    email = VERIFIED["email"]
    if situation == "another centre only":
        member(CentreFactory(name="Southfield"), "admin", email=email)
    elif situation == "role revoked":
        member(centre, "assessor", email=email)
        Membership.objects.filter(user__email=email).update(is_active=False)
    else:
        invitation = invite(centre, email)
        if situation == "invitation expired":
            Invitation.objects.filter(pk=invitation.pk).update(expires_at=invitation.sent_at)
        else:
            Invitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.WITHDRAWN)
    users = User.objects.count()

    response = sign_in_through(client, op, idp, VERIFIED)

    assert signed_in_as(client) is None
    # The same words as for a stranger: the page says nothing of other centres' people.
    assert "is not someone Northfield College has invited" in _messages(response)[0]
    assert User.objects.count() == users


def test_a_switched_off_account_is_refused(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any
) -> None:
    member(centre, "admin", email=VERIFIED["email"], is_active=False)

    response = sign_in_through(client, op, idp, VERIFIED)

    assert signed_in_as(client) is None
    assert "is not someone Northfield College has invited" in _messages(response)[0]


def test_an_invited_account_holder_comes_in_and_answers_the_invitation_at_home(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any
) -> None:
    helen = member(CentreFactory(name="Southfield"), "admin", email=VERIFIED["email"])
    invitation = invite(centre, VERIFIED["email"], "assessor")

    sign_in_through(client, op, idp, VERIFIED)

    assert signed_in_as(client) == helen.pk
    # Accepting stays theirs to do, as after signing in with a password.
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    home = client.get("/")
    assert reverse("invitations:accept", args=[invitation.pk]) in home.content.decode()


def test_an_invitee_without_an_account_gets_one_and_the_role_invited_to(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any
) -> None:
    invitation = invite(centre, VERIFIED["email"], "learner", full_name="Helen Carter")

    sign_in_through(client, op, idp, {**VERIFIED, "name": "H. Carter"})

    helen = User.objects.get(email=VERIFIED["email"])
    assert signed_in_as(client) == helen.pk
    assert helen.full_name == "Helen Carter"  # as the centre typed it
    # A password nobody knows: "Forgotten your password?" lets her choose one.
    assert helen.has_usable_password()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert Membership.objects.get(user=helen).role == "learner"
    assert set(AuditEvent.objects.filter(centre_id=centre.pk).values_list("action", flat=True)) >= {
        "person.created",
        "invitation.accepted",
    }


# ---------------------------------------------------------------- the provider's answers


@pytest.mark.parametrize(
    ("change", "what"),
    [
        ("forged signature", "signed with another key"),
        ("another client's token", "aud"),
        ("another issuer's token", "iss"),
        ("another sign-in's nonce", "nonce"),
        ("expired token", "exp"),
        ("user info of someone else", "sub"),
    ],
)
def test_an_answer_that_fails_its_checks_signs_nobody_in(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any, change: str, what: str
) -> None:
    member(centre, "admin", email=VERIFIED["email"])
    if change == "forged signature":
        op.sign_with = op.forger
    elif change == "another client's token":
        op.token_claims = {"aud": "someone-elses-client"}
    elif change == "another issuer's token":
        op.token_claims = {"iss": "https://evil.example"}
    elif change == "another sign-in's nonce":
        op.token_claims = {"nonce": "not-the-one-sent"}
    elif change == "expired token":
        op.token_claims = {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}
    else:
        op.userinfo_sub = "person-2"

    response = sign_in_through(client, op, idp, VERIFIED)

    assert signed_in_as(client) is None
    assert response["Location"] == reverse("login")
    assert _messages(response) == [
        "Northfield College account's answer could not be checked, so you are not signed in. "
        "Try again, or sign in with your password."
    ]


def test_a_provider_answer_is_used_once(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any
) -> None:
    member(centre, "admin", email=VERIFIED["email"])
    start = client.get(reverse("sso_start", args=[idp.pk]))
    sent = parse_qs(urlsplit(start["Location"]).query)
    op.claims, op.nonces["c"] = VERIFIED, sent["nonce"][0]
    back = {"code": "c", "state": sent["state"][0]}
    client.get(reverse("sso_callback"), back)
    client.post(reverse("logout"))

    again = client.get(reverse("sso_callback"), back)

    assert signed_in_as(client) is None
    assert "was not started here, or was used already" in _messages(again)[0]


def test_an_answer_naming_another_issuer_is_refused(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any
) -> None:
    member(centre, "admin", email=VERIFIED["email"])

    response = sign_in_through(client, op, idp, VERIFIED, iss="https://evil.example")

    assert signed_in_as(client) is None
    assert "That answer is not Northfield College account's" in _messages(response)[0]
    assert op.token_requests == []


def test_a_refusal_by_the_provider_is_said_plainly(
    client: Client, op: Provider, idp: IdentityProvider
) -> None:
    response = sign_in_through(client, op, idp, VERIFIED, error="access_denied")

    assert "Northfield College account did not sign you in" in _messages(response)[0]
    assert op.token_requests == []


# ---------------------------------------------------------------- a provider off or out of reach


def test_a_switched_off_provider_signs_nobody_in(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any
) -> None:
    member(centre, "admin", email=VERIFIED["email"])
    start = client.get(reverse("sso_start", args=[idp.pk]))
    sent = parse_qs(urlsplit(start["Location"]).query)
    # Switched off while the person was at the provider.
    IdentityProvider.objects.filter(pk=idp.pk).update(enabled=False)
    op.claims, op.nonces["c"] = VERIFIED, sent["nonce"][0]

    response = client.get(reverse("sso_callback"), {"code": "c", "state": sent["state"][0]})

    assert signed_in_as(client) is None
    assert "Signing in with Northfield College account is switched off" in _messages(response)[0]
    # And its button goes to the sign-in page with the reason.
    again = client.get(reverse("sso_start", args=[idp.pk]), follow=True)
    assert "That way of signing in is switched off" in again.content.decode()


def test_a_provider_out_of_reach_is_said_on_the_sign_in_page_not_a_server_error(
    client: Client, centre: Any
) -> None:
    cache.clear()
    # Nothing listens on port 9 of this machine (the discard port).
    idp = IdentityProvider.objects.create(
        centre=centre,
        name="Northfield College account",
        issuer="http://127.0.0.1:9",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )

    response = client.get(reverse("sso_start", args=[idp.pk]), follow=True)

    assert response.status_code == 200
    assert (
        "Northfield College&#x27;s sign-in service (Northfield College account) is not answering "
        "just now, so you cannot sign in with it. Sign in with your password, or try again later."
    ) in response.content.decode()


def test_a_discovery_document_of_another_issuer_is_not_trusted(
    client: Client, op: Provider, centre: Any
) -> None:
    # The document at this address names op.issuer, not the issuer saved (a trailing slash).
    idp = IdentityProvider.objects.create(
        centre=centre,
        name="Northfield College account",
        issuer=op.issuer + "/",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )

    response = client.get(reverse("sso_start", args=[idp.pk]), follow=True)

    assert "is not answering just now" in response.content.decode()


def test_a_provider_stopped_after_its_discovery_was_cached_is_said_on_the_sign_in_page(
    client: Client,
    op: Provider,
    idp: IdentityProvider,
    centre: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    member(centre, "admin", email=VERIFIED["email"])
    # Up: the first press reads its discovery document (kept an hour) and its keys.
    first = client.get(reverse("sso_start", args=[idp.pk]))
    assert first["Location"].startswith(f"{op.issuer}/auth?")
    assert op.asked == ["/.well-known/openid-configuration", "/jwks"]
    # A second press within the minute asks the provider nothing.
    client.get(reverse("sso_start", args=[idp.pk]))
    assert len(op.asked) == 2
    states = dict(client.session["oidc_states"])
    assert len(states) == 2
    # Then it stops, and the minute passes (the discovery document is still cached).
    op.stop()
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)

    with caplog.at_level("WARNING", logger="accounts.sso"):
        response = client.get(reverse("sso_start", args=[idp.pk]))

    # Our own sign-in page with the reason, not the browser's error page at the provider.
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert _messages(response) == [
        "Northfield College's sign-in service (Northfield College account) is not answering "
        "just now, so you cannot sign in with it. Sign in with your password, or try again later."
    ]
    # No sign-in was started: no state kept for it; and the failure is logged, by provider.
    assert dict(client.session["oidc_states"]) == states
    assert signed_in_as(client) is None
    assert [r.getMessage() for r in caplog.records] == [
        f"SSO provider {idp.pk} did not answer at the start of a sign-in: ConnectionError"
    ]
    page = client.get(reverse("login"))
    assert page.status_code == 200


def test_a_provider_that_did_not_answer_is_asked_again_at_the_next_press(
    client: Client, op: Provider, idp: IdentityProvider
) -> None:
    from accounts import sso

    # Its key set is not found once (a 404), then answers: only an answer is remembered.
    op.jwks_path = "/gone"
    refused = client.get(reverse("sso_start", args=[idp.pk]), follow=True)
    assert "is not answering just now" in refused.content.decode()
    op.jwks_path = "/jwks"
    cache.delete(sso._discovery_key(idp.issuer))

    again = client.get(reverse("sso_start", args=[idp.pk]))

    assert again["Location"].startswith(f"{op.issuer}/auth?")
    assert op.asked == [
        "/.well-known/openid-configuration",
        "/gone",
        "/.well-known/openid-configuration",
        "/jwks",
    ]


# ---------------------------------------------------------------- the secret's keys


def test_signing_in_works_with_the_secret_encrypted_under_a_key_since_rotated_out_of_first(
    client: Client, op: Provider, centre: Any
) -> None:
    from cryptography.fernet import Fernet
    from django.test import override_settings

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    helen = member(centre, "admin", email=VERIFIED["email"])
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        idp = IdentityProvider.objects.create(
            centre=centre,
            name="Northfield College account",
            issuer=op.issuer,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        )

    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        sign_in_through(client, op, idp, VERIFIED)

    assert signed_in_as(client) == helen.pk
    # The provider was sent the secret in clear, over the back channel.
    assert op.token_requests[-1]["client_secret"] == [CLIENT_SECRET]


def test_a_secret_no_key_opens_refuses_the_sign_in_with_a_message_not_a_server_error(
    client: Client,
    op: Provider,
    idp: IdentityProvider,
    centre: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from cryptography.fernet import Fernet
    from django.test import override_settings

    member(centre, "admin", email=VERIFIED["email"])
    start = client.get(reverse("sso_start", args=[idp.pk]))
    sent = parse_qs(urlsplit(start["Location"]).query)
    op.claims, op.nonces["c"] = VERIFIED, sent["nonce"][0]
    expected = (
        "Signing in with Northfield College account is not working just now: this site cannot "
        "read its settings. Sign in with your password, and tell Northfield College."
    )

    with override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        # On the way back from the provider (the keys changed meanwhile)...
        back = client.get(
            reverse("sso_callback"), {"code": "c", "state": sent["state"][0]}, follow=True
        )
        # ... and at the button: the person is not sent to the provider at all.
        pressed = client.get(reverse("sso_start", args=[idp.pk]), follow=True)

    for response in (back, pressed):
        assert response.redirect_chain == [(reverse("login"), 302)]
        assert response.status_code == 200
        assert expected.replace("'", "&#x27;") in response.content.decode()
    assert op.token_requests == []
    assert signed_in_as(client) is None
    assert "cannot be read with FIELD_ENCRYPTION_KEYS" in caplog.text


# ---------------------------------------------------------------- signing out


def test_signing_out_goes_on_to_the_providers_sign_out_with_the_id_token(
    client: Client, op: Provider, idp: IdentityProvider, centre: Any
) -> None:
    member(centre, "admin", email=VERIFIED["email"])
    sign_in_through(client, op, idp, VERIFIED)
    id_token = client.session[SSO_SESSION_KEY]["id_token"]
    # Every page of this session lets its sign-out form reach the provider's sign-out.
    home = client.get("/")
    assert f"form-action 'self' {op.issuer}" in home["Content-Security-Policy"]

    response = client.post(reverse("logout"))

    assert signed_in_as(client) is None
    assert response["Location"].startswith(f"{op.issuer}/session/end?")
    sent = parse_qs(urlsplit(response["Location"]).query)
    assert sent["id_token_hint"] == [id_token]
    assert sent["client_id"] == [CLIENT_ID]
    assert sent["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]


def test_signing_out_after_a_password_sign_in_stays_here(client: Client) -> None:
    person = UserFactory()
    client.force_login(person)
    assert "form-action 'self';" in client.get("/")["Content-Security-Policy"] + ";"

    response = client.post(reverse("logout"))

    assert response["Location"] == reverse("login")
