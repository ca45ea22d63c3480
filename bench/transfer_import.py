"""Benchmark (issue 20): a centre admin imports a large portfolio ZIP (/centre/transfer/, POST),
beside its floor.

Suite: `bench(ctx)` (bench/run.py). Set up once: the export of the scale centre's largest IMI
portfolio (imi.full@: every unit of 601/3456/2 evidenced and decided, 27 pieces of evidence with
their files, 381 decisions), made by the learner's own download (portfolios.export.portfolio_zip,
signed with this site's key) into a temporary file, and a learner of the scale centre to import
it for: a namesake of the exported learner with an address of their own (made once, kept), so
the import's person check passes as it would for a learner who moved. (The SFJ learner's
portfolio is larger, but SFJ 601/1109/4 takes no new registrations, so an import of it is
refused, rightly.)

Each timed run is the whole POST through the test client, signed in as the centre's admin: the
upload streamed to disk, every check of check_archive (signature, names, sizes, each file's
SHA-256), then the registration, evidence, files and prior decisions written and the files
stored. Every run is rolled back (an outer transaction) and the files it stored deleted, so the
next run imports the same ZIP into the same empty learner.

The floor is the same work done by hand, the cheapest way: the ZIP's bytes read and each
member's SHA-256 taken, each evidence file's bytes written out once, then every row the import
writes, by hand-written SQL in one transaction (rolled back too): the registration, its units
and its progress row, the transfer, the evidence (and the links between its versions), its
files, criterion mappings and declarations, the prior decisions, and the audit events (the
registration's and the transfer's, as the import writes them) chained onto the head, each
table one multi-row INSERT (portable SQL: the test runs it on SQLite). Goal: at most 3x the
floor and under 2 s. The note gives the POST's query count, which must not grow with the
portfolio.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from django.db import connection, transaction
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import Context, Row, within  # noqa: E402

RATIO = 3.0
UNDER_S = 2.0
NAMESAKE = "transfer.bench@scale.example"
READ_CHUNK = 1024 * 1024


class _RolledBack(Exception):
    """Raised inside the outer transaction to undo a timed import."""


def export_of(registration_pk: int, folder: Path) -> Path:
    """The registration's portfolio ZIP, as the learner downloads it, written to `folder`."""
    from portfolios.export import portfolio_zip

    path = folder / "portfolio.zip"
    with path.open("wb") as out:
        for chunk in portfolio_zip(registration_pk):
            out.write(chunk)
    return path


def namesake(centre: Any, source: Any) -> Any:
    """A learner of the centre with the exported learner's name and an address of their own."""
    from accounts.models import Membership, Role, User

    user = User.objects.filter(email=NAMESAKE).first()
    if user is None:
        user = User.objects.create_user(NAMESAKE, None, full_name=source.get_full_name())
    elif user.full_name != source.get_full_name():
        user.full_name = source.get_full_name()
        user.save(update_fields=["full_name"])
    Membership.objects.get_or_create(user=user, centre=centre, role=Role.LEARNER)
    return user


@dataclass(frozen=True)
class Ids:
    """Whom and where the floor writes for: what the import's request and checks give it."""

    actor: int
    centre: int
    learner: int
    qualification: int


def floor_of(archive: Path, scratch: Path, ids: Ids) -> None:
    """Read every member of the ZIP and take its SHA-256; write each evidence file out once;
    then, in one transaction (rolled back, as the import's runs are), the rows the import
    writes, by hand-written SQL in bulk (`_rows_written`)."""
    from portfolios.export import INDEX, MANIFEST, SIGNATURE

    own: dict[str, bytes] = {}
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            digest = hashlib.sha256()
            with opened.open(info) as member:
                if info.filename in (MANIFEST, INDEX, SIGNATURE):
                    body = b"".join(iter(lambda m=member: m.read(READ_CHUNK), b""))
                    digest.update(body)
                    own[info.filename] = body
                    continue
                # A new file each, as the import stores each under a new name (rewriting one
                # file again and again would cost its truncation's writeback each time).
                with (scratch / uuid4().hex).open("wb") as out:
                    for chunk in iter(lambda m=member: m.read(READ_CHUNK), b""):
                        digest.update(chunk)
                        out.write(chunk)
    claims = json.loads(_b64(own[SIGNATURE].split(b".")[1]))
    try:
        with transaction.atomic():
            _rows_written(json.loads(own[MANIFEST]), ids, issuer=str(claims["iss"]))
            raise _RolledBack
    except _RolledBack:
        pass


