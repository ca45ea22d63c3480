"""People and their current roles: exactly those the people pages show the token's caller
(User.objects.visible_to: themselves, and everyone at the centres they administer), narrowed to
a centre token's centre. Fixed query counts, whatever the page size."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from ninja import Query, Router

from api.caller import calling
from api.schemas import Error, PeopleFilters, PeoplePage
from api.scopes import Scope

router = Router(tags=["people"])
ERRORS: dict[int, Any] = {401: Error, 403: Error, 422: Error, 429: Error}


@router.get("", response={200: PeoplePage, **ERRORS}, summary="List the people the token may read")
def people_list(request: Any, filters: Query[PeopleFilters]) -> dict[str, Any]:
    caller = calling(request, Scope.PEOPLE_READ)
    roles = caller.memberships()
    rows = caller.people()
    if filters.role:
        rows = rows.filter(pk__in=roles.filter(role=filters.role).values("user_id"))
    # Rows, not User instances (whole rows with the password hash) and a prefetch: an item
    # shows three columns of a person and two of each role. Still three queries (the count,
    # the page, its people's roles; none for an empty page, as the prefetch did).
    page = list(
        rows.order_by("full_name", "email", "pk").values_list("pk", "full_name", "email")[
            filters.offset : filters.offset + filters.limit
        ]
    )
    seen: dict[int, list[dict[str, Any]]] = {pk: [] for pk, _, _ in page}
    if page:
        held = roles.filter(user_id__in=list(seen)).order_by("centre_id", "role")
        for user_id, centre_id, role in held.values_list("user_id", "centre_id", "role"):
            seen[user_id].append({"centre_id": centre_id, "role": role})
    if caller.centre_id is not None:
        # A centre token's people are those of its current memberships (Caller.people): counted
        # from those rows, each person once, not by joining the centre's 10,000 people back to
        # their memberships (a semi-join over both tables, three times the cost).
        held = roles.filter(role=filters.role) if filters.role else roles
        count = held.aggregate(people=Count("user_id", distinct=True))["people"]
    else:
        count = rows.count()
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [
            {"id": pk, "full_name": full_name, "email": email, "roles": seen[pk]}
            for pk, full_name, email in page
        ],
    }
