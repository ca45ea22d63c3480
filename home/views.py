from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.requests import AuthedRequest
from home.competence import own_warnings
from home.roles import home_sections, open_invitations, role_home


@require_GET
@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Each role's work at the centre it is working in; everyone's cards beneath."""
    membership = request.membership
    template, context = role_home(request.user, membership or None, request.GET)
    context |= {
        "sections": home_sections(request.user),
        "membership": membership or None,
        "invitations": open_invitations(request.user),
        "competence_warnings": own_warnings(request.user, membership or None),
    }
    return render(request, template, context)
