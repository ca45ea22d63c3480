"""The learner's units for the assessor's mapping form, with criteria only where they are needed.

A learner on a large qualification takes dozens of units and over a thousand criteria; drawing
them all made the assessing page cost most of a second and 600 KB. The form draws every unit's
name, and the criteria of the units it must show open: those holding a ticked criterion (so the
form always sends the whole mapping back) and any the assessor asked to open. Other units load
their criteria when opened (htmx, assessments:mapping_unit), or through a plain link without
JavaScript. Three queries.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, OuterRef, Subquery

from portfolios.models import Registration, RegistrationUnit
from portfolios.progress import CriterionRow, OutcomeRows, TakenUnit
from qualifications.models import AssessmentCriterion, LearningOutcome, QualificationUnit


def mapping_units(
    registration: Registration,
    *,
    open_units: Iterable[int] = (),
) -> tuple[list[TakenUnit], set[int]]:
    """The registration's units in the qualification's order, and the ids of those loaded with
    their outcomes and criteria (`open_units`, those the learner takes)."""
    membership = QualificationUnit.objects.filter(
        qualification_id=registration.qualification_id, unit_id=OuterRef("unit_id")
    )
    choices = (
        RegistrationUnit.objects.filter(registration=registration)
        .select_related("unit")
        .annotate(
            position=Subquery(membership.values("position")[:1]),
            code=Subquery(membership.values("code")[:1]),
            mandatory=Subquery(membership.values("group__mandatory")[:1]),
        )
        .order_by(F("position").asc(nulls_last=True), "unit__key")
    )
    units = [
        TakenUnit(
            unit=choice.unit,
            label=choice.code or choice.unit.reference or choice.unit.key,
            mandatory=bool(choice.mandatory),
        )
        for choice in choices
    ]
    by_unit = {entry.unit.pk: entry for entry in units}
    wanted = set(open_units) & set(by_unit)
    if wanted:
        outcomes: dict[int, OutcomeRows] = {}
        for outcome in LearningOutcome.objects.filter(unit_id__in=wanted).order_by(
            "unit_id", "position"
        ):
            outcomes[outcome.pk] = rows = OutcomeRows(outcome)
            by_unit[outcome.unit_id].outcomes.append(rows)
        for criterion in AssessmentCriterion.objects.filter(unit_id__in=wanted).order_by(
            "unit_id", "position"
        ):
            criterion.unit = by_unit[criterion.unit_id].unit  # spare the template a query a row
            outcomes[criterion.outcome_id].criteria.append(CriterionRow(criterion))
    return units, wanted
