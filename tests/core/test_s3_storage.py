"""The S3 media path against a real S3-compatible server, not only its settings.

`.ci/run` starts moto_server on 127.0.0.1:9030 and makes a bucket (S3_TEST_ENDPOINT_URL,
S3_TEST_BUCKET). Each test here points STORAGES["default"] at that bucket through the same
function production's settings use (config.storage.s3_media_storage), under a folder of its own,
and goes through the real views and services: evidence uploaded through the upload view
(streamed, hashed) lands in the bucket and comes back byte for byte through the permission-
checked download, whole or by ranges (each a ranged GET, never the whole object); achievement
records are built into the bucket, by the task in this process and by a real Celery worker
configured from the environment as docker-compose configures it; the portfolio export reads
its files from the bucket; the audit checkpoint is written there and verify_audit_chain reads it
back. A file that storage has lost answers a page that says so, never a server error.

Without the server these tests are skipped; under CI=true they fail (tests/services.py).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Centre, Role, User
from assessments import achievements
from assessments.models.achievement import AchievementRecord
from config.storage import s3_media_storage
from core.audit import record_event, write_checkpoint
from core.models import AuditEvent
from core.tasks import write_audit_checkpoint
from portfolios.evidence import evidence_create
from portfolios.models import (
    Evidence,
    EvidenceContext,
    EvidenceFile,
    EvidenceMethod,
    EvidenceStatus,
    Registration,
)
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.assessments.test_achievement_records import Case, make_case, sign
from tests.factories import CentreFactory, member
from tests.services import S3Server, s3_server
from tests.support.audit import truncate_audit_chain

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

IMI = "601/3456/2"
# Over boto3's multipart threshold (8 MB) and many of the upload handler's 1 MB chunks.
LARGE_PDF = b"%PDF-1.4\n" + b"".join(
    f"% line {n:07d} of a long workbook\n".encode() for n in range(300_000)
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 64
TEXT = b"Reflective account: what went well on the night shift.\n"


# ---------------------------------------------------------------- the bucket


@pytest.fixture
def s3() -> S3Server:
    return s3_server()


@pytest.fixture
def bucket(s3: S3Server) -> Any:
    """A client of our own, to look into the bucket behind the application's back."""
    return boto3.client(
        "s3",
        endpoint_url=s3.endpoint_url,
        aws_access_key_id=s3.access_key,
        aws_secret_access_key=s3.secret_key,
        region_name=s3.region,
    )


