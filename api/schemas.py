"""What the API answers, typed, so the OpenAPI schema describes each response exactly."""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Field
from ninja import Schema as NinjaSchema
from ninja.schema import DjangoGetter
from pydantic import ModelWrapValidatorHandler, ValidationInfo, model_validator

from accounts.models import Role
from assessments.models import Outcome, ValidationOutcome
from certification.models import BatchState
from portfolios.models import (
    EvidenceContext,
    EvidenceMethod,
    EvidenceStatus,
    OffTheJobKind,
    OffTheJobStatus,
    RegistrationStatus,
)
from portfolios.progress import CriterionState
from qualifications.models import QualificationStatus
from verification.models.sample import SampleOutcomeKind, SampleState
from verification.models.strategy import SampleStage

# Ids and offsets are 64-bit in the database: larger is refused as bad input (422), not a crash.
MAX_ID = 2**63 - 1
MAX_LIMIT = 100


class Schema(NinjaSchema):
    """django-ninja's Schema, validating a dict as pydantic does.

    Every answer is validated against its schema, and ninja wraps each object met on the way
    (the page, each item, each nested object) in a DjangoGetter, so that a model instance's
    managers, querysets and file fields read as lists and URLs. The views answer dicts of plain
    values already shaped, for which the getter only looks the key up again: on a page of 25
    people it was most of the 3 ms the check took. A dict is validated as it is (the same
    fields, defaults and errors); anything else goes through the getter as before."""

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        if type(values) is dict:
            return handler(values)
        # ninja's own (ninja.schema.Schema): none of the API's schemas forbids extra fields
        # or validates assignment, the cases it first validates the object as it is.
        return handler(DjangoGetter(values, cls, info.context))


class Error(Schema):
    detail: str = Field(description="What went wrong, in words.")


class Page(Schema):
    count: int = Field(description="How many match, over all pages.")
    limit: int
    offset: int


class Paging(Schema):
    limit: int = Field(25, ge=1, le=MAX_LIMIT, description="At most this many items.")
    offset: int = Field(0, ge=0, le=MAX_ID, description="Skip this many first.")


# ---------------------------------------------------------------- catalogue


class QualificationFilters(Paging):
    awarding_body: str | None = Field(None, max_length=20, description="Awarding body code.")
    level: str | None = Field(None, max_length=2, description="E1, E2, E3, 1 ... 8.")
    status: QualificationStatus | None = None


class QualificationOut(Schema):
    id: int
    number: str = Field(description="Ofqual number, as 601/3456/2.")
    title: str
    level: str
    awarding_body: str = Field(description="Awarding body code.")
    qualification_type: str
    credit_value: int | None
    glh: int | None
    tqt: int | None
    status: QualificationStatus
    unit_count: int


class QualificationPage(Page):
    items: list[QualificationOut]


class UnitInQualification(Schema):
    id: int
    key: str
    reference: str
    title: str
    level: str
    credit: int | None
    glh: int | None
    group: str = Field(description="The rule group's code (mandatory or optional group).")
    mandatory: bool


class QualificationDetail(QualificationOut):
    units: list[UnitInQualification]


class CriterionOut(Schema):
    id: int
    number: str
    text: str


class OutcomeOut(Schema):
    number: str
    text: str
    criteria: list[CriterionOut]


class UnitDetail(Schema):
    id: int
    key: str
    reference: str
    title: str
    level: str
    credit: int | None
    glh: int | None
    outcomes: list[OutcomeOut]


# ---------------------------------------------------------------- registrations


class RegistrationFilters(Paging):
    qualification: int | None = Field(None, ge=1, le=MAX_ID, description="Qualification id.")
    status: RegistrationStatus | None = None


class PersonRef(Schema):
    id: int
    full_name: str


class CentreRef(Schema):
    id: int
    name: str
    number: str


class QualificationRef(Schema):
    id: int
    number: str
    title: str


class ProgressOut(Schema):
    criteria_required: int
    criteria_met: int
    units_signed_off: int
    evidence_waiting: int
    behind: bool = Field(description="Behind the planned pace today.")


class RegistrationOut(Schema):
    id: int
    learner: PersonRef
    centre: CentreRef
    qualification: QualificationRef
    status: RegistrationStatus
    start_date: datetime.date
    planned_end_date: datetime.date | None
    progress: ProgressOut | None = Field(description="Null until first counted.")


class RegistrationPage(Page):
    items: list[RegistrationOut]


class ChosenUnit(Schema):
    id: int
    key: str
    reference: str
    title: str


class RegistrationDetail(RegistrationOut):
    units: list[ChosenUnit] = Field(description="The units the learner takes.")


# ---------------------------------------------------------------- people


class PeopleFilters(Paging):
    role: Role | None = Field(None, description="Only people holding this role now.")


class RoleOut(Schema):
    centre_id: int
    role: Role


class PersonOut(Schema):
    id: int
    full_name: str
    email: str
    roles: list[RoleOut] = Field(description="Their current roles the token may see.")


class PeoplePage(Page):
    items: list[PersonOut]


# ---------------------------------------------------------------- progress and decisions


class CriterionProgress(Schema):
    id: int
    number: str
    outcome: str = Field(description="The learning outcome's number.")
    state: CriterionState = Field(
        description="As the portfolio page shows it to the token's caller: a learner sees "
        "awaiting_validation where a decision waits for the internal verifier."
    )


