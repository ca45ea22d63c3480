"""The invitee's pages: the link from the e-mail, and accept or decline.

The link's token proves the address only for someone without an account (they choose a
password with it). Anyone with an account proves the address by signing in with it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.context import SESSION_KEY
from accounts.forms.centre import InvitationSignUpForm
from accounts.models import Invitation, User, hash_token
from accounts.services import (
    AccessError,
    InvitationError,
    check_answerable,
    invitation_accept,
    invitation_decline,
    invitation_sign_up,
)


@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    invitation = (
        Invitation.objects.select_related("centre", "invited_by")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        # Also an invitation sent again: only the newest link works.
        return render(request, "invitations/unknown.html", status=404)
    signed_in = request.user if request.user.is_authenticated else None
    has_account = User.objects.filter(email__iexact=invitation.email).exists()
    if has_account and signed_in is None:
        return redirect_to_login(request.get_full_path())
    context: dict = {"invitation": invitation, "has_account": has_account}
    try:
        check_answerable(invitation, signed_in)
    except InvitationError as error:
        context["problem"] = str(error)
        return render(request, "invitations/respond.html", context, status=403)
    if has_account:
        return render(request, "invitations/respond.html", context)

    form = InvitationSignUpForm(
        request.POST or None, email=invitation.email, initial={"full_name": invitation.full_name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user, membership = invitation_sign_up(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except (InvitationError, AccessError) as error:
            messages.error(request, str(error))
            return redirect("invitations:respond", token=token)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_KEY] = membership.pk
        messages.success(
            request,
            f"Welcome: you are now {membership.get_role_display().lower()} "
            f"at {invitation.centre.name}.",
        )
        return redirect("home")
    context["form"] = form
    return render(request, "invitations/respond.html", context, status=400 if form.errors else 200)


def _addressed(request: HttpRequest, pk: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.addressed_to(request.user).select_related("centre"), pk=pk
    )


@require_POST
@login_required
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _addressed(request, pk)
    try:
        membership = invitation_accept(user=request.user, invitation=invitation)
    except (InvitationError, AccessError) as error:
        messages.error(request, str(error))
    else:
        # Work in the new role straight away: that is what they came for.
        request.session[SESSION_KEY] = membership.pk
        messages.success(
            request,
            f"You are now {membership.get_role_display().lower()} at {invitation.centre.name}.",
        )
    return redirect("home")


@require_POST
@login_required
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _addressed(request, pk)
    try:
        invitation_decline(user=request.user, invitation=invitation)
    except InvitationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"You declined the invitation from {invitation.centre.name}.")
    return redirect("home")
