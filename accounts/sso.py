"""Single sign-on through a centre's OpenID Connect provider (issue 20), beside passwords.

mozilla-django-oidc does the protocol: the authorisation request with state, nonce and PKCE
(accounts.views.sso), the code exchange, and the ID token's signature checked against the
provider's published keys (JWKS). It reads its settings once per site; here each centre has its
own provider, so `provider_settings` answers them per provider, from the provider's record and
its discovery document (read from `<issuer>/.well-known/openid-configuration`, cached).

Who may come in (`account_for`): only a person the provider's centre already has (a current
role there) or has invited (an open invitation), matched by an e-mail address the provider
says it has verified, whatever its capitals. Everyone else is refused with the reason, and
nothing is created. An invitee without an account gets one (no password: they may set one by
"Forgotten your password?") and their invitation is accepted, as choosing a password from the
invitation's link would.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from accounts.models import IdentityProvider, Invitation, Membership, User
from accounts.services import invitation_accept, normalise_email
from core.audit import record_event
from core.encryption import UnreadableSecret

logger = logging.getLogger(__name__)

# What the site asks the provider for: who they are, their address and whether it is verified.
SCOPES = "openid email profile"
# The algorithms whose keys the provider publishes (JWKS), in the order we prefer them.
ALGORITHMS = ("RS256", "ES256", "PS256")
DISCOVERY_SECONDS = 60 * 60
# A provider that answered is taken to be up for a minute: a busy sign-in page asks it once a
# minute, not once a press. One that did not is asked again at the next press.
ANSWERED_SECONDS = 60


# In the session after signing in through a provider: which one, its ID token (the hint its
# sign-out asks for) and its end_session_endpoint (where signing out here continues).
SSO_SESSION_KEY = "sso"


class ProviderUnreachable(Exception):
    """The provider's discovery document could not be read or is not the provider's."""


class SignInRefused(Exception):
    """The provider signed someone in whom this centre does not let in; the message says why."""


@dataclass(frozen=True)
class Endpoints:
    """What a provider's discovery document says, as far as signing in and out need it."""

    authorization: str
    token: str
    userinfo: str
    jwks: str
    end_session: str
    algorithm: str
    basic_auth: bool


def _discovery_key(issuer: str) -> str:
    return "sso:discovery:" + hashlib.sha256(issuer.encode()).hexdigest()


def endpoints(provider: IdentityProvider) -> Endpoints:
    """The provider's endpoints, from its discovery document (cached for an hour)."""
    key = _discovery_key(provider.issuer)
    document = cache.get(key)
    if document is None:
        address = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = requests.get(address, timeout=settings.SSO_TIMEOUT_SECONDS)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            logger.warning("SSO discovery failed for provider %s: %s", provider.pk, type(error))
            raise ProviderUnreachable(str(provider.issuer)) from None
        if not isinstance(document, dict):
            raise ProviderUnreachable(provider.issuer)
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer asked.
        if document.get("issuer") != provider.issuer:
            raise ProviderUnreachable(provider.issuer)
        cache.set(key, document, DISCOVERY_SECONDS)
    try:
        offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
        methods = document.get("token_endpoint_auth_methods_supported") or []
        return Endpoints(
            authorization=str(document["authorization_endpoint"]),
            token=str(document["token_endpoint"]),
            userinfo=str(document["userinfo_endpoint"]),
            jwks=str(document["jwks_uri"]),
            end_session=str(document.get("end_session_endpoint") or ""),
            algorithm=next(name for name in ALGORITHMS if name in offered),
            # The spec's default is HTTP Basic; the form post where the provider offers it.
            basic_auth="client_secret_post" not in methods,
        )
    except (KeyError, StopIteration):
        raise ProviderUnreachable(provider.issuer) from None


def _answered_key(jwks: str) -> str:
    return "sso:answered:" + hashlib.sha256(jwks.encode()).hexdigest()


def check_answering(provider: IdentityProvider, found: Endpoints) -> None:
    """ProviderUnreachable unless the provider answers now (or did within the last minute).

    The discovery document is cached for an hour, so a provider down since then would only be
    found out by the browser, on its own error page, once sent to the authorisation endpoint.
    Its key set (JWKS) is asked for instead, briefly: a small public document on the provider's
    side which the return needs anyway.
    """
    key = _answered_key(found.jwks)
    if cache.get(key):
        return
    try:
        response = requests.get(found.jwks, timeout=settings.SSO_PROBE_TIMEOUT_SECONDS)
        response.raise_for_status()
    except requests.RequestException as error:
        logger.warning(
            "SSO provider %s did not answer at the start of a sign-in: %s",
            provider.pk,
            type(error).__name__,
        )
        raise ProviderUnreachable(provider.issuer) from None
    cache.set(key, True, ANSWERED_SECONDS)


