"""Risk ratings, strategies, drawing a plan, its coverage, and adjusting it."""

from __future__ import annotations

import datetime

import pytest

from accounts.models import Role
from core.models import AuditEvent
from tests.factories import member
from tests.support import clock
from tests.verification.cases import Centre_, add_learner, criteria, make_centre, strategy_for
from verification.models import (
    AssessorRiskRating,
    PlannedSample,
    SampleSource,
    SampleStage,
    SamplingPlan,
    SamplingStrategy,
)
from verification.queries import coverage, meets_strategy, rounded_up_share
from verification.services import (
    VerificationError,
    add_planned_sample,
    draw_plan,
    remove_planned_sample,
    save_strategy,
    set_rating,
)


@pytest.fixture
def made(catalogue: None) -> Centre_:
    return make_centre()


def draw(made: Centre_, strategy: SamplingStrategy) -> SamplingPlan:
    today = clock.today()
    end = today + datetime.timedelta(days=90)
    return draw_plan(actor=made.iv, strategy=strategy, period_start=today, period_end=end)


def planned_learners(plan, assessor) -> set[int]:
    return set(
        plan.samples.active().filter(assessor=assessor).values_list("registration_id", flat=True)
    )


@pytest.mark.parametrize(
    ("percent", "count", "expected"),
    [(25, 3, 1), (25, 4, 1), (25, 5, 2), (100, 3, 3), (0, 3, 0), (50, 1, 1), (33, 10, 4)],
)
def test_shares_round_up(percent: int, count: int, expected: int) -> None:
    assert rounded_up_share(percent, count) == expected


def test_a_new_rating_supersedes_the_last_and_is_audited(made) -> None:
    assessor = made.assessors[0]
    set_rating(actor=made.iv, centre=made.centre, assessor=assessor, rating="trainee")
    set_rating(
        actor=made.admin,
        centre=made.centre,
        assessor=assessor,
        rating="experienced",
        reason="Qualified in March",
    )
    assert AssessorRiskRating.objects.filter(assessor=assessor).count() == 2
    assert AssessorRiskRating.objects.current_for(made.centre.pk)[assessor.pk].rating == (
        "experienced"
    )
    event = AuditEvent.objects.filter(action="verification.rating_set").last()
    assert event.data["previous"] == "trainee"
    assert event.data["rating"] == "experienced"
    assert event.centre_id == made.centre.pk


def test_ratings_are_refused_for_non_assessors_self_and_other_roles(made) -> None:
    learner = member(made.centre, Role.LEARNER)
    with pytest.raises(VerificationError, match="not an assessor"):
        set_rating(actor=made.iv, centre=made.centre, assessor=learner, rating="new")
    with pytest.raises(VerificationError, match="internal verifier or a centre admin"):
        set_rating(
            actor=made.assessors[1], centre=made.centre, assessor=made.assessors[0], rating="new"
        )
    member_role = member(made.centre, Role.INTERNAL_VERIFIER)
    from accounts.models import Membership

    Membership.objects.create(user=member_role, centre=made.centre, role=Role.ASSESSOR)
    with pytest.raises(VerificationError, match="own assessing"):
        set_rating(actor=member_role, centre=made.centre, assessor=member_role, rating="new")
    assert not AssessorRiskRating.objects.exists()


def test_a_strategy_change_is_a_new_version_with_before_and_after(made) -> None:
    strategy = strategy_for(made)
    assert (strategy.version, strategy.rate_experienced) == (1, 25)
    strategy = strategy_for(made, rate_experienced=10)
    assert strategy.version == 2
    event = AuditEvent.objects.filter(action="verification.strategy_changed").get()
    assert event.data["before"]["rate_experienced"] == 25
    assert event.data["after"]["rate_experienced"] == 10
    # Saving the same settings again changes nothing and writes nothing.
    assert strategy_for(made, rate_experienced=10).version == 2
    assert AuditEvent.objects.filter(action="verification.strategy_changed").count() == 1


def test_a_strategy_is_refused_for_a_qualification_the_centre_does_not_offer(made) -> None:
    from qualifications.models import Qualification

    other = Qualification.objects.exclude(pk=made.qualification.pk).first()
    with pytest.raises(VerificationError, match="not approved"):
        save_strategy(actor=made.iv, centre=made.centre, qualification=other, values={})
    with pytest.raises(VerificationError, match="0 to 100"):
        strategy_for(made, rate_new=150)


