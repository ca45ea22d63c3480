"""What the API answers, typed, so the OpenAPI schema describes each response exactly."""

from __future__ import annotations

import datetime

from ninja import Field, Schema

from accounts.models import Role
from portfolios.models import RegistrationStatus
from qualifications.models import QualificationStatus

# Ids and offsets are 64-bit in the database: larger is refused as bad input (422), not a crash.
MAX_ID = 2**63 - 1
MAX_LIMIT = 100


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
