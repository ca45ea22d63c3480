"""A centre with one person in each role, for the centre admin's pages (people in accounts,
registrations in portfolios)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Centre, User
from tests.factories import CentreFactory, member


@dataclass
class World:
    centre: Centre
    admin: User
    learner: User
    assessor: User
    iv: User


def centre_world() -> World:
    centre = CentreFactory(name="Northgate Training")
    return World(
        centre=centre,
        admin=member(centre, "admin"),
        learner=member(centre, "learner", full_name="Lena Learner"),
        assessor=member(centre, "assessor", full_name="Arthur Assessor"),
        iv=member(centre, "iv", full_name="Ivy Verifier"),
    )
