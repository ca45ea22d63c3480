"""Checkpoints of the audit chain's end: files in storage (the daily beat task and the
audit_checkpoint command) and the chain head row, and verify_audit_chain holding the chain to
them, so deleting the newest events shows."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from accounts.models import Centre
from core.audit import chain_head, record_event, verify, verify_chain, write_checkpoint
from core.models import AuditEvent
from core.tasks import write_audit_checkpoint
from tests.factories import CentreFactory
from tests.support.audit import truncate_audit_chain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    # Each test its own storage: checkpoint files left by one test would be another's "truncation".
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def centre() -> Centre:
    return CentreFactory()


def append(centre: Centre, count: int) -> list[AuditEvent]:
    return [
        record_event(actor=None, action="centre.touched", target=centre, data={"n": n})
        for n in range(count)
    ]


def run_verify() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("verify_audit_chain", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- writing checkpoints


def test_the_audit_checkpoint_command_writes_the_chain_head_to_storage(centre: Centre) -> None:
    events = append(centre, 3)
    out = StringIO()

    call_command("audit_checkpoint", stdout=out)

    (name,) = default_storage.listdir("audit/checkpoints")[1]
    assert name.endswith("Z.json")
    with default_storage.open(f"audit/checkpoints/{name}") as stored:
        payload = json.loads(stored.read())
    assert payload["sequence"] == events[-1].sequence == 3
    assert payload["hash"] == events[-1].hash
    assert payload["events"] == 3
    assert "written_at" in payload
    assert f"audit/checkpoints/{name}" in out.getvalue()


def test_the_beat_task_writes_a_checkpoint_file(centre: Centre) -> None:
    append(centre, 2)

    name = write_audit_checkpoint.delay().get()

    assert default_storage.exists(name)
    assert name.startswith("audit/checkpoints/")


def test_the_beat_schedule_writes_a_checkpoint_every_day() -> None:
    entry = django_settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]

    assert entry["task"] == "core.write_audit_checkpoint"
    assert entry["schedule"].hour == {2}
    assert entry["schedule"].minute == {0}


def test_the_chain_head_follows_every_append(centre: Centre) -> None:
    assert chain_head() == (0, "0" * 64)

    events = append(centre, 4)

    assert chain_head() == (4, events[-1].hash)
    assert [e.sequence for e in events] == [1, 2, 3, 4]


# ---------------------------------------------------------------- verifying against them


def test_an_untouched_chain_verifies_intact_and_says_how_many_checkpoints(centre: Centre) -> None:
    append(centre, 3)
    write_checkpoint()
    append(centre, 2)
    write_checkpoint()

    out, err = run_verify()

    # Two files and the chain head row.
    assert "The audit chain is intact (5 events, 3 checkpoint(s) checked)." in out
    assert err == ""


def test_deleting_the_newest_events_after_a_checkpoint_file_is_reported(centre: Centre) -> None:
    append(centre, 5)
    name, _checkpoint = write_checkpoint()

    truncate_audit_chain(keep=3)

    problems = verify_chain()
    assert len(problems) == 1
    assert problems[0].startswith("the chain ends at sequence 3 but the checkpoint of ")
    assert problems[0].endswith(f" in {name} recorded sequence 5: the newest 2 events are missing")


def test_verify_audit_chain_exits_non_zero_on_truncation_naming_the_checkpoint(
    centre: Centre,
) -> None:
    append(centre, 4)
    name, _checkpoint = write_checkpoint()
    truncate_audit_chain(keep=3)
    err = StringIO()

    with pytest.raises(CommandError, match=r"broken in 1 place\(s\) \(3 events, 2 checkpoint"):
        call_command("verify_audit_chain", stdout=StringIO(), stderr=err)

    assert f"in {name} recorded sequence 4: the newest event is missing" in err.getvalue()


def test_deleting_the_newest_events_without_rewinding_the_head_row_is_reported(
    centre: Centre,
) -> None:
    append(centre, 5)

    truncate_audit_chain(keep=2, rewind_head=False)

    assert verify_chain() == [
        "the chain ends at sequence 2 but the checkpoint in the chain head row recorded "
        "sequence 5: the newest 3 events are missing"
    ]


def test_events_rewritten_after_a_checkpoint_show_as_a_hash_mismatch(centre: Centre) -> None:
    # The newest events deleted and others written in their place: as long a chain, and whole,
    # but not the one the checkpoint saw.
    append(centre, 4)
    name, checkpoint = write_checkpoint()
    truncate_audit_chain(keep=2)
    forged = append(centre, 2)

    problems = verify_chain()

    assert problems == [
        f"the checkpoint of {checkpoint.when:%Y-%m-%d %H:%M} UTC in {name} recorded sequence 4 "
        f"with hash {checkpoint.hash[:12]}…, but the chain has {forged[-1].hash[:12]}… there"
    ]


def test_a_checkpoint_in_the_middle_is_checked_as_the_walk_passes_it(centre: Centre) -> None:
    append(centre, 3)
    _name, checkpoint = write_checkpoint()
    append(centre, 3)
    AuditEvent.objects.filter(sequence=3).update(data={"n": 99})

    problems = verify_chain()

    assert f"event {AuditEvent.objects.get(sequence=3).pk}: content does not match its hash" in (
        problems
    )
    assert verify().checkpoints == 2
    assert checkpoint.sequence == 3


def test_an_unreadable_checkpoint_file_is_reported(centre: Centre) -> None:
    append(centre, 1)
    default_storage.save("audit/checkpoints/2026-12-03T020000Z.json", ContentFile(b"{not json"))

    assert verify_chain() == [
        "the checkpoint in audit/checkpoints/2026-12-03T020000Z.json cannot be read"
    ]


def test_with_no_checkpoint_files_the_chain_still_verifies(centre: Centre) -> None:
    append(centre, 2)

    report = verify()

    assert report.problems == []
    assert (report.events, report.checkpoints) == (2, 1)
