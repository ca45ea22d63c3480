"""Evidence: drafts, files, mapping to criteria, the signed declaration, resubmission.

Every change writes an audit event in the same transaction. Submitted evidence never changes:
a resubmission is a new version that points back at the one it replaces.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.audit import record_event
from core.sizes import human_size
from core.storage import file_object, storage_name
from portfolios.environment import SettingRefused, check_setting
from portfolios.models import (
    EVIDENCE_LIFECYCLE,
    Declaration,
    Evidence,
    EvidenceCriterion,
    EvidenceFile,
    EvidenceStatus,
    Registration,
    RegistrationStatus,
)
from portfolios.readmodel import refresh_progress
from portfolios.uploads import HEAD_BYTES, StreamedUpload
from qualifications.models import AssessmentCriterion


class EvidenceError(Exception):
    """A change the rules refuse; the message is for the person who asked for it."""


# What may be uploaded, by the type sniffed from the file's first bytes.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "PDF document",
    "application/msword": "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.ms-excel": "Excel workbook",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    "application/vnd.ms-powerpoint": "PowerPoint presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "PowerPoint presentation"
    ),
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
    "application/rtf": "Rich text document",
    "text/plain": "Text file",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "image/heic": "HEIC photo",
    "audio/mpeg": "MP3 audio",
    "audio/mp4": "M4A audio",
    "audio/m4a": "M4A audio",
    "audio/x-wav": "WAV audio",
    "audio/ogg": "Ogg audio",
    "audio/aac": "AAC audio",
    "audio/x-flac": "FLAC audio",
    "video/mp4": "MP4 video",
    "video/quicktime": "QuickTime video",
    "video/webm": "WebM video",
    "video/x-msvideo": "AVI video",
    "video/x-matroska": "Matroska video",
    "video/3gpp": "3GP video",
    "video/x-m4v": "M4V video",
}
SNIFF_BYTES = HEAD_BYTES  # what the upload handler keeps of each file as it streams in
# The same draft asked for twice within this time is one request sent twice, not two drafts.
DOUBLE_SUBMIT_WINDOW = timedelta(seconds=30)
HASH_CHUNK = 1024 * 1024


def max_upload_bytes() -> int:
    return int(settings.EVIDENCE_MAX_UPLOAD_BYTES)


def sniff(fh: IO[bytes]) -> str | None:
    """The content type from the bytes, or None when it is not one we accept."""
    fh.seek(0)
    head = fh.read(SNIFF_BYTES)
    fh.seek(0)
    return sniff_head(head)


def sniff_head(head: bytes) -> str | None:
    """The content type from a file's first SNIFF_BYTES bytes, or None when not accepted."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime if kind.mime in ALLOWED_TYPES else None
    # Plain text has no magic number: accept valid UTF-8 without control bytes.
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the sniff boundary is still text.
            if exc.start < len(head) - 3:
                return None
        return "text/plain"
    return None


def sha256_of(fh: IO[bytes]) -> str:
    fh.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(HASH_CHUNK), b""):
        digest.update(chunk)
    fh.seek(0)
    return digest.hexdigest()


def upload_type(upload: UploadedFile) -> str | None:
    """The sniffed content type of an upload, from the bytes kept as it streamed in if it did."""
    if isinstance(upload, StreamedUpload) and upload.sha256 is not None:
        return sniff_head(upload.head)
    return sniff(file_object(upload))


def upload_sha256(upload: UploadedFile) -> str:
    """The upload's SHA-256: taken as it streamed in, or else read from the file once."""
    if isinstance(upload, StreamedUpload) and upload.sha256 is not None:
        return upload.sha256
    return sha256_of(file_object(upload))


def _require_draft(evidence: Evidence) -> None:
    if evidence.status != EvidenceStatus.DRAFT:
        raise EvidenceError(
            "This evidence has been submitted and can no longer change. "
            "Start a new version to resubmit it."
        )


def _require_active(registration: Registration) -> None:
    if registration.status != RegistrationStatus.ACTIVE:
        raise EvidenceError("Evidence can only be added while the registration is active.")


