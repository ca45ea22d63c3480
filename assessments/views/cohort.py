"""The provider's cohort of apprentices (issue 19, point 6), under /portfolio/apprentices/: the
page and its CSV, for the role worn now (portfolios.work_apprentice_cohort), over what that role
sees at its centre (assessments.cohort.cohort_registrations)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.context import working_membership
from accounts.models import Membership
from accounts.requests import AuthedRequest
from assessments import cohort
from assessments.forms.cohort import CohortFilterForm
from core.charts import long_date
from core.links import url_for_ids
from portfolios.off_the_job import figure

RULE = "portfolios.work_apprentice_cohort"
REFUSAL = "The apprentices' cohort is for centre admins, assessors and internal verifiers."


def _filtered(request: AuthedRequest) -> tuple[Membership, CohortFilterForm]:
    membership = working_membership(request, RULE, REFUSAL)
    return membership, CohortFilterForm(request.GET or None, centre=membership.centre)


@dataclass(frozen=True)
class Line:
    """One row of the page with its links, dates and figures as text, built here once: a
    `{% url %}`, a date or a number filter per cell cost the page more than reading its data
    (measured on the bench's cohort)."""

    row: cohort.CohortRow
    registration_url: str
    log_url: str
    reviews_url: str
    gateway_url: str
    period: str
    approved: str
    planned_to_date: str
    planned_total: str
    hours_behind: str
    gateway_text: str
    # Ready for the gateway and not through yet: the "Ready" badge.
    gateway_ready: bool


def _lines(rows: Iterable[cohort.CohortRow]) -> list[Line]:
    registration_url = url_for_ids("portfolios:registration")
    log_url = url_for_ids("off_the_job:log")
    reviews_url = url_for_ids("reviews:list")
    gateway_url = url_for_ids("gateway:page")
    lines = []
    for row in rows:
        pk, state = row.registration_id, row.gateway
        start, end = long_date(row.practical_start), long_date(row.practical_planned_end)
        lines.append(
            Line(
                row=row,
                registration_url=registration_url(pk),
                log_url=log_url(pk),
                reviews_url=reviews_url(pk),
                gateway_url=gateway_url(pk),
                period=f"{start} to {end}",
                approved=figure(row.approved),
                planned_to_date=figure(row.planned_to_date),
                planned_total=figure(row.planned_total),
                hours_behind=figure(row.hours_behind),
                gateway_text=state.text if state else "",
                gateway_ready=bool(state and state.readiness.ready and not state.passed),
            )
        )
    return lines


@require_GET
@login_required
def cohort_page(request: AuthedRequest) -> HttpResponse:
    membership, form = _filtered(request)
    page_obj = cohort.cohort_page(
        cohort.cohort_registrations(request.user, membership),
        form.filters(),
        page_number=request.GET.get("page"),
        today=timezone.localdate(),
    )
    return render(
        request,
        "assessments/apprentices.html",
        {
            "centre": membership.centre,
            "form": form,
            "page_obj": page_obj,
            "lines": _lines(page_obj.object_list),
        },
    )


@require_GET
@login_required
def cohort_export(request: AuthedRequest) -> StreamingHttpResponse:
    """The cohort as CSV, the page's filters applied (the page links here with its query)."""
    membership, form = _filtered(request)
    today = timezone.localdate()
    response = StreamingHttpResponse(
        cohort.export_rows(
            cohort.cohort_registrations(request.user, membership), form.filters(), today
        ),
        content_type="text/csv; charset=utf-8",
    )
    name = f"apprentices-{membership.centre.number}-{today.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
