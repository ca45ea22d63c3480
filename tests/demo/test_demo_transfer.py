"""`manage.py demo_transfer`: the README's portfolio transfer on the demo (issue 20)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Centre, Membership, Role
from core.models import AuditEvent
from portfolios.models import Evidence, PortfolioTransfer, Registration
from tests.support.demo import seed, storages_in

pytestmark = pytest.mark.usefixtures("catalogue", "media")


@pytest.fixture
def media(settings, tmp_path) -> None:
    settings.STORAGES = storages_in(tmp_path / "media")


def run(*args: str) -> str:
    out = StringIO()
    call_command("demo_transfer", *args, stdout=out)
    return out.getvalue()


def test_it_asks_for_the_second_centre_first(settings, tmp_path: Path) -> None:
    settings.DEBUG = True
    seed()
    with pytest.raises(CommandError, match="seed_demo --second-centre"):
        run("--folder", str(tmp_path / "out"))


def test_jamal_moves_to_southfield_and_his_portfolio_follows(settings, tmp_path: Path) -> None:
    settings.DEBUG = True
    json.loads(seed("--second-centre", "--json"))
    southfield = Centre.objects.get(number="70422")
    folder = tmp_path / "out"

    told = run("--folder", str(folder))

    archive = folder / "portfolio-jamal-okafor.zip"
    assert archive.exists()
    assert "rebecca.lawson@southfield.demo.example" in told
    assert "/centre/transfer/" in told
    assert Membership.objects.filter(
        centre=southfield, role=Role.LEARNER, user__email="jamal.okafor@learner.demo.example"
    ).exists()
    assert not PortfolioTransfer.objects.exists()

    told = run("--folder", str(folder), "--import")

    transfer = PortfolioTransfer.objects.get()
    assert transfer.source_centre_name == "Northgate Training Centre"
    assert transfer.registration.centre == southfield
    assert "Imported at Southfield College" in told
    evidence = Evidence.objects.filter(registration=transfer.registration)
    assert evidence.exists()
    assert all(e.transfer_id == transfer.pk for e in evidence)
    # Nobody else of Northgate came along.
    assert set(
        Registration.objects.filter(centre=southfield, transfers_in__isnull=False).values_list(
            "learner__email", flat=True
        )
    ) == {"jamal.okafor@learner.demo.example"}
    assert AuditEvent.objects.filter(action="portfolio.transferred_in").count() == 1

    # Again: nothing more.
    assert "imported at Southfield College before, and nothing is new" in run(
        "--folder", str(folder), "--import"
    )
    assert PortfolioTransfer.objects.count() == 1

    # More work at Northgate, then again: only the new piece comes, beside the rest.
    from portfolios.evidence import evidence_create

    at_northgate = (
        Registration.objects.filter(learner=transfer.registration.learner)
        .exclude(centre=southfield)
        .get()
    )
    evidence_create(
        actor=at_northgate.learner,
        registration=at_northgate,
        title="Later at Northgate",
        evidence_date=at_northgate.start_date,
        method="product",
        context="real_work_paid",
    )
    before = evidence.count()

    told = run("--folder", str(folder), "--import")

    assert "Imported at Southfield College: 1 piece of evidence" in told
    assert f"({before} pieces imported on" in told
    assert PortfolioTransfer.objects.count() == 2
    assert Evidence.objects.filter(registration=transfer.registration).count() == before + 1
