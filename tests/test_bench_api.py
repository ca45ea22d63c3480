"""bench/pages_platform.py's API reads beside their SQL floors, on a small seed_scale centre:
each read answers 200 with the bearer token the bench makes for it, and its hand-written floor
reads the same rows (the same count, the same first page in the same order), so a ratio against
it compares like with like."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from bench.pages_platform import PAGES, Worker, api_floor, claim_ready
from tests.support.media import private_media

pytestmark = pytest.mark.usefixtures("catalogue")


def _ran(statements: list[tuple[str, dict[str, Any]]]) -> list[list[tuple[Any, ...]]]:
    results = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            results.append(list(cursor.fetchall()))
    return results


def _ids(rows: list[tuple[Any, ...]]) -> list[Any]:
    # A page joined to its children (outcomes, roles) repeats each row: its ids in order, once.
    return list(dict.fromkeys(row[0] for row in rows))


@pytest.mark.django_db
def test_each_api_read_and_its_floor_read_the_same_rows(tmp_path: Path, settings: Any) -> None:
    private_media(settings, tmp_path)
    call_command(
        "seed_scale",
        "--caseload",
        "2",
        "--samples",
        "2",
        "--claimable",
        "3",
        "--sfj-units",
        "2",
        "--no-largest-imi",
        "--allow-without-debug",
        "--manifest",
        str(tmp_path / "scale.json"),
        stdout=StringIO(),
    )
    worker = Worker()
    # The claims read lists the lines of the claim the bench adds first.
    assert claim_ready(worker) > 0
    reads = [page for page in PAGES if page.token]
    assert len(reads) == 7
    for page in reads:
        response = worker.get(page.name)
        assert response.status_code == 200, (page.name, response.content)
        body = response.json()
        # The token and its roles first, then the endpoint's own data.
        token, roles, *data = _ran(api_floor(page.name, worker))
        assert token, page.name
        assert roles, page.name
        if page.name == "api registration progress":
            registration, header, current, units, criteria, credited = data
            assert registration[0][0] == header[0][0] == body["registration_id"]
            assert len(units) == len(body["units"])
            assert not credited
            assert len(criteria) == body["criteria_total"] > 0
            assert sorted(row[0] for row in criteria) == sorted(
                c["id"] for unit in body["units"] for c in unit["criteria"]
            )
            assert len(current) > 0
            continue
        if page.name == "api registration decisions":
            registration, _, count, rows = data
            assert registration[0][0] == int(page.url(worker.ids).split("/")[-2])
        else:
            count, rows = data
        assert count[0][0] == body["count"] > 0, page.name
        assert _ids(rows) == [item["id"] for item in body["items"]], page.name
    # The floors of lists joined to their children keep every child row.
    people = worker.get("api people").json()["items"]
    floor_roles = _ran(api_floor("api people", worker))[-1]
    assert len(floor_roles) == sum(len(person["roles"]) for person in people)
