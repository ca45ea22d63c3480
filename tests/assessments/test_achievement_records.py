"""Achievement records: content, the PDF itself, building (eagerly here), dedupe, supersede,
failures, access, the public verification page and the admin command.

The real worker over Redis (late acknowledgement, a killed worker) is tested elsewhere."""

from __future__ import annotations

import datetime
import io
import json
import re
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Centre, Role, User
from assessments import achievements, pdf
from assessments.models import Decision, DecisionValidation
from assessments.models.achievement import AchievementRecord
from assessments.services import record_decision, sign_off_unit
from assessments.tasks import build_achievement_record
from assessments.validation import validate_decision
from core.audit import verify_chain
from core.models import AuditEvent
from portfolios.models import Evidence, Registration, RegistrationStatus
from portfolios.services import register_learner
from qualifications.models import Qualification, Unit
from tests.factories import DEFAULT_PASSWORD, CentreFactory, mapped_evidence, member
from tests.support import clock
from tests.support.audit import truncate_audit_chain

PEARSON_CERTIFICATE = "603/5449/5"  # Units 1-4, all mandatory
# Roles at the centre come from the memberships the request already loaded (no query each).
PAGE_QUERIES = 7


@dataclass
class Case:
    centre: Centre
    admin: User
    assessor: User
    iv: User
    learner: User
    registration: Registration
    units: list[Unit]
    evidence: dict[int, Evidence] = field(default_factory=dict)
    # Pearson requires an IV to validate each decision before release, and a centre cannot
    # switch that off: unless a test is about the wait, the IV agrees each decision at once.
    agree_at_once: bool = True


def make_case(*, validation: bool = False, name: str = "Ana Lima") -> Case:
    """A Pearson Certificate learner; `validation`: decisions wait for the IV (else the IV
    agrees each one as it is recorded)."""
    today = clock.today()
    centre = CentreFactory()
    qualification = Qualification.objects.get(number=PEARSON_CERTIFICATE)
    centre.qualifications.add(qualification)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR, full_name="Sam Assessor")
    iv = member(centre, Role.INTERNAL_VERIFIER, full_name="Ivy Verifier")
    learner = member(centre, Role.LEARNER, full_name=name)
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=qualification,
        start_date=today,
        assessors=[assessor],
        internal_verifier=iv,
    )
    units = sorted(
        (choice.unit for choice in registration.unit_choices.select_related("unit")),
        key=lambda u: u.key,
    )
    return Case(
        centre, admin, assessor, iv, learner, registration, units, agree_at_once=not validation
    )


def evidence_for(case: Case, unit: Unit) -> Evidence:
    today = clock.today()
    if unit.pk not in case.evidence:
        # Mapped to the unit's criteria: what they are judged met on (assessments.basis).
        case.evidence[unit.pk] = mapped_evidence(
            case.registration,
            unit.criteria.all(),
            title=f"Assignment for {unit.title[:40]}",
            evidence_date=today,
            method="assignment",
            context="real_work",
        )
    return case.evidence[unit.pk]


def meet(case: Case, unit: Unit, *, count: int | None = None) -> None:
    today = clock.today()
    for criterion in list(unit.criteria.order_by("position"))[:count]:
        decision = record_decision(
            assessor=case.assessor,
            registration=case.registration,
            criterion=criterion,
            outcome="met",
            method="assignment",
            assessed_on=today,
            evidence=[evidence_for(case, unit)],
        )
        if case.agree_at_once:
            validate_decision(validator=case.iv, decision=decision, outcome="agreed")


def sign(case: Case, unit: Unit) -> None:
    meet(case, unit)
    sign_off_unit(
        assessor=case.assessor,
        registration=case.registration,
        unit=unit,
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )


@pytest.fixture
def case(catalogue: None) -> Case:
    return make_case()


@pytest.fixture
def done(case: Case) -> Case:
    for unit in case.units:
        sign(case, unit)
    case.registration.refresh_from_db()
    assert case.registration.status == RegistrationStatus.COMPLETE
    return case


