"""The writes: register a learner (known here: registered; new: invited, as the register page
does), upload evidence (streamed and checked as the upload page does, all or nothing), log
off-the-job hours (the log page's form and service). The same audit events as the pages, the
pages' rules, and an Idempotency-Key that makes a retried write answer as the first time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.models import Invitation, Membership, Role
from api.scopes import Scope
from core.models import AuditEvent
from portfolios.models import Evidence, EvidenceFile, OffTheJobActivity, Registration
from qualifications.models import Qualification
from tests.api.conftest import IMI, make_token, register, send
from tests.factories import CentreFactory, member
from tests.support import clock
from tests.support.media import private_media, stored_files

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Files are stored, and streamed, in this test's own folders."""
    return private_media(settings, tmp_path)


@pytest.fixture
def centre() -> dict[str, Any]:
    centre = CentreFactory(name="Northgate")
    admin = member(centre, Role.CENTRE_ADMIN)
    centre.qualifications.add(Qualification.objects.get(number=IMI))
    return {"centre": centre, "admin": admin, "secret": make_token(admin, centre=centre)[1]}


def _registering(**fields: Any) -> dict[str, Any]:
    return {
        "qualification": Qualification.objects.get(number=IMI).pk,
        "start_date": clock.today().isoformat(),
        **fields,
    }


# ---------------------------------------------------------------- register


def test_a_learner_here_is_registered_now_with_the_pages_audit_event(centre: dict) -> None:
    learner = member(centre["centre"], Role.LEARNER)
    response = send("post", "/registrations", centre["secret"], _registering(learner=learner.pk))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["outcome"] == "registered"
    made = Registration.objects.get(learner=learner)
    assert body["registration"]["id"] == made.pk
    assert body["registration"]["centre"]["id"] == centre["centre"].pk
    event = AuditEvent.objects.get(action="registration.created")
    assert event.object_id == str(made.pk)
    assert event.actor_id == centre["admin"].pk


def test_a_new_learner_is_invited_and_joins_only_by_accepting(centre: dict) -> None:
    response = send(
        "post",
        "/registrations",
        centre["secret"],
        _registering(new_full_name="Ada Newcomer", new_email="Ada@Example.org"),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["outcome"] == "invited"
    assert body["registration"] is None
    invitation = Invitation.objects.get(pk=body["invitation_id"])
    assert invitation.email == body["email"] == "ada@example.org"
    assert invitation.registrations[0]["qualification"] == IMI
    # Nobody joined, nothing registered: they join when they accept, as on the pages.
    assert not Registration.objects.exists()
    assert not Membership.objects.filter(user__email="ada@example.org").exists()
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "invitation.sent",
        "registration.invited",
    }


