"""The off-the-job training log of a registration, under /portfolio/off-the-job/.

One page for everyone who may see the registration: the apprentice logs and corrects their
hours on it; the registration's assessors and IV approve or query each submitted entry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.context import working_membership
from accounts.requests import AuthedRequest
from core.charts import Bar, bar_chart
from core.html import escape, linebreaksbr
from core.links import id_url_template
from portfolios import off_the_job
from portfolios.forms.off_the_job import ActivityForm, QueryForm
from portfolios.models import OffTheJobActivity, OffTheJobStatus, Registration
from portfolios.queries import registration_with_people


def _activity(request: AuthedRequest, pk: int) -> OffTheJobActivity:
    return get_object_or_404(
        OffTheJobActivity.objects.select_related(
            "registration__learner", "registration__qualification", "registration__centre"
        ).filter(registration__in=Registration.objects.visible_to(request.user)),
        pk=pk,
    )


ENTRIES_PER_PAGE = 25


def _plan(registration: Registration, approved: Decimal) -> dict[str, Any] | None:
    """Planned against actual, where a programme record gives the plan (programme_plan)."""
    plan = off_the_job.programme_plan(registration)
    if plan is None:
        return None
    today = timezone.localdate()
    to_date = off_the_job.planned_to_date(plan.hours, plan.start, plan.end, today)
    return {
        "total": off_the_job.figure(plan.hours),
        "to_date": off_the_job.figure(to_date),
        "behind": off_the_job.behind(plan.hours, approved, plan.start, plan.end, today),
    }


# Each URL resolved once (core.links), then each entry's id formatted in: reversing three URLs
# for each of 25 entries cost more than the rest of the row.
_url_for_each = id_url_template


def _page(
    request: AuthedRequest,
    registration: Registration,
    form: ActivityForm | None,
    *,
    can_review: bool,
    status: int = 200,
) -> HttpResponse:
    # The weeks' sums (one query) give the totals and the number of entries as well.
    weeks = off_the_job.weekly(registration)
    totals = off_the_job.totals_of(weeks)
    # A page of entries, newest first: a log of a year or two runs to hundreds, and each row
    # carries its forms; the totals, plan and weeks count every entry.
    paginator = Paginator(
        OffTheJobActivity.objects.filter(registration=registration)
        .order_by("-date", "-pk")
        .values("pk"),
        ENTRIES_PER_PAGE,
    )
    paginator.count = sum(week.entries for week in weeks)
    entries: Page[Any] = paginator.get_page(request.GET.get("page"))
    start = (entries.number - 1) * ENTRIES_PER_PAGE
    entries.object_list = off_the_job.entry_rows(registration.pk, start, start + ENTRIES_PER_PAGE)
    picture = bar_chart(
        [
            Bar(
                label=f"Week of {off_the_job.day_text(week.monday)}",
                # Bars are whole numbers: quarter hours keep the proportions exact.
                value=int((week.approved + week.waiting) * 4),
                figure=f"{off_the_job.hours_text(week.approved + week.waiting)} h",
            )
            for week in weeks
        ],
        label="Off-the-job hours logged each week, approved and waiting together",
        empty="No hours logged yet.",
    )
    rows = _entry_rows(
        entries.object_list,
        can_review=can_review,
        may_correct=form is not None,
        csrf=get_token(request),
    )
    return render(
        request,
        "portfolios/off_the_job/log.html",
        {
            "registration": registration,
            "entries": entries,
            "rows": rows,
            "page_obj": entries,
            "totals": totals,
            "approved": off_the_job.figure(totals.approved),
            "waiting": off_the_job.figure(totals.waiting),
            "weeks": weeks,
            "week_rows": _week_rows(weeks),
            "picture": picture,
            "plan": _plan(registration, totals.approved),
            "form": form,
            "can_review": can_review,
        },
        status=status,
    )


# ---------------------------------------------------------------- the tables' rows
# Written here, not by the template: 25 entries, each with its buttons, and a row per week of
# the programme were most of the page's time as template nodes (a lookup, an escape and a
# localisation per value). The markup is what the template wrote; every text is escaped.

BADGES: dict[str, str] = {
    OffTheJobStatus.APPROVED: "text-bg-success",
    OffTheJobStatus.QUERIED: "text-bg-warning",
}


def _entry_rows(
    entries: list[off_the_job.EntryRow], *, can_review: bool, may_correct: bool, csrf: str
) -> SafeString:
    approve_url = _url_for_each("off_the_job:approve")
    query_url = _url_for_each("off_the_job:query")
    correct_url = _url_for_each("off_the_job:correct")
    evidence_url = _url_for_each("evidence:detail")
    token = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf)}">'
    html: list[str] = []
    for entry in entries:
        day, hours = escape(entry.day), escape(entry.figure)
        what = f'<span class="visually-hidden"> {hours} hours on {day}</span>'
        evidence = (
            f'<small class="d-block">Evidence: <a href="{evidence_url.format(entry.evidence_id)}">'
            f"{escape(entry.evidence_title)}</a></small>"
            if entry.evidence_id
            else ""
        )
        reviewer = (
            f'<small class="d-block">by {escape(entry.reviewer)}, {escape(entry.reviewed_on)}'
            "</small>"
            if entry.reviewer
            else ""
        )
        query = (
            '<small class="d-block" data-testid="query-reason">Query: '
            f"{escape(entry.query_reason)}</small>"
            if entry.status == OffTheJobStatus.QUERIED
            else ""
        )
        action = ""
        if can_review or may_correct:
            if can_review and entry.status == OffTheJobStatus.SUBMITTED:
                action = (
                    f'<form method="post" action="{approve_url.format(entry.pk)}" class="mb-2">'
                    f'{token}<button type="submit" class="btn btn-sm btn-success">Approve{what}'
                    f'</button></form><form method="post" action="{query_url.format(entry.pk)}">'
                    f'{token}<label class="form-label small" for="reason-{entry.pk}">Query: what '
                    'is wrong</label><textarea class="form-control form-control-sm mb-1" '
                    f'name="reason" id="reason-{entry.pk}" rows="2" maxlength="2000" required>'
                    '</textarea><button type="submit" class="btn btn-sm btn-outline-secondary">'
                    f"Query{what}</button></form>"
                )
            elif may_correct and entry.status == OffTheJobStatus.QUERIED:
                action = (
                    f'<a class="btn btn-sm btn-primary" href="{correct_url.format(entry.pk)}">'
                    f"Correct{what}</a>"
                )
            action = f'<td data-label="Action">{action}</td>'
        codes = ", ".join(escape(code) for code in entry.codes) or "None named"
        badge = BADGES.get(entry.status, "text-bg-info")
        html.append(
            '<tr data-testid="off-the-job-entry">'
            f'<td data-label="Date">{day}</td><td data-label="Hours">{hours}</td>'
            f'<td data-label="Kind">{escape(entry.kind_label)}</td>'
            f'<td data-label="What was done">{linebreaksbr(entry.description)}'
            f'{evidence}</td><td data-label="KSBs">{codes}</td>'
            f'<td data-label="Status"><span class="badge {badge}">'
            f"{escape(entry.status_label)}</span>{reviewer}{query}</td>{action}</tr>"
        )
    return mark_safe("".join(html))  # noqa: S308 (every text above is escaped)


def _week_rows(weeks: list[off_the_job.Week]) -> SafeString:
    return mark_safe(  # noqa: S308 (dates and figures only)
        "".join(
            f'<tr><td data-label="Week of">{off_the_job.day_text(week.monday)}</td>'
            f'<td data-label="Approved">{off_the_job.figure(week.approved)}</td>'
            f'<td data-label="Waiting for review">{off_the_job.figure(week.waiting)}</td></tr>'
            for week in weeks
        )
    )


@require_http_methods(["GET", "POST"])
@login_required
def log_page(request: AuthedRequest, pk: int) -> HttpResponse:
    # By id with its programme record (compiled once), then asked of the predicates: whoever
    # logs or reviews the entries sees the registration (both rules' arms are arms of
    # portfolios.view_registration, which visible_to mirrors), so that is asked of the others.
    registration = registration_with_people(pk, apprenticeship=True)
    if registration is None:
        raise Http404("No registration you may see has that id.")
    user = request.user
    may_log = rules.test_rule("portfolios.log_off_the_job", user, registration)
    can_review = rules.test_rule("portfolios.review_off_the_job", user, registration)
    if not (may_log or can_review) and not user.has_perm(
        "portfolios.view_registration", registration
    ):
        raise Http404("No registration you may see has that id.")
    if request.method != "POST":
        form = ActivityForm(registration=registration) if may_log else None
        return _page(request, registration, form, can_review=can_review)
    if not may_log:
        raise PermissionDenied("Only the apprentice logs their off-the-job training.")
    form = ActivityForm(request.POST, registration=registration)
    if form.is_valid():
        try:
            off_the_job.log(actor=request.user, registration=registration, **form.cleaned_data)
        except off_the_job.OffTheJobError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Logged: your assessor will review it.")
            return redirect("off_the_job:log", pk=registration.pk)
    return _page(request, registration, form, can_review=can_review, status=400)


@require_POST
@login_required
def approve_entry(request: AuthedRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    try:
        off_the_job.approve(actor=request.user, activity=activity)
    except off_the_job.OffTheJobError as error:
        # A second click on Approve lands here: it says so, and nothing changes.
        messages.info(request, str(error))
    else:
        messages.success(request, f"Approved: {activity}.")
    return redirect("off_the_job:log", pk=activity.registration_id)


@require_POST
@login_required
def query_entry(request: AuthedRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    form = QueryForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        off_the_job.query(actor=request.user, activity=activity, reason=str(reason))
    except off_the_job.OffTheJobError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Queried: {activity}. The apprentice is asked to correct it.")
    return redirect("off_the_job:log", pk=activity.registration_id)


@require_http_methods(["GET", "POST"])
@login_required
def correct_entry(request: AuthedRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    registration = activity.registration
    if not rules.test_rule("portfolios.log_off_the_job", request.user, registration):
        raise PermissionDenied("Only the apprentice corrects their off-the-job training.")
    if activity.status != OffTheJobStatus.QUERIED:
        messages.info(request, "Only a queried entry can be corrected.")
        return redirect("off_the_job:log", pk=registration.pk)
    if request.method == "POST":
        form = ActivityForm(request.POST, registration=registration)
        if form.is_valid():
            try:
                off_the_job.correct(actor=request.user, activity=activity, **form.cleaned_data)
            except off_the_job.OffTheJobError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Corrected and submitted again for review.")
                return redirect("off_the_job:log", pk=registration.pk)
    else:
        form = ActivityForm(
            registration=registration,
            initial={
                "date": activity.date,
                "hours": activity.hours,
                "kind": activity.kind,
                "description": activity.description,
                "statements": [s.pk for s in activity.statements.all()],
                "evidence": activity.evidence_id,
            },
        )
    return render(
        request,
        "portfolios/off_the_job/correct.html",
        {"registration": registration, "activity": activity, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@login_required
def export(request: AuthedRequest) -> HttpResponseBase:
    """The off-the-job entries of the learners the role worn now covers, on qualifications with
    an apprenticeship standard: an assessor's caseload, or the whole centre for its admin."""
    membership = working_membership(
        request,
        "portfolios.export_off_the_job",
        "The off-the-job export is for assessors and centre admins.",
    )
    registrations = (
        Registration.objects.visible_to(request.user, roles=[membership.role])
        .filter(centre_id=membership.centre_id)
        .exclude(learner_id=request.user.pk)
        .values("pk")
    )
    response = StreamingHttpResponse(
        off_the_job.export_rows(registrations), content_type="text/csv; charset=utf-8"
    )
    name = f"off-the-job-{membership.centre.number}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
