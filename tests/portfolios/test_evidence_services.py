"""The evidence services: sniffed and hashed files, the real-work rule, the signed declaration,
versions, and nothing changing once submitted."""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import Role, User
from core.models import AuditEvent
from portfolios.evidence import (
    EvidenceError,
    content_hash,
    evidence_create,
    evidence_delete,
    evidence_update,
    file_add,
    file_remove,
    map_criteria,
    resubmit,
    sniff,
    submission_content,
    submit,
)
from portfolios.models import (
    Declaration,
    Evidence,
    EvidenceContext,
    EvidenceFile,
    EvidenceMethod,
    EvidenceStatus,
    Registration,
    RegistrationStatus,
    RegistrationUnit,
)
from portfolios.services import register_learner
from portfolios.simulation import record_simulation_agreement
from qualifications.models import AssessmentCriterion, Qualification, Unit
from tests.factories import CentreFactory, RegistrationFactory, member

pytestmark = pytest.mark.usefixtures("catalogue")

IMI = "601/3456/2"
PEARSON_DIPLOMA = "603/5450/1"  # every unit mandatory; Unit 8 must be achieved in real work
SFJ = "601/1109/4"  # closed: registrations are made directly
SFJ_LEVEL_2 = "M/601/1511"
SFJ_LEVEL_3 = "J/601/1515"
SFJ_LEVEL_4 = "K/601/1524"
DAY = datetime.date(2026, 3, 2)


# ---------------------------------------------------------------- real bytes


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def image_bytes(kind: str, colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format=kind)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


def elf_bytes() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"\x90" * 200


def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(50) + b"PE\x00\x00" + bytes(100)


def upload(name: str, content: bytes, claimed: str = "application/pdf") -> SimpleUploadedFile:
    # The claimed content type is the browser's guess from the name: never trusted.
    return SimpleUploadedFile(name, content, content_type=claimed)


# ---------------------------------------------------------------- setting


@dataclass
class World:
    centre: object
    admin: User
    learner: User
    assessor: User


@pytest.fixture(autouse=True)
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Each test stores its files in its own folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def world() -> World:
    centre = CentreFactory()
    centre.qualifications.set(Qualification.objects.filter(number__in=[IMI, PEARSON_DIPLOMA, SFJ]))
    return World(
        centre=centre,
        admin=member(centre, Role.CENTRE_ADMIN),
        learner=member(centre, Role.LEARNER, full_name="Sam Okafor"),
        assessor=member(centre, Role.ASSESSOR),
    )


def registered(world: World, number: str = IMI) -> Registration:
    return register_learner(
        actor=world.admin,
        learner=world.learner,
        centre=world.centre,
        qualification=Qualification.objects.get(number=number),
        start_date=datetime.date.today(),
    )


def sfj_registration(world: World, *unit_keys: str) -> Registration:
    registration = RegistrationFactory(
        learner=world.learner,
        centre=world.centre,
        qualification=Qualification.objects.get(number=SFJ),
    )
    RegistrationUnit.objects.bulk_create(
        RegistrationUnit(registration=registration, unit=unit)
        for unit in Unit.objects.filter(key__in=unit_keys)
    )
    return registration


def draft(
    world: World,
    registration: Registration,
    context: str = EvidenceContext.REAL_WORK_PAID,
    title: str = "Handling a complaint at the counter",
) -> Evidence:
    return evidence_create(
        actor=world.learner,
        registration=registration,
        title=title,
        description="I dealt with a customer whose delivery was late.",
        evidence_date=DAY,
        method=EvidenceMethod.REFLECTIVE_ACCOUNT,
        context=context,
    )


def criteria_of(registration: Registration, count: int = 2) -> list[AssessmentCriterion]:
    unit_ids = registration.unit_choices.values("unit_id")
    return list(
        AssessmentCriterion.objects.filter(unit_id__in=unit_ids)
        .select_related("unit")
        .order_by("unit__key", "position")[:count]
    )


def submitted(world: World, registration: Registration | None = None) -> Evidence:
    registration = registration or registered(world)
    evidence = draft(world, registration)
    file_add(actor=world.learner, evidence=evidence, upload=upload("report.pdf", pdf_bytes()))
    map_criteria(actor=world.learner, evidence=evidence, criteria=criteria_of(registration))
    submit(actor=world.learner, evidence=evidence, typed_name="Sam Okafor", confirmed=True)
    evidence.refresh_from_db()
    return evidence


