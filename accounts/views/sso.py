"""Single sign-on pages (issue 20): "Sign in with <provider>", the provider's return, signing
out of both, and the centre admin's provider settings.

A refusal (an address not invited, not verified, a provider switched off or out of reach, an
answer that fails its checks) goes back to the sign-in page with the reason; nothing is made.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from accounts.context import admin_centre
from accounts.forms.sso import IdentityProviderForm
from accounts.models import Centre, IdentityProvider
from accounts.requests import AuthedRequest
from accounts.sso import (
    PROVIDER_FIELDS,
    SSO_SESSION_KEY,
    CentreOIDCBackend,
    Endpoints,
    ProviderUnreachable,
    SignInRefused,
    check_answering,
    endpoints,
    identity_provider_save,
    provider_settings,
)
from core.encryption import UnreadableSecret

logger = logging.getLogger(__name__)

# The library's own session key for the states of sign-ins under way.
STATES_KEY = "oidc_states"


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    messages.error(request, reason)
    return redirect("login")


def _unreadable(provider: IdentityProvider) -> str:
    logger.error(
        "SSO provider %s: its client secret cannot be read with FIELD_ENCRYPTION_KEYS",
        provider.pk,
    )
    return (
        f"Signing in with {provider.name} is not working just now: this site cannot read its "
        f"settings. Sign in with your password, and tell {provider.centre.name}."
    )


def _unreachable(provider: IdentityProvider) -> str:
    return (
        f"{provider.centre.name}'s sign-in service ({provider.name}) is not answering just now, "
        "so you cannot sign in with it. Sign in with your password, or try again later."
    )


class SsoStartView(OIDCAuthenticationRequestView):
    """The library's authorisation request (state, nonce, PKCE kept in the session), for the
    provider chosen; the provider's id rides with the state, for the return."""

    def __init__(self, **kwargs: Any) -> None:
        # The library reads its endpoints here; ours depend on the provider, known in get().
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)
        self.settings: dict[str, Any] = {}

    def get_settings(self, attr: str, *args: Any) -> Any:
        if attr in self.settings:
            return self.settings[attr]
        return import_from_settings(attr, *args)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        provider = IdentityProvider.objects.select_related("centre").filter(pk=pk).first()
        if provider is None or not provider.enabled:
            return _refused(
                request, "That way of signing in is switched off. Sign in with your password."
            )
        # The return needs it: better said now than after the person has signed in there.
        if not provider.secret_readable:
            return _refused(request, _unreadable(provider))
        try:
            found = endpoints(provider)
            # Before the library keeps a state in the session: nothing is made for a sign-in
            # that cannot go on.
            check_answering(provider, found)
        except ProviderUnreachable:
            return _refused(request, _unreachable(provider))
        self.settings = provider_settings(provider, found)
        self.OIDC_OP_AUTH_ENDPOINT = found.authorization
        self.OIDC_RP_CLIENT_ID = provider.client_id
        response = super().get(request)
        state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
        request.session[STATES_KEY][state]["provider"] = provider.pk
        request.session.modified = True
        return response


sso_start = SsoStartView.as_view()


def _checked_user(
    request: HttpRequest, provider: IdentityProvider, found: Endpoints, entry: dict[str, Any]
) -> tuple[Any, str]:
    backend = CentreOIDCBackend(provider, found)
    user = backend.authenticate(
        request, nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier")
    )
    return user, backend.id_token


