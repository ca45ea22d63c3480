from __future__ import annotations

from typing import Any

from axes.helpers import get_client_ip_address
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import password_reset
from accounts.context import SESSION_KEY, current_memberships
from accounts.models import IdentityProvider
from accounts.requests import AuthedRequest


@require_POST
@login_required
def switch_role(request: AuthedRequest) -> HttpResponse:
    """Work as another of your roles; the home page follows."""
    try:
        wanted = int(request.POST.get("membership", ""))
    except ValueError:
        return HttpResponseBadRequest("Choose one of your roles.")
    if wanted not in {m.pk for m in current_memberships(request)}:
        return HttpResponseBadRequest("That is not one of your roles.")
    request.session[SESSION_KEY] = wanted
    return redirect("home")


class SignInView(auth_views.LoginView):
    """Django's sign-in, with what a successful sign-in writes in one transaction.

    Signing in writes the new session (its key rotated), the access log and the cleared
    failure count (django-axes), and the last sign-in time: three commits, each waiting for
    the disk, where one will do; the session middleware then saves the session's contents in
    a fourth. (SQLite's rollback journal made each 15-25 ms on a busy machine: most of what
    signing in cost beyond the hasher.) Only once the password is checked: the hasher's
    quarter of a second holds no lock.
    """

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        with transaction.atomic():
            return super().form_valid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Single sign-on (issue 20): a "Sign in with ..." button per centre's enabled provider.
        return {
            **super().get_context_data(**kwargs),
            "providers": IdentityProvider.objects.offered(),
        }


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, limited per client and per address (accounts/password_reset.py).

    Every valid request records the ask and queues the same task, whether or not the address
    belongs to anyone; the task sends the e-mail. The reply is the usual redirect either way.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if password_reset.client_limited(get_client_ip_address(request)):
            return render(request, "registration/password_reset_limited.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        password_reset.reset_request(
            email=form.cleaned_data["email"],
            client=get_client_ip_address(self.request),
            domain=get_current_site(self.request).domain,
            use_https=self.request.is_secure(),
        )
        return HttpResponseRedirect(self.get_success_url())
