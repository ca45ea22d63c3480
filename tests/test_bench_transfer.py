"""bench/transfer_import.py on a small seed_scale centre: the largest IMI learner's export is
imported through the page's POST (each run a real import: its evidence, files and decisions
counted), and every run is undone, rows and stored files alike, so the next imports the same ZIP
again and the seeded database is left as it was."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import User
from bench import transfer_import
from bench.harness import Context
from portfolios.models import Evidence, PortfolioTransfer, PriorDecision, Registration
from tests.support.media import private_media, stored_files

pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.mark.django_db
def test_the_import_is_measured_and_every_run_leaves_nothing(tmp_path: Path, settings: Any) -> None:
    private_media(settings, tmp_path)
    call_command(
        "seed_scale",
        "--caseload",
        "2",
        "--samples",
        "1",
        "--claimable",
        "1",
        "--sfj-units",
        "1",
        "--allow-without-debug",
        "--manifest",
        str(tmp_path / "scale.json"),
        stdout=StringIO(),
    )
    before = {
        "files": sorted(stored_files(tmp_path)),
        "registrations": Registration.objects.count(),
        "evidence": Evidence.objects.count(),
    }

    (row,) = transfer_import.bench(Context(database_url="", repeat=2))

    assert "portfolio import POST" in row.measure
    assert row.unit == "s"
    assert row.project > 0
    assert row.floor is not None
    assert row.floor > 0
    # Each run imported the whole portfolio: its evidence, files and decisions were there.
    evidence, files, decisions = (
        int(row.measure.split(f" {noun}")[0].rsplit(" ", 1)[-1])
        for noun in ("evidence", "files", "decisions")
    )
    assert evidence > 0
    assert files > 0
    assert decisions > 0
    assert "queries" in row.note
    # ...and was undone: no transfer, registration, evidence or prior decision is left, and the
    # files it stored were deleted (only the namesake it imports for is kept, for the next run).
    assert not PortfolioTransfer.objects.exists()
    assert not PriorDecision.objects.exists()
    assert Registration.objects.count() == before["registrations"]
    assert Evidence.objects.count() == before["evidence"]
    assert sorted(stored_files(tmp_path)) == before["files"]
    assert User.objects.filter(email=transfer_import.NAMESAKE).exists()
