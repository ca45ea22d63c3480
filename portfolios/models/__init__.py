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
from portfolios.models.registration import (
    REGISTRATION_LIFECYCLE,
    Registration,
    RegistrationProgress,
    RegistrationQuerySet,
    RegistrationStatus,
    RegistrationUnit,
)
from portfolios.models.simulation import SimulationAgreement, SimulationCircumstance

__all__ = [
    "EVIDENCE_LIFECYCLE",
    "MINIMUM_PRACTICAL_PERIOD_DAYS",
    "NOT_REAL_WORK",
    "REGISTRATION_LIFECYCLE",
    "Apprenticeship",
    "CentreCombinationRule",
    "CreditTransfer",
    "CreditTransferQuerySet",
    "Declaration",
    "Evidence",
    "EvidenceContext",
    "EvidenceCriterion",
    "EvidenceFile",
    "EvidenceMethod",
    "EvidenceQuerySet",
    "EvidenceStatus",
    "FunctionalSkillRequirement",
    "FunctionalSkillStatus",
    "Registration",
    "RegistrationProgress",
    "RegistrationQuerySet",
    "RegistrationStatus",
    "RegistrationUnit",
    "RuleBasis",
    "SimulationAgreement",
    "SimulationCircumstance",
    "WitnessRequest",
    "evidence_upload_path",
]
