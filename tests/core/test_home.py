from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_everyone_is_offered_their_account_page(client: Client, user: User) -> None:
    client.force_login(user)

    html = client.get("/").content.decode()

    assert 'href="/accounts/password/change/"' in html
    assert "Site administration" not in html


def test_staff_are_led_to_site_administration(client: Client, staff_user: User) -> None:
    client.force_login(staff_user)

    html = client.get("/").content.decode()

    assert 'href="/admin/"' in html


def test_the_home_page_costs_a_fixed_number_of_queries(
    client: Client, django_assert_num_queries
) -> None:
    user = UserFactory()
    UserFactory.create_batch(20)
    client.force_login(user)

    # Session, user and the person's roles (for the header): nothing grows with the site.
    with django_assert_num_queries(3):
        assert client.get("/").status_code == 200


def test_unknown_pages_get_the_site_404(client: Client, user: User) -> None:
    client.force_login(user)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
