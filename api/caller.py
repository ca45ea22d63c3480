"""Who a token acts as, and what they may read: the pages' own querysets, narrowed.

A person's token acts as that person, with every role they hold now. A centre's token acts as
the admin who made it, in that one role at that one centre: the token stops when they stop
administering the centre (another admin makes a new one).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import QuerySet
from django.utils import timezone

from accounts.access import remember_current_roles
from accounts.models import Membership, Role, User
from accounts.models.people import MembershipQuerySet, UserQuerySet
from api.models import ApiToken
from api.services import token_for_secret
from core.prepared import Prepared
from portfolios.models import Registration
from portfolios.models.registration import RegistrationQuerySet

# The shape of a secret (api.services): checked before any query, so nothing odd (a NUL byte,
# a megabyte of header) reaches the database.
SECRET_SHAPE = re.compile(r"ept_[0-9a-f]{10}_[A-Za-z0-9_-]{20,64}")


class NotAccepted(Exception):
    """The token is not accepted; the message says what to do, never whose it was."""


@dataclass(frozen=True)
class Caller:
    token: ApiToken
    # The person the token acts as, carrying (accounts.access) the roles it acts in.
    user: Any
    # None: all of the person's roles; else only these, at `centre_id` only.
    roles: tuple[str, ...] | None
    centre_id: int | None

    def __str__(self) -> str:
        return f"api-token-{self.token.pk}"

    def has_scope(self, scope: str) -> bool:
        return scope in self.token.scopes

    def registrations(self) -> RegistrationQuerySet:
        """Registration.objects.visible_to, as the pages ask it, narrowed to the token."""
        visible = Registration.objects.visible_to(self.user, roles=self.roles)
        if self.centre_id is not None:
            visible = visible.filter(centre_id=self.centre_id)
        return visible

    def memberships(self) -> MembershipQuerySet:
        """Membership.objects.visible_to (your own roles, every role at the centres you
        administer), current ones, narrowed to a centre token's centre."""
        visible = Membership.objects.visible_to(self.user).current()
        if self.centre_id is not None:
            visible = visible.filter(centre_id=self.centre_id)
        return visible

    def people(self) -> UserQuerySet:
        """User.objects.visible_to, as the people pages ask it, narrowed to a centre token's
        centre (the people holding a current role there)."""
        if self.centre_id is not None:
            # Everyone holding a role the caller may see (Membership.objects.visible_to: their
            # own, and every role at the centres they administer) is someone User.objects.
            # visible_to shows them (themselves, and everyone at those centres): so the people
            # of those memberships are that intersection already, counted without a second
            # pass over the centre's thousands of people.
            return User.objects.get_queryset().filter(pk__in=self.memberships().values("user_id"))
        return User.objects.visible_to(self.user)


class Held(NamedTuple):
    """A role held now, as remember_current_roles reads it."""

    centre_id: int
    role: str


def _held(*, user: int, today: datetime.date) -> QuerySet:
    # Unordered: a set of roles (the default order would join the centres to sort by name).
    return (
        Membership.objects.current(today)
        .filter(user_id=user)
        .order_by()
        .values_list("centre_id", "role")
    )


def _held_at(*, user: int, centre: int, today: datetime.date) -> QuerySet:
    return (
        Membership.objects.current(today)
        .filter(user_id=user, centre_id=centre, role=Role.CENTRE_ADMIN)
        .order_by()
        .values_list("centre_id", "role")
    )


# Asked on every call, so compiled once (core.prepared): the roles a person's token acts in,
# and whether a centre token's maker administers its centre still.
HELD = Prepared(_held, dates=("today",))
HELD_AT = Prepared(_held_at, dates=("today",))


def caller_for_secret(secret: str) -> Caller:
    """The caller a secret stands for; NotAccepted when it stands for none. Two queries (the
    token, the roles), three when last_used_at is written (once a minute)."""
    if not SECRET_SHAPE.fullmatch(secret):
        raise NotAccepted("This is not an API token. Send 'Authorization: Bearer <token>'.")
    token = token_for_secret(secret)
    if token is None:
        raise NotAccepted("This token is not accepted: unknown, revoked or expired.")
    if token.centre_id is None:
        user = token.user
        if user is None or not user.is_active:
            raise NotAccepted("This token's owner can no longer sign in.")
        held = [Held(*row) for row in HELD.rows(user=user.pk, today=timezone.localdate())]
        remember_current_roles(user, held)
        return Caller(token=token, user=user, roles=None, centre_id=None)
    maker = token.created_by
    admin = [
        Held(*row)
        for row in HELD_AT.rows(user=maker.pk, centre=token.centre_id, today=timezone.localdate())
    ]
    if not maker.is_active or not (admin or maker.is_superuser):
        raise NotAccepted(
            "The admin who made this centre token no longer administers the centre; "
            "an admin of the centre can make a new one."
        )
    remember_current_roles(maker, admin)
    return Caller(token=token, user=maker, roles=(Role.CENTRE_ADMIN,), centre_id=token.centre_id)


def calling(request: Any, scope: str) -> Caller:
    """The request's caller, if its token carries `scope`; else 403, saying which is missing."""
    from ninja.errors import HttpError

    caller: Caller = request.auth
    if not caller.has_scope(scope):
        raise HttpError(403, f"This token does not carry the scope '{scope}'.")
    return caller
