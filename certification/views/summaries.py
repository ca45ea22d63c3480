"""The claim batch summary in the browser: ask for it from the batch page, watch it build
(htmx), download it, withdraw it. The centre's admins alone: anyone else gets 404 for a
summary (it lists the centre's learners), as for another centre's batch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from assessments.achievements import site_url
from assessments.models.achievement import AchievementRecord, BuildStatus
from assessments.views.achievement import pdf_response
from certification import summaries
from certification.models import ClaimError
from certification.views.common import batch_for

STATUS = "certification/_claim_summary_status.html"


def _summary(request: HttpRequest, pk: int, record_pk: int) -> AchievementRecord:
    """The batch's summary, if this person may read it; 404 otherwise (never 403: whether a
    summary exists is not for them to learn). visible_to opens a centre's records to its admins
    alone, as the claim file is."""
    record = (
        AchievementRecord.objects.visible_to(request.user)
        .filter(kind=summaries.KIND, subject_key=summaries.subject_key(pk))
        .defer("content")
        .filter(pk=record_pk)
        .first()
    )
    if record is None:
        raise Http404("No such summary.")
    return record


@require_POST
@login_required
def summary_request(request: HttpRequest, pk: int) -> HttpResponse:
    _, batch = batch_for(request, pk)
    try:
        record, queued = summaries.request_summary(
            actor=request.user, batch=batch, site=site_url(request)
        )
    except ClaimError as error:
        messages.error(request, str(error))
    else:
        if queued:
            messages.success(request, "The summary is asked for: it is being built.")
        elif record.is_pending:
            messages.info(request, "That summary is already being built.")
        else:
            messages.info(request, "Nothing has changed since the current summary: here it is.")
    return redirect("certification:claim_batch", pk=batch.pk)


@require_GET
@login_required
def summary_status(request: HttpRequest, pk: int, record_pk: int) -> HttpResponse:
    """One summary's state, polled by htmx every 2 s while it is queued or being built."""
    record = _summary(request, pk, record_pk)
    return render(request, STATUS, {"record": record, "batch_pk": pk})


@require_GET
@login_required
def summary_download(request: HttpRequest, pk: int, record_pk: int) -> HttpResponseBase:
    record = _summary(request, pk, record_pk)
    if record.status != BuildStatus.READY:
        raise Http404("This summary is not built.")
    return pdf_response(request, record, f"claim-batch-{pk}-summary-{record.pk}.pdf")


@require_POST
@login_required
def summary_withdraw(request: HttpRequest, pk: int, record_pk: int) -> HttpResponse:
    record = _summary(request, pk, record_pk)
    try:
        summaries.withdraw_summary(
            actor=request.user, record=record, reason=request.POST.get("reason", "")
        )
    except ClaimError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The summary is withdrawn; its verification page says so.")
    return redirect("certification:claim_batch", pk=pk)
