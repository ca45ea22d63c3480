"""The API tokens page: list, make (the secret shown once) and revoke tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import centre_ids
from accounts.models import Centre, Role
from accounts.requests import AuthedRequest
from api.forms import TokenForm
from api.models import ApiToken
from api.services import TokenError, token_create, token_revoke


def _centres(request: AuthedRequest) -> list[Centre]:
    """The centres the person may make a centre token for (api.make_centre_token)."""
    if request.user.is_superuser:
        return list(Centre.objects.order_by("name"))
    return list(Centre.objects.filter(pk__in=centre_ids(request.user, Role.CENTRE_ADMIN)))


def _page(request: AuthedRequest, form: TokenForm, *, status: int = 200) -> HttpResponse:
    tokens = (
        ApiToken.objects.visible_to(request.user)
        .select_related("centre", "created_by")
        # Live (never revoked) first, then the newest.
        .order_by(F("revoked_at").asc(nulls_first=True), "-created_at", "-pk")
    )
    return render(request, "api/tokens.html", {"form": form, "tokens": tokens}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def tokens(request: AuthedRequest) -> HttpResponse:
    if not request.user.has_perm("api.make_personal_token"):
        raise PermissionDenied("Sign in to make API tokens.")
    form = TokenForm(request.POST or None, centres=_centres(request))
    if request.method == "POST" and form.is_valid():
        centre = form.centre()
        if centre is not None and not request.user.has_perm("api.make_centre_token", centre):
            raise PermissionDenied("Only the centre's admins make its tokens.")
        try:
            token, secret = token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                centre=centre,
                expires_at=form.expires_at(),
            )
        except TokenError as error:
            # Everything typed stays in the form shown again.
            form.add_error(None, str(error))
        else:
            # Shown on this response only: the secret is never stored, so never shown again.
            return render(request, "api/token_made.html", {"token": token, "secret": secret})
    return _page(request, form, status=400 if form.is_bound and form.errors else 200)


@require_POST
@login_required
def revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.visible_to(request.user), pk=pk)
    if not request.user.has_perm("api.manage_token", token):
        raise PermissionDenied("Only the token's owner revokes it.")
    try:
        token_revoke(actor=request.user, token=token)
    except TokenError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The token “{token.name}” is revoked: it works no more.")
    return redirect("api:tokens")
