"""Progress, decisions, samples and claims: the numbers and rows the pages show the token's
caller, with the pages' release rule and roles, at fixed query counts."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from accounts.models import Role
from assessments.models import DecisionValidation, ReleaseSetting, ValidationOutcome
from certification.models import ClaimBatch, ClaimLine
from portfolios.models import CreditTransfer
from portfolios.progress import portfolio, recorded_decisions, unit_summaries
from qualifications.models import AssessmentCriterion
from tests.api.conftest import call, decide, make_token, register
from tests.factories import CentreFactory, mapped_evidence, member
from tests.support import clock
from verification.models.sample import Sample, SampleOutcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    centre = CentreFactory(name="Own")
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR)
    verifier = member(centre, Role.INTERNAL_VERIFIER)
    registration = register(centre, admin)
    # The registration's own IV: the one whose sampling pages show its samples.
    registration.internal_verifier = verifier
    registration.save(update_fields=["internal_verifier"])
    criteria = list(
        AssessmentCriterion.objects.filter(
            unit__in=registration.unit_choices.values("unit")
        ).order_by("unit_id", "position")[:4]
    )
    return {
        "centre": centre,
        "admin": admin,
        "assessor": assessor,
        "verifier": verifier,
        "registration": registration,
        "criteria": criteria,
    }


def _needs_validation(world: dict[str, Any]) -> None:
    ReleaseSetting.objects.create(
        centre=world["centre"],
        qualification=world["registration"].qualification,
        validation_required=True,
        changed_by=world["admin"],
    )


def test_progress_has_the_numbers_of_the_portfolio_page(world: dict[str, Any]) -> None:
    registration, criteria = world["registration"], world["criteria"]
    mapped_evidence(registration, criteria[:3])
    decide(registration, world["assessor"], criteria[0], "met")
    decide(registration, world["assessor"], criteria[1], "not_yet_met")
    _, secret = make_token(world["admin"], centre=world["centre"])
    body = call(f"/registrations/{registration.pk}/progress", secret).json()
    # The page's own read model, for the admin.
    page = unit_summaries(
        registration, decisions=recorded_decisions(registration, viewer=world["admin"])
    )
    assert body["criteria_total"] == page.progress.total
    assert body["criteria_met"] == page.progress.met == 1
    assert body["met_percent"] == page.progress.met_percent
    assert body["states"] == dict(page.progress.states)
    assert [u["id"] for u in body["units"]] == [entry.unit.pk for entry in page.units]
    for unit, entry in zip(body["units"], page.units, strict=True):
        assert unit["criteria_met"] == entry.progress.met
        assert unit["criteria_total"] == entry.progress.total
        assert len(unit["criteria"]) == entry.progress.total
    states = {c["id"]: c["state"] for u in body["units"] for c in u["criteria"]}
    assert states[criteria[0].pk] == "met"
    assert states[criteria[1].pk] == "not_yet_met"
    assert states[criteria[2].pk] == "submitted"
    assert states[criteria[3].pk] == "no_evidence"


def test_progress_lists_each_criterion_in_the_portfolio_pages_order_with_its_state(
    world: dict[str, Any],
) -> None:
    # The API reads states as rows (portfolios.progress.stated_units), not the page's
    # instances: the same units, criteria, outcomes, order and states as portfolio() gives.
    registration, criteria = world["registration"], world["criteria"]
    mapped_evidence(registration, criteria[1:3])
    decide(registration, world["assessor"], criteria[0], "met")
    decide(registration, world["assessor"], criteria[2], "not_yet_met")
    _, secret = make_token(world["admin"], centre=world["centre"])
    body = call(f"/registrations/{registration.pk}/progress", secret).json()
    decisions = recorded_decisions(registration, viewer=world["admin"])
    page = portfolio(registration, user=world["admin"], decisions=decisions)
    assert [
        (unit["id"], unit["states"], [tuple(c.values()) for c in unit["criteria"]])
        for unit in body["units"]
    ] == [
        (
            entry.unit.pk,
            {str(state): n for state, n in entry.progress.states.items()},
            [
                (row.criterion.pk, row.criterion.number, rows.outcome.number, str(row.state))
                for rows in entry.outcomes
                for row in rows.criteria
            ],
        )
        for entry in page.units
    ]
    assert {c["state"] for u in body["units"] for c in u["criteria"]} >= {
        "met",
        "submitted",
        "not_yet_met",
        "no_evidence",
    }


def test_a_credited_unit_is_left_out_of_the_whole_count_as_on_the_page(
    world: dict[str, Any],
) -> None:
    registration = world["registration"]
    _, secret = make_token(world["admin"], centre=world["centre"])
    before = call(f"/registrations/{registration.pk}/progress", secret).json()
    unit = before["units"][0]
    CreditTransfer.objects.create(
        registration=registration,
        unit_id=unit["id"],
        **_credit_fields(world),
    )
    after = call(f"/registrations/{registration.pk}/progress", secret).json()
    assert after["units"][0]["credited"] is True
    assert after["criteria_total"] == before["criteria_total"] - unit["criteria_total"]


def _credit_fields(world: dict[str, Any]) -> dict[str, Any]:
    return {
        "recorded_by": world["admin"],
        "achieved_on": clock.today(),
        "source_unit_reference": "A/123/4567",
        "certificate_reference": "CERT-1",
        "awarded_by": "City & Guilds",
    }


def test_the_learner_sees_awaiting_validation_where_staff_see_the_outcome(
    world: dict[str, Any],
) -> None:
    registration, criteria = world["registration"], world["criteria"]
    _needs_validation(world)
    mapped_evidence(registration, criteria[:2])
    held = decide(registration, world["assessor"], criteria[0], "met", feedback="Secret praise")
    agreed = decide(registration, world["assessor"], criteria[1], "not_yet_met")
    DecisionValidation.objects.create(
        decision=agreed, validator=world["verifier"], outcome=ValidationOutcome.AGREED
    )
    _, learner_secret = make_token(registration.learner)
    _, admin_secret = make_token(world["admin"], centre=world["centre"])

    def states(secret: str) -> dict[int, str]:
        body = call(f"/registrations/{registration.pk}/progress", secret).json()
        return {c["id"]: c["state"] for u in body["units"] for c in u["criteria"]}

    assert states(learner_secret)[held.criterion_id] == "awaiting_validation"
    assert states(admin_secret)[held.criterion_id] == "met"
    assert states(learner_secret)[agreed.criterion_id] == "not_yet_met"

    learner_view = call(f"/registrations/{registration.pk}/decisions", learner_secret).json()
    rows = {row["id"]: row for row in learner_view["items"]}
    # Withheld for the IV: the learner is told it exists and waits, not what it says.
    assert rows[held.pk]["outcome"] is None
    assert rows[held.pk]["feedback"] is None
    assert rows[held.pk]["released"] is False
    assert "Secret praise" not in str(learner_view)
    assert rows[agreed.pk]["outcome"] == "not_yet_met"
    assert rows[agreed.pk]["validation"] is None  # the validation itself is staff's
    staff_view = call(f"/registrations/{registration.pk}/decisions", admin_secret).json()
    staff_rows = {row["id"]: row for row in staff_view["items"]}
    assert staff_rows[held.pk]["outcome"] == "met"
    assert staff_rows[held.pk]["released"] is False
    assert staff_rows[agreed.pk]["validation"] == "agreed"


def test_decisions_list_the_superseded_and_the_current_oldest_first(
    world: dict[str, Any],
) -> None:
    registration, criteria = world["registration"], world["criteria"]
    mapped_evidence(registration, criteria[:1])
    first = decide(registration, world["assessor"], criteria[0], "not_yet_met")
    second = decide(
        registration, world["assessor"], criteria[0], "met", supersedes=first, reason="Re-read"
    )
    _, secret = make_token(world["admin"], centre=world["centre"])
    path = f"/registrations/{registration.pk}/decisions"
    body = call(path, secret).json()
    assert [row["id"] for row in body["items"]] == [first.pk, second.pk]
    assert [row["current"] for row in body["items"]] == [False, True]
    assert body["items"][1]["supersedes"] == first.pk
    assert body["items"][1]["reason"] == "Re-read"
    assert [row["id"] for row in call(path, secret, current=True).json()["items"]] == [second.pk]
    assert [row["id"] for row in call(path, secret, current=False).json()["items"]] == [first.pk]


def _sample(world: dict[str, Any], registration: Any = None) -> Sample:
    sample = Sample.objects.create(
        registration=registration or world["registration"],
        stage="interim",
        verifier=world["verifier"],
        snapshot={},
        snapshot_hash="0" * 64,
    )
    SampleOutcome.objects.create(
        sample=sample,
        outcome="agreed",
        snapshot={},
        snapshot_hash="0" * 64,
        decided_by=world["verifier"],
    )
    return sample


def test_samples_are_read_by_the_centres_admins_and_ivs_not_its_learners(
    world: dict[str, Any],
) -> None:
    sample = _sample(world)
    _, admin_secret = make_token(world["admin"], centre=world["centre"])
    _, iv_secret = make_token(world["verifier"])
    _, learner_secret = make_token(world["registration"].learner)
    _, assessor_secret = make_token(world["assessor"])
    for secret in (admin_secret, iv_secret):
        body = call("/samples", secret).json()
        assert [item["id"] for item in body["items"]] == [sample.pk]
        assert body["items"][0]["outcomes"][0]["outcome"] == "agreed"
    # As on the sampling pages: not the learner's, nor an assessor's, to read.
    for secret in (learner_secret, assessor_secret):
        assert call("/samples", secret).json()["count"] == 0


@pytest.mark.parametrize(
    "given",
    [{}, {"state": "referred"}, {"registration": True}],
    ids=["all", "referred", "one learner"],
)
def test_a_centre_tokens_samples_are_its_admins_samples(world: dict[str, Any], given: dict) -> None:
    # A centre token's samples are read as compiled shapes of the centre's samples
    # (api.quality.CENTRE_SAMPLES): the same samples, outcomes, count and pages as the admin's
    # own token reads through Sample.visible_to; another centre's never.
    other = CentreFactory(name="Other")
    theirs = _sample(world, register(other, member(other, Role.CENTRE_ADMIN)))
    second = register(world["centre"], world["admin"])
    made = [_sample(world), _sample(world, second), _sample(world)]
    SampleOutcome.objects.create(
        sample=made[0],
        outcome="referred",
        snapshot={},
        snapshot_hash="0" * 64,
        decided_by=world["admin"],
        actions="Add the witness statement",
        deadline=datetime.date(2027, 1, 15),
    )
    Sample.objects.filter(pk=made[2].pk).update(state="referred")
    if given.get("registration"):
        given = {"registration": second.pk}
    _, centre_secret = make_token(world["admin"], centre=world["centre"])
    _, own_secret = make_token(world["admin"])
    expected = call("/samples", own_secret, limit=100, **given).json()
    assert expected["items"]
    listed: list[dict] = []
    for offset in range(0, expected["count"] + 2, 2):
        body = call("/samples", centre_secret, limit=2, offset=offset, **given).json()
        assert body["count"] == expected["count"]
        listed += body["items"]
    assert listed == expected["items"]
    assert theirs.pk not in {item["id"] for item in listed}


def _claim(world: dict[str, Any], registration: Any = None) -> ClaimLine:
    registration = registration or world["registration"]
    # One draft batch per centre and awarding body.
    batch, _ = ClaimBatch.objects.get_or_create(
        centre=registration.centre,
        awarding_body=registration.qualification.awarding_body,
        defaults={"created_by": world["admin"]},
    )
    return ClaimLine.objects.create(
        batch=batch,
        registration=registration,
        achievement_date=clock.today(),
        added_by=world["admin"],
    )


def test_claims_are_read_by_the_centres_admins_only(world: dict[str, Any]) -> None:
    line = _claim(world)
    _, admin_secret = make_token(world["admin"], centre=world["centre"])
    body = call("/claims", admin_secret).json()
    assert [item["id"] for item in body["items"]] == [line.pk]
    assert body["items"][0]["batch_state"] == "draft"
    assert body["items"][0]["unit_id"] is None
    _, learner_secret = make_token(world["registration"].learner)
    assert call("/claims", learner_secret).json()["count"] == 0
    assert call("/claims", admin_secret, live=False).json()["count"] == 0


def test_the_reads_take_the_same_queries_for_few_rows_or_many(
    world: dict[str, Any], django_assert_num_queries: Any
) -> None:
    registration, criteria = world["registration"], world["criteria"]
    _, secret = make_token(world["admin"], centre=world["centre"])
    paths = {
        f"/registrations/{registration.pk}/progress": 0,
        f"/registrations/{registration.pk}/decisions": 0,
        "/samples": 0,
        "/claims": 0,
    }
    mapped_evidence(registration, criteria[:1])
    decide(registration, world["assessor"], criteria[0], "met")
    _sample(world)
    _claim(world)
    call("/samples", secret)  # last_used_at written on the first call only
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for path in paths:
        with CaptureQueriesContext(connection) as few:
            assert call(path, secret).status_code == 200
        paths[path] = len(few.captured_queries)
    for criterion in criteria[1:]:
        mapped_evidence(registration, [criterion])
        decide(registration, world["assessor"], criterion, "met")
    for _ in range(3):
        other = register(world["centre"], world["admin"])
        _sample(world, other)
        _claim(world, other)
    for path, count in paths.items():
        with django_assert_num_queries(count):
            assert call(path, secret).status_code == 200
    # token, roles, the registration, the decisions, the credit, the units, and the criteria
    # with whether evidence stands behind each (one query where outcomes, criteria and
    # evidence were three: the API reads states, not the page's instances).
    assert paths[f"/registrations/{registration.pk}/progress"] <= 8
