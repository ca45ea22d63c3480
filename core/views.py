from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from core.health import run_checks


@require_GET
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(check["ok"] for check in checks.values())
    # 503 lets load balancers and docker-compose take the instance out of rotation.
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page links: send them to the static icon.

    A temporary redirect, looked up per request, because the static name carries a content
    hash in production (a permanent one would pin a browser to an old icon).
    """
    return HttpResponseRedirect(static("favicon.svg"))
