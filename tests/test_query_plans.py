"""The busiest pages reach the large tables through an index (issue 15: pages on the platform).

bench/pages_platform.py measures every page of Scale Centre on the platform-sized data and
EXPLAINs its queries there. Timings and plans on a million rows are no business of CI, but
whether an index *can* serve each query is, and that does not depend on the data's size: with
`enable_seqscan = off` PostgreSQL penalises every sequential scan so heavily that it keeps one
only where no index path exists at all. So on a small seed_scale centre this captures each
page's queries and EXPLAINs them with sequential scans switched off; a `Seq Scan` left on a
table that grows with the platform (decisions, audit events, evidence, registrations...) is a
query that would read the whole table on a large platform. The plan's shape, not its cost or
time, is asserted, so the test cannot be noisy. PostgreSQL only (EXPLAIN is PostgreSQL's);
under CI=true it must run.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import LearnerProfile, Membership, User
from assessments.models import Decision, IssuedBadge, UnitSignOff
from bench.pages_platform import PAGES, Worker
from core.models import AuditEvent
from portfolios.models import (
    Declaration,
    Evidence,
    EvidenceCriterion,
    EvidenceFile,
    Registration,
    RegistrationUnit,
)
from tests.services import unavailable
from verification.models.sample import Sample, SampleOutcome, VerifierSignOff

pytestmark = pytest.mark.usefixtures("catalogue")

# The tables that grow with the platform's learners and decisions.
LARGE = {
    model._meta.db_table
    for model in (
        AuditEvent,
        Decision,
        Decision.evidence.through,
        UnitSignOff,
        Evidence,
        EvidenceFile,
        EvidenceCriterion,
        Declaration,
        Registration,
        Registration.assessors.through,
        RegistrationUnit,
        User,
        Membership,
        LearnerProfile,
        Sample,
        SampleOutcome,
        VerifierSignOff,
        IssuedBadge,
    )
}

# The pages people open most, on every role's way through the day (bench/pages_platform.py's
# names). Other pages are measured by the bench; these are held by CI.
HELD = [
    "learner home",
    "learner evidence list",
    "learner evidence detail",
    "learner witness requests",
    "learner plans",
    "assessor home (caseload)",
    "assessor queue",
    "assessor caseload plans",
    "assessor unit page",
    "assessor learner portfolio",
    "iv home",
    "iv validation queue",
    "iv caseload plans",
    "iv strategies",
    "iv ratings",
    "iv sampling plan",
    "iv registration search",
    "admin home",
    "admin people",
    "admin people search",
    "admin person",
    "admin registrations",
    "admin registrations search",
    "admin registrations complete",
    "admin register",
    "admin learner search",
    "admin registration search",
    "admin claims",
    "admin claim holds",
    # Issue 17's pages: the centre's records, cases and briefs.
    "admin simulation agreements",
    "admin combination rule",
    "admin staff competence",
    "admin evidence retention",
    "admin cases",
    "iv cases",
    "learner cases",
    "learner cases panel",
    "assessor briefs",
    "learner briefs",
    # Issue 20: the API tokens page; what a badge's verifier opens.
    "admin api tokens",
    "admin single sign-on",
    "admin portfolio import",
    "public verify badge form",
    "public badge status list",
    # Issue 20: the API's reads, with the centre's token (the assessor's their own).
    "api registrations",
    "api registrations (assessor)",
    "api registration progress",
    "api registration decisions",
    "api samples",
    "api claims",
    "api people",
]


@pytest.fixture
def media(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def seq_scans_without_seqscan(sql: str) -> list[str]:
    """The large tables still scanned sequentially in `sql`'s plan when PostgreSQL is told to
    avoid sequential scans: those it has no index to reach by."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
        finally:
            cursor.execute("SET LOCAL enable_seqscan = on")
    if isinstance(plan, str):
        plan = json.loads(plan)
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in LARGE:
            found.append(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def test_the_busiest_pages_reach_the_large_tables_through_an_index(
    tmp_path: Path, media: None
) -> None:
    if connection.vendor != "postgresql":
        unavailable("PostgreSQL", "EXPLAIN's plans are PostgreSQL's")
    call_command(
        "seed_scale",
        "--caseload",
        "2",
        "--samples",
        "2",
        "--claimable",
        "3",
        "--sfj-units",
        "1",
        "--no-largest-imi",
        "--allow-without-debug",
        "--manifest",
        str(tmp_path / "scale.json"),
        stdout=StringIO(),
    )
    worker = Worker()
    pages = {page.name: page for page in PAGES}
    offenders = []
    opened = 0
    for name in HELD:
        assert name in pages, name
        if worker.url(name) is None:
            continue
        with CaptureQueriesContext(connection) as captured:
            response = worker.get(name)
        assert response.status_code == 200, (name, response.status_code)
        opened += 1
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            for table in seq_scans_without_seqscan(sql):
                offenders.append(f"{name}: Seq Scan on {table}\n    {sql}")
    # Every held page has its object in the small centre: none may silently drop out.
    assert opened == len(HELD)
    assert not offenders, "\n".join(offenders)


@pytest.mark.django_db
def test_a_query_no_index_serves_is_caught() -> None:
    if connection.vendor != "postgresql":
        unavailable("PostgreSQL", "EXPLAIN's plans are PostgreSQL's")
    # No index covers previous_hash: the detector must see the sequential scan...
    assert seq_scans_without_seqscan(
        "SELECT id FROM core_auditevent WHERE previous_hash = 'x'"
    ) == ["core_auditevent"]
    # ...and not one where the primary key serves.
    assert seq_scans_without_seqscan("SELECT id FROM core_auditevent WHERE id = 1") == []


@pytest.mark.django_db
def test_searches_by_part_of_a_name_or_email_use_the_trigram_indexes() -> None:
    """icontains is UPPER(column::text) LIKE '%q%': no B-tree serves it, and with sequential
    scans off PostgreSQL would still walk a whole B-tree and filter. The trigram indexes of
    accounts 0008 must be on exactly that expression for the planner to pick them."""
    if connection.vendor != "postgresql":
        unavailable("PostgreSQL", "EXPLAIN's plans are PostgreSQL's")
    from accounts.queries import people_matching

    def indexes(node: dict[str, Any]) -> list[str]:
        found = [node["Index Name"]] if "Index Name" in node else []
        for child in node.get("Plans", []):
            found += indexes(child)
        return found

    for q in ("lovelace", "ada@centre"):
        sql, params = (
            User.objects.filter(people_matching(q, None)).values("pk").query.sql_with_params()
        )
        with connection.cursor() as cursor:
            # Only a bitmap scan is left: one needs an index whose condition is the LIKE.
            for method in ("seqscan", "indexscan", "indexonlyscan"):
                cursor.execute(f"SET LOCAL enable_{method} = off")
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
            for method in ("seqscan", "indexscan", "indexonlyscan"):
                cursor.execute(f"SET LOCAL enable_{method} = on")
        plan = json.loads(plan) if isinstance(plan, str) else plan
        used = indexes(plan[0]["Plan"])
        assert {"accounts_user_name_trgm", "accounts_user_email_trgm"} <= set(used), (q, used)
