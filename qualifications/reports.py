"""The catalogue as plain data, for `catalogue_report` and anyone who wants to diff it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Prefetch

from qualifications.models import (
    AssessmentCriterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
)


def catalogue_report() -> list[dict[str, Any]]:
    """Every qualification with its units, outcomes and criteria: a fixed number of queries."""
    qualifications = list(
        Qualification.objects.select_related("awarding_body")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=QualificationUnit.objects.select_related("unit", "group").order_by(
                    "position"
                ),
            )
        )
        .order_by("number")
    )
    unit_ids = {m.unit_id for q in qualifications for m in q.memberships.all()}
    outcomes: dict[int, list[LearningOutcome]] = defaultdict(list)
    for outcome in LearningOutcome.objects.filter(unit_id__in=unit_ids).order_by("position"):
        outcomes[outcome.unit_id].append(outcome)
    criteria: dict[int, list[AssessmentCriterion]] = defaultdict(list)
    for criterion in AssessmentCriterion.objects.filter(unit_id__in=unit_ids).order_by("position"):
        criteria[criterion.outcome_id].append(criterion)

    report = []
    for qualification in qualifications:
        units = []
        for membership in qualification.memberships.all():
            unit = membership.unit
            units.append(
                {
                    "reference": unit.reference,
                    "code": membership.code,
                    "title": unit.title,
                    "level": unit.level,
                    "credit": unit.credit,
                    "glh": unit.glh,
                    "group": membership.group.code,
                    "outcomes": [
                        {
                            "number": outcome.number,
                            "text": outcome.text,
                            "criteria": [
                                {"number": c.number, "text": c.text} for c in criteria[outcome.pk]
                            ],
                        }
                        for outcome in outcomes[unit.pk]
                    ],
                }
            )
        report.append(
            {
                "number": qualification.number,
                "title": qualification.title,
                "awarding_body": qualification.awarding_body.name,
                "level": qualification.level,
                "units": units,
            }
        )
    return report


def catalogue_summary() -> list[dict[str, Any]]:
    rows = []
    qualifications = (
        Qualification.objects.select_related("awarding_body")
        .annotate(unit_count=Count("memberships", distinct=True))
        .order_by("number")
    )
    outcome_counts = dict(
        QualificationUnit.objects.values_list("qualification__number")
        .annotate(n=Count("unit__outcomes", distinct=True))
        .values_list("qualification__number", "n")
    )
    criterion_counts = dict(
        QualificationUnit.objects.values_list("qualification__number")
        .annotate(n=Count("unit__criteria", distinct=True))
        .values_list("qualification__number", "n")
    )
    for qualification in qualifications:
        rows.append(
            {
                "number": qualification.number,
                "title": qualification.title,
                "awarding_body": qualification.awarding_body.code,
                "units": qualification.unit_count,
                "outcomes": outcome_counts.get(qualification.number, 0),
                "criteria": criterion_counts.get(qualification.number, 0),
            }
        )
    return rows
