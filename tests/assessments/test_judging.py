"""Judging in one form: every criterion a piece of evidence is mapped to, one submit, one
transaction, still an append-only log of decisions underneath."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.judging import JudgingError, RowJudgement, judge_evidence
from assessments.models import Decision
from assessments.models.judgement import Judgement
from assessments.services import AssessmentError, record_decision, sign_off_unit
from core.models import AuditEvent
from portfolios.models import Evidence, EvidenceStatus
from qualifications.models import AssessmentCriterion
from tests.assessments.judging_data import form_data
from tests.assessments.test_decisions import make_case
from tests.assessments.test_pages import ASSESS_QUERIES, assess_url, signed_in, submitted
from tests.factories import DEFAULT_PASSWORD, mapped_evidence
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.fixture
def case() -> dict:
    data = make_case()
    data["criteria"] = list(data["unit"].criteria.order_by("position")[:3])
    data["evidence"] = submitted(data, list(data["unit"].criteria.all()))
    return data


def taken_criteria(case: dict, count: int) -> list[AssessmentCriterion]:
    """`count` criteria of the learner's units (several units for 25)."""
    found = list(
        AssessmentCriterion.objects.filter(
            unit__in=case["registration"].unit_choices.values("unit")
        ).order_by("unit__key", "position")[:count]
    )
    assert len(found) == count
    return found


def judge(case: dict, rows: list[RowJudgement], **kw: object) -> object:
    today = clock.today()
    return judge_evidence(
        assessor=kw.pop("assessor", case["assessor"]),
        evidence=kw.pop("evidence", case["evidence"]),
        rows=rows,
        method=kw.pop("method", "product"),
        assessed_on=kw.pop("assessed_on", today),
        token=kw.pop("token", uuid.uuid4()),
        **kw,
    )


def judge_url(evidence: Evidence) -> str:
    return reverse("assessments:judge", args=[evidence.pk])


# ---------------------------------------------------------------- the service


def test_three_criteria_are_judged_in_one_submit_with_one_event_per_decision(case: dict) -> None:
    one, two, three = case["criteria"]
    untouched = case["unit"].criteria.exclude(pk__in=[c.pk for c in case["criteria"]]).first()
    events_before = AuditEvent.objects.count()

    result = judge(
        case,
        [
            RowJudgement(one.pk, "met", feedback="Clear."),
            RowJudgement(two.pk, "not_yet_met", feedback="Add the results."),
            RowJudgement(three.pk, "met"),
            RowJudgement(untouched.pk, ""),  # no judgement: no decision
        ],
        feedback="A good survey overall.",
    )

    decisions = list(Decision.objects.order_by("pk"))
    assert [(d.criterion_id, d.outcome) for d in decisions] == [
        (one.pk, "met"),
        (two.pk, "not_yet_met"),
        (three.pk, "met"),
    ]
    assert {d.method for d in decisions} == {"product"}
    assert decisions[1].feedback == "Add the results."
    assert all(list(d.evidence.all()) == [case["evidence"]] for d in decisions)
    judgement = Judgement.objects.get()
    assert judgement.feedback == "A good survey overall."
    assert set(judgement.decisions.all()) == set(decisions) == set(result.decisions)
    actions = list(
        AuditEvent.objects.order_by("sequence")[events_before:].values_list("action", flat=True)
    )
    # One event per decision, as record_decision writes, and one for the judgement; the
    # evidence still waits on its other mapped criteria, so it is not assessed yet.
    assert actions == ["decision.recorded"] * 3 + ["judgement.recorded"]


