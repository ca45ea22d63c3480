"""/api/v1/: the API object, its token check, rate limit and errors, and its endpoints' routers.

The schema is served at /api/v1/openapi.json (OpenAPI 3.1) and read at /api/v1/docs, a page of
the site drawn from that schema (api.views.docs): django-ninja's Swagger UI fails the site's
accessibility check (contrast, nested controls), and Redoc's inline styles its CSP.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from api import catalogue, people, portfolio, quality, registrations, writes
from api.caller import Caller, NotAccepted, caller_for_secret
from api.throttle import TokenRateThrottle


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            raise AuthenticationError(
                message="Send an API token as 'Authorization: Bearer <token>'."
            )
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        try:
            return caller_for_secret(token)
        except NotAccepted as refusal:
            raise AuthenticationError(message=str(refusal)) from refusal


api = NinjaAPI(
    title="E-portfolio API",
    version="1",
    description=(
        "Read the catalogue, the registrations a token may see (their progress and decisions), "
        "samples and claims; add and register learners, upload evidence and log off-the-job "
        "hours as the pages do. A token belongs to a centre (acting as that centre's admin) or "
        "to a person (acting as them), carries scopes, and is made and revoked on the site's "
        "API tokens page. Every write takes an Idempotency-Key header: sent again with the same "
        "key, it answers as the first time and makes nothing twice."
    ),
    auth=TokenAuth(),
    throttle=TokenRateThrottle(),
    urls_namespace="api-v1",
    docs_url=None,
)


def _error(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, exc.message)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # One sentence per problem, naming where it is ("query.limit: ..."), not pydantic's list.
    problems = []
    for error in exc.errors:
        where = ".".join(str(part) for part in error.get("loc", ()))
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return _error(request, 422, "; ".join(problems) or "The request is not valid.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, exc.message)


api.add_router("/catalogue", catalogue.router)
api.add_router("/registrations", registrations.router)
api.add_router("/registrations", portfolio.router)
api.add_router("/registrations", writes.router)
api.add_router("/people", people.router)
api.add_router("", quality.router)
