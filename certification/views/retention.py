"""The retention page: what the centre holds past each awarding body's retention period, the
periods themselves, and removing files past them. Centre admins act; an EQA reads it; anyone
else gets 403. Every change is one service call in certification.retention."""

from __future__ import annotations

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.context import working_membership
from accounts.models import Membership
from accounts.requests import AuthedRequest
from certification import retention
from certification.forms import RetentionPeriodForm, RetentionRemoveForm
from qualifications.models import AwardingBody

PAGE_SIZE = 50


def _membership(request: AuthedRequest) -> Membership:
    membership = working_membership(
        request,
        "certification.read_records",
        "The retention page is for the centre's admins and its external quality assurers.",
    )
    if request.method == "POST" and not rules.test_rule(
        "certification.act_on_records", request.user, membership
    ):
        raise PermissionDenied(
            "Only the centre's admins remove evidence or set retention periods; an external "
            "quality assurer reads this page."
        )
    return membership


@require_http_methods(["GET", "POST"])
@login_required
def retention_page(request: AuthedRequest) -> HttpResponse:
    membership = _membership(request)
    centre = membership.centre
    periods = retention.periods_for(centre)
    rows = retention.retention_rows(centre, today=timezone.localdate(), periods=periods)
    # Past retention first: what the admin can act on.
    rows.sort(key=lambda row: (not row.is_past, row.finished_on))
    # Every row is a choice, so a refusal (still needed, not yet past) names its rule.
    choices = [
        (
            row.registration.pk,
            f"{row.registration.learner.get_full_name()} ({row.registration.qualification.number})",
        )
        for row in rows
    ]
    remove_form = RetentionRemoveForm(
        request.POST if "remove" in request.POST else None, choices=choices
    )
    period_form = RetentionPeriodForm(request.POST if "set_period" in request.POST else None)
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if "remove" in request.POST and remove_form.is_valid():
                removed = retention.remove_files(
                    actor=request.user,
                    centre=centre,
                    registration_ids=remove_form.cleaned_data["registrations"],
                    reason=remove_form.cleaned_data["reason"],
                )
                messages.success(
                    request,
                    f"{removed} files removed. Their names, sizes and SHA-256 hashes, and every "
                    "decision, stay on the record.",
                )
                return redirect("certification:retention")
            if "set_period" in request.POST and period_form.is_valid():
                data = period_form.cleaned_data
                retention.set_period(
                    actor=request.user,
                    centre=centre,
                    awarding_body=data["awarding_body"],
                    weeks=data["weeks"],
                    source=data["source"],
                )
                body = data["awarding_body"]
                messages.success(request, f"The retention period for {body} is set.")
                return redirect("certification:retention")
        except retention.RetentionError as error:
            form = remove_form if "remove" in request.POST else period_form
            form.add_error(None, str(error))
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    bodies = [
        (body, periods.get(body.pk))
        for body in AwardingBody.objects.filter(qualification__in=centre.qualifications.all())
        .distinct()
        .order_by("name")
    ]
    return render(
        request,
        "certification/retention.html",
        {
            "centre": centre,
            "rows": page_obj,
            "page_obj": page_obj,
            "past": sum(1 for row in rows if row.is_past),
            "bodies": bodies,
            "remove_form": remove_form,
            "period_form": period_form,
            "may_act": rules.test_rule("certification.act_on_records", request.user, membership),
        },
        status=status,
    )
