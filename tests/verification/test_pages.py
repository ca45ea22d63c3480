"""The sampling pages: who may see and change what, bad input, and fixed query counts."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Role, User
from core.models import AuditEvent
from tests.factories import member
from tests.support import clock
from tests.verification.cases import Centre_, add_learner, make_centre, strategy_for
from verification.models import AssessorRiskRating, PlannedSample, SamplingPlan, SamplingStrategy
from verification.services import draw_plan


@pytest.fixture
def made(catalogue: None) -> Centre_:
    made = make_centre()
    add_learner(made, made.assessors[0], name="Ana Lima", employer="Kwik Fit")
    add_learner(made, made.assessors[1], name="Ben Cole", employer="Halfords", complete=True)
    return made


def as_(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def drawn(made: Centre_) -> SamplingPlan:
    today = clock.today()
    end = today + datetime.timedelta(days=60)
    return draw_plan(actor=made.iv, strategy=strategy_for(made), period_start=today, period_end=end)


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def flash(response: object) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def test_the_pages_need_sign_in(client: Client, made: Centre_) -> None:
    plan = drawn(made)
    for url in (
        reverse("verification:strategies"),
        reverse("verification:ratings"),
        reverse("verification:plan", args=[plan.strategy_id]),
    ):
        assert client.get(url).status_code == 302


@pytest.mark.parametrize(
    ("role", "read", "change"),
    [
        (Role.INTERNAL_VERIFIER, 200, True),
        (Role.CENTRE_ADMIN, 200, True),
        (Role.EQA, 200, False),
        (Role.ASSESSOR, 403, False),
        (Role.LEARNER, 403, False),
    ],
)
def test_access_by_role_at_the_centre(
    client: Client, made: Centre_, role: str, read: int, change: bool
) -> None:
    today = clock.today()
    end = today + datetime.timedelta(days=60)
    plan = drawn(made)
    person = member(made.centre, role)
    as_(client, person)
    plan_url = reverse("verification:plan", args=[plan.strategy_id])
    assert client.get(reverse("verification:strategies")).status_code == read
    assert client.get(reverse("verification:ratings")).status_code == read
    page = client.get(plan_url)
    assert page.status_code == read
    edit = client.get(reverse("verification:strategy_edit", args=[made.qualification.pk]))
    assert edit.status_code == (200 if change else 403)
    if read == 200:
        assert "Ana Lima" in text(page)
        assert ("Draw a new plan" in text(page)) is change
    sample = plan.samples.first()
    remove = client.post(
        reverse("verification:remove_sample", args=[sample.pk]), {"reason": "Test"}
    )
    assert remove.status_code == (302 if change else 403)
    draw = client.post(
        reverse("verification:draw", args=[plan.strategy_id]),
        {"period_start": today.isoformat(), "period_end": end.isoformat()},
    )
    assert draw.status_code == (302 if change else 403)
    assert SamplingPlan.objects.count() == (2 if change else 1)
    assert PlannedSample.objects.exclude(removed_at=None).count() == (1 if change else 0)
    rate = client.post(
        reverse("verification:ratings"),
        {"assessor": made.assessors[0].pk, "rating": "experienced"},
    )
    assert rate.status_code == (302 if change else 403)
    assert AssessorRiskRating.objects.count() == (1 if change else 0)


@pytest.mark.parametrize("role", [Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN, Role.EQA])
def test_another_centres_staff_get_404(client: Client, made: Centre_, role: str) -> None:
    today = clock.today()
    end = today + datetime.timedelta(days=60)
    plan = drawn(made)
    elsewhere = make_centre(assessors=0)
    as_(client, member(elsewhere.centre, role))
    sample = plan.samples.first()
    assert client.get(reverse("verification:plan", args=[plan.strategy_id])).status_code == 404
    assert (
        client.post(
            reverse("verification:draw", args=[plan.strategy_id]),
            {"period_start": today.isoformat(), "period_end": end.isoformat()},
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("verification:remove_sample", args=[sample.pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert client.post(reverse("verification:add_sample", args=[plan.pk]), {}).status_code == 404
    # Their own centre offers the same qualification: the form is theirs, empty, not ours.
    if role != Role.EQA:
        url = reverse("verification:strategy_edit", args=[made.qualification.pk])
        assert "No strategy yet." in text(client.get(url))
    # Ratings are per centre: the other centre's assessors are not offered.
    if role == Role.INTERNAL_VERIFIER:
        response = client.post(
            reverse("verification:ratings"),
            {"assessor": made.assessors[0].pk, "rating": "experienced"},
        )
        assert response.status_code == 400
        assert not AssessorRiskRating.objects.exists()


def test_the_iv_sets_a_strategy_and_bad_input_keeps_what_was_typed(
    client: Client, made: Centre_
) -> None:
    as_(client, made.iv)
    url = reverse("verification:strategy_edit", args=[made.qualification.pk])
    fields = {
        "rate_new": "100",
        "rate_trainee": "100",
        "rate_under_confidence": "80",
        "rate_experienced": "140",
        "unit_share": "40",
        "interim_required": "on",
        "summative_required": "on",
        "cover_every_assessor": "on",
        "cover_every_method": "on",
    }
    response = client.post(url, fields)
    assert response.status_code == 400
    assert "less than or equal to 100" in text(response)
    assert 'value="80"' in text(response)
    assert not SamplingStrategy.objects.exists()
    response = client.post(url, {**fields, "rate_experienced": "20"})
    strategy = SamplingStrategy.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("verification:plan", args=[strategy.pk])
    assert (strategy.rate_under_confidence, strategy.rate_experienced) == (80, 20)
    assert strategy.cover_every_site is False
    assert AuditEvent.objects.filter(action="verification.strategy_created").exists()
    listing = client.get(reverse("verification:strategies"))
    assert "Version 1, experienced assessors 20 %" in text(listing)


def test_the_iv_rates_an_assessor_and_the_history_shows_it(client: Client, made: Centre_) -> None:
    as_(client, made.iv)
    url = reverse("verification:ratings")
    response = client.post(url, {"rating": "experienced"})
    assert response.status_code == 400
    # Beside the field, counted in the summary at the top; no longer a message.
    assert "This field is required." in text(response)
    assert "1 problem with this form" in text(response)
    assert flash(response) == []
    response = client.post(
        url,
        {"assessor": made.assessors[0].pk, "rating": "experienced", "reason": "Signed off"},
        follow=True,
    )
    assert "Assessor A is now rated experienced." in flash(response)
    row = text(response).split(f'data-testid="rating-{made.assessors[0].pk}"')[1]
    assert "Experienced" in row.split("</tr>")[0]
    assert "Signed off" in text(response)


def test_the_plan_page_shows_samples_coverage_and_whether_it_meets_the_strategy(
    client: Client, made: Centre_
) -> None:
    plan = drawn(made)
    as_(client, made.iv)
    page = text(client.get(reverse("verification:plan", args=[plan.strategy_id])))
    assert "The plan meets the strategy." in page
    samples = page.split('data-testid="samples"')[1].split("</table>")[0]
    assert "Ana Lima" in samples
    assert "Ben Cole" in samples
    assert "The whole portfolio" in samples  # Ben is complete: summative
    assert "Ivy Verifier" in samples
    sites = page.split('data-testid="coverage-sites"')[1].split("</table>")[0]
    assert "Halfords" in sites
    assert "Kwik Fit" in sites
    methods = page.split('data-testid="coverage-methods"')[1].split("</table>")[0]
    assert "Observation" in methods

    # Remove Ana's sample: the plan no longer meets the strategy, and says why.
    ana = plan.samples.get(registration__learner__full_name="Ana Lima")
    response = client.post(reverse("verification:remove_sample", args=[ana.pk]), {"reason": ""})
    assert response.status_code == 400
    # Beside the box of Ana's row (tests/verification/test_form_errors.py has the details).
    assert "Say why the sample is removed from the plan." in text(response)
    client.post(reverse("verification:remove_sample", args=[ana.pk]), {"reason": "On leave"})
    page = text(client.get(reverse("verification:plan", args=[plan.strategy_id])))
    assert "The plan does not meet the strategy" in page
    assert "Assessor A: 0 of 1 learner planned, the strategy asks 100 % (1)." in page
    assert "No sample covers the assessment site Kwik Fit" in page
    assert PlannedSample.objects.get(pk=ana.pk).removal_reason == "On leave"


def test_the_iv_adds_a_sample_and_bad_input_gets_a_message(client: Client, made: Centre_) -> None:
    today = clock.today()
    end = today + datetime.timedelta(days=60)
    plan = drawn(made)
    as_(client, made.iv)
    ana = made.registrations[0]
    url = reverse("verification:add_sample", args=[plan.pk])
    fields = {
        "registration": ana.pk,
        "assessor": made.assessors[0].pk,
        "stage": "summative",
        "planned_on": (end + datetime.timedelta(days=5)).isoformat(),
    }
    response = client.post(url, fields)
    assert response.status_code == 400
    assert "within the plan&#x27;s period" in text(response)
    response = client.post(url, {**fields, "planned_on": "next Tuesday"})
    assert response.status_code == 400
    assert "Enter a valid date." in text(response)
    assert flash(response) == []
    response = client.post(url, {**fields, "planned_on": end.isoformat()})
    assert response.status_code == 302
    added = plan.samples.get(source="manual")
    assert (added.registration, added.unit, added.stage) == (ana, None, "summative")
    assert AuditEvent.objects.filter(action="verification.sample_added").exists()


def test_a_bad_period_is_refused_with_a_message(client: Client, made: Centre_) -> None:
    today = clock.today()
    end = today + datetime.timedelta(days=60)
    strategy = strategy_for(made)
    as_(client, made.iv)
    response = client.post(
        reverse("verification:draw", args=[strategy.pk]),
        {"period_start": end.isoformat(), "period_end": today.isoformat()},
    )
    assert response.status_code == 400
    assert "The period must end on or after the day it starts." in text(response)
    assert flash(response) == []
    assert not SamplingPlan.objects.exists()
    assert "No plan has been drawn from this strategy yet." in text(response)


def test_the_home_pages_link_to_sampling(client: Client, made: Centre_) -> None:
    for person in (made.iv, made.admin, member(made.centre, Role.EQA)):
        as_(client, person)
        home = text(client.get("/"))
        assert reverse("verification:strategies") in home
        assert reverse("verification:standardisation_list") in home


def _centre_with(learners: int) -> Centre_:
    made = make_centre()
    for number in range(learners):
        add_learner(
            made,
            made.assessors[number % 2],
            employer=f"Garage {number % 4}",
            method=("observation", "questioning")[number % 2],
            complete=number % 3 == 0,
        )
    return made


def test_the_plan_page_costs_the_same_queries_for_3_and_30_registrations(
    client: Client, catalogue: None, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    counts = []
    for size in (3, 30):
        made = _centre_with(size)
        plan = drawn(made)
        assert plan.samples.count() >= size // 2
        url = reverse("verification:plan", args=[plan.strategy_id])
        as_(client, made.iv).get(url)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # Session, user, strategy (the roles to read and plan come from the header's memberships),
    # plan, samples, the population (registrations,
    # their assessors and units, decisions, ratings), earlier plans, the header's role switcher,
    # the add form's two lists (assessors, units: the learner is a search box, no list), which
    # learners' sample records the viewer may open, and the records and evidence the decisions
    # rest on.
    with django_assert_num_queries(16):  # type: ignore[operator]
        client.get(url)


def _plan_with(learners: int) -> SamplingPlan:
    """A plan whose size follows `learners`, with names of one length, so that the page's
    bytes depend on the number of samples alone."""
    made = make_centre()
    for number in range(learners):
        add_learner(
            made,
            made.assessors[number % 2],
            employer=f"Garage {number % 4}",
            method=("observation", "questioning")[number % 2],
            complete=number % 3 == 0,
            name=f"Learner {number:04d}",
        )
    return drawn(made)


def test_the_plan_page_grows_in_proportion_to_its_samples(
    client: Client, catalogue: None, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    """The page at 4x the samples: the same queries, not one more model instance built (the
    population and the samples are read as rows), and HTML that grows by a fixed amount per
    sample. The old page loaded every registration, its learner, units and assessors as
    objects, and counted its coverage in loops of samples x population."""
    from django.db.models.signals import post_init

    built: list[str] = []

    def count(sender: type, **kwargs: object) -> None:
        built.append(sender.__name__)

    measured = {}
    for learners in (6, 24):
        plan = _plan_with(learners)
        samples = plan.samples.count()
        url = reverse("verification:plan", args=[plan.strategy_id])
        as_(client, plan.created_by).get(url)
        built.clear()
        post_init.connect(count)
        try:
            # 16: the learner is a search box, not a list of every registration; the roles
            # come from the header's memberships.
            with django_assert_num_queries(16):  # type: ignore[operator]
                response = client.get(url)
        finally:
            post_init.disconnect(count)
        assert response.status_code == 200
        measured[learners] = (samples, sorted(built), len(response.content))

    (small, small_built, small_bytes), (large, large_built, large_bytes) = (
        measured[6],
        measured[24],
    )
    assert large == 4 * small
    assert large_built == small_built
    # Each sample is one row of the table with its record link and removal form; the rest of
    # the page (coverage tables, forms) grows with the population by far less.
    per_sample = (large_bytes - small_bytes) / (large - small)
    assert 600 < per_sample < 1_700, per_sample


def test_the_strategies_and_ratings_pages_cost_fixed_queries(
    client: Client, catalogue: None
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (1, 6):
        made = make_centre(assessors=size)
        strategy_for(made)
        for assessor in made.assessors:
            Membership.objects.get(user=assessor, role=Role.ASSESSOR)
            AssessorRiskRating.objects.create(
                centre=made.centre, assessor=assessor, rating="trainee", set_by=made.iv
            )
        as_(client, made.iv)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("verification:strategies")).status_code == 200
            assert client.get(reverse("verification:ratings")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_admin_lists_sampling_records_read_only(
    client: Client, made: Centre_, staff_user: User
) -> None:
    plan = drawn(made)
    as_(client, staff_user)
    for name in ("assessorriskrating", "samplingstrategy", "samplingplan", "plannedsample"):
        response = client.get(reverse(f"admin:verification_{name}_changelist"))
        assert response.status_code == 200
        assert client.get(reverse(f"admin:verification_{name}_add")).status_code == 403
    sample = plan.samples.first()
    url = reverse("admin:verification_plannedsample_delete", args=[sample.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert PlannedSample.objects.filter(pk=sample.pk).exists()


def test_the_plan_pages_learner_picker_searches_only_that_qualifications_open_registrations(
    client: Client, catalogue: None
) -> None:
    made = _centre_with(3)
    plan = drawn(made)
    strategy = plan.strategy

    html = as_(client, made.iv).get(reverse("verification:plan", args=[strategy.pk])).content
    page = html.decode().replace("&amp;", "&")

    search = reverse("portfolios:registration_search")
    assert f"{search}?qualification={strategy.qualification_id}&open=1&field=registration" in page
    # No list of every learner: the box and its (empty) matches.
    assert 'name="registration_search"' in page
    assert 'name="registration"' not in page.split('name="registration_search"')[1][:400]


def test_the_plan_page_draws_samples_by_assessor_unit_and_method(
    client: Client, made: Centre_
) -> None:
    """Ana's interim sample is of a unit (Assessor A); Ben, complete, is sampled whole
    (Assessor B): each heat map prints the counts, and its table holds the same."""
    plan = drawn(made)
    samples = {s.registration.learner.full_name: s for s in plan.samples.all()}
    assert samples["Ana Lima"].unit_id is not None
    assert samples["Ben Cole"].unit_id is None
    as_(client, made.iv)
    page = text(client.get(reverse("verification:plan", args=[plan.strategy_id])))

    units = page.split('data-testid="heat-units-table"')[1].split("</table>")[0]
    assert "Whole portfolio" in units
    a_row = units.split("Assessor A</th>")[1].split("</tr>")[0]
    b_row = units.split("Assessor B</th>")[1].split("</tr>")[0]
    # Columns: the judged unit, then the whole portfolio, then the total.
    assert a_row.count("<td>1</td>") == 2
    assert a_row.count("<td>0</td>") == 1
    assert b_row.count("<td>1</td>") == 2
    methods = page.split('data-testid="heat-methods-table"')[1].split("</table>")[0]
    assert "Observation" in methods
    heat = page.split('data-testid="heat-units"')[1].split("</figure>")[0]
    assert 'role="img"' in heat
    assert "Planned samples by assessor and unit: 2 assessors" in heat
    assert "Assessor A, Whole portfolio: 0" in heat
