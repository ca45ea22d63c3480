"""The IV reviews a whole sample in one form: per decision (or per unit) agree or refer back,
actions, deadline and feedback once, saved in place with htmx; outcomes stay append-only."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Decision
from assessments.services import record_decision
from core.models import AuditEvent
from tests.factories import mapped_evidence
from tests.support import clock
from tests.verification.sample_cases import Case, decision_on, make_case
from verification import samples
from verification.models import SampleStage
from verification.models.sample import Sample, SampleOutcome, SampleState


@pytest.fixture(autouse=True)
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def case(catalogue: None) -> Case:
    return make_case(judged=5, sign_off=False)


def start(case: Case, *, unit: object = "case") -> Sample:
    return samples.start_sample(
        verifier=case.iv,
        registration=case.registration,
        unit=case.unit if unit == "case" else unit,
        stage=SampleStage.INTERIM,
    )


def review_url(sample: Sample) -> str:
    return reverse("verification:sample_review", args=[sample.pk])


def signed_in(client: Client, case: Case) -> Client:
    client.force_login(case.iv)
    return client


def test_the_page_draws_one_review_form_with_a_row_per_decision(client: Client, case: Case) -> None:
    sample = start(case)

    html = signed_in(client, case).get(reverse("verification:sample", args=[sample.pk]))
    text = html.content.decode()

    assert text.count('data-testid="review-form"') == 1
    for number in ("1.1", "1.2", "2.1"):
        decision = decision_on(case, number)
        assert f'id="d{decision.pk}-agree" checked' in text
        assert f'id="d{decision.pk}-refer"' in text
    assert "Record the review" in text


def test_two_decisions_referred_in_one_submit_make_one_referral(client: Client, case: Case) -> None:
    today = clock.today()
    next_week = today + datetime.timedelta(days=7)
    sample = start(case)
    one, two = decision_on(case, "1.1"), decision_on(case, "1.2")
    events = AuditEvent.objects.count()

    response = signed_in(client, case).post(
        review_url(sample),
        {
            f"d{one.pk}": "refer",
            f"d{two.pk}": "refer",
            "actions": "Say which survey question shows each.",
            "deadline": next_week.isoformat(),
            "seen_hash": sample.snapshot_hash,
        },
    )

    assert response.status_code == 302
    outcome = SampleOutcome.objects.get()
    assert set(outcome.decisions.all()) == {one, two}
    sample.refresh_from_db()
    assert sample.state == SampleState.REFERRED
    assert list(
        AuditEvent.objects.order_by("sequence")[events:].values_list("action", flat=True)
    ) == ["sample.referred"]


def test_the_same_referral_sent_twice_records_once(client: Client, case: Case) -> None:
    today = clock.today()
    next_week = today + datetime.timedelta(days=7)
    sample = start(case)
    one = decision_on(case, "1.1")
    data = {
        f"d{one.pk}": "refer",
        "actions": "Say which question.",
        "deadline": next_week.isoformat(),
        "seen_hash": sample.snapshot_hash,
    }
    signed_in(client, case).post(review_url(sample), data)

    again = client.post(review_url(sample), data, headers={"HX-Request": "true"})

    assert again.status_code == 200
    assert "already recorded" in again.content.decode()
    assert SampleOutcome.objects.count() == 1


def test_with_htmx_agreeing_comes_back_in_place(client: Client, case: Case) -> None:
    sample = start(case)

    response = signed_in(client, case).post(
        review_url(sample),
        {"feedback": "Sound judgements.", "seen_hash": sample.snapshot_hash},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="sample-body"' in html
    assert 'data-testid="review-result"' in html
    assert "review is closed" in html
    assert 'data-testid="review-form"' not in html  # closed: nothing more to review
    assert SampleOutcome.objects.get().outcome == "agreed"


def test_a_review_of_changed_decisions_is_refused_keeping_what_was_typed(
    client: Client, case: Case
) -> None:
    today = clock.today()
    next_week = today + datetime.timedelta(days=7)
    sample = start(case)
    one = decision_on(case, "1.1")
    record_decision(
        assessor=case.assessor,
        registration=case.registration,
        criterion=case.unit.criteria.get(number="1.1"),
        outcome="not_yet_met",
        method="product",
        assessed_on=today,
        evidence=[case.evidence],
        supersedes=one,
        reason="Second look.",
    )
    two = decision_on(case, "1.2")

    response = signed_in(client, case).post(
        review_url(sample),
        {
            f"d{two.pk}": "refer",
            "actions": "My typed actions.",
            "deadline": next_week.isoformat(),
            "feedback": "My typed feedback.",
            "seen_hash": sample.snapshot_hash,
        },
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert 'data-testid="review-error"' in html
    assert "changed since you opened the sample" in html
    assert "My typed actions." in html
    assert "My typed feedback." in html
    assert f'id="d{two.pk}-refer" checked' in html
    assert not SampleOutcome.objects.exists()


def test_a_whole_unit_is_referred_back_in_a_whole_portfolio_sample(
    client: Client, case: Case
) -> None:
    today = clock.today()
    next_week = today + datetime.timedelta(days=7)
    other = (
        case.registration.unit_choices.exclude(unit=case.unit).select_related("unit").first().unit
    )
    for criterion in other.criteria.order_by("position")[:2]:
        record_decision(
            assessor=case.assessor,
            registration=case.registration,
            criterion=criterion,
            outcome="met",
            method="product",
            assessed_on=today,
            evidence=[mapped_evidence(case.registration, criterion)],
        )
    sample = start(case, unit=None)

    response = signed_in(client, case).post(
        review_url(sample),
        {
            f"u{other.pk}": "refer",
            "actions": "Re-judge this unit with the workbook.",
            "deadline": next_week.isoformat(),
            "seen_hash": sample.snapshot_hash,
        },
    )

    assert response.status_code == 302
    referred = set(SampleOutcome.objects.get().decisions.all())
    assert referred == set(Decision.objects.current().filter(criterion__unit=other))
    assert len(referred) == 2


def test_the_old_agree_address_redirects_to_the_review(client: Client, case: Case) -> None:
    sample = start(case)

    response = signed_in(client, case).post(
        reverse("verification:sample_agree", args=[sample.pk]), {"agree-feedback": "x"}
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#review-heading")
    assert not SampleOutcome.objects.exists()
