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
next run imports the same ZIP into the same empty learner. The floor is the file work no import
can avoid: the ZIP's bytes read and each member's SHA-256 taken, and each evidence file's bytes
written out once. Goal: at most 5x the floor (the import also writes a row for every piece of
evidence, file, mapping and decision, which the floor does not) and under 2 s. The note gives
the POST's query count, which must not grow with the portfolio.
"""

from __future__ import annotations

import gc
import hashlib
import statistics
import sys
import tempfile
import time
import zipfile
from contextlib import nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import Context, Row, within  # noqa: E402

RATIO = 5.0
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


def floor_of(archive: Path, scratch: Path) -> None:
    """Read every member of the ZIP and take its SHA-256; write each evidence file out once."""
    from portfolios.export import INDEX, MANIFEST, SIGNATURE

    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            digest = hashlib.sha256()
            own = info.filename in (MANIFEST, INDEX, SIGNATURE)
            with opened.open(info) as member:
                if own:
                    for chunk in iter(lambda m=member: m.read(READ_CHUNK), b""):
                        digest.update(chunk)
                    continue
                with (scratch / "copy").open("wb") as out:
                    for chunk in iter(lambda m=member: m.read(READ_CHUNK), b""):
                        digest.update(chunk)
                        out.write(chunk)


def bench(ctx: Context) -> list[Row]:
    from django.core.files.storage import default_storage
    from django.db import connection, transaction
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
                floor_of(archive, Path(scratch))
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
                "floor: the ZIP read and hashed, its evidence files written once"
            ),
        )
    ]
