"""The holds page: open a hold on a claim (admins and internal verifiers), release one (admins),
read them (an EQA too). Every change is one service call in certification.holds."""

from __future__ import annotations

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Membership
from accounts.requests import AuthedRequest
from certification import holds as services
from certification.forms import HoldForm, ReleaseForm
from certification.models import ClaimError, ClaimHold
from certification.views.common import (
    HOLD_READERS,
    READERS,
    admin_membership,
    eqa_limit,
    may_act,
    membership_for,
)
from portfolios.forms.registration import picker_registrations
from qualifications.models import Unit

# A page at a time: the holds of years of claims are no list to print whole.
PAGE_SIZE = 25


@require_http_methods(["GET", "POST"])
@login_required
def holds(request: AuthedRequest) -> HttpResponse:
    membership = membership_for(request, HOLD_READERS)
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
                        raise ClaimError(f"No unit has the reference {data['unit']}.")
                services.open_hold(
                    actor=request.user,
                    registration=data["registration"],
                    unit=unit,
                    kind=data["kind"],
                    reason=data["reason"],
                )
            except ClaimError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "The hold is open: the claim is blocked until released.")
                return redirect("certification:claim_holds")
        status = 400
    return _holds_page(request, membership, form, status=status)


def _holds_page(
    request: AuthedRequest,
    membership: Membership,
    form: HoldForm,
    *,
    release_form: ReleaseForm | None = None,
    releasing: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The centre's holds and the form to open one; a release note sent back invalid is shown
    with its error under hold `releasing`."""
    rows = ClaimHold.objects.filter(registration__centre_id=membership.centre_id).select_related(
        "registration__learner",
        "registration__qualification",
        "unit",
        "opened_by",
        "released_by",
    )
    scope = eqa_limit(request, membership, "registration__")
    if scope is not None:
        rows = rows.filter(scope)
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "certification/holds.html",
        {
            "centre": membership.centre,
            "holds": page_obj,
            "page_obj": page_obj,
            "form": form,
            "release_form": release_form,
            "releasing": releasing,
            "may_open": rules.test_rule("certification.open_holds_here", request.user, membership),
            "may_release": may_act(request, membership),
            # An IV keeps holds but never sees the claims themselves: no link to a 403.
            "may_read_claims": rules.test_rule(READERS, request.user, membership),
        },
        status=status,
    )


@require_POST
@login_required
def hold_release(request: AuthedRequest, pk: int) -> HttpResponse:
    membership = admin_membership(request)
    hold = get_object_or_404(ClaimHold, pk=pk, registration__centre_id=membership.centre_id)
    # Named as the hold's own box is, so the error summary links to it.
    form = ReleaseForm(request.POST, auto_id=f"hold-{hold.pk}-%s")
    if not form.is_valid():
        hold_form = HoldForm(
            centre=membership.centre, registrations=picker_registrations(membership.centre)
        )
        return _holds_page(
            request, membership, hold_form, release_form=form, releasing=hold.pk, status=400
        )
    try:
        services.release_hold(actor=request.user, hold=hold, note=form.cleaned_data["note"])
    except ClaimError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The hold is released.")
    return redirect("certification:claim_holds")
