"""Internal verification: sampling strategies and plans, samples, standardisation, EQA visits.

One module per part of the app; every model is importable from `verification.models`."""

from verification.models.eqa import (
    EqaPageView,
    EqaPageViewQuerySet,
)
from verification.models.sample import (
    SAMPLE_LIFECYCLE,
    Sample,
    SampleOutcome,
    SampleOutcomeKind,
    SampleOutcomeQuerySet,
    SampleQuerySet,
    SampleState,
    VerifierSignOff,
    VerifierSignOffQuerySet,
)
from verification.models.standardisation import (
    MEETING_LIFECYCLE,
    MeetingStatus,
    StandardisationMeeting,
    StandardisationMeetingQuerySet,
    StandardisationOutcome,
)
from verification.models.strategy import (
    DEFAULT_RATING,
    STRATEGY_SETTINGS,
    AssessorRiskRating,
    AssessorRiskRatingQuerySet,
    PlannedSample,
    PlannedSampleQuerySet,
    RiskRating,
    SampleSource,
    SampleStage,
    SamplingPlan,
    SamplingStrategy,
    SamplingStrategyQuerySet,
)

__all__ = [
    "DEFAULT_RATING",
    "MEETING_LIFECYCLE",
    "SAMPLE_LIFECYCLE",
    "STRATEGY_SETTINGS",
    "AssessorRiskRating",
    "AssessorRiskRatingQuerySet",
    "EqaPageView",
    "EqaPageViewQuerySet",
    "MeetingStatus",
    "PlannedSample",
    "PlannedSampleQuerySet",
    "RiskRating",
    "Sample",
    "SampleOutcome",
    "SampleOutcomeKind",
    "SampleOutcomeQuerySet",
    "SampleQuerySet",
    "SampleSource",
    "SampleStage",
    "SampleState",
    "SamplingPlan",
    "SamplingStrategy",
    "SamplingStrategyQuerySet",
    "StandardisationMeeting",
    "StandardisationMeetingQuerySet",
    "StandardisationOutcome",
    "VerifierSignOff",
    "VerifierSignOffQuerySet",
]
