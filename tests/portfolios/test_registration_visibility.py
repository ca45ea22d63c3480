"""Registration.objects.visible_to lists each registration once without DISTINCT or a join.

Nearly every page loads its registration through it; under load (bench/load.py) DISTINCT over
the wide rows made PostgreSQL sort and compare every row a person may see. Who may see what is
checked by tests/test_access_truth_table.py; these tests keep the query's shape.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.access import centre_ids, remember_current_roles
from accounts.models import Centre, Membership, Role, User
from portfolios.models import Registration
from tests.factories import CentreFactory, RegistrationFactory, member

# The factories pick catalogue qualifications; a transactional test run earlier in the same
# worker may have emptied the tables, so ask for the catalogue.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]


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


# ------------------------------------------------------- roles loaded once for the request


def remembered(user: User) -> User:
    fresh = User.objects.get(pk=user.pk)
    remember_current_roles(fresh, Membership.objects.current().filter(user=fresh))
    return fresh


def test_with_the_roles_remembered_the_query_names_the_centres_not_the_memberships(
    centre: Centre,
) -> None:
    assessor = member(centre, Role.ASSESSOR)

    sql = str(Registration.objects.visible_to(remembered(assessor)).query)

    assert "accounts_membership" not in sql
    assert "accounts_membership" in str(Registration.objects.visible_to(assessor).query)


def test_with_the_roles_remembered_a_learner_sees_only_their_own(centre: Centre) -> None:
    learner = member(centre, Role.LEARNER)
    own = RegistrationFactory(centre=centre, learner=learner)
    RegistrationFactory(centre=centre, learner=member(centre, Role.LEARNER))

    visible = Registration.objects.visible_to(remembered(learner))

    assert list(visible) == [own]
    # Only the learner's own branch: no role of staff to resolve.
    assert " OR " not in str(visible.query)


def test_without_a_role_at_all_the_query_keeps_its_shape(centre: Centre) -> None:
    nobody = User.objects.create_user(email="nobody@example.com", password=None)

    assert centre_ids(remembered(nobody), Role.CENTRE_ADMIN).model is Membership


def test_a_page_loads_its_registration_without_a_membership_subquery(
    client: Client, centre: Centre
) -> None:
    assessor = member(centre, Role.ASSESSOR)
    registration = RegistrationFactory(centre=centre, learner=member(centre, Role.LEARNER))
    registration.assessors.set([assessor])
    client.force_login(assessor)

    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/portfolio/registrations/{registration.pk}/").status_code == 200

    loading = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "portfolios_registration"."id"')
        and f'"portfolios_registration"."id" = {registration.pk}' in q["sql"]
    ]
    assert loading
    assert all("accounts_membership" not in sql for sql in loading)
