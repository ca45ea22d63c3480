"""People and their current roles: exactly those the people pages show the token's caller
(User.objects.visible_to: themselves, and everyone at the centres they administer), narrowed to
a centre token's centre. Fixed query counts, whatever the page size."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
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
    page = rows.order_by("full_name", "email", "pk").prefetch_related(
        Prefetch("memberships", queryset=roles.order_by("centre_id", "role"), to_attr="seen")
    )[filters.offset : filters.offset + filters.limit]
    return {
        "count": rows.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [
            {
                "id": person.pk,
                "full_name": person.full_name,
                "email": person.email,
                "roles": [{"centre_id": m.centre_id, "role": m.role} for m in person.seen],
            }
            for person in page
        ],
    }
