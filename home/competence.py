"""The warnings a staff member sees about their own competence on their home page (issue 17)."""

from __future__ import annotations

from typing import Any

from accounts.competence import ACTING, ROLE_KIND, WARN_DAYS, competences_of
from qualifications.models import Qualification


def own_warnings(user: Any, membership: Any) -> list[str]:
    """For an assessor or IV at work: what lapses within WARN_DAYS, or has lapsed, for the
    qualifications the centre offers (as the admin's pages warn). Five queries (six for a
    trainee), whatever the number of qualifications or learners."""
    if membership is None or membership.role not in ROLE_KIND:
        return []
    qualifications = list(
        Qualification.objects.filter(centres__pk=membership.centre_id)
        .select_related("awarding_body")
        .order_by("number")
    )
    acting = ACTING[membership.role]
    out = []
    for competence in competences_of(user, membership.centre_id, qualifications, membership.role):
        number = competence.qualification.number
        for item in competence.lapsing(WARN_DAYS):
            out.append(
                f"Your {item.rule.lower()} to {acting} {number} lapses on "
                f"{item.until:%d %B %Y} ({item.source})."
            )
        if any(item.lapsed for item in competence.requirements):
            out.append(competence.refusal())
    return out