def _b64(text: bytes) -> bytes:
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def _insert(
    cursor: Any,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: str = "",
) -> list[tuple[Any, ...]]:
    """`rows` in multi-row INSERTs, as many a statement as the database takes parameters (all
    of them on PostgreSQL; SQLite's limit is lower); the `returning` columns read back."""
    if not rows:
        return []
    limit = max(1, (connection.features.max_query_params or 60_000) // len(columns))
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    back: list[tuple[Any, ...]] = []
    for start in range(0, len(rows), limit):
        chunk = rows[start : start + limit]
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 - names are ours
            + ", ".join([one] * len(chunk))
            + (f" RETURNING {returning}" if returning else "")
        )
        cursor.execute(sql, [value for row in chunk for value in row])
        if returning:
            back.extend(cursor.fetchall())
    return back


def _day(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) and value else None


def _moment(value: Any, default: datetime) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else default


def _rows_written(manifest: dict[str, Any], ids: Ids, *, issuer: str) -> None:
    """What the import writes, row for row, the cheapest way by hand: the registration with
    its units and progress row, the transfer, the evidence (and the versions it links), its
    files, mappings and declarations, the prior decisions, and the audit events (the
    registration's and the transfer's) chained onto the head. One statement a table; the
    criteria the mappings and decisions name read in one query."""
    from assessments.transfer import PRIOR_COLUMNS

    now = timezone.now()
    today = timezone.localdate()
    registration_of = manifest["registration"]
    learner_of = registration_of["learner"]
    centre_of = registration_of.get("centre") or {}
    evidence = [e for e in manifest["evidence"] if isinstance(e, dict)]
    decisions = [d for d in manifest.get("decisions") or [] if isinstance(d, dict)]
    unit_keys = sorted({str(u.get("key")) for u in manifest.get("units") or []})
    named = sorted(
        {str(c.get("unit")) for e in evidence for c in e.get("criteria") or []}
        | {str(d.get("unit")) for d in decisions}
    )
    planned = _day(registration_of.get("planned_end_date"))
    with connection.cursor() as cursor:
        ((registration,),) = _insert(
            cursor,
            "portfolios_registration",
            (
                "learner_id",
                "centre_id",
                "qualification_id",
                "awarding_body_number",
                "start_date",
                "planned_end_date",
                "status",
                "status_reason",
                "created_at",
                "updated_at",
            ),
            [
                (
                    ids.learner,
                    ids.centre,
                    ids.qualification,
                    "",
                    today,
                    planned if planned and planned >= today else None,
                    "active",
                    "",
                    now,
                    now,
                )
            ],
            returning="id",
        )
        marks = ", ".join(["%s"] * len(unit_keys))
        cursor.execute(
            "INSERT INTO portfolios_registrationunit (registration_id, unit_id, chosen_at) "  # noqa: S608
            f"SELECT %s, id, %s FROM qualifications_unit WHERE key IN ({marks})",
            [registration, now, *unit_keys],
        )
        cursor.execute(
            "INSERT INTO portfolios_registrationprogress (registration_id, criteria_required, "
            "criteria_met, units_signed_off, evidence_waiting, paced, counted_at) "
            "SELECT %s, COUNT(c.id), 0, 0, %s, %s, %s FROM portfolios_registrationunit r "
            "JOIN qualifications_assessmentcriterion c ON c.unit_id = r.unit_id "
            "WHERE r.registration_id = %s",
            [
                registration,
                sum(e.get("status") == "submitted" for e in evidence),
                False,
                now,
                registration,
            ],
        )
        marks = ", ".join(["%s"] * len(named))
        cursor.execute(
            "SELECT c.id, u.key, u.reference, c.number "  # noqa: S608 - placeholders only
            "FROM qualifications_assessmentcriterion c "
            "JOIN qualifications_unit u ON u.id = c.unit_id "
            f"WHERE u.key IN ({marks}) OR u.reference IN ({marks})",
            [*named, *named],
        )
        criteria: dict[tuple[str, str], int] = {}
        for pk, key, reference, number in cursor.fetchall():
            criteria[(reference or key, number)] = criteria[(key, number)] = pk
        ((transfer,),) = _insert(
            cursor,
            "portfolios_portfoliotransfer",
            (
                "registration_id",
                "centre_id",
                "source_centre_name",
                "source_centre_number",
                "issuer",
                "manifest_sha256",
                "exported_at",
                "source_start_date",
                "source_learner",
                "imported_by_id",
                "imported_at",
            ),
            [
                (
                    registration,
                    ids.centre,
                    str(centre_of.get("name")),
                    str(centre_of.get("number") or ""),
                    issuer,
                    uuid4().hex * 2,
                    _moment(manifest.get("exported_at"), now),
                    _day(registration_of.get("start_date")),
                    str(learner_of.get("id") or ""),
                    ids.actor,
                    now,
                )
            ],
            returning="id",
        )
        made = {
            source: pk
            for pk, source in _insert(
                cursor,
                "portfolios_evidence",
                (
                    "registration_id",
                    "title",
                    "description",
                    "evidence_date",
                    "method",
                    "context",
                    "status",
                    "version",
                    "created_by_id",
                    "created_at",
                    "submitted_at",
                    "transfer_id",
                    "source_pk",
                ),
                [
                    (
                        registration,
                        str(e.get("title") or "Untitled")[:200],
                        str(e.get("description") or "")[:5_000],
                        _day(e.get("evidence_date")) or today,
                        e.get("method") or "other",
                        e.get("context") or "real_work_paid",
                        e.get("status") or "submitted",
                        int(e.get("version") or 1),
                        ids.learner,
                        _moment(e.get("created_at"), now),
                        _moment(e.get("submitted_at"), now) if e.get("submitted_at") else None,
                        transfer,
                        int(e["id"]),
                    )
                    for e in evidence
                ],
                returning="id, source_pk",
            )
        }
        versions = [
            (made[int(e["previous"])], made[int(e["id"])])
            for e in evidence
            if e.get("previous") is not None and int(e["previous"]) in made
        ]
        if versions:
            cursor.executemany(
                "UPDATE portfolios_evidence SET previous_id = %s WHERE id = %s", versions
            )
        files, mappings, declarations = [], [], []
        for e in evidence:
            pk = made[int(e["id"])]
            hashes: set[str] = set()
            for item in e.get("files") or []:
                if "path" not in item or item["sha256"] in hashes:
                    continue
                hashes.add(item["sha256"])
                files.append(
                    (
                        pk,
                        f"evidence/{registration}/{uuid4().hex}",
                        str(item.get("name") or "")[:255],
                        str(item.get("content_type") or "application/octet-stream")[:100],
                        int(item.get("size") or 0),
                        str(item["sha256"]),
                        ids.actor,
                        _moment(item.get("uploaded_at"), now),
                        "",
                    )
                )
            mapped: set[int] = set()
            for c in e.get("criteria") or []:
                criterion = criteria.get((str(c.get("unit")), str(c.get("number"))))
                if criterion is not None and criterion not in mapped:
                    mapped.add(criterion)
                    mappings.append(
                        (pk, criterion, ids.learner, _moment(c.get("proposed_at"), now))
                    )
            if declaration := e.get("declaration"):
                declarations.append(
                    (
                        pk,
                        ids.learner,
                        str(declaration.get("typed_name") or "")[:150],
                        str(declaration.get("statement") or ""),
                        _moment(declaration.get("signed_at"), now),
                        str(declaration.get("content_hash") or "")[:64],
                    )
                )
        _insert(
            cursor,
            "portfolios_evidencefile",
            (
                "evidence_id",
                "file",
                "original_name",
                "content_type",
                "size",
                "sha256",
                "uploaded_by_id",
                "uploaded_at",
                "removal_reason",
            ),
            files,
        )
        _insert(
            cursor,
            "portfolios_evidencecriterion",
            ("evidence_id", "criterion_id", "proposed_by_id", "proposed_at"),
            mappings,
        )
        _insert(
            cursor,
            "portfolios_declaration",
            ("evidence_id", "signed_by_id", "typed_name", "statement", "signed_at", "content_hash"),
            declarations,
        )
        _insert(
            cursor,
            "portfolios_priordecision",
            ("transfer_id", "registration_id", *PRIOR_COLUMNS),
            [
                (
                    transfer,
                    registration,
                    criteria[(str(d.get("unit")), str(d.get("number")))],
                    str(d.get("outcome") or "")[:20],
                    str(d.get("outcome_label") or "")[:50],
                    str(d.get("assessor") or "")[:200],
                    _day(d.get("assessed_on")),
                    str(d.get("feedback") or "")[:5_000],
                    str(d["id"])[:300],
                )
                for d in decisions
                if (str(d.get("unit")), str(d.get("number"))) in criteria
            ],
        )
        _audit(
            cursor,
            ids,
            now,
            [
                (
                    "registration.created",
                    "portfolios.registration",
                    registration,
                    {"learner": ids.learner, "qualification": "", "units": unit_keys},
                ),
                (
                    "portfolio.transferred_in",
                    "portfolios.portfoliotransfer",
                    transfer,
                    {
                        "registration": registration,
                        "learner": ids.learner,
                        "source_centre": str(centre_of.get("name")),
                        "issuer": issuer,
                        "evidence": len(made),
                        "files": len(files),
                        "decisions": len(decisions),
                    },
                ),
            ],
        )