@pytest.fixture
def prefix() -> str:
    # A folder of the bucket for this test alone: parallel tests never see each other's files.
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def storage(settings: Any, s3: S3Server, prefix: str, bucket: Any) -> Iterator[str]:
    """The media storage is S3, configured as production's settings configure it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_media_storage(
            bucket_name=s3.bucket,
            endpoint_url=s3.endpoint_url,
            access_key=s3.access_key,
            secret_key=s3.secret_key,
            region_name=s3.region,
            location=prefix,
        ),
    }
    yield prefix
    for key in keys(bucket, s3, prefix):
        bucket.delete_object(Bucket=s3.bucket, Key=key)


def keys(bucket: Any, s3: S3Server, prefix: str) -> list[str]:
    listed = bucket.list_objects_v2(Bucket=s3.bucket, Prefix=f"{prefix}/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def stored_bytes(bucket: Any, s3: S3Server, key: str) -> bytes:
    return bucket.get_object(Bucket=s3.bucket, Key=key)["Body"].read()


@pytest.fixture
def get_requests(storage: str) -> list[dict[str, Any]]:
    """The parameters of every GetObject the application sends from now on."""
    seen: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_kwargs: Any) -> None:
        seen.append(dict(params))

    # The storage keeps one client per thread; the test client runs views in this thread.
    default_storage.connection.meta.client.meta.events.register(
        "before-parameter-build.s3.GetObject", record
    )
    return seen


# ---------------------------------------------------------------- a learner's portfolio


class World:
    def __init__(self) -> None:
        self.centre: Centre = CentreFactory()
        qualification = Qualification.objects.get(number=IMI)
        self.centre.qualifications.add(qualification)
        admin = member(self.centre, Role.CENTRE_ADMIN)
        self.learner: User = member(self.centre, Role.LEARNER)
        self.assessor: User = member(self.centre, Role.ASSESSOR)
        self.registration: Registration = register_learner(
            actor=admin,
            learner=self.learner,
            centre=self.centre,
            qualification=qualification,
            start_date=datetime.date.today(),
            assessors=[self.assessor],
        )
        self.evidence: Evidence = evidence_create(
            actor=self.learner,
            registration=self.registration,
            title="Night shift",
            evidence_date=datetime.date.today(),
            method=EvidenceMethod.PRODUCT,
            context=EvidenceContext.REAL_WORK_PAID,
        )


@pytest.fixture
def world(catalogue: None, storage: str) -> World:
    return World()


def upload(client: Client, world: World, name: str, content: bytes) -> EvidenceFile:
    """Through the upload view, as the page's form sends it."""
    client.force_login(world.learner)
    response = client.post(
        reverse("files:upload", args=[world.evidence.pk]),
        {"files": named(name, content)},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    [result] = response.json()["files"]
    assert result["ok"], result
    return EvidenceFile.objects.get(evidence=world.evidence, original_name=name)


def named(name: str, content: bytes) -> io.BytesIO:
    fh = io.BytesIO(content)
    fh.name = name
    return fh


def download(client: Client, user: User, evidence_file: EvidenceFile, **headers: str) -> Any:
    client.force_login(user)
    return client.get(reverse("files:download", args=[evidence_file.pk]), headers=headers)


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


# ---------------------------------------------------------------- evidence up and down


def test_an_upload_streams_into_the_bucket_hashed_and_nothing_stays_on_disk(
    client: Client,
    world: World,
    storage: str,
    bucket: Any,
    s3: S3Server,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)

    stored = upload(client, world, "workbook.pdf", LARGE_PDF)

    assert stored.size == len(LARGE_PDF)
    assert stored.sha256 == hashlib.sha256(LARGE_PDF).hexdigest()
    assert stored.content_type == "application/pdf"
    key = f"{storage}/{stored.file.name}"
    assert keys(bucket, s3, storage) == [key]
    assert stored_bytes(bucket, s3, key) == LARGE_PDF
    # The upload's temporary file is gone once it is in the bucket.
    assert list(tmp_path.iterdir()) == []
    event = AuditEvent.objects.get(action="evidence.file_added")
    assert event.data["sha256"] == stored.sha256


def test_the_file_comes_back_from_the_bucket_byte_for_byte_to_those_who_may_see_it(
    client: Client, world: World, get_requests: list[dict[str, Any]]
) -> None:
    stored = upload(client, world, "Night shift – workbook.pdf", LARGE_PDF)
    Evidence.objects.filter(pk=world.evidence.pk).update(status=EvidenceStatus.SUBMITTED)

    for user in (world.learner, world.assessor):
        response = download(client, user, stored)

        assert response.status_code == 200
        assert body(response) == LARGE_PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Length"] == str(len(LARGE_PDF))
        assert response["Content-Disposition"] == (
            "attachment; filename*=utf-8''Night%20shift%20%E2%80%93%20workbook.pdf"
        )
        assert response["ETag"] == f'"{stored.sha256}"'
        assert response["Accept-Ranges"] == "bytes"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].startswith("sandbox")
    # One GET each, of the whole object: streamed from S3, not downloaded first.
    assert [request.get("Range") for request in get_requests] == [None, None]

    outsider = member(CentreFactory(), Role.ASSESSOR)
    assert download(client, outsider, stored).status_code == 404


