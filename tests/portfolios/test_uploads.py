"""Uploading evidence files: several at once, each refused or added on its own, streamed."""

from __future__ import annotations

import datetime
import hashlib
import io
import itertools
import threading
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

import portfolios.uploads
from accounts.models import Centre, Role, User
from portfolios.evidence import evidence_create, file_add
from portfolios.models import (
    Evidence,
    EvidenceContext,
    EvidenceFile,
    EvidenceMethod,
    EvidenceStatus,
    Registration,
)
from portfolios.services import register_learner
from portfolios.uploads import CHUNK_BYTES, StreamedUpload
from qualifications.models import Qualification
from tests.factories import CentreFactory, member
from tests.support.media import private_media

pytestmark = pytest.mark.usefixtures("catalogue")

IMI = "601/3456/2"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
TEXT = b"Notes from the observed shift: handover completed at 07:00.\n"
BOUNDARY = "----evidence-upload-test"


@dataclass
class World:
    centre: Centre
    learner: User
    assessor: User
    registration: Registration
    evidence: Evidence


@pytest.fixture(autouse=True)
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Each test stores files, and Django writes temporary upload files, in folders of its own."""
    return private_media(settings, tmp_path)


def staging(tmp_path: Path) -> Path:
    """Where the handler streams files on the filesystem storage: inside the storage's folder."""
    return tmp_path / "media" / portfolios.uploads.STAGING


def stored_files(tmp_path: Path) -> list[Path]:
    return [
        p
        for p in (tmp_path / "media").rglob("*")
        if p.is_file() and staging(tmp_path) not in p.parents
    ]


def temporary_files(tmp_path: Path) -> list[Path]:
    """Temporary files left anywhere an upload may stream to."""
    staged = list(staging(tmp_path).iterdir()) if staging(tmp_path).exists() else []
    return [*(tmp_path / "uploads").iterdir(), *staged]


@pytest.fixture
def world() -> World:
    centre = CentreFactory()
    qualification = Qualification.objects.get(number=IMI)
    centre.qualifications.add(qualification)
    admin = member(centre, Role.CENTRE_ADMIN)
    learner = member(centre, Role.LEARNER, full_name="Lara Learner")
    assessor = member(centre, Role.ASSESSOR)
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=qualification,
        start_date=datetime.date.today(),
        assessors=[assessor],
    )
    return World(centre, learner, assessor, registration, draft(registration, learner))


def draft(registration: Registration, learner: User, title: str = "Shift handover") -> Evidence:
    return evidence_create(
        actor=learner,
        registration=registration,
        title=title,
        evidence_date=datetime.date.today(),
        method=EvidenceMethod.PRODUCT,
        context=EvidenceContext.REAL_WORK_PAID,
    )


def url(evidence: Evidence) -> str:
    return reverse("files:upload", args=[evidence.pk])


