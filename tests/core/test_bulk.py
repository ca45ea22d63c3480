"""Writing many rows in one statement (core.bulk) and `field__any` (core.lookups)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, User
from core.bulk import copy_value, insert_rows
from core.models import AuditEvent
from portfolios.models import RegistrationStatus
from tests.factories import CentreFactory, member


def test_copy_text_escapes_what_would_end_a_field_or_a_row() -> None:
    assert copy_value("a\tb\nc\\d\re") == "a\\tb\\nc\\\\d\\re"
    assert copy_value(None) == r"\N"
    assert copy_value(None, True) == r"\N"
    assert copy_value(True) == "t"
    assert copy_value(12) == "12"
    assert copy_value(date(2026, 1, 2)) == "2026-01-02"
    assert copy_value({"note": "line\nbreak"}, True) == '{"note": "line\\\\nbreak"}'
    assert copy_value(RegistrationStatus.COMPLETE) == "complete"


@pytest.mark.django_db
def test_inserted_rows_get_their_ids_in_the_order_given_and_defaults_for_the_rest() -> None:
    # Audit events as plain rows: a table with JSON, a nullable key and defaults to fill.
    data = [{"n": 1, "text": "tab\there"}, {"n": 2, "list": [1, None]}, {}]
    pks = insert_rows(
        AuditEvent,
        ("sequence", "action", "object_type", "object_id", "data", "previous_hash", "hash"),
        [
            [10_001, 10_002, 10_003],
            ["bulk.one", "bulk.two", "bulk.three"],
            ["core.auditevent"] * 3,
            ["1", "2", "3"],
            [json.dumps(d) for d in data],
            ["p"] * 3,
            ["h1", "h2", "h3"],
        ],
    )

    assert pks == sorted(pks)
    rows = {e.pk: e for e in AuditEvent.objects.filter(pk__in=pks)}
    assert [rows[pk].action for pk in pks] == ["bulk.one", "bulk.two", "bulk.three"]
    assert [rows[pk].data for pk in pks] == data
    assert all(rows[pk].actor_id is None and rows[pk].occurred_at for pk in pks)
    assert insert_rows(AuditEvent, ("sequence",), [[]]) == []


@pytest.mark.django_db
def test_any_finds_what_in_finds_with_one_parameter_for_the_list() -> None:
    centre = CentreFactory()
    people = [member(centre, "learner") for _ in range(3)]
    wanted = {people[0].pk, people[2].pk, 10**9}

    with CaptureQueriesContext(connection) as queries:
        found = set(User.objects.filter(pk__any=wanted).values_list("pk", flat=True))
        by_relation = set(
            Membership.objects.filter(user_id__any=wanted).values_list("user_id", flat=True)
        )
    assert found == {people[0].pk, people[2].pk}
    assert by_relation == found
    assert set(User.objects.filter(pk__any=set()).values_list("pk", flat=True)) == set()
    if connection.vendor == "postgresql":
        assert all("= ANY(" in q["sql"] for q in queries.captured_queries)