@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the person back, with a code to exchange for their tokens."""
    states = request.session.get(STATES_KEY)
    state = request.GET.get("state", "")
    # Each state is used once, whatever the outcome (no replaying a provider's answer).
    entry = states.pop(state, None) if isinstance(states, dict) and state else None
    request.session.modified = True
    if not isinstance(entry, dict) or "provider" not in entry:
        return _refused(
            request, "That sign-in was not started here, or was used already. Start again."
        )
    provider = (
        IdentityProvider.objects.select_related("centre").filter(pk=entry["provider"]).first()
    )
    if provider is None:
        return _refused(request, "That way of signing in no longer exists.")
    if request.GET.get("error"):
        return _refused(
            request,
            f"{provider.name} did not sign you in. Try again, or sign in with your password.",
        )
    # RFC 9207: a provider that names itself must name the one the sign-in was started with.
    if request.GET.get("iss", provider.issuer) != provider.issuer or not request.GET.get("code"):
        return _refused(request, f"That answer is not {provider.name}'s. Start again.")
    try:
        found = endpoints(provider)
        user, id_token = _checked_user(request, provider, found, entry)
    except ProviderUnreachable:
        return _refused(request, _unreachable(provider))
    except UnreadableSecret:
        return _refused(request, _unreadable(provider))
    except SignInRefused as refusal:
        # Who was refused stays with the provider's logs; ours say which provider, for support.
        logger.info("SSO sign-in refused by the centre's rules (provider %s)", provider.pk)
        return _refused(request, str(refusal))
    except (
        SuspiciousOperation,
        requests.RequestException,
        jwt.PyJWTError,
        KeyError,
        ValueError,
    ) as error:
        # The kind of failure only: its text may quote the provider's answer.
        logger.warning("SSO answer refused (provider %s): %s", provider.pk, type(error).__name__)
        user = None
    if user is None or not user.is_active:
        return _refused(
            request,
            f"{provider.name}'s answer could not be checked, so you are not signed in. "
            "Try again, or sign in with your password.",
        )
    # Checked as safe when the sign-in started (the library's get_next_url); read before
    # login(), which empties the session of whoever was signed in before.
    next_url = request.session.pop("oidc_login_next", None)
    with transaction.atomic():
        # Checked by the provider, not a password: Django's own backend reloads them by id.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SSO_SESSION_KEY] = {
        "provider": provider.pk,
        "id_token": id_token,
        "end_session": found.end_session,
    }
    return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


class SignOutView(auth_views.LogoutView):
    """Django's sign-out; after a sign-in through a provider that offers it, the provider's
    own sign-out follows (RP-initiated logout), which comes back to the sign-in page."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        signed_in_by = request.session.get(SSO_SESSION_KEY)
        response = super().post(request, *args, **kwargs)
        if not isinstance(signed_in_by, dict) or not signed_in_by.get("end_session"):
            return response
        provider = IdentityProvider.objects.filter(pk=int(signed_in_by.get("provider", 0))).first()
        if provider is None:
            return response
        query = urlencode(
            {
                "id_token_hint": signed_in_by.get("id_token", ""),
                "client_id": provider.client_id,
                "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
            }
        )
        return HttpResponseRedirect(f"{signed_in_by['end_session']}?{query}")


# ---------------------------------------------------------------- the centre admin's settings


def _manageable(request: AuthedRequest, centre: Centre, pk: int) -> IdentityProvider:
    provider = get_object_or_404(
        IdentityProvider.objects.manageable_by(request.user)
        .filter(centre=centre)
        .select_related("centre"),
        pk=pk,
    )
    if not request.user.has_perm("accounts.manage_identity_provider", provider):
        raise PermissionDenied("Only the centre's admins set up its sign-in.")
    return provider


def _callback_addresses(request: HttpRequest) -> dict[str, str]:
    """What the centre registers with its provider for this site."""
    return {
        "redirect_uri": request.build_absolute_uri(reverse("sso_callback")),
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
    }


@require_GET
@login_required
def providers(request: AuthedRequest) -> HttpResponse:
    centre = admin_centre(request)
    rows = IdentityProvider.objects.manageable_by(request.user).filter(centre=centre)
    return render(
        request,
        "accounts/identity_providers.html",
        {"centre": centre, "providers": rows, **_callback_addresses(request)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def provider_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    centre = admin_centre(request)
    if pk is None:
        provider = IdentityProvider(centre=centre)
        if not request.user.has_perm("accounts.manage_identity_provider", provider):
            raise PermissionDenied("Only the centre's admins set up its sign-in.")
    else:
        provider = _manageable(request, centre, pk)
    form = IdentityProviderForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        try:
            saved = identity_provider_save(
                actor=request.user,
                provider=provider,
                secret=form.cleaned_data["client_secret"],
                **{name: form.cleaned_data[name] for name in PROVIDER_FIELDS},
            )
        except ValueError as error:
            # Everything typed stays in the form shown again (the secret is never shown back).
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{saved.name} is saved.")
            try:
                endpoints(saved)
            except ProviderUnreachable:
                messages.warning(
                    request,
                    f"{saved.name} could not be reached at {saved.issuer} just now: check the "
                    "issuer address. Signing in with it will say so until it answers.",
                )
            return redirect("centre:identity_providers")
    return render(
        request,
        "accounts/identity_provider_form.html",
        {
            "centre": centre,
            "form": form,
            "provider": provider if pk is not None else None,
            **_callback_addresses(request),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
