"""Internal verification samples and certification claims, as the sampling and claims pages
let the token's caller read them: samples through Sample.objects.visible_to at the centres
where verification.read_sampling lets them read (its IVs, admins and EQAs; not learners or
assessors), claims at the centres where certification.manage_claims does (its admins). Fixed
query counts, whatever the page size."""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Func, Value
from ninja import Query, Router

from accounts.access import centre_ids
from accounts.models import Role
from api.caller import Caller, calling
from api.schemas import ClaimFilters, ClaimPage, Error, SampleFilters, SamplePage
from api.scopes import Scope
from certification.models import ClaimLine
from core.prepared import PreparedForIds, PreparedShapes
from verification.models.sample import Sample, SampleOutcome

router = Router(tags=["quality"])
ERRORS: dict[int, Any] = {401: Error, 403: Error, 422: Error, 429: Error}


def _centres_where(caller: Caller, rule: str, *, perm: bool = False) -> list[int] | None:
    """The centres (of the token's) where the caller passes `rule`, asked per centre id as the
    pages ask it; None for a superuser's own token (every centre, as their pages)."""
    user = caller.user
    if caller.centre_id is None and user.is_superuser:
        return None
    if caller.centre_id is not None:
        candidates = [caller.centre_id]
    else:
        held = centre_ids(user, *Role.values)
        # A list from the roles the token loaded; a subquery (one query) for someone with none.
        candidates = held if isinstance(held, list) else [row["centre_id"] for row in held]
    if perm:
        return [pk for pk in candidates if user.has_perm(rule, pk)]
    return [pk for pk in candidates if rules.test_rule(rule, user, pk)]


@router.get(
    "/samples", response={200: SamplePage, **ERRORS}, summary="List internal verification samples"
)
def sample_list(request: Any, filters: Query[SampleFilters]) -> dict[str, Any]:
    caller = calling(request, Scope.SAMPLES_READ)
    centres = _centres_where(caller, "verification.read_sampling")
    start, stop = filters.offset, filters.offset + filters.limit
    # The filters asked for, by the column each narrows.
    given: dict[str, Any] = {}
    if filters.registration:
        given["registration_id"] = filters.registration
    if filters.state:
        given["state"] = str(filters.state)
    if caller.centre_id is not None:
        # A centre token acts as its centre's admin there only: the samples of the centre's
        # registrations, all of which its admins see (visible_to's admin arm at that one
        # centre; a test holds the two equal), if the rule lets them read its sampling.
        # Asked as compiled shapes (core.prepared).
        if not centres:
            return {"count": 0, "limit": filters.limit, "offset": filters.offset, "items": []}
        ids = {"centre": caller.centre_id, **given}
        count = CENTRE_SAMPLE_COUNT.rows(None, None, **ids)[0][0]
        page = CENTRE_SAMPLES.rows(start, stop, **ids)
    else:
        rows = Sample.objects.visible_to(caller.user)
        if centres is not None:
            rows = rows.filter(registration__centre_id__in=centres)
        rows = rows.filter(**given)
        count = rows.count()
        page = list(_newest_first(rows)[start:stop])
    # Each sample's outcomes, oldest first, with who decided them: one query for the page.
    outcomes: dict[int, list[dict[str, Any]]] = {row[0]: [] for row in page}
    if page:
        for (
            sample,
            outcome,
            decided_at,
            by,
            name,
            email,
            actions,
            deadline,
            feedback,
        ) in OUTCOMES.rows(list(outcomes)):
            outcomes[sample].append(
                {
                    "outcome": outcome,
                    "decided_at": decided_at,
                    "decided_by": {"id": by, "full_name": name or email},
                    "actions": actions,
                    "deadline": deadline,
                    "feedback": feedback,
                }
            )
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [
            {
                "id": pk,
                "registration_id": registration,
                "unit_id": unit,
                "stage": stage,
                "state": state,
                # User.get_full_name's fallback.
                "verifier": {"id": verifier, "full_name": name or email},
                "started_at": started_at,
                "outcomes": outcomes[pk],
            }
            for pk, registration, unit, stage, state, started_at, verifier, name, email in page
        ],
    }


def _newest_first(rows: Any) -> Any:
    # The snapshots (what the verifier saw, kept whole) are not shown: left unread, so the
    # newest page is picked from narrow rows, not by sorting every sample's JSON.
    return rows.order_by("-started_at", "-pk").values_list(
        "pk",
        "registration_id",
        "unit_id",
        "stage",
        "state",
        "started_at",
        "verifier_id",
        "verifier__full_name",
        "verifier__email",
    )


def _samples_at(*, centre: int, **given: Any) -> Any:
    return Sample.objects.filter(registration__centre_id=centre, **given)


def _centre_samples(start: int | None, stop: int | None, **ids: Any) -> Any:
    return _newest_first(_samples_at(**ids))[start:stop]


def _centre_sample_count(start: int | None, stop: int | None, **ids: Any) -> Any:
    # COUNT(*) as a row (a Func, not an aggregate: no GROUP BY), so it can be compiled once.
    return _samples_at(**ids).order_by().values_list(Func(Value(1), function="COUNT"))


def _outcomes(ids: list[int]) -> Any:
    return (
        SampleOutcome.objects.filter(sample_id__in=ids)
        .order_by("sample_id", "decided_at", "pk")
        .values_list(
            "sample_id",
            "outcome",
            "decided_at",
            "decided_by_id",
            "decided_by__full_name",
            "decided_by__email",
            "actions",
            "deadline",
            "feedback",
        )
    )


CENTRE_SAMPLES = PreparedShapes(_centre_samples, texts=["state"])
CENTRE_SAMPLE_COUNT = PreparedShapes(_centre_sample_count, texts=["state"])
OUTCOMES = PreparedForIds(_outcomes)


@router.get(
    "/claims",
    response={200: ClaimPage, **ERRORS},
    summary="List certification claims (one line per qualification or unit claimed)",
)
def claim_list(request: Any, filters: Query[ClaimFilters]) -> dict[str, Any]:
    caller = calling(request, Scope.CLAIMS_READ)
    centres = _centres_where(caller, "certification.manage_claims", perm=True)
    # As the claims page lists them: the lines of the batches of the centres where the caller
    # manages claims (their admins). Each line's registration is at its batch's centre (a line
    # is added only for the centre's own registrations, and a registration never moves), which
    # its admins see whole: so the lines are not checked one by one against visible_to as
    # well, which cost a large centre 10,000 index probes on every call.
    rows = ClaimLine.objects.all()
    if centres is not None:
        rows = rows.filter(batch__centre_id__in=centres)
    if filters.registration:
        rows = rows.filter(registration_id=filters.registration)
    if filters.live is not None:
        rows = rows.filter(removed_at__isnull=filters.live)
    page = rows.select_related("batch__awarding_body").order_by("-added_at", "-pk")[
        filters.offset : filters.offset + filters.limit
    ]
    return {
        "count": rows.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [
            {
                "id": line.pk,
                "batch_id": line.batch_id,
                "batch_state": line.batch.state,
                "awarding_body": line.batch.awarding_body.code,
                "registration_id": line.registration_id,
                "unit_id": line.unit_id,
                "result": line.result,
                "achievement_date": line.achievement_date,
                "added_at": line.added_at,
                "removed_at": line.removed_at,
                "certificate_number": line.certificate_number,
                "certificate_received_on": line.certificate_received_on,
            }
            for line in page
        ],
    }