def test_a_double_submit_is_refused_without_a_key_and_answered_again_with_one(
    centre: dict,
) -> None:
    new = _registering(new_full_name="Ada Newcomer", new_email="ada@example.org")
    key = {"Idempotency-Key": "add-ada-2026-0001"}
    first = send("post", "/registrations", centre["secret"], new, **key)
    again = send("post", "/registrations", centre["secret"], new, **key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Invitation.objects.count() == 1
    assert AuditEvent.objects.filter(action="registration.invited").count() == 1
    # Without the key the service's own guard speaks: nothing is sent again.
    third = send("post", "/registrations", centre["secret"], new)
    assert third.status_code == 422
    assert "already has an invitation waiting" in third.json()["detail"]
    # The same key with another body is refused, naming the first request's path.
    other = send("post", "/registrations", centre["secret"], {**new, "new_email": "b@x.org"}, **key)
    assert other.status_code == 422
    assert "this key was used for another request (/api/v1/registrations" in other.json()["detail"]
    assert Invitation.objects.count() == 1


def test_bad_registering_input_says_which_field_and_makes_nothing(centre: dict) -> None:
    elsewhere = Qualification.objects.exclude(number=IMI).first()
    response = send(
        "post",
        "/registrations",
        centre["secret"],
        _registering(qualification=elsewhere.pk, new_full_name="Ada", new_email="not-an-email"),
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "body.qualification" in detail
    assert "body.new_email" in detail
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="registration").exists()


def test_only_a_centres_admin_registers_and_a_scope_is_needed(centre: dict) -> None:
    learner = member(centre["centre"], Role.LEARNER)
    _, personal = make_token(learner)
    asked = _registering(learner=learner.pk, centre=centre["centre"].pk)
    assert send("post", "/registrations", personal, asked).status_code == 404
    _, read_only = make_token(
        centre["admin"], centre=centre["centre"], scopes=[Scope.REGISTRATIONS_READ]
    )
    refused = send("post", "/registrations", read_only, asked)
    assert refused.status_code == 403
    assert "learners:write" in refused.json()["detail"]
    # The admin's own token names the centre; another centre's id is not found.
    _, admins_own = make_token(centre["admin"])
    other = CentreFactory()
    assert (
        send("post", "/registrations", admins_own, {**asked, "centre": other.pk}).status_code == 404
    )
    assert send("post", "/registrations", admins_own, asked).status_code == 201
    assert not Registration.objects.filter(centre=other).exists()


# ---------------------------------------------------------------- evidence


def _upload(
    secret: str,
    registration: Registration,
    *files: tuple[str, bytes],
    key: str | None = None,
    **fields: Any,
) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data: dict[str, Any] = {
        "title": "Brake check",
        "evidence_date": clock.today().isoformat(),
        "method": "product",
        "context": "real_work_paid",
        **fields,
        "files": [SimpleUploadedFile(name, content) for name, content in files],
    }
    headers = {"Authorization": f"Bearer {secret}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return Client().post(f"/api/v1/registrations/{registration.pk}/evidence", data, headers=headers)


def test_the_learner_uploads_evidence_with_its_files_and_the_pages_events(
    centre: dict, media: Path
) -> None:
    registration = register(centre["centre"], centre["admin"])
    _, secret = make_token(registration.learner)
    response = _upload(secret, registration, ("brakes.pdf", PDF))
    assert response.status_code == 201, response.json()
    body = response.json()
    evidence = Evidence.objects.get(pk=body["id"])
    assert evidence.status == "draft"
    assert body["files"][0]["content_type"] == "application/pdf"
    assert EvidenceFile.objects.get(evidence=evidence).size == len(PDF)
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "evidence.created" in actions
    assert "evidence.file_added" in actions
    assert len(stored_files(media)) == 1


def test_a_refused_file_leaves_nothing_and_says_why(centre: dict, media: Path) -> None:
    registration = register(centre["centre"], centre["admin"])
    _, secret = make_token(registration.learner)
    response = _upload(secret, registration, ("notes.pdf", PDF), ("tool.exe", EXE))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "tool.exe is not a type of file the portfolio accepts" in detail
    assert "Nothing was saved" in detail
    # Not the draft, not the good file's row, not its bytes.
    assert not Evidence.objects.exists()
    assert not EvidenceFile.objects.exists()
    assert stored_files(media) == []
    assert not AuditEvent.objects.filter(action__startswith="evidence").exists()


def test_an_oversized_file_is_refused_as_it_streams_and_leaves_nothing(
    centre: dict, media: Path, settings: Any
) -> None:
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024
    registration = register(centre["centre"], centre["admin"])
    _, secret = make_token(registration.learner)
    response = _upload(secret, registration, ("big.pdf", PDF + b"0" * 4096))
    assert response.status_code == 413
    assert "Nothing was saved" in response.json()["detail"]
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_bad_fields_or_no_file_say_so(centre: dict) -> None:
    registration = register(centre["centre"], centre["admin"])
    _, secret = make_token(registration.learner)
    response = _upload(secret, registration, ("a.pdf", PDF), method="telepathy", title=" ")
    assert response.status_code == 422
    assert "body.method" in response.json()["detail"]
    assert "body.title" in response.json()["detail"]
    empty = _upload(secret, registration)
    assert empty.status_code == 422
    assert "Choose at least one file" in empty.json()["detail"]
    assert not Evidence.objects.exists()


def test_only_the_learner_adds_evidence(centre: dict) -> None:
    registration = register(centre["centre"], centre["admin"])
    refused = _upload(centre["secret"], registration, ("a.pdf", PDF))
    assert refused.status_code == 403
    assert "Only the learner" in refused.json()["detail"]
    assert not Evidence.objects.exists()


def test_a_retried_upload_with_its_key_answers_as_the_first_and_stores_once(
    centre: dict, media: Path
) -> None:
    registration = register(centre["centre"], centre["admin"])
    _, secret = make_token(registration.learner)
    first = _upload(secret, registration, ("brakes.pdf", PDF), key="upload-brakes-0001")
    again = _upload(secret, registration, ("brakes.pdf", PDF), key="upload-brakes-0001")
    assert first.status_code == again.status_code == 201, again.json()
    assert again.json() == first.json()
    assert Evidence.objects.count() == 1
    assert AuditEvent.objects.filter(action="evidence.file_added").count() == 1
    # The retry's bytes streamed to a temporary file and were deleted: one file is stored.
    assert len(stored_files(media)) == 1


def test_the_same_key_with_another_file_or_field_is_refused_and_stores_nothing(
    centre: dict, media: Path
) -> None:
    registration = register(centre["centre"], centre["admin"])
    _, secret = make_token(registration.learner)
    first = _upload(secret, registration, ("brakes.pdf", PDF), key="upload-brakes-0002")
    assert first.status_code == 201, first.json()
    # The same name and size, other bytes: only the file's SHA-256 tells them apart.
    other = PDF.replace(b"Catalog", b"Catalof")
    assert len(other) == len(PDF)
    assert other != PDF
    changed_file = _upload(secret, registration, ("brakes.pdf", other), key="upload-brakes-0002")
    assert changed_file.status_code == 422
    assert (
        "Idempotency-Key: this key was used for another request" in (changed_file.json()["detail"])
    )
    changed_field = _upload(
        secret, registration, ("brakes.pdf", PDF), key="upload-brakes-0002", title="Tyres"
    )
    assert changed_field.status_code == 422
    assert "this key was used for another request" in changed_field.json()["detail"]
    # Nothing of either refused request is kept: the first draft and its one file alone.
    assert Evidence.objects.count() == 1
    assert EvidenceFile.objects.count() == 1
    assert AuditEvent.objects.filter(action="evidence.created").count() == 1
    assert len(stored_files(media)) == 1
    # The first answer still stands for its own request.
    again = _upload(secret, registration, ("brakes.pdf", PDF), key="upload-brakes-0002")
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


def test_a_malformed_key_on_an_upload_is_refused_and_stores_nothing(
    centre: dict, media: Path
) -> None:
    registration = register(centre["centre"], centre["admin"])
    _, secret = make_token(registration.learner)
    response = _upload(secret, registration, ("brakes.pdf", PDF), key="no spaces!")
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


# ---------------------------------------------------------------- off-the-job hours


def _hours(**fields: Any) -> dict[str, Any]:
    return {
        "date": clock.today().isoformat(),
        "hours": "1.5",
        "kind": "teaching",
        "description": "Workshop on diagnostics",
        **fields,
    }


def test_the_apprentice_logs_hours_with_the_pages_event(centre: dict) -> None:
    registration = register(centre["centre"], centre["admin"])
    _, secret = make_token(registration.learner)
    response = send("post", f"/registrations/{registration.pk}/off-the-job", secret, _hours())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["hours"] == "1.50"
    assert body["status"] == "submitted"
    activity = OffTheJobActivity.objects.get(pk=body["id"])
    assert AuditEvent.objects.get(action="off_the_job.logged").object_id == str(activity.pk)


def test_hours_are_checked_as_the_log_page_checks_them(centre: dict) -> None:
    registration = register(centre["centre"], centre["admin"])
    _, secret = make_token(registration.learner)
    path = f"/registrations/{registration.pk}/off-the-job"
    future = clock.today().toordinal() + 1
    import datetime

    tomorrow = datetime.date.fromordinal(future).isoformat()
    cases = {
        "english_maths": _hours(kind="english_maths"),
        "future": _hours(date=tomorrow),
        "quarter": _hours(hours="0.1"),
    }
    answers = {name: send("post", path, secret, body) for name, body in cases.items()}
    assert all(answer.status_code == 422 for answer in answers.values())
    assert "English and maths" in answers["english_maths"].json()["detail"]
    assert "future" in answers["future"].json()["detail"]
    assert "body.hours" in answers["quarter"].json()["detail"]
    # 24 hours in a day, across entries: the service's own check.
    assert send("post", path, secret, _hours(hours="20")).status_code == 201
    over = send("post", path, secret, _hours(hours="5"))
    assert over.status_code == 422
    assert "24 hours" in over.json()["detail"]
    assert OffTheJobActivity.objects.count() == 1


def test_a_retried_log_with_its_key_is_logged_once(centre: dict) -> None:
    registration = register(centre["centre"], centre["admin"])
    _, secret = make_token(registration.learner)
    path = f"/registrations/{registration.pk}/off-the-job"
    key = {"Idempotency-Key": "hours-2026-12-05-a"}
    first = send("post", path, secret, _hours(), **key)
    again = send("post", path, secret, _hours(), **key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert OffTheJobActivity.objects.count() == 1
    assert AuditEvent.objects.filter(action="off_the_job.logged").count() == 1
    bad_key = send("post", path, secret, _hours(), **{"Idempotency-Key": "no spaces!"})
    assert bad_key.status_code == 422
    assert "Idempotency-Key" in bad_key.json()["detail"]


def test_only_the_apprentice_logs_their_hours(centre: dict) -> None:
    registration = register(centre["centre"], centre["admin"])
    refused = send(
        "post", f"/registrations/{registration.pk}/off-the-job", centre["secret"], _hours()
    )
    assert refused.status_code == 403
    assert "Only the apprentice" in refused.json()["detail"]
    assert not OffTheJobActivity.objects.exists()
