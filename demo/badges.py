"""The demo's Open Badge: Grace Mitchell, who has finished her Ascentis Award, takes her
qualification's badge from her achievement record (demo/quality.py builds the record).

Issuing again returns the badge already issued, so a second run adds nothing. The README shows
how to download it and verify it with a library this project did not write.
"""

from __future__ import annotations

from typing import cast

from accounts.models import Centre
from assessments.badges import issue_badge
from assessments.models import AchievementKind, AchievementRecord, BuildStatus, RecordState
from assessments.models.badge import IssuedBadge
from demo.centres import CLAIMED, DemoCentre
from portfolios.models import Registration


def seed_badges(*, centre: Centre, demo: DemoCentre) -> IssuedBadge | None:
    grace = next(learner for learner in demo.finished if learner.story == CLAIMED)
    record = (
        AchievementRecord.objects.filter(
            centre=centre,
            kind=AchievementKind.FULL,
            status=BuildStatus.READY,
            state=RecordState.CURRENT,
            registration__learner__email=demo.learner_email(grace.name),
            registration__qualification__number=grace.qualification,
        )
        .select_related("registration__learner")
        .first()
    )
    if record is None:
        return None
    # A full record always has its registration (a database constraint).
    learner = cast(Registration, record.registration).learner
    badge, _issued = issue_badge(actor=learner, record=record)
    return badge
