"""A registration's page, and the centre admin's changes to it. Thin: load, check, one service."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.requests import AuthedRequest
from core.forms import picker_results
from portfolios import awarding_body
from portfolios.apprenticeships import ApprenticeshipError, apprenticeship_save, standards_for
from portfolios.combination import rule_notice, rules_at_centre, with_recorded_rule
from portfolios.forms.apprenticeship import ApprenticeshipForm
from portfolios.forms.registration import (
    SAMPLEABLE_STATUSES,
    AssignStaffForm,
    AwardingBodyRegistrationForm,
    CreditTransferForm,
    RegistrationPicker,
    TransferForm,
    UnitChoiceForm,
    WithdrawForm,
    picker_registrations,
)
from portfolios.models import (
    Apprenticeship,
    CreditTransfer,
    EndPointResult,
    Registration,
    RegistrationStatus,
)
from portfolios.reviews import reviews_due
from portfolios.services import (
    RegistrationError,
    assign_staff,
    choose_units,
    transfer,
    unit_choice_result,
    withdraw,
)
from qualifications.combination import CombinationRules, check, mandatory_units
from qualifications.models import Qualification
from qualifications.queries import combination_rules


def unit_groups(rules: CombinationRules, chosen: Iterable[str]) -> list[dict[str, Any]]:
    """The qualification's groups, each unit marked mandatory and/or chosen, for templates."""
    mandatory = mandatory_units(rules)
    chosen = set(chosen) | mandatory
    groups = []
    for group in rules.groups:
        units = [
            {"facts": rules.units[key], "mandatory": key in mandatory, "chosen": key in chosen}
            for key in group.units
        ]
        groups.append(
            {"group": group, "units": units, "chosen_units": [u for u in units if u["chosen"]]}
        )
    return groups


@require_GET
@login_required
def registration_search(request: AuthedRequest) -> HttpResponse:
    """htmx: the registrations of the centre one works at whose learner matches what was
    typed into a registration picker (the holds page, the IV's sampling plan)."""
    membership = request.membership
    if membership is None or not rules.test_rule(
        "portfolios.work_registration_search", request.user, membership
    ):
        raise PermissionDenied("Registrations are found by the centre's admins and IVs.")
    centre = membership.centre
    if not request.user.has_perm("portfolios.search_registrations", centre):
        raise PermissionDenied("Registrations are found by the centre's admins and IVs.")
    registrations = picker_registrations(centre)
    # A picker that offers only some (the sampling plan: one qualification, not yet claimed)
    # says so in its URL; the form it serves validates against the same narrowing.
    qualification = request.GET.get("qualification", "")
    if qualification.isdigit():
        registrations = registrations.filter(qualification_id=int(qualification))
    if request.GET.get("open"):
        registrations = registrations.filter(status__in=SAMPLEABLE_STATUSES)
    return picker_results(request, RegistrationPicker(queryset=registrations, centre=centre))


@require_POST
@login_required
def units_check(request: AuthedRequest, pk: int) -> HttpResponse:
    """htmx: how the ticked units stand against the rules, in the engine's plain words."""
    qualification = get_object_or_404(Qualification, pk=pk)
    membership = getattr(request, "membership", None)
    result = unit_choice_result(
        qualification,
        request.POST.getlist("units"),
        centre_id=membership.centre_id if membership else None,
    )
    return render(request, "portfolios/_unit_check.html", {"result": result})


def _load(request: AuthedRequest, pk: int) -> Registration:
    return get_object_or_404(
        Registration.objects.visible_to(request.user).select_related(
            "learner",
            "centre",
            "qualification__awarding_body",
            "internal_verifier",
            "transferred_to",
        ),
        pk=pk,
    )


def _load_for_change(request: AuthedRequest, pk: int) -> Registration:
    """Unknown or invisible: 404. Visible but not the person's to manage: 403."""
    registration = _load(request, pk)
    if not request.user.has_perm("portfolios.manage_registration", registration):
        raise PermissionDenied("Only the centre's admins change a learner's registration.")
    return registration


