"""The portfolio page and the evidence pages. Thin: load, check, bind a form, one service.

Anything the person may not see answers 404, so existence does not leak; a change they may not
make answers 403; a change the rules refuse (submitted evidence, the real-work rule) comes back
as the service's message.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import replace
from typing import Any, cast
from urllib.parse import urlencode

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.context import working_membership
from accounts.requests import AuthedRequest
from core.charts import Bar, bar_chart, figures_table, long_date, step_chart
from core.forms import sent_values
from core.links import url_for_ids
from core.models import AuditEvent
from portfolios import evidence as services
from portfolios.combination import rule_notice
from portfolios.evidence_page import sections_for
from portfolios.forms.evidence import (
    DeclarationForm,
    EvidenceForm,
    MapCriteriaForm,
    PortfolioFilterForm,
)
from portfolios.models import (
    CreditTransfer,
    Declaration,
    Evidence,
    EvidenceFile,
    EvidenceMethod,
    EvidenceStatus,
    PortfolioTransfer,
    PriorDecision,
    Registration,
    RegistrationStatus,
)
from portfolios.progress import (
    STATE_LABELS,
    CriterionState,
    OutcomeRows,
    Portfolio,
    Progress,
    TakenUnit,
    met_over_time,
    recorded_decisions,
    taken_units,
    unit_portfolio,
    unit_summaries,
)
from portfolios.queries import RecordRow, portfolio_records, registration_with_people
from portfolios.views.registration import credit_transfers
from qualifications.models import AssessmentCriterion
from qualifications.standards import maps_to_standard


def _registration(request: AuthedRequest, pk: int) -> Registration:
    """The registration, if the person may see it (portfolios.view_registration, which
    Registration.objects.visible_to mirrors), else 404. Loaded by id and then asked of the
    predicate: visible_to's DISTINCT over every role's subquery takes longer to plan than the
    predicate takes to answer (no query for the learner, two for an assessor)."""
    registration = registration_with_people(pk)
    if registration is None or not request.user.has_perm(
        "portfolios.view_registration", registration
    ):
        raise Http404("No registration you may see has that id.")
    return registration


def transfers_in(registration: Registration, user: Any) -> list[PortfolioTransfer]:
    """The portfolios transferred into this registration, each with the earlier centre's
    decisions (`prior`) and the transferred evidence the person may see (`items`). One query,
    and two more only where there is a transfer, however many items it brought."""
    transfers = list(
        PortfolioTransfer.objects.filter(registration=registration).order_by("imported_at", "pk")
    )
    if not transfers:
        return transfers
    by_pk = {t.pk: t for t in transfers}
    for transfer in transfers:
        transfer.prior = []  # type: ignore[attr-defined]
        transfer.items = []  # type: ignore[attr-defined]
    for decision in (
        PriorDecision.objects.filter(registration=registration)
        .select_related("criterion__unit")
        .order_by("criterion__unit__key", "criterion__position", "pk")
    ):
        by_pk[decision.transfer_id].prior.append(decision)  # type: ignore[attr-defined]
    for item in (
        Evidence.objects.seen_in(registration, user)
        .filter(transfer__isnull=False)
        .order_by("created_at", "pk")
    ):
        by_pk[cast(int, item.transfer_id)].items.append(item)  # type: ignore[attr-defined]
    return transfers


def _evidence(request: AuthedRequest, pk: int) -> Evidence:
    return get_object_or_404(
        Evidence.objects.visible_to(request.user).select_related(
            "registration__learner",
            "registration__centre",
            "registration__qualification",
            "created_by",
            "previous",
            "declaration__signed_by",
            "transfer",
        ),
        pk=pk,
    )


def _evidence_for_change(request: AuthedRequest, pk: int) -> Evidence:
    """Unknown or invisible: 404. Visible but not the person's to change: 403."""
    evidence = _evidence(request, pk)
    if not rules.test_rule("portfolios.change_evidence", request.user, evidence):
        raise PermissionDenied
    return evidence


# ---------------------------------------------------------------- the portfolio
# The page lists the units with their counts; a unit's criteria come when it is opened (htmx
# fetches the unit's fragment; without JavaScript the same URL is a page of its own). Links,
# facts and states are built here once per unit or record, not per row by template tags.


