"""Recording a credit transfer from the registration page (the form lives there, in
portfolios; the service is this app's, assessments.credit, which sees where units were signed
off). Only the centre's admins record one; a refusal names the rule and its source."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from accounts.requests import AuthedRequest
from assessments.credit import (
    CreditTransferError,
    record_credit_transfer,
    withdraw_credit_transfer,
)
from portfolios.forms.registration import CreditTransferForm
from portfolios.models import CreditTransfer
from portfolios.views.registration import load_for_change, registration_page


@require_POST
@login_required
def credit_transfer(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = load_for_change(request, pk)
    form = CreditTransferForm(request.POST, registration=registration)
    if not form.is_valid():
        return registration_page(request, registration, status=400, credit_form=form)
    data = form.cleaned_data
    try:
        record_credit_transfer(
            actor=request.user,
            registration=registration,
            unit=data["unit"],
            source_unit_reference=data["source_unit_reference"],
            source_registration=data["source_registration"],
            certificate_reference=data["certificate_reference"],
            awarded_by=data["awarded_by"],
            achieved_on=data["achieved_on"],
        )
    except CreditTransferError as error:
        form.add_error(None, str(error))
        return registration_page(request, registration, status=400, credit_form=form)
    messages.success(request, f"Unit {data['unit'].reference} is credited by transfer.")
    return redirect("portfolios:registration", pk=pk)


@require_POST
@login_required
def credit_transfer_withdraw(request: AuthedRequest, pk: int, transfer_pk: int) -> HttpResponse:
    registration = load_for_change(request, pk)
    transfer = get_object_or_404(
        CreditTransfer.objects.select_related("unit"), pk=transfer_pk, registration=registration
    )
    transfer.registration = registration
    try:
        withdraw_credit_transfer(
            actor=request.user, transfer=transfer, reason=request.POST.get("reason", "")
        )
    except CreditTransferError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"The credit transfer of unit {transfer.unit.reference} is withdrawn."
        )
    return redirect("portfolios:registration", pk=pk)
