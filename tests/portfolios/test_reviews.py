"""Progress reviews' services (issue 19): when they are due, writing, the three signatures, the
employer's one-time link, locking, corrections, and the PDF the worker builds."""

from __future__ import annotations

import datetime
import io
import re
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, connections, transaction
from django.test import TestCase
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Membership, Role
from core.models import AuditEvent
from portfolios import reviews
from portfolios.models import (
    Apprenticeship,
    ProgressReview,
    ReviewPdfStatus,
    ReviewSignature,
    ReviewSignatureLink,
    ReviewStatus,
    SignerRole,
)
from portfolios.off_the_job import approve, log
from portfolios.reviews import (
    ReviewError,
    ReviewLinkError,
    due_from,
    review_create,
    review_interval_set,
    review_link_send,
    review_sign,
    review_sign_by_link,
    review_update,
    reviews_due,
)
from qualifications.models import Standard
from tests.factories import EmployerFactory, member
from tests.portfolios.test_off_the_job import NCFE, apprentice
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

NOTES = "Mentioned money worries at home; signposted to the welfare officer."


def on_programme(people: dict, *, start: datetime.date | None = None) -> dict:
    """The apprentice's programme record, and a contact of their employer."""
    today = clock.today()
    employer = EmployerFactory(centre=people["centre"], name="Northwind Ltd")
    start = start or today - datetime.timedelta(days=60)
    Apprenticeship.objects.create(
        registration=people["registration"],
        employer=employer,
        standard=Standard.objects.get(code="customer-service-practitioner"),
        standard_version="1.2",
        practical_start=start,
        practical_planned_end=start + datetime.timedelta(days=400),
        minimum_otj_hours=Decimal("278"),
        epao_name="Highfield Assessment",
    )
    people["employer"] = employer
    people["contact"] = member(people["centre"], Role.EMPLOYER, employer=employer)
    people["admin"] = member(people["centre"], Role.CENTRE_ADMIN)
    return people


@pytest.fixture
def people() -> dict:
    return on_programme(apprentice(NCFE))


def write(people: dict, **fields: object) -> ProgressReview:
    today = clock.today()
    values: dict = {
        "review_date": today,
        "progress_comment": "Good progress on K1 and S2; B1 still to evidence.",
        "targets": "Log the complaints shadowing by Friday\nDraft the reflective account",
        "staff_notes": NOTES,
    }
    values.update(fields)
    return review_create(actor=people["assessor"], registration=people["registration"], **values)


def sign_all(people: dict, review: ProgressReview) -> ProgressReview:
    review_sign(actor=people["learner"], review=review, role=SignerRole.APPRENTICE)
    review_sign(actor=people["contact"], review=review, role=SignerRole.EMPLOYER)
    review_sign(actor=people["assessor"], review=review, role=SignerRole.PROVIDER)
    review.refresh_from_db()
    return review


