"""Assessor-made evidence: observation, professional discussion, questioning and recognition of
prior learning (RPL) records.

A record is a piece of evidence in the learner's portfolio (method observation, professional
discussion or questioning; made by the assessor; mapped to criteria like any evidence) with its
structured account beside it. The assessor signs it as they make it, so it is born submitted:
drafts are the learner's alone (Evidence.objects.visible_to), and a signed record never changes.
The learner then acknowledges it once, saying if they disagree.

An RPL record is the recorded prior learning a criterion may be judged met on (assessments.basis):
its account says why the prior learning meets the criteria, and it may carry the evidence of it
(a certificate, a transcript, a letter) as its file (Pearson BTEC specification, section 9,
"Recognition of Prior Learning": "Evidence of learning must be sufficient, reliable and valid").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assessments.models import AssessorRecord, RecordKind, RecordQuestion, UnitSignOff
from assessments.services import AssessmentError, require_assessor
from core.audit import record_event
from core.storage import storage_name
from portfolios.environment import SettingRefused, check_setting
from portfolios.evidence import content_hash, max_upload_bytes, upload_sha256, upload_type
from portfolios.models import (
    Evidence,
    EvidenceCriterion,
    EvidenceFile,
    EvidenceStatus,
    Registration,
    RegistrationStatus,
)
from portfolios.readmodel import refresh_progress
from portfolios.uploads import megabytes
from qualifications.models import AssessmentCriterion


class RecordError(AssessmentError):
    """A record the rules refuse; the message is for the person who tried."""


@dataclass(frozen=True)
class QA:
    question: str
    answer: str


def _label(criterion: AssessmentCriterion) -> str:
    return f"{criterion.unit.reference or criterion.unit.key} {criterion.number}"


def check_recording(upload: UploadedFile) -> str:
    """The recording's content type (sniffed from its bytes), or a refusal saying why not."""
    name = (upload.name or "recording")[-255:]
    if not upload.size:
        raise RecordError(f"{name} is empty: choose the recording again.")
    limit = max_upload_bytes()
    if upload.size > limit:
        raise RecordError(f"{name} is larger than {megabytes(limit)}, the most a file may be.")
    kind = upload_type(upload)
    if kind is None or not kind.startswith("audio/"):
        raise RecordError(
            f"{name} is not an audio recording the portfolio accepts. Upload MP3, M4A, WAV, "
            "Ogg, AAC or FLAC audio."
        )
    return kind


def check_prior_learning_file(upload: UploadedFile) -> str:
    """The content type of an RPL record's evidence of prior learning, or a refusal."""
    name = (upload.name or "evidence")[-255:]
    if not upload.size:
        raise RecordError(f"{name} is empty: choose the file again.")
    limit = max_upload_bytes()
    if upload.size > limit:
        raise RecordError(f"{name} is larger than {megabytes(limit)}, the most a file may be.")
    kind = upload_type(upload)
    if kind is None:
        raise RecordError(
            f"{name} is not a kind of file the portfolio accepts. Upload a PDF, an image or a "
            "document."
        )
    return kind


def check_file(kind: str, upload: UploadedFile) -> str:
    """The file a record of this kind takes: a discussion's audio, an RPL record's evidence."""
    if kind == RecordKind.RPL:
        return check_prior_learning_file(upload)
    return check_recording(upload)


def _check_criteria(registration: Registration, criteria: list[AssessmentCriterion]) -> None:
    if not criteria:
        raise RecordError("Choose at least one criterion the record covers.")
    taken = set(registration.unit_choices.values_list("unit_id", flat=True))
    outside = sorted(_label(c) for c in criteria if c.unit_id not in taken)
    if outside:
        raise RecordError(f"Not in the units this learner takes: {', '.join(outside)}.")
    signed = set(
        UnitSignOff.objects.active()
        .filter(registration=registration, unit_id__in={c.unit_id for c in criteria})
        .values_list("unit_id", flat=True)
    )
    locked = sorted(_label(c) for c in criteria if c.unit_id in signed)
    if locked:
        raise RecordError(
            f"These criteria are in units already signed off, which take no new evidence: "
            f"{', '.join(locked)}."
        )


def signed_content(record: AssessorRecord) -> dict[str, Any]:
    """Exactly what the assessor signs and the learner acknowledges."""
    evidence = record.evidence
    return {
        "record": record.pk,
        "evidence": evidence.pk,
        "registration": evidence.registration_id,
        "kind": record.kind,
        "title": evidence.title,
        "context": evidence.context,
        "occurred_on": record.occurred_on.isoformat(),
        "place": record.place,
        "account": record.account,
        "assessor": record.assessor_id,
        "questions": [
            [q.position, q.question, q.answer] for q in record.questions.order_by("position")
        ],
        "files": sorted([f.sha256, f.original_name] for f in evidence.files.all()),
        "criteria": sorted(
            f"{unit_key} {number}"
            for unit_key, number in evidence.mappings.values_list(
                "criterion__unit__key", "criterion__number"
            )
        ),
    }