def _unit_facts(entry: TakenUnit) -> str:
    unit = entry.unit
    facts = ["Mandatory" if entry.mandatory else "Chosen"]
    if unit.reference and unit.reference != entry.label:
        facts.append(f"Unit reference {unit.reference}")
    facts.append(unit.level_label)
    if unit.credit:
        facts.append(f"{unit.credit} credit{'s' if unit.credit != 1 else ''}")
    if unit.real_work_only:
        facts.append("Must be achieved in real work")
    return " · ".join(facts)


def _link_evidence(entries: list[TakenUnit]) -> None:
    """Give each piece of evidence shown against a criterion its URL, status in words and
    version as text, worked out once per piece (a piece mapped to many criteria comes once per
    mapping). Text, because the template localizes a number it is given, which costs more than
    the rest of the row (measured)."""
    evidence_url = url_for_ids("evidence:detail")
    done: dict[int, tuple[str, str, str]] = {}
    for entry in entries:
        for row in entry.criteria:
            for item in row.evidence:
                if item.pk not in done:
                    done[item.pk] = (
                        evidence_url(item.pk),
                        item.get_status_display().lower(),
                        str(item.version),
                    )
                # For the template (not model fields).
                item.url, item.status_words, item.version_text = done[item.pk]  # type: ignore[attr-defined]


def _only_state(entry: TakenUnit, state: str) -> TakenUnit:
    """The unit with only its criteria in `state` (and the outcomes that still have some)."""
    if not state:
        return entry
    outcomes = [
        OutcomeRows(o.outcome, [row for row in o.criteria if row.state == state])
        for o in entry.outcomes
    ]
    return replace(entry, outcomes=[o for o in outcomes if o.criteria])


def _progress_text(progress: Progress) -> str:
    return f"{progress.met} of {progress.total} criteria met, {progress.evidenced} with evidence"


def _unit_rows(
    registration: Registration,
    whole: Portfolio,
    *,
    user: Any,
    decisions: dict[int, str],
    unit_id: int | None,
    state: str,
    credited: dict[int, CreditTransfer] | None = None,
) -> list[dict[str, Any]]:
    """The units that pass the filters, as the template shows them: text and links made here,
    once per unit. Filtered to one unit, its criteria come too (one unit: bounded). A unit
    `credited` by transfer says so where its progress would be."""
    credited = credited or {}
    unit_url = url_for_ids("evidence:portfolio_unit", registration.pk)
    decisions_url = url_for_ids("assessments:unit", registration.pk)
    query = f"?{urlencode({'state': state})}" if state else ""
    state_words = STATE_LABELS[state].lower() if state else ""
    rows = []
    for entry in whole.units:
        progress = entry.progress
        if (unit_id and entry.unit.pk != unit_id) or (state and not progress.states[state]):
            continue
        opened = None
        if unit_id:
            opened = unit_portfolio(registration, entry.unit.pk, user=user, decisions=decisions)
            if opened is not None:
                _link_evidence([opened])
                opened = _only_state(opened, state)
        summary = f"Criteria of {entry.label}"
        if state:
            summary += f": {progress.states[state]} {state_words}"
        rows.append(
            {
                "id": entry.dom_id,
                "label": entry.label,
                "name": f"{entry.label} {entry.unit.title}",
                "facts": _unit_facts(entry),
                "progress": _progress_text(progress)
                if entry.unit.pk not in credited
                else f"Achieved {credited[entry.unit.pk].achieved_on:%d %B %Y}, credited by "
                f"transfer from {credited[entry.unit.pk].source}",
                "summary": summary,
                "url": unit_url(entry.unit.pk) + query,
                "decisions_url": decisions_url(entry.unit.pk),
                "opened": opened,
            }
        )
    return rows


def _record_rows(records: list[RecordRow], *, learner_looks: bool) -> tuple[list, list]:
    """The evidence records' table rows, and (for the learner) the assessor's records that
    wait for their acknowledgement."""
    evidence_url = url_for_ids("evidence:detail")
    record_url = url_for_ids("assessments:record")
    methods = dict(EvidenceMethod.choices)
    statuses = dict(EvidenceStatus.choices)
    rows, awaiting = [], []
    for record in records:
        acknowledged = None  # not an assessor's record
        if record.assessor_record is not None:
            acknowledged = bool(record.acknowledged_at)
            if learner_looks and not acknowledged:
                awaiting.append(
                    {
                        "title": record.title,
                        "method": methods[record.method].lower(),
                        "url": record_url(record.assessor_record),
                    }
                )
        rows.append(
            {
                "url": evidence_url(record.pk),
                "title": record.title,
                "version": str(record.version),
                "method": methods[record.method],
                "date": f"{record.evidence_date.day} {record.evidence_date:%B %Y}",
                "criteria": str(record.criteria_count),
                "status": statuses[record.status],
                "acknowledged": acknowledged,
            }
        )
    return rows, awaiting


def progress_pictures(whole: Portfolio, *, credited: Collection[int]) -> dict[str, Any]:
    """The portfolio's two pictures and the tables beside them: criteria met per unit (the
    counts the page already has, unit_summaries'), and the running total of criteria met by
    week (from the days unit_summaries counted, read with the decisions: no query of its own).
    Units credited by transfer are achieved already and left out, as the overall count leaves
    them."""
    counted = [entry for entry in whole.units if entry.unit.pk not in credited]
    units: list[dict[str, Any]] = [
        {
            "label": entry.label,
            "name": f"{entry.label} {entry.unit.title}",
            "met": entry.progress.met,
            "total": entry.progress.total,
            "percent": entry.progress.met_percent,
        }
        for entry in counted
    ]
    met = whole.progress.met
    unit_picture = bar_chart(
        [Bar(row["label"], row["met"], row["total"]) for row in units],
        label=f"Criteria met per unit: {met} of {whole.progress.total} in all, "
        f"over {len(units)} unit{'s' * (len(units) != 1)}. The table below gives each unit.",
        empty="No units taken yet.",
    )
    period, points = met_over_time(whole.met_days, today=timezone.localdate())
    time_picture = step_chart(
        points,
        label=(
            f"Criteria met over time, by {period}: from {points[0][1]} in the {period} of "
            f"{long_date(points[0][0])} to {points[-1][1]} of {whole.progress.total} in the "
            f"{period} of {long_date(points[-1][0])}. The table below gives every {period}."
        )
        if points
        else "No criteria met yet.",
        total=whole.progress.total,
        empty="No criteria met yet.",
    )
    timeline = []
    previous = 0
    for day, total in points:
        timeline.append((long_date(day), total - previous, total))
        previous = total
    return {
        "unit_picture": unit_picture,
        "unit_table": figures_table(
            caption="Criteria met in each unit",
            headers=("Unit", "Met", "Criteria", "Share"),
            rows=[(u["name"], u["met"], u["total"], f"{u['percent']}%") for u in units],
            testid="unit-progress-table",
        )
        if units
        else "",
        "time_picture": time_picture,
        "timeline_table": figures_table(
            caption=f"Criteria met each {period}, and the running total",
            headers=(f"{period.capitalize()} from", f"Met that {period}", "Met in all"),
            rows=timeline,
            testid="timeline-table",
        )
        if timeline
        else "",
    }


# A learner's registrations that are over: the portfolio stays, but it is not where work goes on.
ENDED = (RegistrationStatus.WITHDRAWN, RegistrationStatus.TRANSFERRED)


@require_GET
@login_required
def my_portfolio(request: AuthedRequest) -> HttpResponse:
    """The header's "My portfolio": straight to the learner's portfolio where they have one
    registration going on at this centre (or only one at all); with several, to their home page,
    which lists each qualification with its portfolio. One query of ids, not the registrations."""
    membership = working_membership(request, "portfolios.work_own_portfolios")
    mine = list(
        Registration.objects.filter(learner=request.user, centre=membership.centre)
        .order_by("-start_date", "-pk")
        .values_list("pk", "status")
    )
    going_on = [pk for pk, status in mine if status not in ENDED]
    if len(going_on) == 1:
        return redirect("evidence:portfolio", going_on[0])
    if len(mine) == 1:
        return redirect("evidence:portfolio", mine[0][0])
    return redirect(reverse("home") + "#work-heading")


