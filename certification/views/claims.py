"""The certification claim pages: what may be claimed, and claim batches.

Who may open them is certification.views.common's (centre admins act, an EQA reads). Every change
is one service call in certification.claims.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Membership
from accounts.requests import AuthedRequest
from certification import claims, eligibility, queries, summaries
from certification.forms import CertificateForm, ClaimFilterForm, LineSearchForm, SubmitForm
from certification.models import BatchState, ClaimBatch, ClaimError, ClaimLine
from certification.profiles import profile_for
from certification.queries import ClaimFilter
from certification.views.common import admin_membership, batch_for, eqa_limit, may_act
from core.pagination import paginate
from portfolios.models import Registration
from qualifications.models import Qualification

# Rows per page of each list: what a person can take in, whatever the centre's size.
PAGE_SIZE = 25


# ---------------------------------------------------------------- what may be claimed


class _Lists(TypedDict):
    """What the four claim lists are asked with."""

    centre_id: int
    today: date
    flt: ClaimFilter


def _page(rows: QuerySet, params: QueryDict, key: str) -> Page:
    return paginate(rows, params, key, per_page=PAGE_SIZE)


def _with_query(url: str, params: QueryDict) -> str:
    return f"{url}?{params.urlencode()}" if params else url


def _claim_filter(request: AuthedRequest, centre_id: int) -> tuple[ClaimFilterForm, ClaimFilter]:
    # The qualifications the centre has registrations on (its index on centre), not the
    # whole catalogue.
    qualifications = Qualification.objects.filter(
        pk__in=Registration.objects.filter(centre_id=centre_id).values("qualification_id")
    ).order_by("number")
    form = ClaimFilterForm(request.GET or None, qualifications=qualifications)
    if not form.is_valid():
        return form, ClaimFilter()
    chosen = form.cleaned_data["qualification"]
    return form, ClaimFilter(
        qualification_id=chosen.pk if chosen else None, q=form.cleaned_data["q"] or ""
    )


def _chosen_items(values: list[str]) -> list[tuple[int, int | None]]:
    items = []
    for value in values:
        registration_id, _, unit_id = value.partition(":")
        if registration_id.isdigit() and unit_id.isdigit():
            items.append((int(registration_id), int(unit_id) or None))
    return items


def _added(request: AuthedRequest, result: claims.AddResult) -> None:
    count = len(result.added)
    text = f"{count:,} line{'s' if count != 1 else ''} added to the draft claim batches."
    if result.already:
        text += f" {result.already:,} already on their draft were left as they were."
    messages.success(request, text)
    if result.refused:
        messages.warning(
            request,
            f"{len(result.refused):,} could not be claimed and were left out. " + result.refusal(),
        )


@require_http_methods(["GET", "POST"])
@login_required
def claims_page(request: AuthedRequest) -> HttpResponse:
    membership = admin_membership(request)
    centre_id = membership.centre_id
    form, flt = _claim_filter(request, centre_id)
    here = _with_query(reverse("certification:claims"), request.GET)
    chosen: set[str] = set()
    if request.method == "POST":
        try:
            if request.POST.get("add") == "all":
                _added(request, claims.add_ready(actor=request.user, centre_id=centre_id, flt=flt))
            else:
                _added(
                    request,
                    claims.add_items(
                        actor=request.user,
                        centre_id=centre_id,
                        items=_chosen_items(request.POST.getlist("claim")),
                    ),
                )
        except ClaimError as error:
            # Shown again with the same boxes ticked: nothing the admin chose is lost.
            messages.error(request, str(error))
            chosen = set(request.POST.getlist("claim"))
        else:
            return redirect(here)
    today = timezone.localdate()
    scope = eqa_limit(request, membership)
    unit_scope = eqa_limit(request, membership, "registration__")
    lists: _Lists = {"centre_id": centre_id, "today": today, "flt": flt}
    ready = _page(queries.full_ready(scope=scope, **lists), request.GET, "page")
    waiting = _page(queries.full_waiting(scope=scope, **lists), request.GET, "waiting_page")
    units = _page(queries.units_ready(scope=unit_scope, **lists), request.GET, "units_page")
    units_waiting = _page(
        queries.units_waiting(scope=unit_scope, **lists), request.GET, "units_waiting_page"
    )
    full_rows, waiting_rows = list(ready.object_list), list(waiting.object_list)
    unit_rows, unit_waiting_rows = list(units.object_list), list(units_waiting.object_list)
    full, unit = eligibility.candidates_for(
        full_rows + waiting_rows, unit_rows + unit_waiting_rows, today
    )
    # Lines counted as the batch page shows them: an EQA limited to some qualifications counts
    # only the lines on those (the others are not theirs to know about, not even by number).
    lines = ClaimLine.objects.filter(batch_id=OuterRef("pk"), removed_at__isnull=True)
    line_scope = eqa_limit(request, membership, "registration__")
    if line_scope is not None:
        lines = lines.filter(line_scope)
    # Each page carries its rows' claim facts for the template (not a Page attribute).
    ready.candidates = full[: len(full_rows)]  # type: ignore[attr-defined]
    waiting.candidates = full[len(full_rows) :]  # type: ignore[attr-defined]
    units.candidates = unit[: len(unit_rows)]  # type: ignore[attr-defined]
    units_waiting.candidates = unit[len(unit_rows) :]  # type: ignore[attr-defined]
    batches = (
        ClaimBatch.objects.filter(centre_id=centre_id)
        .select_related("awarding_body")
        .annotate(
            line_count=Coalesce(
                Subquery(lines.order_by().values("batch_id").annotate(n=Count("pk")).values("n")),
                0,
            )
        )
    )
    return render(
        request,
        "certification/claims.html",
        {
            "centre": membership.centre,
            "form": form,
            "filtered": bool(flt.q.strip() or flt.qualification_id),
            "ready": ready,
            "waiting": waiting,
            "units": units,
            "units_waiting": units_waiting,
            "chosen": chosen,
            "here": here,
            "batches": batches,
            "may_act": may_act(request, membership),
        },
        status=400 if chosen else 200,
    )


# ---------------------------------------------------------------- batches


@require_GET
@login_required
def batch_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    membership, batch = batch_for(request, pk)
    return _batch_page(request, membership, batch)


def _batch_page(
    request: AuthedRequest,
    membership: Membership,
    batch: ClaimBatch,
    *,
    submit_form: SubmitForm | None = None,
    certificate_form: CertificateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The batch and its lines; a form sent back invalid is shown with its errors in its
    place: the submit form, the certificate form for every line, or one line's own."""
    line_form = None
    if certificate_form is not None and certificate_form.data.get("line"):
        line_form, certificate_form = certificate_form, None
    lines = batch.lines.select_related(
        "registration__learner",
        "registration__qualification",
        "unit",
        "removed_by",
    ).order_by(F("removed_at").asc(nulls_first=True), "registration__learner__full_name", "pk")
    scope = eqa_limit(request, membership, "registration__")
    if scope is not None:
        lines = lines.filter(scope)
    counts = lines.order_by().aggregate(
        live=Count("pk", filter=Q(removed_at__isnull=True)),
        removed=Count("pk", filter=Q(removed_at__isnull=False)),
    )
    form = LineSearchForm(request.GET or None)
    if form.is_valid() and form.cleaned_data["q"]:
        text = form.cleaned_data["q"]
        lines = lines.filter(
            Q(registration__learner__full_name__icontains=text)
            | Q(registration__awarding_body_number__iexact=text)
        )
    acting = may_act(request, membership)
    # A draft has no summary (its lines may change): no query for one.
    batch_summaries = (
        list(summaries.summaries_of(batch)) if acting and batch.state != BatchState.DRAFT else []
    )
    return render(
        request,
        "certification/claim_batch.html",
        {
            "batch": batch,
            "page": _page(lines, request.GET, "page"),
            "counts": counts,
            "form": form,
            "summaries": batch_summaries,
            "profile": profile_for(batch.awarding_body.code),
            "may_act": acting,
            "submit_form": submit_form or SubmitForm(),
            "certificate_form": certificate_form or CertificateForm(),
            "line_form": line_form,
            "certifying_line": line_form.data.get("line") if line_form is not None else None,
            "filename": claims.export_filename(batch),
        },
        status=status,
    )


