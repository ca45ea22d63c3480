"""Registration.objects.visible_to lists each registration once without DISTINCT or a join.

Nearly every page loads its registration through it; under load (bench/load.py) DISTINCT over
the wide rows made PostgreSQL sort and compare every row a person may see. Who may see what is
checked by tests/test_access_truth_table.py; these tests keep the query's shape.
"""

from __future__ import annotations

import pytest

from accounts.models import Centre, Membership, Role
from portfolios.models import Registration
from tests.factories import CentreFactory, RegistrationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre() -> Centre:
    return CentreFactory()


def test_a_registration_shared_by_two_assessors_is_listed_once(centre: Centre) -> None:
    first, second = member(centre, Role.ASSESSOR), member(centre, Role.ASSESSOR)
    registration = RegistrationFactory(centre=centre, learner=member(centre, Role.LEARNER))
    registration.assessors.set([first, second])

    for assessor in (first, second):
        visible = Registration.objects.visible_to(assessor)
        assert list(visible) == [registration]
        assert visible.count() == 1


def test_someone_who_may_see_a_registration_several_ways_finds_it_once(centre: Centre) -> None:
    person = member(centre, Role.ASSESSOR)
    for role in (Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN):
        Membership.objects.create(user=person, centre=centre, role=role)
    registration = RegistrationFactory(
        centre=centre, learner=member(centre, Role.LEARNER), internal_verifier=person
    )
    registration.assessors.set([person, member(centre, Role.ASSESSOR)])

    assert list(Registration.objects.visible_to(person)) == [registration]


def test_the_query_has_no_distinct_and_does_not_join_the_assessors(centre: Centre) -> None:
    assessor = member(centre, Role.ASSESSOR)

    sql = str(Registration.objects.visible_to(assessor).query).upper()

    assert "DISTINCT" not in sql
    assert 'JOIN "PORTFOLIOS_REGISTRATION_ASSESSORS"' not in sql


def test_an_assessor_at_a_centre_no_longer_sees_its_registrations(centre: Centre) -> None:
    assessor = member(centre, Role.ASSESSOR)
    registration = RegistrationFactory(centre=centre, learner=member(centre, Role.LEARNER))
    registration.assessors.set([assessor])
    Membership.objects.filter(user=assessor).update(is_active=False)

    assert not Registration.objects.visible_to(assessor).exists()
