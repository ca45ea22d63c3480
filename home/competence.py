"""The warnings a staff member sees about their own competence on their home page (issue 17)."""

from __future__ import annotations

from typing import Any

from accounts.competence import WARN_DAYS, competence_table
from accounts.models import Role
from portfolios.models import Registration
from qualifications.models import Qualification


def own_warnings(user: Any, membership: Any) -> list[str]:
    """For an assessor or IV at work: what lapses within WARN_DAYS, or has lapsed or is missing,
    for the qualifications of the learners they assess or verify. Three queries and the five of
    the check, whatever the caseload."""
    if membership is None or membership.role not in (Role.ASSESSOR, Role.INTERNAL_VERIFIER):
        return []
    mine = Registration.objects.filter(centre_id=membership.centre_id)
    mine = (
        mine.filter(assessors=user)
        if membership.role == Role.ASSESSOR
        else mine.filter(internal_verifier=user)
    )
    qualifications = list(
        Qualification.objects.filter(pk__in=mine.values("qualification_id"))
        .select_related("awarding_body")
        .order_by("number")
    )
    if not qualifications:
        return []
    rows = [
        row
        for row in competence_table(membership.centre_id, qualifications, people=[user.pk])
        if row.role == membership.role
    ]
    out = []
    for row in rows:
        for competence in row.competences:
            for item in competence.lapsing(WARN_DAYS):
                out.append(
                    f"Your {item.rule.lower()} for {competence.qualification.number} lapses on "
                    f"{item.until:%d %B %Y} ({item.source})."
                )
            if not competence.ok:
                out.append(competence.refusal())
    return out
