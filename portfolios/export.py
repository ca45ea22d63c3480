"""A learner's whole portfolio as a streamed ZIP: index.html, manifest.json and every evidence file.

For a subject access request or a move to another centre. The manifest describes every record;
the files are read from storage in chunks as the archive is sent, so nothing large is ever held
in memory. The queries run before the first byte is sent, and their number does not grow with
the portfolio.

index.html makes the archive a small offline website: every unit, criterion, decision, piece of
evidence and file, linked by the same relative paths the manifest gives, so a learner (or the
next centre) can read it without this service. Decisions come from apps above portfolios through
`decision_sources`, and only as far as the learner may see them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import posixpath
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from zipstream import ZIP_STORED, ZipStream

from core.models import AuditEvent
from core.storage import open_chunks, storage_name
from portfolios.models import (
    Evidence,
    EvidenceCriterion,
    Registration,
    WitnessRequest,
)

logger = logging.getLogger(__name__)

MANIFEST_VERSION = 1
READ_CHUNK = 1024 * 1024
MAX_NAME = 120
# Windows, macOS and Linux all accept names without these.
UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


@dataclass(frozen=True)
class CriterionDecision:
    """A criterion's current decision as the learner may see it (for index.html and the
    manifest's "decisions", which the next centre reads back as prior decisions)."""

    outcome_label: str
    assessor: str
    assessed_on: date
    feedback: str
    outcome: str = ""
    # The decision's id at this centre: the next centre recognises it in a later export.
    id: int | None = None


DecisionSource = Callable[[Registration], dict[int, CriterionDecision]]
# Apps above portfolios (assessments) register functions returning criterion_id -> decision,
# each in a fixed number of queries, leaving out what the learner may not see yet (decisions
# awaiting an internal verifier). Portfolios imports none of them.
decision_sources: list[DecisionSource] = []

INDEX = "index.html"
MANIFEST = "manifest.json"
# A compact JWS over the SHA-256 of manifest.json and index.html, signed by the exporting
# centre (issue 20): the manifest holds every other file's hash, so a changed byte anywhere, or
# a changed manifest, is found by whoever imports the archive.
SIGNATURE = "signature.jws"

ExportSealer = Callable[[Registration, dict[str, str]], str]
# Apps above portfolios (assessments, which holds the platform's signing key) register the
# function that signs; portfolios imports none of them. Without one the archive is unsigned.
export_sealers: list[ExportSealer] = []


@dataclass(frozen=True)
class ArchivedFile:
    storage_name: str
    path: str  # inside the ZIP
    size: int


