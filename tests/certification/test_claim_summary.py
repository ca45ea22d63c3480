"""The claim batch summary: its content, the PDF read back, asking once per content,
superseding, a failed build and trying again, withdrawing, who may download it, the public
verify page (no learner named) and the batch page's fixed query count."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Role
from assessments import achievements, pdf
from assessments.models.achievement import AchievementKind, AchievementRecord
from certification import claims, summaries
from certification.models import BatchState, ClaimBatch
from core.models import AuditEvent
from portfolios.models import RegistrationStatus
from tests.certification.claim_cases import Centre_, learner_on, make_centre
from tests.factories import member

pytestmark = pytest.mark.django_db


def committing():
    """Run the on-commit callbacks (queuing the build, eagerly) as a real commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def exported_batch(where: Centre_, full: int = 2, *, unit: bool = False) -> ClaimBatch:
    """A batch of `full` full-qualification lines (and one unit line, if `unit`), exported."""
    items: list[tuple[int, int | None]] = []
    for n in range(full):
        registration = learner_on(
            where, name=f"Learner {n:02d} Person", number=f"REG{n:04d}", uln=f"90000000{n:02d}"
        )
        items.append((registration.pk, None))
    if unit:
        leaver = learner_on(
            where,
            name="Una Unitonly",
            status=RegistrationStatus.WITHDRAWN,
            iv_signed=False,
            iv_units=1,
            number="REGUNIT",
        )
        first_unit = leaver.unit_choices.order_by("pk").first().unit
        items.append((leaver.pk, first_unit.pk))
    lines = claims.add_to_claim(actor=where.admin, centre_id=where.centre.pk, items=items)
    batch = lines[0].batch
    return claims.export_batch(actor=where.admin, batch=batch)


def ask(where: Centre_, batch: ClaimBatch) -> AchievementRecord:
    with committing():
        record, _queued = summaries.request_summary(actor=where.admin, batch=batch)
    record.refresh_from_db()
    return record


