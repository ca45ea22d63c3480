"""The end-point assessment gateway page of an apprenticeship (issue 19, point 5), under
/assessment/gateway/.

One page for everyone who sees the registration (the apprentice, their employer's contacts, the
centre's staff, its EQA): the readiness checklist, the KSBs' gaps (the provider names them), the
three-way declaration (each party signs for themselves), and the end-point assessment result
(the centre admin records it). Thin: load through visible_to (404 for what the person may not
see), check the rule (403), call one service in assessments.gateway, redirect with its message.
"""

from __future__ import annotations

from dataclasses import dataclass

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_POST

from accounts.requests import AuthedRequest
from assessments import gateway
from assessments.coverage import State
from assessments.forms.gateway import GapForm, ResultForm, WithdrawForm
from core.links import url_for_ids
from core.prepared import PreparedInstances
from portfolios.models import (
    Apprenticeship,
    EndPointResult,
    GatewayGap,
    GatewayParty,
    Registration,
)
from portfolios.queries import registration_with_people, visible_registration_or_404
from qualifications.models import Statement


def _registration(request: AuthedRequest, pk: int, *, also: tuple[str, ...] = ()) -> Registration:
    registration = visible_registration_or_404(request.user, pk, also=also)
    if not request.user.has_perm("portfolios.view_gateway", registration):
        raise PermissionDenied("You may not see this apprentice's gateway.")
    return registration


def _page_registration(request: AuthedRequest, pk: int) -> Registration:
    """The registration with its programme record, employer and standard, by id (one query,
    compiled once), if the person may see its gateway; else 404 where they may not see the
    registration (portfolios.view_registration, which visible_to mirrors), 403 where they may
    see it but not this. The predicates, not visible_to's query built on every request."""
    user = request.user
    registration = registration_with_people(pk, programme=True)
    if registration is None:
        raise Http404("No registration you may see has that id.")
    if not user.has_perm("portfolios.view_gateway", registration):
        if not user.has_perm("portfolios.view_registration", registration):
            raise Http404("No registration you may see has that id.")
        raise PermissionDenied("You may not see this apprentice's gateway.")
    return registration


def _back(registration: Registration, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("gateway:page", args=[registration.pk])
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


@dataclass(frozen=True)
class GapRow:
    """A KSB not evidenced, as the page lists it, with its gap note if named: its text cut and
    the form's address built here, once, rather than by a filter and a `{% url %}` per row (an
    apprentice early in the programme has some thirty)."""

    statement_id: int
    code: str
    text: str
    label: str
    note: GatewayGap | None
    action: str


def _gap_rows(
    registration: Registration, standard_id: int, readiness: gateway.Readiness
) -> list[GapRow]:
    """The checklist's KSBs not evidenced (ids, codes and states), with their texts read here
    as plain values (one query, compiled once)."""
    missing = [ksb for ksb in readiness.ksbs if not ksb.is_covered]
    if not missing:
        return []
    texts = gateway.statement_texts(standard_id)
    action = url_for_ids("gateway:gap", registration.pk)
    return [
        GapRow(
            statement_id=ksb.statement_id,
            code=ksb.code,
            text=Truncator(texts[ksb.statement_id]).words(30),
            label=State(ksb.state).label,
            note=readiness.gaps.get(ksb.statement_id),
            action=action(ksb.statement_id),
        )
        for ksb in missing
    ]


def _results(*, registration: int) -> QuerySet:
    return EndPointResult.objects.filter(registration_id=registration).order_by(
        "-recorded_at", "-pk"
    )


# Every end-point result, latest first, with who recorded it (compiled once).
RESULTS = PreparedInstances(EndPointResult, _results, related=("recorded_by",))


@require_GET
@login_required
def page(request: AuthedRequest, pk: int) -> HttpResponse:
    # The programme record with its employer and standard, in the registration's own query.
    registration = _page_registration(request, pk)
    try:
        apprenticeship = registration.apprenticeship
    except Apprenticeship.DoesNotExist:
        raise Http404("This registration is not an apprenticeship.") from None
    readiness = gateway.readiness_for([registration], programmes={registration.pk: apprenticeship})[
        registration.pk
    ]
    declaration, withdrawn = gateway.declaration_with_withdrawn(registration)
    results = RESULTS.instances(registration=registration.pk)
    current = next((result for result in results if result.superseded_at is None), None)
    may_manage = rules.test_rule("portfolios.manage_end_point", request.user, registration)
    return render(
        request,
        "assessments/gateway/page.html",
        {
            "registration": registration,
            "apprenticeship": apprenticeship,
            "readiness": readiness,
            "gap_rows": _gap_rows(registration, apprenticeship.standard_id, readiness),
            "declaration": declaration,
            "withdrawn": withdrawn,
            # The page offers to sign only for a party not yet signed while the checklist is
            # met, and to name gaps only before the gateway is passed: the rules are asked
            # only then (on a passed gateway, of nobody).
            "my_parties": gateway.parties_for(request.user, registration)
            if readiness.ready and any(signature is None for _, _, signature in declaration.parties)
            else [],
            "can_name_gap": not declaration.passed
            and rules.test_rule("portfolios.name_gateway_gap", request.user, registration),
            "can_manage": may_manage,
            "result": current,
            "past_results": [result for result in results if result is not current],
            "result_form": ResultForm(
                initial={"grade": current.grade, "assessed_on": current.assessed_on}
                if current
                else None
            )
            if may_manage and declaration.passed
            else None,
            "withdraw_form": WithdrawForm() if may_manage and declaration.signatures else None,
        },
    )


@require_POST
@login_required
def name_gap(request: AuthedRequest, pk: int, statement_pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    if not rules.test_rule("portfolios.name_gateway_gap", request.user, registration):
        raise PermissionDenied("Only the apprentice's assessor or a centre admin names a gap.")
    statement = get_object_or_404(Statement, pk=statement_pk)
    form = GapForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what the gap is and how the end-point assessment covers it.")
        return _back(registration, f"gap-{statement.pk}")
    try:
        gateway.name_gap(
            actor=request.user, registration=registration, statement=statement, **form.cleaned_data
        )
    except gateway.GatewayError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The gap for {statement.code} is recorded.")
    return _back(registration, "gaps")


@require_POST
@login_required
def sign(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    party = request.POST.get("party", "")
    try:
        gateway.sign(
            actor=request.user,
            registration=registration,
            party=party,
            checklist_hash=request.POST.get("checklist_hash", ""),
        )
    except gateway.GatewayError as error:
        # A second click on Sign lands here: it says the party has signed, and nothing changes.
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"Signed for the {GatewayParty(party).label.lower()}: the apprentice is ready."
        )
    return _back(registration, "declaration")


@require_POST
@login_required
def withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the declaration is withdrawn.")
        return _back(registration, "declaration")
    try:
        gateway.withdraw(
            actor=request.user, registration=registration, reason=form.cleaned_data["reason"]
        )
    except gateway.GatewayError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The declaration is withdrawn: the three parties sign again.")
    return _back(registration, "declaration")


@require_POST
@login_required
def record_result(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    form = ResultForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the grade and give the date of the result.")
        return _back(registration, "result")
    try:
        gateway.record_result(actor=request.user, registration=registration, **form.cleaned_data)
    except gateway.GatewayError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The end-point assessment result is recorded.")
    return _back(registration, "result")
