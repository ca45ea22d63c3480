"""The demo's portfolio transfer (issue 20): Jamal Okafor "moves" from Northgate Training Centre
to Southfield College (seed_demo --second-centre). Southfield takes him on as a learner, and his
Northgate portfolio is exported as the ZIP he would download himself, signed by Northgate; a
newcomer imports it as Southfield's centre admin on /centre/transfer/ (or `--import` does).

Run again, it writes a fresh export and takes nobody on twice; --import again brings in only
what is new at Northgate since (a newer export of the same portfolio), or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from accounts.models import Centre, LearnerProfile, Membership, Role, User
from accounts.services import learner_profile_update, role_grant
from assessments.transfer import ImportResult, NothingNew, import_portfolio
from demo.centres import NORTHGATE, SOUTHFIELD
from portfolios.export import portfolio_zip
from portfolios.models import Registration, RegistrationStatus

MOVER = "Jamal Okafor"


class DemoTransferError(Exception):
    """The demo cannot be set up as it stands; the message says what to run first."""


@dataclass(frozen=True)
class DemoTransfer:
    learner: User
    southfield: Centre
    admin: User
    archive: Path


def prepare_transfer(*, folder: Path) -> DemoTransfer:
    """Take the mover on at Southfield and write his Northgate portfolio's ZIP into `folder`."""
    northgate = Centre.objects.filter(number=NORTHGATE.number).first()
    southfield = Centre.objects.filter(number=SOUTHFIELD.number).first()
    if northgate is None or southfield is None:
        raise DemoTransferError(
            "Seed both demo centres first: python manage.py seed_demo --second-centre"
        )
    email = NORTHGATE.learner_email(MOVER)
    registration = (
        Registration.objects.filter(
            centre=northgate, learner__email=email, status=RegistrationStatus.ACTIVE
        )
        .select_related("learner")
        .order_by("pk")
        .first()
    )
    admin = User.objects.filter(email=SOUTHFIELD.centre_admin.email).first()
    if registration is None or admin is None:
        raise DemoTransferError(f"{MOVER} or Southfield's admin is missing: seed the demo again.")
    learner = registration.learner
    if (
        not Membership.objects.current()
        .filter(user=learner, centre=southfield, role=Role.LEARNER)
        .exists()
    ):
        role_grant(actor=admin, user=learner, centre=southfield, role=Role.LEARNER)
        # He tells his new centre his date of birth (his qualification has a minimum age):
        # copied here as the demo's stand-in for Southfield's own enrolment form.
        earlier = LearnerProfile.objects.at(northgate).filter(user=learner).first()
        if earlier is not None and earlier.date_of_birth:
            learner_profile_update(
                actor=admin, user=learner, centre=southfield, date_of_birth=earlier.date_of_birth
            )
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / f"portfolio-{learner.email.split('@')[0].replace('.', '-')}.zip"
    with archive.open("wb") as out:
        for chunk in portfolio_zip(registration.pk):
            out.write(chunk)
    return DemoTransfer(learner, southfield, admin, archive)


def import_demo_transfer(demo: DemoTransfer) -> ImportResult | None:
    """Import the export at Southfield as its admin. Run again after more work at Northgate,
    only what is new comes (a newer export); None when nothing is new."""
    try:
        return import_portfolio(
            actor=demo.admin,
            centre=demo.southfield,
            archive=demo.archive,
            email=demo.learner.email,
        )
    except NothingNew:
        return None
