"""Set-up shared by the verification tests: a centre with assessors, an IV and learners whose
work has been judged part-way (or completed)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from accounts.models import Centre, LearnerProfile, Role, User
from assessments.models import Decision
from portfolios.models import Registration, RegistrationStatus
from portfolios.services import change_status, register_learner
from qualifications.models import AssessmentCriterion, Qualification, Unit
from tests.factories import CentreFactory, member
from tests.support import clock
from verification.models import SamplingStrategy
from verification.services import save_strategy

IMI = "601/3456/2"
UNDERSTAND_CUSTOMERS = "F/506/2131"  # IMI CS 8, mandatory


@dataclass
class Centre_:
    centre: Centre
    qualification: Qualification
    admin: User
    iv: User
    assessors: list[User] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)


def make_centre(assessors: int = 2, **names: str) -> Centre_:
    centre = CentreFactory()
    imi = Qualification.objects.get(number=IMI)
    centre.qualifications.add(imi)
    made = Centre_(
        centre=centre,
        qualification=imi,
        admin=member(centre, Role.CENTRE_ADMIN),
        iv=member(centre, Role.INTERNAL_VERIFIER, full_name=names.get("iv", "Ivy Verifier")),
    )
    for number in range(assessors):
        made.assessors.append(
            member(centre, Role.ASSESSOR, full_name=f"Assessor {chr(ord('A') + number)}")
        )
    return made


def criteria(unit_key: str = UNDERSTAND_CUSTOMERS) -> list[AssessmentCriterion]:
    return list(Unit.objects.get(key=unit_key).criteria.order_by("position"))


def judge(
    registration: Registration,
    assessor: User,
    criterion: AssessmentCriterion,
    method: str = "observation",
) -> Decision:
    # Rows straight in: these tests are about sampling, not the assessor's rules.
    today = clock.today()
    return Decision.objects.create(
        registration=registration,
        criterion=criterion,
        outcome="met",
        method=method,
        assessed_on=today,
        assessor=assessor,
    )


def add_learner(
    made: Centre_,
    assessor: User,
    *,
    employer: str = "Kwik Fit",
    judged: int = 1,
    method: str = "observation",
    complete: bool = False,
    name: str = "",
) -> Registration:
    today = clock.today()
    learner = member(made.centre, Role.LEARNER, **({"full_name": name} if name else {}))
    LearnerProfile.objects.filter(user=learner).update(employer=employer)
    registration = register_learner(
        actor=made.admin,
        learner=learner,
        centre=made.centre,
        qualification=made.qualification,
        start_date=today - datetime.timedelta(days=100),
        planned_end_date=today + datetime.timedelta(days=100),
        assessors=[assessor],
        internal_verifier=made.iv,
    )
    for criterion in criteria()[:judged]:
        judge(registration, assessor, criterion, method)
    if complete:
        change_status(
            actor=made.admin, registration=registration, status=RegistrationStatus.COMPLETE
        )
    made.registrations.append(registration)
    return registration


def strategy_for(made: Centre_, **values: object) -> SamplingStrategy:
    return save_strategy(
        actor=made.iv, centre=made.centre, qualification=made.qualification, values=values
    )