def _run(request: AuthedRequest, batch: ClaimBatch, action: Any, success: str) -> HttpResponse:
    try:
        action()
    except ClaimError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("certification:claim_batch", pk=batch.pk)


@require_POST
@login_required
def line_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    membership = admin_membership(request)
    line = get_object_or_404(
        ClaimLine.objects.select_related("batch"), pk=pk, batch__centre_id=membership.centre_id
    )
    return _run(
        request,
        line.batch,
        lambda: claims.remove_line(actor=request.user, line=line),
        "The line is taken off the batch.",
    )


@require_POST
@login_required
def batch_export(request: AuthedRequest, pk: int) -> HttpResponse:
    _, batch = batch_for(request, pk)
    return _run(
        request,
        batch,
        lambda: claims.export_batch(actor=request.user, batch=batch),
        "The batch is exported: download the file and send it to the awarding body.",
    )


@require_GET
@login_required
def batch_download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    membership, batch = batch_for(request, pk)
    if not may_act(request, membership):
        raise PermissionDenied("The claim file is for the centre's admins.")
    if batch.state == BatchState.DRAFT:
        messages.error(request, "Export the batch first: its lines are checked again then.")
        return redirect("certification:claim_batch", pk=batch.pk)
    response = StreamingHttpResponse(claims.export_rows(batch), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{claims.export_filename(batch)}"'
    return response


@require_POST
@login_required
def batch_submit(request: AuthedRequest, pk: int) -> HttpResponse:
    membership, batch = batch_for(request, pk)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        return _batch_page(request, membership, batch, submit_form=form, status=400)
    return _run(
        request,
        batch,
        lambda: claims.submit_batch(
            actor=request.user, batch=batch, reference=form.cleaned_data["reference"]
        ),
        "The batch is marked submitted; the learners' registrations are claimed.",
    )


@require_POST
@login_required
def batch_certificates(request: AuthedRequest, pk: int) -> HttpResponse:
    membership, batch = batch_for(request, pk)
    line_id = request.POST.get("line", "")
    # One line's form is named as that line's boxes are, so the error summary links to them.
    form = CertificateForm(
        request.POST, auto_id=f"line-{line_id}-%s" if line_id.isdigit() else "id_%s"
    )
    if not form.is_valid():
        return _batch_page(request, membership, batch, certificate_form=form, status=400)
    line = None
    if form.cleaned_data["line"]:
        line = get_object_or_404(batch.lines.live(), pk=form.cleaned_data["line"])
    return _run(
        request,
        batch,
        lambda: claims.record_certificates(
            actor=request.user,
            batch=batch,
            line=line,
            certificate_number=form.cleaned_data["certificate_number"],
            received_on=form.cleaned_data["received_on"],
        ),
        "The certificate is recorded." if line else "Every waiting certificate is recorded.",
    )