# ---------------------------------------------------------------- sniffing the bytes


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("report.pdf", pdf_bytes(), "application/pdf"),
        ("photo.png", image_bytes("PNG"), "image/png"),
        ("photo.jpg", image_bytes("JPEG"), "image/jpeg"),
        (
            "account.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("notes.txt", "Reflective account: café, naïve, 50 % done.\n".encode(), "text/plain"),
    ],
)
def test_it_sniffs_the_type_from_the_bytes(
    world: World, name: str, content: bytes, expected: str
) -> None:
    evidence = draft(world, registered(world))

    added = file_add(
        actor=world.learner, evidence=evidence, upload=upload(name, content, "application/x-junk")
    )

    assert added.file.content_type == expected
    assert added.file.original_name == name
    assert added.file.size == len(content)
    assert default_storage.open(added.file.file.name).read() == content


def test_the_stored_name_is_never_the_learners_file_name(world: World) -> None:
    evidence = draft(world, registered(world))

    added = file_add(
        actor=world.learner,
        evidence=evidence,
        upload=upload("../../etc/passwd report.pdf", pdf_bytes()),
    )

    assert "passwd" not in added.file.file.name
    assert added.file.file.name.startswith(f"evidence/{evidence.registration_id}/")


def test_a_text_file_cut_inside_a_character_at_the_sniff_limit_is_still_text() -> None:
    content = b"a" * 8191 + "é".encode()  # the é straddles byte 8192

    assert sniff(io.BytesIO(content)) == "text/plain"


@pytest.mark.parametrize(
    ("name", "content"),
    [("report.pdf", elf_bytes()), ("report.pdf", exe_bytes()), ("photo.png", b"\x00\x01\x02")],
)
def test_an_executable_or_binary_renamed_pdf_is_refused_and_nothing_is_stored(
    world: World, media: Path, name: str, content: bytes
) -> None:
    evidence = draft(world, registered(world))

    with pytest.raises(EvidenceError, match="not a type of file the portfolio accepts"):
        file_add(actor=world.learner, evidence=evidence, upload=upload(name, content))

    assert not evidence.files.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


def test_an_empty_file_is_refused(world: World) -> None:
    evidence = draft(world, registered(world))

    with pytest.raises(EvidenceError, match="empty"):
        file_add(actor=world.learner, evidence=evidence, upload=upload("empty.pdf", b""))

    assert not evidence.files.exists()


def test_a_file_over_the_configured_size_is_refused(
    world: World, settings: pytest.FixtureRequest, media: Path
) -> None:
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    evidence = draft(world, registered(world))
    content = pdf_bytes() + b"%" * (1024 * 1024)

    with pytest.raises(EvidenceError, match="at most 1 MB"):
        file_add(actor=world.learner, evidence=evidence, upload=upload("big.pdf", content))

    assert not evidence.files.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


def test_a_file_exactly_at_the_limit_is_accepted(
    world: World, settings: pytest.FixtureRequest
) -> None:
    content = pdf_bytes()
    settings.EVIDENCE_MAX_UPLOAD_BYTES = len(content)
    evidence = draft(world, registered(world))

    added = file_add(actor=world.learner, evidence=evidence, upload=upload("a.pdf", content))

    assert added.file.size == len(content)


def test_the_same_file_twice_is_recognised(world: World) -> None:
    registration = registered(world)
    first = draft(world, registration)
    second = draft(world, registration, title="Another record")
    content = image_bytes("PNG")

    original = file_add(actor=world.learner, evidence=first, upload=upload("a.png", content))
    with pytest.raises(EvidenceError, match="already attached"):
        file_add(actor=world.learner, evidence=first, upload=upload("copy.png", content))
    elsewhere = file_add(actor=world.learner, evidence=second, upload=upload("b.png", content))

    assert original.duplicate_of is None
    assert first.files.count() == 1
    assert elsewhere.duplicate_of == original.file
    assert elsewhere.file.sha256 == original.file.sha256


# ---------------------------------------------------------------- the real-work rule


