"""The centre admin's record of what external quality assurers opened at the centre."""

from __future__ import annotations

import rules
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.requests import AuthedRequest
from verification.models.eqa import EqaPageView

PAGE_SIZE = 50


@require_GET
@login_required
def visits(request: AuthedRequest) -> HttpResponse:
    """Every page an EQA opened at the admin's centre, newest first."""
    membership = request.membership
    if membership is None or not rules.test_rule(
        "verification.view_eqa_visits", request.user, membership
    ):
        raise PermissionDenied("The EQA visits are shown to the centre's admins.")
    rows = (
        EqaPageView.objects.visible_to(request.user)
        .filter(centre_id=membership.centre_id)
        .select_related("user")
        .order_by("-viewed_at", "-pk")
    )
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "verification/eqa_visits.html",
        {"centre": membership.centre, "page_obj": page_obj},
    )
