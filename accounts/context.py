"""The role a person is working in: one login, several memberships, switched in the header."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import cast

import rules
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from accounts.access import remember_current_roles
from accounts.models import Centre, Membership, Role
from accounts.requests import AppRequest
from core.prepared import Prepared

SESSION_KEY = "active_membership"
# Which role to start in when a person has several: the broadest view first.
ROLE_ORDER: list[str] = [
    Role.CENTRE_ADMIN,
    Role.INTERNAL_VERIFIER,
    Role.ASSESSOR,
    Role.EQA,
    Role.EMPLOYER,
    Role.LEARNER,
]


_MEMBERSHIP_FIELDS = [field.attname for field in Membership._meta.concrete_fields]
_CENTRE_FIELDS = [field.attname for field in Centre._meta.concrete_fields]


def _current_rows(*, user: int, today: date) -> QuerySet:
    return (
        Membership.objects.current(today)
        .filter(user_id=user)
        .order_by()
        .values_list(*_MEMBERSHIP_FIELDS, *(f"centre__{name}" for name in _CENTRE_FIELDS))
    )


# Every page asks: compiled once (core.prepared).
CURRENT = Prepared(_current_rows, dates=["today"])


def _current(user_id: int) -> list[Membership]:
    """Membership.objects.current().filter(user=...).select_related("centre"), one query."""
    memberships = []
    split = len(_MEMBERSHIP_FIELDS)
    for row in CURRENT.rows(user=user_id, today=timezone.localdate()):
        membership = Membership.from_db("default", _MEMBERSHIP_FIELDS, row[:split])
        centre = Centre.from_db("default", _CENTRE_FIELDS, row[split:])
        Membership.centre.field.set_cached_value(membership, centre)
        memberships.append(membership)
    return memberships


def current_memberships(request: AppRequest) -> list[Membership]:
    if not request.user.is_authenticated:
        return []
    if not hasattr(request, "_memberships"):
        request._memberships = sorted(
            _current(request.user.pk),
            key=lambda m: (ROLE_ORDER.index(m.role), m.centre.name),
        )
        remember_current_roles(request.user, request._memberships)
    return request._memberships


def active_membership(request: AppRequest) -> Membership | None:
    memberships = current_memberships(request)
    if not memberships:
        return None
    wanted = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.pk == wanted:
            return membership
    return memberships[0]


def working_membership(request: AppRequest, rule: str, refusal: str = "") -> Membership:
    """The role the person works in now (request.membership), if it passes `rule`; else 403
    with `refusal`. Pages that belong to a role ask this, never the role itself."""
    membership = request.membership
    if membership is None or not rules.test_rule(rule, request.user, membership):
        raise PermissionDenied(refusal)
    return membership


def admin_centre(request: AppRequest) -> Centre:
    """The centre the person is working at as its admin (their active role), or 403: the
    centre admin's pages (people here, registrations in portfolios) act on it alone."""
    return working_membership(
        request, "accounts.work_as_centre_admin", "These pages are for centre admins."
    ).centre


# Not pages: the browser's files and the load balancer's probe load no roles.
NOT_PAGES = ("/" + settings.STATIC_URL.strip("/") + "/", "/health/", "/favicon.ico")


class ActiveMembershipMiddleware:
    """Sets request.membership, and loads a signed-in person's roles before the view.

    Every page loads them anyway (the header shows the role; the EQA page log asks after the
    view), so loading them first costs no query, and lets the visible_to querysets the view
    builds name the person's centres instead of resolving membership subqueries
    (accounts.access.remember_current_roles).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: AppRequest) -> HttpResponse:
        # Stands in for the Membership or None it loads (falsy for None: test it for truth).
        request.membership = cast(
            "Membership | None", SimpleLazyObject(lambda: active_membership(request))
        )
        if request.user.is_authenticated and not request.path.startswith(NOT_PAGES):
            current_memberships(request)
        return self.get_response(request)


def memberships(request: AppRequest) -> dict:
    """Template context for the header's role switcher."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "memberships": SimpleLazyObject(lambda: current_memberships(request)),
        "active_membership": request.membership if hasattr(request, "membership") else None,
    }
