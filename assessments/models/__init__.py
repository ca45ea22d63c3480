"""Assessment records: decisions and sign-offs, judgements, assessment plans, achievement records.

One module per part of the app; every model is importable from `assessments.models`."""

from assessments.models.achievement import (
    BUILD_LIFECYCLE,
    PENDING,
    RECORD_LIFECYCLE,
    AchievementKind,
    AchievementRecord,
    AchievementRecordQuerySet,
    BuildStatus,
    RecordState,
    new_verification_code,
    record_upload_path,
)
from assessments.models.badge import IssuedBadge
from assessments.models.brief import (
    BRIEF_LIFECYCLE,
    AssignmentBrief,
    AssignmentBriefQuerySet,
    BriefExtension,
    BriefHandIn,
    BriefStatus,
    HandInKind,
)
from assessments.models.decision import (
    AssessorRecord,
    AssessorRecordQuerySet,
    Decision,
    DecisionQuerySet,
    DecisionValidation,
    Outcome,
    RecordKind,
    RecordQuestion,
    ReleaseSetting,
    UnitSignOff,
    UnitSignOffQuerySet,
    ValidationOutcome,
)
from assessments.models.judgement import (
    Judgement,
)
from assessments.models.plan import (
    AssessmentPlan,
    AssessmentPlanQuerySet,
    PlanActivity,
    PlanActivityQuerySet,
)
from assessments.models.returns import HeldReturn, HeldReturnQuerySet, ReturnValidation

__all__ = [
    "BRIEF_LIFECYCLE",
    "BUILD_LIFECYCLE",
    "PENDING",
    "RECORD_LIFECYCLE",
    "AchievementKind",
    "AchievementRecord",
    "AchievementRecordQuerySet",
    "AssessmentPlan",
    "AssessmentPlanQuerySet",
    "AssessorRecord",
    "AssessorRecordQuerySet",
    "AssignmentBrief",
    "AssignmentBriefQuerySet",
    "BriefExtension",
    "BriefHandIn",
    "BriefStatus",
    "BuildStatus",
    "Decision",
    "DecisionQuerySet",
    "DecisionValidation",
    "HandInKind",
    "HeldReturn",
    "HeldReturnQuerySet",
    "IssuedBadge",
    "Judgement",
    "Outcome",
    "PlanActivity",
    "PlanActivityQuerySet",
    "RecordKind",
    "RecordQuestion",
    "RecordState",
    "ReleaseSetting",
    "ReturnValidation",
    "UnitSignOff",
    "UnitSignOffQuerySet",
    "ValidationOutcome",
    "new_verification_code",
    "record_upload_path",
]
