"""The centre's agreements with the awarding body to assess by simulation (SFJ section 4.7).

Thin: check the rule (portfolios.rules), bind the form, call portfolios.simulation, redirect."""

from __future__ import annotations

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.access import eqa_scope
from accounts.models import Centre
from accounts.requests import AuthedRequest
from portfolios.forms.simulation import SimulationAgreementForm, WithdrawAgreementForm
from portfolios.models import SimulationAgreement
from portfolios.simulation import (
    SimulationAgreementError,
    record_simulation_agreement,
    who_records,
    withdraw_simulation_agreement,
)
from qualifications.models import Qualification


def _page(
    request: AuthedRequest,
    *,
    may_record: bool,
    as_eqa: bool = False,
    form: SimulationAgreementForm | None = None,
    status: int = 200,
) -> HttpResponse:
    centre: Centre = request.membership.centre  # type: ignore[union-attr]
    agreements = (
        SimulationAgreement.objects.filter(centre=centre)
        .select_related("qualification", "recorded_by", "withdrawn_by")
        .prefetch_related("units")
    )
    qualifications = centre.qualifications.exclude(simulation_rule="", rwe_guidelines="").order_by(
        "number"
    )
    if as_eqa:
        # Only what the grant opens: the whole centre, or the qualifications it names.
        agreements = agreements.filter(eqa_scope(request.user))
        offered = Centre.qualifications.through.objects.filter(centre=centre)
        qualifications = qualifications.filter(
            pk__in=offered.filter(eqa_scope(request.user)).values("qualification_id")
        )
    return render(
        request,
        "portfolios/simulation_agreements.html",
        {
            "centre": centre,
            "agreements": agreements,
            "qualifications": qualifications,
            "may_record": may_record,
            "as_eqa": as_eqa,
            "form": (form or SimulationAgreementForm(centre=centre)) if may_record else None,
            "withdraw_form": WithdrawAgreementForm() if may_record else None,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def simulation_agreements(request: AuthedRequest) -> HttpResponse:
    """The agreements at the centre one works at; its centre contact (an admin) records them."""
    centre = request.membership.centre if request.membership else None
    if centre is None:
        raise PermissionDenied
    as_eqa = False
    if not rules.test_rule("portfolios.view_simulation_agreements", request.user, centre):
        if not (
            rules.test_rule("accounts.work_as_eqa", request.user, request.membership)
            and rules.test_rule(
                "portfolios.read_simulation_agreements_as_eqa", request.user, centre
            )
        ):
            raise PermissionDenied
        as_eqa = True
    may_record = rules.test_rule("portfolios.record_simulation_agreement", request.user, centre)
    if request.method == "GET":
        return _page(request, may_record=may_record, as_eqa=as_eqa)
    if not may_record:
        # Named, not a bare 403: the rule and its source say who records the agreement.
        rule = Qualification.objects.exclude(simulation_rule="").filter(centres=centre).first()
        messages.error(request, who_records(rule))
        return _page(request, may_record=False, status=403)
    form = SimulationAgreementForm(request.POST, centre=centre)
    if not form.is_valid():
        return _page(request, may_record=True, form=form, status=400)
    data = form.cleaned_data
    try:
        agreement = record_simulation_agreement(
            actor=request.user,
            centre=centre,
            qualification=data["qualification"],
            units=data["units"],
            circumstance=data["circumstance"],
            agreed_by=data["agreed_by"],
            agreed_on=data["agreed_on"],
            reference=data["reference"],
            arrangements=data["arrangements"],
        )
    except SimulationAgreementError as error:
        form.add_error(None, str(error))
        return _page(request, may_record=True, form=form, status=400)
    messages.success(request, f"Simulation agreement {agreement.reference} recorded.")
    return redirect("portfolios:simulation_agreements")


@require_http_methods(["POST"])
@login_required
def simulation_agreement_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    """The awarding body ended an agreement: its centre contact records from when, and why."""
    centre = request.membership.centre if request.membership else None
    agreement = get_object_or_404(SimulationAgreement, pk=pk, centre=centre)
    if not rules.test_rule("portfolios.record_simulation_agreement", request.user, centre):
        if not rules.test_rule("portfolios.view_simulation_agreements", request.user, centre):
            raise PermissionDenied
        messages.error(request, who_records(agreement.qualification))
        return _page(request, may_record=False, status=403)
    form = WithdrawAgreementForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            f"Simulation agreement {agreement.reference} was not withdrawn: give the date it "
            "ends and why.",
        )
        return _page(request, may_record=True, status=400)
    try:
        withdraw_simulation_agreement(
            actor=request.user,
            agreement=agreement,
            withdrawn_on=form.cleaned_data["withdrawn_on"],
            reason=form.cleaned_data["reason"],
        )
    except SimulationAgreementError as error:
        messages.error(request, str(error))
        return _page(request, may_record=True, status=400)
    messages.success(
        request,
        f"Simulation agreement {agreement.reference} withdrawn: evidence by simulation dated "
        f"from {form.cleaned_data['withdrawn_on']:%-d %B %Y} no longer rests on it.",
    )
    return redirect("portfolios:simulation_agreements")
