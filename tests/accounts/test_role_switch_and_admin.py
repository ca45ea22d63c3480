from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role
from tests.factories import CentreFactory, MembershipFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def test_one_login_with_two_roles_switches_between_them_in_the_header(client: Client) -> None:
    centre = CentreFactory(name="Northgate")
    person = member(centre, Role.ASSESSOR, full_name="Dana Reid")
    iv = MembershipFactory(user=person, centre=centre, role=Role.INTERNAL_VERIFIER)
    client.force_login(person)

    first = client.get("/").content.decode()
    # The broadest role comes first: internal verifier before assessor.
    assert "internal verifier at Northgate" in first
    assert 'name="membership"' in first

    assessor = person.memberships.get(role=Role.ASSESSOR)
    response = client.post("/accounts/role/", {"membership": assessor.pk})
    assert response.status_code == 302
    assert "assessor at Northgate" in client.get("/").content.decode()

    client.post("/accounts/role/", {"membership": iv.pk})
    assert "internal verifier at Northgate" in client.get("/").content.decode()


def test_nobody_can_switch_into_someone_elses_role(client: Client) -> None:
    centre = CentreFactory()
    person = member(centre, Role.LEARNER)
    admin = member(centre, Role.CENTRE_ADMIN)
    client.force_login(person)

    stolen = admin.memberships.get().pk
    assert client.post("/accounts/role/", {"membership": stolen}).status_code == 400
    assert client.post("/accounts/role/", {"membership": "x"}).status_code == 400
    assert client.get("/accounts/role/").status_code == 405
    assert "learner at" in client.get("/").content.decode()


def test_a_person_with_one_role_sees_no_switcher(client: Client) -> None:
    client.force_login(member(CentreFactory(), Role.LEARNER))

    assert 'name="membership"' not in client.get("/").content.decode()


def test_the_django_admin_is_for_superusers_only(client: Client) -> None:
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/").status_code == 302

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/membership/").status_code == 200