def pdf_text(record: AchievementRecord) -> str:
    with default_storage.open(record.file.name, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def batch_url(batch: ClaimBatch) -> str:
    return reverse("certification:claim_batch", args=[batch.pk])


def download_url(record: AchievementRecord) -> str:
    return reverse("certification:claim_summary_download", args=[claim_batch_id(record), record.pk])


def claim_batch_id(record: AchievementRecord) -> int:
    return int(record.subject_key.split(":")[1])


# ---------------------------------------------------------------- content


def test_the_content_holds_the_batch_and_one_row_per_live_line(catalogue) -> None:
    where = make_centre()
    extra = learner_on(where, name="Rita Removed")
    batch_lines = claims.add_to_claim(
        actor=where.admin, centre_id=where.centre.pk, items=[(extra.pk, None)]
    )
    claims.remove_line(actor=where.admin, line=batch_lines[0])
    batch = exported_batch(where, 2, unit=True)
    claims.submit_batch(actor=where.admin, batch=batch, reference="AB-778")
    batch.refresh_from_db()

    content = summaries.gather_summary(batch)

    assert content["kind"] == "claim_summary"
    assert content["subject"] == f"Claim batch {batch.pk}, {batch.awarding_body.name}"
    assert content["centre"] == {"name": where.centre.name, "number": where.centre.number}
    assert content["awarding_body"]["code"] == batch.awarding_body.code
    assert content["batch"]["number"] == batch.pk
    assert content["batch"]["status"] == "Submitted"
    assert content["batch"]["reference"] == "AB-778"
    assert content["batch"]["exported_on"]
    assert content["batch"]["submitted_on"]
    assert content["totals"] == {"full": 2, "unit": 1, "lines": 3}
    names = [row["learner"] for row in content["lines"]]
    assert names == ["Learner 00 Person", "Learner 01 Person", "Una Unitonly"]
    assert "Rita Removed" not in names
    first = content["lines"][0]
    assert first["registration_number"] == "REG0000"
    assert first["uln"] == "9000000000"
    assert first["qualification"]["number"] == "601/3456/2"
    assert first["qualification"]["title"]
    assert first["unit"] is None
    assert first["result"] == "Pass"
    unit_row = content["lines"][2]
    assert unit_row["unit"]["reference"]
    assert unit_row["unit"]["title"]
    assert unit_row["achievement_date"]


def test_a_draft_batch_has_no_summary(catalogue, client) -> None:
    where = make_centre()
    registration = learner_on(where)
    batch = claims.add_to_claim(
        actor=where.admin, centre_id=where.centre.pk, items=[(registration.pk, None)]
    )[0].batch

    with pytest.raises(claims.ClaimError, match="draft batch has no summary"):
        summaries.request_summary(actor=where.admin, batch=batch)

    client.force_login(where.admin)
    page = client.get(batch_url(batch)).content.decode()
    assert "A draft batch has no summary" in page
    assert "Build summary (PDF)" not in page
    client.post(reverse("certification:claim_summary", args=[batch.pk]))
    assert not AchievementRecord.objects.exists()


# ---------------------------------------------------------------- building and the PDF


def test_the_summary_is_built_as_a_centre_record_and_its_pdf_reads_back(catalogue) -> None:
    where = make_centre()
    batch = exported_batch(where, 2, unit=True)

    record = ask(where, batch)

    assert record.status == "ready"
    assert record.kind == AchievementKind.CLAIM_SUMMARY
    assert record.registration_id is None
    assert record.centre_id == where.centre.pk
    assert record.subject == f"Claim batch {batch.pk}, {batch.awarding_body.name}"
    assert record.file.name.startswith(f"achievement-records/centre-{where.centre.pk}/")
    text = pdf_text(record)
    assert "Claim batch summary" in text
    assert f"Claim batch {batch.pk}" in text
    assert where.centre.number in text
    for expected in ("Learner 00 Person", "REG0001", "9000000001", "Una Unitonly", "601/3456/2"):
        assert expected in text
    assert "2 full qualifications, 1 unit (3 lines)" in text
    # Issue 18: dates as the pages write them ("3 December 2026"); the content keeps them ISO.
    flat = " ".join(text.split())
    for line in record.content["lines"]:
        day = datetime.date.fromisoformat(line["achievement_date"])
        assert f"{day.day} {day:%B} {day.year}" in flat
    created = datetime.date.fromisoformat(record.content["batch"]["created_on"])
    assert f"Started {created.day} {created:%B} {created.year}" in flat
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert record.verification_code in text
    assert AuditEvent.objects.for_object(record).filter(action="achievement.built").exists()
    requested = AuditEvent.objects.for_object(record).get(action="achievement.requested")
    assert requested.data["batch"] == batch.pk


def test_the_same_content_is_asked_for_once(catalogue) -> None:
    where = make_centre()
    batch = exported_batch(where)
    first = ask(where, batch)

    with committing():
        again, queued = summaries.request_summary(actor=where.admin, batch=batch)

    assert not queued
    assert again.pk == first.pk
    assert AchievementRecord.objects.count() == 1


def test_a_pending_summary_is_returned_while_it_is_built(catalogue) -> None:
    where = make_centre()
    batch = exported_batch(where)
    first, queued = summaries.request_summary(actor=where.admin, batch=batch, queue=False)
    second, queued_again = summaries.request_summary(actor=where.admin, batch=batch, queue=False)
    assert queued
    assert not queued_again
    assert second.pk == first.pk
    assert second.is_pending


def test_a_newer_summary_supersedes_the_older_of_the_same_batch_only(catalogue) -> None:
    where = make_centre()
    batch = exported_batch(where)
    elsewhere = make_centre()
    other = exported_batch(elsewhere)
    old = ask(where, batch)
    other_record = ask(elsewhere, other)
    claims.submit_batch(actor=where.admin, batch=batch, reference="AB-1")

    new = ask(where, batch)

    old.refresh_from_db()
    other_record.refresh_from_db()
    assert new.pk != old.pk
    assert new.state == "current"
    assert old.state == "superseded"
    assert old.superseded_by_id == new.pk
    assert other_record.state == "current"
    assert "Submitted" in pdf_text(new)
    assert default_storage.exists(old.file.name)
    assert AuditEvent.objects.for_object(old).filter(action="achievement.superseded").exists()


def test_a_failed_build_says_so_and_may_be_tried_again(
    catalogue, client, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = make_centre()
    batch = exported_batch(where)

    def broken(template_name: str, context: dict) -> bytes:
        raise ValueError("the renderer broke")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    failed = ask(where, batch)
    assert failed.status == "failed"
    assert AuditEvent.objects.for_object(failed).filter(action="achievement.failed").exists()
    client.force_login(where.admin)
    page = client.get(batch_url(batch)).content.decode()
    assert "Failed:" in page
    assert "Try again" in page

    monkeypatch.undo()
    with committing():
        response = client.post(reverse("certification:claim_summary", args=[batch.pk]))

    assert response.status_code == 302
    retried = AchievementRecord.objects.exclude(pk=failed.pk).get()
    assert retried.status == "ready"
    assert retried.content_hash == failed.content_hash


def test_the_admin_asks_from_the_page_watches_it_and_downloads_it(catalogue, client) -> None:
    where = make_centre()
    batch = exported_batch(where)
    client.force_login(where.admin)
    assert "Build summary (PDF)" in client.get(batch_url(batch)).content.decode()

    # Not yet built: the status fragment polls.
    pending, _ = summaries.request_summary(actor=where.admin, batch=batch, queue=False)
    status = reverse("certification:claim_summary_status", args=[batch.pk, pending.pk])
    fragment = client.get(status).content.decode()
    assert "hx-trigger" in fragment
    assert "Queued" in fragment
    assert client.get(download_url(pending)).status_code == 404

    achievements.build_record(record_id=pending.pk)
    fragment = client.get(status).content.decode()
    assert "hx-trigger" not in fragment
    assert "Download the summary (PDF)" in fragment
    # Issue 18: the code links to its public verify page.
    pending.refresh_from_db()
    assert f'href="{reverse("verify", args=[pending.verification_code])}"' in fragment
    response = client.get(download_url(pending))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


# ---------------------------------------------------------------- withdrawing


def test_the_admin_withdraws_a_summary_with_a_reason(catalogue, client) -> None:
    where = make_centre()
    batch = exported_batch(where)
    record = ask(where, batch)
    url = reverse("certification:claim_summary_withdraw", args=[batch.pk, record.pk])
    client.force_login(where.admin)

    without = client.post(url, {"reason": " "}, follow=True).content.decode()
    record.refresh_from_db()
    assert record.state == "current"
    assert "Say why the record is withdrawn." in without

    client.post(url, {"reason": "Wrong batch printed."})

    record.refresh_from_db()
    assert record.state == "withdrawn"
    assert record.withdrawn_reason == "Wrong batch printed."
    event = AuditEvent.objects.for_object(record).get(action="achievement.withdrawn")
    assert event.centre_id == where.centre.pk
    page = client.get(reverse("verify", args=[record.verification_code])).content.decode()
    assert "has been withdrawn" in page


def test_only_a_centre_admin_withdraws_a_summary(catalogue) -> None:
    where = make_centre()
    record = ask(where, exported_batch(where))
    for person in (where.iv, member(make_centre().centre, Role.CENTRE_ADMIN)):
        with pytest.raises(claims.ClaimError, match="Only a centre admin"):
            summaries.withdraw_summary(actor=person, record=record, reason="x")


# ---------------------------------------------------------------- access


def test_only_the_centres_admins_reach_a_summary(catalogue, client) -> None:
    where = make_centre()
    batch = exported_batch(where)
    record = ask(where, batch)
    urls = [
        download_url(record),
        reverse("certification:claim_summary_status", args=[batch.pk, record.pk]),
    ]
    withdraw = reverse("certification:claim_summary_withdraw", args=[batch.pk, record.pk])
    learner = batch.lines.first().registration.learner
    others = [
        learner,
        where.assessor,
        where.iv,
        member(where.centre, Role.EQA),
        member(make_centre().centre, Role.CENTRE_ADMIN),
    ]
    for person in others:
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
        assert client.post(withdraw, {"reason": "x"}).status_code == 404
    # Nor through the learners' record pages, which are for registrations.
    client.force_login(where.admin)
    assert (
        client.get(reverse("assessments:achievement_download", args=[record.pk])).status_code == 404
    )
    # The summary's URL names its batch: another batch's number does not open it.
    assert (
        client.get(
            reverse("certification:claim_summary_download", args=[batch.pk + 1, record.pk])
        ).status_code
        == 404
    )
    assert client.get(download_url(record)).status_code == 200
    client.logout()
    assert reverse("login") in client.get(download_url(record))["Location"]
    record.refresh_from_db()
    assert record.state == "current"


def test_visible_to_lists_summaries_for_the_centres_admins_only(catalogue) -> None:
    where = make_centre()
    record = ask(where, exported_batch(where))
    learner_record_ids = set(
        AchievementRecord.objects.visible_to(where.admin).values_list("pk", flat=True)
    )
    assert record.pk in learner_record_ids
    for person in (where.iv, where.assessor, member(make_centre().centre, Role.CENTRE_ADMIN)):
        assert not AchievementRecord.objects.visible_to(person).filter(pk=record.pk).exists()


def test_the_eqa_reads_the_batch_but_is_not_offered_the_summary(catalogue, client) -> None:
    where = make_centre()
    batch = exported_batch(where)
    ask(where, batch)
    client.force_login(member(where.centre, Role.EQA))
    page = client.get(batch_url(batch)).content.decode()
    assert "Build summary (PDF)" not in page
    assert "Download the summary" not in page
    assert client.post(reverse("certification:claim_summary", args=[batch.pk])).status_code == 403


# ---------------------------------------------------------------- public verification


def test_the_verify_page_shows_the_subject_and_no_learner(catalogue, client) -> None:
    where = make_centre()
    batch = exported_batch(where, 2)
    record = ask(where, batch)

    response = client.get(reverse("verify", args=[record.verification_code]))

    page = response.content.decode()
    assert response.status_code == 200
    assert record.subject in page
    assert record.pdf_sha256 in page
    assert record.built_at.strftime("%Y") in page
    assert "genuine record, and it is current" in page
    for line in batch.lines.live():
        assert line.learner_name not in page
    assert "Learner 0" not in page


# ---------------------------------------------------------------- the database's rules


def test_only_a_claim_summary_goes_without_a_registration(catalogue) -> None:
    where = make_centre()
    registration = learner_on(where)
    common = {
        "content": {},
        "content_hash": "a" * 64,
        "site_url": "http://x",
        "centre": where.centre,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        AchievementRecord.objects.create(kind="progress", registration=None, **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        AchievementRecord.objects.create(kind="claim_summary", registration=registration, **common)
    AchievementRecord.objects.create(kind="claim_summary", registration=None, **common)
    # Two pending centre records of the same content clash, as learners' records do.
    with pytest.raises(IntegrityError), transaction.atomic():
        AchievementRecord.objects.create(kind="claim_summary", registration=None, **common)


def test_a_learner_record_cannot_be_asked_for_as_a_claim_summary(catalogue) -> None:
    where = make_centre()
    registration = learner_on(where)
    with pytest.raises(achievements.AchievementError, match="from its claim batch"):
        achievements.request_record(
            actor=where.admin, registration=registration, kind="claim_summary", queue=False
        )


# ---------------------------------------------------------------- query counts


@pytest.mark.parametrize("size", [2, 20])
def test_the_batch_page_costs_fixed_queries_with_summaries(
    catalogue, client, django_assert_num_queries, size: int
) -> None:
    where = make_centre()
    batch = exported_batch(where, size)
    ask(where, batch)
    claims.submit_batch(actor=where.admin, batch=batch, reference="AB-9")
    ask(where, batch)
    client.force_login(where.admin)
    # Two more than before the lines were paged: the lines' live and removed counts, and the
    # page's own count.
    with django_assert_num_queries(8):
        response = client.get(batch_url(batch))
    page = response.content.decode()
    assert page.count("Download the summary (PDF)") == 2
    assert page.count("Learner ") >= size
    assert ClaimBatch.objects.get(pk=batch.pk).state == BatchState.SUBMITTED