def pdf_text(review: ProgressReview) -> str:
    with default_storage.open(review.pdf.name, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


# ---------------------------------------------------------------- due dates


def test_the_first_review_is_due_the_interval_after_the_practical_period_starts() -> None:
    start = datetime.date(2026, 1, 5)
    due = due_from(practical_start=start, last_signed=None, weeks=12, today=start)
    assert due.due == datetime.date(2026, 3, 30)
    assert not due.overdue
    assert due.days_overdue == 0
    assert due.last_signed is None


def test_the_next_is_due_the_interval_after_the_last_signed_review_and_late_is_overdue() -> None:
    last = datetime.date(2026, 4, 1)
    on_time = due_from(practical_start=datetime.date(2026, 1, 5), last_signed=last, weeks=12,
                       today=datetime.date(2026, 6, 24))  # fmt: skip
    assert on_time.due == datetime.date(2026, 6, 24)
    assert not on_time.overdue
    late = due_from(practical_start=datetime.date(2026, 1, 5), last_signed=last, weeks=12,
                    today=datetime.date(2026, 7, 4))  # fmt: skip
    assert late.overdue
    assert late.days_overdue == 10
    assert late.last_signed == last


def test_reviews_due_reads_the_centres_interval_and_only_locked_reviews_count(
    people: dict,
) -> None:
    today = clock.today()
    registration = people["registration"]
    start = today - datetime.timedelta(days=60)
    assert reviews_due([registration])[registration.pk].due == start + datetime.timedelta(weeks=12)
    review_interval_set(actor=people["admin"], centre=people["centre"], weeks=4)
    due = reviews_due([registration])[registration.pk]
    assert due.due == start + datetime.timedelta(weeks=4)
    assert due.overdue
    assert due.days_overdue == 60 - 28
    # A draft, or one signed by some, does not cover it: only a locked review does.
    review = write(people)
    review_sign(actor=people["learner"], review=review, role=SignerRole.APPRENTICE)
    assert reviews_due([registration])[registration.pk].overdue
    sign_all_rest(people, review)
    due = reviews_due([registration])[registration.pk]
    assert not due.overdue
    assert due.last_signed == today
    assert due.due == today + datetime.timedelta(weeks=4)


def sign_all_rest(people: dict, review: ProgressReview) -> None:
    review_sign(actor=people["contact"], review=review, role=SignerRole.EMPLOYER)
    review_sign(actor=people["assessor"], review=review, role=SignerRole.PROVIDER)


def test_reviews_due_costs_one_query_whatever_the_number_of_registrations(
    people: dict, django_assert_num_queries: object
) -> None:
    others = [on_programme(apprentice(NCFE))["registration"] for _ in range(3)]
    everyone = [people["registration"], *others]
    with django_assert_num_queries(1):  # type: ignore[operator]
        one = reviews_due([people["registration"]])
    with django_assert_num_queries(1):  # type: ignore[operator]
        many = reviews_due(everyone)
    assert list(one) == [people["registration"].pk]
    assert set(many) == {r.pk for r in everyone}


def test_a_registration_without_an_apprenticeship_has_no_review_due() -> None:
    plain = apprentice(NCFE)["registration"]
    assert reviews_due([plain]) == {}


def test_only_the_centre_admin_sets_the_interval_within_its_bounds(people: dict) -> None:
    with pytest.raises(ReviewError, match="centre's admins"):
        review_interval_set(actor=people["assessor"], centre=people["centre"], weeks=8)
    with pytest.raises(ReviewError, match="from 1 to 52"):
        review_interval_set(actor=people["admin"], centre=people["centre"], weeks=0)
    schedule = review_interval_set(actor=people["admin"], centre=people["centre"], weeks=8)
    assert reviews.interval_weeks(people["centre"].pk) == 8
    [event] = AuditEvent.objects.for_object(schedule)
    assert event.action == "review.interval_set"
    assert event.data == {"from": 12, "to": 8}


# ---------------------------------------------------------------- writing


def test_the_review_records_ksb_coverage_and_hours_as_they_stand(people: dict) -> None:
    today = clock.today()
    activity = log(
        actor=people["learner"],
        registration=people["registration"],
        date=today - datetime.timedelta(days=3),
        hours=Decimal("6"),
        kind="teaching",
        description="Workshop",
    )
    approve(actor=people["assessor"], activity=activity)
    review = write(people)
    assert review.status == ReviewStatus.DRAFT
    assert review.otj_approved_hours == Decimal("6")
    assert review.otj_planned_total == Decimal("278")
    assert Decimal("0") < review.otj_planned_to_date < Decimal("278")
    assert review.otj_behind  # 6 hours against some 40 planned by day 60
    snapshot = review.ksb_snapshot
    assert snapshot["standard"].startswith("Customer Service Practitioner")
    assert snapshot["total"] == len(snapshot["statements"]) > 0
    assert {"code", "category", "text", "state", "label"} <= set(snapshot["statements"][0])
    assert review.target_list == [
        "Log the complaints shadowing by Friday",
        "Draft the reflective account",
    ]
    [event] = AuditEvent.objects.for_object(review)
    assert event.action == "review.written"
    assert event.actor == people["assessor"]


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("assessor", True), ("admin", True), ("iv", False), ("learner", False), ("contact", False),
     ("other_assessor", False)],
)  # fmt: skip
def test_the_provider_writes_reviews_the_assessor_or_the_centre_admin(
    people: dict, who: str, allowed: bool
) -> None:
    today = clock.today()
    arguments = {
        "actor": people[who],
        "registration": people["registration"],
        "review_date": today,
        "progress_comment": "Fine.",
        "targets": "One",
    }
    if allowed:
        assert review_create(**arguments).written_by == people[who]
    else:
        with pytest.raises(ReviewError, match="assessor or the centre's admin"):
            review_create(**arguments)
        assert not ProgressReview.objects.exists()


