"""Set-up for the claim tests: registrations built straight from rows (the sign-off services
are tested elsewhere), in any state a claim cares about."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import Centre, Role, User
from assessments.models import UnitSignOff
from portfolios.models import Registration, RegistrationStatus, RegistrationUnit
from qualifications.models import Qualification, Unit
from tests.factories import CentreFactory, member
from tests.support import clock
from verification.models import SampleStage
from verification.models.sample import Sample, VerifierSignOff

IMI = "601/3456/2"
PEARSON = "603/5449/5"
SFJ = "601/1109/4"  # certification ended 2023-03-31


@dataclass
class Centre_:
    centre: Centre
    admin: User
    iv: User
    assessor: User


def make_centre() -> Centre_:
    centre = CentreFactory()
    return Centre_(
        centre,
        member(centre, Role.CENTRE_ADMIN, full_name="Ada Admin"),
        member(centre, Role.INTERNAL_VERIFIER, full_name="Ivy Verifier"),
        member(centre, Role.ASSESSOR, full_name="Sam Assessor"),
    )


def units_of(number: str, count: int = 2) -> list[Unit]:
    return list(
        Unit.objects.filter(memberships__qualification__number=number).order_by(
            "memberships__position"
        )[:count]
    )


def _iv_sign(where: Centre_, registration: Registration, unit: Unit | None) -> None:
    sample = Sample.objects.create(
        registration=registration,
        unit=unit,
        stage=SampleStage.SUMMATIVE,
        verifier=where.iv,
        snapshot={"decisions": []},
        snapshot_hash="0" * 64,
    )
    VerifierSignOff.objects.create(
        registration=registration,
        unit=unit,
        sample=sample,
        verifier=where.iv,
        content_hash="0" * 64,
    )


def first_signed_on(today: datetime.date) -> datetime.date:
    """The day learner_on's assessor signs its first unit off: 60 days before `today`."""
    return today - datetime.timedelta(days=60)


def learner_on(
    where: Centre_,
    *,
    name: str = "Ana Lima",
    qualification: str = IMI,
    status: str = RegistrationStatus.COMPLETE,
    start: datetime.date | None = None,
    iv_signed: bool = True,
    signed_units: int = 2,
    iv_units: int = 0,
    number: str = "",
    uln: str = "1234567890",
) -> Registration:
    """A registration started `start` (20 weeks ago unless given) with `signed_units` units
    signed off by the assessor (60 days ago and the days after), the whole registration signed
    off by the IV if `iv_signed`, and the first `iv_units` units signed off by the IV on their
    own."""
    today = clock.today()
    signed_on = first_signed_on(today)
    learner = member(where.centre, Role.LEARNER, full_name=name)
    learner.learner_profiles.filter(centre=where.centre).update(uln=uln)
    registration = Registration.objects.create(
        learner=learner,
        centre=where.centre,
        qualification=Qualification.objects.get(number=qualification),
        awarding_body_number=number or f"R{learner.pk:06d}",
        start_date=start or today - datetime.timedelta(weeks=20),
        status=status,
        internal_verifier=where.iv,
    )
    for position, unit in enumerate(units_of(qualification, max(signed_units, iv_units, 2))):
        RegistrationUnit.objects.create(registration=registration, unit=unit)
        if position < signed_units:
            day = signed_on + datetime.timedelta(days=position)
            UnitSignOff.objects.create(
                registration=registration,
                unit=unit,
                signed_by=where.assessor,
                signed_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(12))),
                content_hash="0" * 64,
            )
        if position < iv_units:
            _iv_sign(where, registration, unit)
    if iv_signed:
        _iv_sign(where, registration, None)
    return registration