@pytest.mark.parametrize(
    "context", [EvidenceContext.SIMULATION, EvidenceContext.REALISTIC_ENVIRONMENT]
)
@pytest.mark.parametrize("unit_key", [SFJ_LEVEL_3, SFJ_LEVEL_4])
def test_sfj_level_3_and_4_units_refuse_evidence_not_from_real_work(
    world: World, context: str, unit_key: str
) -> None:
    registration = sfj_registration(world, SFJ_LEVEL_2, SFJ_LEVEL_3, SFJ_LEVEL_4)
    evidence = draft(world, registration, context=context)
    criterion = AssessmentCriterion.objects.select_related("unit").filter(unit__key=unit_key)[0]

    with pytest.raises(EvidenceError, match=rf"cannot count towards {unit_key}: .* real work"):
        map_criteria(actor=world.learner, evidence=evidence, criteria=[criterion])

    assert not evidence.mappings.exists()


def test_an_sfj_level_2_unit_takes_simulation_evidence_under_a_recorded_agreement(
    world: World,
) -> None:
    # SFJ section 4.7: "Simulations must be agreed between SFJ Awards and the Centre contact
    # from the Assessment Centre prior to use" (the refusals: tests/portfolios/test_simulation.py).
    registration = sfj_registration(world, SFJ_LEVEL_2, SFJ_LEVEL_3)
    evidence = draft(world, registration, context=EvidenceContext.SIMULATION)
    criterion = AssessmentCriterion.objects.select_related("unit").filter(unit__key=SFJ_LEVEL_2)[0]
    record_simulation_agreement(
        actor=world.admin,
        centre=world.centre,
        qualification=registration.qualification,
        units=[criterion.unit],
        circumstance="risk",
        agreed_by="Jo Bloggs",
        agreed_on=DAY,
        reference="SFJ-1",
        arrangements="Training room.",
    )

    map_criteria(actor=world.learner, evidence=evidence, criteria=[criterion])

    assert list(evidence.mappings.values_list("criterion_id", flat=True)) == [criterion.pk]


@pytest.mark.parametrize(
    "context", [EvidenceContext.REAL_WORK_PAID, EvidenceContext.REAL_WORK_VOLUNTARY]
)
def test_real_work_paid_or_voluntary_counts_for_sfj_level_3(world: World, context: str) -> None:
    registration = sfj_registration(world, SFJ_LEVEL_3)
    evidence = draft(world, registration, context=context)

    map_criteria(actor=world.learner, evidence=evidence, criteria=criteria_of(registration, 3))

    assert evidence.mappings.count() == 3


def test_pearson_unit_8_refuses_simulation_but_unit_7_takes_it(world: World) -> None:
    registration = registered(world, PEARSON_DIPLOMA)
    evidence = draft(world, registration, context=EvidenceContext.SIMULATION)
    unit_7, unit_8 = (
        AssessmentCriterion.objects.select_related("unit").filter(unit__key=key)[0]
        for key in ("PEARSON:Unit 7", "PEARSON:Unit 8")
    )

    with pytest.raises(EvidenceError, match="Unit 8: the specification requires"):
        map_criteria(actor=world.learner, evidence=evidence, criteria=[unit_7, unit_8])
    map_criteria(actor=world.learner, evidence=evidence, criteria=[unit_7])

    assert list(evidence.mappings.values_list("criterion_id", flat=True)) == [unit_7.pk]


def test_changing_mapped_evidence_to_simulation_is_refused(world: World) -> None:
    registration = sfj_registration(world, SFJ_LEVEL_3)
    evidence = draft(world, registration)
    map_criteria(actor=world.learner, evidence=evidence, criteria=criteria_of(registration))

    with pytest.raises(EvidenceError, match="real work"):
        evidence_update(actor=world.learner, evidence=evidence, context=EvidenceContext.SIMULATION)

    evidence.refresh_from_db()
    assert evidence.context == EvidenceContext.REAL_WORK_PAID


def test_criteria_outside_the_registrations_units_are_refused(world: World) -> None:
    registration = sfj_registration(world, SFJ_LEVEL_2)
    evidence = draft(world, registration)
    other = AssessmentCriterion.objects.select_related("unit").filter(unit__key=SFJ_LEVEL_3)[0]

    with pytest.raises(
        EvidenceError, match=f"Not in the units this registration takes: {SFJ_LEVEL_3}"
    ):
        map_criteria(actor=world.learner, evidence=evidence, criteria=[other])


# ---------------------------------------------------------------- signing and submitting


