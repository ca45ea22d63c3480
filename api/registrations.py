"""Registrations and their progress: exactly those the pages show the token's caller
(Registration.objects.visible_to, narrowed to a centre token's centre). Another centre's
registration answers 404, as an unknown one does: its existence is not told."""

from __future__ import annotations

from typing import Any

from django.db.models import Func, QuerySet, Value
from django.utils import timezone
from ninja import Path, Query, Router, Status
from ninja.errors import HttpError

from accounts.models import Invitation
from api.caller import Caller, calling
from api.idempotency import once
from api.schemas import (
    MAX_ID,
    Error,
    RegisterIn,
    RegisterOut,
    RegistrationDetail,
    RegistrationFilters,
    RegistrationPage,
)
from api.scopes import Scope
from core.prepared import PreparedInstances, PreparedShapes
from portfolios.models import Registration, RegistrationUnit

router = Router(tags=["registrations"])
ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error, 429: Error}


def _registration(row: Registration, today: Any) -> dict[str, Any]:
    # progress is a reverse one-to-one: absent until first counted.
    progress = getattr(row, "progress", None)
    return {
        "id": row.pk,
        "learner": {"id": row.learner.pk, "full_name": row.learner.get_full_name()},
        "centre": {"id": row.centre.pk, "name": row.centre.name, "number": row.centre.number},
        "qualification": {
            "id": row.qualification.pk,
            "number": row.qualification.number,
            "title": row.qualification.title,
        },
        "status": row.status,
        "start_date": row.start_date,
        "planned_end_date": row.planned_end_date,
        "progress": None
        if progress is None
        else {
            "criteria_required": progress.criteria_required,
            "criteria_met": progress.criteria_met,
            "units_signed_off": progress.units_signed_off,
            "evidence_waiting": progress.evidence_waiting,
            "behind": progress.behind_on(today),
        },
    }


def _selected(rows: Any) -> Any:
    return rows.select_related("learner", "centre", "qualification", "progress")


# What a list's item shows, as rows (no instances: five a registration, 125 a page of 25, were
# a millisecond of the call), in _listed's order. The progress row is a LEFT JOIN: its columns
# are None where it was never counted.
LISTED = (
    "pk",
    "learner_id",
    "learner__full_name",
    "learner__email",
    "centre_id",
    "centre__name",
    "centre__number",
    "qualification_id",
    "qualification__number",
    "qualification__title",
    "status",
    "start_date",
    "planned_end_date",
    "progress__criteria_required",
    "progress__criteria_met",
    "progress__units_signed_off",
    "progress__evidence_waiting",
    "progress__paced",
    "progress__behind_from",
)


def _listed(row: tuple[Any, ...], today: Any) -> dict[str, Any]:
    """_registration's item, from a row of LISTED."""
    pk, learner, full_name, email, centre, centre_name, centre_number = row[:7]
    qualification, number, title, status, start, planned = row[7:13]
    required, met, signed_off, waiting, paced, behind_from = row[13:]
    return {
        "id": pk,
        # User.get_full_name's fallback.
        "learner": {"id": learner, "full_name": full_name or email},
        "centre": {"id": centre, "name": centre_name, "number": centre_number},
        "qualification": {"id": qualification, "number": number, "title": title},
        "status": status,
        "start_date": start,
        "planned_end_date": planned,
        "progress": None
        if required is None
        else {
            "criteria_required": required,
            "criteria_met": met,
            "units_signed_off": signed_off,
            "evidence_waiting": waiting,
            # RegistrationProgress.behind_on.
            "behind": bool(paced) and behind_from is not None and behind_from <= today,
        },
    }


def _at_centre(*, registration: int, centre: int) -> QuerySet[Registration]:
    return Registration.objects.filter(pk=registration, centre_id=centre)


# A centre token's registration, with its learner, centre and qualification (not its progress
# row): compiled once (core.prepared), for the reads of one portfolio.
AT_CENTRE = PreparedInstances(
    Registration, _at_centre, related=("learner", "centre", "qualification")
)


def readable(caller: Caller, registration_id: int, *, progress: bool = True) -> Registration:
    """The registration, if the token's caller may read it (the pages' visible_to, narrowed to
    the token); else 404 saying only that, as for an unknown id. One query. `progress=False`:
    its progress row is not wanted (not loaded)."""
    if caller.centre_id is not None and not progress:
        # A centre token acts as its centre's admin there only: visible_to's admin arm at that
        # one centre is the centre's registrations (as the list's CENTRE_PAGE), asked by a
        # query compiled once instead of built on every call.
        found = AT_CENTRE.instances(registration=registration_id, centre=caller.centre_id)
        registration = found[0] if found else None
    else:
        registration = _selected(caller.registrations()).filter(pk=registration_id).first()
    # And the pages' predicate, which visible_to mirrors (the truth tables hold the two to the
    # same answer): asked of the token's roles, so it costs no query.
    if registration is None or not caller.user.has_perm(
        "portfolios.view_registration", registration
    ):
        raise HttpError(404, f"No registration {registration_id} that this token may read.")
    return registration


