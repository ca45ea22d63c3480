"""The portfolio ZIP's index.html: an offline website of the learner's own portfolio.

Issue 18 point 5. It holds what the learner may see and no more: Pearson BTEC decisions and
returns "must be validated by an Internal Verifier before [they are] given to the learner"
(assessments.release; Qualification.validation_rule quotes where), so a decision or a return
still waiting for the IV is not in the learner's copy.
"""

from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from assessments.models import HeldReturn
from assessments.services import return_evidence
from assessments.validation import validate_decision, validate_return
from demo.common import tiny_pdf
from portfolios.evidence import file_add
from portfolios.models import Evidence, EvidenceStatus
from qualifications.models import AssessmentCriterion
from tests.assessments.test_release import decide, pearson_case, submitted
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue", "media")

AGREED = "Clear survey; the IV agreed this."
WAITING = "Not yet validated: the learner must not read this."
HELD = "Held return: the learner must not read this either."


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))


def criteria_of(case: dict, count: int) -> list[AssessmentCriterion]:
    return list(case["unit"].criteria.order_by("position")[:count])


def with_file(case: dict, evidence: Evidence, name: str) -> Evidence:
    # Straight onto submitted evidence: file_add is for drafts, these tests need the bytes.
    evidence.status = EvidenceStatus.DRAFT
    evidence.save(update_fields=["status"])
    file_add(
        actor=case["learner"], evidence=evidence, upload=SimpleUploadedFile(name, tiny_pdf(name))
    )
    Evidence.objects.filter(pk=evidence.pk).update(status=EvidenceStatus.SUBMITTED)
    return evidence


def portfolio(case: dict, title: str = "Customer survey") -> dict[str, Any]:
    """One criterion agreed by the IV, one awaiting the IV, and evidence with a held return."""
    first, second, third = criteria_of(case, 3)
    evidence = submitted(case, [first, second], title=title)
    agreed = decide(case, first, evidence, feedback=AGREED)
    validate_decision(validator=case["iv"], decision=agreed, outcome="agreed")
    waiting = decide(case, second, evidence, feedback=WAITING)
    returned = submitted(case, [third], title="Phone call notes")
    with transaction.atomic():
        return_evidence(assessor=case["assessor"], evidence=returned, feedback=HELD)
    return {
        "criteria": (first, second, third),
        "evidence": evidence,
        "agreed": agreed,
        "waiting": waiting,
        "returned": returned,
    }


def download(client: Client, case: dict) -> zipfile.ZipFile:
    client.force_login(case["learner"])
    response: Any = client.get(reverse("witness:export", args=[case["registration"].pk]))
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_index_shows_units_criteria_released_decisions_and_evidence(
    client: Client,
) -> None:
    today = clock.today()
    case = pearson_case()
    made = portfolio(case)

    archive = download(client, case)
    index = archive.read("index.html").decode()

    assert case["qualification"].number in index
    assert "Bea Jones" in index
    assert f"Unit {case['unit'].reference or case['unit'].key}: {case['unit'].title}" in index
    for criterion in made["criteria"]:
        assert f'id="criterion-{criterion.pk}"' in index
    # The decision the IV agreed: its outcome, assessor, date and feedback.
    assert "Decision: <strong>Met</strong>" in index
    # As the page writes it, escaped: a generated name may hold an apostrophe (O'Connor).
    assert escape(case["assessor"].get_full_name()) in index
    # Dates as "j F Y" (4 December 2026).
    assert f", {today.day} {today.strftime('%B %Y')}</p>" in index
    assert AGREED in index
    # One decision released, not two.
    assert index.count("Decision: <strong>") == 1
    # The evidence mapped to the criterion links to its section.
    assert f'href="#evidence-{made["evidence"].pk}"' in index
    assert f'id="evidence-{made["evidence"].pk}"' in index
    assert "Customer survey" in index
    # Declarations, and the manifest beside it.
    assert "Signed Bea Jones" in index
    assert 'href="manifest.json"' in index