def test_an_image_is_shown_in_place_and_download_1_makes_it_an_attachment(
    client: Client, world: World
) -> None:
    stored = upload(client, world, "burn.jpg", JPEG)

    inline = download(client, world.learner, stored)
    client.force_login(world.learner)
    attached = client.get(reverse("files:download", args=[stored.pk]) + "?download=1")

    assert inline["Content-Type"] == "image/jpeg"
    assert inline["Content-Disposition"] == 'inline; filename="burn.jpg"'
    assert body(inline) == JPEG
    assert attached["Content-Disposition"] == 'attachment; filename="burn.jpg"'
    assert body(attached) == JPEG


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=10-99", 10, 99),
        ("bytes=-100", len(LARGE_PDF) - 100, len(LARGE_PDF) - 1),
        (f"bytes={len(LARGE_PDF) - 5000}-", len(LARGE_PDF) - 5000, len(LARGE_PDF) - 1),
        # Past the end is cut to the end.
        (f"bytes=4000000-{len(LARGE_PDF) + 999}", 4_000_000, len(LARGE_PDF) - 1),
    ],
)
def test_a_range_is_206_with_just_those_bytes_fetched_by_a_ranged_get(
    client: Client,
    world: World,
    get_requests: list[dict[str, Any]],
    header: str,
    first: int,
    last: int,
) -> None:
    stored = upload(client, world, "workbook.pdf", LARGE_PDF)

    response = download(client, world.learner, stored, Range=header)

    assert response.status_code == 206
    assert body(response) == LARGE_PDF[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(LARGE_PDF)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Type"] == "application/pdf"
    # Only the range crossed the network, not the 9 MB object.
    assert [request.get("Range") for request in get_requests] == [f"bytes={first}-{last}"]


def test_a_matching_if_range_gets_the_range_and_a_stale_one_the_whole_file(
    client: Client, world: World
) -> None:
    stored = upload(client, world, "account.txt", TEXT)

    fresh = download(client, world.learner, stored, Range="bytes=0-9", If_Range=stored_etag(stored))
    stale = download(client, world.learner, stored, Range="bytes=0-9", If_Range='"other"')

    assert fresh.status_code == 206
    assert body(fresh) == TEXT[:10]
    assert stale.status_code == 200
    assert body(stale) == TEXT


def stored_etag(stored: EvidenceFile) -> str:
    return f'"{stored.sha256}"'


def test_a_range_past_the_end_answers_416_without_asking_the_bucket(
    client: Client, world: World, get_requests: list[dict[str, Any]]
) -> None:
    stored = upload(client, world, "account.txt", TEXT)

    response = download(client, world.learner, stored, Range=f"bytes={len(TEXT)}-")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(TEXT)}"
    assert get_requests == []


def test_a_file_the_bucket_has_lost_answers_a_page_saying_so_not_a_server_error(
    client: Client, world: World, bucket: Any, s3: S3Server, caplog: pytest.LogCaptureFixture
) -> None:
    stored = upload(client, world, "account.txt", TEXT)
    bucket.delete_object(Bucket=s3.bucket, Key=f"{default_storage.location}/{stored.file.name}")

    whole = download(client, world.learner, stored)
    ranged = download(client, world.learner, stored, Range="bytes=0-9")

    for response in (whole, ranged):
        assert response.status_code == 404
        assert not response.streaming
        html = response.content.decode()
        assert "This file is not available" in html
        assert "“account.txt”" in html
        assert "stored copy could not be found" in html
        assert "no-store" in response["Cache-Control"]
    assert f"Stored file missing: {stored.file.name}" in caplog.text


# ---------------------------------------------------------------- the portfolio export


