"""Progress review pages (issue 19): who opens what, signing through the page, the staff-only
notes kept from the apprentice and the employer, the one-time page, and each page's queries."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse

from accounts.models import Role
from portfolios.models import ProgressReview, ReviewSignature, ReviewStatus, SignerRole
from portfolios.reviews import review_link_send, review_sign
from tests.factories import member
from tests.portfolios.test_off_the_job import NCFE, apprentice
from tests.portfolios.test_reviews import NOTES, on_programme, sign_all, write
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.fixture
def people() -> dict:
    today = clock.today()
    people = on_programme(apprentice(NCFE), start=today - datetime.timedelta(weeks=14))
    people["other_contact"] = member(people["centre"], Role.EMPLOYER)
    return people


def list_url(people: dict) -> str:
    return reverse("reviews:list", args=[people["registration"].pk])


def detail_url(review: ProgressReview) -> str:
    return reverse("reviews:detail", args=[review.pk])


def test_who_may_open_the_list_and_a_review(client: Client, people: dict) -> None:
    review = write(people)
    for who, status in (
        ("learner", 200),
        ("assessor", 200),
        ("iv", 200),
        ("admin", 200),
        ("contact", 200),
        ("other_assessor", 404),
        ("other_contact", 404),
    ):
        client.force_login(people[who])
        assert client.get(list_url(people)).status_code == status, who
        assert client.get(detail_url(review)).status_code == status, who
    client.logout()
    assert client.get(list_url(people)).status_code == 302


def test_the_list_flags_an_overdue_review_and_so_does_the_registration_card(
    client: Client, people: dict
) -> None:
    today = clock.today()
    client.force_login(people["contact"])
    listed = client.get(list_url(people)).content.decode()
    assert 'data-testid="review-overdue"' in listed
    assert "no signed review yet" in listed
    card = client.get(reverse("portfolios:registration", args=[people["registration"].pk]))
    body = card.content.decode()
    assert 'data-testid="review-overdue"' in body
    assert list_url(people) in body
    log = client.get(reverse("off_the_job:log", args=[people["registration"].pk]))
    assert list_url(people) in log.content.decode()
    # A locked review today clears it: the next is due 12 weeks on.
    sign_all(people, write(people))
    listed = client.get(list_url(people)).content.decode()
    assert 'data-testid="review-overdue"' not in listed
    due = today + datetime.timedelta(weeks=12)
    assert f"Next review due {due.day} {due:%B %Y}" in listed


def test_the_assessor_writes_a_review_and_the_form_keeps_what_was_typed(
    client: Client, people: dict
) -> None:
    today = clock.today()
    client.force_login(people["assessor"])
    create = reverse("reviews:create", args=[people["registration"].pk])
    assert client.get(create).status_code == 200
    typed = {
        "review_date": (today + datetime.timedelta(days=2)).isoformat(),
        "progress_comment": "Working well on S2.",
        "targets": "Finish the project",
        "staff_notes": NOTES,
    }
    refused = client.post(create, typed)
    assert refused.status_code == 400
    assert "future" in refused.content.decode()
    assert "Working well on S2." in refused.content.decode()
    typed["review_date"] = today.isoformat()
    response = client.post(create, typed)
    review = ProgressReview.objects.get()
    assert response["Location"] == detail_url(review)
    assert review.staff_notes == NOTES
    for who in ("learner", "contact", "iv"):
        client.force_login(people[who])
        assert client.get(create).status_code == 403, who


def test_the_staff_notes_show_to_staff_only(client: Client, people: dict) -> None:
    review = sign_all(people, write(people))
    for who, shown in (
        ("assessor", True),
        ("iv", True),
        ("admin", True),
        ("learner", False),
        ("contact", False),
    ):
        client.force_login(people[who])
        body = client.get(detail_url(review)).content.decode()
        assert ("money worries" in body) is shown, who
        assert ('data-testid="review-staff-notes"' in body) is shown, who
        assert "Good progress on K1 and S2" in body


def test_each_signs_in_their_role_through_the_page_and_a_second_click_changes_nothing(
    client: Client, people: dict
) -> None:
    review = write(people)
    sign = reverse("reviews:sign", args=[review.pk])
    client.force_login(people["learner"])
    page = client.get(detail_url(review)).content.decode()
    assert 'data-testid="sign-apprentice"' in page
    assert 'data-testid="sign-provider"' not in page
    client.post(sign, {"role": "apprentice"})
    second = client.post(sign, {"role": "apprentice"}, follow=True)
    assert "already signed for the apprentice" in second.content.decode()
    assert ReviewSignature.objects.filter(review=review).count() == 1
    # Not the learner's role to sign for the provider: refused, with a message.
    refused = client.post(sign, {"role": "provider"}, follow=True)
    assert "may not sign" in refused.content.decode()
    client.force_login(people["contact"])
    client.post(sign, {"role": "employer"})
    client.force_login(people["assessor"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(sign, {"role": "provider"}, follow=True)
    assert "the review is locked" in done.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.LOCKED
    # The worker has built it once the signature committed.
    assert 'data-testid="review-pdf"' in client.get(detail_url(review)).content.decode()


def test_the_pdf_is_served_only_to_those_who_read_the_review(client: Client, people: dict) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        review = sign_all(people, write(people))
    pdf = reverse("reviews:pdf", args=[review.pk])
    for who, status in (("contact", 200), ("learner", 200), ("other_contact", 404)):
        client.force_login(people[who])
        response = client.get(pdf)
        assert response.status_code == status, who
        if status == 200:
            assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_page_says_the_pdf_is_being_built_until_the_worker_is_done(
    client: Client, people: dict
) -> None:
    review = sign_all(people, write(people))  # on_commit never ran: still queued
    client.force_login(people["learner"])
    body = client.get(detail_url(review)).content.decode()
    assert 'data-testid="review-pdf-building"' in body
    assert client.get(reverse("reviews:pdf", args=[review.pk])).status_code == 404


def test_the_employer_signs_through_the_link_which_shows_that_review_alone(
    client: Client, people: dict
) -> None:
    review = write(people)
    other = write(people, progress_comment="Another review entirely.")
    client.force_login(people["assessor"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse("reviews:link", args=[review.pk]),
            {"name": "Priya Shah", "email": "priya@northwind.example"},
        )
    [message] = mail.outbox
    url = next(line for line in message.body.splitlines() if "/portfolio/reviews/sign/" in line)
    client.logout()
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Good progress on K1 and S2" in body
    assert "Another review entirely." not in body
    assert "money worries" not in body
    assert str(other.pk) not in [line.strip() for line in body.splitlines()]
    refused = client.post(url, {"signed_name": "Priya Shah"})
    assert refused.status_code == 400
    assert "Tick the box" in refused.content.decode()
    done = client.post(url, {"signed_name": "Priya Shah", "confirmed": "on"})
    assert done["Location"] == reverse("reviews:signed")
    signature = ReviewSignature.objects.get(review=review)
    assert signature.role == SignerRole.EMPLOYER
    assert signature.signed_name == "Priya Shah"
    again = client.get(url)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


def test_an_unknown_link_is_not_found(client: Client) -> None:
    assert client.get(reverse("reviews:sign_link", args=["nope"])).status_code == 404


def test_the_centre_admin_sets_the_interval(client: Client, people: dict) -> None:
    today = clock.today()
    url = reverse("reviews:interval")
    client.force_login(people["admin"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"weeks": "0"}).status_code == 400
    client.post(url, {"weeks": "6"})
    listed = client.get(list_url(people)).content.decode()
    due = today - datetime.timedelta(weeks=14) + datetime.timedelta(weeks=6)
    assert f"due {due.day} {due:%B %Y}" in listed
    client.force_login(people["assessor"])
    assert client.get(url).status_code == 403


# ---------------------------------------------------------------- queries


def many_reviews(people: dict, count: int) -> ProgressReview:
    last = None
    for _ in range(count):
        last = sign_all(people, write(people))
    pending = write(people)
    review_sign(actor=people["learner"], review=pending, role=SignerRole.APPRENTICE)
    review_link_send(actor=people["assessor"], review=pending, name="P", email="p@example.org")
    assert last is not None
    return last


# Measured, the same with 1 review as with 6: session, user, roles, the registration, its
# programme record, the reviews, their signatures, when the next is due; the assessor also the
# assignment the write rule asks. A locked review: the review with its registration and the
# signatures; the assessor's rules (write, notes) ask the assignment.
# The pages load the registration (or review) by id and ask the predicates: an assessor's
# second rule (the notes) follows from the first (writing); an employer contact's one query is
# the employs_apprentice predicate, where visible_to had it as a subquery of the page's query.
LIST_QUERIES = {"learner": 7, "assessor": 8, "contact": 8}
DETAIL_QUERIES = {"learner": 5, "assessor": 6, "contact": 6}


@pytest.mark.parametrize("count", [1, 6])
def test_the_list_and_a_review_cost_the_same_whatever_their_number(
    client: Client, people: dict, count: int, django_assert_num_queries: object
) -> None:
    review = many_reviews(people, count)
    for who in ("learner", "assessor", "contact"):
        client.force_login(people[who])
        client.get(list_url(people))  # warm the session and role caches
        with django_assert_num_queries(LIST_QUERIES[who]):  # type: ignore[operator]
            assert client.get(list_url(people)).status_code == 200
        with django_assert_num_queries(DETAIL_QUERIES[who]):  # type: ignore[operator]
            assert client.get(detail_url(review)).status_code == 200


@pytest.mark.parametrize("count", [1, 6])
def test_the_other_review_pages_cost_a_fixed_number_of_queries(
    client: Client, people: dict, count: int, django_assert_num_queries: object
) -> None:
    many_reviews(people, count)
    pending = ProgressReview.objects.get(status=ReviewStatus.SIGNING)
    sent = review_link_send(
        actor=people["assessor"], review=pending, name="Priya Shah", email="p@example.org"
    )
    client.force_login(people["assessor"])
    create = reverse("reviews:create", args=[people["registration"].pk])
    client.get(create)
    with django_assert_num_queries(5):  # type: ignore[operator]
        assert client.get(create).status_code == 200
    client.force_login(people["admin"])
    client.get(reverse("reviews:interval"))
    with django_assert_num_queries(4):  # type: ignore[operator]
        assert client.get(reverse("reviews:interval")).status_code == 200
    client.logout()
    link = reverse("reviews:sign_link", args=[sent.token])
    with django_assert_num_queries(3):  # type: ignore[operator]
        assert client.get(link).status_code == 200
    # The registration page with its apprenticeship card: two queries more than without one
    # (tests/portfolios/test_registration_pages.py, 16): when the next review is due, and the
    # end-point result if one is recorded (assessments.gateway).
    client.force_login(people["admin"])
    page = reverse("portfolios:registration", args=[people["registration"].pk])
    client.get(page)
    with django_assert_num_queries(18):  # type: ignore[operator]
        assert client.get(page).status_code == 200
