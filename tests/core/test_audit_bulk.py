"""record_events: one state change applied to many rows, one chained event per row, written
in one statement, exactly as record_event would have written them one by one."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Centre
from core.audit import record_event, record_events, verify_chain
from core.models import AuditEvent
from tests.factories import CentreFactory, member
from tests.services import in_ci

AWKWARD = [
    {"z": 1, "a": [1, 2, None], "nested": {"b": True, "a": 1.5}},
    {"text": 'tab\there, line\nbreak, back\\slash, "quoted", carriage\rreturn'},
    {"name": "Léa Müller-O'Neil ✓"},
    {},
]


@pytest.mark.django_db
def test_events_recorded_together_chain_as_if_recorded_one_by_one() -> None:
    centre = CentreFactory()
    admin = member(centre, "centre_admin")
    record_event(actor=admin, action="centre.before", target=centre)
    before = AuditEvent.objects.order_by("-sequence").first()

    count = record_events(
        actor=admin,
        action="centre.touched",
        model=Centre,
        centre_id=centre.pk,
        items=[(centre.pk + n, data) for n, data in enumerate(AWKWARD)],
    )
    record_event(actor=admin, action="centre.after", target=centre)

    assert count == len(AWKWARD)
    events = list(AuditEvent.objects.filter(sequence__gt=before.sequence).order_by("sequence"))
    assert [e.sequence for e in events] == list(range(before.sequence + 1, before.sequence + 6))
    assert [e.data for e in events[:-1]] == AWKWARD
    assert [e.object_id for e in events[:-1]] == [str(centre.pk + n) for n in range(4)]
    assert {(e.action, e.actor_id, e.centre_id, e.object_type) for e in events[:-1]} == {
        ("centre.touched", admin.pk, centre.pk, "accounts.centre")
    }
    # Each hash is what AuditEvent computes from the stored row, after its predecessor's.
    previous = before.hash
    for event in events:
        assert event.previous_hash == previous
        assert event.hash == event.compute_hash()
        previous = event.hash
    assert verify_chain() == []


@pytest.mark.django_db
def test_events_recorded_together_cost_the_same_queries_for_2_or_60() -> None:
    def queries_for(size: int) -> int:
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            record_events(
                actor=None,
                action="centre.touched",
                model=Centre,
                centre_id=None,
                items=[(n, {"n": n}) for n in range(size)],
            )
        return len(queries.captured_queries)

    queries_for(1)  # the chain head is made by the first event of an empty chain
    # (60: one batch of bulk_create on SQLite, whose statements take 999 parameters at most.)
    assert queries_for(2) == queries_for(60)
    assert AuditEvent.objects.filter(action="centre.touched").count() == 63
    assert verify_chain() == []


@pytest.mark.django_db
def test_no_items_record_nothing() -> None:
    assert record_events(actor=None, action="x", model=Centre, centre_id=None, items=[]) == 0
    assert not AuditEvent.objects.filter(action="x").exists()


@pytest.mark.django_db(transaction=True, available_apps=["core"])
def test_recording_events_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match="inside the state change's transaction"):
        record_events(actor=None, action="x", model=Centre, centre_id=None, items=[(1, {})])


@pytest.mark.django_db
def test_the_hash_keeps_its_unique_index_and_no_prefix_index() -> None:
    if connection.vendor != "postgresql":
        if in_ci():
            pytest.fail("this index test must run on PostgreSQL in CI")
        pytest.skip("the LIKE index is PostgreSQL's (Django adds none on SQLite)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'core_auditevent' "
            "AND indexdef LIKE '%%(hash%%'"
        )
        found = [row[0] for row in cursor.fetchall()]
    assert len(found) == 1
    assert "UNIQUE" in found[0]
    assert "pattern_ops" not in found[0]
