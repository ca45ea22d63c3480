"""Portfolio transfer (issue 20): a centre imports a learner's portfolio ZIP exported by another
centre (portfolios.export, on this site or another) when the learner moved.

Two steps, and nothing is written until the first has passed:

1. `check_archive` reads the ZIP where the upload streamed it (a temporary file, never memory):
   a real ZIP; names without folders going up, absolute paths, backslashes or duplicates;
   declared sizes within the limits and the bytes read never more than declared (a ZIP bomb
   stops at the limit); signature.jws verified with the key of the centre that signed it (this
   site's own key when its did:web names this host, else its DID document fetched over HTTPS
   with a short timeout); manifest.json the one that was signed; every file's SHA-256 and size
   as the manifest says; no file the manifest does not list and none missing; one learner.
2. `import_portfolio` makes, in one transaction, the registration (or uses the learner's
   active one on that qualification here), the evidence with its files (stored through the
   normal storage, marked as transferred and read-only), the earlier centre's decisions as
   prior records (their assessor's name and date as text) and one audit event. If anything
   fails, the transaction rolls back and every file already stored is deleted.

An export is imported once at a centre: a second import of the same manifest is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import posixpath
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlsplit
from uuid import uuid4

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import Centre, Invitation, InvitationStatus, Membership, Role, User
from accounts.services import invitation_accepted, invitation_closed
from assessments import did_web
from assessments.achievements import site_url
from assessments.badges import KEY_FRAGMENT, signing_key
from assessments.portfolio_export import SEAL_TYPE
from core.audit import record_event
from core.bulk import insert_rows
from portfolios.evidence import sniff_head
from portfolios.export import INDEX, MANIFEST, MANIFEST_VERSION, SIGNATURE
from portfolios.models import (
    EVIDENCE_PREFIX,
    HELD_PREFIX,
    HELD_TRANSFER_LIFECYCLE,
    Declaration,
    Evidence,
    EvidenceContext,
    EvidenceCriterion,
    EvidenceFile,
    EvidenceMethod,
    EvidenceStatus,
    HeldTransfer,
    HeldTransferStatus,
    PortfolioTransfer,
    PriorDecision,
    Registration,
    RegistrationStatus,
)
from portfolios.readmodel import refresh_progress
from portfolios.services import RegistrationError, register_learner
from qualifications.models import AssessmentCriterion, Qualification

# What one archive may hold. The export stores files uncompressed, so a file much larger
# than its compressed size is not one of ours: a ZIP bomb is refused by its ratio too.
MAX_ARCHIVE_BYTES = 2 * 1024 * 1024 * 1024
MAX_FILES = 10_000
MAX_MANIFEST_BYTES = 50 * 1024 * 1024
MAX_SIGNATURE_BYTES = 64 * 1024
MAX_RATIO = 100
READ_CHUNK = 1024 * 1024
OWN_FILES = {MANIFEST, INDEX, SIGNATURE}
# A prior decision's columns after its transfer and registration, as _import gives them.
PRIOR_COLUMNS = (
    "criterion_id",
    "outcome",
    "outcome_label",
    "assessor_name",
    "assessed_on",
    "feedback",
    "source_key",
)

logger = logging.getLogger(__name__)

NOT_LAID_OUT = (
    f"{MANIFEST} is not laid out as this platform's portfolio manifests are: nothing was imported."
)


class TransferRefused(Exception):
    """The archive, or the import, is refused; the message says why, for the centre admin."""


class NothingNew(TransferRefused):
    """A newer export of a portfolio transferred before holds nothing that is not here."""


def max_archive_bytes() -> int:
    return int(getattr(settings, "PORTFOLIO_TRANSFER_MAX_BYTES", MAX_ARCHIVE_BYTES))


@dataclass
class CheckedExport:
    """An archive that passed every check: what it says, and where its files are."""

    manifest: dict[str, Any]
    manifest_sha256: str
    issuer: str
    centre_name: str
    centre_number: str
    exported_at: datetime
    # Path in the ZIP -> the manifest's entry for it.
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def learner(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.manifest["registration"]["learner"])

    @property
    def qualification_number(self) -> str:
        return str(self.manifest["qualification"]["number"])


# ---------------------------------------------------------------- the signature


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _is_local(host: str) -> bool:
    return host == quote(urlsplit(site_url()).netloc, safe="")


def _resolve_key(kid: str) -> Ed25519PublicKey:
    """The public key `kid` names: this site's own, or the remote issuer's DID document's."""
    did, _, _ = kid.partition("#")
    parts = did.split(":")
    if len(parts) < 3 or parts[:2] != ["did", "web"] or not parts[2]:
        raise TransferRefused(f"The signature names {did!r} as its issuer, which is no did:web.")
    if _is_local(parts[2]):
        return signing_key().public_key()
    try:
        return did_web.resolve_ed25519(kid)
    except did_web.Unresolved as error:
        raise TransferRefused(
            f"The export's signer, {did}, could not be checked: its key could not be read from "
            f"{error.url} ({error.reason}). Try again later, or ask the earlier centre "
            "for a new export."
        ) from None


