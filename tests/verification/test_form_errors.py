"""Verification and claim forms sent back with errors: each beside its field (one row's own
box on a list), counted in a summary at the top, what was typed kept, and a 400."""

# ruff: noqa: F811 (fixtures imported from the pages' own tests are the test parameters)

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from certification import claims, holds
from certification.models import BatchState, ClaimHold
from tests.certification.claim_cases import make_centre as make_claim_centre
from tests.certification.test_claims_pages import batch_of
from tests.support import clock
from tests.support.forms import error_beside, summary, value_of
from tests.verification.cases import Centre_
from tests.verification.test_pages import as_, drawn, made  # noqa: F401 (fixture)
from verification.models import SamplingPlan


def test_a_period_that_ends_before_it_starts_is_shown_beside_its_end(
    client: Client, made: Centre_
) -> None:
    """DrawForm's cross-field rule."""
    today = clock.today()
    plan = drawn(made)
    before = today - datetime.timedelta(days=1)

    response = as_(client, made.iv).post(
        reverse("verification:draw", args=[plan.strategy_id]),
        {"period_start": today.isoformat(), "period_end": before.isoformat()},
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert [target for target, _ in items] == ["id_period_end"]
    assert "must end on or after the day it starts" in error_beside(html, "id_period_end")
    assert value_of(html, "id_period_start") == today.isoformat()
    assert value_of(html, "id_period_end") == before.isoformat()
    assert SamplingPlan.objects.count() == 1


def test_removing_a_sample_without_a_reason_marks_that_rows_box(
    client: Client, made: Centre_
) -> None:
    plan = drawn(made)
    first, second = plan.samples.order_by("pk")[:2]

    response = as_(client, made.iv).post(
        reverse("verification:remove_sample", args=[first.pk]), {"reason": " "}
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert [target for target, _ in items] == [f"remove-{first.pk}-reason"]
    assert error_beside(html, f"remove-{first.pk}-reason") == (
        "Say why the sample is removed from the plan."
    )
    assert f"remove-{second.pk}-reason_error" not in html
    first.refresh_from_db()
    assert first.removed_at is None


@pytest.mark.django_db
def test_marking_a_batch_submitted_needs_the_reference(client: Client) -> None:
    where = make_claim_centre()
    batch = batch_of(where)
    claims.export_batch(actor=where.admin, batch=batch)
    client.force_login(where.admin)

    response = client.post(
        reverse("certification:claim_batch_submit", args=[batch.pk]), {"reference": ""}
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert items == [
        (
            "id_reference",
            "The awarding body's reference for this claim: "
            "Type the awarding body's reference for the claim.",
        )
    ]
    assert error_beside(html, "id_reference") == "Type the awarding body's reference for the claim."
    batch.refresh_from_db()
    assert batch.state == BatchState.EXPORTED


@pytest.mark.django_db
def test_one_lines_certificate_with_a_bad_date_keeps_its_number_beside_it(client: Client) -> None:
    where = make_claim_centre()
    batch = batch_of(where, 2)
    claims.export_batch(actor=where.admin, batch=batch)
    claims.submit_batch(actor=where.admin, batch=batch, reference="R1")
    line, other = batch.lines.order_by("pk")
    client.force_login(where.admin)

    response = client.post(
        reverse("certification:claim_batch_certificates", args=[batch.pk]),
        {"line": line.pk, "certificate_number": "N-KEPT", "received_on": "31/02/2026"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert [target for target, _ in items] == [f"line-{line.pk}-received_on"]
    assert error_beside(html, f"line-{line.pk}-received_on") == "Enter a valid date."
    assert value_of(html, f"line-{line.pk}-certificate_number") == "N-KEPT"
    assert value_of(html, f"line-{other.pk}-certificate_number") == ""
    line.refresh_from_db()
    assert line.certificate_received_on is None


@pytest.mark.django_db
def test_releasing_a_hold_without_a_note_marks_that_holds_box(client: Client) -> None:
    from tests.certification.claim_cases import learner_on

    where = make_claim_centre()
    registration = learner_on(where)
    holds.open_hold(actor=where.iv, registration=registration, kind="appeal", reason="Appealed.")
    hold = ClaimHold.objects.get()
    client.force_login(where.admin)

    response = client.post(
        reverse("certification:claim_hold_release", args=[hold.pk]), {"note": ""}
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert items == [
        (f"hold-{hold.pk}-note", "Why the hold is released: Say why the hold is released.")
    ]
    assert error_beside(html, f"hold-{hold.pk}-note") == "Say why the hold is released."
    hold.refresh_from_db()
    assert hold.released_at is None