def test_rates_follow_each_assessors_current_rating(made) -> None:
    newcomer, veteran = made.assessors
    for _ in range(4):
        add_learner(made, newcomer)
        add_learner(made, veteran)
    set_rating(actor=made.iv, centre=made.centre, assessor=veteran, rating="experienced")
    plan = draw(made, strategy_for(made, cover_every_method=False, cover_every_site=False))
    # Unrated means new: 100 %; experienced at 25 % of 4 learners is 1.
    assert len(planned_learners(plan, newcomer)) == 4
    assert len(planned_learners(plan, veteran)) == 1
    assert meets_strategy(plan) == []


def test_rounding_up_means_an_experienced_assessor_with_three_learners_gets_one(made) -> None:
    veteran = made.assessors[0]
    for _ in range(3):
        add_learner(made, veteran)
    set_rating(actor=made.iv, centre=made.centre, assessor=veteran, rating="experienced")
    plan = draw(made, strategy_for(made, rate_experienced=34))
    assert len(planned_learners(plan, veteran)) == 2  # 34 % of 3 = 1.02, rounded up


def test_the_draw_is_deterministic(made) -> None:
    veteran = made.assessors[0]
    for _ in range(8):
        add_learner(made, veteran, judged=4)
    set_rating(actor=made.iv, centre=made.centre, assessor=veteran, rating="experienced")
    strategy = strategy_for(made)

    def picked(plan) -> list[tuple[int, int | None]]:
        return list(plan.samples.order_by("pk").values_list("registration_id", "unit_id"))

    assert picked(draw(made, strategy)) == picked(draw(made, strategy))


def test_interim_samples_take_the_share_of_judged_units_and_summative_the_whole_portfolio(
    made,
) -> None:
    today = clock.today()
    end = today + datetime.timedelta(days=90)
    assessor = made.assessors[0]
    part_way = add_learner(made, assessor)
    finished = add_learner(made, assessor, complete=True)
    add_learner(made, assessor, judged=0)  # nothing judged yet: nothing to sample
    plan = draw(made, strategy_for(made))
    samples = {s.registration_id: s for s in plan.samples.all()}
    assert set(samples) == {part_way.pk, finished.pk}
    assert samples[part_way.pk].stage == SampleStage.INTERIM
    assert samples[part_way.pk].unit.key == "F/506/2131"
    assert samples[part_way.pk].verifier == made.iv
    assert samples[part_way.pk].source == SampleSource.DRAWN
    assert today <= samples[part_way.pk].planned_on <= end
    assert samples[finished.pk].stage == SampleStage.SUMMATIVE
    assert samples[finished.pk].unit is None
    assert samples[finished.pk].planned_on == today
    event = AuditEvent.objects.filter(action="verification.plan_drawn").get()
    assert event.data["samples"] == 2


def test_the_draw_tops_up_to_cover_every_method_and_site(made) -> None:
    veteran = made.assessors[0]
    for _ in range(6):
        add_learner(made, veteran, employer="Kwik Fit")
    rare = add_learner(made, veteran, employer="Halfords", method="questioning")
    set_rating(actor=made.iv, centre=made.centre, assessor=veteran, rating="experienced")
    plan = draw(made, strategy_for(made, rate_experienced=0))
    assert rare.pk in planned_learners(plan, veteran)
    result = coverage(plan)
    assert result.meets_strategy, result.reasons
    assert {row.label: row.planned for row in result.sites}["Halfords"] == 1
    assert {row.label: row.planned for row in result.methods}["Questioning"] >= 1


