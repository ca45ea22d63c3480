"""When a decision reaches the learner.

Where a qualification requires it (Pearson BTEC), an internal verifier validates each decision
before the learner sees its outcome or feedback. The centre's own setting wins over the
qualification's default. A decision is released when validation is not required for its
registration, or an IV agreed it. Staff always see everything; only the learner waits.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from assessments.models import Decision, DecisionValidation, ReleaseSetting, ValidationOutcome
from portfolios.models import Registration

AWAITING_LABEL = "Awaiting internal verification"


def validation_required(registration: Registration) -> bool:
    """The centre's setting for the qualification if it has one, else the qualification's."""
    setting = (
        ReleaseSetting.objects.filter(
            centre_id=registration.centre_id, qualification_id=registration.qualification_id
        )
        .values_list("validation_required", flat=True)
        .first()
    )
    if setting is not None:
        return setting
    return registration.qualification.decisions_need_validation


def required_expression(registration_path: str = "registration") -> Coalesce:
    """The same rule in SQL, for querysets over many registrations (no query per row);
    `registration_path` "" when the queryset is of registrations themselves."""
    prefix = f"{registration_path}__" if registration_path else ""
    setting = ReleaseSetting.objects.filter(
        centre_id=OuterRef(f"{prefix}centre_id"),
        qualification_id=OuterRef(f"{prefix}qualification_id"),
    ).values("validation_required")[:1]
    return Coalesce(
        Subquery(setting, output_field=BooleanField()),
        f"{prefix}qualification__decisions_need_validation",
        output_field=BooleanField(),
    )


def required_for(registration: Registration) -> Coalesce:
    """The rule for one registration, in SQL that does not refer to the outer row: PostgreSQL
    computes it once for the query (an InitPlan), where required_expression joins the
    registration and its qualification to every decision and asks again for each (a third
    of the learner's portfolio query for 1,232 decisions)."""
    return required_for_ids(
        centre_id=registration.centre_id, qualification_id=registration.qualification_id
    )


def required_for_ids(*, centre_id: int, qualification_id: int) -> Coalesce:
    """required_for from the registration's centre and qualification ids alone."""
    from qualifications.models import Qualification

    setting = ReleaseSetting.objects.filter(
        centre_id=centre_id, qualification_id=qualification_id
    ).values("validation_required")[:1]
    # order_by(): one row by its key needs no sort (the default order joins the awarding body).
    default = (
        Qualification.objects.filter(pk=qualification_id)
        .order_by()
        .values("decisions_need_validation")[:1]
    )
    return Coalesce(
        Subquery(setting, output_field=BooleanField()),
        Subquery(default, output_field=BooleanField()),
        output_field=BooleanField(),
    )


def agreed_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}validation__outcome": ValidationOutcome.AGREED})


def is_released(decision: Decision, *, required: bool) -> bool:
    """Needs the decision's validation loaded (select_related("validation")) to spare queries."""
    if not required:
        return True
    validation = getattr(decision, "validation", None)
    return validation is not None and validation.outcome == ValidationOutcome.AGREED


def hides_unreleased(viewer: Any, registration: Registration) -> bool:
    """Whether `viewer` sees only released decisions on this registration: the learner does,
    where validation is required. Everyone else who may see the registration is staff."""
    if viewer is None or getattr(viewer, "pk", None) != registration.learner_id:
        return False
    return validation_required(registration)


def needing_validation(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """The registrations whose decisions need validation (the rule of validation_required)."""
    return registrations.alias(needs_validation=required_expression("")).filter(
        needs_validation=True
    )


def awaiting_validation(
    queryset: QuerySet[Decision] | None = None, *, rule_checked: bool = False
) -> QuerySet[Decision]:
    """Current decisions that need validation and have none yet. `rule_checked`: the queryset
    is already limited to registrations that need validation (needing_validation), so the rule
    is not asked again of every decision."""
    queryset = queryset if queryset is not None else Decision.objects.all()
    queryset = queryset.filter(superseded_by__isnull=True)
    if not rule_checked:
        queryset = queryset.alias(needs_validation=required_expression()).filter(
            needs_validation=True
        )
    return queryset.exclude(Exists(DecisionValidation.objects.filter(decision=OuterRef("pk"))))