class UnitProgress(Schema):
    id: int
    key: str
    label: str = Field(description="The awarding body's code for it here, else its reference.")
    title: str
    mandatory: bool
    credited: bool = Field(description="Credited by transfer: achieved, not counted below.")
    criteria_total: int
    criteria_met: int
    states: dict[str, int] = Field(description="How many criteria are in each state.")
    criteria: list[CriterionProgress]


class PortfolioProgress(Schema):
    registration_id: int
    criteria_total: int = Field(description="Over the units not credited, as the page counts.")
    criteria_met: int
    met_percent: int
    states: dict[str, int]
    units: list[UnitProgress]


class DecisionFilters(Paging):
    current: bool | None = Field(
        None, description="true: current decisions only; false: superseded ones only."
    )


class DecisionOut(Schema):
    id: int
    criterion_id: int
    criterion_number: str
    unit_id: int
    outcome: Outcome | None = Field(
        description="Null where the decision waits for the internal verifier and the token's "
        "caller is the learner (it is not released to them yet)."
    )
    released: bool = Field(description="Whether the learner may see it yet.")
    feedback: str | None = Field(description="Null while withheld from the learner.")
    method: EvidenceMethod
    assessed_on: datetime.date
    decided_at: datetime.datetime
    assessor: PersonRef
    current: bool = Field(description="False once a later decision superseded it.")
    supersedes: int | None = Field(description="The decision it corrected.")
    reason: str | None = Field(description="Why it corrected an earlier one; null if withheld.")
    validation: ValidationOutcome | None = Field(
        description="The internal verifier's validation, if any (staff only)."
    )


class DecisionPage(Page):
    items: list[DecisionOut]


# ---------------------------------------------------------------- samples and claims


class SampleFilters(Paging):
    registration: int | None = Field(None, ge=1, le=MAX_ID, description="Registration id.")
    state: SampleState | None = None


class SampleOutcomeOut(Schema):
    outcome: SampleOutcomeKind
    decided_at: datetime.datetime
    decided_by: PersonRef
    actions: str
    deadline: datetime.date | None
    feedback: str


class SampleOut(Schema):
    id: int
    registration_id: int
    unit_id: int | None = Field(description="Null: the whole portfolio was sampled.")
    stage: SampleStage
    state: SampleState
    verifier: PersonRef
    started_at: datetime.datetime
    outcomes: list[SampleOutcomeOut] = Field(description="Oldest first; never changed.")


class SamplePage(Page):
    items: list[SampleOut]


class ClaimFilters(Paging):
    registration: int | None = Field(None, ge=1, le=MAX_ID, description="Registration id.")
    live: bool | None = Field(None, description="true: not removed from its batch.")


class ClaimOut(Schema):
    id: int
    batch_id: int
    batch_state: BatchState
    awarding_body: str
    registration_id: int
    unit_id: int | None = Field(description="Null: the whole qualification is claimed.")
    result: str
    achievement_date: datetime.date
    added_at: datetime.datetime
    removed_at: datetime.datetime | None
    certificate_number: str
    certificate_received_on: datetime.date | None


class ClaimPage(Page):
    items: list[ClaimOut]


# ---------------------------------------------------------------- writes


class RegisterIn(Schema):
    """The register page's form, as JSON: a learner here (`learner`) or a new one (`new_*`)."""

    learner: int | None = Field(None, ge=1, le=MAX_ID, description="A learner at the centre.")
    new_full_name: str = Field("", max_length=150)
    new_email: str = Field("", max_length=254, description="The invitation goes here.")
    new_date_of_birth: datetime.date | None = None
    qualification: int = Field(..., ge=1, le=MAX_ID, description="A qualification offered.")
    start_date: datetime.date
    planned_end_date: datetime.date | None = None
    awarding_body_number: str = Field("", max_length=50)
    units: list[str] = Field(default_factory=list, max_length=200, description="Unit keys.")
    assessors: list[int] = Field(default_factory=list, max_length=50)
    internal_verifier: int | None = Field(None, ge=1, le=MAX_ID)
    centre: int | None = Field(
        None, ge=1, le=MAX_ID, description="Needed with a personal token only."
    )


class RegisterOut(Schema):
    outcome: str = Field(
        description="registered: known here, registered now; invited: an invitation was sent "
        "and carries the registration, made when they accept."
    )
    registration: RegistrationOut | None
    invitation_id: int | None
    email: str
    full_name: str


class FileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    duplicate_of_evidence: int | None = Field(
        description="The same bytes are already in the portfolio, in this evidence."
    )


class EvidenceOut(Schema):
    id: int
    registration_id: int
    title: str
    status: EvidenceStatus
    evidence_date: datetime.date
    method: EvidenceMethod
    context: EvidenceContext
    files: list[FileOut]


class OffTheJobIn(Schema):
    date: datetime.date
    hours: str = Field(
        ...,
        max_length=6,
        pattern=r"^[0-9]{1,2}(\.[0-9]{1,2})?$",
        description="Hours as a decimal, 0.25 to 24, in quarters: 1.5 for an hour and a half.",
    )
    kind: OffTheJobKind
    description: str = Field(..., max_length=2_000)
    statements: list[int] = Field(default_factory=list, max_length=200, description="KSB ids.")
    evidence: int | None = Field(None, ge=1, le=MAX_ID)


class OffTheJobOut(Schema):
    id: int
    registration_id: int
    date: datetime.date
    hours: str
    kind: OffTheJobKind
    description: str
    status: OffTheJobStatus
    statements: list[int]
    evidence: int | None