def test_submitting_signs_a_declaration_with_the_hash_of_what_was_submitted(world: World) -> None:
    registration = registered(world)
    evidence = draft(world, registration)
    file_add(actor=world.learner, evidence=evidence, upload=upload("a.pdf", pdf_bytes()))
    file_add(actor=world.learner, evidence=evidence, upload=upload("b.png", image_bytes("PNG")))
    map_criteria(actor=world.learner, evidence=evidence, criteria=criteria_of(registration, 3))
    expected = submission_content(evidence)

    declaration = submit(
        actor=world.learner, evidence=evidence, typed_name="  sam   OKAFOR ", confirmed=True
    )

    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.SUBMITTED
    assert evidence.submitted_at is not None
    assert declaration.signed_by == world.learner
    assert declaration.typed_name == "sam   OKAFOR"
    assert declaration.statement == Declaration.STATEMENT
    assert declaration.content_hash == content_hash(expected)
    assert sorted(f["name"] for f in expected["files"]) == ["a.pdf", "b.png"]
    assert len(expected["criteria"]) == 3
    # The hash is of exactly this content: any change to it gives another hash.
    changed = json.loads(json.dumps(expected))
    changed["title"] += "!"
    assert content_hash(changed) != declaration.content_hash


@pytest.mark.parametrize(
    ("typed_name", "confirmed", "message"),
    [
        ("Sam Okafor", False, "Tick the box"),
        ("Someone Else", True, "Type your name exactly as it appears on your account: Sam Okafor"),
    ],
)
def test_the_declaration_needs_the_tick_and_the_learners_own_name(
    world: World, typed_name: str, confirmed: bool, message: str
) -> None:
    registration = registered(world)
    evidence = draft(world, registration)
    map_criteria(actor=world.learner, evidence=evidence, criteria=criteria_of(registration))

    with pytest.raises(EvidenceError, match=message):
        submit(actor=world.learner, evidence=evidence, typed_name=typed_name, confirmed=confirmed)

    assert not Declaration.objects.exists()
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.DRAFT


def test_only_the_learner_can_sign(world: World) -> None:
    registration = registered(world)
    evidence = draft(world, registration)
    map_criteria(actor=world.learner, evidence=evidence, criteria=criteria_of(registration))

    with pytest.raises(EvidenceError, match="Only the learner"):
        submit(
            actor=world.assessor,
            evidence=evidence,
            typed_name=world.assessor.full_name,
            confirmed=True,
        )


def test_evidence_without_criteria_cannot_be_submitted(world: World) -> None:
    evidence = draft(world, registered(world))

    with pytest.raises(EvidenceError, match="at least one criterion"):
        submit(actor=world.learner, evidence=evidence, typed_name="Sam Okafor", confirmed=True)


def test_submitted_evidence_refuses_every_change(world: World) -> None:
    evidence = submitted(world)
    stored = evidence.files.get()
    before = (
        submission_content(evidence),
        AuditEvent.objects.count(),
        EvidenceFile.objects.count(),
    )
    attempts = [
        lambda: evidence_update(actor=world.learner, evidence=evidence, title="Changed"),
        lambda: evidence_delete(actor=world.learner, evidence=evidence),
        lambda: file_add(
            actor=world.learner, evidence=evidence, upload=upload("c.png", image_bytes("PNG"))
        ),
        lambda: file_remove(actor=world.learner, evidence_file=stored),
        lambda: map_criteria(actor=world.learner, evidence=evidence, criteria=[]),
        lambda: submit(
            actor=world.learner, evidence=evidence, typed_name="Sam Okafor", confirmed=True
        ),
    ]

    for attempt in attempts:
        with pytest.raises(EvidenceError, match="can no longer change"):
            attempt()

    evidence.refresh_from_db()
    after = (
        submission_content(evidence),
        AuditEvent.objects.count(),
        EvidenceFile.objects.count(),
    )
    assert after == before
    assert default_storage.exists(stored.file.name)
    assert Declaration.objects.filter(evidence=evidence).count() == 1


# ---------------------------------------------------------------- versions


def test_resubmitting_makes_version_2_linked_to_version_1_which_stays(world: World) -> None:
    first = submitted(world)
    first_content = submission_content(first)

    second = resubmit(actor=world.learner, evidence=first)

    first.refresh_from_db()
    assert second.version == 2
    assert second.previous == first
    assert first.next_version == second
    assert second.status == EvidenceStatus.DRAFT
    assert first.status == EvidenceStatus.SUBMITTED
    assert submission_content(first) == first_content
    assert set(second.files.values_list("sha256", flat=True)) == set(
        first.files.values_list("sha256", flat=True)
    )
    assert set(second.mappings.values_list("criterion_id", flat=True)) == set(
        first.mappings.values_list("criterion_id", flat=True)
    )
    with pytest.raises(EvidenceError, match="newer version"):
        resubmit(actor=world.learner, evidence=first)


