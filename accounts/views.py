from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.context import SESSION_KEY, current_memberships


@require_POST
@login_required
def switch_role(request: HttpRequest) -> HttpResponse:
    """Work as another of your roles; the home page follows."""
    try:
        wanted = int(request.POST.get("membership", ""))
    except ValueError:
        return HttpResponseBadRequest("Choose one of your roles.")
    if wanted not in {m.pk for m in current_memberships(request)}:
        return HttpResponseBadRequest("That is not one of your roles.")
    request.session[SESSION_KEY] = wanted
    return redirect("home")