def verify_seal(token: bytes) -> dict[str, Any]:
    """The claims of signature.jws, once its EdDSA signature holds; refused otherwise."""
    try:
        head, body, signature = token.decode("ascii").strip().split(".")
        header = json.loads(_b64decode(head))
        claims = json.loads(_b64decode(body))
        raw_signature = _b64decode(signature)
    except (UnicodeDecodeError, ValueError, binascii.Error):
        raise TransferRefused(f"{SIGNATURE} is not a signature this platform can read.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TransferRefused(f"{SIGNATURE} is not a signature this platform can read.")
    kid = str(header.get("kid", ""))
    if header.get("alg") != "EdDSA" or claims.get("type") != SEAL_TYPE:
        raise TransferRefused(f"{SIGNATURE} is not the signature of a portfolio export.")
    if kid != f"{claims.get('iss')}#{KEY_FRAGMENT}":
        raise TransferRefused(f"{SIGNATURE} names a key that is not its issuer's.")
    key = _resolve_key(kid)
    try:
        key.verify(raw_signature, f"{head}.{body}".encode())
    except InvalidSignature:
        raise TransferRefused(
            "The signature does not match: the archive was changed after it was exported, or "
            "was not signed by the centre it names. Nothing was imported."
        ) from None
    return claims


# ---------------------------------------------------------------- the archive


def _check_names(infos: list[zipfile.ZipInfo]) -> None:
    seen: set[str] = set()
    if len(infos) > MAX_FILES:
        raise TransferRefused(f"The ZIP holds {len(infos):,} entries; at most {MAX_FILES:,}.")
    for info in infos:
        name = info.filename
        parts = name.split("/")
        if (
            name.startswith("/")
            or "\\" in name
            or (len(name) > 1 and name[1] == ":")
            or ".." in parts
            or "\x00" in name
            or posixpath.normpath(name) != name.rstrip("/")
        ):
            raise TransferRefused(
                f"The ZIP holds a file named {name!r}, which points outside the archive: it is "
                "refused, and nothing was imported."
            )
        key = name.casefold()
        if key in seen:
            raise TransferRefused(f"The ZIP holds {name!r} twice: it is refused.")
        seen.add(key)


def _check_sizes(infos: list[zipfile.ZipInfo]) -> None:
    limit = max_archive_bytes()
    total = sum(info.file_size for info in infos)
    if total > limit:
        raise TransferRefused(
            f"The ZIP unpacks to {total:,} bytes, over the limit of {limit:,}: it is refused."
        )
    for info in infos:
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise TransferRefused(
                f"{info.filename} unpacks to {info.file_size:,} bytes from "
                f"{info.compress_size:,}: no portfolio export compresses like that (a ZIP bomb?)."
            )


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    """The member's bytes in chunks, never more than it declares (zipfile checks the CRC)."""
    read = 0
    with archive.open(info) as member:
        while chunk := member.read(READ_CHUNK):
            read += len(chunk)
            if read > info.file_size:
                raise TransferRefused(f"{info.filename} holds more bytes than the ZIP declares.")
            yield chunk


def _read_small(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise TransferRefused(
            f"The ZIP has no {name}: it is not a portfolio exported by this platform, or was "
            "unpacked and packed again without it."
        ) from None
    if info.file_size > limit:
        raise TransferRefused(f"{name} is larger than {limit:,} bytes: it is refused.")
    return b"".join(_chunks(archive, info))


def _when(value: Any) -> datetime | None:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _day(value: Any) -> date | None:
    return parse_date(value) if isinstance(value, str) else None


def _check_manifest(manifest: Any) -> None:
    if not isinstance(manifest, dict) or manifest.get("manifest_version") != MANIFEST_VERSION:
        raise TransferRefused(
            f"{MANIFEST} is not a portfolio manifest of version {MANIFEST_VERSION}."
        )
    registration = manifest.get("registration")
    learner = registration.get("learner") if isinstance(registration, dict) else None
    # One registration of one learner: an archive that carries more (a centre's whole export)
    # is not a learner's portfolio, and the other learners are not ours to receive.
    if (
        not isinstance(learner, dict)
        or not learner.get("name")
        or any(key in manifest for key in ("registrations", "learners"))
    ):
        raise TransferRefused(f"{MANIFEST} must describe exactly one learner's portfolio.")
    if not isinstance(manifest.get("evidence"), list) or not isinstance(
        manifest.get("qualification"), dict
    ):
        raise TransferRefused(f"{MANIFEST} lacks its evidence or its qualification.")
    for item in manifest["evidence"]:
        declaration = item.get("declaration") if isinstance(item, dict) else None
        signer = (declaration or {}).get("signed_by") or {}
        if declaration and signer.get("id") != learner.get("id"):
            raise TransferRefused(
                f"{MANIFEST} holds evidence declared by someone other than its learner: only "
                "one learner's portfolio is imported."
            )


def check_archive(path: str | Path) -> CheckedExport:
    """Every check, reading the ZIP at `path`; nothing is written. Raises TransferRefused."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TransferRefused(
            "This is not a ZIP file, or it is damaged or incomplete (cut short while it was "
            "downloaded?). Nothing was imported."
        ) from None
    try:
        with archive:
            return _check_open(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError):
        raise TransferRefused(
            "The ZIP is damaged: a file in it cannot be read back as it was stored. Nothing "
            "was imported."
        ) from None
    except (KeyError, TypeError, AttributeError, ValueError):
        # Signed, but not laid out as this platform's manifests are (another version?).
        raise TransferRefused(NOT_LAID_OUT) from None


def _check_open(archive: zipfile.ZipFile) -> CheckedExport:
    infos = [info for info in archive.infolist() if not info.is_dir()]
    _check_names(infos)
    _check_sizes(infos)
    body = _read_small(archive, MANIFEST, MAX_MANIFEST_BYTES)
    claims = verify_seal(_read_small(archive, SIGNATURE, MAX_SIGNATURE_BYTES))
    signed = claims.get("files") or {}
    digest = hashlib.sha256(body).hexdigest()
    if signed.get(MANIFEST) != digest:
        raise TransferRefused(
            f"{MANIFEST} was changed after it was signed: its hash is not the one the "
            "signature holds. Nothing was imported."
        )
    if INDEX in archive.namelist():
        index = hashlib.sha256(b"".join(_chunks(archive, archive.getinfo(INDEX)))).hexdigest()
        if signed.get(INDEX) != index:
            raise TransferRefused(f"{INDEX} was changed after it was signed.")
    try:
        manifest = json.loads(body)
    except ValueError:
        raise TransferRefused(f"{MANIFEST} is not valid JSON.") from None
    _check_manifest(manifest)
    centre = manifest["registration"].get("centre") or {}
    if centre.get("name") != (claims.get("centre") or {}).get("name"):
        raise TransferRefused("The manifest names another centre than its signature does.")
    expected: dict[str, dict[str, Any]] = {}
    for item in manifest["evidence"]:
        for entry in item.get("files") or []:
            if "path" in entry:
                expected[str(entry["path"])] = entry
    present = {info.filename for info in infos} - OWN_FILES
    extra = sorted(present - set(expected))
    if extra:
        raise TransferRefused(
            f"The ZIP holds {extra[0]}, which its manifest does not list: files were added "
            "after it was exported. Nothing was imported."
        )
    missing = sorted(set(expected) - present)
    if missing:
        raise TransferRefused(
            f"The manifest lists {missing[0]}, which is missing from the ZIP. Nothing was imported."
        )
    for path, entry in expected.items():
        info = archive.getinfo(path)
        sha = hashlib.sha256()
        for chunk in _chunks(archive, info):
            sha.update(chunk)
        if info.file_size != entry.get("size") or sha.hexdigest() != entry.get("sha256"):
            raise TransferRefused(
                f"{path} is not the file that was exported: its SHA-256 (or size) differs from "
                "the manifest's. Nothing was imported."
            )
    exported_at = _when(manifest.get("exported_at"))
    if exported_at is None:
        raise TransferRefused(f"{MANIFEST} does not say when it was exported.")
    return CheckedExport(
        manifest=manifest,
        manifest_sha256=digest,
        issuer=str(claims["iss"]),
        centre_name=str(centre.get("name"))[:200],
        centre_number=str(centre.get("number") or "")[:20],
        exported_at=exported_at,
        files=expected,
    )


# ---------------------------------------------------------------- the import


@dataclass(frozen=True)
class ImportResult:
    transfer: PortfolioTransfer
    registration: Registration
    created_registration: bool
    evidence: int
    files: int
    decisions: int
    skipped_criteria: int
    # A newer export of a portfolio transferred before: what of it was here already (left as
    # it was), and when it came; how many of the new pieces are new versions of earlier ones.
    already_evidence: int = 0
    already_decisions: int = 0
    already_on: str = ""
    new_versions: int = 0
    # Pieces here already that were changed at the earlier centre since (a draft submitted
    # there, a file added): their new state came in as new versions of the copies here.
    changed: int = 0


def _learner_here(email: str, centre: Centre) -> User | None:
    """The learner at `centre` with this address; never anyone of another centre (whether an
    address has an account elsewhere is not this centre's to learn)."""
    membership = (
        Membership.objects.current()
        .filter(user__email__iexact=email.strip(), centre=centre, role=Role.LEARNER)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def _not_a_learner_here(email: str, centre: Centre) -> str:
    """What to do, said exactly: an invited learner who has not accepted yet is named as such
    (the invitation is this centre's own; nothing of any other centre is told)."""
    invited = (
        Invitation.objects.open()
        .filter(centre=centre, role=Role.LEARNER, email=email.strip().lower())
        .first()
        if email
        else None
    )
    if invited is not None:
        return (
            f"{invited.full_name} ({invited.email}) is invited as a learner at {centre.name} "
            "but has not accepted yet. Once they accept the invitation, import the ZIP again."
        )
    return (
        f"No learner at {centre.name} has the address {email or '(none given)'}. Invite them "
        "as a learner (People, then Invite); once they accept, import the ZIP. Or type the "
        "address they have here."
    )


def _same_person(learner: User, named: dict[str, Any]) -> bool:
    email = str(named.get("email") or "").strip().casefold()
    name = " ".join(str(named.get("name") or "").split()).casefold()
    return email == learner.email.casefold() or name == learner.get_full_name().casefold()


def _qualification(checked: CheckedExport) -> Qualification:
    qualification = Qualification.objects.filter(number=checked.qualification_number).first()
    if qualification is None:
        title = checked.manifest["qualification"].get("title", "")
        raise TransferRefused(
            f"The portfolio is on {checked.qualification_number} {title}, which is not in this "
            "platform's catalogue: nothing was imported."
        )
    return qualification


def _refuse_imported_already(checked: CheckedExport, centre: Centre) -> None:
    earlier = PortfolioTransfer.objects.filter(
        centre=centre, manifest_sha256=checked.manifest_sha256
    ).first()
    if earlier is not None:
        day = dateformat.format(timezone.localtime(earlier.imported_at), "j F Y")
        raise TransferRefused(
            f"This export was imported already, on {day}: an export is imported once."
        )


def import_portfolio(
    *,
    actor: User,
    centre: Centre,
    archive: str | Path,
    email: str = "",
    person_checked: bool = False,
    within: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Check the archive, then import it at `centre`, all or nothing, for the learner of the
    centre with the address `email` (by default the one the export gives). `within(result)`
    runs inside the import's transaction, so whatever it writes stands or falls with the
    import (and with it the files stored)."""
    checked = check_archive(archive)
    qualification = _qualification(checked)
    email = email or str(checked.learner.get("email") or "")
    learner = _learner_here(email, centre) if email else None
    if learner is None:
        raise TransferRefused(_not_a_learner_here(email, centre))
    if not person_checked and not _same_person(learner, checked.learner):
        raise TransferRefused(
            f"The export is {checked.learner.get('name')}'s portfolio, not "
            f"{learner.get_full_name()}'s: choose the learner it belongs to."
        )
    _refuse_imported_already(checked, centre)
    stored: list[str] = []
    try:
        with transaction.atomic():
            result = _import(
                checked,
                actor=actor,
                centre=centre,
                learner=learner,
                qualification=qualification,
                archive=archive,
                stored=stored,
            )
            if within is not None:
                within(result)
            return result
    except IntegrityError:
        _delete(stored)
        raise TransferRefused(
            "This export was imported already: an export is imported once."
        ) from None
    except (KeyError, TypeError, AttributeError, ValueError):
        _delete(stored)
        raise TransferRefused(NOT_LAID_OUT) from None
    except BaseException:
        # The rows rolled back: the files stored for them go too, so nothing is left behind.
        _delete(stored)
        raise


def _delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _registration(
    checked: CheckedExport,
    *,
    actor: User,
    centre: Centre,
    learner: User,
    qualification: Qualification,
) -> tuple[Registration, bool]:
    """The learner's active registration on the qualification here, or a new one (from today,
    with the units the export names that the catalogue holds)."""
    existing = (
        Registration.objects.select_for_update()
        .filter(
            learner=learner,
            centre=centre,
            qualification=qualification,
            status=RegistrationStatus.ACTIVE,
        )
        .first()
    )
    if existing is not None:
        return existing, False
    today = timezone.localdate()
    planned = _day(checked.manifest["registration"].get("planned_end_date"))
    try:
        registration = register_learner(
            actor=actor,
            learner=learner,
            centre=centre,
            qualification=qualification,
            start_date=today,
            planned_end_date=planned if planned and planned >= today else None,
            unit_keys=[str(u.get("key")) for u in checked.manifest.get("units") or []],
        )
    except RegistrationError as error:
        raise TransferRefused(f"The learner cannot be registered here: {error}") from None
    return registration, True


def _criteria(manifest: dict[str, Any]) -> dict[tuple[str, str], int]:
    """(unit reference or key, criterion number) -> the catalogue's criterion's id. One query,
    read as rows: only the ids are written, and a large portfolio names hundreds."""
    units = {str(c.get("unit")) for e in manifest["evidence"] for c in e.get("criteria") or []}
    units |= {str(d.get("unit")) for d in manifest.get("decisions") or []}
    found: dict[tuple[str, str], int] = {}
    for pk, key, reference, number in AssessmentCriterion.objects.filter(
        Q(unit__key__in=units) | Q(unit__reference__in=units)
    ).values_list("pk", "unit__key", "unit__reference", "number"):
        found[(reference or key, number)] = pk
        found[(key, number)] = pk
    return found


def _choice(value: Any, choices: Any, default: str) -> str:
    return value if value in choices.values else default


def _import(
    checked: CheckedExport,
    *,
    actor: User,
    centre: Centre,
    learner: User,
    qualification: Qualification,
    archive: str | Path,
    stored: list[str],
) -> ImportResult:
    manifest = checked.manifest
    registration, created = _registration(
        checked, actor=actor, centre=centre, learner=learner, qualification=qualification
    )
    before = _Before() if created else _already_here(checked, registration)
    # A piece the export shows a newer version of is carried forward by that version: its
    # own later state there (returned, say) is history the new version supersedes anyway.
    superseded_there = {
        _source_pk(e.get("previous")) for e in manifest["evidence"] if isinstance(e, dict)
    }
    changed = {
        pk: before.newest[pk]
        for e in manifest["evidence"]
        if isinstance(e, dict)
        and (pk := _source_pk(e.get("id"))) in before.newest
        and pk not in superseded_there
        and before.differs(e)
    }
    entries = [
        e
        for e in manifest["evidence"]
        if isinstance(e, dict)
        and (_source_pk(e.get("id")) not in before.evidence or _source_pk(e.get("id")) in changed)
    ]
    decisions = [
        d
        for d in manifest.get("decisions") or []
        if isinstance(d, dict) and _decision_key(d) not in before.decisions
    ]
    already_evidence = sum(isinstance(e, dict) for e in manifest["evidence"]) - len(entries)
    already_decisions = len(manifest.get("decisions") or []) - len(decisions)
    if before.on and not entries and not decisions:
        raise NothingNew(
            f"Nothing in this export is new: its {_count(already_evidence, 'piece')} of "
            f"evidence and {_count(already_decisions, 'decision')} were transferred already, "
            f"on {before.on}. Nothing was imported."
        )
    transfer = PortfolioTransfer.objects.create(
        registration=registration,
        centre=centre,
        source_centre_name=checked.centre_name,
        source_centre_number=checked.centre_number,
        issuer=checked.issuer[:300],
        manifest_sha256=checked.manifest_sha256,
        exported_at=checked.exported_at,
        source_start_date=_day(manifest["registration"].get("start_date")),
        source_learner=str(checked.learner.get("id") or "")[:64],
        imported_by=actor,
    )
    now = timezone.now()
    rows = [
        Evidence(
            registration=registration,
            title=str(e.get("title") or "Untitled")[:200],
            description=str(e.get("description") or "")[:5_000],
            evidence_date=_day(e.get("evidence_date")) or checked.exported_at.date(),
            method=_choice(e.get("method"), EvidenceMethod, EvidenceMethod.OTHER),
            context=_choice(e.get("context"), EvidenceContext, EvidenceContext.REAL_WORK_PAID),
            status=_choice(e.get("status"), EvidenceStatus, EvidenceStatus.SUBMITTED),
            version=int(e.get("version") or 1),
            created_by=learner,
            created_at=_when(e.get("created_at")) or now,
            submitted_at=_when(e.get("submitted_at")),
            transfer=transfer,
            source_pk=_source_pk(e.get("id")),
        )
        for e in entries
    ]
    Evidence.objects.bulk_create(rows)
    by_old_id = {e.get("id"): row for e, row in zip(entries, rows, strict=True)}
    versioned = []
    new_versions = 0
    for entry, row in zip(entries, rows, strict=True):
        # A piece changed there since it came: its new state supersedes the copy here.
        previous = changed.get(_source_pk(entry.get("id")) or -1)
        if previous is None:
            previous = by_old_id.get(entry.get("previous"))
        if previous is None:
            # A new version of a piece transferred before: it supersedes that copy, which
            # stays as it was (never deleted), unless something here supersedes it already.
            previous = before.latest.get(_source_pk(entry.get("previous")) or -1)
            new_versions += previous is not None
        if previous is not None and previous is not row:
            row.previous = previous
            versioned.append(row)
    if versioned:
        Evidence.objects.bulk_update(versioned, ["previous"])
    criteria = _criteria(manifest)
    files: list[EvidenceFile] = []
    # (evidence id, criterion id, proposed at): written column by column (insert_rows), with
    # no model instance a row, as the prior decisions are.
    mappings: list[tuple[int, int, datetime]] = []
    declarations: list[Declaration] = []
    skipped = 0
    with zipfile.ZipFile(archive) as zipped:
        for entry, row in zip(entries, rows, strict=True):
            hashes: set[str] = set()
            for item in entry.get("files") or []:
                if "path" not in item or item["sha256"] in hashes:
                    continue  # removed after retention at the earlier centre, or twice
                hashes.add(item["sha256"])
                files.append(_store(zipped, item, row, registration, actor, stored))
            # Each criterion once a piece (the export may name one twice): kept per piece,
            # not sought among every mapping made so far (quadratic in the portfolio).
            mapped: set[int] = set()
            for c in entry.get("criteria") or []:
                criterion = criteria.get((str(c.get("unit")), str(c.get("number"))))
                if criterion is None or criterion in mapped:
                    skipped += criterion is None
                    continue
                mapped.add(criterion)
                mappings.append((row.pk, criterion, _when(c.get("proposed_at")) or now))
            declaration = entry.get("declaration")
            if declaration:
                declarations.append(
                    Declaration(
                        evidence=row,
                        signed_by=learner,
                        typed_name=str(declaration.get("typed_name") or "")[:150],
                        statement=str(declaration.get("statement") or ""),
                        signed_at=_when(declaration.get("signed_at")) or now,
                        content_hash=str(declaration.get("content_hash") or "")[:64],
                    )
                )
    EvidenceFile.objects.bulk_create(files)
    insert_rows(
        EvidenceCriterion,
        ["evidence_id", "criterion_id", "proposed_by_id", "proposed_at"],
        [
            [m[0] for m in mappings],
            [m[1] for m in mappings],
            [learner.pk] * len(mappings),
            [m[2] for m in mappings],
        ],
    )
    Declaration.objects.bulk_create(declarations)
    prior: list[tuple[int, str, str, str, date, str, str]] = []
    for d in decisions:
        criterion = criteria.get((str(d.get("unit")), str(d.get("number"))))
        assessed_on = _day(d.get("assessed_on"))
        if criterion is None or assessed_on is None:
            skipped += 1
            continue
        prior.append(
            (
                criterion,
                str(d.get("outcome") or "")[:20],
                str(d.get("outcome_label") or "")[:50],
                str(d.get("assessor") or "")[:200],
                assessed_on,
                str(d.get("feedback") or "")[:5_000],
                _decision_key(d),
            )
        )
    # Hundreds in a large portfolio: column by column, one INSERT, no instance a row.
    insert_rows(
        PriorDecision,
        ["transfer_id", "registration_id", *PRIOR_COLUMNS],
        [
            [transfer.pk] * len(prior),
            [registration.pk] * len(prior),
            *(list(column) for column in zip(*prior, strict=True)),
        ],
    )
    refresh_progress(registration)
    record_event(
        actor=actor,
        action="portfolio.transferred_in",
        target=transfer,
        centre_id=centre.pk,
        data={
            "registration": registration.pk,
            "learner": learner.pk,
            "source_centre": checked.centre_name,
            "source_centre_number": checked.centre_number,
            "issuer": checked.issuer,
            "manifest_sha256": checked.manifest_sha256,
            "exported_at": checked.exported_at.isoformat(),
            "evidence": len(rows),
            "files": len(files),
            "decisions": len(prior),
            "already_evidence": already_evidence,
            "already_decisions": already_decisions,
            "new_versions": new_versions,
            "changed": len(changed),
        },
    )
    return ImportResult(
        transfer=transfer,
        registration=registration,
        created_registration=created,
        evidence=len(rows),
        files=len(files),
        decisions=len(prior),
        skipped_criteria=skipped,
        already_evidence=already_evidence,
        already_decisions=already_decisions,
        already_on=before.on,
        new_versions=new_versions,
        changed=len(changed),
    )


@dataclass
class _Before:
    """What earlier imports from the same source learner brought into the registration."""

    # Evidence ids at the earlier centre, and decision keys, already here.
    evidence: set[int] = field(default_factory=set)
    decisions: set[str] = field(default_factory=set)
    # Source id -> the copy here that nothing here supersedes yet (a new version's previous).
    latest: dict[int, Evidence] = field(default_factory=dict)
    # Source id -> the copy of that piece brought in last (a piece changed at the earlier
    # centre since comes again, superseding it), and each copy's files' SHA-256.
    newest: dict[int, Evidence] = field(default_factory=dict)
    hashes: dict[int, set[str]] = field(default_factory=dict)
    on: str = ""  # when they were imported ("4 and 5 December 2026"); "" if never

    def differs(self, entry: dict[str, Any]) -> bool:
        """Whether the export's piece differs, in what the import keeps, from its newest copy
        here: a draft submitted there (status, submitted_at), retitled or redescribed, or its
        files added, replaced or taken off. A file removed there after retention keeps its
        hash in the export without a path: the copy here keeps it too, and that is no change."""
        copy = self.newest[cast(int, _source_pk(entry.get("id")))]
        files = [f for f in entry.get("files") or [] if isinstance(f, dict)]
        removed = {str(f.get("sha256")) for f in files if "path" not in f}
        return (
            _choice(entry.get("status"), EvidenceStatus, EvidenceStatus.SUBMITTED) != copy.status
            or _when(entry.get("submitted_at")) != copy.submitted_at
            or str(entry.get("title") or "Untitled")[:200] != copy.title
            or str(entry.get("description") or "")[:5_000] != copy.description
            or {str(f.get("sha256")) for f in files if "path" in f}
            != self.hashes.get(copy.pk, set()) - removed
        )


def _already_here(checked: CheckedExport, registration: Registration) -> _Before:
    """Four queries: the earlier transfers, their evidence, its files' hashes, their decisions'
    keys. The registration row is locked (select_for_update), so two imports cannot both add
    a piece."""
    earlier = list(
        PortfolioTransfer.objects.filter(
            registration=registration,
            issuer=checked.issuer[:300],
            source_learner=str(checked.learner.get("id") or "")[:64],
        ).order_by("imported_at")
    )
    if not earlier:
        return _Before()
    copies = list(
        Evidence.objects.filter(transfer__in=earlier, source_pk__isnull=False).annotate(
            superseded=Exists(Evidence.objects.filter(previous=OuterRef("pk")))
        )
    )
    newest: dict[int, Evidence] = {}
    for copy in sorted(copies, key=lambda e: e.pk):
        newest[cast(int, copy.source_pk)] = copy
    hashes: dict[int, set[str]] = {}
    for evidence_id, sha256 in EvidenceFile.objects.filter(
        evidence__in=list(newest.values())
    ).values_list("evidence_id", "sha256"):
        hashes.setdefault(evidence_id, set()).add(sha256)
    days = list(
        dict.fromkeys(
            dateformat.format(timezone.localtime(t.imported_at), "j F Y") for t in earlier
        )
    )
    return _Before(
        evidence={cast(int, e.source_pk) for e in copies},
        decisions=set(
            PriorDecision.objects.filter(transfer__in=earlier).values_list("source_key", flat=True)
        ),
        latest={cast(int, e.source_pk): e for e in copies if not e.superseded},
        newest=newest,
        hashes=hashes,
        on=" and ".join([", ".join(days[:-1]), days[-1]] if len(days) > 1 else days),
    )


def _source_pk(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _decision_key(decision: dict[str, Any]) -> str:
    """The decision's id at the earlier centre; for an export without ids, what was decided
    about which criterion, by whom and when (the same decision exports the same)."""
    if decision.get("id") is not None:
        return str(decision["id"])[:300]
    parts = ("unit", "number", "outcome", "assessor", "assessed_on")
    return "|".join(str(decision.get(p) or "") for p in parts)[:300]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _store(
    zipped: zipfile.ZipFile,
    item: dict[str, Any],
    evidence: Evidence,
    registration: Registration,
    actor: User,
    stored: list[str],
) -> EvidenceFile:
    """One file streamed from the ZIP into storage, as an upload is (never all in memory)."""
    info = zipped.getinfo(item["path"])
    # One opening of the member: its head sniffed, then the whole of it stored (File.chunks
    # seeks back to the start, which the ZIP's stored members do without reading again).
    with zipped.open(info) as member:
        content_type = sniff_head(member.read(8192))
        if content_type is None:
            raise TransferRefused(
                f"{item['path']} is not a type of file the portfolio accepts: nothing was imported."
            )
        content = File(member, name=item["path"])
        content.size = info.file_size
        content.DEFAULT_CHUNK_SIZE = READ_CHUNK
        name = default_storage.save(f"{EVIDENCE_PREFIX}{registration.pk}/{uuid4().hex}", content)
    stored.append(name)
    record = EvidenceFile(
        evidence=evidence,
        original_name=str(item.get("name") or posixpath.basename(item["path"]))[:255],
        content_type=content_type,
        size=info.file_size,
        sha256=str(item["sha256"]),
        uploaded_by=actor,
        uploaded_at=_when(item.get("uploaded_at")) or timezone.now(),
    )
    record.file.name = name
    return record


# ---------------------------------------------------------------- held for an invitation


def _invited_person(invitation: Invitation, named: dict[str, Any]) -> bool:
    email = str(named.get("email") or "").strip().casefold()
    name = " ".join(str(named.get("name") or "").split()).casefold()
    return email == invitation.email.casefold() or name == invitation.full_name.casefold()


def pending_learner_invitations(centre: Centre) -> QuerySet[Invitation]:
    """The centre's learner invitations still open: whom a ZIP may be held for."""
    return (
        Invitation.objects.open()
        .filter(centre=centre, role=Role.LEARNER)
        .order_by("full_name", "pk")
    )


def hold_import(
    *, actor: User, centre: Centre, invitation: Invitation, archive: str | Path
) -> HeldTransfer:
    """The ZIP checked now (every check the import makes, and the same refusals), then kept
    under HELD_PREFIX against a pending learner invitation of `centre`: it is imported when
    the person accepts. A refusal leaves no row and no stored file."""
    if (
        invitation.centre_id != centre.pk
        or invitation.role != Role.LEARNER
        or not Invitation.objects.open().filter(pk=invitation.pk).exists()
    ):
        raise TransferRefused(
            "That invitation is no longer waiting for an answer: choose another learner."
        )
    checked = check_archive(archive)
    _qualification(checked)
    if not _invited_person(invitation, checked.learner):
        raise TransferRefused(
            f"The export is {checked.learner.get('name')}'s portfolio, not that of "
            f"{invitation.full_name} ({invitation.email}), who is invited: choose the learner "
            "it belongs to."
        )
    _refuse_imported_already(checked, centre)
    if HeldTransfer.objects.filter(
        centre=centre, manifest_sha256=checked.manifest_sha256, status=HeldTransferStatus.WAITING
    ).exists():
        raise TransferRefused(
            "This export is held already, waiting for its learner to accept their invitation."
        )
    with open(archive, "rb") as source:
        name = default_storage.save(f"{HELD_PREFIX}{uuid4().hex}.zip", File(source))
    try:
        with transaction.atomic():
            held = HeldTransfer.objects.create(
                centre=centre,
                invitation=invitation,
                file_name=name,
                manifest_sha256=checked.manifest_sha256,
                source_centre_name=checked.centre_name,
                learner_name=str(checked.learner.get("name") or "")[:150],
                qualification_number=checked.qualification_number[:30],
                held_by=actor,
            )
            record_event(
                actor=actor,
                action="portfolio.transfer_held",
                target=held,
                centre_id=centre.pk,
                data={
                    "invitation": invitation.pk,
                    "source_centre": checked.centre_name,
                    "issuer": checked.issuer,
                    "manifest_sha256": checked.manifest_sha256,
                },
            )
    except IntegrityError:
        default_storage.delete(name)
        raise TransferRefused(
            "This export is held already, waiting for its learner to accept their invitation."
        ) from None
    except BaseException:
        default_storage.delete(name)
        raise
    return held


def _close(held: HeldTransfer, status: str, *, actor: User | None, reason: str = "") -> None:
    """Inside the caller's transaction; the file goes once it commits (a rollback keeps it)."""
    name = held.file_name
    held.resolved_at = timezone.now()
    held.reason = reason[:2_000]
    held.file_name = ""
    HELD_TRANSFER_LIFECYCLE.move(
        held,
        status,
        actor=actor,
        action=f"portfolio.transfer_{status}",
        centre_id=held.centre_id,
        data={"invitation": held.invitation_id, "reason": reason[:500]},
        update_fields=["resolved_at", "reason", "file_name", "transfer"],
    )
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


@transaction.atomic
def withdraw_held(*, actor: User, held: HeldTransfer) -> HeldTransfer:
    """The centre changes its mind before the learner accepts: the held ZIP is discarded."""
    held = HeldTransfer.objects.select_for_update().get(pk=held.pk)
    if held.status != HeldTransferStatus.WAITING:
        raise TransferRefused("This import is no longer waiting: nothing was changed.")
    _close(held, HeldTransferStatus.WITHDRAWN, actor=actor)
    return held


@dataclass(frozen=True)
class Settled:
    """What settle_held did: held imports discarded (their invitation expired unanswered),
    imported, and refused (both for an invitation accepted earlier)."""

    discarded: int = 0
    imported: int = 0
    refused: int = 0


def settle_held() -> Settled:
    """Held imports whose invitation was answered without the held import following: expired
    unanswered (discarded), or accepted while the import did not run after the acceptance
    committed (the process stopped between the two: imported now). Daily (beat), and whenever
    the import page is opened. One query when there is nothing to do."""
    discarded = imported = refused = 0
    for held in HeldTransfer.objects.filter(
        Q(invitation__status=InvitationStatus.ACCEPTED)
        | Q(invitation__expires_at__lte=timezone.now()),
        status=HeldTransferStatus.WAITING,
    ).select_related("invitation"):
        if held.invitation.status == InvitationStatus.ACCEPTED:
            try:
                status = import_held(held.pk)
            except Exception:
                # Storage not answering, say: it waits for the next try; the others go on.
                logger.exception("Held import %s not imported; it waits for the next try", held.pk)
                continue
            imported += status == HeldTransferStatus.IMPORTED
            refused += status == HeldTransferStatus.REFUSED
            continue
        with transaction.atomic():
            locked = HeldTransfer.objects.select_for_update().get(pk=held.pk)
            if locked.status != HeldTransferStatus.WAITING:
                continue  # settled meanwhile by another process
            _close(
                locked,
                HeldTransferStatus.DISCARDED,
                actor=None,
                reason="The invitation expired before it was accepted.",
            )
        discarded += 1
    return Settled(discarded=discarded, imported=imported, refused=refused)


class _SettledMeanwhile(Exception):
    """Raised inside the import's transaction when the held row was settled by another
    process meanwhile: the import rolls back (and deletes what it stored)."""


def import_held(held_pk: int) -> str | None:
    """The held ZIP of an accepted invitation imported, in a transaction of its own, for the
    person who accepted, as the admin who held it; the held row is closed in that same
    transaction, so the import and its IMPORTED row commit together or not at all (and a
    failure deletes every file stored, as any import's does). A refusal (the registration
    cannot be made, say) closes it REFUSED with the reason. Anything else (storage not
    answering, the process stopped) leaves it waiting for settle_held to try again. Returns
    the status it moved to, or None if it was not waiting (settled already)."""
    held = (
        HeldTransfer.objects.filter(
            pk=held_pk,
            status=HeldTransferStatus.WAITING,
            invitation__status=InvitationStatus.ACCEPTED,
            invitation__accepted_by__isnull=False,
        )
        .select_related("centre", "held_by", "invitation__accepted_by")
        .first()
    )
    if held is None:
        return None
    learner = cast(User, held.invitation.accepted_by)

    def close(result: ImportResult) -> None:
        locked = HeldTransfer.objects.select_for_update().get(pk=held_pk)
        if locked.status != HeldTransferStatus.WAITING:
            raise _SettledMeanwhile
        locked.transfer = result.transfer
        _close(locked, HeldTransferStatus.IMPORTED, actor=learner)

    try:
        with tempfile.NamedTemporaryFile(suffix=".zip") as local:
            with default_storage.open(held.file_name, "rb") as source:
                shutil.copyfileobj(source, local, READ_CHUNK)
            local.flush()
            import_portfolio(
                actor=held.held_by,
                centre=held.centre,
                archive=local.name,
                email=learner.email,
                person_checked=True,
                within=close,
            )
    except _SettledMeanwhile:
        return None
    except TransferRefused as refused:
        with transaction.atomic():
            locked = HeldTransfer.objects.select_for_update().get(pk=held_pk)
            if locked.status != HeldTransferStatus.WAITING:
                return None  # imported by another process meanwhile ("imported already")
            _close(locked, HeldTransferStatus.REFUSED, actor=learner, reason=str(refused))
        return HeldTransferStatus.REFUSED
    return HeldTransferStatus.IMPORTED


def _on_invitation_closed(sender: Any, invitation: Invitation, actor: Any, **_: Any) -> None:
    answer = invitation.get_status_display().lower()
    for held in HeldTransfer.objects.select_for_update().filter(
        invitation=invitation, status=HeldTransferStatus.WAITING
    ):
        _close(
            held,
            HeldTransferStatus.DISCARDED,
            actor=actor,
            reason=f"The invitation was {answer}.",
        )


def _on_invitation_accepted(sender: Any, invitation: Invitation, user: User, **_: Any) -> None:
    """Inside invitation_accept's transaction: each held ZIP is imported once that commits,
    not inside it (import_held). Imported inside, an acceptance rolled back after the import
    would leave the evidence files stored with no rows naming them; after the commit, the
    import has its own transaction and deletes its files if that fails. Should the process
    stop between the acceptance's commit and the import, the held row stays waiting with an
    accepted invitation, and settle_held imports it (daily, and when the import page opens).
    A refusal then is kept with its reason and does not undo the acceptance."""
    for pk in HeldTransfer.objects.filter(
        invitation=invitation, status=HeldTransferStatus.WAITING
    ).values_list("pk", flat=True):
        # robust: a failure is logged, and the acceptance (committed) answers as accepted.
        transaction.on_commit(partial(import_held, pk), robust=True)


def connect_invitation_signals() -> None:
    invitation_accepted.connect(
        _on_invitation_accepted, dispatch_uid="assessments.transfer.held_accepted"
    )
    invitation_closed.connect(
        _on_invitation_closed, dispatch_uid="assessments.transfer.held_closed"
    )