def _page(
    request: AuthedRequest, registration: Registration, *, status: int = 200, **forms: Any
) -> HttpResponse:
    notice = rule_notice(registration)
    rules = combination_rules(registration.qualification)
    if notice is not None:
        rules = with_recorded_rule(rules, notice["record"])
    chosen = set(registration.unit_choices.values_list("unit__key", flat=True))
    units_form = forms.get("units_form")
    # Ticks sent back with an error stay ticked (the saved choice shows in "How it stands").
    ticked = set(units_form.data.getlist("units")) if units_form is not None else chosen
    context: dict[str, Any] = {
        "registration": registration,
        "qualification": registration.qualification,
        "ab_standing": awarding_body.standing(registration),
        "credit_transfers": credit_transfers(registration),
        "assessors": list(registration.assessors.order_by("full_name", "email")),
        "groups": unit_groups(rules, ticked),
        "result": check(rules, chosen | mandatory_units(rules)),
        "units_form": units_form,
        "can_manage": request.user.has_perm("portfolios.manage_registration", registration),
        "apprenticeship": apprenticeship_of(registration),
        "rule_notice": notice,
        # The recording page is the centre admin's, at the centre of their active role.
        "can_record_rule": notice is not None
        and request.membership is not None
        and request.membership.centre_id == registration.centre_id
        and request.user.has_perm("portfolios.record_combination_rule", registration.centre),
    }
    if context["apprenticeship"] is not None:
        # Issue 19: when the next progress review is due, overdue flagged on the card.
        context["review_due"] = reviews_due([registration]).get(registration.pk)
        # The end-point assessment result, once the gateway is passed and it is recorded.
        context["epa_result"] = (
            EndPointResult.objects.current().filter(registration=registration).first()
        )
    if context["can_manage"]:
        # "Record the apprenticeship" is offered where the qualification maps to a standard.
        context["has_standard"] = (
            context["apprenticeship"] is None and standards_for(registration).exists()
        )
        active = registration.status == RegistrationStatus.ACTIVE
        context["active"] = active
        context["may_withdraw_credit"] = registration.status in (
            RegistrationStatus.ACTIVE,
            RegistrationStatus.COMPLETE,
        )
        if registration.qualification.awarding_body.credit_transfer and active:
            context["credit_form"] = forms.get("credit_form") or CreditTransferForm(
                registration=registration
            )
        context["ab_form"] = forms.get("ab_form") or AwardingBodyRegistrationForm(
            initial={
                "number": registration.awarding_body_number,
                "registered_on": registration.awarding_body_registered_on,
            }
        )
        context["assign_form"] = forms.get("assign_form") or AssignStaffForm(
            centre=registration.centre,
            initial={"assessors": context["assessors"]},
        )
        if active:
            context["withdraw_form"] = forms.get("withdraw_form") or WithdrawForm()
            context["transfer_form"] = forms.get("transfer_form") or TransferForm(
                user=request.user, registration=registration
            )
    return render(request, "portfolios/registration.html", context, status=status)


@require_GET
@login_required
def registration_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _page(request, _load(request, pk))


def apprenticeship_of(registration: Registration) -> Apprenticeship | None:
    """The registration's programme record (issue 19), with what its page shows, or None."""
    return (
        Apprenticeship.objects.filter(registration=registration)
        .select_related("employer", "standard")
        .first()
    )