def test_the_portfolio_export_reads_every_file_from_the_bucket(
    client: Client, world: World
) -> None:
    pdf = upload(client, world, "workbook.pdf", LARGE_PDF)
    text = upload(client, world, "account.txt", TEXT)

    response = client.get(reverse("witness:export", args=[world.registration.pk]))

    assert response.status_code == 200
    data = body(response)
    assert len(data) == int(response["Content-Length"])
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    files = {f["name"]: f for e in manifest["evidence"] for f in e["files"]}
    assert archive.read(files["workbook.pdf"]["path"]) == LARGE_PDF
    assert archive.read(files["account.txt"]["path"]) == TEXT
    assert files["workbook.pdf"]["sha256"] == pdf.sha256
    assert files["account.txt"]["sha256"] == text.sha256


def test_an_export_missing_a_file_answers_a_page_before_any_byte_of_zip(
    client: Client, world: World, bucket: Any, s3: S3Server
) -> None:
    upload(client, world, "workbook.pdf", LARGE_PDF)
    text = upload(client, world, "account.txt", TEXT)
    bucket.delete_object(Bucket=s3.bucket, Key=f"{default_storage.location}/{text.file.name}")

    response = client.get(reverse("witness:export", args=[world.registration.pk]))

    assert response.status_code == 404
    assert not response.streaming
    html = response.content.decode()
    assert "This file is not available" in html
    assert "account.txt" in html


# ---------------------------------------------------------------- achievement records


@pytest.fixture
def done(catalogue: None) -> Case:
    case = make_case(name="Ada Bucket")
    for unit in case.units:
        sign(case, unit)
    return case


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def built_here(done: Case, on_commit: Any) -> AchievementRecord:
    """Asked for as the page asks; tasks run eagerly here, so the build task itself runs in this
    process when the request commits."""
    with on_commit(execute=True):
        record, queued = achievements.request_record(
            actor=done.learner, registration=done.registration, kind="full"
        )
    assert queued
    record.refresh_from_db()
    return record