def _audit(
    cursor: Any, ids: Ids, now: datetime, events: list[tuple[str, str, int, dict[str, Any]]]
) -> None:
    """The events chained onto the head as core.audit chains them (each hash over the one
    before and the event's content): the head read under its lock, the events in one INSERT,
    the head moved once."""
    from core.audit import EVENT_COLUMNS

    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    cursor.execute(f"SELECT sequence, hash FROM core_auditchainhead WHERE id = 1{lock}")  # noqa: S608
    sequence, previous = cursor.fetchone()
    rows = []
    for action, object_type, pk, data in events:
        content = {
            "occurred_at": now.isoformat(),
            "actor": ids.actor,
            "action": action,
            "object_type": object_type,
            "object_id": str(pk),
            "centre": ids.centre,
            "data": data,
        }
        digest = hashlib.sha256(
            (previous + json.dumps(content, sort_keys=True, default=str)).encode()
        ).hexdigest()
        sequence += 1
        rows.append(
            (
                sequence,
                now,
                ids.actor,
                action,
                object_type,
                str(pk),
                ids.centre,
                json.dumps(data, default=str),
                previous,
                digest,
            )
        )
        previous = digest
    _insert(
        cursor,
        "core_auditevent",
        EVENT_COLUMNS,
        rows,
    )
    cursor.execute(
        "UPDATE core_auditchainhead SET sequence = %s, hash = %s WHERE id = 1", [sequence, previous]
    )


