"""The API tokens page: make a token (its secret shown once), list, revoke; the usual rules."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from api.models import ApiToken
from api.scopes import Scope
from core.models import AuditEvent
from tests.api.conftest import call, make_token
from tests.factories import CentreFactory, member

pytestmark = pytest.mark.django_db


def _make(client: Client, **data: object) -> object:
    fields = {"name": "MIS export", "owner": "me", "scopes": [Scope.REGISTRATIONS_READ]}
    fields.update(data)
    return client.post(reverse("api:tokens"), fields)


def test_a_person_makes_their_own_token_and_sees_its_secret_once(client: Client) -> None:
    learner = member(CentreFactory(), Role.LEARNER)
    client.force_login(learner)
    response = _make(client)
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.user == learner
    assert token.centre is None
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert call("/registrations", secret).status_code == 200
    # The list shows its prefix, never the secret again.
    listing = client.get(reverse("api:tokens")).content.decode()
    assert token.prefix in listing
    assert secret not in listing


def test_an_admin_makes_a_token_for_their_centre_and_another_admin_revokes_it(
    client: Client,
) -> None:
    centre = CentreFactory(name="Northgate")
    maker, colleague = member(centre, Role.CENTRE_ADMIN), member(centre, Role.CENTRE_ADMIN)
    client.force_login(maker)
    assert _make(client, owner=str(centre.pk)).status_code == 200
    token = ApiToken.objects.get()
    assert token.centre == centre
    assert token.user is None
    client.force_login(colleague)
    assert "MIS export" in client.get(reverse("api:tokens")).content.decode()
    response = client.post(reverse("api:revoke", args=[token.pk]), follow=True)
    assert "is revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_by == colleague
    assert AuditEvent.objects.filter(action="api.token_revoked", centre_id=centre.pk).exists()


def test_a_learner_is_not_offered_a_centre_token_and_a_forged_choice_is_refused(
    client: Client,
) -> None:
    centre = CentreFactory()
    client.force_login(member(centre, Role.LEARNER))
    response = _make(client, owner=str(centre.pk))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_bad_input_says_what_is_wrong_and_keeps_what_was_typed(client: Client) -> None:
    client.force_login(member(CentreFactory(), Role.LEARNER))
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = _make(client, scopes=[], expires_on=yesterday.isoformat())
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required" in page
    assert "Choose a day after today" in page
    assert 'value="MIS export"' in page
    assert not ApiToken.objects.exists()


def test_nobody_revokes_another_persons_or_another_centres_token(client: Client) -> None:
    here, there = CentreFactory(), CentreFactory()
    someone = member(here, Role.LEARNER)
    personal, _ = make_token(someone)
    theirs, _ = make_token(member(there, Role.CENTRE_ADMIN), centre=there)
    client.force_login(member(here, Role.CENTRE_ADMIN))
    for token in (personal, theirs):
        assert client.post(reverse("api:revoke", args=[token.pk])).status_code == 404
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


def test_revoke_takes_post_only_and_signed_out_people_are_sent_to_sign_in(client: Client) -> None:
    token, _ = make_token(member(CentreFactory(), Role.LEARNER))
    assert client.get(reverse("api:revoke", args=[token.pk])).status_code == 405
    assert client.get(reverse("api:tokens")).status_code == 302


def test_the_page_reads_the_same_queries_for_one_token_or_six(
    client: Client, django_assert_num_queries
) -> None:
    centre = CentreFactory()
    admin = member(centre, Role.CENTRE_ADMIN)
    make_token(admin, centre=centre)
    client.force_login(admin)
    client.get(reverse("api:tokens"))

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("api:tokens")).status_code == 200
    for _ in range(5):
        make_token(admin, centre=centre)
        make_token(admin)
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("api:tokens"))


def test_the_docs_page_lists_every_operation_and_reads_no_database(
    client: Client, django_assert_num_queries
) -> None:
    from api.v1 import api

    paths = api.get_openapi_schema()["paths"]
    with django_assert_num_queries(0):
        response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    for path, methods in paths.items():
        for method in methods:
            assert f"{method.upper()} {path}</code>" in page
    # A write's body: the schema's name for JSON, the fields for the multipart upload.
    assert "application/json: RegisterIn" in page
    assert "multipart/form-data: title, description, evidence_date" in page
    assert "one of active, withdrawn, transferred, complete, claimed, certificated" in page
