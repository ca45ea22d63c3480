"""The site's page middleware, passed over on the REST API's calls.

An API call (/api/v1/..., api.v1) is answered for the bearer token it carries: it never reads
the session, request.user, messages, the active role or htmx's headers, and posts no form (its
views are CSRF-exempt: a token, not a cookie, proves who calls). Each of those middleware
still cost every call its work (a session store, a signed-cookie message store, a CSRF cookie
read, the lazy user and role, the EQA log's and the SSO policy's checks after the view), so
on the API's paths each is wrapped to call straight through. The security headers
(SecurityMiddleware, X-Frame-Options, Content-Security-Policy) are kept: the API's answers
carry them as before.
The API's docs page (/api/v1/docs) is a page of the site, drawn in its layout: it keeps all.
django-axes' middleware is kept as it is (its check asks for it by name; it costs a call
nothing until a sign-in fails), and so is Django's CSRF middleware: `check --deploy` asks for
it by name (security.W003), and on the API's CSRF-exempt views it does no more than read a
cookie.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django_htmx.middleware import HtmxMiddleware

from accounts.context import ActiveMembershipMiddleware
from accounts.sso import SignOutFormPolicy
from verification.eqa_middleware import EqaPageLogMiddleware

API_PREFIX = "/api/v1/"
API_PAGES = ("/api/v1/docs",)


def is_api_call(request: HttpRequest) -> bool:
    path = request.path_info
    return path.startswith(API_PREFIX) and not path.startswith(API_PAGES)


class _PassedOverOnApi:
    """Put before a middleware class: it works as ever on pages, and calls straight through on
    an API call. A subclass, so that checks naming the middleware (the admin's) still find it."""

    get_response: Any

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_call(request):
            response: HttpResponse = self.get_response(request)
            return response
        return super().__call__(request)  # type: ignore[misc]


class SessionOffApi(_PassedOverOnApi, SessionMiddleware):
    pass


class AuthenticationOffApi(_PassedOverOnApi, AuthenticationMiddleware):
    pass


class MessageOffApi(_PassedOverOnApi, MessageMiddleware):
    pass


class SignOutFormPolicyOffApi(_PassedOverOnApi, SignOutFormPolicy):
    pass


class HtmxOffApi(_PassedOverOnApi, HtmxMiddleware):
    pass


class ActiveMembershipOffApi(_PassedOverOnApi, ActiveMembershipMiddleware):
    pass


class EqaPageLogOffApi(_PassedOverOnApi, EqaPageLogMiddleware):
    pass
