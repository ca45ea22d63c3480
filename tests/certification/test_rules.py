"""certification.rules over every role, at the person's own centre and at another: who manages
claims (and releases holds) and who opens holds. The services refuse by the same predicates."""

from __future__ import annotations

import pytest
import rules
from django.contrib.auth.models import AnonymousUser

from accounts.models import Role
from certification import holds
from certification.models import ClaimError
from certification.rules import may_manage_claims, may_open_hold
from tests.certification.claim_cases import learner_on, make_centre
from tests.factories import CentreFactory, UserFactory, member

pytestmark = pytest.mark.django_db

# role: (manages claims, opens holds), at the role's own centre. Nobody acts at another centre.
TRUTH = {
    Role.CENTRE_ADMIN: (True, True),
    Role.INTERNAL_VERIFIER: (False, True),
    Role.ASSESSOR: (False, False),
    Role.LEARNER: (False, False),
    Role.EQA: (False, False),
}


@pytest.mark.parametrize("role", list(TRUTH))
def test_each_role_may_do_what_the_table_says_at_its_own_centre_only(role: str) -> None:
    own, other = CentreFactory(), CentreFactory()
    person = member(own, role)
    manages, opens = TRUTH[role]

    assert (may_manage_claims(person, own.pk), may_open_hold(person, own.pk)) == (manages, opens)
    assert rules.has_perm("certification.manage_claims", person, own.pk) is manages
    assert rules.has_perm("certification.open_hold", person, own.pk) is opens
    assert (may_manage_claims(person, other.pk), may_open_hold(person, other.pk)) == (
        False,
        False,
    )


def test_a_superuser_may_everywhere_and_nobody_may_without_a_centre() -> None:
    centre = CentreFactory()
    superuser = UserFactory(is_superuser=True)

    assert may_manage_claims(superuser, centre.pk)
    assert may_open_hold(superuser, centre.pk)
    admin = member(centre, Role.CENTRE_ADMIN)
    assert not may_manage_claims(admin, None)
    assert not may_open_hold(AnonymousUser(), centre.pk)


def test_an_assessor_is_refused_a_hold_by_the_service_as_by_the_rule(catalogue: None) -> None:
    where = make_centre()
    registration = learner_on(where)

    with pytest.raises(ClaimError, match="admins and internal verifiers"):
        holds.open_hold(actor=where.assessor, registration=registration, kind="appeal", reason="x")
    hold = holds.open_hold(actor=where.iv, registration=registration, kind="appeal", reason="y")
    with pytest.raises(ClaimError, match="Only the centre's admins release holds"):
        holds.release_hold(actor=where.iv, hold=hold, note="done")
