"""Certification's records: claims, holds and retention periods (claims.py), and the cases
behind holds and adjustments (cases.py). Imported from here:
`from certification.models import ClaimHold`."""

from certification.models.cases import (
    CASE_LIFECYCLE,
    HOLDING_KINDS,
    OUTCOMES,
    Case,
    CaseDocument,
    CaseError,
    CaseKind,
    CaseOutcome,
    CasePolicy,
    CaseStage,
    CaseStatus,
    CaseStep,
    CaseStepAction,
)
from certification.models.claims import (
    BATCH_LIFECYCLE,
    BatchState,
    ClaimBatch,
    ClaimError,
    ClaimHold,
    ClaimHoldQuerySet,
    ClaimLine,
    ClaimLineQuerySet,
    HoldKind,
    RetentionPeriod,
    RetentionPeriodQuerySet,
)

__all__ = [
    "BATCH_LIFECYCLE",
    "CASE_LIFECYCLE",
    "HOLDING_KINDS",
    "OUTCOMES",
    "BatchState",
    "Case",
    "CaseDocument",
    "CaseError",
    "CaseKind",
    "CaseOutcome",
    "CasePolicy",
    "CaseStage",
    "CaseStatus",
    "CaseStep",
    "CaseStepAction",
    "ClaimBatch",
    "ClaimError",
    "ClaimHold",
    "ClaimHoldQuerySet",
    "ClaimLine",
    "ClaimLineQuerySet",
    "HoldKind",
    "RetentionPeriod",
    "RetentionPeriodQuerySet",
]