def test_a_form_recounts_the_learners_progress_once_and_it_agrees_with_a_full_recount(
    case: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assessments.judging
    from portfolios.readmodel import differences

    recounts: list[int] = []
    real = assessments.judging.refresh_progress

    def counted(registration: object) -> object:
        recounts.append(1)
        return real(registration)

    monkeypatch.setattr(assessments.judging, "refresh_progress", counted)
    criteria = list(case["unit"].criteria.order_by("position"))

    judge(case, [RowJudgement(criterion.pk, "met") for criterion in criteria])

    assert len(criteria) > 1
    assert recounts == [1]
    registration = case["registration"]
    assert list(differences(type(registration).objects.filter(pk=registration.pk))) == []
    registration.refresh_from_db()
    assert registration.progress.criteria_met == len(criteria)


def test_rows_left_unchanged_make_no_decision_and_an_empty_form_is_refused(case: dict) -> None:
    rows = [RowJudgement(c.pk, "") for c in case["criteria"]]

    with pytest.raises(JudgingError, match="at least one criterion"):
        judge(case, rows)

    assert not Decision.objects.exists()
    assert not Judgement.objects.exists()


def test_overall_feedback_alone_is_recorded_without_decisions(case: dict) -> None:
    judge(case, [RowJudgement(c.pk, "") for c in case["criteria"]], feedback="Seen; more to come.")

    assert not Decision.objects.exists()
    assert Judgement.objects.get().feedback == "Seen; more to come."


def test_the_same_form_sent_twice_records_once(case: dict) -> None:
    token = uuid.uuid4()
    rows = [RowJudgement(c.pk, "met") for c in case["criteria"]]
    first = judge(case, rows, token=token)
    events = AuditEvent.objects.count()

    second = judge(case, rows, token=token)

    assert second.replayed
    assert not first.replayed
    assert Decision.objects.count() == 3
    assert Judgement.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_a_stale_row_refuses_the_whole_submit_and_says_which_row(case: dict) -> None:
    today = clock.today()
    one, two, _ = case["criteria"]
    # The other assessor judges `two` after our form was drawn (it showed no decision).
    theirs = record_decision(
        assessor=case["other_assessor"],
        registration=case["registration"],
        criterion=two,
        outcome="met",
        method="observation",
        assessed_on=today,
        evidence=[mapped_evidence(case["registration"], two)],
    )

    with pytest.raises(JudgingError) as refused:
        judge(case, [RowJudgement(one.pk, "met"), RowJudgement(two.pk, "not_yet_met")])

    assert set(refused.value.rows) == {two.pk}
    assert "after you opened the form" in refused.value.rows[two.pk]
    # One transaction: the valid row was not recorded either.
    assert list(Decision.objects.all()) == [theirs]

    # Sent again having seen their decision, with a reason, it corrects it.
    judge(
        case,
        [RowJudgement(two.pk, "not_yet_met", reason="Results missing.", seen=theirs.pk)],
    )
    assert Decision.objects.current().get(criterion=two).supersedes == theirs


def test_a_correction_supersedes_the_decision_seen_and_needs_a_reason(case: dict) -> None:
    one = case["criteria"][0]
    judge(case, [RowJudgement(one.pk, "not_yet_met")])
    first = Decision.objects.get()

    with pytest.raises(JudgingError) as refused:
        judge(case, [RowJudgement(one.pk, "met", seen=first.pk)])
    assert refused.value.rows == {one.pk: "Say why the earlier decision is corrected."}

    judge(case, [RowJudgement(one.pk, "met", seen=first.pk, reason="Re-observed.")])
    second = Decision.objects.current().get()
    assert (second.supersedes, second.outcome, second.reason) == (first, "met", "Re-observed.")
    assert list(Decision.objects.order_by("pk")) == [first, second]  # append-only


def test_unmapped_and_locked_criteria_are_refused_by_their_rows(case: dict) -> None:
    today = clock.today()
    elsewhere = AssessmentCriterion.objects.exclude(unit=case["unit"]).first()
    narrow = submitted(case, case["criteria"][:1], title="Narrow")

    with pytest.raises(JudgingError) as refused:
        judge(
            case,
            [RowJudgement(case["criteria"][0].pk, "met"), RowJudgement(elsewhere.pk, "met")],
            evidence=narrow,
        )
    assert "no longer mapped" in refused.value.rows[elsewhere.pk]

    for criterion in case["unit"].criteria.all():
        record_decision(
            assessor=case["assessor"],
            registration=case["registration"],
            criterion=criterion,
            outcome="met",
            method="observation",
            assessed_on=today,
            evidence=[mapped_evidence(case["registration"], criterion)],
        )
    sign_off_unit(
        assessor=case["assessor"],
        registration=case["registration"],
        unit=case["unit"],
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )
    current = Decision.objects.current().get(criterion=case["criteria"][0])
    with pytest.raises(JudgingError) as locked:
        judge(case, [RowJudgement(current.criterion_id, "not_yet_met", seen=current.pk)])
    assert "signed off" in locked.value.rows[current.criterion_id]


def test_only_the_assigned_assessor_may_judge(case: dict) -> None:
    rows = [RowJudgement(case["criteria"][0].pk, "met")]

    for person in (case["learner"], case["iv"]):
        with pytest.raises(AssessmentError, match="assigned"):
            judge(case, rows, assessor=person)
    assert not Decision.objects.exists()


def test_judging_every_mapped_criterion_marks_the_evidence_assessed(case: dict) -> None:
    evidence = submitted(case, case["criteria"], title="Three")

    judge(case, [RowJudgement(c.pk, "met") for c in case["criteria"]], evidence=evidence)

    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.ASSESSED
    assert AuditEvent.objects.order_by("-sequence").first().action == "evidence.assessed"


# ---------------------------------------------------------------- the page and its form


def test_the_form_judges_three_criteria_in_one_post_and_redirects_without_javascript(
    client: Client, case: dict
) -> None:
    one, two, three = case["criteria"]
    data = form_data(
        case["evidence"],
        {one: "met", two: "not_yet_met", three: "met"},
        feedback={two: "Add the results."},
        overall="Good work.",
    )

    response = signed_in(client, case["assessor"]).post(judge_url(case["evidence"]), data)

    assert response.status_code == 302
    assert response["Location"].startswith(assess_url(case["evidence"]))
    assert Decision.objects.count() == 3
    page = client.get(response["Location"]).content.decode()
    assert "3 criteria judged" in page
    assert "Good work." in page  # the overall feedback shows on the page


def test_with_htmx_the_form_comes_back_in_place_with_the_result(client: Client, case: dict) -> None:
    one = case["criteria"][0]
    data = form_data(case["evidence"], {one: "met"})

    response = signed_in(client, case["assessor"]).post(
        judge_url(case["evidence"]), data, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment, not a page
    assert 'id="judging"' in html
    assert 'data-testid="judging-result"' in html
    assert "1 criterion judged" in html
    assert 'hx-swap-oob="true"' in html  # the evidence's status, updated in place
    assert data["token"] not in html  # a fresh form: the next submit is a new judgement
    assert Decision.objects.get().criterion == one


def test_a_stale_form_keeps_what_was_typed_and_marks_the_row(client: Client, case: dict) -> None:
    today = clock.today()
    one, two, _ = case["criteria"]
    data = form_data(
        case["evidence"],
        {one: "met", two: "not_yet_met"},
        feedback={one: "My careful words on 1.", two: "My careful words on 2."},
        overall="Overall words.",
    )
    theirs = record_decision(
        assessor=case["other_assessor"],
        registration=case["registration"],
        criterion=two,
        outcome="met",
        method="observation",
        assessed_on=today,
        evidence=[mapped_evidence(case["registration"], two)],
    )

    response = signed_in(client, case["assessor"]).post(
        judge_url(case["evidence"]), data, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert f'data-testid="row-error-{two.pk}"' in html
    assert f'data-testid="row-error-{one.pk}"' not in html
    assert "after you opened the form" in html
    for typed in ("My careful words on 1.", "My careful words on 2.", "Overall words."):
        assert typed in html
    assert f'id="c{two.pk}-not-yet" checked' in html
    # The form now shows their decision, so sending it again corrects it knowingly.
    assert f'name="c{two.pk}-seen" value="{theirs.pk}"' in html
    assert list(Decision.objects.all()) == [theirs]


def test_the_same_form_posted_twice_makes_no_new_decisions(client: Client, case: dict) -> None:
    data = form_data(case["evidence"], dict.fromkeys(case["criteria"], "met"))
    signed_in(client, case["assessor"])

    client.post(judge_url(case["evidence"]), data)
    again = client.post(judge_url(case["evidence"]), data, headers={"HX-Request": "true"})

    assert Decision.objects.count() == 3
    assert "already recorded" in again.content.decode()


@pytest.mark.parametrize("who", ["learner", "iv"])
def test_the_learner_and_the_iv_get_403_posting_the_form(
    client: Client, case: dict, who: str
) -> None:
    data = form_data(case["evidence"], {case["criteria"][0]: "met"})

    response = signed_in(client, case[who]).post(judge_url(case["evidence"]), data)

    assert response.status_code == 403
    assert not Decision.objects.exists()


def test_a_bad_date_is_shown_by_its_field_keeping_the_rows(client: Client, case: dict) -> None:
    today = clock.today()
    one = case["criteria"][0]
    data = form_data(
        case["evidence"],
        {one: "met"},
        feedback={one: "Kept words."},
        assessed_on=today + datetime.timedelta(days=3),
    )

    response = signed_in(client, case["assessor"]).post(judge_url(case["evidence"]), data)

    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="judging-date-error"' in html
    assert "cannot be in the future" in html
    assert "Kept words." in html
    assert not Decision.objects.exists()


def test_the_old_one_criterion_address_redirects_to_the_criterion(
    client: Client, case: dict
) -> None:
    one = case["criteria"][0]
    url = reverse("assessments:judge_criterion", args=[case["evidence"].pk, one.pk])

    response = signed_in(client, case["assessor"]).post(url, {"c1-outcome": "met"})

    assert response.status_code == 302
    assert response["Location"] == f"{assess_url(case['evidence'])}#criterion-{one.pk}"
    assert not Decision.objects.exists()


# ---------------------------------------------------------------- cost


def test_the_page_and_the_submit_cost_the_same_queries_for_5_and_25_criteria(
    client: Client, case: dict, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    few = submitted(case, taken_criteria(case, 5), title="Five")
    many = submitted(case, taken_criteria(case, 25), title="Twenty-five")
    signed_in(client, case["assessor"]).get(assess_url(few))

    for evidence in (few, many):
        with django_assert_num_queries(ASSESS_QUERIES):  # type: ignore[operator]
            html = client.get(assess_url(evidence)).content.decode()
        assert html.count('value="met" id="c') == evidence.mappings.count()

    # Judging three criteria costs the same whatever else the evidence is mapped to; the
    # criteria differ, so each submit makes three first decisions.
    counts = []
    pairs = ((few, taken_criteria(case, 5)[:3]), (many, taken_criteria(case, 25)[-3:]))
    for evidence, criteria in pairs:
        data = form_data(evidence, dict.fromkeys(criteria, "met"))
        with CaptureQueriesContext(connection) as queries:
            assert client.post(judge_url(evidence), data).status_code == 302
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_mapping_form_draws_the_mapped_units_and_loads_another_when_opened(
    client: Client, case: dict
) -> None:
    other = (
        (case["registration"].unit_choices.exclude(unit=case["unit"]).select_related("unit"))
        .first()
        .unit
    )
    their = other.criteria.order_by("position").first()
    mine = case["criteria"][0]
    unit_url = reverse("assessments:mapping_unit", args=[case["evidence"].pk, other.pk])
    signed_in(client, case["assessor"])

    page = client.get(assess_url(case["evidence"])).content.decode()
    assert f'id="map-criterion-{mine.pk}" checked' in page
    assert f'id="map-criterion-{their.pk}"' not in page  # not drawn until opened
    assert f'hx-get="{unit_url}"' in page
    assert f'href="?map_unit={other.pk}#map-unit-{other.pk}"' in page  # without JavaScript

    opened = client.get(unit_url).content.decode()
    assert f'id="map-criterion-{their.pk}"' in opened
    assert "checked" not in opened
    without_js = client.get(assess_url(case["evidence"]), {"map_unit": other.pk})
    assert f'id="map-criterion-{their.pk}"' in without_js.content.decode()

    assert signed_in(client, case["learner"]).get(unit_url).status_code == 403
