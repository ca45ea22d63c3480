"""Who holds which role where. Shared by the rules predicates and the visible_to QuerySets, so
the two always agree."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


def centre_ids(user: Any, *roles: str) -> QuerySet:
    """Ids of the centres where the user currently holds any of `roles`."""
    from accounts.models import Membership

    return (
        Membership.objects.current()
        .filter(user_id=getattr(user, "pk", None), role__in=roles)
        .values("centre_id")
    )


def has_role_at(user: Any, centre_id: int | None, *roles: str) -> bool:
    if not getattr(user, "is_authenticated", False) or centre_id is None:
        return False
    from accounts.models import Membership

    return (
        Membership.objects.current()
        .filter(user_id=user.pk, centre_id=centre_id, role__in=roles)
        .exists()
    )
