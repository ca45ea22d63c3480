"""Log every page an external quality assurer opens while working at a centre.

The centre sees the log (verification.views.eqa.visits). Cheap: pages load the active role for
the header anyway, so a logged request costs one INSERT; static files and the health check never
reach the log.
"""

from __future__ import annotations

from collections.abc import Callable

import rules
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from verification.models.eqa import EqaPageView

# Not pages: files the browser fetches for layout, and the load balancer's probe.
SKIPPED_PREFIXES = ("/" + settings.STATIC_URL.strip("/") + "/", "/health/", "/favicon.ico")


class EqaPageLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(SKIPPED_PREFIXES):
            return response
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        membership = getattr(request, "membership", None)
        # Only while working as an EQA: the same person's other roles are not EQA visits.
        if membership is not None and rules.test_rule("accounts.work_as_eqa", user, membership):
            EqaPageView.objects.create(
                user_id=user.pk,
                centre_id=membership.centre_id,
                method=request.method or "GET",
                path=request.get_full_path()[:2000],
                status=response.status_code,
            )
        return response