@require_http_methods(["GET", "POST"])
@login_required
def registration_apprenticeship(request: AuthedRequest, pk: int) -> HttpResponse:
    """The centre admin records or changes the registration's apprenticeship (issue 19)."""
    registration = _load_for_change(request, pk)
    record = apprenticeship_of(registration)
    form = ApprenticeshipForm(request.POST or None, instance=record, registration=registration)
    if request.method == "POST" and form.is_valid():
        try:
            apprenticeship_save(
                actor=request.user, registration=registration, programme=form.programme()
            )
        except ApprenticeshipError as error:
            # Each message on its field; everything typed stays in the form.
            for field, message in error.errors.items():
                form.add_error(field, message)
        else:
            messages.success(request, "The apprenticeship is recorded.")
            return redirect("portfolios:registration", pk=registration.pk)
    return render(
        request,
        "portfolios/apprenticeship_form.html",
        {"registration": registration, "form": form, "apprenticeship": record},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
@login_required
def registration_units(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _load_for_change(request, pk)
    form = UnitChoiceForm(
        request.POST,
        unit_keys=list(rules_at_centre(registration.qualification, registration.centre_id).units),
    )
    if not form.is_valid():
        return _page(request, registration, status=400, units_form=form)
    try:
        result = choose_units(
            actor=request.user, registration=registration, unit_keys=form.cleaned_data["units"]
        )
    except RegistrationError as error:
        messages.error(request, str(error))
        return redirect("portfolios:registration", pk=pk)
    if result.ok:
        messages.success(request, "Units saved. They satisfy the rules of combination.")
    else:
        messages.warning(request, "Units saved. The choice does not yet satisfy the rules.")
    return redirect("portfolios:registration", pk=pk)


@require_POST
@login_required
def registration_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _load_for_change(request, pk)
    form = AssignStaffForm(request.POST, centre=registration.centre)
    if not form.is_valid():
        return _page(request, registration, status=400, assign_form=form)
    try:
        assign_staff(
            actor=request.user,
            registration=registration,
            assessors=list(form.cleaned_data["assessors"]),
            internal_verifier=form.cleaned_data["internal_verifier"],
        )
    except RegistrationError as error:
        messages.error(request, str(error))
        return redirect("portfolios:registration", pk=pk)
    messages.success(request, "Assessors and internal verifier saved.")
    return redirect("portfolios:registration", pk=pk)


@require_POST
@login_required
def registration_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _load_for_change(request, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _page(request, registration, status=400, withdraw_form=form)
    try:
        withdraw(actor=request.user, registration=registration, reason=form.cleaned_data["reason"])
    except RegistrationError as error:
        messages.error(request, str(error))
        return redirect("portfolios:registration", pk=pk)
    messages.success(request, f"{registration.learner} is withdrawn.")
    return redirect("portfolios:registration", pk=pk)


@require_POST
@login_required
def registration_transfer(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _load_for_change(request, pk)
    user = request.user
    form = TransferForm(request.POST, user=user, registration=registration)
    if not form.is_valid():
        return _page(request, registration, status=400, transfer_form=form)
    try:
        new = transfer(
            actor=user,
            registration=registration,
            to_centre=form.cleaned_data["to_centre"],
            reason=form.cleaned_data["reason"],
        )
    except RegistrationError as error:
        messages.error(request, str(error))
        return redirect("portfolios:registration", pk=pk)
    messages.success(request, f"{registration.learner} is transferred to {new.centre.name}.")
    return redirect("portfolios:registration", pk=new.pk)


@require_POST
@login_required
def registration_awarding_body(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _load_for_change(request, pk)
    form = AwardingBodyRegistrationForm(request.POST)
    if not form.is_valid():
        return _page(request, registration, status=400, ab_form=form)
    try:
        result = awarding_body.record(
            actor=request.user,
            registration=registration,
            number=form.cleaned_data["number"],
            registered_on=form.cleaned_data["registered_on"],
        )
    except awarding_body.AwardingBodyRegistrationError as error:
        form.add_error(None, str(error))
        return _page(request, registration, status=400, ab_form=form)
    if result.state == "registered late":
        messages.warning(
            request,
            f"Recorded, after the awarding body's period (due by {result.due_on:%d %B %Y}): "
            f"{result.rule}",
        )
    else:
        messages.success(request, "The awarding body's registration is recorded.")
    return redirect("portfolios:registration", pk=pk)


def credit_transfers(registration: Registration) -> list[CreditTransfer]:
    """The units credited to the registration by transfer, withdrawn ones too (one query)."""
    return list(
        CreditTransfer.objects.filter(registration=registration)
        .select_related("unit", "recorded_by", "withdrawn_by")
        .order_by("recorded_at", "pk")
    )


# The registration page and its loader, for the forms on it that post to the apps above (the
# credit transfer: assessments.views.credit).
load_for_change = _load_for_change
registration_page = _page