def committing():
    """Run the on-commit callbacks (queuing the build, eagerly) as a real commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def ask(case: Case, kind: str = "full", unit: Unit | None = None, actor: User | None = None):
    with committing():
        record, _queued = achievements.request_record(
            actor=actor or case.assessor, registration=case.registration, kind=kind, unit=unit
        )
    record.refresh_from_db()
    return record


def pdf_bytes(record: AchievementRecord) -> bytes:
    with default_storage.open(record.file.name, "rb") as stored:
        return stored.read()


def pdf_text(record: AchievementRecord) -> str:
    reader = PdfReader(io.BytesIO(pdf_bytes(record)))
    return "\n".join(page.extract_text() for page in reader.pages)


# ---------------------------------------------------------------- content and the PDF


def test_a_full_record_prints_units_criteria_evidence_and_dates(done: Case) -> None:
    today = clock.today()
    record = ask(done)

    assert record.status == "ready"
    text = pdf_text(record)
    assert "Learner achievement record" in text
    assert "Ana Lima" in text
    assert done.centre.number in text
    assert PEARSON_CERTIFICATE in text
    for unit in done.units:
        assert unit.title[:30] in text
        assert f"E{done.evidence[unit.pk].pk} " in text
        for number in unit.criteria.values_list("number", flat=True):
            assert number in text
    # Issue 18: the record writes dates as the pages do ("3 December 2026"); the hashed
    # content keeps them ISO, as the verify page checks them.
    assert f"{today.day} {today:%B} {today.year}" in " ".join(text.split())
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    unit = record.content["units"][0]
    assert unit["signed_off_on"] == today.isoformat()
    assert unit["outcomes"][0]["criteria"][0]["met_on"] == today.isoformat()
    assert "Sam Assessor" in text
    assert "Not sampled" in text
    assert "meet the qualification's rules of combination" in text
    assert "mandatory: " in text


def test_the_pdf_is_archival_tagged_titled_and_numbered(done: Case) -> None:
    record = ask(done)
    reader = PdfReader(io.BytesIO(pdf_bytes(record)))
    root = reader.trailer["/Root"]

    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title.startswith("Learner achievement record: Ana Lima")
    pages = len(reader.pages)
    assert pages > 4  # each unit starts a page
    assert f"Page {pages} of {pages}" in reader.pages[-1].extract_text()
    assert "Page 1 of" in reader.pages[0].extract_text()


def test_the_pdf_prints_the_verification_code_url_and_a_qr_code(done: Case) -> None:
    record = ask(done)
    text = pdf_text(record)

    assert record.verification_code in text
    assert f"/verify/{record.verification_code}/" in text.replace("\n", "")
    assert len(record.verification_code) >= 20
    html = render_to_string(
        achievements.TEMPLATE,
        {
            "content": record.content,
            "record": record,
            "verify_url": record.verify_url,
            "qr": pdf.qr_svg(record.verify_url),
            "font_faces": pdf.font_faces(),
        },
    )
    assert str(pdf.qr_svg(record.verify_url)) in html
    assert "<svg" in html


def test_the_record_is_a_light_document_one_row_of_two_cells_a_criterion(done: Case) -> None:
    """What WeasyPrint's time follows is the boxes it lays out, draws and tags: a criterion is
    one row of two cells holding plain text (its number and text; the date met and evidence);
    a unit adds a row to the summary and plain lines of facts, not a table of its own; no cell
    carries borders; the margin boxes have set widths, so no page measures their content."""
    record = ask(done)
    html = pdf.render_html(*achievements.print_context(record))
    units = record.content["units"]
    criteria = sum(len(o["criteria"]) for u in units for o in u["outcomes"])
    outcomes = sum(len(u["outcomes"]) for u in units)
    cells = len(re.findall(r"<t[hd][ >]", html))
    headers = 5 + 2 * len(units)  # the summary's and each criteria table's
    front = 7 * 2  # the record's own facts: seven label and value pairs
    assert cells <= 2 * criteria + outcomes + 5 * len(units) + headers + front
    assert html.count("<table") == 2 + len(units)
    criteria_tables = html[html.index('<table class="criteria">') :]
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>', criteria_tables)
    assert len(rows) == criteria
    criterion = units[0]["outcomes"][0]["criteria"][0]
    met_on = datetime.date.fromisoformat(criterion["met_on"])
    assert (
        f"{criterion['number']} {criterion['text']}",
        f"{met_on.day} {met_on:%B} {met_on.year} · {', '.join(criterion['evidence'])}",
    ) in [(unescape(head), unescape(cell)) for head, cell in rows]
    assert "<b>" not in html  # a unit's facts are plain lines: no inline box a label
    css = render_to_string("pdf/base.css", {"font_faces": []})
    assert "th, td { border" not in css
    for box in ("@top-left", "@bottom-left", "@bottom-right"):
        assert re.search(box + r" \{ width: \d+mm;", css)


def test_template_comments_never_reach_the_record(done: Case) -> None:
    # Django's {# #} is one line only: a comment over two lines used to print on every unit page.
    record = ask(done)
    html = pdf.render_html(*achievements.print_context(record))

    assert "{#" not in html
    assert "#}" not in html
    assert "{%" not in html


def test_the_pdf_prints_the_audit_checkpoint_the_record_was_built_at(done: Case) -> None:
    record = ask(done)

    requested = AuditEvent.objects.filter(action="achievement.requested").get()
    # Built after its request was recorded: the head then was that event (or a later one).
    assert record.audit_sequence >= requested.sequence
    assert record.audit_hash == AuditEvent.objects.get(sequence=record.audit_sequence).hash
    text = pdf_text(record)
    assert f"Audit checkpoint {record.audit_sequence} · {record.audit_hash[:16]}" in text
    built = AuditEvent.objects.filter(action="achievement.built").get()
    assert built.data["audit_checkpoint"] == record.audit_sequence


def test_the_checkpoint_leaves_the_same_content_built_once(done: Case) -> None:
    first = ask(done)
    # More events since: the chain head has moved on, but the content has not.
    sign_off_count = AuditEvent.objects.count()

    with committing():
        again, queued = achievements.request_record(
            actor=done.assessor, registration=done.registration, kind="full"
        )

    assert (again.pk, queued) == (first.pk, False)
    assert "audit" not in json.dumps(first.content)
    assert AuditEvent.objects.count() == sign_off_count


def test_deleting_audit_events_newer_than_a_records_checkpoint_is_reported(done: Case) -> None:
    record = ask(done)
    assert verify_chain() == []

    truncate_audit_chain(keep=record.audit_sequence - 1)

    (problem,) = verify_chain()
    assert problem.startswith(f"the chain ends at sequence {record.audit_sequence - 1} but ")
    assert f"in achievement record {record.pk} recorded sequence {record.audit_sequence}" in (
        problem
    )


def test_a_progress_report_shows_units_part_way_and_what_remains(case: Case) -> None:
    first, second = case.units[0], case.units[1]
    sign(case, first)
    meet(case, second, count=2)
    criteria = list(second.criteria.order_by("position"))

    record = ask(case, "progress")

    text = pdf_text(record)
    assert "Progress report" in text
    assert "do not yet meet" in text
    content = {unit["key"]: unit for unit in record.content["units"]}
    assert content[first.key]["achieved"] is True
    assert content[second.key]["achieved"] is False
    assert content[second.key]["remaining"] == [c.number for c in criteria[2:]]
    assert len(content) == 4
    assert "Mandatory unit missing" in text


def test_decisions_not_released_to_the_learner_are_not_printed_as_met(catalogue: None) -> None:
    case = make_case(validation=True)
    unit = case.units[0]
    meet(case, unit, count=2)
    agreed = Decision.objects.filter(registration=case.registration).order_by("pk").first()
    DecisionValidation.objects.create(decision=agreed, validator=case.iv, outcome="agreed")

    record = ask(case, "progress")

    rows = [
        criterion
        for outcome in record.content["units"][0]["outcomes"]
        for criterion in outcome["criteria"]
    ]
    met = [row["number"] for row in rows if row["met_on"]]
    assert met == [agreed.criterion.number]


def test_a_unit_record_covers_one_signed_off_unit(case: Case) -> None:
    unit = case.units[0]
    with pytest.raises(achievements.AchievementError, match="not signed off"):
        ask(case, "unit", unit)
    sign(case, unit)

    record = ask(case, "unit", unit)

    assert [u["key"] for u in record.content["units"]] == [unit.key]
    assert "rules" not in record.content
    assert "Unit achievement record" in pdf_text(record)


def test_a_full_record_waits_for_the_rules_of_combination(case: Case) -> None:
    sign(case, case.units[0])

    with pytest.raises(achievements.AchievementError, match="progress report"):
        ask(case)
    assert not AchievementRecord.objects.exists()


def test_the_iv_sample_shows_as_the_units_verification(done: Case) -> None:
    today = clock.today()
    from verification.models.sample import Sample, SampleOutcome

    unit = done.units[0]
    sample = Sample.objects.create(
        registration=done.registration,
        unit=unit,
        stage="summative",
        verifier=done.iv,
        snapshot={},
        snapshot_hash="0" * 64,
        state="agreed",
    )
    SampleOutcome.objects.create(
        sample=sample, outcome="agreed", snapshot={}, snapshot_hash="0" * 64, decided_by=done.iv
    )

    record = ask(done)

    by_key = {u["key"]: u for u in record.content["units"]}
    assert by_key[unit.key]["verification"] == {"name": "Ivy Verifier", "date": today.isoformat()}
    assert by_key[done.units[1].key]["verification"] is None
    assert "by Ivy Verifier" in pdf_text(record)


def test_content_hash_is_canonical() -> None:
    assert achievements.content_hash({"a": 1, "b": [1, 2]}) == achievements.content_hash(
        {"b": [1, 2], "a": 1}
    )
    assert achievements.content_hash({"a": 1}) != achievements.content_hash({"a": 2})


# ---------------------------------------------------------------- building


def test_asking_twice_for_the_same_content_builds_once(done: Case) -> None:
    first = ask(done)
    second, queued = achievements.request_record(
        actor=done.learner, registration=done.registration, kind="full"
    )

    assert not queued
    assert second.pk == first.pk
    assert AchievementRecord.objects.count() == 1
    assert AuditEvent.objects.filter(action="achievement.built").count() == 1
    assert AuditEvent.objects.for_object(first).filter(action="achievement.requested").exists()


def test_a_record_asked_for_while_one_is_pending_is_the_pending_one(done: Case) -> None:
    record, queued = achievements.request_record(
        actor=done.assessor, registration=done.registration, kind="full", queue=False
    )
    again, queued_again = achievements.request_record(
        actor=done.assessor, registration=done.registration, kind="full", queue=False
    )
    assert queued
    assert not queued_again
    assert again.pk == record.pk
    assert record.status == "queued"


def test_asking_again_for_a_record_stuck_in_the_queue_sends_it_again(done: Case) -> None:
    record, _ = achievements.request_record(
        actor=done.assessor, registration=done.registration, kind="full", queue=False
    )
    # Asked for a moment ago: still in the queue, not sent twice.
    assert ask(done).status == "queued"
    AchievementRecord.objects.filter(pk=record.pk).update(
        requested_at=record.requested_at - achievements.STALE_AFTER
    )

    again = ask(done)

    assert again.pk == record.pk
    assert again.status == "ready"


def test_new_content_supersedes_the_older_record_which_is_kept(case: Case, client) -> None:
    sign(case, case.units[0])
    old = ask(case, "progress")
    meet(case, case.units[1], count=1)

    new = ask(case, "progress")

    old.refresh_from_db()
    assert new.pk != old.pk
    assert (old.state, old.superseded_by_id) == ("superseded", new.pk)
    assert new.state == "current"
    assert default_storage.exists(old.file.name)
    assert AuditEvent.objects.for_object(old).filter(action="achievement.superseded").exists()
    page = client.get(reverse("verify", args=[old.verification_code])).content.decode()
    assert "a newer record has superseded it" in page


def test_a_failed_build_says_so_and_can_be_asked_for_again(
    done: Case, client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(template_name: str, context: dict) -> bytes:
        raise ValueError("the renderer broke")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    failed = ask(done)
    assert failed.status == "failed"
    assert "the renderer broke" in failed.error
    assert AuditEvent.objects.for_object(failed).filter(action="achievement.failed").exists()
    client.force_login(done.learner)
    page = client.get(reverse("assessments:achievements", args=[done.registration.pk]))
    assert "Failed:" in page.content.decode()
    assert "Try again" in page.content.decode()

    monkeypatch.undo()
    with committing():
        response = client.post(
            reverse("assessments:achievement_request", args=[done.registration.pk]),
            {"kind": "full"},
        )

    assert response.status_code == 302
    retried = AchievementRecord.objects.exclude(pk=failed.pk).get()
    assert retried.status == "ready"
    assert retried.content_hash == failed.content_hash


def test_a_transient_failure_is_retried(done: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    real = pdf.render_pdf
    calls = []

    def flaky(template_name: str, context: dict) -> bytes:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("storage hiccup")
        return real(template_name, context)

    monkeypatch.setattr(pdf, "render_pdf", flaky)

    record = ask(done)

    assert record.status == "ready"
    assert record.attempts == 2


def test_a_transient_failure_that_persists_fails_the_record(
    done: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(template_name: str, context: dict) -> bytes:
        raise OSError("storage down")

    monkeypatch.setattr(pdf, "render_pdf", down)

    record = ask(done)

    assert record.status == "failed"
    assert record.attempts == 4  # the first try and three retries
    assert "storage down" in record.error


def test_building_a_ready_record_again_changes_nothing(done: Case) -> None:
    record = ask(done)

    assert build_achievement_record.delay(record_id=record.pk).get() == "ready"

    again = AchievementRecord.objects.get(pk=record.pk)
    assert (again.pdf_sha256, again.built_at, again.attempts) == (
        record.pdf_sha256,
        record.built_at,
        record.attempts,
    )
    assert AuditEvent.objects.filter(action="achievement.built").count() == 1


def test_a_record_left_building_by_a_dead_worker_is_built_on_redelivery(done: Case) -> None:
    record, _ = achievements.request_record(
        actor=done.assessor, registration=done.registration, kind="full", queue=False
    )
    AchievementRecord.objects.filter(pk=record.pk).update(status="building", attempts=1)

    build_achievement_record.delay(record_id=record.pk)

    record.refresh_from_db()
    assert (record.status, record.attempts) == ("ready", 2)
    assert pdf_bytes(record).startswith(b"%PDF")


# ---------------------------------------------------------------- pages and access


def test_the_learner_asks_from_the_page_and_downloads_the_pdf(done: Case, client) -> None:
    client.force_login(done.learner)

    with committing():
        response = client.post(
            reverse("assessments:achievement_request", args=[done.registration.pk]),
            {"kind": "full"},
        )
    response = client.get(response["Location"])

    record = AchievementRecord.objects.get()
    assert record.requested_by == done.learner
    assert "Download the PDF" in response.content.decode()
    download = client.get(reverse("assessments:achievement_download", args=[record.pk]))
    assert download["Content-Type"] == "application/pdf"
    body = b"".join(download.streaming_content)
    import hashlib

    assert hashlib.sha256(body).hexdigest() == record.pdf_sha256


def test_the_finished_learners_record_links_its_code_to_the_public_verify_page(
    done: Case, client
) -> None:
    # Issue 18: the code on the learner's records (what the portfolio page loads) is a link to
    # the page anyone holding it may check, not plain text.
    record = ask(done)
    client.force_login(done.learner)
    html = client.get(reverse("assessments:achievements", args=[done.registration.pk])).content
    verify = reverse("verify", args=[record.verification_code])
    assert (
        f'<a href="{verify}" data-testid="verify-link"><code>{record.verification_code}</code></a>'
        in html.decode()
    )
    client.logout()
    page = client.get(verify)
    assert page.status_code == 200
    assert "Ana Lima" in page.content.decode()


def test_without_site_url_a_record_asked_from_a_page_prints_that_pages_host(
    done: Case, client, settings
) -> None:
    # The embedded set-up has no SITE_URL: the QR code must lead back to the host the reader
    # used, and the same content asked from another host is built again for that host.
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["portfolio.centre.test", "127.0.0.1"]
    client.force_login(done.learner)
    url = reverse("assessments:achievement_request", args=[done.registration.pk])

    with committing():
        client.post(url, {"kind": "full"}, HTTP_HOST="portfolio.centre.test")
        client.post(url, {"kind": "full"}, HTTP_HOST="portfolio.centre.test")
    first = AchievementRecord.objects.get()
    assert first.verify_url == f"http://portfolio.centre.test/verify/{first.verification_code}/"
    text = pdf_text(first)
    assert "portfolio.centre.test/verify/" in text

    with committing():
        client.post(url, {"kind": "full"}, HTTP_HOST="127.0.0.1")
    second = AchievementRecord.objects.exclude(pk=first.pk).get()
    assert second.verify_url.startswith("http://127.0.0.1/verify/")
    first.refresh_from_db()
    assert first.state == "superseded"


def test_a_record_built_outside_a_request_names_the_embedded_server(done: Case, settings) -> None:
    settings.SITE_URL = ""

    record = achievements.build_now(actor=None, registration=done.registration, kind="full")

    assert record.verify_url.startswith("http://127.0.0.1:8000/verify/")


def test_the_portfolio_page_offers_the_achievement_record(done: Case, client) -> None:
    client.force_login(done.learner)
    page = client.get(reverse("evidence:portfolio", args=[done.registration.pk]))
    url = reverse("assessments:achievements", args=[done.registration.pk])
    assert f'hx-get="{url}"' in page.content.decode()

    fragment = client.get(url, headers={"HX-Request": "true"})
    assert "Build achievement record" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()


def test_the_status_fragment_polls_only_while_pending(done: Case, client) -> None:
    record, _ = achievements.request_record(
        actor=done.assessor, registration=done.registration, kind="full", queue=False
    )
    client.force_login(done.assessor)
    url = reverse("assessments:achievement_status", args=[record.pk])

    pending = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in pending
    assert 'aria-live="polite"' in pending
    assert "Queued" in pending

    achievements.build_record(record_id=record.pk)
    ready = client.get(url).content.decode()
    assert "hx-trigger" not in ready
    assert "Download the PDF" in ready


def test_access_to_records_follows_the_registration(done: Case, client) -> None:
    record = ask(done)
    page = reverse("assessments:achievements", args=[done.registration.pk])
    ask_url = reverse("assessments:achievement_request", args=[done.registration.pk])
    download = reverse("assessments:achievement_download", args=[record.pk])
    status = reverse("assessments:achievement_status", args=[record.pk])

    other_learner = member(done.centre, Role.LEARNER)
    other_admin = member(CentreFactory(), Role.CENTRE_ADMIN)
    eqa = member(done.centre, Role.EQA)

    client.force_login(other_learner)
    assert client.get(page).status_code == 404
    assert client.get(download).status_code == 404
    client.force_login(other_admin)
    assert client.get(page).status_code == 404
    assert client.get(status).status_code == 404
    assert client.post(ask_url, {"kind": "full"}).status_code == 404
    client.force_login(eqa)
    assert client.get(page).status_code == 200
    assert client.get(download).status_code == 200
    assert client.post(ask_url, {"kind": "progress"}).status_code == 403
    client.logout()
    response = client.get(download)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert AchievementRecord.objects.count() == 1


def test_staff_of_the_registration_may_ask(done: Case) -> None:
    for person in (done.learner, done.assessor, done.iv, done.admin):
        assert person.has_perm("assessments.request_record", done.registration)
    eqa, stranger = member(done.centre, Role.EQA), member(done.centre, Role.ASSESSOR)
    assert not eqa.has_perm("assessments.request_record", done.registration)
    assert not stranger.has_perm("assessments.request_record", done.registration)
    with pytest.raises(achievements.AchievementError, match="Only the learner"):
        ask(done, actor=member(done.centre, Role.ASSESSOR))


def test_a_centre_admin_withdraws_a_record_with_a_reason(done: Case, client) -> None:
    record = ask(done)
    url = reverse("assessments:achievement_withdraw", args=[record.pk])

    client.force_login(done.assessor)
    assert client.post(url, {"reason": "Mine"}).status_code == 403
    client.force_login(done.admin)
    client.post(url, {"reason": ""})
    record.refresh_from_db()
    assert record.state == "current"

    client.post(url, {"reason": "Issued against the wrong registration."})

    record.refresh_from_db()
    assert record.state == "withdrawn"
    assert AuditEvent.objects.for_object(record).filter(action="achievement.withdrawn").exists()
    client.logout()
    page = client.get(reverse("verify", args=[record.verification_code])).content.decode()
    assert "withdrawn" in page


# ---------------------------------------------------------------- public verification


def test_the_verify_page_shows_only_what_anyone_may_know(done: Case, client) -> None:
    record = ask(done)
    profile = done.learner.learner_profiles.get(centre=done.centre)

    response = client.get(reverse("verify", args=[record.verification_code]))

    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    page = response.content.decode()
    assert "genuine record, and it is current" in page
    assert record.pdf_sha256 in page
    assert "Ana Lima" in page
    assert PEARSON_CERTIFICATE in page
    for private in (
        done.learner.email,
        profile.uln,
        profile.date_of_birth.isoformat(),
        profile.date_of_birth.strftime("%-d %B %Y"),
        done.centre.number,
        "Sam Assessor",
        done.evidence[done.units[0].pk].title,
    ):
        assert private not in page


def test_an_unknown_or_unbuilt_code_answers_404_in_words(done: Case, client) -> None:
    response = client.get(reverse("verify", args=["not-a-real-code"]))
    assert response.status_code == 404
    assert "No record with that code" in response.content.decode()

    pending, _ = achievements.request_record(
        actor=done.assessor, registration=done.registration, kind="full", queue=False
    )
    assert client.get(reverse("verify", args=[pending.verification_code])).status_code == 404


def test_the_verify_form_takes_a_typed_code(done: Case, client) -> None:
    record = ask(done)
    assert client.get(reverse("verify_form")).status_code == 200

    response = client.get(reverse("verify_form"), {"code": f" {record.verification_code} "})

    assert response.status_code == 302
    assert response["Location"] == reverse("verify", args=[record.verification_code])
    odd = client.get(reverse("verify_form"), {"code": "a/b c"})
    assert odd.status_code == 404
    assert "No record with that code" in odd.content.decode()


def test_the_verify_page_costs_the_same_queries_whatever_the_record(
    done: Case, client, django_assert_num_queries
) -> None:
    small = ask(done, "unit", done.units[0])
    large = ask(done)
    for record in (small, large):
        with django_assert_num_queries(1):
            client.get(reverse("verify", args=[record.verification_code]))


def test_the_status_fragment_and_records_page_cost_fixed_queries(
    case: Case, client, django_assert_num_queries
) -> None:
    client.force_login(case.assessor)
    sign(case, case.units[0])
    page = reverse("assessments:achievements", args=[case.registration.pk])
    measured = 0
    for unit in case.units[1:]:
        meet(case, unit, count=1)
        record = ask(case, "progress")
        if AchievementRecord.objects.count() not in (1, 3):
            continue
        measured += 1
        with django_assert_num_queries(4):
            client.get(reverse("assessments:achievement_status", args=[record.pk]))
        with django_assert_num_queries(PAGE_QUERIES):
            client.get(page, headers={"HX-Request": "true"})
    assert measured == 2


# ---------------------------------------------------------------- the command


def test_the_command_builds_a_record_and_prints_its_code(done: Case, tmp_path: Path) -> None:
    out = tmp_path / "record.pdf"
    stdout = io.StringIO()

    call_command("achievement_record", str(done.registration.pk), "--out", str(out), stdout=stdout)

    record = AchievementRecord.objects.get()
    assert record.requested_by is None
    assert out.read_bytes().startswith(b"%PDF")
    assert f"Verification code: {record.verification_code}" in stdout.getvalue()


def test_the_command_builds_a_unit_record_or_refuses_in_words(done: Case, tmp_path: Path) -> None:
    unit = done.units[0]
    out = tmp_path / "unit.pdf"
    call_command(
        "achievement_record",
        str(done.registration.pk),
        "--out",
        str(out),
        "--kind",
        "unit",
        "--unit",
        unit.key,
        stdout=io.StringIO(),
    )
    assert AchievementRecord.objects.get().unit == unit

    with pytest.raises(CommandError, match="no registration with id 999999"):
        call_command("achievement_record", "999999", "--out", str(out))
    with pytest.raises(CommandError, match="no unit"):
        call_command(
            "achievement_record",
            str(done.registration.pk),
            "--out",
            str(out),
            "--kind",
            "unit",
            "--unit",
            "NOPE",
        )


def test_every_page_names_the_learner_and_the_verification_code(done: Case) -> None:
    record = ask(done)
    reader = PdfReader(io.BytesIO(pdf_bytes(record)))

    for page in reader.pages:
        text = page.extract_text()
        assert "Learner: Ana Lima" in text
        assert f"Verification code {record.verification_code}" in text


def test_a_criteria_table_split_across_pages_repeats_its_header(done: Case) -> None:
    record = ask(done)
    reader = PdfReader(io.BytesIO(pdf_bytes(record)))
    unit_pages = [page.extract_text() for page in reader.pages[1:]]

    # Four units on more than four pages: at least one table runs on to a second page.
    assert len(unit_pages) > len(done.units)
    for text in unit_pages:
        assert "Criterion: the learner can" in text
        assert "Met on · evidence" in text


def _lines_top_to_bottom(page) -> list[str]:
    """A page's text pieces (one per cell line) ordered from the top of the page down."""
    pieces: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, font, size) -> None:
        if text.strip():
            pieces.append((-(tm[5] * cm[3] + cm[5]), tm[4] * cm[0] + cm[4], text.strip()))

    page.extract_text(visitor_text=visit)
    return [text for _y, _x, text in sorted(pieces)]


