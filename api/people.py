"""People and their current roles: exactly those the people pages show the token's caller
(User.objects.visible_to: themselves, and everyone at the centres they administer), narrowed to
a centre token's centre. Fixed query counts, whatever the page size."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import F, Func
from django.utils import timezone
from ninja import Query, Router

from accounts.models import Membership, User
from api.caller import calling
from api.schemas import Error, PeopleFilters, PeoplePage
from api.scopes import Scope
from core.prepared import PreparedShapes

router = Router(tags=["people"])
ERRORS: dict[int, Any] = {401: Error, 403: Error, 422: Error, 429: Error}


@router.get("", response={200: PeoplePage, **ERRORS}, summary="List the people the token may read")
def people_list(request: Any, filters: Query[PeopleFilters]) -> dict[str, Any]:
    caller = calling(request, Scope.PEOPLE_READ)
    start, stop = filters.offset, filters.offset + filters.limit
    given: dict[str, Any] = {"role": str(filters.role)} if filters.role else {}
    if caller.centre_id is not None:
        # A centre token's people are those holding a current role at its centre, all of
        # whose memberships its maker sees as the centre's admin (Caller.people; a test holds
        # the two equal). Asked as compiled shapes (core.prepared), and counted from the
        # memberships, each person once, not by joining the centre's 10,000 people back to
        # their memberships (a semi-join over both tables, three times the cost).
        ids = {"centre": caller.centre_id, "today": timezone.localdate(), **given}
        count = CENTRE_COUNT.rows(None, None, **ids)[0][0]
        page = CENTRE_PAGE.rows(start, stop, **ids)
    else:
        rows = caller.people()
        if filters.role:
            rows = rows.filter(pk__in=caller.memberships().filter(**given).values("user_id"))
        count = rows.count()
        page = list(_ordered(rows)[start:stop])
    # Rows, not User instances (whole rows with the password hash) and a prefetch: an item
    # shows three columns of a person and two of each role. Still three queries (the count,
    # the page, its people's roles; none for an empty page, as the prefetch did).
    seen: dict[int, list[dict[str, Any]]] = {pk: [] for pk, _, _ in page}
    if page:
        held = caller.memberships().filter(user_id__in=list(seen)).order_by("centre_id", "role")
        for user_id, centre_id, role in held.values_list("user_id", "centre_id", "role"):
            seen[user_id].append({"centre_id": centre_id, "role": role})
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [
            {"id": pk, "full_name": full_name, "email": email, "roles": seen[pk]}
            for pk, full_name, email in page
        ],
    }


def _ordered(people: Any) -> Any:
    return people.order_by("full_name", "email", "pk").values_list("pk", "full_name", "email")


def _held_at(*, centre: int, today: datetime.date, role: str | None = None) -> Any:
    held = Membership.objects.current(today).filter(centre_id=centre)
    return held if role is None else held.filter(role=role)


def _centre_page(start: int | None, stop: int | None, **ids: Any) -> Any:
    return _ordered(User.objects.filter(pk__in=_held_at(**ids).values("user_id")))[start:stop]


def _centre_count(start: int | None, stop: int | None, **ids: Any) -> Any:
    # COUNT(DISTINCT user_id) as a row (a Func, not an aggregate: no GROUP BY), compiled once.
    return (
        _held_at(**ids)
        .order_by()
        .values_list(
            Func(F("user_id"), function="COUNT", template="%(function)s(DISTINCT %(expressions)s)")
        )
    )


CENTRE_PAGE = PreparedShapes(_centre_page, dates=["today"], texts=["role"])
CENTRE_COUNT = PreparedShapes(_centre_count, dates=["today"], texts=["role"])
