"""Internal verification samples and certification claims, as the sampling and claims pages
let the token's caller read them: samples through Sample.objects.visible_to at the centres
where verification.read_sampling lets them read (its IVs, admins and EQAs; not learners or
assessors), claims at the centres where certification.manage_claims does (its admins). Fixed
query counts, whatever the page size."""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Prefetch
from ninja import Query, Router

from accounts.access import centre_ids
from accounts.models import Role
from api.caller import Caller, calling
from api.schemas import ClaimFilters, ClaimPage, Error, SampleFilters, SamplePage
from api.scopes import Scope
from certification.models import ClaimLine
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


def _person(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "full_name": user.get_full_name()}


@router.get(
    "/samples", response={200: SamplePage, **ERRORS}, summary="List internal verification samples"
)
def sample_list(request: Any, filters: Query[SampleFilters]) -> dict[str, Any]:
    caller = calling(request, Scope.SAMPLES_READ)
    rows = Sample.objects.visible_to(caller.user)
    centres = _centres_where(caller, "verification.read_sampling")
    if centres is not None:
        rows = rows.filter(registration__centre_id__in=centres)
    if filters.registration:
        rows = rows.filter(registration_id=filters.registration)
    if filters.state:
        rows = rows.filter(state=filters.state)
    # The snapshots (what the verifier saw, kept whole) are not shown: left unread, so the
    # newest page is picked from narrow rows, not by sorting every sample's JSON.
    outcomes = (
        SampleOutcome.objects.select_related("decided_by")
        .defer("snapshot")
        .order_by("decided_at", "pk")
    )
    page = (
        rows.select_related("verifier")
        .defer("snapshot")
        .prefetch_related(Prefetch("outcomes", queryset=outcomes))
        .order_by("-started_at", "-pk")[filters.offset : filters.offset + filters.limit]
    )
    return {
        "count": rows.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [
            {
                "id": sample.pk,
                "registration_id": sample.registration_id,
                "unit_id": sample.unit_id,
                "stage": sample.stage,
                "state": sample.state,
                "verifier": _person(sample.verifier),
                "started_at": sample.started_at,
                "outcomes": [
                    {
                        "outcome": outcome.outcome,
                        "decided_at": outcome.decided_at,
                        "decided_by": _person(outcome.decided_by),
                        "actions": outcome.actions,
                        "deadline": outcome.deadline,
                        "feedback": outcome.feedback,
                    }
                    for outcome in sample.outcomes.all()
                ],
            }
            for sample in page
        ],
    }


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