def test_a_review_needs_a_comment_targets_a_past_date_and_an_apprenticeship(people: dict) -> None:
    today = clock.today()
    with pytest.raises(ReviewError, match="progressing"):
        write(people, progress_comment="  ")
    with pytest.raises(ReviewError, match="targets"):
        write(people, targets="")
    with pytest.raises(ReviewError, match="future"):
        write(people, review_date=today + datetime.timedelta(days=1))
    Apprenticeship.objects.all().delete()
    with pytest.raises(ReviewError, match="Record the apprenticeship"):
        write(people)


def test_a_draft_changes_until_someone_signs_then_it_is_frozen(people: dict) -> None:
    today = clock.today()
    review = write(people)
    review_update(
        actor=people["assessor"],
        review=review,
        review_date=today,
        progress_comment="Changed before signing.",
        targets="New target",
    )
    review.refresh_from_db()
    assert review.progress_comment == "Changed before signing."
    review_sign(actor=people["learner"], review=review, role=SignerRole.APPRENTICE)
    with pytest.raises(ReviewError, match="no longer change"):
        review_update(
            actor=people["assessor"],
            review=review,
            review_date=today,
            progress_comment="Sneaky change",
            targets="x",
        )
    review.refresh_from_db()
    assert review.progress_comment == "Changed before signing."
    assert review.status == ReviewStatus.SIGNING


# ---------------------------------------------------------------- signing


def test_three_signatures_of_the_same_content_lock_the_review_and_queue_its_pdf(
    people: dict,
) -> None:
    review = sign_all(people, write(people))
    assert review.status == ReviewStatus.LOCKED
    assert review.locked_at is not None
    assert review.pdf_status == ReviewPdfStatus.QUEUED
    signatures = list(review.signatures.all())
    assert [s.role for s in signatures] == ["apprentice", "employer", "provider"]
    assert [s.user for s in signatures] == [
        people["learner"],
        people["contact"],
        people["assessor"],
    ]
    assert {s.content_hash for s in signatures} == {review.content_hash}
    assert review.content_hash == reviews.content_hash(reviews.signed_content(review))
    # The staff-only notes are no part of what was signed.
    assert NOTES not in str(reviews.signed_content(review))
    actions = [e.action for e in AuditEvent.objects.for_object(review).order_by("pk")]
    assert actions == [
        "review.written",
        "review.signed",
        "review.signed",
        "review.signed",
        "review.locked",
        "review.pdf_queued",
    ]


def test_a_locked_review_takes_no_more_signatures_or_changes(people: dict) -> None:
    today = clock.today()
    review = sign_all(people, write(people))
    with pytest.raises(ReviewError, match="locked"):
        review_sign(actor=people["learner"], review=review, role=SignerRole.APPRENTICE)
    with pytest.raises(ReviewError, match="no longer change"):
        review_update(
            actor=people["assessor"], review=review, review_date=today, progress_comment="x",
            targets="y",
        )  # fmt: skip
    assert ReviewSignature.objects.count() == 3