def test_a_learning_outcome_is_never_left_alone_at_the_foot_of_a_page() -> None:
    # One unit per page, each with one more criterion before its second outcome: whatever a
    # page holds, one of them brings that outcome's heading to the last line of a page.
    units = [
        {
            "key": f"U{rows}",
            "label": f"Unit {rows}",
            "title": "Keeping headings with their rows",
            "level": "Level 2",
            "credit": 3,
            "achieved": False,
            "outcomes": [
                {
                    "number": str(number),
                    "text": f"Outcome {number} of unit {rows}",
                    "criteria": [
                        {"number": f"{number}.{n}", "text": "Do it", "met_on": None}
                        for n in range(1, (rows if number == 1 else 3) + 1)
                    ],
                }
                for number in (1, 2)
            ],
            "remaining": [],
        }
        for rows in range(28, 52)
    ]
    content = {
        "kind": "progress",
        "title": "Progress report",
        "learner": {"name": "Ana Lima"},
        "centre": {"name": "A centre", "number": "12345"},
        "qualification": {"number": "1/2/3", "title": "Q", "level": "Level 2", "credits": 3},
        "units": units,
        "credits_achieved": 0,
    }
    record = AchievementRecord(site_url="http://testserver")
    data = pdf.render_pdf(
        achievements.TEMPLATE,
        {"content": content, "record": record, "verify_url": record.verify_url, "qr": ""},
    )

    alone = []
    for number, page in enumerate(PdfReader(io.BytesIO(data)).pages, 1):
        lines = _lines_top_to_bottom(page)
        headings = [i for i, text in enumerate(lines) if text.startswith("Learning outcome ")]
        # After the page's last outcome heading, at least one criterion row (its header cell
        # starts with the criterion's number).
        if headings and not any(
            text.split()[0].count(".") == 1 and text.split()[0].replace(".", "").isdigit()
            for text in lines[headings[-1] :]
        ):
            alone.append((number, lines[headings[-1]]))
    assert alone == []


