"""Catalogue pages: reference data any signed-in person may read. Fixed query counts."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from qualifications.combination import describe
from qualifications.forms import QualificationFilterForm
from qualifications.models import (
    AssessmentCriterion,
    Qualification,
    QualificationStatus,
    QualificationUnit,
    Standard,
    Statement,
    StatementCriterion,
    Unit,
)
from qualifications.queries import combination_rules
from qualifications.standards import standards_for


@require_GET
@login_required
def qualification_list(request: HttpRequest) -> HttpResponse:
    form = QualificationFilterForm(request.GET or None)
    qualifications = (
        Qualification.objects.with_status()
        .select_related("awarding_body")
        .annotate(unit_count=Count("memberships"))
        .order_by("awarding_body__name", "level", "title")
    )
    if form.is_valid():
        if form.cleaned_data["awarding_body"]:
            qualifications = qualifications.filter(awarding_body=form.cleaned_data["awarding_body"])
        if form.cleaned_data["level"]:
            qualifications = qualifications.filter(level=form.cleaned_data["level"])
        if form.cleaned_data["status"]:
            qualifications = qualifications.filter(current_status=form.cleaned_data["status"])
    labels = dict(QualificationStatus.choices)
    rows = list(qualifications)
    for qualification in rows:
        # For the template (not a model field).
        qualification.status_label = labels[qualification.current_status]  # type: ignore[attr-defined]
    return render(
        request,
        "qualifications/qualification_list.html",
        {"form": form, "qualifications": rows},
    )


@require_GET
@login_required
def qualification_detail(request: HttpRequest, number: str) -> HttpResponse:
    qualification = get_object_or_404(
        Qualification.objects.select_related("awarding_body"), number=number
    )
    rules = combination_rules(qualification)
    memberships = (
        QualificationUnit.objects.filter(qualification=qualification)
        .select_related("unit", "group")
        .annotate(criteria_count=Count("unit__criteria"))
        .order_by("position")
    )
    by_group: dict[int, list[QualificationUnit]] = defaultdict(list)
    for membership in memberships:
        by_group[membership.group_id].append(membership)
    groups = [(group, by_group[group.pk]) for group in qualification.groups.order_by("position")]
    return render(
        request,
        "qualifications/qualification_detail.html",
        {
            "qualification": qualification,
            "rules": describe(rules),
            # Ambiguous rules and the reading the catalogue applies (from the corrections).
            "readings": [r.reading for r in rules.level_rules if r.reading],
            "groups": groups,
            "standards": _standards_reached(qualification),
        },
    )


def _standards_reached(qualification: Qualification) -> list[dict]:
    """The standards the qualification maps to: its own, and those it reaches through units it
    shares with a mapping published for another (Pearson's Certificate through Units 1-4 of
    the Diploma's Annexe A), with the statements mapped to its units as a whole. Two queries."""
    standards = standards_for([qualification.pk]).select_related("qualification")
    rows = (
        Statement.units.through.objects.filter(
            statement__standard__in=standards.values("pk"),
            unit__memberships__qualification=qualification,
        )
        .select_related("statement", "unit")
        .order_by("statement__position", "unit__key")
    )
    by_statement: dict[int, dict] = {}
    for row in rows:
        entry = by_statement.setdefault(row.statement_id, {"statement": row.statement, "units": []})
        # "Unit 1" for Pearson's units (key PEARSON:Unit 1), else the Ofqual reference.
        entry["units"].append(row.unit.reference or row.unit.key.split(":", 1)[-1])
    return [
        {
            "standard": standard,
            "own": standard.qualification_id == qualification.pk,
            "through_units": [
                e for e in by_statement.values() if e["statement"].standard_id == standard.pk
            ],
        }
        for standard in standards
    ]


@require_GET
@login_required
def unit_detail(request: HttpRequest, key: str) -> HttpResponse:
    unit = get_object_or_404(Unit, key=key)
    criteria = AssessmentCriterion.objects.order_by("position").prefetch_related(
        Prefetch(
            "statement_links",
            queryset=StatementCriterion.objects.select_related("statement__standard").order_by(
                "statement__standard__title", "statement__position"
            ),
        )
    )
    outcomes = unit.outcomes.order_by("position").prefetch_related(
        Prefetch("criteria", queryset=criteria)
    )
    memberships = unit.memberships.select_related("qualification", "group").order_by(
        "qualification__number"
    )
    unit_statements = unit.statements.select_related("standard").order_by(
        "standard__title", "position"
    )
    return render(
        request,
        "qualifications/unit_detail.html",
        {
            "unit": unit,
            "outcomes": outcomes,
            "memberships": memberships,
            "unit_statements": unit_statements,
        },
    )


@require_GET
@login_required
def standard_detail(request: HttpRequest, code: str) -> HttpResponse:
    standard = get_object_or_404(
        Standard.objects.select_related("qualification__awarding_body"), code=code
    )
    codes = {
        m.unit_id: m.code
        for m in QualificationUnit.objects.filter(qualification=standard.qualification)
    }
    statements = standard.statements.order_by("position").prefetch_related(
        Prefetch(
            "links",
            queryset=StatementCriterion.objects.select_related("criterion__unit").order_by(
                "position"
            ),
        ),
        Prefetch("units", queryset=Unit.objects.order_by("key")),
    )
    rows: list[dict[str, Any]] = []
    for statement in statements:
        by_unit: dict[int, dict] = {}
        for link in statement.links.all():
            unit = link.criterion.unit
            entry = by_unit.setdefault(
                unit.pk, {"unit": unit, "code": codes.get(unit.pk, ""), "links": []}
            )
            entry["links"].append(link)
        rows.append({"statement": statement, "units": list(by_unit.values())})
    categories = [
        (label, [row for row in rows if row["statement"].category == value])
        for value, label in Statement.Category.choices
    ]
    return render(
        request,
        "qualifications/standard_detail.html",
        {"standard": standard, "categories": [c for c in categories if c[1]]},
    )