def test_meets_strategy_says_why_not(made) -> None:
    aisha = made.assessors[0]
    aisha.full_name = "Aisha Khan"
    aisha.save()
    for _ in range(3):
        add_learner(made, aisha, employer="Kwik Fit")
    strategy = strategy_for(made)
    plan = draw(made, strategy)
    assert meets_strategy(plan) == []
    for sample in plan.samples.all()[:2]:
        remove_planned_sample(actor=made.iv, sample=sample, reason="Learner on leave")
    reasons = meets_strategy(plan)
    assert reasons[0] == (
        "Assessor Aisha Khan: 1 of 3 learners planned, the strategy asks 100 % (3)."
    )
    # New work after the draw: a method and a site nobody sampled yet.
    late = add_learner(made, made.assessors[1], employer="Halfords", method="questioning")
    reasons = meets_strategy(plan)
    assert any("Assessor B: 0 of 1 learner planned" in r for r in reasons)
    assert any("method questioning" in r for r in reasons)
    assert any("assessment site Halfords" in r for r in reasons)
    assert late.pk not in {s.registration_id for s in plan.samples.all()}


def test_adjusting_a_plan_adds_and_removes_samples_with_audit(made) -> None:
    today = clock.today()
    end = today + datetime.timedelta(days=90)
    assessor = made.assessors[0]
    registration = add_learner(made, assessor)
    plan = draw(made, strategy_for(made))
    unit = criteria()[0].unit
    added = add_planned_sample(
        actor=made.iv,
        plan=plan,
        registration=registration,
        assessor=assessor,
        stage="summative",
        planned_on=end,
    )
    assert added.source == SampleSource.MANUAL
    assert added.verifier == made.iv
    assert AuditEvent.objects.filter(
        action="verification.sample_added", object_id=str(added.pk)
    ).exists()
    with pytest.raises(VerificationError, match="already in the plan"):
        add_planned_sample(
            actor=made.iv,
            plan=plan,
            registration=registration,
            assessor=assessor,
            stage="interim",
            planned_on=today,
            unit=unit,
        )
    with pytest.raises(VerificationError, match="within the plan's period"):
        add_planned_sample(
            actor=made.iv,
            plan=plan,
            registration=registration,
            assessor=assessor,
            stage="summative",
            planned_on=end + datetime.timedelta(days=1),
        )
    with pytest.raises(VerificationError, match="does not assess"):
        add_planned_sample(
            actor=made.iv,
            plan=plan,
            registration=registration,
            assessor=made.assessors[1],
            stage="summative",
            planned_on=today,
        )
    with pytest.raises(VerificationError, match="Say why"):
        remove_planned_sample(actor=made.iv, sample=added, reason="  ")
    removed = remove_planned_sample(actor=made.admin, sample=added, reason="Drawn twice")
    assert removed.removed_by == made.admin
    # Honest history: the row stays, out of the plan.
    assert PlannedSample.objects.filter(pk=added.pk).exists()
    assert not plan.samples.active().filter(pk=added.pk).exists()
    event = AuditEvent.objects.filter(action="verification.sample_removed").get()
    assert event.data["reason"] == "Drawn twice"
    with pytest.raises(VerificationError, match="already removed"):
        remove_planned_sample(actor=made.iv, sample=added, reason="again")


def test_assessors_cannot_draw_or_adjust(made) -> None:
    today = clock.today()
    end = today + datetime.timedelta(days=90)
    registration = add_learner(made, made.assessors[0])
    strategy = strategy_for(made)
    with pytest.raises(VerificationError, match="internal verifier or a centre admin"):
        draw_plan(actor=made.assessors[0], strategy=strategy, period_start=today, period_end=end)
    plan = draw(made, strategy)
    with pytest.raises(VerificationError):
        remove_planned_sample(
            actor=registration.learner, sample=plan.samples.first(), reason="Not mine"
        )
    assert plan.samples.active().count() == 1


def test_only_the_current_plan_can_be_adjusted(made: Centre_) -> None:
    today = clock.today()
    registration = add_learner(made, made.assessors[0])
    strategy = strategy_for(made)
    earlier = draw(made, strategy)
    current = draw(made, strategy)
    with pytest.raises(VerificationError, match="only the current plan"):
        remove_planned_sample(actor=made.iv, sample=earlier.samples.get(), reason="Too late")
    with pytest.raises(VerificationError, match="only the current plan"):
        add_planned_sample(
            actor=made.iv,
            plan=earlier,
            registration=registration,
            assessor=made.assessors[0],
            stage="summative",
            planned_on=today,
        )
    # The earlier plan keeps its sample untouched; the current one can change.
    assert earlier.samples.active().count() == 1
    remove_planned_sample(actor=made.iv, sample=current.samples.get(), reason="On leave")
    assert current.samples.active().count() == 0
