"""Serving evidence files: only to those who may see the evidence, and harmlessly."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

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
from portfolios.views.files import RangeNotSatisfiable, parse_range
from qualifications.models import Qualification
from tests.factories import CentreFactory, member

pytestmark = pytest.mark.usefixtures("catalogue")

IMI = "601/3456/2"
PDF = b"%PDF-1.4\n" + b"% a line of the document\n" * 40 + b"%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
TEXT = b"Reflective account: what went well on the night shift.\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + bytes(417) * 4
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>\n'
HTML = b"<!doctype html><title>x</title><script>alert(document.cookie)</script>\n"


@dataclass
class World:
    centre: Centre
    learner: User
    assessor: User
    iv: User
    admin: User
    eqa: User
    registration: Registration
    evidence: Evidence


@pytest.fixture(autouse=True)
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path


@pytest.fixture
def world() -> World:
    centre = CentreFactory()
    qualification = Qualification.objects.get(number=IMI)
    centre.qualifications.add(qualification)
    admin = member(centre, Role.CENTRE_ADMIN)
    learner = member(centre, Role.LEARNER)
    assessor = member(centre, Role.ASSESSOR)
    iv = member(centre, Role.INTERNAL_VERIFIER)
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=qualification,
        start_date=datetime.date.today(),
        assessors=[assessor],
        internal_verifier=iv,
    )
    evidence = make_evidence(registration, learner)
    return World(
        centre=centre,
        learner=learner,
        assessor=assessor,
        iv=iv,
        admin=admin,
        eqa=member(centre, Role.EQA),
        registration=registration,
        evidence=evidence,
    )


def make_evidence(registration: Registration, learner: User) -> Evidence:
    return evidence_create(
        actor=learner,
        registration=registration,
        title="Night shift",
        evidence_date=datetime.date.today(),
        method=EvidenceMethod.PRODUCT,
        context=EvidenceContext.REAL_WORK_PAID,
    )


def attach(
    world: World, name: str, content: bytes, evidence: Evidence | None = None
) -> EvidenceFile:
    upload = SimpleUploadedFile(name, content)
    return file_add(actor=world.learner, evidence=evidence or world.evidence, upload=upload).file


def submit(evidence: Evidence) -> None:
    Evidence.objects.filter(pk=evidence.pk).update(status=EvidenceStatus.SUBMITTED)


def url(evidence_file: EvidenceFile) -> str:
    return reverse("files:download", args=[evidence_file.pk])


def body(response: object) -> bytes:
    # Reading to the end closes the response (and the stored file) as a server would.
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def fetch(client: Client, user: User | None, path: str, **headers: str) -> object:
    if user is not None:
        client.force_login(user)
    return client.get(path, headers=headers)


# ---------------------------------------------------------------- who may fetch a file


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("learner", 200),
        ("assessor", 200),
        ("iv", 200),
        ("admin", 200),
        ("eqa", 200),
        ("superuser", 200),
        ("other learner", 404),
        ("unassigned assessor", 404),
        ("other centre admin", 404),
        ("other centre eqa", 404),
    ],
)
def test_a_submitted_file_reaches_only_those_who_may_see_the_evidence(
    client: Client, world: World, staff_user: User, who: str, status: int
) -> None:
    evidence_file = attach(world, "report.pdf", PDF)
    submit(world.evidence)
    elsewhere = CentreFactory()
    people = {
        "learner": world.learner,
        "assessor": world.assessor,
        "iv": world.iv,
        "admin": world.admin,
        "eqa": world.eqa,
        "superuser": staff_user,
        "other learner": member(world.centre, Role.LEARNER),
        "unassigned assessor": member(world.centre, Role.ASSESSOR),
        "other centre admin": member(elsewhere, Role.CENTRE_ADMIN),
        "other centre eqa": member(elsewhere, Role.EQA),
    }

    response = fetch(client, people[who], url(evidence_file))

    assert response.status_code == status
    if status == 200:
        assert body(response) == PDF


@pytest.mark.parametrize(
    ("who", "status"),
    [("learner", 200), ("assessor", 404), ("iv", 404), ("admin", 404), ("eqa", 404)],
)
def test_a_draft_file_reaches_only_the_learner(
    client: Client, world: World, who: str, status: int
) -> None:
    evidence_file = attach(world, "report.pdf", PDF)

    response = fetch(client, getattr(world, who), url(evidence_file))

    assert response.status_code == status


def test_an_unknown_file_is_not_found(client: Client, world: World) -> None:
    client.force_login(world.learner)

    assert client.get(reverse("files:download", args=[987654])).status_code == 404


def test_signing_in_comes_first(client: Client, world: World) -> None:
    evidence_file = attach(world, "report.pdf", PDF)

    response = client.get(url(evidence_file))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_file_cannot_be_posted_to(client: Client, world: World) -> None:
    evidence_file = attach(world, "report.pdf", PDF)
    client.force_login(world.learner)

    assert client.post(url(evidence_file)).status_code == 405


# ---------------------------------------------------------------- headers


FILE_POLICY = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"


def test_a_pdf_is_downloaded_with_its_sniffed_type(client: Client, world: World) -> None:
    evidence_file = attach(world, "Handover report.pdf", PDF)

    response = fetch(client, world.learner, url(evidence_file))

    assert response["Content-Type"] == "application/pdf"
    # A PDF can carry script and links, and a sandbox cannot hold the browser's PDF viewer.
    assert response["Content-Disposition"] == 'attachment; filename="Handover report.pdf"'
    assert response["Content-Length"] == str(len(PDF))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == FILE_POLICY
    assert response["Cache-Control"] == "private"
    assert response["Accept-Ranges"] == "bytes"
    # Nothing frames evidence files any more, so the site-wide refusal stands.
    assert response["X-Frame-Options"] == "DENY"
    body(response)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("interview.mp3", MP3, "audio/mpeg"),
    ],
)
def test_images_and_audio_are_shown_in_place_in_a_sandbox(
    client: Client, world: World, name: str, content: bytes, content_type: str
) -> None:
    evidence_file = attach(world, name, content)

    response = fetch(client, world.learner, url(evidence_file))

    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'inline; filename="{name}"'
    assert response["Content-Security-Policy"] == FILE_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == content


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", TEXT),
        ("drawing.svg", SVG),
        ("page.html", HTML),
    ],
)
def test_text_svg_and_html_are_stored_as_plain_text_and_downloaded(
    client: Client, world: World, name: str, content: bytes
) -> None:
    # SVG and HTML have no magic number: the upload sniffs them as plain text, which is what
    # a browser would be told even if it opened them.
    evidence_file = attach(world, name, content)

    response = fetch(client, world.learner, url(evidence_file))

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Content-Security-Policy"] == FILE_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == content


@pytest.mark.parametrize(
    "stored_type", ["image/svg+xml", "text/html", "application/xml", "application/octet-stream"]
)
def test_a_type_that_can_carry_script_is_downloaded_even_if_it_were_ever_stored(
    client: Client, world: World, stored_type: str
) -> None:
    files = EvidenceFile.objects.filter(pk=attach(world, "drawing.svg", SVG).pk)
    files.update(content_type=stored_type)

    response = fetch(client, world.learner, url(files.get()))

    assert response["Content-Disposition"] == 'attachment; filename="drawing.svg"'
    assert response["Content-Security-Policy"] == FILE_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    body(response)


def test_the_type_comes_from_the_bytes_not_the_name(client: Client, world: World) -> None:
    evidence_file = attach(world, "looks-like-a.pdf", PNG)

    response = fetch(client, world.learner, url(evidence_file))

    assert response["Content-Type"] == "image/png"


def test_other_documents_are_downloaded(client: Client, world: World) -> None:
    text = EvidenceFile.objects.filter(pk=attach(world, "plan.docx", TEXT).pk)
    # Stand-in for an Office document: the stored type decides the disposition.
    text.update(content_type="application/vnd.ms-excel")

    response = fetch(client, world.learner, url(text.get()))

    assert response["Content-Type"] == "application/vnd.ms-excel"
    assert response["Content-Disposition"] == 'attachment; filename="plan.docx"'
    assert response["Content-Security-Policy"] == FILE_POLICY
    body(response)


@pytest.mark.parametrize(
    ("name", "content"), [("report.pdf", PDF), ("photo.jpg", JPEG), ("interview.mp3", MP3)]
)
def test_download_1_forces_an_attachment(
    client: Client, world: World, name: str, content: bytes
) -> None:
    evidence_file = attach(world, name, content)

    response = fetch(client, world.learner, url(evidence_file) + "?download=1")

    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Content-Security-Policy"] == FILE_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    body(response)


def test_the_original_name_is_encoded_safely(client: Client, world: World) -> None:
    evidence_file = attach(world, 'Zoë\'s "first" report.pdf', PDF)

    response = fetch(client, world.learner, url(evidence_file))

    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Zo%C3%AB%27s%20%22first%22%20report.pdf"
    )
    body(response)


# ---------------------------------------------------------------- ranges


def test_a_range_request_gets_206_and_just_those_bytes(client: Client, world: World) -> None:
    evidence_file = attach(world, "photo.png", PNG)

    response = fetch(client, world.learner, url(evidence_file), range="bytes=100-199")

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(PNG)}"
    assert response["Content-Length"] == "100"
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == PNG[100:200]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=1000-", 1000, None), ("bytes=-24", -24, None), ("bytes=0-999999", 0, None)],
)
def test_open_and_suffix_ranges_are_served(
    client: Client, world: World, header: str, first: int, last: int | None
) -> None:
    evidence_file = attach(world, "photo.png", PNG)

    response = fetch(client, world.learner, url(evidence_file), range=header)

    assert response.status_code == 206
    assert body(response) == PNG[first:last]


def test_a_range_past_the_end_answers_416(client: Client, world: World) -> None:
    evidence_file = attach(world, "photo.png", PNG)

    response = fetch(client, world.learner, url(evidence_file), range=f"bytes={len(PNG)}-")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(PNG)}"


@pytest.mark.parametrize("range_header", [None, "bytes=0-9"])
def test_a_file_lost_from_disk_answers_a_page_saying_so_not_a_server_error(
    client: Client, world: World, media: Path, range_header: str | None
) -> None:
    evidence_file = attach(world, "photo.png", PNG)
    (media / "media" / evidence_file.file.name).unlink()
    headers = {"range": range_header} if range_header else {}

    response = fetch(client, world.learner, url(evidence_file), **headers)

    assert response.status_code == 404
    html = response.content.decode()
    assert "This file is not available" in html
    assert "“photo.png”" in html


def test_several_ranges_or_a_stale_if_range_get_the_whole_file(
    client: Client, world: World
) -> None:
    evidence_file = attach(world, "photo.png", PNG)

    several = fetch(client, world.learner, url(evidence_file), range="bytes=0-1,5-9")
    stale = fetch(client, world.learner, url(evidence_file), range="bytes=0-1", if_range='"x"')

    assert (several.status_code, body(several)) == (200, PNG)
    assert (stale.status_code, body(stale)) == (200, PNG)


def test_a_matching_if_range_gets_the_range(client: Client, world: World) -> None:
    evidence_file = attach(world, "photo.png", PNG)

    response = fetch(
        client,
        world.learner,
        url(evidence_file),
        range="bytes=0-7",
        if_range=f'"{evidence_file.sha256}"',
    )

    assert response.status_code == 206
    assert body(response) == PNG[:8]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", (0, 0)),
        ("bytes=10-", (10, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=-500", (0, 99)),
        ("bytes=50-20", None),
        ("items=0-5", None),
        ("bytes=-", None),
    ],
)
def test_parse_range(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=500-600"])
def test_parse_range_refuses_what_cannot_be_satisfied(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 100)


# ---------------------------------------------------------------- cost


def test_serving_costs_the_same_queries_whatever_the_portfolio_holds(
    client: Client, world: World, django_assert_num_queries: object
) -> None:
    first = attach(world, "report.pdf", PDF)
    client.force_login(world.assessor)
    submit(world.evidence)
    for n in range(15):
        evidence = make_evidence(world.registration, world.learner)
        attach(world, f"note-{n}.txt", f"note {n}\n".encode(), evidence=evidence)
        submit(evidence)
    last = EvidenceFile.objects.order_by("-pk").first()

    # Session, user, the evidence file; then the active role, so that an EQA's download is logged.
    with django_assert_num_queries(4) as small:  # type: ignore[operator]
        body(client.get(url(first)))
    with django_assert_num_queries(len(small.captured_queries)):  # type: ignore[operator]
        body(client.get(url(last)))