def test_a_draft_cannot_be_resubmitted(world: World) -> None:
    with pytest.raises(EvidenceError, match="still a draft"):
        resubmit(actor=world.learner, evidence=draft(world, registered(world)))


def test_removing_a_file_from_version_2_keeps_the_bytes_version_1_holds(
    world: World, django_capture_on_commit_callbacks: pytest.FixtureRequest
) -> None:
    first = submitted(world)
    second = resubmit(actor=world.learner, evidence=first)
    shared = second.files.get()

    with django_capture_on_commit_callbacks(execute=True):
        file_remove(actor=world.learner, evidence_file=shared)

    assert not second.files.exists()
    assert default_storage.exists(first.files.get().file.name)


def test_deleting_a_draft_removes_its_stored_bytes(
    world: World, django_capture_on_commit_callbacks: pytest.FixtureRequest
) -> None:
    evidence = draft(world, registered(world))
    added = file_add(actor=world.learner, evidence=evidence, upload=upload("a.pdf", pdf_bytes()))
    name = added.file.file.name
    assert default_storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(actor=world.learner, evidence=evidence)

    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert not EvidenceFile.objects.filter(pk=added.file.pk).exists()
    assert not default_storage.exists(name)


def test_only_the_learner_may_delete_a_draft(world: World) -> None:
    evidence = draft(world, registered(world))

    with pytest.raises(EvidenceError, match="Only the learner"):
        evidence_delete(actor=world.assessor, evidence=evidence)

    assert Evidence.objects.filter(pk=evidence.pk).exists()


# ---------------------------------------------------------------- drafts and the audit trail


def test_the_same_draft_sent_twice_is_created_once(world: World) -> None:
    registration = registered(world)

    first, second = draft(world, registration), draft(world, registration)

    assert first == second
    assert Evidence.objects.filter(registration=registration).count() == 1
    assert AuditEvent.objects.filter(action="evidence.created").count() == 1


def test_evidence_cannot_be_added_to_a_registration_that_is_not_active(world: World) -> None:
    registration = registered(world)
    Registration.objects.filter(pk=registration.pk).update(status=RegistrationStatus.WITHDRAWN)
    registration.refresh_from_db()

    with pytest.raises(EvidenceError, match="while the registration is active"):
        draft(world, registration)


def test_every_change_writes_an_audit_event(
    world: World, django_capture_on_commit_callbacks: pytest.FixtureRequest
) -> None:
    registration = registered(world)
    evidence = draft(world, registration)
    evidence_update(actor=world.learner, evidence=evidence, title="Renamed")
    added = file_add(actor=world.learner, evidence=evidence, upload=upload("a.pdf", pdf_bytes()))
    file_add(actor=world.learner, evidence=evidence, upload=upload("b.png", image_bytes("PNG")))
    file_remove(actor=world.learner, evidence_file=added.file)
    map_criteria(actor=world.learner, evidence=evidence, criteria=criteria_of(registration))
    declaration = submit(
        actor=world.learner, evidence=evidence, typed_name="Sam Okafor", confirmed=True
    )
    second = resubmit(actor=world.learner, evidence=evidence)
    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(actor=world.learner, evidence=second)

    events = list(
        AuditEvent.objects.filter(action__startswith="evidence.")
        .order_by("pk")
        .values_list("action", "object_id", "actor_id", "centre_id")
    )
    ours = (str(evidence.pk), world.learner.pk, world.centre.pk)
    theirs = (str(second.pk), world.learner.pk, world.centre.pk)
    assert events == [
        ("evidence.created", *ours),
        ("evidence.updated", *ours),
        ("evidence.file_added", *ours),
        ("evidence.file_added", *ours),
        ("evidence.file_removed", *ours),
        ("evidence.mapped", *ours),
        ("evidence.submitted", *ours),
        ("evidence.new_version", *theirs),
        ("evidence.deleted", *theirs),
    ]
    submitted_event = AuditEvent.objects.get(action="evidence.submitted")
    assert submitted_event.data["content_hash"] == declaration.content_hash
