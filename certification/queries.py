"""The claims page's lists in SQL: what is ready to claim and what still waits, filtered and
paged, for a centre with 10,000 of them.

`eligibility.reasons_full` / `reasons_unit` say in words why one registration or unit cannot be
claimed, from facts read for the rows at hand; adding to a claim and exporting re-check with
them. Choosing one page of 25 out of 10,000 that way would mean reading all 10,000 first, so
the same rules are written here once more, as conditions the database can count and page by.
tests/certification/test_claim_lists.py holds the two to the same answer for every reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When

from accounts.models import LearnerProfile
from assessments.models import UnitSignOff
from certification.models import ClaimHold, ClaimLine
from certification.profiles import DEFAULT, PROFILES
from portfolios.models import Registration, RegistrationStatus
from verification.models.sample import VerifierSignOff

UNIT_CLAIM_STATUSES = (RegistrationStatus.ACTIVE, RegistrationStatus.WITHDRAWN)


@dataclass(frozen=True)
class ClaimFilter:
    """What the admin narrowed the lists to: one qualification, and/or a learner's name (any
    part), ULN or awarding body registration number."""

    qualification_id: int | None = None
    q: str = ""


def claimable_now(today: date, prefix: str = "") -> Q:
    """The awarding body's rules for any claim (eligibility._common_reasons): the qualification's
    certification end not passed, and its minimum wait since the start date over."""
    end = f"{prefix}qualification__certification_end"
    start = f"{prefix}start_date__lte"
    code = f"{prefix}qualification__awarding_body__code"
    waits = {c: p.min_weeks for c, p in PROFILES.items() if p.min_weeks != DEFAULT.min_weeks}
    waited = Q(**{start: today - timedelta(weeks=DEFAULT.min_weeks)})
    if waits:
        waited &= ~Q(**{f"{code}__in": list(waits)})
    for body, weeks in waits.items():
        waited |= Q(**{code: body, start: today - timedelta(weeks=weeks)})
    return (Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": today})) & waited


def _search(flt: ClaimFilter, centre_id: int, prefix: str = "") -> Q:
    q = Q()
    if flt.qualification_id:
        q &= Q(**{f"{prefix}qualification_id": flt.qualification_id})
    text = flt.q.strip()
    if text:
        # The ULN as the registration's own centre keeps it (one profile per centre).
        uln = LearnerProfile.objects.filter(
            user_id=OuterRef(f"{prefix}learner_id"), centre_id=centre_id, uln=text
        )
        q &= (
            Q(**{f"{prefix}learner__full_name__icontains": text})
            | Q(**{f"{prefix}awarding_body_number__iexact": text})
            | Q(Exists(uln))
        )
    return q


# ---------------------------------------------------------------- full qualifications


def _full_ready(today: date) -> Q:
    iv_signed = VerifierSignOff.objects.live().filter(
        registration_id=OuterRef("pk"), unit__isnull=True
    )
    # Any open hold, on the registration or one of its units, blocks the full claim.
    held = ClaimHold.objects.open().filter(registration_id=OuterRef("pk"))
    return Q(Exists(iv_signed)) & ~Q(Exists(held)) & claimable_now(today)


def _complete(centre_id: int, scope: Q | None, flt: ClaimFilter) -> QuerySet[Registration]:
    """The centre's complete registrations not already on a live full line (those are claimed,
    shown in their batch, neither ready nor waiting)."""
    on_line = ClaimLine.objects.live().filter(registration_id=OuterRef("pk"), unit__isnull=True)
    rows = (
        Registration.objects.filter(centre_id=centre_id, status=RegistrationStatus.COMPLETE)
        .filter(~Exists(on_line), _search(flt, centre_id))
        .select_related("learner", "qualification__awarding_body")
        .order_by("learner__full_name", "pk")
    )
    return rows.filter(scope) if scope is not None else rows


def full_ready(
    *, centre_id: int, today: date, scope: Q | None = None, flt: ClaimFilter | None = None
) -> QuerySet[Registration]:
    """Complete registrations that may be claimed now, in learner-name order."""
    return _complete(centre_id, scope, flt or ClaimFilter()).filter(_full_ready(today))


def full_waiting(
    *, centre_id: int, today: date, scope: Q | None = None, flt: ClaimFilter | None = None
) -> QuerySet[Registration]:
    """Complete registrations that may not be claimed yet (eligibility.reasons_full says why)."""
    # CASE, not a negated Q: NOT over a nullable join (certification_end) would drop the rows
    # whose condition is NULL rather than false.
    return (
        _complete(centre_id, scope, flt or ClaimFilter())
        .alias(ready=_true_when(_full_ready(today)))
        .filter(ready=False)
    )


def _true_when(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


# ---------------------------------------------------------------- unit-only claims


def _unit_ready(today: date) -> Q:
    held = ClaimHold.objects.open().filter(
        Q(unit__isnull=True) | Q(unit_id=OuterRef("unit_id")),
        registration_id=OuterRef("registration_id"),
    )
    return ~Q(Exists(held)) & claimable_now(today, "registration__")


def _signed_units(centre_id: int, scope: Q | None, flt: ClaimFilter) -> QuerySet[UnitSignOff]:
    """Units signed off by both the assessor and the IV on the centre's registrations that are
    active or withdrawn, not already on a live line."""
    iv_unit = VerifierSignOff.objects.live().filter(
        registration_id=OuterRef("registration_id"), unit_id=OuterRef("unit_id")
    )
    on_line = ClaimLine.objects.live().filter(
        registration_id=OuterRef("registration_id"), unit_id=OuterRef("unit_id")
    )
    rows = (
        UnitSignOff.objects.active()
        .filter(
            Exists(iv_unit),
            ~Exists(on_line),
            _search(flt, centre_id, "registration__"),
            registration__centre_id=centre_id,
            registration__status__in=UNIT_CLAIM_STATUSES,
        )
        .select_related(
            "registration__learner", "registration__qualification__awarding_body", "unit"
        )
        .order_by("registration__learner__full_name", "registration_id", "unit__key")
    )
    return rows.filter(scope) if scope is not None else rows


def units_ready(
    *, centre_id: int, today: date, scope: Q | None = None, flt: ClaimFilter | None = None
) -> QuerySet[UnitSignOff]:
    """Unit sign-offs that may be claimed on their own now. `scope` is over the sign-off
    (prefix registration__)."""
    return _signed_units(centre_id, scope, flt or ClaimFilter()).filter(_unit_ready(today))


def units_waiting(
    *, centre_id: int, today: date, scope: Q | None = None, flt: ClaimFilter | None = None
) -> QuerySet[UnitSignOff]:
    return (
        _signed_units(centre_id, scope, flt or ClaimFilter())
        .alias(ready=_true_when(_unit_ready(today)))
        .filter(ready=False)
    )