def provider_settings(provider: IdentityProvider, found: Endpoints) -> dict[str, Any]:
    """mozilla-django-oidc's settings, for this provider."""
    return {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": found.authorization,
        "OIDC_OP_TOKEN_ENDPOINT": found.token,
        "OIDC_OP_USER_ENDPOINT": found.userinfo,
        "OIDC_OP_JWKS_ENDPOINT": found.jwks,
        "OIDC_RP_CLIENT_ID": provider.client_id,
        "OIDC_RP_CLIENT_SECRET": provider.client_secret,
        "OIDC_RP_SIGN_ALGO": found.algorithm,
        "OIDC_RP_SCOPES": SCOPES,
        "OIDC_TOKEN_USE_BASIC_AUTH": found.basic_auth,
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_CREATE_USER": False,
        "OIDC_STORE_ID_TOKEN": False,
        "OIDC_VERIFY_SSL": True,
        "OIDC_TIMEOUT": settings.SSO_TIMEOUT_SECONDS,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "sso_callback",
    }


class CentreOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code exchange and token checks, for one centre's provider.

    Not in AUTHENTICATION_BACKENDS: the callback (accounts.views.sso) calls it with the
    provider its sign-in was started for. Two checks are added to the library's: the ID token's
    audience and issuer (the library checks neither), and the user info's subject against the
    ID token's (OpenID Connect Core 1.0, section 5.3.2).
    """

    def __init__(self, provider: IdentityProvider, found: Endpoints) -> None:
        self.provider = provider
        self.settings = provider_settings(provider, found)
        self.id_token = ""
        super().__init__()

    def get_settings(self, attr: str, *args: Any) -> Any:
        if attr in self.settings:
            return self.settings[attr]
        return import_from_settings(attr, *args)

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("The ID token is signed with another algorithm.")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.provider.issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                # Clocks of two machines never quite agree.
                leeway=60,
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"The ID token was refused: {error}") from None

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(claims, dict) or claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The user info is about someone else than the ID token.")
        return {**payload, **claims}

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        claims = self.get_userinfo(access_token, id_token, payload)
        user = account_for(provider=self.provider, claims=claims)
        # Kept for signing out of the provider too (its end_session_endpoint's id_token_hint).
        self.id_token = id_token
        return user


# ---------------------------------------------------------------- who may come in


def _not_invited(provider: IdentityProvider, email: str) -> SignInRefused:
    # The same words whether the address is unknown, someone of another centre, or switched
    # off: the sign-in page tells a stranger nothing about who has an account here.
    return SignInRefused(
        f"{email} is not someone {provider.centre.name} has invited, so you cannot sign in "
        f"with {provider.name}. Ask the centre to invite you, or sign in with your password."
    )


def account_for(*, provider: IdentityProvider, claims: dict[str, Any]) -> User:
    """The account a provider's verified claims sign in to, or SignInRefused with why.

    Let in: a current role at the provider's centre, or an open invitation to it, for the
    address the provider has verified. Nothing is written for a refusal.
    """
    if not provider.enabled:
        raise SignInRefused(
            f"Signing in with {provider.name} is switched off. Sign in with your password."
        )
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise SignInRefused(
            f"{provider.name} did not tell us your e-mail address, so your account cannot be "
            "found. Sign in with your password."
        )
    # Only the JSON true: a missing claim, false, or the string "false" is not a verification.
    if claims.get("email_verified") is not True:
        raise SignInRefused(
            f"{provider.name} has not verified your e-mail address {email.strip()}, so it "
            "cannot sign you in here. Verify it with them, or sign in with your password."
        )
    email = normalise_email(email)
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and not user.is_active:
        raise _not_invited(provider, email)
    if (
        user is not None
        and Membership.objects.current().filter(user=user, centre_id=provider.centre_id).exists()
    ):
        return user
    invited = list(
        Invitation.objects.open().filter(centre_id=provider.centre_id, email=email).order_by("pk")
    )
    if not invited:
        raise _not_invited(provider, email)
    if user is not None:
        # Their home page lists the invitation to accept or decline, as after any sign-in.
        return user
    return sso_sign_up(provider=provider, email=email, claims=claims, invitations=invited)


@transaction.atomic
def sso_sign_up(
    *,
    provider: IdentityProvider,
    email: str,
    claims: dict[str, Any],
    invitations: list[Invitation],
) -> User:
    """An invitee with no account arrives through their centre's provider: their account is
    made, and the centre's open invitations to them are accepted, as choosing a
    password from the invitation's link does (accounts.services.invitation_sign_up)."""
    name = invitations[-1].full_name or str(claims.get("name") or "")
    try:
        # A savepoint: someone signing up with the same address at the same moment wins.
        with transaction.atomic():
            # A password nobody knows, but a usable one: "Forgotten your password?" (which skips
            # accounts without one) lets them choose their own, should the provider go.
            user = User.objects.create_user(
                email=email, password=secrets.token_urlsafe(32), full_name=name[:150]
            )
    except IntegrityError:
        raise SignInRefused("Your account was being made at the same moment: try again.") from None
    record_event(
        actor=user,
        action="person.created",
        target=user,
        centre_id=provider.centre_id,
        data={"through": "single sign-on", "provider": provider.pk},
    )
    for invitation in invitations:
        invitation_accept(user=user, invitation=invitation)
    return user


