"""Registrations on qualifications, and the evidence in their portfolios.

One module per part of the app; every model is importable from `portfolios.models`."""

from portfolios.models.apprenticeship import (
    MINIMUM_PRACTICAL_PERIOD_DAYS,
    Apprenticeship,
    FunctionalSkillRequirement,
    FunctionalSkillStatus,
)
from portfolios.models.combination import CentreCombinationRule, RuleBasis
from portfolios.models.credit import CreditTransfer, CreditTransferQuerySet
from portfolios.models.evidence import (
    EVIDENCE_LIFECYCLE,
    NOT_REAL_WORK,
    Declaration,
    Evidence,
    EvidenceContext,
    EvidenceCriterion,
    EvidenceFile,
    EvidenceMethod,
    EvidenceQuerySet,
    EvidenceStatus,
    WitnessRequest,
    evidence_upload_path,
)
from portfolios.models.gateway import (
    EndPointGrade,
    EndPointResult,
    GatewayGap,
    GatewayParty,
    GatewaySignature,
)
from portfolios.models.off_the_job import (
    MAX_HOURS_PER_DAY,
    OFF_THE_JOB_LIFECYCLE,
    OffTheJobActivity,
    OffTheJobKind,
    OffTheJobStatus,
)
from portfolios.models.registration import (
    REGISTRATION_LIFECYCLE,
    Registration,
    RegistrationProgress,
    RegistrationQuerySet,
    RegistrationStatus,
    RegistrationUnit,
)
from portfolios.models.review import (
    DEFAULT_REVIEW_INTERVAL_WEEKS,
    MAX_REVIEW_INTERVAL_WEEKS,
    REVIEW_LIFECYCLE,
    REVIEW_PDF_LIFECYCLE,
    ProgressReview,
    ProgressReviewQuerySet,
    ReviewPdfStatus,
    ReviewSchedule,
    ReviewSignature,
    ReviewSignatureLink,
    ReviewStatus,
    SignerRole,
)
from portfolios.models.simulation import SimulationAgreement, SimulationCircumstance
from portfolios.models.transfer import (
    PortfolioTransfer,
    PortfolioTransferQuerySet,
    PriorDecision,
)

__all__ = [
    "DEFAULT_REVIEW_INTERVAL_WEEKS",
    "EVIDENCE_LIFECYCLE",
    "MAX_HOURS_PER_DAY",
    "MAX_REVIEW_INTERVAL_WEEKS",
    "MINIMUM_PRACTICAL_PERIOD_DAYS",
    "NOT_REAL_WORK",
    "OFF_THE_JOB_LIFECYCLE",
    "REGISTRATION_LIFECYCLE",
    "REVIEW_LIFECYCLE",
    "REVIEW_PDF_LIFECYCLE",
    "Apprenticeship",
    "CentreCombinationRule",
    "CreditTransfer",
    "CreditTransferQuerySet",
    "Declaration",
    "EndPointGrade",
    "EndPointResult",
    "Evidence",
    "EvidenceContext",
    "EvidenceCriterion",
    "EvidenceFile",
    "EvidenceMethod",
    "EvidenceQuerySet",
    "EvidenceStatus",
    "FunctionalSkillRequirement",
    "FunctionalSkillStatus",
    "GatewayGap",
    "GatewayParty",
    "GatewaySignature",
    "OffTheJobActivity",
    "OffTheJobKind",
    "OffTheJobStatus",
    "PortfolioTransfer",
    "PortfolioTransferQuerySet",
    "PriorDecision",
    "ProgressReview",
    "ProgressReviewQuerySet",
    "Registration",
    "RegistrationProgress",
    "RegistrationQuerySet",
    "RegistrationStatus",
    "RegistrationUnit",
    "ReviewPdfStatus",
    "ReviewSchedule",
    "ReviewSignature",
    "ReviewSignatureLink",
    "ReviewStatus",
    "RuleBasis",
    "SignerRole",
    "SimulationAgreement",
    "SimulationCircumstance",
    "WitnessRequest",
    "evidence_upload_path",
]
