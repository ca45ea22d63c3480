"""When a decision reaches the learner.

Where a qualification requires it (Pearson BTEC: "must be validated by an Internal Verifier
before it is given to the learner", Qualification.validation_rule quotes where), an internal
verifier validates each decision before the learner sees its outcome or feedback. A centre may
ask for validation where the qualification does not; it can never waive it where it does, so
a setting saved "not required" for such a qualification (before the rule was enforced) is read
as required. A decision is released when validation is not required for its registration, or
an IV agreed it. Staff always see everything; only the learner waits.

A return for resubmission is feedback too: under the same rule it is held for the IV
(assessments.models.returns) and reaches the learner, evidence and feedback, once agreed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from assessments.models import Decision, DecisionValidation, ReleaseSetting, ValidationOutcome
from portfolios.models import Registration
from qualifications.models import Qualification

AWAITING_LABEL = "Awaiting internal verification"


RULE_NAME = "Internal verification before release"


def waiver_refused(qualification: Qualification) -> str:
    """Why a centre may not let the learner see this qualification's decisions unvalidated,
    naming the rule and its source; "" where the centre may choose."""
    if not qualification.decisions_need_validation:
        return ""
    source = qualification.validation_rule or qualification.source
    return (
        f"{RULE_NAME} cannot be switched off for {qualification.number}: "
        f"{qualification.awarding_body.name} requires an internal verifier to validate each "
        f"decision before the learner sees it ({source})."
    )


def validation_required(registration: Registration) -> bool:
    """Required by the qualification, or asked for by the centre's setting."""
    if registration.qualification.decisions_need_validation:
        return True
    return ReleaseSetting.objects.filter(
        centre_id=registration.centre_id,
        qualification_id=registration.qualification_id,
        validation_required=True,
    ).exists()


def required_expression(registration_path: str = "registration") -> ExpressionWrapper:
    """The same rule in SQL, for querysets over many registrations (no query per row);
    `registration_path` "" when the queryset is of registrations themselves."""
    prefix = f"{registration_path}__" if registration_path else ""
    asked = ReleaseSetting.objects.filter(
        centre_id=OuterRef(f"{prefix}centre_id"),
        qualification_id=OuterRef(f"{prefix}qualification_id"),
        validation_required=True,
    )
    return ExpressionWrapper(
        Q(**{f"{prefix}qualification__decisions_need_validation": True}) | Q(Exists(asked)),
        output_field=BooleanField(),
    )


def required_for(registration: Registration) -> ExpressionWrapper:
    """The rule for one registration, in SQL that does not refer to the outer row: PostgreSQL
    computes it once for the query (an InitPlan), where required_expression joins the
    registration and its qualification to every decision and asks again for each (a third
    of the learner's portfolio query for 1,232 decisions)."""
    return required_for_ids(
        centre_id=registration.centre_id, qualification_id=registration.qualification_id
    )


def required_for_ids(*, centre_id: int, qualification_id: int) -> ExpressionWrapper:
    """required_for from the registration's centre and qualification ids alone."""
    asked = ReleaseSetting.objects.filter(
        centre_id=centre_id, qualification_id=qualification_id, validation_required=True
    )
    # order_by(): one row by its key needs no sort (the default order joins the awarding body).
    required = Qualification.objects.filter(
        pk=qualification_id, decisions_need_validation=True
    ).order_by()
    return ExpressionWrapper(Q(Exists(required)) | Q(Exists(asked)), output_field=BooleanField())


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