@require_GET
@login_required
def portfolio_page(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    # The day each criterion was judged met comes with its decision, for the picture over time.
    met_on: dict[int, datetime.date] = {}
    decisions = recorded_decisions(registration, viewer=request.user, met_on=met_on)
    transfers = credit_transfers(registration)
    credited = {t.unit_id: t for t in transfers if t.withdrawn_at is None}
    whole = unit_summaries(registration, decisions=decisions, credited=credited, met_on=met_on)
    filters = PortfolioFilterForm(request.GET or None, units=whole.units)
    unit_id, state = None, ""
    if filters.is_bound and filters.is_valid():
        unit_id, state = filters.cleaned_data["unit"], filters.cleaned_data["state"]
    records = portfolio_records(registration, request.user)
    record_rows, awaiting = _record_rows(
        records, learner_looks=registration.learner_id == request.user.pk
    )
    return render(
        request,
        "portfolios/portfolio.html",
        {
            "registration": registration,
            "qualification": registration.qualification,
            "portfolio": whole,
            "unit_rows": _unit_rows(
                registration,
                whole,
                user=request.user,
                decisions=decisions,
                unit_id=unit_id,
                state=state,
                credited=credited,
            ),
            "filters": filters,
            "filtered": bool(unit_id or state),
            "records": record_rows,
            "awaiting": awaiting,
            "can_add": rules.test_rule("portfolios.add_evidence", request.user, registration),
            # The KSB coverage page lives in assessments; the flag comes from the catalogue.
            "maps_to_standard": maps_to_standard(registration.qualification_id),
            # Where the catalogue gives no rule of combination: the centre's, or who must
            # record one (no query otherwise).
            "rule_notice": rule_notice(registration),
            # Units credited from an identical unit achieved before (SFJ section 2.8).
            "credit_transfers": transfers,
            # Issue 20: portfolios transferred in from an earlier centre, and their decisions.
            "transfers_in": transfers_in(registration, request.user),
            **progress_pictures(whole, credited=credited),
        },
    )


@require_GET
@login_required
def portfolio_unit(request: AuthedRequest, pk: int, unit_pk: int) -> HttpResponse:
    """One unit's criteria: the fragment htmx puts into the portfolio page when the unit is
    opened, or (without htmx) a page of its own. Whoever may see the portfolio may see it."""
    registration = _registration(request, pk)
    entry = unit_portfolio(
        registration,
        unit_pk,
        user=request.user,
        decisions=recorded_decisions(registration, viewer=request.user, unit_id=unit_pk),
    )
    if entry is None:
        raise Http404("The registration does not take that unit.")
    state = request.GET.get("state", "")
    if state not in CriterionState.values:
        state = ""
    _link_evidence([entry])
    shown = _only_state(entry, state)
    context = {
        "registration": registration,
        "qualification": registration.qualification,
        "entry": shown,
        "progress": entry.progress,
        "facts": _unit_facts(entry),
        "shown_count": len(shown.criteria),
        "state_label": CriterionState(state).label if state else "",
        "portfolio_url": reverse("evidence:portfolio", args=[registration.pk]),
        "decisions_url": reverse("assessments:unit", args=[registration.pk, entry.unit.pk]),
    }
    template = "_unit_fragment.html" if request.htmx else "portfolio_unit.html"
    response = render(request, f"portfolios/{template}", context)
    # One URL, two bodies: caches must key on the header that chooses between them.
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---------------------------------------------------------------- one record


@require_http_methods(["GET", "POST"])
@login_required
def evidence_create(request: AuthedRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    if not rules.test_rule("portfolios.add_evidence", request.user, registration):
        raise PermissionDenied
    form = EvidenceForm(request.POST or None)
    refused = False
    if request.method == "POST" and form.is_valid():
        try:
            evidence = services.evidence_create(
                actor=request.user, registration=registration, **form.cleaned_data
            )
        except services.EvidenceError as error:
            messages.error(request, str(error))
            refused = True
        else:
            messages.success(
                request, "Draft saved. Add files, map it to criteria, then sign and submit it."
            )
            return redirect("evidence:detail", pk=evidence.pk)
    return render(
        request,
        "portfolios/evidence_form.html",
        {"registration": registration, "form": form, "evidence": None},
        status=400 if refused or (form.is_bound and form.errors) else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def evidence_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    evidence = _evidence_for_change(request, pk)
    if evidence.is_locked:
        messages.error(
            request,
            "This evidence has been submitted and can no longer change. "
            "Start a new version to resubmit it.",
        )
        return redirect("evidence:detail", pk=pk)
    initial = {
        name: getattr(evidence, name)
        for name in ("title", "description", "evidence_date", "method", "context")
    }
    form = EvidenceForm(request.POST or None, initial=initial)
    refused = False
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            if changed:
                services.evidence_update(actor=request.user, evidence=evidence, **changed)
        except services.EvidenceError as error:
            messages.error(request, str(error))
            refused = True
        else:
            messages.success(request, "Changes saved." if changed else "Nothing changed.")
            return redirect("evidence:detail", pk=pk)
    return render(
        request,
        "portfolios/evidence_form.html",
        {"registration": evidence.registration, "form": form, "evidence": evidence},
        status=400 if refused or (form.is_bound and form.errors) else 200,
    )


def _versions(request: AuthedRequest, evidence: Evidence) -> list[dict[str, Any]]:
    """Every visible version of this record, oldest first, from one query."""
    rows = {
        row["pk"]: row
        for row in Evidence.objects.visible_to(request.user)
        .filter(registration_id=evidence.registration_id)
        .values("pk", "previous_id", "version", "status", "title", "submitted_at")
    }
    following = {row["previous_id"]: row for row in rows.values() if row["previous_id"]}
    first = rows.get(evidence.pk)
    seen: set[int] = set()
    while first and first["previous_id"] in rows and first["pk"] not in seen:
        seen.add(first["pk"])
        first = rows[first["previous_id"]]
    chain: list[dict[str, Any]] = []
    row = first
    while row is not None and len(chain) <= len(rows):
        chain.append(
            {
                **row,
                "status_label": EvidenceStatus(row["status"]).label,
                "current": row["pk"] == evidence.pk,
            }
        )
        row = following.get(row["pk"])
    return chain


def _criteria_groups(units: list[TakenUnit], chosen: set[int]) -> list[TakenUnit]:
    """The units with only the chosen criteria, for the record's 'maps to' list."""
    groups = []
    for entry in units:
        outcomes = [
            type(o)(o.outcome, [row for row in o.criteria if row.criterion.pk in chosen])
            for o in entry.outcomes
        ]
        outcomes = [o for o in outcomes if o.criteria]
        if outcomes:
            groups.append(TakenUnit(entry.unit, entry.label, entry.mandatory, outcomes))
    return groups


def _mapped_criteria(units: list[TakenUnit], mapped: set[int]) -> dict[int, AssessmentCriterion]:
    """The mapped criteria the page has built, each knowing its unit (no query)."""
    found = {}
    for entry in units:
        for outcome in entry.outcomes:
            for row in outcome.criteria:
                if row.criterion.pk in mapped:
                    row.criterion.unit = entry.unit
                    found[row.criterion.pk] = row.criterion
    return found


def _detail(
    request: AuthedRequest,
    evidence: Evidence,
    *,
    status: int = 200,
    map_form: MapCriteriaForm | None = None,
    declaration_form: DeclarationForm | None = None,
) -> HttpResponse:
    registration = evidence.registration
    mapped = set(evidence.mappings.values_list("criterion_id", flat=True))
    learner = rules.test_rule("portfolios.change_evidence", request.user, evidence)
    draft = evidence.status == EvidenceStatus.DRAFT
    # Only the learner's own draft offers every criterion to tick; otherwise the page lists
    # the mapped ones, so it reads those and not the whole portfolio's 1,000 and more.
    units = taken_units(registration, only=None if learner and draft else mapped)
    versions = _versions(request, evidence)
    # The assessor's feedback when this version, or the one it replaces, was returned.
    returned = (
        AuditEvent.objects.filter(
            action="evidence.returned",
            object_type=Evidence._meta.label_lower,
            object_id__in=[str(evidence.pk), str(evidence.previous_id)],
        )
        .order_by("-pk")
        .values_list("data", flat=True)
        .first()
    )
    context: dict[str, Any] = {
        "evidence": evidence,
        "return_feedback": (returned or {}).get("feedback", ""),
        "registration": registration,
        "files": list(evidence.files.all()),
        "mapped_units": _criteria_groups(units, mapped),
        "declaration": getattr(evidence, "declaration", None),
        # What other apps show here (the learner's decisions and feedback: assessments).
        "sections": sections_for(request.user, evidence, _mapped_criteria(units, mapped)),
        "versions": versions if len(versions) > 1 else [],
        "newer": next((v for v in versions if v["version"] > evidence.version), None),
        "can_edit": learner and draft,
        # Only the learner's own work takes a new version (resubmit() refuses the rest).
        "can_resubmit": learner
        and not draft
        and evidence.created_by_id == evidence.registration.learner_id
        and not hasattr(evidence, "witness_request")
        and not any(v["version"] > evidence.version for v in versions),
    }
    if context["can_edit"]:
        if map_form is not None and map_form.is_bound:
            ticked = {str(value) for value in sent_values(map_form, "criteria")}
        else:
            ticked = {str(pk) for pk in mapped}
        context.update(
            units=units,
            map_form=map_form,
            ticked=ticked,
            open_units={
                entry.unit.pk
                for entry in units
                if any(str(row.criterion.pk) in ticked for row in entry.criteria)
            },
            declaration_form=declaration_form or DeclarationForm(),
            statement=Declaration.STATEMENT,
            # The upload widget warns about oversized files before sending them.
            upload_max_bytes=services.max_upload_bytes(),
        )
    return render(request, "portfolios/evidence_detail.html", context, status=status)


@require_GET
@login_required
def evidence_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, _evidence(request, pk))


@require_POST
@login_required
def evidence_map(request: AuthedRequest, pk: int) -> HttpResponse:
    evidence = _evidence_for_change(request, pk)
    form = MapCriteriaForm(request.POST, registration=evidence.registration)
    if not form.is_valid():
        return _detail(request, evidence, status=400, map_form=form)
    try:
        services.map_criteria(
            actor=request.user, evidence=evidence, criteria=form.cleaned_data["criteria"]
        )
    except services.EvidenceError as error:
        messages.error(request, str(error))
        return _detail(request, evidence, status=400, map_form=form)
    count = len(form.cleaned_data["criteria"])
    messages.success(
        request, f"Mapped to {count} criterion." if count == 1 else f"Mapped to {count} criteria."
    )
    return redirect("evidence:detail", pk=pk)


@require_POST
@login_required
def evidence_submit(request: AuthedRequest, pk: int) -> HttpResponse:
    evidence = _evidence_for_change(request, pk)
    if evidence.status != EvidenceStatus.DRAFT and hasattr(evidence, "declaration"):
        # The same form sent twice: the first one signed it.
        messages.info(request, "This evidence is already signed and submitted.")
        return redirect("evidence:detail", pk=pk)
    form = DeclarationForm(request.POST)
    if not form.is_valid():
        return _detail(request, evidence, status=400, declaration_form=form)
    try:
        services.submit(
            actor=request.user,
            evidence=evidence,
            typed_name=form.cleaned_data["typed_name"],
            confirmed=form.cleaned_data["confirmed"],
        )
    except services.EvidenceError as error:
        messages.error(request, str(error))
        return _detail(request, evidence, status=400, declaration_form=form)
    messages.success(request, "Declaration signed. Your evidence is submitted to your assessor.")
    return redirect("evidence:detail", pk=pk)


@require_http_methods(["GET", "POST"])
@login_required
def evidence_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    evidence = _evidence_for_change(request, pk)
    if request.method == "POST":
        try:
            services.evidence_delete(actor=request.user, evidence=evidence)
        except services.EvidenceError as error:
            messages.error(request, str(error))
            return redirect("evidence:detail", pk=pk)
        messages.success(request, f"The draft “{evidence.title}” is deleted.")
        return redirect("evidence:portfolio", pk=evidence.registration_id)
    if evidence.is_locked:
        messages.error(request, "Submitted evidence stays in the portfolio: it cannot be deleted.")
        return redirect("evidence:detail", pk=pk)
    return render(
        request,
        "portfolios/evidence_delete.html",
        {"evidence": evidence, "registration": evidence.registration},
    )


@require_POST
@login_required
def evidence_resubmit(request: AuthedRequest, pk: int) -> HttpResponse:
    evidence = _evidence_for_change(request, pk)
    newer = Evidence.objects.filter(previous=evidence).first()
    if newer is not None:
        # The same form sent twice: the first one started the new version.
        messages.info(request, f"Version {newer.version} is already started.")
        return redirect("evidence:detail", pk=newer.pk)
    try:
        new = services.resubmit(actor=request.user, evidence=evidence)
    except services.EvidenceError as error:
        messages.error(request, str(error))
        return redirect("evidence:detail", pk=pk)
    messages.success(
        request,
        f"Version {new.version} started with the same files and criteria. "
        f"Version {evidence.version} stays in your portfolio as it was.",
    )
    return redirect("evidence:detail", pk=new.pk)


@require_POST
@login_required
def file_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    evidence_file = get_object_or_404(
        EvidenceFile.objects.filter(
            evidence__in=Evidence.objects.visible_to(request.user)
        ).select_related("evidence__registration"),
        pk=pk,
    )
    evidence = evidence_file.evidence
    if not rules.test_rule("portfolios.change_evidence", request.user, evidence):
        raise PermissionDenied
    try:
        services.file_remove(actor=request.user, evidence_file=evidence_file)
    except services.EvidenceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{evidence_file.original_name} is removed.")
    return redirect("evidence:detail", pk=evidence.pk)