@pytest.mark.parametrize(
    ("who", "role"),
    [
        ("assessor", SignerRole.APPRENTICE),
        ("learner", SignerRole.EMPLOYER),
        ("learner", SignerRole.PROVIDER),
        ("iv", SignerRole.PROVIDER),
        ("contact", SignerRole.PROVIDER),
        ("other_contact", SignerRole.EMPLOYER),
    ],
)
def test_each_signs_only_in_their_own_role(people: dict, who: str, role: str) -> None:
    # A contact of another employer at the same centre is not this apprentice's employer.
    people["other_contact"] = member(people["centre"], Role.EMPLOYER)
    review = write(people)
    with pytest.raises(ReviewError, match="may not sign"):
        review_sign(actor=people[who], review=review, role=role)
    assert not ReviewSignature.objects.exists()
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT


def test_a_double_click_on_sign_signs_once_and_says_so(people: dict) -> None:
    review = write(people)
    review_sign(actor=people["learner"], review=review, role=SignerRole.APPRENTICE)
    with pytest.raises(ReviewError, match="already signed for the apprentice"):
        review_sign(actor=people["learner"], review=review, role=SignerRole.APPRENTICE)
    assert ReviewSignature.objects.filter(review=review).count() == 1
    assert AuditEvent.objects.filter(action="review.signed").count() == 1


