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
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_POST

from accounts.requests import AuthedRequest
from assessments import gateway
from assessments.coverage import State
from assessments.forms.gateway import GapForm, ResultForm, WithdrawForm
from core.html import escape
from core.links import url_for_ids
from core.prepared import PreparedInstances
from portfolios.models import (
    Apprenticeship,
    EndPointResult,
    GatewayGap,
    GatewayParty,
    Registration,
)
from portfolios.off_the_job import day_text
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


# The gap rows written here, not by the template: a standard's thirty-odd KSBs not evidenced,
# each a dozen template nodes (a lookup, an escape, a localisation per value), were most of the
# page's rendering. The markup is what the template's loop wrote (a test holds the two equal);
# every text is escaped.
def gap_rows_html(rows: list[GapRow], *, can_name_gap: bool, csrf: str) -> SafeString:
    token = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf)}">'
    html: list[str] = []
    for row in rows:
        code, pk, note = escape(row.code), row.statement_id, row.note
        if note is not None:
            named = (
                f'<p class="mb-1"><strong>Gap:</strong> {escape(note.gap)}</p>'
                '<p class="mb-1"><strong>At the end-point assessment:</strong> '
                f"{escape(note.plan)}</p>"
                '<p class="small text-body-secondary mb-1">Named '
                f"{day_text(timezone.localtime(note.written_at))}.</p>"
            )
        else:
            named = '<p class="mb-1 text-danger-emphasis">No gap named yet.</p>'
        form = ""
        if can_name_gap:
            gap, plan = (escape(note.gap), escape(note.plan)) if note is not None else ("", "")
            form = (
                f"<details><summary>{'Correct the gap' if note is not None else 'Name the gap'}"
                f'<span class="visually-hidden"> for {code}</span></summary>'
                f'<form method="post" action="{escape(row.action)}" class="mt-2">{token}'
                f'<label class="form-label" for="gap-text-{pk}">What the gap is'
                f'<span class="visually-hidden"> in {code}</span></label>'
                f'<textarea class="form-control mb-2" name="gap" id="gap-text-{pk}" rows="2" '
                f'maxlength="2000" required>{gap}</textarea>'
                f'<label class="form-label" for="gap-plan-{pk}">How the end-point assessment '
                f'will cover it<span class="visually-hidden">: {code}</span></label>'
                f'<textarea class="form-control mb-2" name="plan" id="gap-plan-{pk}" rows="2" '
                f'maxlength="2000" required>{plan}</textarea>'
                '<button type="submit" class="btn btn-sm btn-primary">Record the gap'
                f'<span class="visually-hidden"> for {code}</span></button></form></details>'
            )
        html.append(
            f'<div class="border rounded p-2 mb-2" id="gap-{pk}" data-testid="gap-{code}">'
            f'<h3 class="h6 mb-1">{code}: {escape(row.text)}</h3>'
            f'<p class="small mb-1">{escape(row.label)}.</p>{named}{form}</div>'
        )
    return mark_safe("".join(html))  # noqa: S308 (every text above is escaped)


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
    can_name_gap = not declaration.passed and rules.test_rule(
        "portfolios.name_gateway_gap", request.user, registration
    )
    gap_rows = _gap_rows(registration, apprenticeship.standard_id, readiness)
    return render(
        request,
        "assessments/gateway/page.html",
        {
            "registration": registration,
            "apprenticeship": apprenticeship,
            "readiness": readiness,
            "gap_rows": gap_rows,
            "gap_rows_html": gap_rows_html(
                gap_rows, can_name_gap=can_name_gap, csrf=get_token(request)
            ),
            "declaration": declaration,
            "withdrawn": withdrawn,
            # The page offers to sign only for a party not yet signed while the checklist is
            # met, and to name gaps only before the gateway is passed: the rules are asked
            # only then (on a passed gateway, of nobody).
            "my_parties": gateway.parties_for(request.user, registration)
            if readiness.ready and any(signature is None for _, _, signature in declaration.parties)
            else [],
            "can_name_gap": can_name_gap,
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
