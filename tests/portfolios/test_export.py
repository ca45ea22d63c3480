from __future__ import annotations

import datetime
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Centre, Role, User
from assessments.services import return_evidence
from demo.common import tiny_pdf, tiny_png
from portfolios import export
from portfolios.evidence import (
    evidence_create,
    file_add,
    map_criteria,
    resubmit,
    submit,
)
from portfolios.export import safe_name, unique_name
from portfolios.models import Evidence, Registration
from portfolios.services import register_learner
from portfolios.witness import witness_request_create, witness_respond
from qualifications.models import AssessmentCriterion, Qualification
from tests.factories import CentreFactory, UserFactory, member

pytestmark = pytest.mark.usefixtures("catalogue", "media")

IMI = "601/3456/2"
PDF = tiny_pdf("Job sheet")
PNG_A = tiny_png((200, 0, 0))
PNG_B = tiny_png((0, 200, 0))


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@dataclass
class World:
    centre: Centre
    admin: User
    learner: User
    assessor: User
    registration: Registration
    other_learner: User


@pytest.fixture
def world() -> World:
    centre = CentreFactory()
    imi = Qualification.objects.get(number=IMI)
    centre.qualifications.add(imi)
    admin = member(centre, Role.CENTRE_ADMIN)
    learner = member(centre, Role.LEARNER, full_name="Nadia Brook")
    assessor = member(centre, Role.ASSESSOR, full_name="Ada Assessor")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=imi,
        start_date=datetime.date.today(),
        assessors=[assessor],
    )
    return World(centre, admin, learner, assessor, registration, member(centre, Role.LEARNER))


def criteria(registration: Registration, count: int) -> list[AssessmentCriterion]:
    return list(
        AssessmentCriterion.objects.filter(
            unit__in=registration.unit_choices.values("unit_id")
        ).order_by("unit__key", "position")[:count]
    )


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def add_evidence(world: World, title: str, files: list[tuple[str, bytes]]) -> Evidence:
    evidence = evidence_create(
        actor=world.learner,
        registration=world.registration,
        title=title,
        evidence_date=datetime.date.today(),
        method="product",
        context="real_work_paid",
        description=f"About {title}",
    )
    for name, content in files:
        file_add(actor=world.learner, evidence=evidence, upload=upload(name, content))
    return evidence


def a_full_portfolio(world: World, tag: str = "") -> dict[str, Evidence]:
    """A draft, a declared submission, a returned one resubmitted as v2, and a testimony."""
    draft = add_evidence(world, "Draft" + tag, [("passwd.pdf", PDF)])
    # Upload handlers strip folders already; a name from elsewhere (an import) might not.
    draft.files.update(original_name="../../etc/passwd.pdf")
    submitted = add_evidence(
        world, "Photos", [("photo.png", PNG_A), ("PHOTO.png", PNG_B), ("report.pdf", PDF)]
    )
    map_criteria(actor=world.learner, evidence=submitted, criteria=criteria(world.registration, 3))
    submit(actor=world.learner, evidence=submitted, typed_name="Nadia Brook", confirmed=True)
    first = add_evidence(world, "Discussion" + tag, [("notes.txt", b"What we discussed\n")])
    map_criteria(actor=world.learner, evidence=first, criteria=criteria(world.registration, 1))
    submit(actor=world.learner, evidence=first, typed_name="Nadia Brook", confirmed=True)
    with transaction.atomic():
        return_evidence(assessor=world.assessor, evidence=first, feedback="More detail, please.")
    second = resubmit(actor=world.learner, evidence=first)
    submit(actor=world.learner, evidence=second, typed_name="Nadia Brook", confirmed=True)
    asked = witness_request_create(
        actor=world.assessor,
        registration=world.registration,
        witness_name="Grace Supervisor",
        witness_email="grace@example.com",
        job_title="Supervisor",
        relationship="line manager",
        is_expert=True,
        expert_competence="Workshop supervisor for ten years.",
        activity="Brakes",
        criteria=criteria(world.registration, 2),
    )
    testimony = witness_respond(
        token=asked.token, testimony="Very safe work.", signed_name="Grace S", confirmed=True
    )
    return {
        "draft": draft,
        "submitted": submitted,
        "first": first,
        "second": second,
        "testimony": testimony,
    }


def export_url(registration: Registration) -> str:
    return reverse("witness:export", args=[registration.pk])


