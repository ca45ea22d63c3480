"""The certification claim pages: what may be claimed, claim batches, holds.

Thin: the role the person works in now decides the centre (request.membership). Centre admins
act; an EQA reads (POST → 403, and a qualification-limited EQA sees only those qualifications);
an internal verifier opens and reads holds; learners and assessors get 403. Another centre's
batch or hold answers 404. Every change is one service call in verification.claims.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import eqa_scope
from accounts.models import Membership, Role
from portfolios.forms import picker_registrations
from portfolios.views import form_errors
from qualifications.models import Unit
from verification import claim_summary, claims
from verification.claim_forms import CertificateForm, HoldForm, ReleaseForm, SubmitForm
from verification.claim_models import BatchState, ClaimBatch, ClaimHold, ClaimLine
from verification.claim_profiles import profile_for

READERS = (Role.CENTRE_ADMIN, Role.EQA)
HOLD_READERS = (Role.CENTRE_ADMIN, Role.EQA, Role.INTERNAL_VERIFIER)
HOLDS_PAGE_SIZE = 25


def _membership(request: HttpRequest, roles: tuple[str, ...]) -> Membership:
    membership = request.membership  # type: ignore[attr-defined]
    if not membership or membership.role not in roles:
        raise PermissionDenied("Claims are handled by the centre's admins.")
    if request.method == "POST" and membership.role == Role.EQA:
        raise PermissionDenied("External quality assurers read claims but never change them.")
    return membership


def _scope(request: HttpRequest, membership: Membership, prefix: str = "") -> Q | None:
    """An EQA reads only what their grant opens."""
    if membership.role != Role.EQA:
        return None
    return eqa_scope(request.user, f"{prefix}centre_id", f"{prefix}qualification_id")


def _admin(request: HttpRequest) -> Membership:
    membership = _membership(request, READERS)
    if request.method == "POST" and membership.role != Role.CENTRE_ADMIN:
        raise PermissionDenied
    return membership


# ---------------------------------------------------------------- what may be claimed


@require_http_methods(["GET", "POST"])
@login_required
def claims_page(request: HttpRequest) -> HttpResponse:
    membership = _admin(request)
    if request.method == "POST":
        items = []
        for value in request.POST.getlist("claim"):
            registration_id, _, unit_id = value.partition(":")
            if not (registration_id.isdigit() and unit_id.isdigit()):
                continue
            items.append((int(registration_id), int(unit_id) or None))
        try:
            added = claims.add_to_claim(
                actor=request.user, centre_id=membership.centre_id, items=items
            )
        except claims.ClaimError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"{len(added)} line{'s' if len(added) != 1 else ''} added to the draft "
                "claim batches.",
            )
        return redirect("verification:claims")
    overview = claims.claim_overview(
        centre_id=membership.centre_id, scope=_scope(request, membership)
    )
    batches = (
        ClaimBatch.objects.filter(centre_id=membership.centre_id)
        .select_related("awarding_body")
        .annotate(line_count=Count("lines", filter=Q(lines__removed_at__isnull=True)))
    )
    return render(
        request,
        "verification/claims.html",
        {
            "centre": membership.centre,
            "overview": overview,
            "batches": batches,
            "may_act": membership.role == Role.CENTRE_ADMIN,
        },
    )


# ---------------------------------------------------------------- batches


def _batch(request: HttpRequest, pk: int) -> tuple[Membership, ClaimBatch]:
    membership = _admin(request)
    batch = get_object_or_404(
        ClaimBatch.objects.select_related(
            "centre", "awarding_body", "created_by", "exported_by", "submitted_by"
        ),
        pk=pk,
        centre_id=membership.centre_id,
    )
    return membership, batch


@require_GET
@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership, batch = _batch(request, pk)
    lines = batch.lines.select_related(
        "registration__learner",
        "registration__qualification",
        "unit",
        "removed_by",
    ).order_by("removed_at", "registration__learner__full_name", "pk")
    scope = _scope(request, membership, "registration__")
    if scope is not None:
        lines = lines.filter(scope)
    may_act = membership.role == Role.CENTRE_ADMIN
    # A draft has no summary (its lines may change): no query for one.
    summaries = (
        list(claim_summary.summaries_of(batch))
        if may_act and batch.state != BatchState.DRAFT
        else []
    )
    return render(
        request,
        "verification/claim_batch.html",
        {
            "batch": batch,
            "lines": lines,
            "summaries": summaries,
            "profile": profile_for(batch.awarding_body.code),
            "may_act": may_act,
            "submit_form": SubmitForm(),
            "certificate_form": CertificateForm(),
            "filename": claims.export_filename(batch),
        },
    )


def _run(request: HttpRequest, batch: ClaimBatch, action: Any, success: str) -> HttpResponse:
    try:
        action()
    except claims.ClaimError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("verification:claim_batch", pk=batch.pk)


@require_POST
@login_required
def line_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _admin(request)
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
def batch_export(request: HttpRequest, pk: int) -> HttpResponse:
    _, batch = _batch(request, pk)
    return _run(
        request,
        batch,
        lambda: claims.export_batch(actor=request.user, batch=batch),
        "The batch is exported: download the file and send it to the awarding body.",
    )


@require_GET
@login_required
def batch_download(request: HttpRequest, pk: int) -> HttpResponse:
    membership, batch = _batch(request, pk)
    if membership.role != Role.CENTRE_ADMIN:
        raise PermissionDenied("The claim file is for the centre's admins.")
    if batch.state == BatchState.DRAFT:
        messages.error(request, "Export the batch first: its lines are checked again then.")
        return redirect("verification:claim_batch", pk=batch.pk)
    response = StreamingHttpResponse(claims.export_rows(batch), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{claims.export_filename(batch)}"'
    return response


@require_POST
@login_required
def batch_submit(request: HttpRequest, pk: int) -> HttpResponse:
    _, batch = _batch(request, pk)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("verification:claim_batch", pk=batch.pk)
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
def batch_certificates(request: HttpRequest, pk: int) -> HttpResponse:
    _, batch = _batch(request, pk)
    form = CertificateForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("verification:claim_batch", pk=batch.pk)
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


# ---------------------------------------------------------------- holds


@require_http_methods(["GET", "POST"])
@login_required
def holds(request: HttpRequest) -> HttpResponse:
    membership = _membership(request, HOLD_READERS)
    form = HoldForm(
        request.POST or None,
        centre=membership.centre,
        registrations=picker_registrations(membership.centre),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            unit = None
            try:
                if data["unit"].strip():
                    unit = Unit.objects.filter(
                        Q(reference=data["unit"].strip()) | Q(key=data["unit"].strip())
                    ).first()
                    if unit is None:
                        raise claims.ClaimError(f"No unit has the reference {data['unit']}.")
                claims.open_hold(
                    actor=request.user,
                    registration=data["registration"],
                    unit=unit,
                    kind=data["kind"],
                    reason=data["reason"],
                )
            except claims.ClaimError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "The hold is open: the claim is blocked until released.")
                return redirect("verification:claim_holds")
        status = 400
    rows = ClaimHold.objects.filter(registration__centre_id=membership.centre_id).select_related(
        "registration__learner",
        "registration__qualification",
        "unit",
        "opened_by",
        "released_by",
    )
    scope = _scope(request, membership, "registration__")
    if scope is not None:
        rows = rows.filter(scope)
    # A page at a time: the holds of years of claims are no list to print whole.
    page_obj = Paginator(rows, HOLDS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "verification/holds.html",
        {
            "centre": membership.centre,
            "holds": page_obj,
            "page_obj": page_obj,
            "form": form,
            "may_open": membership.role != Role.EQA,
            "may_release": membership.role == Role.CENTRE_ADMIN,
            # An IV keeps holds but never sees the claims themselves: no link to a 403.
            "may_read_claims": membership.role in READERS,
        },
        status=status,
    )


@require_POST
@login_required
def hold_release(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _admin(request)
    hold = get_object_or_404(ClaimHold, pk=pk, registration__centre_id=membership.centre_id)
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("verification:claim_holds")
    try:
        claims.release_hold(actor=request.user, hold=hold, note=form.cleaned_data["note"])
    except claims.ClaimError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The hold is released.")
    return redirect("verification:claim_holds")