# ---------------------------------------------------------------- the centre admin's settings

PROVIDER_FIELDS = ("name", "issuer", "client_id", "enabled")


@transaction.atomic
def identity_provider_save(
    *,
    actor: User | None,
    provider: IdentityProvider,
    secret: str = "",
    **fields: Any,
) -> IdentityProvider:
    """Add or change a centre's provider; a blank `secret` keeps the one saved. The audit event
    names what changed, never the secret itself."""
    adding = provider.pk is None
    # Compared with what is stored (a model form has already set its values on the instance).
    before: dict[str, Any] = (
        {}
        if adding
        else IdentityProvider.objects.filter(pk=provider.pk)
        .values(*PROVIDER_FIELDS, "client_secret_encrypted")
        .get()
    )
    provider.client_secret_encrypted = before.get("client_secret_encrypted", "")
    try:
        saved_secret = provider.client_secret
    except UnreadableSecret:
        # Encrypted with a key the site no longer has: only a new secret mends it.
        saved_secret = ""
    changed = [name for name in PROVIDER_FIELDS if before.get(name) != fields[name]]
    for name in PROVIDER_FIELDS:
        setattr(provider, name, fields[name])
    if secret and secret != saved_secret:
        changed.append("client_secret")
        # Encrypted by the model (core.encryption) before it reaches the database.
        provider.client_secret = secret
    elif not saved_secret:
        raise ValueError(
            "Enter the client secret the provider gave you."
            if not provider.client_secret_encrypted
            else "The saved secret cannot be read with this site's keys: enter it again."
        )
    provider.updated_at = timezone.now()
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError:
        raise ValueError(
            f"{provider.centre.name} already has a provider called {provider.name}."
        ) from None
    # Another issuer's document may differ: read it afresh next time.
    cache.delete(_discovery_key(provider.issuer))
    record_event(
        actor=actor,
        action="identity_provider.added" if adding else "identity_provider.changed",
        target=provider,
        centre_id=provider.centre_id,
        data={"changed": sorted(changed), "enabled": provider.enabled},
    )
    return provider


# ---------------------------------------------------------------- signing out of the provider


class SignOutFormPolicy:
    """Lets the sign-out form of someone signed in through a provider reach its sign-out.

    The site's Content-Security-Policy lets a form go only to the site itself (form-action
    'self'), and browsers hold a form's redirects to it too, so the sign-out's redirect to the
    provider's end_session_endpoint would be blocked. For such a session only, that endpoint's
    origin is added to form-action; nobody else's policy changes. After CSPMiddleware in
    MIDDLEWARE, so the response reaches this first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Only a session already read for this request (every page that shows the sign-out
        # form reads it for the header): an API call or a file costs no extra query.
        session = getattr(request, "session", None)
        signed_in_by = (
            session.get(SSO_SESSION_KEY) if session is not None and session.accessed else None
        )
        end_session = signed_in_by.get("end_session") if isinstance(signed_in_by, dict) else ""
        if end_session:
            parts = urlsplit(end_session)
            update = getattr(response, "_csp_update", None) or {}
            update["form-action"] = [
                *update.get("form-action", []),
                f"{parts.scheme}://{parts.netloc}",
            ]
            response._csp_update = update  # type: ignore[attr-defined]
        return response
