"""The API against its own OpenAPI 3.1 schema (schemathesis, in-process through the WSGI app):
generated requests, valid and invalid, with a centre's token. Every answer must be no server
error, match the schema for its status, and name no registration or person of another centre.

Kept short for CI (a few examples per operation and mode, deterministic)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.models import Role
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.api.conftest import make_token
from tests.factories import CentreFactory, member

EXAMPLES = 15
# Filled per run by the fixture: what a 200 may name.
SEEN: dict[str, Any] = {}


def _schema() -> Any:
    """The schema the API serves (test_the_schema_served_is_openapi_3_1 checks it is this one),
    called through the WSGI application in-process."""
    from api.v1 import api
    from config.wsgi import application

    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
    loaded.app = application
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=EXAMPLES,
        deterministic=True,
        database="none",
    )
    return loaded


@pytest.fixture
def _whole_requests_in_the_test_transaction() -> Iterator[None]:
    # As Django's own test client does: the WSGI handler would close the test's connection (and
    # its transaction) at the end of each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _register(centre: Any, admin: Any) -> Any:
    qualification = Qualification.objects.get(number="601/3456/2")
    centre.qualifications.add(qualification)
    return register_learner(
        actor=admin,
        learner=member(centre, Role.LEARNER),
        centre=centre,
        qualification=qualification,
        start_date=datetime.date(2026, 1, 5),
    )


@pytest.fixture
def centre_secret(db: None) -> str:
    own, other = CentreFactory(), CentreFactory()
    admin = member(own, Role.CENTRE_ADMIN)
    _register(own, admin)
    theirs = _register(other, member(other, Role.CENTRE_ADMIN))
    SEEN.update(own=own.pk, theirs=theirs.pk, their_learner=theirs.learner_id)
    return make_token(admin, centre=own)[1]


def _names_no_other_centre(response: Any) -> None:
    if response.status_code != 200:
        return
    body = response.json()
    items = body.get("items", [body])
    if "/people" in response.request.url:
        assert all(r["centre_id"] == SEEN["own"] for item in items for r in item["roles"]), body
        assert SEEN["their_learner"] not in {item["id"] for item in items}
        return
    if "/registrations" not in response.request.url:
        return
    assert all(item["centre"]["id"] == SEEN["own"] for item in items), body
    assert SEEN["theirs"] not in {item["id"] for item in items}


schema = _schema()


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
@override_settings(API_RATE_LIMIT_PER_MINUTE=1_000_000)
@pytest.mark.django_db
@pytest.mark.usefixtures("_whole_requests_in_the_test_transaction")
def test_the_api_answers_as_its_schema_says(case: Any, centre_secret: str) -> None:
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {centre_secret}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
    _names_no_other_centre(response)


@pytest.mark.django_db
def test_the_schema_served_is_openapi_3_1_and_the_one_tested(client: Any) -> None:
    from api.v1 import api

    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json()["openapi"] == "3.1.0"
    assert served.json() == json.loads(json.dumps(api.get_openapi_schema()))
