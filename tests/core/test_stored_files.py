"""Stored files no row names (issue 20, "leave nothing behind"): a process killed between
storing a file and committing its row leaves a file nothing names. The daily sweep (task and
`manage.py sweep_orphaned_files`) deletes those older than a day, under the prefixes the
project writes to, and nothing else: files a row names, young files (an upload in flight) and
files outside the prefixes stay. The S3 side is in tests/core/test_s3_storage.py."""

from __future__ import annotations

import datetime
import os
import time
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from core.stored_files import GRACE, stored_file_sources, sweep_orphaned_files
from core.tasks import sweep_orphaned_files as sweep_task
from portfolios.models import HELD_PREFIX, Evidence, EvidenceFile, HeldTransfer
from tests.factories import CentreFactory, RegistrationFactory, invite, member
from tests.support.media import private_media

pytestmark = pytest.mark.usefixtures("catalogue")

DAY = 24 * 60 * 60


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    return private_media(settings, tmp_path) / "media"


def store(name: str, *, age_seconds: int = 2 * DAY) -> str:
    """A file stored as the code stores it, then left (the process killed before its row
    committed), dated `age_seconds` ago."""
    saved = default_storage.save(name, ContentFile(b"bytes left behind\n"))
    then = time.time() - age_seconds
    os.utime(default_storage.path(saved), (then, then))
    return saved


def on_disk(media: Path) -> set[str]:
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}


def named_evidence_file(name: str) -> EvidenceFile:
    registration = RegistrationFactory()
    evidence = Evidence.objects.create(
        registration=registration,
        title="Workbook",
        evidence_date=datetime.date(2026, 1, 5),
        method="product",
        context="real_work_paid",
        created_by=registration.learner,
    )
    row = EvidenceFile(
        evidence=evidence,
        original_name="workbook.pdf",
        content_type="application/pdf",
        size=18,
        sha256=uuid.uuid4().hex * 2,
        uploaded_by=registration.learner,
    )
    row.file.name = name
    row.save()
    return row


def held_row(name: str) -> HeldTransfer:
    centre = CentreFactory()
    admin = member(centre, Role.CENTRE_ADMIN)
    return HeldTransfer.objects.create(
        centre=centre,
        invitation=invite(centre, "moving@example.com"),
        file_name=name,
        manifest_sha256="a" * 64,
        source_centre_name="Northgate Training Centre",
        learner_name="Nadia Brook",
        qualification_number="601/3456/2",
        held_by=admin,
    )


def test_a_held_zip_stored_by_a_process_killed_before_its_row_is_swept(media: Path) -> None:
    # hold_import stored the ZIP, then the process was killed before HeldTransfer committed
    # (no cleanup ran: a kill runs none).
    orphan = store(f"{HELD_PREFIX}{uuid.uuid4().hex}.zip")
    held = held_row(store(f"{HELD_PREFIX}{uuid.uuid4().hex}.zip"))

    swept = sweep_orphaned_files()

    assert swept.deleted == [orphan]
    assert on_disk(media) == {held.file_name}


def test_orphans_under_every_prefix_go_and_named_young_and_other_files_stay(
    media: Path,
) -> None:
    orphans = {
        store(f"evidence/{uuid.uuid4().hex}/{uuid.uuid4().hex}"),
        store(f"{HELD_PREFIX}{uuid.uuid4().hex}.zip"),
        store("progress-reviews/7/3-abc.pdf"),
        store(f"cases/4/{uuid.uuid4().hex}"),
        store("achievement-records/9/ABCD-1234.pdf"),
    }
    named = {
        named_evidence_file(store(f"evidence/1/{uuid.uuid4().hex}")).file.name,
        held_row(store(f"{HELD_PREFIX}{uuid.uuid4().hex}.zip")).file_name,
    }
    # Stored a minute ago, its row not committed yet: an upload in flight.
    young = {store(f"evidence/2/{uuid.uuid4().hex}", age_seconds=60)}
    # No row names these by design (the audit checkpoints), or they are not ours to judge.
    outside = {
        store("audit/checkpoints/2026-01-01T020000Z.json"),
        store("elsewhere/old.txt"),
        store("old-at-the-root.txt"),
        store(".incoming/upload-in-staging"),
    }

    swept = sweep_orphaned_files()

    assert set(swept.deleted) == orphans
    assert swept.counts() == {"named": 2, "young": 1, "deleted": 5}
    assert on_disk(media) == named | young | outside


