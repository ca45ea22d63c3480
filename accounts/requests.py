"""What a request carries once the middleware has run, for views' annotations.

Django types `request.user` as a user or an anonymous one, and knows nothing of the attributes
middleware adds. Views name the request they really get, so the type checker sees `request.user`
as a User after `login_required` and knows `request.membership` and `request.htmx`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import Membership, User


class AppRequest(HttpRequest):
    """Any request through the middleware (config.settings.base.MIDDLEWARE)."""

    # django_htmx.middleware.HtmxMiddleware.
    htmx: HtmxDetails
    # accounts.context.ActiveMembershipMiddleware: the role the person is working in, lazily;
    # None when signed out or without a current role. A lazy object stands in for it, so test
    # it for truth (`if not request.membership`), never `is None`.
    membership: Membership | None
    # accounts.context.current_memberships' cache for the rest of the request.
    _memberships: list[Membership]


class AuthedRequest(AppRequest):
    """A request `login_required` let through: the person is signed in."""

    user: User