def detail(evidence: Evidence) -> str:
    return reverse("evidence:detail", args=[evidence.pk])


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def texts(response: object) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def multipart(*files: tuple[str, bytes]) -> bytes:
    body = b""
    for name, content in files:
        body += (
            (
                f"--{BOUNDARY}\r\n"
                f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    return body + f"--{BOUNDARY}--\r\n".encode()


# ---------------------------------------------------------------- adding files


def test_the_learner_uploads_several_files_at_once(client: Client, world: World) -> None:
    client.force_login(world.learner)

    response = client.post(
        url(world.evidence),
        {"files": [upload("report.pdf", PDF), upload("photo.png", PNG), upload("notes", TEXT)]},
    )

    assert response.status_code == 302
    assert response["Location"] == detail(world.evidence)
    assert texts(response) == ["report.pdf added.", "photo.png added.", "notes added."]
    files = list(world.evidence.files.order_by("pk"))
    assert [(f.original_name, f.content_type, f.size) for f in files] == [
        ("report.pdf", "application/pdf", len(PDF)),
        ("photo.png", "image/png", len(PNG)),
        ("notes", "text/plain", len(TEXT)),
    ]
    assert all(f.uploaded_by == world.learner for f in files)


def test_a_refused_file_does_not_lose_the_others(client: Client, world: World, media: Path) -> None:
    client.force_login(world.learner)

    response = client.post(
        url(world.evidence),
        {
            "files": [
                upload("report.pdf", PDF),
                upload("invoice.pdf", EXE),
                upload("blank.txt", b""),
                upload("photo.png", PNG),
            ]
        },
    )

    assert texts(response) == [
        "report.pdf added.",
        "invoice.pdf is not a type of file the portfolio accepts. Upload documents (PDF, Word, "
        "Excel, PowerPoint, OpenDocument, text), images, audio or video.",
        "blank.txt is empty: nothing was uploaded.",
        "photo.png added.",
    ]
    assert sorted(world.evidence.files.values_list("original_name", flat=True)) == [
        "photo.png",
        "report.pdf",
    ]
    assert len(stored_files(media)) == 2
    assert temporary_files(media) == []


def test_the_same_file_twice_in_one_evidence_is_refused(client: Client, world: World) -> None:
    client.force_login(world.learner)
    first = client.post(
        url(world.evidence),
        {"files": [upload("report.pdf", PDF)]},
        headers={"accept": "application/json"},
    )
    assert first.json()["files"][0]["ok"] is True

    response = client.post(url(world.evidence), {"files": [upload("copy.pdf", PDF)]})

    assert texts(response) == ["copy.pdf is already attached to this evidence."]
    assert world.evidence.files.count() == 1


def test_a_file_already_in_the_portfolio_is_added_with_a_note(client: Client, world: World) -> None:
    earlier = draft(world.registration, world.learner, title="Night shift log")
    file_add(actor=world.learner, evidence=earlier, upload=upload("log.pdf", PDF))
    client.force_login(world.learner)

    response = client.post(url(world.evidence), {"files": [upload("report.pdf", PDF)]})

    assert texts(response) == [
        "report.pdf added. The same file is already in your portfolio as “Night shift log”."
    ]
    assert world.evidence.files.count() == 1


def test_sending_no_file_asks_for_one(client: Client, world: World) -> None:
    client.force_login(world.learner)

    response = client.post(url(world.evidence), {})

    assert texts(response) == ["Choose at least one file to upload."]


def test_a_fetch_upload_gets_json_for_each_file(client: Client, world: World) -> None:
    earlier = draft(world.registration, world.learner, title="Night shift log")
    file_add(actor=world.learner, evidence=earlier, upload=upload("log.pdf", PDF))
    client.force_login(world.learner)

    response = client.post(
        url(world.evidence),
        {"files": [upload("report.pdf", PDF), upload("setup.pdf", EXE)]},
        headers={"accept": "application/json"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "files": [
            {
                "name": "report.pdf",
                "ok": True,
                "message": "report.pdf added. The same file is already in your portfolio as "
                "“Night shift log”.",
            },
            {
                "name": "setup.pdf",
                "ok": False,
                "message": "setup.pdf is not a type of file the portfolio accepts. Upload "
                "documents (PDF, Word, Excel, PowerPoint, OpenDocument, text), images, audio "
                "or video.",
            },
        ]
    }
    # The widget shows the results itself: nothing is left over for the next page.
    assert texts(response) == []


def test_a_double_submitted_upload_keeps_one_copy(client: Client, world: World) -> None:
    client.force_login(world.learner)

    for _ in range(2):
        client.post(url(world.evidence), {"files": [upload("report.pdf", PDF)]})

    assert world.evidence.files.count() == 1


def test_upload_needs_a_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.learner)

    response = client.post(url(world.evidence), {"files": [upload("report.pdf", PDF)]})

    assert response.status_code == 403
    assert not world.evidence.files.exists()


def test_upload_refuses_get(client: Client, world: World) -> None:
    client.force_login(world.learner)

    assert client.get(url(world.evidence)).status_code == 405


# ---------------------------------------------------------------- too big, interrupted


def test_a_request_bigger_than_the_limit_is_refused_before_anything_is_written(
    client: Client, world: World, media: Path, settings: pytest.FixtureRequest
) -> None:
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    client.force_login(world.learner)
    big = PDF + b"0" * (2 * 1024 * 1024)

    response = client.post(url(world.evidence), {"files": [upload("video.pdf", big)]})

    assert response.status_code == 302
    assert response["Location"] == detail(world.evidence)
    assert texts(response) == [
        "The upload is 2.0 MB, over the limit of 1.0 MB for a file (and for the files sent "
        "together), so nothing was saved. Send fewer or smaller files."
    ]
    assert not world.evidence.files.exists()
    assert stored_files(media) == []
    assert temporary_files(media) == []


def test_a_file_passing_the_limit_as_it_streams_is_dropped_and_the_rest_kept(
    world: World, media: Path, settings: pytest.FixtureRequest
) -> None:
    # Within the request allowance, so only the running count catches it.
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    client = Client()
    client.force_login(world.learner)
    body = multipart(("long.pdf", PDF + b"0" * 1024 * 1024), ("photo.png", PNG))

    response = client.generic(
        "POST",
        url(world.evidence),
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers={"accept": "application/json"},
    )

    assert response.json()["files"] == [
        {
            "name": "long.pdf",
            "ok": False,
            "message": "long.pdf is larger than 1.0 MB, the most a file may be. It was not saved.",
        },
        {"name": "photo.png", "ok": True, "message": "photo.png added."},
    ]
    assert list(world.evidence.files.values_list("original_name", flat=True)) == ["photo.png"]
    assert len(stored_files(media)) == 1
    assert temporary_files(media) == []


def test_an_oversized_request_in_json_mode_answers_413(
    client: Client, world: World, settings: pytest.FixtureRequest
) -> None:
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    client.force_login(world.learner)

    response = client.post(
        url(world.evidence),
        {"files": [upload("video.pdf", PDF + b"0" * 3 * 1024 * 1024)]},
        headers={"accept": "application/json"},
    )

    assert response.status_code == 413
    [result] = response.json()["files"]
    assert result["ok"] is False
    assert result["message"].startswith("The upload is 3.0 MB, over the limit of 1.0 MB")


class BrokenStream:
    """A request body that stops (or fails) part of the way through, as a dropped connection."""

    def __init__(self, body: bytes, cut: int, *, fail: bool) -> None:
        self.data = io.BytesIO(body[:cut])
        self.fail = fail

    def read(self, size: int = -1) -> bytes:
        chunk = self.data.read(size)
        if not chunk and self.fail:
            raise ConnectionResetError("connection reset by peer")
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.data.readline(size)


@pytest.mark.parametrize("fail", [True, False], ids=["reset", "cut short"])
def test_an_interrupted_upload_leaves_nothing_behind(world: World, media: Path, fail: bool) -> None:
    client = Client()
    client.force_login(world.learner)
    body = multipart(("report.pdf", PDF), ("video.pdf", PDF + b"0" * 300_000))

    response = client.generic(
        "POST",
        url(world.evidence),
        b"",
        headers={"accept": "application/json"},
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": BrokenStream(body, len(body) // 2, fail=fail)},
    )

    assert response.status_code == 400
    assert response.json()["files"][0]["message"].startswith("The upload was interrupted")
    assert not world.evidence.files.exists()
    assert stored_files(media) == []
    assert temporary_files(media) == []


# ---------------------------------------------------------------- who may upload where


def test_an_assessor_may_not_upload_to_a_learners_draft(client: Client, world: World) -> None:
    client.force_login(world.assessor)

    response = client.post(url(world.evidence), {"files": [upload("report.pdf", PDF)]})

    # Drafts are the learner's alone: to anyone else the draft does not exist.
    assert response.status_code == 404
    assert not world.evidence.files.exists()


def test_another_learner_may_not_upload(client: Client, world: World) -> None:
    client.force_login(member(world.centre, Role.LEARNER))

    response = client.post(url(world.evidence), {"files": [upload("report.pdf", PDF)]})

    assert response.status_code == 404


def test_a_superuser_sees_the_draft_but_may_not_add_to_it(
    client: Client, world: World, staff_user: User
) -> None:
    client.force_login(staff_user)

    response = client.post(url(world.evidence), {"files": [upload("report.pdf", PDF)]})

    assert response.status_code == 403
    assert not world.evidence.files.exists()


def test_signing_in_comes_first(client: Client, world: World) -> None:
    response = client.post(url(world.evidence), {"files": [upload("report.pdf", PDF)]})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_submitted_evidence_refuses_uploads(client: Client, world: World, media: Path) -> None:
    Evidence.objects.filter(pk=world.evidence.pk).update(status=EvidenceStatus.SUBMITTED)
    client.force_login(world.learner)

    response = client.post(url(world.evidence), {"files": [upload("report.pdf", PDF)]})

    assert texts(response) == [
        "report.pdf: This evidence has been submitted and can no longer change. Start a new "
        "version to resubmit it."
    ]
    assert not EvidenceFile.objects.exists()
    assert stored_files(media) == []
    assert temporary_files(media) == []


# ---------------------------------------------------------------- memory


class GeneratedBody:
    """A multipart body made on the fly, so the test itself holds no copy of the file."""

    def __init__(self, size: int) -> None:
        head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="files"; filename="recording.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode() + PDF
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.length = len(head) + size + len(tail)
        self.parts = self._parts(head, size, tail)
        self.buffer = b""

    @staticmethod
    def _parts(head: bytes, size: int, tail: bytes) -> Iterator[bytes]:
        yield head
        filler = b"% filler line of the generated document\n" * 1600  # 64 000 bytes
        left = size
        while left > 0:
            yield filler[:left]
            left -= len(filler)
        yield tail

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            try:
                self.buffer += next(self.parts)
            except StopIteration:
                break
        if size < 0:
            size = len(self.buffer)
        chunk, self.buffer = self.buffer[:size], self.buffer[size:]
        return chunk

    def readline(self, size: int = -1) -> bytes:
        raise NotImplementedError


def test_a_30_mb_upload_is_never_held_in_memory(world: World, media: Path) -> None:
    client = Client()
    client.force_login(world.learner)
    size = 30 * 1024 * 1024
    body = GeneratedBody(size)

    tracemalloc.start()
    try:
        response = client.generic(
            "POST",
            url(world.evidence),
            b"",
            headers={"accept": "application/json"},
            CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
            CONTENT_LENGTH=str(body.length),
            **{"wsgi.input": body},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.json()["files"][0]["ok"] is True
    assert world.evidence.files.get().size == size + len(PDF)
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1_048_576:.1f} MB"
    assert temporary_files(media) == []


def test_too_many_files_at_once_are_refused_together(
    client: Client, world: World, media: Path, settings: pytest.FixtureRequest
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    client.force_login(world.learner)

    response = client.post(
        url(world.evidence),
        {"files": [upload(f"note-{n}.txt", f"note {n}\n".encode()) for n in range(3)]},
        headers={"accept": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["files"][0]["message"] == (
        "Upload at most 2 files at a time. Nothing was saved."
    )
    assert not world.evidence.files.exists()
    assert temporary_files(media) == []


def test_files_sent_under_another_field_name_are_ignored(client: Client, world: World) -> None:
    client.force_login(world.learner)

    response = client.post(
        url(world.evidence),
        {"attachment": upload("other.pdf", PDF), "files": [upload("photo.png", PNG)]},
        headers={"accept": "application/json"},
    )

    assert [f["name"] for f in response.json()["files"]] == ["photo.png"]
    assert list(world.evidence.files.values_list("original_name", flat=True)) == ["photo.png"]


# ---------------------------------------------------------------- hashed as they stream in
# Each file is written once: hashed and sniffed as its chunks arrive, then moved into place.

# Several of the parser's chunks, and not a whole number of them.
BIG_PDF = PDF + bytes(range(256)) * (3 * CHUNK_BYTES // 256) + b"tail"


class CountingReads:
    """A temporary file that counts the bytes read back from it."""

    def __init__(self, fh: IO[bytes], counter: list[int]) -> None:
        self._fh = fh
        self._counter = counter

    def read(self, *args: Any) -> bytes:
        data = self._fh.read(*args)
        self._counter.append(len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __iter__(self) -> Any:
        return iter(self._fh)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every read of an upload's temporary file, in bytes."""
    counter: list[int] = []

    class Counted(StreamedUpload):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.file = CountingReads(self.file, counter)

    monkeypatch.setattr(portfolios.uploads, "StreamedUpload", Counted)
    return counter


def post(world: World, *files: tuple[str, bytes]) -> dict:
    client = Client()
    client.force_login(world.learner)
    body = multipart(*files)
    response = client.generic(
        "POST",
        url(world.evidence),
        body,
        headers={"accept": "application/json"},
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
    )
    return response.json()


def spoolers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "upload-spooler"]


def test_the_stored_hash_is_the_sha256_of_the_stored_bytes(world: World, media: Path) -> None:
    answer = post(world, ("report.pdf", BIG_PDF), ("small.pdf", PDF))

    assert [f["ok"] for f in answer["files"]] == [True, True]
    for record, content in zip(world.evidence.files.order_by("pk"), [BIG_PDF, PDF], strict=True):
        stored = (media / "media" / record.file.name).read_bytes()
        assert stored == content
        assert record.sha256 == hashlib.sha256(stored).hexdigest()
        assert record.size == len(content)
        assert record.content_type == "application/pdf"
    assert spoolers() == []


def test_the_filesystem_storage_takes_the_file_without_reading_it_back(
    world: World, media: Path, reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_second_pass(fh: IO[bytes]) -> str:
        raise AssertionError("the upload was hashed again from disk")

    monkeypatch.setattr("portfolios.evidence.sha256_of", no_second_pass)

    answer = post(world, ("report.pdf", BIG_PDF))

    assert answer["files"][0]["ok"] is True
    assert sum(reads) == 0
    assert [p.read_bytes() for p in stored_files(media)] == [BIG_PDF]
    assert temporary_files(media) == []


def test_a_storage_that_copies_reads_the_file_once(
    world: World, media: Path, reads: list[int], settings: pytest.FixtureRequest
) -> None:
    # Object storage (S3) cannot take a file by renaming it: it reads it, once, to send it.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }

    answer = post(world, ("report.pdf", BIG_PDF))

    assert answer["files"][0]["ok"] is True
    assert sum(reads) == len(BIG_PDF)
    record = EvidenceFile.objects.get(evidence=world.evidence)
    assert record.sha256 == hashlib.sha256(BIG_PDF).hexdigest()
    with record.file.open("rb") as stored:
        assert stored.read() == BIG_PDF
    assert temporary_files(media) == []


def test_a_refused_streamed_file_leaves_nothing_behind(world: World, media: Path) -> None:
    big_exe = EXE + b"\x00" * (2 * CHUNK_BYTES)

    answer = post(world, ("invoice.pdf", big_exe), ("report.pdf", BIG_PDF))

    assert [f["ok"] for f in answer["files"]] == [False, True]
    assert "not a type of file the portfolio accepts" in answer["files"][0]["message"]
    assert [p.read_bytes() for p in stored_files(media)] == [BIG_PDF]
    assert temporary_files(media) == []
    assert spoolers() == []


def test_a_file_passing_the_limit_mid_stream_leaves_nothing_behind(
    world: World, media: Path, settings: pytest.FixtureRequest
) -> None:
    # Under the limit for the request (so it is parsed), over it for the first file.
    settings.EVIDENCE_MAX_UPLOAD_BYTES = len(BIG_PDF) - 1024

    answer = post(world, ("video.pdf", BIG_PDF), ("report.pdf", PDF))

    assert [f["ok"] for f in answer["files"]] == [False, True]
    assert [p.read_bytes() for p in stored_files(media)] == [PDF]
    assert temporary_files(media) == []
    assert spoolers() == []


# ---------------------------------------------------------------- written once, into place


@pytest.fixture
def staged(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """The path and inode of every upload's temporary file, as the handler made it."""
    made: list[tuple[str, int]] = []

    class Recorded(StreamedUpload):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            path = self.temporary_file_path()
            made.append((path, Path(path).stat().st_ino))

    monkeypatch.setattr(portfolios.uploads, "StreamedUpload", Recorded)
    return made


def test_the_file_streams_into_the_storage_folder_and_is_renamed_into_place(
    world: World, media: Path, staged: list[tuple[str, int]]
) -> None:
    # FILE_UPLOAD_TEMP_DIR (the fixture's "uploads") may be on another filesystem, where a move
    # is a copy: the handler stages inside the storage's own folder instead.
    answer = post(world, ("report.pdf", BIG_PDF))

    assert answer["files"][0]["ok"] is True
    [(path, inode)] = staged
    assert Path(path).parent == staging(media)
    [stored] = stored_files(media)
    assert stored.stat().st_ino == inode  # the same file, renamed: its bytes were not copied
    assert stored.read_bytes() == BIG_PDF
    assert temporary_files(media) == []


def test_a_stored_file_is_on_disk_before_it_is_recorded(
    world: World, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[tuple[int, int]] = []
    real_fdatasync = portfolios.uploads.os.fdatasync

    def fdatasync(fd: int) -> None:
        synced.append((EvidenceFile.objects.count(), portfolios.uploads.os.fstat(fd).st_size))
        real_fdatasync(fd)

    monkeypatch.setattr(portfolios.uploads.os, "fdatasync", fdatasync)

    answer = post(world, ("report.pdf", BIG_PDF), ("small.pdf", PDF))

    assert [f["ok"] for f in answer["files"]] == [True, True]
    # Each file synced whole, before any row pointing at it existed.
    assert synced == [(0, len(BIG_PDF)), (0, len(PDF))]


def test_writeback_starts_while_a_large_file_streams(
    world: World, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(portfolios.uploads, "WRITEBACK_BYTES", CHUNK_BYTES)
    advised: list[tuple[int, int]] = []
    real_fadvise = portfolios.uploads.os.posix_fadvise

    def posix_fadvise(fd: int, offset: int, length: int, advice: int) -> None:
        advised.append((offset, length))
        real_fadvise(fd, offset, length, advice)

    monkeypatch.setattr(portfolios.uploads.os, "posix_fadvise", posix_fadvise)

    answer = post(world, ("report.pdf", BIG_PDF))

    assert answer["files"][0]["ok"] is True
    # Ranges that follow on from each other from the start, each at least WRITEBACK_BYTES.
    assert len(advised) >= 2
    assert advised[0][0] == 0
    for (offset, length), (following, _) in itertools.pairwise(advised):
        assert offset + length == following
        assert length >= CHUNK_BYTES
    assert [p.read_bytes() for p in stored_files(media)] == [BIG_PDF]


def test_object_storage_gets_the_file_from_djangos_temporary_folder_unsynced(
    world: World,
    media: Path,
    staged: list[tuple[str, int]],
    settings: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # S3 copies the file anyway, so it is not made durable here, nor staged in a media folder.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    monkeypatch.setattr(portfolios.uploads.os, "fdatasync", pytest.fail)

    answer = post(world, ("report.pdf", BIG_PDF))

    assert answer["files"][0]["ok"] is True
    [(path, _)] = staged
    assert Path(path).parent == media / "uploads"
    assert temporary_files(media) == []


def test_the_last_file_over_the_limit_mid_stream_is_refused_and_the_others_kept(
    world: World, media: Path, settings: pytest.FixtureRequest, staged: list[tuple[str, int]]
) -> None:
    # Under the limit for the request (so it streams), over it for the file, past its 3rd chunk.
    # Django reports the last part's SkipFile as an interrupted upload: it is not one.
    settings.EVIDENCE_MAX_UPLOAD_BYTES = len(BIG_PDF) - 1024

    answer = post(world, ("report.pdf", PDF), ("video.pdf", BIG_PDF))

    assert [f["ok"] for f in answer["files"]] == [True, False]
    assert answer["files"][1]["message"].startswith("video.pdf is larger than")
    assert [Path(path).parent for path, _ in staged] == [staging(media)] * 2
    assert not Path(staged[1][0]).exists()
    assert [p.read_bytes() for p in stored_files(media)] == [PDF]
    assert temporary_files(media) == []
    assert spoolers() == []


def test_the_page_shows_each_files_true_size(client: Client, world: World) -> None:
    """Issue 18: a 666-byte PDF and a 26 KB JPEG were both listed as "(1 MB)"."""
    client.force_login(world.learner)
    pdf = PDF + b"%" * (666 - len(PDF))
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00" + b"\x00" * (26 * 1024 - 14)
    client.post(url(world.evidence), {"files": [upload("a.pdf", pdf), upload("b.jpg", jpeg)]})
    assert sorted(world.evidence.files.values_list("size", flat=True)) == [666, 26 * 1024]

    page = client.get(detail(world.evidence)).content.decode()

    # Said once per file, not twice (the preview and the line under it both said it).
    assert page.count("666 bytes") == 1
    assert "666 bytes, application/pdf" in page
    assert "26 KB, image/jpeg" in page
    assert "1 MB," not in page
    assert "1 MB)" not in page
