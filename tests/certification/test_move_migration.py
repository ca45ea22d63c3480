"""The claim models moved from verification to certification with their rows.

Run for real: the database goes back to where verification last held the claim models
(verification 0007, no certification at all), a claim's rows and its audit events are made
there with the historical models, and the migrations run forward: every row, foreign key and
content type arrives under certification, the history written before the move is still found
for the moved objects, and the audit chain still verifies.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from certification import claims, holds
from certification.models import BatchState, ClaimBatch, ClaimHold, ClaimLine, HoldKind
from core.audit import record_event, verify
from core.models import AuditEvent
from portfolios.models import RegistrationStatus
from tests.certification.claim_cases import learner_on, make_centre, units_of
from tests.conftest import ensure_catalogue

BEFORE = [("verification", "0007_sample_referred_index"), ("certification", None)]
MOVED = ("claimbatch", "claimhold", "claimline")

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets: list[tuple[str, str | None]]) -> Any:
    """Migrate to `targets`; the historical apps registry as it stands there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(list(executor.loader.applied_migrations)).apps


def _forward() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture(autouse=True)
def storage(settings: Any, tmp_path: Path) -> Path:
    # Its own storage: checkpoint files another test left would be this chain's "truncation".
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def old_apps() -> Iterator[Any]:
    ensure_catalogue()
    apps = _migrate(BEFORE)
    try:
        yield apps
    finally:
        _forward()


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def _constraints(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def test_a_claim_made_before_the_move_arrives_whole_with_its_history(old_apps: Any) -> None:
    # As a database at the pre-move schema has them: verification's tables and content types.
    assert {f"verification_{m}" for m in MOVED} <= _tables()
    assert not {f"certification_{m}" for m in MOVED} & _tables()
    old_types = {
        ct.model: ct.pk
        for ct in ContentType.objects.filter(app_label="verification", model__in=MOVED)
    }
    assert set(old_types) == set(MOVED)
    # (Models certification gained after the move, its cases and RetentionPeriod, keep their
    # content types.)
    assert not ContentType.objects.filter(app_label="certification", model__in=MOVED).exists()
    permissions = set(
        Permission.objects.filter(content_type_id__in=old_types.values()).values_list(
            "pk", "codename", "content_type_id"
        )
    )
    assert len(permissions) == 4 * len(MOVED)  # add, change, delete, view

    where = make_centre()
    full = learner_on(where, name="Fay Full")
    leaver = learner_on(
        where, name="Lee Leaver", status=RegistrationStatus.WITHDRAWN, iv_signed=False
    )
    held = learner_on(where, name="Hal Held")
    first, second = units_of("601/3456/2")
    Batch = old_apps.get_model("verification", "ClaimBatch")
    Line = old_apps.get_model("verification", "ClaimLine")
    Hold = old_apps.get_model("verification", "ClaimHold")
    assert Batch._meta.label_lower == "verification.claimbatch"
    exported_at = datetime.datetime(2026, 11, 2, 10, tzinfo=datetime.UTC)
    with transaction.atomic():
        batch = Batch.objects.create(
            centre_id=where.centre.pk,
            awarding_body_id=full.qualification.awarding_body_id,
            state=BatchState.EXPORTED,
            created_by_id=where.admin.pk,
            exported_by_id=where.admin.pk,
            exported_at=exported_at,
        )
        created = record_event(
            actor=where.admin, action="claim.batch_created", target=batch, centre_id=batch.centre_id
        )
        full_line = Line.objects.create(
            batch=batch,
            registration_id=full.pk,
            unit_references=["F/506/2131", "J/506/2132"],
            achievement_date=datetime.date(2026, 10, 1),
            added_by_id=where.admin.pk,
            centre_number=where.centre.number,
            registration_number=full.awarding_body_number,
            uln="1234567890",
            learner_name="Fay Full",
            date_of_birth=datetime.date(2001, 5, 6),
            qualification_number="601/3456/2",
        )
        unit_line = Line.objects.create(
            batch=batch,
            registration_id=leaver.pk,
            unit_id=first.pk,
            unit_references=[first.reference or first.key],
            achievement_date=datetime.date(2026, 10, 2),
            added_by_id=where.admin.pk,
        )
        removed_line = Line.objects.create(
            batch=batch,
            registration_id=leaver.pk,
            unit_id=second.pk,
            unit_references=[second.reference or second.key],
            achievement_date=datetime.date(2026, 10, 3),
            added_by_id=where.admin.pk,
            removed_by_id=where.admin.pk,
            removed_at=exported_at - datetime.timedelta(days=1),
        )
        for line in (full_line, unit_line, removed_line):
            record_event(
                actor=where.admin,
                action="claim.line_added",
                target=line,
                centre_id=batch.centre_id,
                data={"batch": batch.pk},
            )
        exported = record_event(
            actor=where.admin,
            action="claim.batch_exported",
            target=batch,
            centre_id=batch.centre_id,
        )
        # The export's checkpoint, as export_batch stores it.
        Batch.objects.filter(pk=batch.pk).update(
            exported_audit_sequence=exported.sequence, exported_audit_hash=exported.hash
        )
        open_hold = Hold.objects.create(
            registration_id=held.pk,
            kind=HoldKind.APPEAL,
            reason="Appeal against the grading.",
            opened_by_id=where.iv.pk,
        )
        released = Hold.objects.create(
            registration_id=full.pk,
            unit_id=first.pk,
            kind=HoldKind.MALPRACTICE,
            reason="Suspected copying.",
            opened_by_id=where.iv.pk,
            released_by_id=where.admin.pk,
            released_at=exported_at - datetime.timedelta(days=10),
            release_note="Investigated: no case to answer.",
        )
        hold_event = record_event(
            actor=where.iv, action="claim.hold_opened", target=open_hold, centre_id=where.centre.pk
        )
    # What support staff did in the admin points at the old content type too.
    log = LogEntry.objects.create(
        user_id=where.admin.pk,
        content_type_id=old_types["claimbatch"],
        object_id=str(batch.pk),
        object_repr=str(batch.pk),
        action_flag=ADDITION,
    )

    _forward()

    # The tables and constraints carry certification's names; verification's are gone.
    assert {f"certification_{m}" for m in MOVED} <= _tables()
    assert not {f"verification_{m}" for m in MOVED} & _tables()
    assert {
        "certification_qualification_claimed_once",
        "certification_unit_claimed_once",
        "certification_claimline_certificate_number_len",
    } <= _constraints("certification_claimline")
    assert {
        "certification_one_draft_claim_batch",
        "certification_claimbatch_reference_len",
    } <= _constraints("certification_claimbatch")
    assert {
        "certification_hold_release_has_note",
        "certification_claimhold_reason_len",
        "certification_claimhold_release_note_len",
    } <= _constraints("certification_claimhold")

    # Every row, with its ids and foreign keys, through the new models.
    moved = ClaimBatch.objects.get(pk=batch.pk)
    assert (moved.centre_id, moved.awarding_body_id, moved.state) == (
        where.centre.pk,
        full.qualification.awarding_body_id,
        BatchState.EXPORTED,
    )
    assert (moved.exported_at, moved.exported_by_id, moved.created_by_id) == (
        exported_at,
        where.admin.pk,
        where.admin.pk,
    )
    assert (moved.exported_audit_sequence, moved.exported_audit_hash) == (
        exported.sequence,
        exported.hash,
    )
    lines = {line.pk: line for line in moved.lines.all()}
    assert set(lines) == {full_line.pk, unit_line.pk, removed_line.pk}
    fields = [f.attname for f in ClaimLine._meta.concrete_fields]
    for old in (full_line, unit_line, removed_line):
        assert [getattr(lines[old.pk], f) for f in fields] == [getattr(old, f) for f in fields]
    assert lines[full_line.pk].registration == full
    assert lines[unit_line.pk].unit == first
    assert list(moved.lines.live().values_list("pk", flat=True)) == [full_line.pk, unit_line.pk]
    # The fields the hold had before the move (a later migration adds the case it stands for).
    hold_fields = [f.attname for f in type(open_hold)._meta.concrete_fields]
    for old in (open_hold, released):
        new = ClaimHold.objects.get(pk=old.pk)
        assert [getattr(new, f) for f in hold_fields] == [getattr(old, f) for f in hold_fields]
    assert list(ClaimHold.objects.open().values_list("pk", flat=True)) == [open_hold.pk]
    assert full.claim_lines.get() == lines[full_line.pk]
    assert held.claim_holds.get().is_open

    # The content types moved (same ids), with their permissions and admin log: none doubled.
    for model in MOVED:
        assert (
            ContentType.objects.get(app_label="certification", model=model).pk == (old_types[model])
        )
    assert not ContentType.objects.filter(app_label="verification", model__in=MOVED).exists()
    assert ContentType.objects.get_for_model(ClaimBatch).pk == old_types["claimbatch"]
    assert (
        set(
            Permission.objects.filter(
                content_type__app_label="certification", content_type__model__in=MOVED
            ).values_list("pk", "codename", "content_type_id")
        )
        == permissions
    )
    assert LogEntry.objects.get(pk=log.pk).get_edited_object() == moved

    # The history made before the move is found for the moved objects, and what happens after
    # it joins on: old events keep the label they were hashed with.
    assert AuditEvent.objects.get(pk=created.pk).object_type == "verification.claimbatch"
    claims.submit_batch(actor=where.admin, batch=moved, reference="IMI-0001")
    history = list(AuditEvent.objects.for_object(moved).values_list("action", "object_type"))
    assert history == [
        ("claim.batch_created", "verification.claimbatch"),
        ("claim.batch_exported", "verification.claimbatch"),
        ("claim.batch_submitted", "certification.claimbatch"),
    ]
    assert [e.action for e in AuditEvent.objects.for_object(lines[unit_line.pk])] == [
        "claim.line_added"
    ]
    hold = ClaimHold.objects.get(pk=open_hold.pk)
    holds.release_hold(actor=where.admin, hold=hold, note="Appeal upheld.")
    assert [(e.pk, e.action) for e in AuditEvent.objects.for_object(hold)][:1] == [
        (hold_event.pk, "claim.hold_opened")
    ]
    assert [e.action for e in AuditEvent.objects.for_object(hold)] == [
        "claim.hold_opened",
        "claim.hold_released",
    ]

    # The chain is untouched and still whole, the export's checkpoint read from the new table.
    report = verify()
    assert report.problems == []
    assert report.events == AuditEvent.objects.count() >= 8
    assert report.checkpoints >= 2  # the chain head row and the batch's export

    # "Claimed once" still holds under its new name.
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimLine.objects.create(
            batch=moved,
            registration=full,
            achievement_date=datetime.date(2026, 10, 1),
            added_by=where.admin,
        )


def test_the_move_runs_back_too(old_apps: Any) -> None:
    where = make_centre()
    registration = learner_on(where)
    Batch = old_apps.get_model("verification", "ClaimBatch")
    batch = Batch.objects.create(
        centre_id=where.centre.pk,
        awarding_body_id=registration.qualification.awarding_body_id,
        created_by_id=where.admin.pk,
    )
    _forward()
    assert ClaimBatch.objects.get(pk=batch.pk).state == BatchState.DRAFT

    back = _migrate(BEFORE)

    assert back.get_model("verification", "ClaimBatch").objects.get(pk=batch.pk)
    assert "verification_claimbatch" in _tables()
    assert "certification_claimbatch" not in _tables()
    assert ContentType.objects.filter(app_label="verification", model__in=MOVED).count() == 3
    assert not ContentType.objects.filter(app_label="certification", model__in=MOVED).exists()
