from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
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
