"""Achievement records in the browser: ask, watch the build (htmx), download, withdraw, and the
public verification page that anyone holding a record's code may open."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from accounts.requests import AuthedRequest
from assessments import achievements, badges
from assessments.models import UnitSignOff
from assessments.models.achievement import (
    AchievementKind,
    AchievementRecord,
    BuildStatus,
)
from core.storage import is_object_storage, missing_file, open_chunks, storage_name
from portfolios.models import Registration
from qualifications.models import Unit

PANEL = "assessments/achievement/_panel.html"


def _registration(request: AuthedRequest, pk: int) -> Registration:
    return get_object_or_404(
        Registration.objects.visible_to(request.user).select_related(
            "learner", "qualification", "centre"
        ),
        pk=pk,
    )


def _record(request: AuthedRequest, pk: int) -> AchievementRecord:
    return get_object_or_404(
        # A learner's records only: a centre's (a claim batch summary) has its own pages.
        AchievementRecord.objects.visible_to(request.user)
        .filter(registration__isnull=False)
        .select_related("registration", "unit")
        .defer("content"),
        pk=pk,
    )


def _panel_context(request: AuthedRequest, registration: Registration) -> dict:
    records = list(
        AchievementRecord.objects.filter(registration=registration)
        # Its Open Badge, if issued, in the same query (not the signed credential itself).
        .select_related("unit", "badge")
        .defer("content", "badge__credential", "badge__token")
        .order_by("-requested_at", "-pk")
    )
    can_request = request.user.has_perm("assessments.request_record", registration)
    signed_units = [
        sign_off.unit
        for sign_off in UnitSignOff.objects.active()
        .filter(registration=registration)
        .select_related("unit")
        .order_by("unit__key")
    ]
    return {
        "registration": registration,
        "records": records,
        "signed_units": signed_units,
        "can_request": can_request,
        # Every record here is of this registration's centre.
        "can_withdraw": request.user.has_perm("assessments.withdraw_record", registration),
        # Issuing and downloading a badge is the same rule as asking for the record
        # (assessments.rules.can_take_badge is can_request_record): asked once.
        "can_take_badge": can_request,
        "kinds": AchievementKind,
    }


@require_GET
@login_required
def records_page(request: AuthedRequest, pk: int) -> HttpResponse:
    """The registration's records; htmx (the portfolio page) gets the panel alone."""
    registration = _registration(request, pk)
    context = _panel_context(request, registration)
    if request.htmx:
        return render(request, PANEL, context)
    return render(request, "assessments/achievement/page.html", context)


@require_POST
@login_required
def request_record(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    if not request.user.has_perm("assessments.request_record", registration):
        raise PermissionDenied
    kind = request.POST.get("kind", "")
    unit: Unit | None = None
    if kind == AchievementKind.UNIT:
        sign_off = (
            UnitSignOff.objects.active()
            .filter(registration=registration, unit_id=request.POST.get("unit") or 0)
            .first()
        )
        unit = sign_off.unit if sign_off else None
    try:
        record, queued = achievements.request_record(
            actor=request.user,
            registration=registration,
            kind=kind,
            unit=unit,
            site=achievements.site_url(request),
        )
    except achievements.AchievementError as error:
        messages.error(request, str(error))
    else:
        if queued:
            messages.success(request, f"{record.get_kind_display()} asked for: it is being built.")
        elif record.is_pending:
            messages.info(request, "That record is already being built.")
        else:
            messages.info(request, "Nothing has changed since the current record: here it is.")
    return redirect("assessments:achievements", pk=registration.pk)


@require_GET
@login_required
def record_status(request: AuthedRequest, pk: int) -> HttpResponse:
    """One record's state, polled by htmx every 2 s while it is queued or being built."""
    record = _record(request, pk)
    return render(request, "assessments/achievement/_status.html", {"record": record})


@require_GET
@login_required
def download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    record = _record(request, pk)
    if record.status != BuildStatus.READY:
        return render(
            request,
            "assessments/achievement/not_ready.html",
            {"record": record},
            status=404,
        )
    return pdf_response(
        request, record, f"{record.kind}-record-{record.registration_id}-{record.pk}.pdf"
    )


@require_POST
@login_required
def withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    if not request.user.has_perm("assessments.withdraw_record", record):
        raise PermissionDenied
    try:
        achievements.withdraw_record(
            actor=request.user, record=record, reason=request.POST.get("reason", "")
        )
    except achievements.AchievementError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The record is withdrawn; its verification page says so.")
    return redirect("assessments:achievements", pk=record.registration_id)


# ---------------------------------------------------------------- public verification


CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _unknown(request: HttpRequest, code: str) -> HttpResponse:
    return render(
        request,
        "assessments/achievement/verify_unknown.html",
        {"code": code, "form_url": reverse("verify_form")},
        status=404,
    )


@require_GET
def verify_form(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "").strip()
    if code and not CODE.match(code):
        return _unknown(request, code[:60])
    if code:
        return redirect("verify", code=code)
    return render(request, "assessments/achievement/verify_form.html")


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """What anyone may know of a record: its hash, date, state, the learner's name and the
    qualification (for a centre's record, its subject and centre: never a learner's name).
    Nothing else."""
    record = (
        AchievementRecord.objects.filter(verification_code=code, status=BuildStatus.READY)
        .select_related(
            "registration__learner", "registration__qualification", "unit", "centre", "badge"
        )
        .defer("content", "badge__credential", "badge__token")
        .first()
    )
    if record is None:
        return _unknown(request, code[:60])
    context = {
        "record": record,
        "badge_issuer": badges.issuer_did(record.site_url, record.centre_id)
        if record.centre_id
        else "",
    }
    response = render(request, "assessments/achievement/verify.html", context)
    # Whoever holds the code may look; search engines should not list learners' names.
    response["X-Robots-Tag"] = "noindex"
    return response


def pdf_response(
    request: HttpRequest, record: AchievementRecord, filename: str
) -> HttpResponseBase:
    """A built record's PDF as a private download (the caller has checked who may have it), or
    a page saying so if storage has lost it."""
    name = storage_name(record.file)
    try:
        if is_object_storage():
            # Streamed from S3 as it arrives, never held whole.
            chunks = open_chunks(name)
            response: HttpResponseBase = StreamingHttpResponse(chunks)
            response["Content-Length"] = str(chunks.length)
        else:
            response = FileResponse(default_storage.open(name, "rb"))
    except FileNotFoundError:
        return missing_file(request, filename, name)
    response["Content-Type"] = "application/pdf"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{record.pdf_sha256}"'
    patch_cache_control(response, private=True)
    return response