def test_the_upright_faces_are_static_instances_of_the_packaged_font() -> None:
    from fontpkg_noto_sans import ROOT
    from fontTools.ttLib import TTFont

    variable = Path(ROOT) / "files" / "NotoSans[wdth,wght].ttf"
    faces = {(face["style"], face["weight"]): face for face in pdf.font_faces()}
    for weight, weight_class in (("normal", 400), ("bold", 700)):
        path = Path(faces["normal", weight]["path"])
        font = TTFont(path)
        # No variation tables left for WeasyPrint to instance on every PDF it writes.
        assert "fvar" not in font
        assert "gvar" not in font
        assert font["OS/2"].usWeightClass == weight_class
        assert font["name"].getBestFamilyName().startswith("Noto Sans")
        # Asked again, the instance on disk is used, not made again.
        made = path.stat().st_mtime_ns
        assert pdf.static_instance(variable, weight_class) == path
        assert path.stat().st_mtime_ns == made


@pytest.mark.parametrize(
    ("code", "name", "printed"),
    [
        ("B", "Optional Group B", "Optional Group B"),
        ("A", "Group A - Mandatory Units", "Group A - Mandatory Units"),
        (
            "A",
            "Mandatory Group – Customer Service Foundations",
            "Group A (Mandatory Group – Customer Service Foundations)",
        ),
        ("M", "Mandatory units", "Group M (Mandatory units)"),
        ("C", "", "Group C"),
    ],
)
def test_the_statement_names_a_group_once(code: str, name: str, printed: str) -> None:
    # The specifications' own group names often carry "Group B" already: never print it twice.
    from assessments.achievements import _group_name

    assert _group_name(code, name) == printed


def test_the_benchmark_builds_a_record_as_the_worker_does_and_leaves_nothing(
    done: Case, settings: object, tmp_path: Path
) -> None:
    from bench.achievement_record import build_once

    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    records, events = AchievementRecord.objects.count(), AuditEvent.objects.count()

    built = build_once(done.registration)

    # The task's own work, timed: the record it built was ready, and printed this HTML.
    assert built.seconds > 0
    assert built.record.status == "ready"
    assert built.record.pdf_sha256
    assert done.registration.learner.full_name in built.html
    assert built.pdf_bytes > 1000
    # Rolled back, the stored PDF deleted.
    assert (AchievementRecord.objects.count(), AuditEvent.objects.count()) == (records, events)
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []
