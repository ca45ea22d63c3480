"""The provider's cohort of apprentices (issue 19, point 6), under /portfolio/apprentices/: the
page and its CSV, for the role worn now (portfolios.work_apprentice_cohort), over what that role
sees at its centre (assessments.cohort.cohort_registrations)."""

from __future__ import annotations

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

RULE = "portfolios.work_apprentice_cohort"
REFUSAL = "The apprentices' cohort is for centre admins, assessors and internal verifiers."


def _filtered(request: AuthedRequest) -> tuple[Membership, CohortFilterForm]:
    membership = working_membership(request, RULE, REFUSAL)
    return membership, CohortFilterForm(request.GET or None, centre=membership.centre)


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
        {"centre": membership.centre, "form": form, "page_obj": page_obj},
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
