"""Progress as a read model: one RegistrationProgress row per registration, recounted in the
transaction of every change to the figures it holds, so pages that list many registrations (the
assessor's caseload) read columns instead of counting the log for each row.

What changes a figure, and the service that recounts it:
- criteria required: register_learner, choose_units (portfolios.services);
- criteria met: record_decision (assessments.services), corrections included;
- units signed off: sign_off_unit, unlock_unit (assessments.services);
- evidence waiting (submitted, not yet assessed or returned): submit, witness_respond
  (portfolios), create_record, return_evidence, and record_decision / confirm_mapping through
  mark_assessed_when_complete (assessments);
- pace: moves with criteria met and required (the dates never change after registration);
- the plan's next due date: learner_sign (a plan comes into force), activity_done (plans).

Each service calls `refresh_progress` after its change. It locks the registration's row
(SELECT ... FOR UPDATE) and recounts that one registration from the log: two deciders at once
take turns, and the second counts after the first has committed (PostgreSQL's READ COMMITTED
gives each statement a fresh snapshot), so the row never misses a change the way two
read-modify-write deltas could. A recount rather than F() deltas: a delta must know exactly
what the change did to every figure (a correction from met to met is no change; a decision on a
unit no longer taken still counts), where a recount cannot drift, and costs three indexed
queries per change.

Lock order: the row lock must come before the service's first audit event (core.audit locks the
chain head until commit). A second refresh in the same transaction, after an event, is safe:
the transaction holds the row already (services that recount only after their events, such as
witness_respond, confirm_mapping and refer_back, call `lock_progress` first); so is the first
refresh of a registration the transaction has just created (transfer, invitations), whose row
nobody else can hold.

Figures that live in apps above portfolios (decisions, sign-offs, plans) are registered here
by those apps (assessments/apps.py), as `decision_providers` are: portfolios imports none of
them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connections, transaction
from django.db.models import (
    Count,
    DateField,
    Exists,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from portfolios.models import (
    CreditTransfer,
    Evidence,
    EvidenceStatus,
    Registration,
    RegistrationProgress,
    RegistrationUnit,
)

# How far the share of criteria met may trail the share of planned time gone before a learner
# counts as behind (20 percentage points).
SLACK = 0.2

# The figures recounted from the log, each an expression over Registration (correlated on its
# pk); `paced` and `behind_from` are worked out from them and the registration's dates.
COUNTED = ("criteria_required", "criteria_met", "units_signed_off", "evidence_waiting", "plan_due")
DERIVED = ("paced", "behind_from")
FIELDS = COUNTED + DERIVED

figures: dict[str, Callable[[], Any]] = {}

# Building the recount's five subqueries costs the ORM more than the database takes to run
# them, on every change; one registration's recount is compiled once per database and reused
# with the registration's id in place of this stand-in.
_STAND_IN = -7_294_361_118
_compiled: dict[str, tuple[str, list[Any], int]] = {}
_DATE = DateField()


def register_figure(name: str, build: Callable[[], Any]) -> None:
    """Let an app above portfolios say how one of COUNTED is counted."""
    if name not in COUNTED:
        raise ValueError(f"RegistrationProgress has no counted figure {name!r}")
    figures[name] = build
    _compiled.clear()


def count_per_registration(queryset: QuerySet, field: str = "registration") -> Coalesce:
    """The number of rows of `queryset` whose `field` is the outer registration (0 if none)."""
    grouped = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(grouped, output_field=IntegerField()), 0)


def _criteria_required() -> Coalesce:
    # A unit credited by transfer is achieved already: its criteria are not asked again.
    credited = CreditTransfer.objects.live().filter(
        registration=OuterRef("registration"), unit=OuterRef("unit")
    )
    required = (
        RegistrationUnit.objects.filter(registration=OuterRef("pk"))
        .exclude(Exists(credited))
        .order_by()
        .values("registration")
        .annotate(n=Count("unit__criteria"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(required, output_field=IntegerField()), 0)


def _evidence_waiting() -> Coalesce:
    return count_per_registration(Evidence.objects.filter(status=EvidenceStatus.SUBMITTED))


register_figure("criteria_required", _criteria_required)
register_figure("evidence_waiting", _evidence_waiting)


# ---------------------------------------------------------------------------------- pace


def is_behind(
    *, today: datetime.date, start: datetime.date, end: datetime.date, met: int, required: int
) -> bool:
    """Whether the share of planned time gone outruns the share of criteria met by more than
    SLACK (callers have checked that pace applies: an end after the start, criteria required).
    """
    elapsed = min(max((today - start).days / (end - start).days, 0.0), 1.0)
    return elapsed - met / required > SLACK


def pace(
    *, start: datetime.date, end: datetime.date | None, met: int, required: int
) -> tuple[bool, datetime.date | None]:
    """(paced, behind_from): whether pace applies at all, and the first day the learner is
    behind if nothing changes (None: never). Behind is monotone in the day, so a bisection over
    the planned days finds it, with the very arithmetic `is_behind` uses on the day."""
    if end is None or end <= start or required == 0:
        return False, None
    days = (end - start).days

    def behind(day: int) -> bool:
        today = start + datetime.timedelta(days=day)
        return is_behind(today=today, start=start, end=end, met=met, required=required)

    if not behind(days):
        return True, None
    low, high = 0, days  # behind(low) is False (nothing gone yet), behind(high) is True
    while high - low > 1:
        middle = (low + high) // 2
        if behind(middle):
            high = middle
        else:
            low = middle
    return True, start + datetime.timedelta(days=high)


# -------------------------------------------------------------------------------- counting


def _counting(registrations: QuerySet) -> QuerySet:
    missing = set(COUNTED) - set(figures)
    if missing:
        raise ImproperlyConfigured(f"no app counts {', '.join(sorted(missing))}")
    return (
        registrations.order_by("pk")
        .annotate(**{f"n_{name}": figures[name]() for name in COUNTED})
        .values("pk", "start_date", "planned_end_date", *(f"n_{name}" for name in COUNTED))
    )


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    values = {name: row[f"n_{name}"] for name in COUNTED}
    values["paced"], values["behind_from"] = pace(
        start=row["start_date"],
        end=row["planned_end_date"],
        met=values["criteria_met"],
        required=values["criteria_required"],
    )
    return values


def recount(registrations: QuerySet) -> Iterator[tuple[int, dict[str, Any]]]:
    """(registration id, figures) for each registration, counted from the log: one query."""
    for row in _counting(registrations):
        yield row["pk"], _figures(row)


def recount_one(registration_id: int, *, using: str = "default") -> dict[str, Any] | None:
    """The figures of one registration (None if there is none), as `recount` counts them."""
    if using not in _compiled:
        query = _counting(Registration.objects.filter(pk=_STAND_IN)).query
        sql, params = query.get_compiler(using).as_sql()
        _compiled[using] = (sql, list(params), list(params).index(_STAND_IN))
    sql, params, at = _compiled[using]
    params = params.copy()
    params[at] = registration_id
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        found = cursor.fetchone()
    if found is None:
        return None
    row = dict(zip(names, found, strict=True))
    # Raw rows skip the ORM's converters: SQLite gives a computed date back as text.
    for name in ("start_date", "planned_end_date", "n_plan_due"):
        row[name] = _DATE.to_python(row[name])
    return _figures(row)


def lock_progress(registration: Registration | int) -> RegistrationProgress:
    """Take the row's lock now, for a service whose change to the figures comes only after
    its first audit event (refresh_progress later in the same transaction then waits for
    nothing)."""
    return _locked_row(registration if isinstance(registration, int) else registration.pk)


def _locked_row(registration_id: int) -> RegistrationProgress:
    row = RegistrationProgress.objects.select_for_update().filter(pk=registration_id).first()
    if row is not None:
        return row
    # Made with the registration; missing only for rows written around the services (bulk
    # seeding). A savepoint lets a simultaneous first refresh win the insert.
    try:
        with transaction.atomic():
            RegistrationProgress.objects.create(registration_id=registration_id)
    except IntegrityError:
        pass
    return RegistrationProgress.objects.select_for_update().get(pk=registration_id)


def refresh_progress(registration: Registration | int) -> RegistrationProgress:
    """Recount one registration's row under its lock, inside the caller's transaction (call it
    before the service's first audit event)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("refresh_progress belongs inside the transaction of the change")
    registration_id = registration if isinstance(registration, int) else registration.pk
    row = _locked_row(registration_id)
    values = recount_one(registration_id)
    changed = [name for name in FIELDS if values and getattr(row, name) != values[name]]
    if values and changed:
        for name in changed:
            setattr(row, name, values[name])
        row.counted_at = timezone.now()
        row.save(update_fields=[*changed, "counted_at"])
    return row


def differences(
    registrations: QuerySet | None = None, *, batch: int = 2000
) -> Iterator[tuple[int, dict[str, tuple[Any, Any]]]]:
    """(registration id, {figure: (kept, counted)}) for every row that disagrees with a full
    recount; a missing row counts as all zeros. Two queries per `batch` registrations."""
    if registrations is None:
        registrations = Registration.objects.all()
    ids = list(registrations.order_by("pk").values_list("pk", flat=True))
    blank = RegistrationProgress()
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        counted = list(recount(Registration.objects.filter(pk__in=chunk)))
        yield from _compare(counted, blank)


def _compare(
    counted: list[tuple[int, dict[str, Any]]], blank: RegistrationProgress
) -> Iterator[tuple[int, dict[str, tuple[Any, Any]]]]:
    kept = RegistrationProgress.objects.in_bulk([pk for pk, _ in counted])
    for pk, values in counted:
        row = kept.get(pk, blank)
        wrong = {
            name: (getattr(row, name), values[name])
            for name in FIELDS
            if getattr(row, name) != values[name]
        }
        if pk not in kept:
            wrong["row"] = (None, "missing")
        if wrong:
            yield pk, wrong


@transaction.atomic
def repair(registration_ids: Iterable[int], *, batch: int = 1000) -> int:
    """Recount these registrations' rows, making any that are missing; how many. As
    refresh_progress does for one, a thousand at a time: rows made, locked in one order
    (whoever else repairs at once), recounted, written back."""
    ids = sorted(set(registration_ids))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        RegistrationProgress.objects.bulk_create(
            [RegistrationProgress(registration_id=pk) for pk in chunk], ignore_conflicts=True
        )
        rows = {
            row.pk: row
            for row in RegistrationProgress.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
        }
        now = timezone.now()
        for pk, values in recount(Registration.objects.filter(pk__in=chunk)):
            row = rows[pk]
            for name in FIELDS:
                setattr(row, name, values[name])
            row.counted_at = now
        RegistrationProgress.objects.bulk_update(
            list(rows.values()), [*FIELDS, "counted_at"], batch_size=500
        )
    return len(ids)


def fill_missing() -> int:
    """Count the rows of registrations written around the services (bulk seeding, imports of
    old data) that have none yet; how many."""
    return repair(Registration.objects.filter(progress__isnull=True).values_list("pk", flat=True))