def test_the_grace_period_keeps_a_file_until_it_is_a_day_old(media: Path) -> None:
    name = store(f"evidence/3/{uuid.uuid4().hex}", age_seconds=60)
    now = datetime.datetime.now(tz=datetime.UTC)

    assert sweep_orphaned_files(now=now + GRACE - datetime.timedelta(minutes=5)).deleted == []
    assert default_storage.exists(name)
    assert sweep_orphaned_files(now=now + GRACE + datetime.timedelta(minutes=5)).deleted == [name]
    assert not default_storage.exists(name)


def test_the_sweep_reads_the_rows_once_per_field_however_many_files(media: Path) -> None:
    def sweep_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            sweep_orphaned_files()
        return len(captured)

    for n in range(2):
        named_evidence_file(store(f"evidence/{n}/{uuid.uuid4().hex}"))
        store(f"evidence/{n}/{uuid.uuid4().hex}")
        store(f"{HELD_PREFIX}{uuid.uuid4().hex}.zip")
    few = sweep_queries()
    for n in range(6):
        named_evidence_file(store(f"evidence/{n}/{uuid.uuid4().hex}"))
        store(f"evidence/{n}/{uuid.uuid4().hex}")
        store(f"{HELD_PREFIX}{uuid.uuid4().hex}.zip")
        store(f"cases/{n}/{uuid.uuid4().hex}")

    many = sweep_queries()

    # One query per registered field that has files under its prefix (evidence, held, and
    # the case documents the second round added): never one per file.
    assert few == 2
    assert many == 3


def test_the_command_lists_with_dry_run_then_deletes(media: Path) -> None:
    orphan = store(f"evidence/5/{uuid.uuid4().hex}")
    young = store(f"evidence/5/{uuid.uuid4().hex}", age_seconds=60)
    out = StringIO()

    call_command("sweep_orphaned_files", "--dry-run", stdout=out)

    assert f"Would delete {orphan}" in out.getvalue()
    assert (
        "Would delete 1 orphaned files; kept 0 named by a row and 1 younger than 24 hours."
    ) in out.getvalue()
    assert default_storage.exists(orphan)
    call_command("sweep_orphaned_files", stdout=out)
    assert f"Deleted {orphan}" in out.getvalue()
    assert not default_storage.exists(orphan)
    assert default_storage.exists(young)
    with pytest.raises(CommandError, match="at least 1"):
        call_command("sweep_orphaned_files", "--grace-hours", "0")


def test_the_daily_task_sweeps(media: Path) -> None:
    orphan = store(f"cases/8/{uuid.uuid4().hex}")

    assert sweep_task.delay().get() == {"named": 0, "young": 0, "deleted": 1}
    assert not default_storage.exists(orphan)


def test_the_beat_schedule_sweeps_every_day() -> None:
    entry = django_settings.CELERY_BEAT_SCHEDULE["orphaned-files"]

    assert entry["task"] == "core.sweep_orphaned_files"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {30})


def test_every_file_field_of_the_project_is_swept_under_its_prefix() -> None:
    """A new FileField must be registered (core.stored_files.register in its app's ready), or
    its files would be swept by none, or, under a registered prefix, deleted as unnamed."""
    fields = {
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.get_fields()
        if isinstance(f, models.FileField)
    }
    registered = {(s.model, s.field) for s in stored_file_sources}

    assert fields
    assert fields <= registered
    assert (HeldTransfer, "file_name") in registered
    prefixes = [s.prefix for s in stored_file_sources]
    # No prefix inside another: each file is judged against the rows of its own prefix.
    assert not [a for a in prefixes for b in prefixes if a != b and a.startswith(b)]
