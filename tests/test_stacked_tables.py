"""The staff pages whose tables once pushed a phone's page to 528-705 px (the IV's sample record,
the assessor's assessing page, the claims page) stack their data tables below the breakpoint:
each table is a `table-stack`, and each data cell carries the label of its column's header, which
the stacked row shows before the value (static/css/site.css)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from certification import claims
from portfolios.models import RegistrationStatus
from tests.certification.claim_cases import learner_on, make_centre
from tests.verification.sample_cases import make_case
from verification import samples
from verification.models import SampleStage

pytestmark = pytest.mark.django_db


@dataclass
class Table:
    classes: list[str]
    testid: str
    headers: list[str] = field(default_factory=list)
    # One list per body row: (tag, data-label, colspan) for each cell.
    rows: list[list[tuple[str, str | None, int]]] = field(default_factory=list)


class Tables(HTMLParser):
    """The page's tables: their classes, header texts and body cells (no nested tables here)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self.section = ""
        self.header: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "table":
            self.tables.append(
                Table((attr.get("class") or "").split(), attr.get("data-testid") or "")
            )
        elif tag in ("thead", "tbody"):
            self.section = tag
        elif tag == "tr" and self.section == "tbody":
            self.tables[-1].rows.append([])
        elif tag == "th" and self.section == "thead":
            self.header = []
        elif tag in ("td", "th") and self.section == "tbody":
            cell = (tag, attr.get("data-label"), int(attr.get("colspan") or 1))
            self.tables[-1].rows[-1].append(cell)

    def handle_endtag(self, tag: str) -> None:
        if tag == "th" and self.header is not None:
            self.tables[-1].headers.append(" ".join("".join(self.header).split()))
            self.header = None
        elif tag in ("thead", "tbody", "table"):
            self.section = ""

    def handle_data(self, data: str) -> None:
        if self.header is not None:
            self.header.append(data)


def main_tables(html: str) -> list[Table]:
    parser = Tables()
    parser.feed(html.split("<main", 1)[1].split("</main>", 1)[0])
    return parser.tables


def assert_stacked(html: str) -> int:
    """Every table stacks, and every cell of a full row is labelled with its column's header;
    a row-spanning message ("No decisions yet.") needs no label. Returns the cells checked."""
    tables = main_tables(html)
    assert tables, "the page has no table"
    checked = 0
    for table in tables:
        assert "table-stack" in table.classes, f"table {table.testid!r} does not stack"
        for row in table.rows:
            if len(row) == 1 and row[0][2] > 1:
                continue
            assert len(row) == len(table.headers), (table.testid, table.headers, row)
            for header, (tag, label, _) in zip(table.headers, row, strict=True):
                if tag == "td":
                    assert label == header, f"{table.testid}: {label!r} under {header!r}"
                    checked += 1
    return checked


@pytest.fixture(autouse=True)
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def test_the_ivs_sample_record_stacks_its_decisions_and_snapshot(
    client: Client, catalogue: None
) -> None:
    case = make_case()
    sample = samples.start_sample(
        verifier=case.iv,
        registration=case.registration,
        unit=case.unit,
        stage=SampleStage.INTERIM,
    )
    client.force_login(case.iv)
    html = client.get(reverse("verification:sample", args=[sample.pk])).content.decode()
    # Nine decisions, six labelled cells each, in the decisions now and in the snapshot (four).
    assert assert_stacked(html) == 9 * 6 + 9 * 4


def test_the_assessors_assessing_page_stacks_its_tables(client: Client, catalogue: None) -> None:
    case = make_case(sign_off=False, judged=3)
    client.force_login(case.assessor)
    html = client.get(reverse("assessments:assess", args=[case.evidence.pk])).content.decode()
    assert assert_stacked(html) > 0


def test_the_claims_page_stacks_every_list(client: Client, catalogue: None) -> None:
    where = make_centre()
    learner_on(where, name="Ella Eligible")
    learner_on(where, name="Nina Notsigned", iv_signed=False)
    learner_on(
        where, name="Len Leaver", status=RegistrationStatus.WITHDRAWN, iv_signed=False, iv_units=1
    )
    claimed = learner_on(where, name="Carl Claimed")
    claims.add_to_claim(actor=where.admin, centre_id=where.centre.pk, items=[(claimed.pk, None)])
    client.force_login(where.admin)
    html = client.get(reverse("certification:claims")).content.decode()
    tables = {table.testid: table for table in main_tables(html)}
    assert {"full-eligible", "unit-eligible", "full-waiting", "batches"} <= set(tables)
    assert assert_stacked(html) > 0
