"""Who holds which role where. Shared by the rules predicates and the visible_to QuerySets, so
the two always agree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

# Where a request keeps the (centre id, role) pairs its user holds (see remember_current_roles).
CURRENT_ROLES = "_current_roles"


def remember_current_roles(user: Any, memberships: Iterable[Any]) -> None:
    """Keep on this request's user object the roles it holds now, as the header loads them on
    every page (accounts.context). The visible_to querysets then name those centres' ids, and
    leave out the branches of roles not held, instead of resolving a membership subquery per
    role per queryset: on the load test's pages that resolving was most of a page's ORM work.

    Only on the per-request user object: the next request loads its user, and its roles, anew.
    """
    setattr(user, CURRENT_ROLES, frozenset((m.centre_id, m.role) for m in memberships))


def current_roles(user: Any) -> frozenset[tuple[int, str]] | None:
    """The (centre id, role) pairs remembered for this request, or None if not loaded."""
    return getattr(user, CURRENT_ROLES, None)


def may_hold(user: Any, role: str) -> bool:
    """False only when the roles are known for this request and `role` is not among them."""
    held = current_roles(user)
    return held is None or any(held_role == role for _, held_role in held)


def centre_ids(user: Any, *roles: str) -> QuerySet | list[int]:
    """Ids of the centres where the user currently holds any of `roles`: a list when this
    request has loaded the user's roles and holds one of them, else a subquery (so a query's
    shape, and the number of queries a page makes, stays the same for someone who holds none)."""
    from accounts.models import Membership

    held = current_roles(user)
    if held is not None:
        ids = sorted({centre for centre, role in held if role in roles})
        if ids:
            return ids
    return (
        Membership.objects.current()
        # Signed out, None: IS NULL, which matches no one (the plugin's lookup check allows no
        # None).
        .filter(user_id=getattr(user, "pk", None), role__in=roles)  # type: ignore[misc]
        .values("centre_id")
    )


def has_role_at(user: Any, centre_id: int | None, *roles: str) -> bool:
    if not getattr(user, "is_authenticated", False) or centre_id is None:
        return False
    held = current_roles(user)
    if held is not None:
        # Loaded for this request by the same rule (Membership.objects.current()): no query.
        return any((centre_id, role) in held for role in roles)
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

    # Signed out, None: IS NULL, which matches no one (the plugin's lookup check allows no None).
    grants = Membership.objects.current().filter(
        user_id=getattr(user, "pk", None),  # type: ignore[misc]
        role=Role.EQA,
    )
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

    held = current_roles(user)
    if held is not None and (centre_id, Role.EQA) not in held:
        # The current roles loaded for this request (as has_role_at reads them) hold no EQA
        # role at this centre, so no grant of it can open the qualification: no query.
        return False
    return (
        Membership.objects.current()
        .filter(user_id=user.pk, centre_id=centre_id, role=Role.EQA)
        .filter(Q(qualifications__isnull=True) | Q(qualifications=qualification_id))
        .exists()
    )


def employer_ids(user: Any) -> QuerySet:
    """Ids of the employers the user is a current contact for (issue 19), as a subquery: what
    an employer contact may read follows these, at the employer's own centre."""
    from accounts.models import Membership, Role

    return (
        Membership.objects.current()
        # Signed out, None: IS NULL, which matches no one.
        .filter(user_id=getattr(user, "pk", None), role=Role.EMPLOYER)  # type: ignore[misc]
        .values("employer_id")
    )


def speaks_for(user: Any, employer_id: int | None) -> bool:
    """The predicate twin of employer_ids, for one employer."""
    if not getattr(user, "is_authenticated", False) or employer_id is None:
        return False
    from accounts.models import Role

    if not may_hold(user, Role.EMPLOYER):
        return False
    return employer_ids(user).filter(employer_id=employer_id).exists()