def download(client: Client, registration: Registration) -> tuple[Any, zipfile.ZipFile]:
    response = client.get(export_url(registration))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    return response, zipfile.ZipFile(io.BytesIO(body))


# ---------------------------------------------------------------- contents


def test_the_learner_downloads_their_whole_portfolio_as_a_streamed_zip(
    client: Client, world: World
) -> None:
    made = a_full_portfolio(world)
    client.force_login(world.learner)

    response = client.get(export_url(world.registration))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="portfolio-nadia-brook')
    assert response["Cache-Control"] == "no-store"
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    d, s, f, v2 = (made[k].pk for k in ("draft", "submitted", "first", "second"))
    assert sorted(archive.namelist()) == sorted(
        [
            "manifest.json",
            "index.html",
            "signature.jws",
            f"evidence/{d}-v1/passwd.pdf",
            f"evidence/{s}-v1/photo.png",
            f"evidence/{s}-v1/PHOTO (2).png",
            f"evidence/{s}-v1/report.pdf",
            f"evidence/{f}-v1/notes.txt",
            f"evidence/{v2}-v2/notes.txt",
        ]
    )
    assert archive.read(f"evidence/{s}-v1/photo.png") == PNG_A
    assert archive.read(f"evidence/{s}-v1/PHOTO (2).png") == PNG_B
    assert archive.read(f"evidence/{d}-v1/passwd.pdf") == PDF
    assert archive.read(f"evidence/{v2}-v2/notes.txt") == b"What we discussed\n"


