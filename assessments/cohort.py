"""The provider's cohort of apprentices (issue 19, point 6): the registrations with a programme
record that the role worn now covers, one row each with off-the-job hours against the plan and
English and maths.

Every figure comes from a constant number of queries, whatever the cohort's size: the programme
records as narrow rows (one query, or a count and a page), and the approved hours of all the
rows wanted in ONE aggregate (off_the_job.approved_hours), never off_the_job.totals() per row.
Planned to date and "behind" are off_the_job's own functions, so the cohort and the
apprentice's log agree.

Sorting by hours behind, or keeping only those behind, needs every apprentice's figure: hours
behind is worked out per day from the practical period, not a column. Then the whole (filtered)
cohort is read, narrow, with one aggregate of its hours, and paginated here; sorted by name with
no such filter, only the page's rows and the page's hours are read.

Two more columns come from the other parts of issue 19, each one batch lookup over the rows'
registration ids (`_lookups`): the next progress review, flagged when overdue
(portfolios.reviews.reviews_due, one query) and where the apprentice stands at the gateway
(assessments.gateway.gateway_states: the readiness checklist, the declaration's signatures and the
end-point result, a fixed number of queries). The page lives in assessments for that reason:
portfolios may not import the checklist, which reads assessors' decisions and sign-offs. Those
two are looked up for the page's rows only, unless a filter keeps rows by them (overdue,
ready for the gateway): sorted by hours behind, the whole cohort's hours decide the order, and
only the 25 shown have their checklists worked out (the CSV, every row, has all of them).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from assessments.gateway import GatewayState, gateway_states
from core.csv_cells import line_writer, safe_cell
from portfolios.models import (
    Apprenticeship,
    FunctionalSkillRequirement,
    FunctionalSkillStatus,
    Registration,
    RegistrationStatus,
)
from portfolios.models.apprenticeship import planned_otj_hours
from portfolios.off_the_job import ZERO, approved_hours, behind, hours_text, planned_to_date
from portfolios.reviews import ReviewDue, reviews_due

PAGE_SIZE = 25

# Apprentices who left the programme are not the provider's to chase: a withdrawn or transferred
# registration leaves the cohort. A complete or claimed one stays (its apprentice may still be
# on the way to the gateway and the end-point assessment).
LEFT = (RegistrationStatus.WITHDRAWN, RegistrationStatus.TRANSFERRED)

SORT_BY_NAME = "name"
SORT_BY_BEHIND = "behind"

# The programme record's columns a row needs, read as plain values (no model instances).
RECORD_FIELDS = (
    "registration_id",
    "registration__learner__full_name",
    "employer__name",
    "standard__title",
    "standard_version",
    "practical_start",
    "practical_planned_end",
    "minimum_otj_hours",
    "rpl_reduction_hours",
    "english_requirement",
    "english_status",
    "maths_requirement",
    "maths_status",
)


def cohort_registrations(user: Any, membership: Any) -> QuerySet[Registration]:
    """The registrations in the cohort of someone working in `membership`: at its centre, what
    that role sees (Registration.visible_to narrowed to the role: a centre admin all the
    centre's, an assessor those they assess, an internal verifier those they verify), with a
    programme record, not withdrawn or transferred. Their own registration is never one."""
    return (
        Registration.objects.visible_to(user, roles=[membership.role])
        .filter(centre_id=membership.centre_id, apprenticeship__isnull=False)
        .exclude(status__in=LEFT)
        .exclude(learner_id=user.pk)
    )


@dataclass(frozen=True)
class Filters:
    employer_id: int | None = None
    only_behind: bool = False
    only_review_overdue: bool = False
    only_gateway_ready: bool = False
    sort: str = SORT_BY_NAME

    @property
    def narrows(self) -> bool:
        """Whether rows are kept by a figure worked out here, not by a column: then the whole
        cohort is read and filtered before paging."""
        return self.only_behind or self.only_review_overdue or self.only_gateway_ready


@dataclass(frozen=True)
class CohortRow:
    """One apprentice of the cohort, as the page and the CSV show them."""

    registration_id: int
    apprentice: str
    employer: str
    standard: str
    practical_start: datetime.date
    practical_planned_end: datetime.date
    approved: Decimal
    planned_to_date: Decimal
    planned_total: Decimal
    # How many hours short of the plan to date (none when level with it or ahead).
    hours_behind: Decimal
    # off_the_job.behind: short by more than its tolerance, as the apprentice's log warns.
    behind: bool
    english: str
    maths: str
    # The next progress review (due date, overdue), and where the apprentice stands at the
    # gateway; None only for a registration the lookups did not cover.
    review: ReviewDue | None = None
    gateway: GatewayState | None = None


def functional_skill_text(requirement: str, status: str) -> str:
    """English or maths in a word or two: held or exempt, else where the apprentice is."""
    if requirement != FunctionalSkillRequirement.REQUIRED:
        return str(FunctionalSkillRequirement(requirement).label)
    return str(FunctionalSkillStatus(status).label)


@dataclass(frozen=True)
class Lookups:
    """What the rows need beyond their programme records, for a set of registrations."""

    hours: dict[int, Decimal]
    reviews: dict[int, ReviewDue]
    gateways: dict[int, GatewayState]


def _lookups(ids: list[int], today: datetime.date) -> Lookups:
    """The approved hours (one query), the next reviews (one) and the gateway states (a fixed
    number) of these registrations, however many."""
    if not ids:
        return Lookups({}, {}, {})
    hours = approved_hours(ids)
    return Lookups(
        hours,
        reviews_due(ids, today=today),
        gateway_states(ids, today=today, approved=hours),
    )


def cohort_rows(
    records: Sequence[dict[str, Any]], lookups: Lookups, today: datetime.date
) -> list[CohortRow]:
    """The rows of `records` (programme records as RECORD_FIELDS values), given their
    registrations' lookups: no query here."""
    hours = lookups.hours
    rows = []
    for record in records:
        start, end = record["practical_start"], record["practical_planned_end"]
        total = planned_otj_hours(record["minimum_otj_hours"], record["rpl_reduction_hours"])
        approved = hours.get(record["registration_id"], ZERO)
        due = planned_to_date(total, start, end, today)
        rows.append(
            CohortRow(
                registration_id=record["registration_id"],
                apprentice=record["registration__learner__full_name"],
                employer=record["employer__name"],
                standard=f"{record['standard__title']}, version {record['standard_version']}",
                practical_start=start,
                practical_planned_end=end,
                approved=approved,
                planned_to_date=due,
                planned_total=total,
                hours_behind=max(due - approved, ZERO),
                behind=behind(total, approved, start, end, today),
                english=functional_skill_text(
                    record["english_requirement"], record["english_status"]
                ),
                maths=functional_skill_text(record["maths_requirement"], record["maths_status"]),
                review=lookups.reviews.get(record["registration_id"]),
                gateway=lookups.gateways.get(record["registration_id"]),
            )
        )
    return rows


def _records(registrations: QuerySet[Registration], filters: Filters) -> QuerySet:
    records = Apprenticeship.objects.filter(registration__in=registrations.values("pk"))
    if filters.employer_id is not None:
        records = records.filter(employer_id=filters.employer_id)
    return records.order_by("registration__learner__full_name", "registration_id").values(
        *RECORD_FIELDS
    )


def _needs_lookups(filters: Filters) -> bool:
    """Whether the filters keep rows by the next review or the gateway, so that every row's
    lookups are needed before paging; sorting by, or keeping those, behind needs the hours
    alone."""
    return filters.only_review_overdue or filters.only_gateway_ready


def _whole_cohort(
    registrations: QuerySet[Registration],
    filters: Filters,
    today: datetime.date,
    *,
    every_lookup: bool = True,
) -> list[CohortRow]:
    """Every row the filters keep, in their order: the records, then their lookups. Without
    `every_lookup`, and with no filter on the review or the gateway, the rows carry their hours
    only: the caller adds the rest for the rows it shows (`_completed`), as the gateway's
    checklist of every apprentice is by far the dearest lookup."""
    records = list(_records(registrations, filters))
    ids = [record["registration_id"] for record in records]
    if every_lookup or _needs_lookups(filters):
        lookups = _lookups(ids, today)
    else:
        lookups = Lookups(approved_hours(ids) if ids else {}, {}, {})
    rows = cohort_rows(records, lookups, today)
    if filters.only_behind:
        rows = [row for row in rows if row.behind]
    if filters.only_review_overdue:
        rows = [row for row in rows if row.review is not None and row.review.overdue]
    if filters.only_gateway_ready:
        # Ready, and not yet through: those whose declaration is waiting to be signed.
        rows = [
            row
            for row in rows
            if row.gateway is not None and row.gateway.readiness.ready and not row.gateway.passed
        ]
    if filters.sort == SORT_BY_BEHIND:
        # Most hours behind first; level ones by name (the sort is stable).
        rows.sort(key=lambda row: row.hours_behind, reverse=True)
    return rows


def _completed(rows: Sequence[CohortRow], today: datetime.date) -> list[CohortRow]:
    """The rows with their next reviews and gateway states (the same queries as `_lookups`,
    less the hours the rows hold already)."""
    ids = [row.registration_id for row in rows]
    if not ids:
        return list(rows)
    reviews = reviews_due(ids, today=today)
    # The rows hold their approved hours: the checklist does not sum them again.
    approved = {row.registration_id: row.approved for row in rows}
    gateways = gateway_states(ids, today=today, approved=approved)
    return [
        replace(
            row, review=reviews.get(row.registration_id), gateway=gateways.get(row.registration_id)
        )
        for row in rows
    ]


def cohort_page(
    registrations: QuerySet[Registration],
    filters: Filters,
    *,
    page_number: Any,
    today: datetime.date,
) -> Page:
    """One page of the cohort's rows. By name, with no filter on a worked-out figure: a count,
    the page's records and the page's lookups. Sorted by, or keeping those, behind: the whole
    cohort's records and hours, then the page's reviews and gateway states. Keeping rows by
    review or gateway: the whole cohort's records and lookups. A fixed number of queries in
    each case."""
    if filters.sort == SORT_BY_NAME and not filters.narrows:
        page = Paginator(_records(registrations, filters), PAGE_SIZE).get_page(page_number)
        records = list(page.object_list)
        ids = [record["registration_id"] for record in records]
        page.object_list = cohort_rows(records, _lookups(ids, today), today)
        return page
    rows = _whole_cohort(registrations, filters, today, every_lookup=False)
    page = Paginator(rows, PAGE_SIZE).get_page(page_number)
    if not _needs_lookups(filters):
        page.object_list = _completed(list(page.object_list), today)
    return page


# ---------------------------------------------------------------- the CSV

EXPORT_HEADERS = (
    "Apprentice",
    "Employer",
    "Standard",
    "Practical period starts",
    "Practical period planned to end",
    "Off-the-job hours approved",
    "Planned to date",
    "Planned in total",
    "Hours behind",
    "Behind",
    "English",
    "Maths",
    "Next review due",
    "Review overdue",
    "Gateway",
)


def export_rows(
    registrations: QuerySet[Registration], filters: Filters, today: datetime.date
) -> Iterator[str]:
    """The cohort as CSV lines, the page's columns and filters, every row: a fixed number of
    queries, read when the first line is asked for (the response streams them). Names go
    through safe_cell: a spreadsheet shows them, never runs them."""
    writer = line_writer()
    yield writer.writerow(EXPORT_HEADERS)
    for row in _whole_cohort(registrations, filters, today):
        yield writer.writerow(
            [
                safe_cell(row.apprentice),
                safe_cell(row.employer),
                safe_cell(row.standard),
                row.practical_start.isoformat(),
                row.practical_planned_end.isoformat(),
                hours_text(row.approved),
                hours_text(row.planned_to_date),
                hours_text(row.planned_total),
                hours_text(row.hours_behind),
                "Yes" if row.behind else "No",
                row.english,
                row.maths,
                row.review.due.isoformat() if row.review else "",
                "Yes" if row.review and row.review.overdue else "No",
                row.gateway.text if row.gateway else "",
            ]
        )
