"""The centres a person may make a centre token for: the queryset twin of
api.make_centre_token (the truth table checks that the two agree)."""

from __future__ import annotations

from typing import Any

from accounts.access import centre_ids
from accounts.models import Centre, Role
from accounts.models.people import CentreQuerySet


def token_centres(user: Any) -> CentreQuerySet:
    if not getattr(user, "is_authenticated", False):
        return Centre.objects.none()
    if user.is_superuser:
        return Centre.objects.order_by("name")
    return Centre.objects.filter(pk__in=centre_ids(user, Role.CENTRE_ADMIN)).order_by("name")
