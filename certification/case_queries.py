"""Which cases a page lists, in the role the person works in now."""

from __future__ import annotations

from typing import Any

from accounts.models import Role
from certification.models import Case
from certification.models.cases import CaseQuerySet
from portfolios.models import Registration


def cases_for(user: Any, membership: Any) -> CaseQuerySet:
    """The cases the role worn now lists at its centre: an internal verifier every case there
    (the lead IV takes the first stage of any appeal); everyone else the cases of the
    registrations that role sees (the learner's own, an assessor's caseload, an EQA's grant,
    the admin's centre). Mirrors certification.rules.can_view_case for that role."""
    at_centre = Case.objects.filter(registration__centre_id=membership.centre_id)
    if membership.role == Role.INTERNAL_VERIFIER:
        return at_centre
    seen = Registration.objects.visible_to(user, roles=[membership.role])
    return at_centre.filter(registration__in=seen.values("pk"))


def verifiers_of(centre_id: int) -> Any:
    """The centre's current internal verifiers: who the policy may name as lead IV."""
    from accounts.models import Membership, User

    return User.objects.filter(
        pk__in=Membership.objects.current()
        .filter(centre_id=centre_id, role=Role.INTERNAL_VERIFIER)
        .values("user_id")
    ).order_by("full_name", "pk")