def test_the_manifest_describes_every_record_version_file_and_signature(
    client: Client, world: World
) -> None:
    made = a_full_portfolio(world)
    client.force_login(world.learner)

    _, archive = download(client, world.registration)
    manifest = json.loads(archive.read("manifest.json"))

    assert manifest["registration"]["id"] == world.registration.pk
    assert manifest["registration"]["learner"]["name"] == "Nadia Brook"
    assert manifest["registration"]["assessors"][0]["name"] == "Ada Assessor"
    assert manifest["qualification"]["number"] == IMI
    assert {u["key"] for u in manifest["units"]} == set(
        world.registration.unit_choices.values_list("unit__key", flat=True)
    )
    by_id = {e["id"]: e for e in manifest["evidence"]}
    assert set(by_id) == {e.pk for e in made.values()}
    submitted = by_id[made["submitted"].pk]
    assert submitted["status"] == "submitted"
    assert submitted["declaration"]["typed_name"] == "Nadia Brook"
    assert submitted["declaration"]["content_hash"] == made["submitted"].declaration.content_hash
    assert len(submitted["criteria"]) == 3
    assert all(c["text"] for c in submitted["criteria"])
    for entry in submitted["files"]:
        content = archive.read(entry["path"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert len(content) == entry["size"]
    assert {f["name"] for f in submitted["files"]} == {"photo.png", "PHOTO.png", "report.pdf"}
    assert by_id[made["draft"].pk]["files"][0]["name"] == "../../etc/passwd.pdf"
    assert by_id[made["draft"].pk]["status"] == "draft"
    assert by_id[made["first"].pk]["status"] == "returned"
    second = by_id[made["second"].pk]
    assert second["version"] == 2
    assert second["previous"] == made["first"].pk
    testimony = by_id[made["testimony"].pk]
    assert testimony["declaration"] is None
    assert testimony["witness_signature"]["signed_name"] == "Grace S"
    assert testimony["witness_signature"]["expert"] is True
    assert manifest["witness_requests"][0]["testimony"] == "Very safe work."
    # index.html: the testimony on its evidence, the return's feedback on the returned version.
    index = archive.read("index.html").decode()
    testimony_section = index.split(f'id="evidence-{made["testimony"].pk}"', 1)[1]
    assert "Very safe work." in testimony_section.split("</article>", 1)[0]
    returned_section = index.split(f'id="evidence-{made["first"].pk}"', 1)[1]
    assert "More detail, please." in returned_section.split("</article>", 1)[0]
    actions = {e["action"] for e in manifest["audit_events"]}
    assert actions >= {
        "registration.created",
        "evidence.created",
        "evidence.file_added",
        "evidence.submitted",
        "evidence.returned",
        "evidence.new_version",
        "witness.requested",
        "witness.signed",
    }
    # The link's token hash is a credential: it never leaves the database.
    text = archive.read("manifest.json").decode()
    for request in world.registration.witness_requests.all():
        assert request.token_hash not in text


def test_an_empty_portfolio_exports_a_manifest_and_index_alone(
    client: Client, world: World
) -> None:
    client.force_login(world.learner)

    _, archive = download(client, world.registration)

    assert archive.namelist() == ["manifest.json", "index.html", "signature.jws"]
    assert "No evidence yet." in archive.read("index.html").decode()
    assert json.loads(archive.read("manifest.json"))["evidence"] == []


def test_the_files_are_read_only_as_the_archive_streams(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_full_portfolio(world)
    opened: list[str] = []
    reads: list[int] = []
    storage = export.default_storage

    class Spy:
        def open(self, name: str, mode: str = "rb") -> Any:
            opened.append(name)
            return Reader(storage.open(name, mode))

        def exists(self, name: str) -> bool:
            # Checked before the first byte (a missing file gets a page, not a broken ZIP).
            return storage.exists(name)

    class Reader:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def read(self, size: int = -1) -> bytes:
            reads.append(size)
            return self.fh.read(size)

        def __enter__(self) -> Reader:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def close(self) -> None:
            self.fh.close()

    monkeypatch.setattr(export, "default_storage", Spy())
    monkeypatch.setattr(export, "READ_CHUNK", 7)
    client.force_login(world.learner)

    response = client.get(export_url(world.registration))
    assert opened == []
    with CaptureQueriesContext(connection) as while_streaming:
        chunks = list(response.streaming_content)

    assert len(opened) == 6
    assert len(while_streaming) == 0
    # Every read asked for one small chunk, never the whole file.
    assert set(reads) == {7}
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None


def test_the_export_costs_the_same_queries_however_big_the_portfolio(
    client: Client, world: World
) -> None:
    client.force_login(world.learner)
    a_full_portfolio(world)
    client.get(export_url(world.registration))
    with CaptureQueriesContext(connection) as small:
        client.get(export_url(world.registration))
    a_full_portfolio(world, tag=" again")
    for n in range(5):
        evidence = add_evidence(world, f"More {n}", [(f"{n}.png", tiny_png((n, n, n)))])
        map_criteria(
            actor=world.learner, evidence=evidence, criteria=criteria(world.registration, 4)
        )

    with CaptureQueriesContext(connection) as large:
        response = client.get(export_url(world.registration))

    assert len(large) == len(small), "\n".join(q["sql"][:150] for q in large.captured_queries)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(json.loads(archive.read("manifest.json"))["evidence"]) == 15


# ---------------------------------------------------------------- who may export


@pytest.mark.parametrize("who", ["other_learner", "assessor", "admin", "iv", "eqa", "stranger"])
def test_no_one_but_the_learner_may_export(client: Client, world: World, who: str) -> None:
    a_full_portfolio(world)
    people = {
        "other_learner": world.other_learner,
        "assessor": world.assessor,
        "admin": world.admin,
        "iv": member(world.centre, Role.INTERNAL_VERIFIER),
        "eqa": member(world.centre, Role.EQA),
        "stranger": UserFactory(),
    }
    client.force_login(people[who])

    assert client.get(export_url(world.registration)).status_code == 404


def test_a_superuser_may_export(client: Client, world: World) -> None:
    a_full_portfolio(world)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    _, archive = download(client, world.registration)

    assert "manifest.json" in archive.namelist()


def test_the_export_needs_sign_in_and_a_get(client: Client, world: World) -> None:
    response = client.get(export_url(world.registration))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

    client.force_login(world.learner)
    assert client.post(export_url(world.registration)).status_code == 405
    assert client.get(reverse("witness:export", args=[999999])).status_code == 404


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("original", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ('a<b>c:"d"|e?f*.txt', "a_b_c__d__e_f_.txt"),
        ("...", "file"),
        ("", "file"),
        ("tab\there.txt", "tab_here.txt"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_file_names_are_made_safe_to_unpack(original: str, safe: str) -> None:
    assert safe_name(original) == safe


def test_names_are_made_unique_ignoring_case() -> None:
    taken: set[str] = set()

    names = [unique_name(n, taken) for n in ("a.png", "A.png", "a.png", "b")]

    assert names == ["a.png", "A (2).png", "a (3).png", "b"]


def test_a_site_without_its_signing_key_still_gives_the_learner_an_unsigned_copy(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    def no_key(*args: Any) -> str:
        raise ImproperlyConfigured("no key")

    monkeypatch.setattr(export, "export_sealers", [no_key])
    client.force_login(world.learner)

    _, archive = download(client, world.registration)

    assert archive.namelist() == ["manifest.json", "index.html"]
