"""The API against its own OpenAPI 3.1 schema (schemathesis): generated requests, valid and
invalid, to every operation, reads and writes, with a centre's token and with a learner's own.
Every answer must be no server error, match the schema for its status, and name nobody and
nothing of another centre.

Twice: in-process through the WSGI application (every operation, both modes, a few examples
each), and against a live server, the schema loaded over HTTP from /api/v1/openapi.json as a
client would load it (fewer examples: the whole file stays well under a minute in CI).
Deterministic, so a failure comes back the same."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.models import Role
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.api.conftest import make_token
from tests.factories import CentreFactory, member
from tests.support.media import private_media

EXAMPLES = 8
LIVE_EXAMPLES = 3
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
# What a 2xx of ours may never contain: the other centre's markers (set per run).
THEIRS = {"centre": "Elsewhere Training Ltd", "name": "Zebedee Otherplace"}
SEEN: dict[str, Any] = {}
CHECKS = [not_a_server_error, response_schema_conformance]


def _schema() -> Any:
    """The schema the API serves (test_the_schema_served_is_openapi_3_1 checks it is this one),
    called through the WSGI application in-process."""
    from api.v1 import api
    from config.wsgi import application

    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
    loaded.app = application
    loaded.config.generation.update(
        modes=MODES, max_examples=EXAMPLES, deterministic=True, database="none"
    )
    return loaded


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    # The generated uploads are stored, and streamed, in this test's own folders.
    private_media(settings, tmp_path)


@pytest.fixture
def _whole_requests_in_the_test_transaction() -> Iterator[None]:
    # As Django's own test client does: the WSGI handler would close the test's connection (and
    # its transaction) at the end of each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _register(centre: Any, admin: Any, **learner: Any) -> Any:
    qualification = Qualification.objects.get(number="601/3456/2")
    centre.qualifications.add(qualification)
    return register_learner(
        actor=admin,
        learner=member(centre, Role.LEARNER, **learner),
        centre=centre,
        qualification=qualification,
        start_date=datetime.date(2026, 1, 5),
    )


def _secrets() -> dict[str, str]:
    """Two centres, and the tokens of the first: its admin's centre token and a learner's own."""
    own, other = CentreFactory(name="Own Centre"), CentreFactory(name=THEIRS["centre"])
    admin = member(own, Role.CENTRE_ADMIN)
    mine = _register(own, admin)
    _register(own, admin)
    theirs = _register(
        other, member(other, Role.CENTRE_ADMIN), full_name=THEIRS["name"], email="z@else.example"
    )
    SEEN.update(own=own.pk, theirs=theirs.pk)
    return {
        "centre": make_token(admin, centre=own)[1],
        "learner": make_token(mine.learner)[1],
    }


@pytest.fixture(params=["centre", "learner"])
def secret(request: pytest.FixtureRequest, db: None) -> str:
    return _secrets()[request.param]


def _names_no_other_centre(response: Any) -> None:
    if not 200 <= response.status_code < 300:
        return
    text = response.text
    assert THEIRS["centre"] not in text, text
    assert THEIRS["name"] not in text, text
    body = response.json()
    items = body.get("items", [body]) if isinstance(body, dict) else []
    for item in items:
        if "centre" in item and isinstance(item["centre"], dict):
            assert item["centre"]["id"] == SEEN["own"], body
        assert item.get("registration_id") != SEEN["theirs"], body
        if "/registrations" in response.request.url and "learner" in item:
            assert item["id"] != SEEN["theirs"], body


schema = _schema()


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
@override_settings(API_RATE_LIMIT_PER_MINUTE=1_000_000)
@pytest.mark.django_db
@pytest.mark.usefixtures("_whole_requests_in_the_test_transaction")
def test_the_api_answers_as_its_schema_says(case: Any, secret: str) -> None:
    response = case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)
    _names_no_other_centre(response)


@override_settings(API_RATE_LIMIT_PER_MINUTE=1_000_000)
@pytest.mark.django_db(transaction=True)
def test_a_live_server_answers_as_the_schema_it_serves_says(live_server: Any) -> None:
    """The CI's run against the live schema: loaded over HTTP, every operation, both modes."""
    secrets = _secrets()
    live = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    live.config.generation.update(deterministic=True, database="none")
    operations = [result.ok() for result in live.get_all_operations()]
    called = []

    def fuzz(operation: Any, mode: GenerationMode, secret: str) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=LIVE_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call_and_validate(
                headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS
            )
            called.append(response.status_code)
            _names_no_other_centre(response)

        run()

    for operation in operations:
        for mode in MODES:
            for secret in secrets.values():
                fuzz(operation, mode, secret)
    assert {operation.label for operation in operations} >= {
        "POST /api/v1/registrations",
        "POST /api/v1/registrations/{registration_id}/evidence",
        "POST /api/v1/registrations/{registration_id}/off-the-job",
        "GET /api/v1/registrations/{registration_id}/progress",
        "GET /api/v1/samples",
        "GET /api/v1/claims",
    }
    assert len(called) >= len(operations) * len(MODES) * len(secrets)


@pytest.mark.django_db
def test_the_schema_served_is_openapi_3_1_and_the_one_tested(client: Any) -> None:
    from api.v1 import api

    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json()["openapi"] == "3.1.0"
    assert served.json() == json.loads(json.dumps(api.get_openapi_schema()))