def test_the_database_holds_one_signature_per_role(people: dict) -> None:
    review = write(people)
    review_sign(actor=people["learner"], review=review, role=SignerRole.APPRENTICE)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewSignature.objects.create(
            review=review, role=SignerRole.APPRENTICE, user=people["learner"],
            signed_name="Again", content_hash="0" * 64,
        )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_two_people_signing_at_once_both_count_and_the_third_locks_once(
    catalogue: None,
) -> None:
    """The apprentice and the employer press Sign at the same moment, after the provider: the
    review's row lock puts one after the other, so both signatures are kept and exactly one of
    them locks the review (one "review.locked" event, one PDF queued)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks and concurrent transactions")
    from tests.conftest import ensure_catalogue

    ensure_catalogue()
    people = on_programme(apprentice(NCFE))
    review = write(people)
    review_sign(actor=people["assessor"], review=review, role=SignerRole.PROVIDER)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(who: str, role: str) -> None:
        barrier.wait()
        try:
            review_sign(actor=people[who], review=review, role=role)
            outcomes.append("signed")
        except ReviewError as exc:
            outcomes.append(str(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=attempt, args=("learner", SignerRole.APPRENTICE)),
        threading.Thread(target=attempt, args=("contact", SignerRole.EMPLOYER)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == ["signed", "signed"]
    review.refresh_from_db()
    assert review.status == ReviewStatus.LOCKED
    assert AuditEvent.objects.filter(action="review.locked").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_person_signing_twice_at_once_signs_once(catalogue: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks and concurrent transactions")
    from tests.conftest import ensure_catalogue

    ensure_catalogue()
    people = on_programme(apprentice(NCFE))
    review = write(people)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            review_sign(actor=people["learner"], review=review, role=SignerRole.APPRENTICE)
            outcomes.append("signed")
        except ReviewError as exc:
            outcomes.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes)[1] == "signed"
    assert "already signed for the apprentice" in sorted(outcomes)[0]
    assert ReviewSignature.objects.filter(review=review).count() == 1


# ---------------------------------------------------------------- corrections


def test_a_correction_supersedes_a_locked_review_which_stays_as_it_was(people: dict) -> None:
    old = sign_all(people, write(people))
    new = write(people, progress_comment="Corrected: B1 evidenced too.", supersedes=old)
    old.refresh_from_db()
    assert old.status == ReviewStatus.LOCKED
    assert old.superseded_by == new
    assert ProgressReview.objects.count() == 2
    with pytest.raises(ReviewError, match="already been corrected"):
        write(people, supersedes=old)


def test_a_correction_of_one_being_signed_stops_its_signing(people: dict) -> None:
    old = write(people)
    review_sign(actor=people["learner"], review=old, role=SignerRole.APPRENTICE)
    write(people, supersedes=old)
    old.refresh_from_db()
    assert old.status == ReviewStatus.SUPERSEDED
    with pytest.raises(ReviewError, match="corrected by a later one"):
        review_sign(actor=people["contact"], review=old, role=SignerRole.EMPLOYER)
    with pytest.raises(ReviewError, match="A draft is changed"):
        write(people, supersedes=write(people))


# ---------------------------------------------------------------- the employer's link

LINK = re.compile(r"(http://testserver/portfolio/reviews/sign/\S+)")


def send(
    people: dict, review: ProgressReview, email: str = "priya@northwind.example", **kwargs: object
) -> reviews.LinkSent:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return review_link_send(
            actor=people["assessor"],
            review=review,
            name="Priya Shah",
            email=email,
            link_for=lambda token: f"http://testserver/portfolio/reviews/sign/{token}/",
            **kwargs,  # type: ignore[arg-type]
        )


def test_the_link_is_e_mailed_keeps_only_a_hash_and_signs_for_the_employer_once(
    people: dict,
) -> None:
    review = write(people)
    sent = send(people, review)
    [message] = mail.outbox
    assert message.to == ["priya@northwind.example"]
    assert sent.token in message.body
    link = ReviewSignatureLink.objects.get()
    assert sent.token not in link.token_hash
    assert link.token_hash == reviews.token_hash(sent.token)
    signature = review_sign_by_link(token=sent.token, signed_name=" Priya  Shah ", confirmed=True)
    assert signature.role == SignerRole.EMPLOYER
    assert signature.user is None
    assert signature.signed_name == "Priya Shah"
    assert signature.link == link
    link.refresh_from_db()
    assert link.used_at is not None
    with pytest.raises(ReviewLinkError) as used:
        review_sign_by_link(token=sent.token, signed_name="Priya Shah", confirmed=True)
    assert used.value.state == "used"
    event = AuditEvent.objects.filter(action="review.signed").get()
    assert event.actor is None
    assert event.data["link"] == link.pk


def test_an_expired_link_or_an_unknown_token_signs_nothing(people: dict) -> None:
    review = write(people)
    sent = send(people, review, expires_in_days=1)
    ReviewSignatureLink.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(ReviewLinkError) as expired:
        review_sign_by_link(token=sent.token, signed_name="Priya Shah", confirmed=True)
    assert expired.value.state == "expired"
    with pytest.raises(ReviewError, match="not valid"):
        review_sign_by_link(token="nope", signed_name="Priya Shah", confirmed=True)
    assert not ReviewSignature.objects.exists()


def test_the_link_needs_the_name_and_the_confirmation(people: dict) -> None:
    sent = send(people, write(people))
    with pytest.raises(ReviewError, match="Type your name"):
        review_sign_by_link(token=sent.token, signed_name=" ", confirmed=True)
    with pytest.raises(ReviewError, match="Tick the box"):
        review_sign_by_link(token=sent.token, signed_name="Priya Shah", confirmed=False)
    assert ReviewSignatureLink.objects.get().used_at is None


def test_once_the_employer_signed_by_account_no_link_is_sent_and_an_open_one_is_used(
    people: dict,
) -> None:
    review = write(people)
    sent = send(people, review)
    review_sign(actor=people["contact"], review=review, role=SignerRole.EMPLOYER)
    with pytest.raises(ReviewLinkError):
        review_sign_by_link(token=sent.token, signed_name="Priya Shah", confirmed=True)
    with pytest.raises(ReviewError, match="already signed"):
        send(people, review)
    with pytest.raises(ReviewError, match="assessor or the centre's admin"):
        review_link_send(actor=people["learner"], review=review, name="A", email="a@b.example")


def test_a_contact_with_an_account_is_not_sent_a_link_they_sign_on_their_home(
    people: dict,
) -> None:
    """The link is for someone with no account: a contact who has one is refused a link (any
    case of their address), nothing is made or sent, and they still sign from their account.
    Once their role at the centre ends, the same address may be sent a link."""
    review = write(people)
    contact = people["contact"]
    with pytest.raises(ReviewError, match="has an account as a contact of Northwind Ltd"):
        send(people, review, email=contact.email.upper())
    assert not ReviewSignatureLink.objects.exists()
    assert not mail.outbox
    review_sign(actor=contact, review=review, role=SignerRole.EMPLOYER)

    other = write(people)
    Membership.objects.filter(user=contact, role=Role.EMPLOYER).update(is_active=False)
    send(people, other, email=contact.email)
    assert ReviewSignatureLink.objects.get().review == other


# ---------------------------------------------------------------- the PDF


def test_builds_held_for_a_bulk_load_leave_the_pdfs_queued_until_sent(people: dict) -> None:
    # reviews.pdf_builds_held (the scale seed's hundreds of reviews): a review locked in the
    # block is queued as always, with its audit event, but nothing is sent to the worker; the
    # ids held are the caller's to send, and are then built.
    first, second = write(people), write(people)
    with (
        TestCase.captureOnCommitCallbacks(execute=True) as callbacks,
        reviews.pdf_builds_held() as held,
    ):
        sign_all(people, first)
        sign_all(people, second)
    assert callbacks == []
    assert held == [first.pk, second.pk]
    for review in (first, second):
        review.refresh_from_db()
        assert review.status == ReviewStatus.LOCKED
        assert review.pdf_status == ReviewPdfStatus.QUEUED
    assert AuditEvent.objects.filter(action="review.pdf_queued").count() == 2

    # Out of the block, a review is sent as before.
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        sign_all(people, write(people))
    assert len(callbacks) == 1

    with TestCase.captureOnCommitCallbacks(execute=True):
        reviews.send_pdf_builds(held)
    first.refresh_from_db()
    assert first.pdf_status == ReviewPdfStatus.READY
    assert "Good progress on K1 and S2" in pdf_text(first)


def test_the_worker_builds_the_pdf_of_what_the_three_signed_without_the_staff_notes(
    people: dict,
) -> None:
    review = write(people)
    review_sign(actor=people["learner"], review=review, role=SignerRole.APPRENTICE)
    sent = send(people, review)
    review_sign_by_link(token=sent.token, signed_name="Priya Shah", confirmed=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        review_sign(actor=people["assessor"], review=review, role=SignerRole.PROVIDER)
    review.refresh_from_db()
    assert review.pdf_status == ReviewPdfStatus.READY
    text = pdf_text(review)
    assert "Apprenticeship progress review" in text
    assert people["learner"].get_full_name() in text
    assert "Northwind Ltd" in text
    assert "Good progress on K1 and S2" in text
    assert "Log the complaints shadowing by Friday" in text
    assert "Priya Shah (through an e-mailed" in text  # the cell wraps before "link"
    assert "money worries" not in text
    assert "welfare officer" not in text
    assert "safeguarding" not in text.lower()
    assert AuditEvent.objects.filter(action="review.pdf_built").count() == 1
    # Building again changes nothing (the task is idempotent).
    assert reviews.build_pdf(review_id=review.pk) == ReviewPdfStatus.READY


def test_a_failed_build_is_recorded_and_the_provider_queues_it_again(
    people: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(template: str, context: dict) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(reviews, "pdf_renderers", [broken])
    with TestCase.captureOnCommitCallbacks(execute=True):
        review = sign_all(people, write(people))
    review.refresh_from_db()
    assert review.pdf_status == ReviewPdfStatus.FAILED
    assert "disk full" in review.pdf_error
    monkeypatch.undo()
    with TestCase.captureOnCommitCallbacks(execute=True):
        reviews.review_pdf_request(actor=people["assessor"], review=review)
    review.refresh_from_db()
    assert review.pdf_status == ReviewPdfStatus.READY