def bench(ctx: Context) -> list[Row]:
    from django.core.files.storage import default_storage
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import Centre, User
    from demo import scale
    from portfolios.models import Evidence, EvidenceFile, PriorDecision, Registration

    centre = Centre.objects.get(number=scale.CENTRE_NUMBER)
    admin = User.objects.get(email=scale.ADMIN)
    source = (
        Registration.objects.select_related("learner")
        .filter(centre=centre, learner__email=scale.IMI_LEARNER)
        .get()
    )
    learner = namesake(centre, source.learner)
    ids = Ids(
        actor=admin.pk, centre=centre.pk, learner=learner.pk, qualification=source.qualification_id
    )
    client = Client()
    client.force_login(admin)
    url = reverse("transfer:import")

    with tempfile.TemporaryDirectory(prefix="bench-transfer-") as folder:
        archive = export_of(source.pk, Path(folder))
        size = archive.stat().st_size
        body = archive.read_bytes()
        counts: dict[str, int] = {}

        queries: list[int] = []

        def imported(*, counted: bool = False) -> float:
            """One import, timed, then undone: its rows rolled back, its stored files deleted."""
            from django.core.files.uploadedfile import SimpleUploadedFile

            upload = SimpleUploadedFile("portfolio.zip", body, "application/zip")
            stored: list[str] = []
            seconds = 0.0
            try:
                with transaction.atomic():
                    with CaptureQueriesContext(connection) if counted else nullcontext() as seen:
                        started = time.perf_counter()
                        response = client.post(url, {"archive": upload, "email": NAMESAKE})
                        seconds = time.perf_counter() - started
                    if seen is not None:
                        queries.append(len(seen.captured_queries))
                    if response.status_code != 302:
                        raise RuntimeError(
                            f"the import answered {response.status_code}: "
                            + response.content.decode(errors="replace")[-600:]
                        )
                    made = Registration.objects.filter(centre=centre, learner=learner)
                    stored = list(
                        EvidenceFile.objects.filter(evidence__registration__in=made).values_list(
                            "file", flat=True
                        )
                    )
                    counts.update(
                        evidence=Evidence.objects.filter(registration__in=made).count(),
                        files=len(stored),
                        decisions=PriorDecision.objects.filter(registration__in=made).count(),
                    )
                    raise _RolledBack
            except _RolledBack:
                pass
            finally:
                for name in stored:
                    default_storage.delete(name)
            return seconds

        def floor() -> float:
            with tempfile.TemporaryDirectory(prefix="bench-transfer-floor-") as scratch:
                started = time.perf_counter()
                floor_of(archive, Path(scratch), ids)
                return time.perf_counter() - started

        # Untimed, once: the POST's queries counted (the timed runs go without the counting).
        imported(counted=True)
        floor()
        project_times, floor_times = [], []
        for _ in range(ctx.repeat):
            gc.collect()
            project_times.append(imported())
            gc.collect()
            floor_times.append(floor())
    project_s, floor_s = statistics.median(project_times), statistics.median(floor_times)
    return [
        Row(
            measure=(
                f"portfolio import POST, {size / 1_048_576:.1f} MB ZIP: "
                f"{counts.get('evidence', 0)} evidence, {counts.get('files', 0)} files, "
                f"{counts.get('decisions', 0)} decisions"
            ),
            project=project_s,
            unit="s",
            floor=floor_s,
            goal=f"<= {RATIO:g}x floor and < {UNDER_S:g} s",
            met=within(project_s, floor_s, ratio=RATIO, under=UNDER_S),
            note=(
                f"{queries[0]} queries; "
                "floor: the ZIP read and hashed, its evidence files written once, and the "
                "same rows written by hand-written SQL, a multi-row INSERT a table"
            ),
        )
    ]