def as_item(registration: Registration) -> dict[str, Any]:
    return _registration(registration, timezone.localdate())


@router.get(
    "",
    response={200: RegistrationPage, **ERRORS},
    summary="List the registrations the token may read",
)
def registration_list(request: Any, filters: Query[RegistrationFilters]) -> dict[str, Any]:
    caller = calling(request, Scope.REGISTRATIONS_READ)
    today = timezone.localdate()
    start, stop = filters.offset, filters.offset + filters.limit
    # The filters asked for, by the column each narrows.
    given: dict[str, Any] = {}
    if filters.qualification:
        given["qualification_id"] = filters.qualification
    if filters.status:
        given["status"] = str(filters.status)
    if caller.centre_id is not None:
        # A centre token acts as its centre's admin there only (caller_for_secret has just
        # checked that its maker still is, or is a superuser): visible_to's admin arm at that
        # one centre, which is every registration of the centre (a test holds the two equal).
        # Asked as compiled shapes (core.prepared): building the visible_to queryset, its
        # page and its count cost more than PostgreSQL took to answer them.
        count = CENTRE_COUNT.rows(None, None, centre=caller.centre_id, **given)[0][0]
        rows = CENTRE_PAGE.rows(start, stop, centre=caller.centre_id, **given)
    else:
        visible = caller.registrations().filter(**given)
        count = visible.count()
        rows = list(_listed_page(visible)[start:stop])
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_listed(row, today) for row in rows],
    }


def _listed_page(rows: Any) -> Any:
    # The centre's registrations page's order, with the id last so pages never overlap.
    # Only what an item shows: the learner's and qualification's other columns (a password
    # hash, the rules of combination's text) are neither read nor made into instances.
    return rows.order_by("learner__full_name", "-created_at", "-pk").values_list(*LISTED)


def _centre_page(start: int | None, stop: int | None, *, centre: int, **given: Any) -> Any:
    return _listed_page(Registration.objects.filter(centre_id=centre, **given))[start:stop]


def _centre_count(start: int | None, stop: int | None, *, centre: int, **given: Any) -> Any:
    # COUNT(*) as a row (a Func, not an aggregate: no GROUP BY), so it can be compiled once.
    return (
        Registration.objects.filter(centre_id=centre, **given)
        .order_by()
        .values_list(Func(Value(1), function="COUNT"))
    )


CENTRE_PAGE = PreparedShapes(_centre_page, texts=["status"])
CENTRE_COUNT = PreparedShapes(_centre_count, texts=["status"])


@router.get(
    "/{registration_id}",
    response={200: RegistrationDetail, **ERRORS},
    summary="A registration, its units and its progress",
)
def registration_detail(
    request: Any, registration_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    registration = readable(calling(request, Scope.REGISTRATIONS_READ), registration_id)
    # Rows of the four columns shown, not the units' whole rows (their guidance text) made
    # into instances.
    chosen = (
        RegistrationUnit.objects.filter(registration=registration)
        .order_by("unit__level_rank", "unit__key")
        .values_list("unit_id", "unit__key", "unit__reference", "unit__title")
    )
    return {
        **_registration(registration, timezone.localdate()),
        "units": [
            {"id": pk, "key": key, "reference": reference, "title": title}
            for pk, key, reference, title in chosen
        ],
    }


@router.post(
    "",
    response={201: RegisterOut, **ERRORS, 409: Error},
    summary="Add a learner and register them on a qualification",
    description="As the register page: a learner here (`learner`), or a new one (`new_full_name`, "
    "`new_email`): someone the centre knows is registered now, anyone else invited (they join the "
    "centre, and are registered, when they accept). A centre's admins only.",
)
def registration_create(request: Any, entry: RegisterIn) -> Status[Any]:
    from api import learners

    caller = calling(request, Scope.LEARNERS_WRITE)

    def write() -> tuple[int, Any]:
        made = learners.register(request, caller, entry)
        if isinstance(made, Invitation):
            return 201, {
                "outcome": "invited",
                "registration": None,
                "invitation_id": made.pk,
                "email": made.email,
                "full_name": made.full_name,
            }
        registration = _selected(Registration.objects.filter(pk=made.pk)).get()
        return 201, {
            "outcome": "registered",
            "registration": as_item(registration),
            "invitation_id": None,
            "email": registration.learner.email,
            "full_name": registration.learner.get_full_name(),
        }

    return Status(*once(request, caller, write))