def test_what_waits_for_the_iv_is_in_neither_the_index_nor_the_manifest(
    client: Client,
) -> None:
    """Pearson BTEC (assessments.release): a decision and a return awaiting the internal
    verifier are not given to the learner, so not to the learner's copy either."""
    today = clock.today()
    case = pearson_case()
    made = portfolio(case)

    archive = download(client, case)
    index = archive.read("index.html").decode()
    manifest = archive.read("manifest.json").decode()

    for text in (index, manifest):
        assert WAITING not in text
        assert HELD not in text
    waiting_criterion = made["criteria"][1]
    section = index.split(f'id="criterion-{waiting_criterion.pk}"', 1)[1].split("</li>", 1)[0]
    assert "No decision yet." in section
    # The held return leaves its evidence submitted, as the learner sees it everywhere else.
    returned = index.split(f'id="evidence-{made["returned"].pk}"', 1)[1].split("</article>")[0]
    assert "<dd>Submitted</dd>" in returned
    assert "Returned" not in returned

    # Once agreed, both are there: the decision on its criterion, the return on its evidence.
    validate_decision(validator=case["iv"], decision=made["waiting"], outcome="agreed")
    with transaction.atomic():
        validate_return(
            validator=case["iv"],
            held=HeldReturn.objects.get(evidence=made["returned"]),
            outcome="agreed",
        )
    index = download(client, case).read("index.html").decode()
    assert WAITING in index
    returned = index.split(f'id="evidence-{made["returned"].pk}"', 1)[1].split("</article>")[0]
    assert "<dd>Returned for resubmission</dd>" in returned
    assert f"Returned for resubmission, {today.day} {today.strftime('%B %Y')}" in returned
    assert HELD in returned


def test_every_link_in_the_index_reaches_a_file_or_section_of_the_zip(client: Client) -> None:
    case = pearson_case()
    made = portfolio(case)
    # Names a browser would misread unescaped: a space, "#", "%" and "?" (made "_").
    with_file(case, made["evidence"], "job sheet #1 100%.pdf")
    with_file(case, made["evidence"], "what?.pdf")

    archive = download(client, case)
    links = Links()
    links.feed(archive.read("index.html").decode())

    names = set(archive.namelist())
    files = [h for h in links.hrefs if not h.startswith("#")]
    sections = [h[1:] for h in links.hrefs if h.startswith("#")]
    assert "manifest.json" in files
    assert len([f for f in files if f.startswith("evidence/")]) == 2
    for href in files:
        assert unquote(href) in names, href
        assert "://" not in href
        assert not href.startswith("/")
    for anchor in sections:
        assert anchor in links.ids, anchor
    folder = f"evidence/{made['evidence'].pk}-v1"
    assert f"{folder}/job sheet #1 100%.pdf" in names
    assert archive.read(f"{folder}/job sheet #1 100%.pdf") == tiny_pdf("job sheet #1 100%.pdf")
    # Self-contained: nothing to run, nothing fetched.
    assert "script" not in links.tags
    assert "link" not in links.tags
    assert "img" not in links.tags


def test_the_index_escapes_what_people_typed(client: Client) -> None:
    case = pearson_case()
    hostile = "<script>alert('x')</script>"
    made = portfolio(case, title=f"Survey {hostile}")
    with_file(case, made["evidence"], "<img src=x onerror=alert(1)>.pdf")
    third = made["criteria"][2]
    evidence = submitted(case, [third], title="Another")
    agreed = decide(case, third, evidence, feedback=f"Good {hostile} work")
    validate_decision(validator=case["iv"], decision=agreed, outcome="agreed")

    index = download(client, case).read("index.html").decode()

    assert "<script>" not in index
    assert "<img" not in index
    assert "Survey &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in index
    assert "Good &lt;script&gt;" in index


def test_the_index_costs_the_same_queries_however_big_the_portfolio(client: Client) -> None:
    case = pearson_case()
    portfolio(case)
    client.force_login(case["learner"])
    url = reverse("witness:export", args=[case["registration"].pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    # More evidence, files, decisions (released and not) and a second unit's worth of criteria.
    rest = list(case["unit"].criteria.order_by("position")[3:])
    for n, criterion in enumerate(rest):
        evidence = with_file(case, submitted(case, [criterion], title=f"More {n}"), f"{n}.pdf")
        decision = decide(case, criterion, evidence, feedback=f"Feedback {n}")
        if n % 2:
            validate_decision(validator=case["iv"], decision=decision, outcome="agreed")

    with CaptureQueriesContext(connection) as large:
        response: Any = client.get(url)

    assert rest
    assert len(large) == len(small), "\n".join(q["sql"][:150] for q in large.captured_queries)
    index = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).read("index.html")
    assert index.decode().count("Decision: <strong>") == 1 + len(rest) // 2