def test_the_record_task_builds_the_pdf_into_the_bucket_and_the_page_serves_it(
    client: Client,
    done: Case,
    storage: str,
    bucket: Any,
    s3: S3Server,
    django_capture_on_commit_callbacks: Any,
) -> None:
    record = built_here(done, django_capture_on_commit_callbacks)
    record.refresh_from_db()
    assert record.status == "ready"
    key = f"{storage}/{record.file.name}"
    assert key in keys(bucket, s3, storage)
    in_bucket = stored_bytes(bucket, s3, key)
    assert hashlib.sha256(in_bucket).hexdigest() == record.pdf_sha256

    client.force_login(done.learner)
    response = client.get(reverse("assessments:achievement_download", args=[record.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="full-record-{done.registration.pk}-{record.pk}.pdf"'
    )
    assert response["Content-Length"] == str(len(in_bucket))
    assert response["ETag"] == f'"{record.pdf_sha256}"'
    data = body(response)
    assert data == in_bucket
    text = pdf_text(data)
    assert "Ada Bucket" in text
    assert done.registration.qualification.number in text


def test_a_record_the_bucket_has_lost_answers_a_page_not_a_server_error(
    client: Client,
    done: Case,
    storage: str,
    bucket: Any,
    s3: S3Server,
    django_capture_on_commit_callbacks: Any,
) -> None:
    record = built_here(done, django_capture_on_commit_callbacks)
    bucket.delete_object(Bucket=s3.bucket, Key=f"{storage}/{record.file.name}")
    client.force_login(done.learner)

    response = client.get(reverse("assessments:achievement_download", args=[record.pk]))

    assert response.status_code == 404
    assert "This file is not available" in response.content.decode()


# ---------------------------------------------------------------- the audit checkpoint


def test_the_audit_checkpoint_goes_to_the_bucket_and_verify_reads_it_back(
    catalogue: None, storage: str, bucket: Any, s3: S3Server
) -> None:
    centre = CentreFactory()
    for n in range(4):
        record_event(actor=None, action="centre.touched", target=centre, data={"n": n})

    name = write_audit_checkpoint.delay().get()

    assert name.startswith("audit/checkpoints/")
    assert keys(bucket, s3, storage) == [f"{storage}/{name}"]
    payload = json.loads(stored_bytes(bucket, s3, f"{storage}/{name}"))
    sequence = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True)[0]
    assert payload["sequence"] == sequence
    out = StringIO()
    call_command("verify_audit_chain", stdout=out, stderr=StringIO())
    # The file in the bucket and the chain head row.
    assert f"({sequence} events, 2 checkpoint(s) checked)" in out.getvalue()


def test_deleting_the_newest_events_is_caught_by_the_checkpoint_in_the_bucket(
    catalogue: None, storage: str
) -> None:
    centre = CentreFactory()
    for n in range(3):
        record_event(actor=None, action="centre.touched", target=centre, data={"n": n})
    name, checkpoint = write_checkpoint()
    truncate_audit_chain(keep=checkpoint.sequence - 2)
    err = StringIO()

    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit_chain", stdout=StringIO(), stderr=err)

    assert f"in {name} recorded sequence {checkpoint.sequence}" in err.getvalue()
    assert "the newest 2 events are missing" in err.getvalue()


# ---------------------------------------------------------------- health


def test_the_health_probe_writes_reads_and_deletes_in_the_bucket(
    client: Client, storage: str, bucket: Any, s3: S3Server
) -> None:
    response = client.get("/health/")

    assert response.json()["checks"]["storage"] == {"ok": True, "backend": "S3Storage"}
    assert keys(bucket, s3, storage) == []


# ---------------------------------------------------------------- orphaned files


@pytest.mark.usefixtures("catalogue")
def test_orphaned_files_in_the_bucket_are_swept_once_a_day_old(
    storage: str, bucket: Any, s3: S3Server
) -> None:
    """The sweep lists the bucket by prefix (the keys carry their times) and deletes, under
    the media location, the files no row names once they are a day old, and nothing else."""
    from core.stored_files import GRACE, sweep_orphaned_files
    from portfolios.models import HELD_PREFIX
    from tests.core.test_stored_files import named_evidence_file

    def save(name: str) -> str:
        return default_storage.save(name, io.BytesIO(b"bytes left behind\n"))

    orphans = {
        save(f"evidence/1/{uuid.uuid4().hex}"),
        save(f"{HELD_PREFIX}{uuid.uuid4().hex}.zip"),
        save(f"cases/2/{uuid.uuid4().hex}"),
    }
    named = named_evidence_file(save(f"evidence/1/{uuid.uuid4().hex}")).file.name
    outside = save("audit/checkpoints/2026-01-01T020000Z.json")
    everything = {f"{storage}/{name}" for name in {*orphans, named, outside}}
    assert set(keys(bucket, s3, storage)) == everything

    # Just stored: young, however unnamed (an upload in flight), so all stay.
    assert sweep_orphaned_files().counts() == {"named": 1, "young": 3, "deleted": 0}
    swept = sweep_orphaned_files(now=timezone.now() + GRACE + datetime.timedelta(minutes=1))

    assert set(swept.deleted) == orphans
    assert set(keys(bucket, s3, storage)) == {f"{storage}/{named}", f"{storage}/{outside}"}


# ---------------------------------------------------------------- telling S3 from disk


@pytest.mark.parametrize(("bucket_name", "expected"), [("eportfolio-media", "True"), ("", "False")])
def test_a_fresh_process_knows_its_storage_before_touching_it(
    bucket_name: str, expected: str
) -> None:
    """The first request of a new process may be a download: is_object_storage must not
    depend on the S3 backend having been imported already."""
    code = (
        "import sys, django; django.setup();"
        "assert 'storages.backends.s3' not in sys.modules;"
        "from core.storage import is_object_storage; print(is_object_storage())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "AWS_STORAGE_BUCKET_NAME": bucket_name,
            "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
