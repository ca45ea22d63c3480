"""Who holds which role where. Shared by the rules predicates and the visible_to QuerySets, so
the two always agree."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet


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


def eqa_scope(
    user: Any, centre_field: str = "centre_id", qualification_field: str = "qualification_id"
) -> Q:
    """What an EQA may read, as a Q over rows with a centre and a qualification.

    A current EQA grant with no qualifications opens the whole centre; one with qualifications
    opens only those, at that centre (matched pairwise, so a limit at one centre never widens
    another grant).
    """
    from accounts.models import Membership, Role

    grants = Membership.objects.current().filter(user_id=getattr(user, "pk", None), role=Role.EQA)
    whole_centres = grants.filter(qualifications__isnull=True).values("centre_id")
    limited = Membership.qualifications.through.objects.filter(
        membership__in=grants,
        membership__centre_id=OuterRef(centre_field),
        qualification_id=OuterRef(qualification_field),
    )
    return Q(**{f"{centre_field}__in": whole_centres}) | Q(Exists(limited))


def eqa_may_read(user: Any, centre_id: int | None, qualification_id: int | None) -> bool:
    """The predicate twin of eqa_scope, for one centre and qualification."""
    if not getattr(user, "is_authenticated", False) or centre_id is None:
        return False
    from accounts.models import Membership, Role

    return (
        Membership.objects.current()
        .filter(user_id=user.pk, centre_id=centre_id, role=Role.EQA)
        .filter(Q(qualifications__isnull=True) | Q(qualifications=qualification_id))
        .exists()
    )