def safe_name(original: str) -> str:
    """A file name safe to unpack anywhere: no folders, control characters or reserved marks."""
    name = unicodedata.normalize("NFC", original).replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE.sub("_", name).strip(" .")
    if not name:
        return "file"
    stem, ext = posixpath.splitext(name)
    if len(name) > MAX_NAME:
        ext = ext[:20]
        name = stem[: MAX_NAME - len(ext)] + ext
    return name


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name (2)`, `name (3)`... whichever is free (compared case-blind)."""
    stem, ext = posixpath.splitext(name)
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem} ({n}){ext}"
    taken.add(candidate.casefold())
    return candidate


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name(), "email": user.email}


def _load(registration_pk: int) -> Registration:
    return (
        Registration.objects.select_related(
            "learner", "centre", "qualification", "internal_verifier", "transferred_to"
        )
        .prefetch_related(
            "assessors",
            "unit_choices__unit",
            # index.html lists every criterion of the chosen units (their default order).
            "unit_choices__unit__criteria",
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related(
                    "created_by", "declaration__signed_by", "witness_request"
                )
                .prefetch_related(
                    "files",
                    Prefetch(
                        "mappings",
                        queryset=EvidenceCriterion.objects.select_related(
                            "criterion__unit", "criterion__outcome", "proposed_by", "confirmed_by"
                        ).order_by("criterion__unit__key", "criterion__position"),
                    ),
                )
                .order_by("created_at", "pk"),
            ),
            Prefetch(
                "witness_requests",
                queryset=WitnessRequest.objects.select_related("requested_by")
                .prefetch_related("criteria__unit")
                .order_by("created_at", "pk"),
            ),
        )
        .get(pk=registration_pk)
    )


def _evidence_entry(evidence: Evidence, files: list[ArchivedFile]) -> dict[str, Any]:
    folder = f"evidence/{evidence.pk}-v{evidence.version}"
    taken: set[str] = set()
    file_entries = []
    for f in evidence.files.all():
        if f.removed_at is not None:
            # Removed after retention: the record of it, no bytes to archive.
            file_entries.append(
                {
                    "name": f.original_name,
                    "size": f.size,
                    "sha256": f.sha256,
                    "removed_at": f.removed_at,
                    "removal_reason": f.removal_reason,
                }
            )
            continue
        path = f"{folder}/{unique_name(safe_name(f.original_name), taken)}"
        files.append(ArchivedFile(storage_name(f.file), path, f.size))
        file_entries.append(
            {
                "name": f.original_name,
                "path": path,
                "content_type": f.content_type,
                "size": f.size,
                "sha256": f.sha256,
                "uploaded_by": f.uploaded_by_id,
                "uploaded_at": f.uploaded_at,
            }
        )
    declaration = getattr(evidence, "declaration", None)
    witness = getattr(evidence, "witness_request", None)
    return {
        "id": evidence.pk,
        "version": evidence.version,
        "previous": evidence.previous_id,
        "title": evidence.title,
        "description": evidence.description,
        "evidence_date": evidence.evidence_date,
        "method": evidence.method,
        "method_label": evidence.get_method_display(),
        "context": evidence.context,
        "context_label": evidence.get_context_display(),
        "status": evidence.status,
        "created_by": _person(evidence.created_by),
        "created_at": evidence.created_at,
        "submitted_at": evidence.submitted_at,
        "files": file_entries,
        "criteria": [
            {
                "unit": m.criterion.unit.reference or m.criterion.unit.key,
                "unit_title": m.criterion.unit.title,
                "outcome": m.criterion.outcome.number,
                "number": m.criterion.number,
                "text": m.criterion.text,
                "proposed_by": m.proposed_by.get_full_name(),
                "proposed_at": m.proposed_at,
                "confirmed_by": m.confirmed_by.get_full_name() if m.confirmed_by else None,
                "confirmed_at": m.confirmed_at,
            }
            for m in evidence.mappings.all()
        ],
        "declaration": declaration
        and {
            "signed_by": _person(declaration.signed_by),
            "typed_name": declaration.typed_name,
            "statement": declaration.statement,
            "signed_at": declaration.signed_at,
            "content_hash": declaration.content_hash,
        },
        "witness_signature": witness
        and {
            "witness_request": witness.pk,
            "witness_name": witness.witness_name,
            "job_title": witness.job_title,
            "relationship": witness.relationship,
            "expert": witness.is_expert,
            "signed_name": witness.signed_name,
            "signed_at": witness.used_at,
        },
    }


def _witness_entry(request: WitnessRequest) -> dict[str, Any]:
    # Never the token's hash: it is a credential, however useless on its own.
    return {
        "id": request.pk,
        "requested_by": _person(request.requested_by),
        "witness_name": request.witness_name,
        "witness_email": request.witness_email,
        "job_title": request.job_title,
        "relationship": request.relationship,
        "expert": request.is_expert,
        "activity": request.activity,
        "criteria": [
            f"{c.unit.reference or c.unit.key} {c.number}"
            for c in sorted(request.criteria.all(), key=lambda c: (c.unit.key, c.position))
        ],
        "created_at": request.created_at,
        "expires_at": request.expires_at,
        "used_at": request.used_at,
        "signed_name": request.signed_name,
        "testimony": request.testimony,
        "evidence": request.evidence_id,
    }


def _audit(registration: Registration, evidence_ids: list[int], witness_ids: list[int]) -> list:
    events = AuditEvent.objects.filter(
        Q(object_type="portfolios.registration", object_id=str(registration.pk))
        | Q(object_type="portfolios.evidence", object_id__in=[str(pk) for pk in evidence_ids])
        | Q(object_type="portfolios.witnessrequest", object_id__in=[str(pk) for pk in witness_ids])
    ).select_related("actor")
    return [
        {
            "id": event.pk,
            "occurred_at": event.occurred_at,
            "actor": event.actor.get_full_name() if event.actor else None,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "data": event.data,
            "hash": event.hash,
        }
        for event in events.order_by("pk")
    ]


def _decisions(registration: Registration) -> dict[int, CriterionDecision]:
    decisions: dict[int, CriterionDecision] = {}
    for source in decision_sources:
        decisions.update(source(registration))
    return decisions


def portfolio_manifest(registration_pk: int) -> tuple[dict[str, Any], list[ArchivedFile]]:
    """Everything about the registration, and the files to put beside it."""
    _, manifest, files, _ = _portfolio(registration_pk)
    return manifest, files


def _portfolio(
    registration_pk: int,
) -> tuple[Registration, dict[str, Any], list[ArchivedFile], dict[int, CriterionDecision]]:
    registration = _load(registration_pk)
    files: list[ArchivedFile] = []
    evidence = [_evidence_entry(e, files) for e in registration.evidence.all()]
    decisions = _decisions(registration)
    witnesses = list(registration.witness_requests.all())
    qualification = registration.qualification
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "exported_at": timezone.now(),
        "registration": {
            "id": registration.pk,
            "learner": _person(registration.learner),
            "centre": {"name": registration.centre.name, "number": registration.centre.number},
            "awarding_body_number": registration.awarding_body_number,
            "start_date": registration.start_date,
            "planned_end_date": registration.planned_end_date,
            "status": registration.status,
            "status_reason": registration.status_reason,
            "transferred_to": registration.transferred_to_id,
            "assessors": [_person(a) for a in registration.assessors.all()],
            "internal_verifier": _person(registration.internal_verifier),
            "created_at": registration.created_at,
        },
        "qualification": {
            "number": qualification.number,
            "title": qualification.title,
        },
        "units": [
            {
                "key": choice.unit.key,
                "reference": choice.unit.reference,
                "title": choice.unit.title,
                "level": choice.unit.level_label,
                "real_work_only": choice.unit.real_work_only,
                "chosen_at": choice.chosen_at,
            }
            for choice in sorted(registration.unit_choices.all(), key=lambda c: c.unit.key)
        ],
        "evidence": evidence,
        # The decisions the learner may see (as index.html shows them), by unit and criterion
        # number: the next centre shows them as this centre's, beside its own judgements.
        "decisions": [
            {
                "id": decisions[c.pk].id,
                "unit": c.unit.reference or c.unit.key,
                "number": c.number,
                "outcome": decisions[c.pk].outcome,
                "outcome_label": decisions[c.pk].outcome_label,
                "assessor": decisions[c.pk].assessor,
                "assessed_on": decisions[c.pk].assessed_on,
                "feedback": decisions[c.pk].feedback,
            }
            for choice in sorted(registration.unit_choices.all(), key=lambda c: c.unit.key)
            for c in choice.unit.criteria.all()
            if c.pk in decisions
        ],
        "witness_requests": [_witness_entry(w) for w in witnesses],
        "audit_events": _audit(
            registration, [e["id"] for e in evidence], [w.pk for w in witnesses]
        ),
    }
    return registration, manifest, files, decisions


@dataclass
class _IndexCriterion:
    id: int
    number: str
    text: str
    decision: CriterionDecision | None
    evidence: list[dict[str, Any]] = field(default_factory=list)


def _href(path: str) -> str:
    # A relative URL: the names may hold spaces, "#" or "%", which a browser would misread.
    return quote(path)


def portfolio_index(
    registration: Registration,
    manifest: dict[str, Any],
    decisions: dict[int, CriterionDecision] | None = None,
) -> str:
    """index.html: the manifest as linked pages in one file. No queries but the decision
    sources' own (the registration comes loaded by _load); no scripts or outside assets."""
    if decisions is None:
        decisions = _decisions(registration)
    evidence = []
    mapped: dict[int, list[dict[str, Any]]] = {}
    entries = {e["id"]: e for e in manifest["evidence"]}
    # A return's feedback is in its audit event (written once the learner may have it: a return
    # held for an internal verifier writes none on the evidence until agreed).
    returns: dict[int, list[dict[str, Any]]] = {}
    for event in manifest["audit_events"]:
        if event["object_type"] == "portfolios.evidence" and event["action"] == "evidence.returned":
            returns.setdefault(int(event["object_id"]), []).append(
                {"at": event["occurred_at"], "feedback": (event["data"] or {}).get("feedback", "")}
            )
    testimonies = {
        w["evidence"]: w["testimony"] for w in manifest["witness_requests"] if w["evidence"]
    }
    for item in registration.evidence.all():
        entry = entries[item.pk]
        link = {
            "anchor": f"evidence-{item.pk}",
            "title": item.title,
            "version": item.version,
            "status_label": item.get_status_display(),
        }
        for mapping in item.mappings.all():
            mapped.setdefault(mapping.criterion_id, []).append(link)
        evidence.append(
            {
                **entry,
                **link,
                "files": [
                    {**f, "href": _href(f["path"])} if "path" in f else f for f in entry["files"]
                ],
                "criteria_labels": [f"{c['unit']} {c['number']}" for c in entry["criteria"]],
                "returns": returns.get(item.pk, []),
                "testimony": testimonies.get(item.pk, ""),
            }
        )
    units = []
    for choice in sorted(registration.unit_choices.all(), key=lambda c: c.unit.key):
        unit = choice.unit
        units.append(
            {
                "anchor": f"unit-{unit.pk}",
                "reference": unit.reference or unit.key,
                "title": unit.title,
                "level": unit.level_label,
                "criteria": [
                    _IndexCriterion(
                        c.pk, c.number, c.text, decisions.get(c.pk), mapped.get(c.pk, [])
                    )
                    for c in unit.criteria.all()
                ],
            }
        )
    return render_to_string(
        "portfolios/export/index.html",
        {
            "manifest": manifest,
            "manifest_href": MANIFEST,
            "registration": manifest["registration"],
            "qualification": manifest["qualification"],
            "units": units,
            "evidence": evidence,
        },
    )


def _read(storage_name: str, size: int) -> Iterator[bytes]:
    # Opened only when the archive reaches this file; from S3, streamed as it arrives.
    chunks = open_chunks(storage_name, length=size, chunk_size=READ_CHUNK, storage=default_storage)
    try:
        yield from chunks
    finally:
        chunks.close()


class MissingFile(FileNotFoundError):
    """A file the portfolio records but storage no longer has; `file` says which."""

    def __init__(self, file: ArchivedFile) -> None:
        super().__init__(f"File does not exist: {file.storage_name}")
        self.file = file


def portfolio_zip(registration_pk: int) -> ZipStream:
    """The archive, ready to stream: sized, so the response can say how long it is.

    Raises MissingFile before the first byte if storage has lost a file: an archive that broke
    off halfway would look like a network fault. That is one stat (or, on S3, one HEAD) a file.
    """
    registration, manifest, files, decisions = _portfolio(registration_pk)
    index = portfolio_index(registration, manifest, decisions).encode()
    body = json.dumps(manifest, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()
    for name in dict.fromkeys(f.storage_name for f in files):
        if not default_storage.exists(name):
            raise MissingFile(next(f for f in files if f.storage_name == name))
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    archive.add(body, MANIFEST)
    archive.add(index, INDEX)
    for seal in export_sealers[:1]:
        hashes = {
            MANIFEST: hashlib.sha256(body).hexdigest(),
            INDEX: hashlib.sha256(index).hexdigest(),
        }
        try:
            archive.add(seal(registration, hashes).encode(), SIGNATURE)
        except ImproperlyConfigured:
            # A site without its signing key still gives the learner their copy, unsigned
            # (another centre's import refuses it, saying so); the log says why.
            logger.warning("Portfolio export %s left unsigned: no signing key", registration.pk)
    for f in files:
        archive.add(_read(f.storage_name, f.size), f.path, size=f.size)
    return archive


def export_filename(registration: Registration) -> str:
    parts = [
        "portfolio",
        slugify(registration.learner.get_full_name()) or str(registration.learner_id),
        slugify(registration.qualification.number.replace("/", "-")),
        timezone.localdate().isoformat(),
    ]
    return "-".join(parts) + ".zip"
