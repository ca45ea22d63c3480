"""The off-the-job training log: logging, approving, querying and correcting an apprentice's
hours, and the totals the pages show.

The funding rules' four tests (notes: market-and-practice, off-the-job training): the training
teaches new knowledge, skills and behaviours, is directly relevant to the standard, happens
within the apprentice's paid hours, and is not one of the activities the rules exclude. The
exclusions are refused here by kind, with the reason, and nothing is saved; the other tests are
for the reviewer, who approves or queries each entry.

Every state change writes an audit event inside its transaction (core.audit.record_event).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, Count, DecimalField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractIsoYear, ExtractWeek
from django.utils import timezone

from core.audit import record_event
from core.csv_cells import line_writer, safe_cell
from core.prepared import Prepared, PreparedForIds, PreparedShapes
from portfolios import rules
from portfolios.models import (
    MAX_HOURS_PER_DAY,
    OFF_THE_JOB_LIFECYCLE,
    Apprenticeship,
    Evidence,
    OffTheJobActivity,
    OffTheJobKind,
    OffTheJobStatus,
    Registration,
)
from portfolios.models.apprenticeship import planned_otj_hours
from qualifications.models import Standard, Statement

# Why each excluded kind is not off-the-job training: the funding rules' exclusions (gov.uk
# apprenticeship funding rules, off-the-job training, P22-P24), said in the learner's terms.
REFUSED: dict[str, str] = {
    OffTheJobKind.ENGLISH_MATHS: (
        "English and maths are not off-the-job training: the funding rules exclude English and "
        "maths study from off-the-job hours, which must be spent on the standard's knowledge, "
        "skills and behaviours."
    ),
    OffTheJobKind.INITIAL_ASSESSMENT: (
        "An initial assessment is not off-the-job training: the funding rules exclude it, as it "
        "teaches nothing new."
    ),
    OffTheJobKind.PROGRESS_REVIEW: (
        "A progress review is not off-the-job training: the funding rules exclude progress "
        "reviews, which look back at learning rather than adding to it."
    ),
    OffTheJobKind.EXAM: (
        "End-point assessment and exams are not off-the-job training: the funding rules "
        "exclude assessment, which tests learning rather than delivering it."
    ),
    OffTheJobKind.OUTSIDE_PAID_HOURS: (
        "Training outside paid hours is not off-the-job training: the funding rules count only "
        "training within the apprentice's paid hours."
    ),
}

# Behind means approved hours short of the plan to date by more than this share of it: a week
# or two's slack (holidays, a logging delay) is not a warning; a tenth of the plan is.
BEHIND_TOLERANCE = Decimal("0.10")

HOURS = DecimalField(max_digits=8, decimal_places=2)
ZERO = Decimal("0")


class OffTheJobError(Exception):
    """The entry cannot be saved or changed as asked; the message says why."""


# ---------------------------------------------------------------- checks


def _check_entry(
    registration: Registration,
    *,
    date: datetime.date,
    hours: Decimal,
    kind: str,
    statements: Iterable[Statement],
    evidence: Evidence | None,
    exclude_pk: int | None = None,
) -> list[Statement]:
    if kind in REFUSED:
        raise OffTheJobError(REFUSED[kind])
    if kind not in OffTheJobKind.values:
        raise OffTheJobError("Choose what kind of training it was.")
    if hours <= 0:
        raise OffTheJobError("Give the hours spent, more than none.")
    if hours > MAX_HOURS_PER_DAY:
        raise OffTheJobError("A day has 24 hours: give no more than 24.")
    if date > timezone.localdate():
        raise OffTheJobError("Log training once it has happened: the date is in the future.")
    same_day = OffTheJobActivity.objects.filter(registration=registration, date=date)
    if exclude_pk is not None:
        same_day = same_day.exclude(pk=exclude_pk)
    logged = same_day.aggregate(total=Coalesce(Sum("hours"), Value(ZERO), output_field=HOURS))[
        "total"
    ]
    if logged + hours > MAX_HOURS_PER_DAY:
        raise OffTheJobError(
            f"{date:%-d %B %Y} already has {hours_text(logged)} hours logged: with "
            f"{hours_text(hours)} more it "
            "would pass 24 hours in a day."
        )
    chosen = list(statements)
    allowed = set(
        Statement.objects.filter(
            pk__in=[s.pk for s in chosen],
            standard__qualification_id=registration.qualification_id,
        ).values_list("pk", flat=True)
    )
    strays = [s.code for s in chosen if s.pk not in allowed]
    if strays:
        raise OffTheJobError(
            f"{', '.join(strays)} not of the standard this qualification is mapped to: choose "
            "the knowledge, skills and behaviours of your own standard."
        )
    if evidence is not None and evidence.registration_id != registration.pk:
        raise OffTheJobError("The evidence must be from this portfolio.")
    return chosen


def _lock(activity: OffTheJobActivity) -> OffTheJobActivity:
    return (
        OffTheJobActivity.objects.select_for_update()
        .select_related("registration")
        .get(pk=activity.pk)
    )


# ---------------------------------------------------------------- the services


@transaction.atomic
def log(
    *,
    actor: Any,
    registration: Registration,
    date: datetime.date,
    hours: Decimal,
    kind: str,
    description: str,
    statements: Iterable[Statement] = (),
    evidence: Evidence | None = None,
) -> OffTheJobActivity:
    """The learner logs an activity on their own registration; it waits for review."""
    if not rules.can_log_off_the_job(actor, registration):
        raise PermissionDenied("Only the apprentice logs their off-the-job training.")
    # The registration's row serialises two entries for one day (the 24-hour check).
    Registration.objects.select_for_update().filter(pk=registration.pk).first()
    chosen = _check_entry(
        registration,
        date=date,
        hours=hours,
        kind=kind,
        statements=statements,
        evidence=evidence,
    )
    activity = OffTheJobActivity.objects.create(
        registration=registration,
        date=date,
        hours=hours,
        kind=kind,
        description=description,
        evidence=evidence,
    )
    activity.statements.set(chosen)
    record_event(
        actor=actor,
        action="off_the_job.logged",
        target=activity,
        centre_id=registration.centre_id,
        data={"date": date.isoformat(), "hours": str(hours), "kind": kind},
    )
    return activity


@transaction.atomic
def approve(*, actor: Any, activity: OffTheJobActivity) -> OffTheJobActivity:
    """An assessor or the IV of the registration approves a submitted entry."""
    if not rules.can_review_off_the_job(actor, activity.registration):
        raise PermissionDenied("Only the apprentice's assessors and IV review their hours.")
    activity = _lock(activity)
    if activity.status == OffTheJobStatus.APPROVED:
        raise OffTheJobError("This entry is already approved.")
    if activity.status != OffTheJobStatus.SUBMITTED:
        raise OffTheJobError("This entry is queried: the apprentice corrects it first.")
    activity.reviewer = actor
    activity.reviewed_at = timezone.now()
    OFF_THE_JOB_LIFECYCLE.move(
        activity,
        OffTheJobStatus.APPROVED,
        actor=actor,
        action="off_the_job.approved",
        centre_id=activity.registration.centre_id,
        data={"hours": str(activity.hours)},
        update_fields=["reviewer", "reviewed_at"],
    )
    return activity


@transaction.atomic
def query(*, actor: Any, activity: OffTheJobActivity, reason: str) -> OffTheJobActivity:
    """An assessor or the IV queries a submitted entry, saying what is wrong."""
    if not rules.can_review_off_the_job(actor, activity.registration):
        raise PermissionDenied("Only the apprentice's assessors and IV review their hours.")
    reason = reason.strip()
    if not reason:
        raise OffTheJobError("Say what is wrong with the entry, so the apprentice can correct it.")
    activity = _lock(activity)
    if activity.status == OffTheJobStatus.APPROVED:
        raise OffTheJobError("This entry is already approved: an approved entry stands.")
    if activity.status == OffTheJobStatus.QUERIED:
        raise OffTheJobError("This entry is already queried.")
    activity.reviewer = actor
    activity.reviewed_at = timezone.now()
    activity.query_reason = reason
    OFF_THE_JOB_LIFECYCLE.move(
        activity,
        OffTheJobStatus.QUERIED,
        actor=actor,
        action="off_the_job.queried",
        centre_id=activity.registration.centre_id,
        data={"reason": reason},
        update_fields=["reviewer", "reviewed_at", "query_reason"],
    )
    return activity


@transaction.atomic
def correct(
    *,
    actor: Any,
    activity: OffTheJobActivity,
    date: datetime.date,
    hours: Decimal,
    kind: str,
    description: str,
    statements: Iterable[Statement] = (),
    evidence: Evidence | None = None,
) -> OffTheJobActivity:
    """The learner corrects a queried entry and submits it again.

    The audit event keeps the old and new values (and the query it answers), so the correction
    is on record though the row changes."""
    if not rules.can_log_off_the_job(actor, activity.registration):
        raise PermissionDenied("Only the apprentice corrects their off-the-job training.")
    Registration.objects.select_for_update().filter(pk=activity.registration_id).first()
    activity = _lock(activity)
    if activity.status != OffTheJobStatus.QUERIED:
        raise OffTheJobError("Only a queried entry can be corrected.")
    chosen = _check_entry(
        activity.registration,
        date=date,
        hours=hours,
        kind=kind,
        statements=statements,
        evidence=evidence,
        exclude_pk=activity.pk,
    )

    def values(entry: OffTheJobActivity, codes: list[str]) -> dict[str, Any]:
        return {
            "date": entry.date.isoformat(),
            "hours": str(entry.hours),
            "kind": entry.kind,
            "description": entry.description,
            "statements": codes,
            "evidence": entry.evidence_id,
        }

    old = values(activity, sorted(s.code for s in activity.statements.all()))
    answered = activity.query_reason
    activity.date, activity.hours, activity.kind = date, hours, kind
    activity.description, activity.evidence = description, evidence
    activity.query_reason = ""
    activity.reviewer, activity.reviewed_at = None, None
    fields = ["date", "hours", "kind", "description", "evidence", "query_reason", "reviewer"]
    OFF_THE_JOB_LIFECYCLE.move(
        activity,
        OffTheJobStatus.SUBMITTED,
        actor=actor,
        action="off_the_job.corrected",
        centre_id=activity.registration.centre_id,
        data={
            "query": answered,
            "old": old,
            "new": values(activity, sorted(s.code for s in chosen)),
        },
        update_fields=[*fields, "reviewed_at"],
        # The KSBs are set before the event, which names them.
        before_event=lambda: activity.statements.set(chosen),
    )
    return activity


# ---------------------------------------------------------------- totals


@dataclass(frozen=True)
class Totals:
    approved: Decimal
    waiting: Decimal


def totals(registration: Registration) -> Totals:
    """Approved hours to date and hours submitted awaiting review (one query)."""
    sums = OffTheJobActivity.objects.filter(registration=registration).aggregate(
        approved=_sum_where(Q(status=OffTheJobStatus.APPROVED)),
        waiting=_sum_where(Q(status=OffTheJobStatus.SUBMITTED)),
    )
    return Totals(approved=sums["approved"], waiting=sums["waiting"])


def _sum_where(condition: Q, hours: str = "hours") -> Coalesce:
    return Coalesce(
        Sum(Case(When(condition, then=hours), output_field=HOURS)),
        Value(ZERO),
        output_field=HOURS,
    )


@dataclass(frozen=True)
class Week:
    monday: datetime.date
    approved: Decimal
    waiting: Decimal
    # Entries logged that week, whatever their state: the log counts its pages from these.
    entries: int = 0

    @property
    def label(self) -> str:
        return f"{self.monday.day} {self.monday:%b}"


def weekly(registration: Registration) -> list[Week]:
    """Hours per ISO week (approved, and submitted waiting) and the entries logged in it,
    oldest first: one query, whose sums also give the totals (totals_of) and the number of
    entries (the log's pages), which the log page would otherwise ask for twice more."""
    return [
        Week(
            monday=datetime.date.fromisocalendar(year, week, 1),
            approved=approved,
            waiting=waiting,
            entries=entries,
        )
        for year, week, approved, waiting, entries in WEEKLY.rows(registration=registration.pk)
    ]


def _weekly_rows(*, registration: int) -> QuerySet:
    return (
        OffTheJobActivity.objects.filter(registration_id=registration)
        .annotate(year=ExtractIsoYear("date"), week=ExtractWeek("date"))
        .values("year", "week")
        .order_by("year", "week")
        .annotate(
            approved=_sum_where(Q(status=OffTheJobStatus.APPROVED)),
            waiting=_sum_where(Q(status=OffTheJobStatus.SUBMITTED)),
            entries=Count("pk"),
        )
        .values_list("year", "week", "approved", "waiting", "entries")
    )


# The log asks it on every request, for one registration: compiled once (core.prepared).
WEEKLY = Prepared(_weekly_rows)


def totals_of(weeks: Iterable[Week]) -> Totals:
    """What totals() counts, added up from the weeks already counted (no query)."""
    approved, waiting = ZERO, ZERO
    for week in weeks:
        approved += week.approved
        waiting += week.waiting
    return Totals(approved=approved, waiting=waiting)


def planned_to_date(
    planned_total: Decimal, start: datetime.date, end: datetime.date, today: datetime.date
) -> Decimal:
    """The planned hours due by `today`, pro rata by the days of the programme elapsed: none
    before it starts, all of them from its end on, to two places."""
    if end <= start or today >= end:
        return planned_total
    if today <= start:
        return ZERO
    share = Decimal((today - start).days) / Decimal((end - start).days)
    return (planned_total * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def behind(
    planned_total: Decimal,
    approved: Decimal,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
) -> bool:
    """Whether approved hours fall short of the plan to date by more than BEHIND_TOLERANCE."""
    due = planned_to_date(planned_total, start, end, today)
    return approved < due * (1 - BEHIND_TOLERANCE)


def hours_text(value: Decimal) -> str:
    """Hours as people write them: 20, 2.5 (PostgreSQL's sums carry the column's two places,
    "20.00", where SQLite's do not)."""
    return f"{value.normalize():f}"


def figure(value: Decimal) -> str:
    """Hours as the template filter floatformat:"-2" writes them (20, 2.50), without a template
    filter per figure: the log writes a hundred of them."""
    if value == value.to_integral_value():
        return f"{value:.0f}"
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def day_text(value: datetime.date) -> str:
    """A date as the pages write it ("j F Y")."""
    return f"{value.day} {value:%B %Y}"


@dataclass(frozen=True)
class EntryRow:
    """One entry as the log lists it, its texts ready for the page (a page of 25, each with its
    buttons, wrote a few hundred template lookups and filters otherwise)."""

    pk: int
    date: datetime.date
    hours: Decimal
    kind: str
    description: str
    status: str
    query_reason: str
    reviewer: str  # full name, else address; "" until reviewed
    reviewed_on: str  # "j F Y", local time; "" until reviewed
    evidence_id: int | None
    evidence_title: str
    codes: tuple[str, ...]  # the KSBs it served, in the standard's order

    @property
    def day(self) -> str:
        return day_text(self.date)

    @property
    def figure(self) -> str:
        return figure(self.hours)

    @property
    def kind_label(self) -> str:
        return str(OffTheJobKind(self.kind).label)

    @property
    def status_label(self) -> str:
        return str(OffTheJobStatus(self.status).label)


_ENTRY_COLUMNS = (
    "pk",
    "date",
    "hours",
    "kind",
    "description",
    "status",
    "query_reason",
    "reviewer__full_name",
    "reviewer__email",
    "reviewed_at",
    "evidence_id",
    "evidence__title",
    "statements__code",
)


def _entry_slice(*, registration: int, start: int, stop: int) -> QuerySet:
    """The registration's entries start..stop (newest first), each with its reviewer, evidence
    and KSB codes, the KSBs as rows beside their entry (as the CSV export reads them)."""
    page = (
        OffTheJobActivity.objects.filter(registration_id=registration)
        .order_by("-date", "-pk")
        .values("pk")[start:stop]
    )
    return (
        OffTheJobActivity.objects.filter(pk__in=page)
        .order_by("-date", "-pk", "statements__position")
        .values_list(*_ENTRY_COLUMNS)
    )


# A page's slice is written into the SQL (LIMIT and OFFSET are not parameters), so each slice
# is its own query, compiled once (core.prepared) on its first visit: building and compiling it
# cost a millisecond of the log's time, the rows a fifth of that. Kept for the first pages only;
# a log that long is read from the front, and further pages are built as any query is.
ENTRY_SLICES = PreparedShapes(
    lambda start, stop, *, registration: _entry_slice(
        registration=registration, start=start, stop=stop
    ),
    kept=40,
)


def entry_rows(registration: int, start: int, stop: int) -> list[EntryRow]:
    """The registration's entries start..stop, newest first, each with its reviewer, evidence
    and KSB codes: one query."""
    rows = ENTRY_SLICES.rows(start, stop, registration=registration)
    entries: list[EntryRow] = []
    zone = timezone.get_current_timezone()  # once, not once a row (localtime asks each time)
    for _, group in itertools.groupby(rows, key=lambda row: row[0]):
        lines = list(group)
        first = lines[0]
        reviewed = first[9]
        entries.append(
            EntryRow(
                pk=first[0],
                date=first[1],
                hours=first[2],
                kind=first[3],
                description=first[4],
                status=first[5],
                query_reason=first[6],
                # An address always, where there is a reviewer: get_full_name's fallback.
                reviewer=(first[7] or first[8]) if first[8] is not None else "",
                reviewed_on=day_text(timezone.localtime(reviewed, zone)) if reviewed else "",
                evidence_id=first[10],
                evidence_title=first[11] or "",
                codes=tuple(line[12] for line in lines if line[12]),
            )
        )
    return entries


@dataclass(frozen=True)
class Plan:
    """The planned off-the-job hours and the practical period they are spread over."""

    hours: Decimal
    start: datetime.date
    end: datetime.date


def programme_plan(registration: Registration) -> Plan | None:
    """The plan the registration's apprenticeship programme record holds (the published minimum
    less recognised prior learning, over the practical period, not the registration's dates), or
    None where no programme is recorded: the log then shows hours without a planned line."""

    # Loaded with the registration already where the page asked for it (the log's select_
    # related), None there when it has none; else one query.
    loaded = Registration.apprenticeship.related
    if loaded.is_cached(registration):
        cached = cast("Apprenticeship | None", loaded.get_cached_value(registration))
        if cached is None:
            return None
        return Plan(cached.planned_otj_hours, cached.practical_start, cached.practical_planned_end)
    record = (
        Apprenticeship.objects.filter(registration_id=registration.pk)
        .only(
            "minimum_otj_hours", "rpl_reduction_hours", "practical_start", "practical_planned_end"
        )
        .first()
    )
    if record is None:
        return None
    return Plan(record.planned_otj_hours, record.practical_start, record.practical_planned_end)


def approved_hours(registrations: Iterable[int] | QuerySet) -> dict[int, Decimal]:
    """Approved off-the-job hours by registration id, for many registrations in ONE aggregate
    query (ids, or a queryset of registrations); a registration with none is left out. What the
    cohort and the gateway's checklist count (hours_for adds each one's plan)."""
    if isinstance(registrations, QuerySet):
        return dict(_approved_rows(registrations))
    return dict(APPROVED_ROWS.rows(registrations))


def _approved_rows(registrations: Iterable[int] | QuerySet) -> QuerySet:
    return (
        OffTheJobActivity.objects.filter(
            registration__in=registrations, status=OffTheJobStatus.APPROVED
        )
        .order_by()
        .values_list("registration_id")
        .annotate(total=Sum("hours"))
    )


# The gateway page sums one registration's on every request, the lists a page's: compiled once
# for each size of list (core.prepared.PreparedForIds).
APPROVED_ROWS = PreparedForIds(_approved_rows)


@dataclass(frozen=True)
class Hours:
    """One registration's off-the-job hours as a list of apprentices shows them: approved and
    waiting, and, where a programme record gives the plan, the plan's total, its share due by
    today and whether the approved hours are behind it (`behind`)."""

    approved: Decimal
    waiting: Decimal
    plan: Plan | None = None
    planned_to_date: Decimal | None = None
    behind: bool = False


def _hours_rows(ids: list[int]) -> QuerySet:
    """Each registration's programme plan beside its approved and waiting sums (grouped by
    registration)."""
    return (
        Registration.objects.filter(pk__in=ids)
        .values(
            "pk",
            "apprenticeship__minimum_otj_hours",
            "apprenticeship__rpl_reduction_hours",
            "apprenticeship__practical_start",
            "apprenticeship__practical_planned_end",
        )
        .annotate(
            approved=_sum_where(
                Q(off_the_job__status=OffTheJobStatus.APPROVED), "off_the_job__hours"
            ),
            waiting=_sum_where(
                Q(off_the_job__status=OffTheJobStatus.SUBMITTED), "off_the_job__hours"
            ),
        )
        .order_by()
        .values_list(
            "pk",
            "apprenticeship__minimum_otj_hours",
            "apprenticeship__rpl_reduction_hours",
            "apprenticeship__practical_start",
            "apprenticeship__practical_planned_end",
            "approved",
            "waiting",
        )
    )


# The lists of apprentices (the employer's home, the cohort) ask it of a page on every visit:
# compiled once for each size of list (core.prepared.PreparedForIds).
HOURS_ROWS = PreparedForIds(_hours_rows)


def hours_for(
    registrations: Iterable[Registration | int], today: datetime.date | None = None
) -> dict[int, Hours]:
    """Per registration id, its Hours: one query for any number of registrations (the sums,
    grouped by registration, beside each one's programme record), for the pages that list
    apprentices (the employer contact's home, a cohort). The same totals, plan and `behind`
    as the log page's (totals, programme_plan, planned_to_date, behind)."""
    ids: list[int] = [
        registration.pk if isinstance(registration, Registration) else registration
        for registration in registrations
    ]
    if not ids:
        return {}
    today = today or timezone.localdate()
    found: dict[int, Hours] = {}
    for pk, minimum, rpl, start, planned_end, approved, waiting in HOURS_ROWS.rows(ids):
        if start is None:
            found[pk] = Hours(approved=approved, waiting=waiting)
            continue
        plan = Plan(
            planned_otj_hours(minimum, rpl),
            start,
            planned_end,
        )
        found[pk] = Hours(
            approved=approved,
            waiting=waiting,
            plan=plan,
            planned_to_date=planned_to_date(plan.hours, plan.start, plan.end, today),
            behind=behind(plan.hours, approved, plan.start, plan.end, today),
        )
    return found


# ---------------------------------------------------------------- the cohort's CSV

EXPORT_HEADERS = (
    "Learner",
    "Qualification",
    "Date",
    "Hours",
    "Kind",
    "KSBs",
    "Status",
    "Reviewer",
    "Reviewed at",
)


def export_rows(registrations: Any, *, chunk_size: int = 2_000) -> Iterator[str]:
    """The entries of `registrations` on a qualification with a standard, one CSV line at a
    time: one query (an entry's KSBs come as rows beside it, joined here), read in chunks."""
    writer = line_writer()
    yield writer.writerow(EXPORT_HEADERS)
    rows = (
        OffTheJobActivity.objects.filter(
            registration__in=registrations,
            registration__qualification_id__in=Standard.objects.values("qualification_id"),
        )
        .order_by("registration__learner__full_name", "registration_id", "date", "pk")
        .values_list(
            "pk",
            "registration__learner__full_name",
            "registration__qualification__number",
            "date",
            "hours",
            "kind",
            "statements__code",
            "status",
            "reviewer__full_name",
            "reviewed_at",
        )
        .iterator(chunk_size=chunk_size)
    )
    kinds, statuses = dict(OffTheJobKind.choices), dict(OffTheJobStatus.choices)
    for _, group in itertools.groupby(rows, key=lambda row: row[0]):
        lines = list(group)
        first = lines[0]
        codes = ", ".join(sorted({line[6] for line in lines if line[6]}))
        reviewed = timezone.localtime(first[9]).strftime("%Y-%m-%d %H:%M") if first[9] else ""
        yield writer.writerow(
            [
                safe_cell(first[1]),
                first[2],
                first[3].isoformat(),
                hours_text(first[4]),
                kinds.get(first[5], first[5]),
                codes,
                statuses.get(first[7], first[7]),
                safe_cell(first[8] or ""),
                reviewed,
            ]
        )
