"""The site's page middleware is passed over on an API call (config.middleware): a browser's
session cookie sent along costs the call no query, no EQA page log and no cookie back; the
security headers stay; the site's pages, the API's docs page among them, keep all of it."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role
from tests.api.conftest import make_token
from tests.factories import CentreFactory, member
from verification.models.eqa import EqaPageView

pytestmark = pytest.mark.django_db


def test_an_api_call_with_a_session_reads_nothing_of_it(django_assert_num_queries) -> None:
    centre = CentreFactory()
    admin = member(centre, Role.CENTRE_ADMIN)
    _, secret = make_token(admin, centre=centre)
    headers = {"Authorization": f"Bearer {secret}"}
    client = Client()
    client.force_login(admin)
    client.get("/api/v1/people", headers=headers)
    # token, roles, page, its roles, count: as without a session (the session, its user and
    # their roles would be three more, read by the page middleware).
    with django_assert_num_queries(5):
        response = client.get("/api/v1/people", headers=headers)
    assert response.status_code == 200
    assert not response.cookies  # no CSRF or session cookie set
    assert "Cookie" not in response.get("Vary", "")
    # The security headers are the site's, as on every page.
    assert "Content-Security-Policy" in response
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_eqa_calling_the_api_is_not_logged_as_opening_pages() -> None:
    centre = CentreFactory()
    eqa = member(centre, Role.EQA)
    admin = member(centre, Role.CENTRE_ADMIN)
    _, secret = make_token(admin, centre=centre)
    client = Client()
    client.force_login(eqa)
    client.get("/api/v1/people", headers={"Authorization": f"Bearer {secret}"})
    assert not EqaPageView.objects.exists()
    # A page of the site is logged as ever.
    client.get("/api/v1/docs")
    assert EqaPageView.objects.filter(path="/api/v1/docs").exists()