@transaction.atomic
def evidence_create(
    *,
    actor: User,
    registration: Registration,
    title: str,
    evidence_date: date,
    method: str,
    context: str,
    description: str = "",
) -> Evidence:
    # Lock the registration so two copies of one form (a double click) are seen in turn.
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    _require_active(registration)
    fields = {
        "title": title,
        "description": description,
        "evidence_date": evidence_date,
        "method": method,
        "context": context,
    }
    repeat = (
        Evidence.objects.filter(
            registration=registration,
            created_by=actor,
            status=EvidenceStatus.DRAFT,
            previous__isnull=True,
            created_at__gte=timezone.now() - DOUBLE_SUBMIT_WINDOW,
            **fields,
        )
        .order_by("-created_at")
        .first()
    )
    if repeat is not None:
        return repeat
    evidence = Evidence.objects.create(
        registration=registration,
        title=title,
        description=description,
        evidence_date=evidence_date,
        method=method,
        context=context,
        created_by=actor,
    )
    record_event(
        actor=actor,
        action="evidence.created",
        target=evidence,
        centre_id=registration.centre_id,
        data={"registration": registration.pk, "title": title},
    )
    return evidence


@transaction.atomic
def evidence_update(*, actor: User, evidence: Evidence, **fields: Any) -> Evidence:
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    _require_draft(evidence)
    allowed = {"title", "description", "evidence_date", "method", "context"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    for name, value in fields.items():
        setattr(evidence, name, value)
    if {"context", "method", "evidence_date"} & set(fields):
        check_evidence_setting(evidence, evidence.criteria.select_related("unit"))
    evidence.save(update_fields=sorted(fields))
    record_event(
        actor=actor,
        action="evidence.updated",
        target=evidence,
        centre_id=evidence.registration.centre_id,
        data={"fields": sorted(fields)},
    )
    return evidence


@transaction.atomic
def evidence_delete(*, actor: User, evidence: Evidence) -> None:
    """Drafts only: once submitted, evidence is part of the record for good."""
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    _require_draft(evidence)
    if evidence.registration.learner_id != actor.pk:
        raise EvidenceError("Only the learner may delete their draft evidence.")
    stored = list(evidence.files.values_list("file", flat=True))
    record_event(
        actor=actor,
        action="evidence.deleted",
        target=evidence,
        centre_id=evidence.registration.centre_id,
        data={"title": evidence.title, "files": len(stored)},
    )
    evidence.delete()
    # Remove the stored bytes only once the deletion is committed.
    transaction.on_commit(lambda: _delete_stored(stored))


def _delete_stored(names: Iterable[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        # A resubmitted version may share the stored file with an earlier, kept version.
        if not EvidenceFile.objects.filter(file=name).exists():
            default_storage.delete(name)


@dataclass(frozen=True)
class FileAdded:
    file: EvidenceFile
    duplicate_of: EvidenceFile | None  # the same bytes already in this portfolio


def file_add(*, actor: User, evidence: Evidence, upload: UploadedFile) -> FileAdded:
    """Check, hash and store one uploaded file; refuse anything not on the allow-list."""
    name = (upload.name or "file")[-255:]
    if upload.size is None or upload.size == 0:
        raise EvidenceError(f"{name} is empty: nothing was uploaded.")
    limit = max_upload_bytes()
    if upload.size > limit:
        raise EvidenceError(
            f"{name} is {human_size(upload.size)}; files may be at most {human_size(limit)}."
        )
    content_type = upload_type(upload)
    if content_type is None:
        raise EvidenceError(
            f"{name} is not a type of file the portfolio accepts. Upload documents (PDF, "
            "Word, Excel, PowerPoint, OpenDocument, text), images, audio or video."
        )
    digest = upload_sha256(upload)
    with transaction.atomic():
        evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
        _require_draft(evidence)
        if evidence.files.filter(sha256=digest).exists():
            raise EvidenceError(f"{name} is already attached to this evidence.")
        duplicate = (
            EvidenceFile.objects.filter(
                evidence__registration_id=evidence.registration_id, sha256=digest
            )
            .select_related("evidence")
            .first()
        )
        record = EvidenceFile(
            evidence=evidence,
            original_name=name,
            content_type=content_type,
            size=upload.size,
            sha256=digest,
            uploaded_by=actor,
        )
        # The filesystem storage moves the upload's temporary file into place (no copy); object
        # storage streams it in chunks. Never all in memory.
        record.file.save("upload", upload, save=False)
        stored_name = storage_name(record.file)
        try:
            with transaction.atomic():
                record.save()
                record_event(
                    actor=actor,
                    action="evidence.file_added",
                    target=evidence,
                    centre_id=evidence.registration.centre_id,
                    data={
                        "file": record.pk,
                        "sha256": digest,
                        "type": content_type,
                        "size": upload.size,
                    },
                )
        except IntegrityError as exc:
            # Nothing half-kept: the row failed, so the stored bytes go too.
            record.file.storage.delete(stored_name)
            raise EvidenceError(f"{name} is already attached to this evidence.") from exc
        except BaseException:
            record.file.storage.delete(stored_name)
            raise
    return FileAdded(record, duplicate)


@transaction.atomic
def file_remove(*, actor: User, evidence_file: EvidenceFile) -> None:
    evidence = Evidence.objects.select_for_update().get(pk=evidence_file.evidence_id)
    _require_draft(evidence)
    stored = storage_name(evidence_file.file)
    record_event(
        actor=actor,
        action="evidence.file_removed",
        target=evidence,
        centre_id=evidence.registration.centre_id,
        data={"file": evidence_file.pk, "sha256": evidence_file.sha256},
    )
    evidence_file.delete()
    transaction.on_commit(lambda: _delete_stored([stored]))


def check_evidence_setting(evidence: Evidence, criteria: Iterable[AssessmentCriterion]) -> None:
    """The rules on where evidence came from (portfolios.environment: real work only,
    simulation only by prior agreement), as this app's error."""
    try:
        check_setting(
            registration=evidence.registration,
            method=evidence.method,
            context=evidence.context,
            evidence_date=evidence.evidence_date,
            criteria=criteria,
        )
    except SettingRefused as refused:
        raise EvidenceError(str(refused)) from refused


@transaction.atomic
def map_criteria(
    *, actor: User, evidence: Evidence, criteria: Iterable[AssessmentCriterion]
) -> Evidence:
    """Set the criteria this evidence is proposed for (within the registration's units)."""
    evidence = (
        Evidence.objects.select_for_update().select_related("registration").get(pk=evidence.pk)
    )
    _require_draft(evidence)
    wanted = list(criteria)
    unit_ids = set(evidence.registration.unit_choices.values_list("unit_id", flat=True))
    outside = sorted(
        f"{c.unit.reference or c.unit.key} {c.number}" for c in wanted if c.unit_id not in unit_ids
    )
    if outside:
        raise EvidenceError(f"Not in the units this registration takes: {', '.join(outside)}.")
    check_evidence_setting(evidence, wanted)
    before = set(evidence.mappings.values_list("criterion_id", flat=True))
    after = {c.pk for c in wanted}
    evidence.mappings.exclude(criterion_id__in=after).delete()
    EvidenceCriterion.objects.bulk_create(
        [
            EvidenceCriterion(evidence=evidence, criterion_id=pk, proposed_by=actor)
            for pk in after - before
        ]
    )
    record_event(
        actor=actor,
        action="evidence.mapped",
        target=evidence,
        centre_id=evidence.registration.centre_id,
        data={"added": sorted(after - before), "removed": sorted(before - after)},
    )
    return evidence


def submission_content(evidence: Evidence) -> dict[str, Any]:
    """Exactly what the learner signs: the record, its files' hashes and its criteria."""
    return {
        "evidence": evidence.pk,
        "version": evidence.version,
        "registration": evidence.registration_id,
        "title": evidence.title,
        "description": evidence.description,
        "evidence_date": evidence.evidence_date.isoformat(),
        "method": evidence.method,
        "context": evidence.context,
        # Sorted by hash then name: dicts themselves cannot be compared.
        "files": sorted(
            (
                {"name": f.original_name, "sha256": f.sha256, "size": f.size}
                for f in evidence.files.all()
            ),
            key=lambda f: (f["sha256"], f["name"]),
        ),
        "criteria": sorted(
            f"{unit_key} {number}"
            for unit_key, number in evidence.mappings.values_list(
                "criterion__unit__key", "criterion__number"
            )
        ),
    }


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def submit(*, actor: User, evidence: Evidence, typed_name: str, confirmed: bool) -> Declaration:
    evidence = (
        Evidence.objects.select_for_update().select_related("registration").get(pk=evidence.pk)
    )
    if evidence.registration.learner_id != actor.pk:
        raise EvidenceError("Only the learner can sign the declaration for their evidence.")
    _require_draft(evidence)
    if not confirmed:
        raise EvidenceError("Tick the box to confirm that the evidence is your own work.")
    if " ".join(typed_name.split()).casefold() != " ".join(actor.full_name.split()).casefold():
        raise EvidenceError(
            f"Type your name exactly as it appears on your account: {actor.full_name}."
        )
    if not evidence.files.exists() and not evidence.description.strip():
        raise EvidenceError("Add a file or a description before submitting.")
    if not evidence.mappings.exists():
        raise EvidenceError("Map the evidence to at least one criterion before submitting.")
    # Asked again on signing: an agreement or a date may have changed since the mapping.
    check_evidence_setting(evidence, evidence.criteria.select_related("unit"))
    content = submission_content(evidence)
    declaration = Declaration.objects.create(
        evidence=evidence,
        signed_by=actor,
        typed_name=typed_name.strip(),
        statement=Declaration.STATEMENT,
        content_hash=content_hash(content),
    )
    evidence.submitted_at = timezone.now()
    EVIDENCE_LIFECYCLE.move(
        evidence,
        EvidenceStatus.SUBMITTED,
        actor=actor,
        action="evidence.submitted",
        centre_id=evidence.registration.centre_id,
        data={"declaration": declaration.pk, "content_hash": declaration.content_hash},
        update_fields=["submitted_at"],
        before_event=lambda: refresh_progress(evidence.registration_id),
    )
    return declaration


@transaction.atomic
def resubmit(*, actor: User, evidence: Evidence) -> Evidence:
    """Start a new draft version of returned (or submitted) evidence; the old one stays."""
    evidence = (
        Evidence.objects.select_for_update().select_related("registration").get(pk=evidence.pk)
    )
    if evidence.status == EvidenceStatus.DRAFT:
        raise EvidenceError("This evidence is still a draft: edit it directly.")
    if hasattr(evidence, "next_version"):
        raise EvidenceError("A newer version of this evidence already exists.")
    # A new version is an editable copy: only the learner's own work may be copied, never a
    # witness's testimony or a record the assessor signed (the learner could rewrite either).
    if (
        hasattr(evidence, "witness_request")
        or evidence.created_by_id != evidence.registration.learner_id
    ):
        raise EvidenceError(
            "Only evidence you made yourself takes a new version: a witness testimony or an "
            "assessor's record stays as it was signed."
        )
    _require_active(evidence.registration)
    new = Evidence.objects.create(
        registration=evidence.registration,
        title=evidence.title,
        description=evidence.description,
        evidence_date=evidence.evidence_date,
        method=evidence.method,
        context=evidence.context,
        version=evidence.version + 1,
        previous=evidence,
        created_by=actor,
    )
    # The new version starts with the same files (the same stored bytes, never rewritten)
    # and the same criteria; the learner changes what the assessor asked for.
    EvidenceFile.objects.bulk_create(
        [
            EvidenceFile(
                evidence=new,
                file=f.file.name,
                original_name=f.original_name,
                content_type=f.content_type,
                size=f.size,
                sha256=f.sha256,
                uploaded_by=f.uploaded_by,
                uploaded_at=f.uploaded_at,
            )
            for f in evidence.files.all()
        ]
    )
    EvidenceCriterion.objects.bulk_create(
        [
            EvidenceCriterion(evidence=new, criterion_id=m.criterion_id, proposed_by=actor)
            for m in evidence.mappings.all()
        ]
    )
    record_event(
        actor=actor,
        action="evidence.new_version",
        target=new,
        centre_id=evidence.registration.centre_id,
        data={"previous": evidence.pk, "version": new.version},
    )
    return new