@transaction.atomic
def create_record(
    *,
    assessor: User,
    registration: Registration,
    kind: str,
    title: str,
    occurred_on: date,
    place: str,
    context: str,
    account: str,
    criteria: Iterable[AssessmentCriterion],
    questions: Sequence[QA] = (),
    recording: UploadedFile | None = None,
) -> AssessorRecord:
    """Make and sign a record: its evidence is submitted at once, mapped to `criteria`."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    try:
        require_assessor(assessor, registration)
    except AssessmentError as error:
        raise RecordError(str(error)) from error
    if registration.status != RegistrationStatus.ACTIVE:
        raise RecordError("Records can only be made while the registration is active.")
    if kind not in RecordKind.values:
        raise RecordError(f"Unknown kind of record {kind!r}.")
    if occurred_on > timezone.localdate():
        raise RecordError("The date cannot be in the future.")
    if not title.strip() or not place.strip() or not account.strip():
        raise RecordError("Give the record a title, a place and an account of what happened.")
    questions = [QA(q.question.strip(), q.answer.strip()) for q in questions]
    if kind == RecordKind.QUESTIONING and not questions:
        raise RecordError("Record at least one question and the learner's answer.")
    if any(not q.question or not q.answer for q in questions):
        raise RecordError(
            "Every question needs the learner's answer, and every answer its question."
        )
    if kind == RecordKind.PROFESSIONAL_DISCUSSION and recording is None:
        raise RecordError("Add the audio recording of the discussion.")
    if recording is not None and kind not in (RecordKind.PROFESSIONAL_DISCUSSION, RecordKind.RPL):
        raise RecordError(
            "Only a professional discussion (its audio recording) or a record of prior learning "
            "(the evidence of it) takes a file."
        )
    wanted = list(
        AssessmentCriterion.objects.filter(pk__in=[c.pk for c in criteria]).select_related("unit")
    )
    _check_criteria(registration, wanted)
    try:
        check_setting(
            registration=registration,
            method=kind,
            context=context,
            evidence_date=occurred_on,
            criteria=wanted,
        )
    except SettingRefused as refused:
        raise RecordError(str(refused)) from refused
    content_type = check_file(kind, recording) if recording is not None else ""

    now = timezone.now()
    evidence = Evidence.objects.create(
        registration=registration,
        title=" ".join(title.split()),
        description=account.strip(),
        evidence_date=occurred_on,
        method=kind,
        context=context,
        # Signed by the assessor as it is made: never a draft (drafts are the learner's alone).
        status=EvidenceStatus.SUBMITTED,
        submitted_at=now,
        created_by=assessor,
    )
    EvidenceCriterion.objects.bulk_create(
        [EvidenceCriterion(evidence=evidence, criterion=c, proposed_by=assessor) for c in wanted]
    )
    record = AssessorRecord.objects.create(
        evidence=evidence,
        kind=kind,
        occurred_on=occurred_on,
        place=place.strip(),
        account=account.strip(),
        assessor=assessor,
        signed_at=now,
    )
    RecordQuestion.objects.bulk_create(
        [
            RecordQuestion(record=record, position=n, question=q.question, answer=q.answer)
            for n, q in enumerate(questions, start=1)
        ]
    )
    # The record's evidence arrives waiting for assessment.
    refresh_progress(registration)
    stored = ""
    try:
        if recording is not None:
            stored = _store(assessor, evidence, recording, content_type)
        record.content_hash = content_hash(signed_content(record))
        record.save(update_fields=["content_hash"])
        record_event(
            actor=assessor,
            action="record.signed",
            target=record,
            centre_id=registration.centre_id,
            data={
                "evidence": evidence.pk,
                "kind": kind,
                "criteria": sorted(c.pk for c in wanted),
                "content_hash": record.content_hash,
            },
        )
    except BaseException:
        # Nothing half-kept: the rows roll back, so the stored bytes go too.
        if stored:
            EvidenceFile._meta.get_field("file").storage.delete(stored)
        raise
    return record


def _store(assessor: User, evidence: Evidence, upload: UploadedFile, content_type: str) -> str:
    item = EvidenceFile(
        evidence=evidence,
        original_name=(upload.name or "recording")[-255:],
        content_type=content_type,
        size=upload.size or 0,
        sha256=upload_sha256(upload),
        uploaded_by=assessor,
    )
    # Moved into place on the filesystem storage, streamed in chunks to object storage.
    item.file.save("upload", upload, save=False)
    name = storage_name(item.file)
    try:
        item.save()
    except BaseException:
        item.file.storage.delete(name)
        raise
    return name


@transaction.atomic
def acknowledge_record(
    *, learner: User, record: AssessorRecord, comment: str = "", disagrees: bool = False
) -> AssessorRecord:
    """The learner confirms they have read the record, once; they may say they disagree."""
    record = (
        AssessorRecord.objects.select_for_update()
        .select_related("evidence__registration")
        .get(pk=record.pk)
    )
    registration = record.evidence.registration
    if registration.learner_id != learner.pk:
        raise RecordError("Only the learner the record is about may acknowledge it.")
    if record.is_acknowledged:
        raise RecordError("You have already acknowledged this record.")
    comment = comment.strip()
    if disagrees and not comment:
        raise RecordError("Say what you disagree with, so your assessor can answer it.")
    current = content_hash(signed_content(record))
    if current != record.content_hash:
        # Should never happen (a signed record has no way to change), but never acknowledge
        # something other than what the assessor signed.
        raise RecordError("This record no longer matches its signature; tell your centre.")
    record.acknowledged_at = timezone.now()
    record.learner_comment = comment
    record.learner_disagrees = disagrees
    record.acknowledged_hash = current
    record.save(
        update_fields=[
            "acknowledged_at",
            "learner_comment",
            "learner_disagrees",
            "acknowledged_hash",
        ]
    )
    record_event(
        actor=learner,
        action="record.acknowledged",
        target=record,
        centre_id=registration.centre_id,
        data={"disagrees": disagrees, "comment": comment, "content_hash": current},
    )
    return record
