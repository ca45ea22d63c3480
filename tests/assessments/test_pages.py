"""The assessor's pages: the queue, assessing evidence, and a unit's sign-off and unlock."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from assessments.models import Decision, UnitSignOff
from assessments.services import record_decision, sign_off_unit
from portfolios import evidence as evidence_services
from portfolios.models import Evidence, EvidenceStatus, Registration
from qualifications.models import AssessmentCriterion
from tests.assessments.judging_data import form_data
from tests.assessments.test_decisions import make_case
from tests.factories import DEFAULT_PASSWORD, CentreFactory, mapped_evidence, member
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

# Session, user, the header's memberships (which also answer "is an assessor here"), evidence,
# assignment, files, mappings, decisions, sign-offs, the centre's release setting, the
# judgements' overall feedback, and for the mapping form the learner's units, outcomes and
# criteria.
ASSESS_QUERIES = 14


@pytest.fixture
def case() -> dict:
    data = make_case()
    data["criterion"] = data["unit"].criteria.get(number="1.1")
    data["evidence"] = submitted(data, [data["criterion"]])
    return data


def submitted(case: dict, criteria: list[AssessmentCriterion], title: str = "Survey") -> Evidence:
    today = clock.today()
    learner = case["learner"]
    evidence = evidence_services.evidence_create(
        actor=learner,
        registration=case["registration"],
        title=title,
        evidence_date=today,
        method="product",
        context="real_work_paid",
        description="A survey I ran.",
    )
    evidence_services.map_criteria(actor=learner, evidence=evidence, criteria=criteria)
    evidence_services.submit(
        actor=learner, evidence=evidence, typed_name=learner.full_name, confirmed=True
    )
    return evidence


def assess_url(evidence: Evidence) -> str:
    return reverse("assessments:assess", args=[evidence.pk])


def judge_url(evidence: Evidence) -> str:
    return reverse("assessments:judge", args=[evidence.pk])


def unit_url(case: dict, name: str = "unit") -> str:
    return reverse(f"assessments:{name}", args=[case["registration"].pk, case["unit"].pk])


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def decide_all(case: dict) -> None:
    today = clock.today()
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


# ---------------------------------------------------------------- who may see and act


def test_the_assigned_assessor_sees_the_evidence_with_its_declaration_and_a_form(
    client: Client, case: dict
) -> None:
    response = signed_in(client, case["assessor"]).get(assess_url(case["evidence"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="declaration"' in html
    assert "Record the judgements" in html
    assert f'name="c{case["criterion"].pk}-outcome"' in html
    assert "Return to the learner" in html


def test_an_unassigned_assessor_and_another_centres_assessor_get_404(
    client: Client, case: dict
) -> None:
    stranger = member(case["centre"], Role.ASSESSOR)
    elsewhere = member(CentreFactory(), Role.ASSESSOR)

    for person in (stranger, elsewhere):
        signed_in(client, person)
        assert client.get(assess_url(case["evidence"])).status_code == 404
        assert client.get(unit_url(case)).status_code == 404
        response = client.post(judge_url(case["evidence"]), {})
        assert response.status_code == 404
    assert not Decision.objects.exists()


def test_the_learner_reads_the_page_without_forms_and_gets_403_on_post(
    client: Client, case: dict
) -> None:
    signed_in(client, case["learner"])

    html = client.get(assess_url(case["evidence"])).content.decode()
    assert "Record the judgements" not in html
    assert "Return to the learner" not in html
    judged = client.post(
        judge_url(case["evidence"]), form_data(case["evidence"], {case["criterion"]: "met"})
    )
    returned = client.post(
        reverse("assessments:return", args=[case["evidence"].pk]), {"feedback": "x"}
    )
    signed = client.post(
        unit_url(case, "sign_off"), {"password": DEFAULT_PASSWORD, "declared_authentic": "on"}
    )

    assert (judged.status_code, returned.status_code, signed.status_code) == (403, 403, 403)
    assert not Decision.objects.exists()


def test_the_pages_need_sign_in(client: Client, case: dict) -> None:
    response = client.get(assess_url(case["evidence"]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ---------------------------------------------------------------- judging and correcting


def test_the_assessor_judges_a_criterion_and_a_double_submit_records_it_once(
    client: Client, case: dict
) -> None:
    signed_in(client, case["assessor"])
    data = form_data(
        case["evidence"],
        {case["criterion"]: "not_yet_met"},
        feedback={case["criterion"]: "Add the results."},
    )

    first = client.post(judge_url(case["evidence"]), data)
    second = client.post(judge_url(case["evidence"]), data, follow=True)

    assert first.status_code == 302
    decision = Decision.objects.get()
    assert (decision.outcome, decision.feedback) == ("not_yet_met", "Add the results.")
    assert list(decision.evidence.all()) == [case["evidence"]]
    assert "already recorded" in second.content.decode()


def test_a_correction_needs_a_reason_and_both_decisions_stay_visible(
    client: Client, case: dict
) -> None:
    signed_in(client, case["assessor"])
    url = judge_url(case["evidence"])
    client.post(url, form_data(case["evidence"], {case["criterion"]: "not_yet_met"}))
    first = Decision.objects.get()

    refused = client.post(url, form_data(case["evidence"], {case["criterion"]: "met"}))
    assert refused.status_code == 400
    assert "Say why" in refused.content.decode()
    client.post(
        url,
        form_data(
            case["evidence"],
            {case["criterion"]: "met"},
            reasons={case["criterion"]: "Re-observed."},
        ),
    )

    second = Decision.objects.current().get()
    assert second.supersedes == first
    assert second.outcome == "met"
    html = client.get(assess_url(case["evidence"])).content.decode()
    assert f'data-testid="decision-{first.pk}"' in html
    assert "Superseded" in html
    assert "Re-observed." in html


def test_a_first_decision_posted_after_someone_elses_is_refused_with_a_message(
    client: Client, case: dict
) -> None:
    # The form as drawn before the other assessor decided.
    today = clock.today()
    data = form_data(case["evidence"], {case["criterion"]: "not_yet_met"})
    record_decision(
        assessor=case["other_assessor"],
        registration=case["registration"],
        criterion=case["criterion"],
        outcome="met",
        method="observation",
        assessed_on=today,
        evidence=[mapped_evidence(case["registration"], case["criterion"])],
    )

    response = signed_in(client, case["assessor"]).post(judge_url(case["evidence"]), data)

    assert response.status_code == 400
    assert "after you opened the form" in response.content.decode()
    assert Decision.objects.count() == 1


def test_a_criterion_the_evidence_is_not_mapped_to_is_refused_by_its_row(
    client: Client, case: dict
) -> None:
    other = case["unit"].criteria.get(number="1.2")
    data = form_data(case["evidence"], {case["criterion"]: "met"})
    data["rows"] += f",{other.pk}"
    data[f"c{other.pk}-outcome"] = "met"
    data[f"c{other.pk}-feedback"] = "Shows every customer type."

    response = signed_in(client, case["assessor"]).post(judge_url(case["evidence"]), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "no longer mapped" in html
    assert "Shows every customer type." in html  # what was typed in the refused row is kept
    assert not Decision.objects.exists()


# ---------------------------------------------------------------- returning


def test_returning_needs_feedback_and_a_double_submit_is_harmless(
    client: Client, case: dict
) -> None:
    signed_in(client, case["assessor"])
    url = reverse("assessments:return", args=[case["evidence"].pk])

    assert client.post(url, {"feedback": ""}).status_code == 400
    assert client.post(url, {"feedback": "Add the results."}).status_code == 302
    again = client.post(url, {"feedback": "Add the results."}, follow=True)

    case["evidence"].refresh_from_db()
    assert case["evidence"].status == EvidenceStatus.RETURNED
    assert "already returned" in again.content.decode()


# ---------------------------------------------------------------- sign-off and unlock


def test_sign_off_is_offered_only_when_every_criterion_is_met(client: Client, case: dict) -> None:
    signed_in(client, case["assessor"])
    assert "Sign off the unit" not in client.get(unit_url(case)).content.decode()

    decide_all(case)

    html = client.get(unit_url(case)).content.decode()
    assert "Sign off the unit" in html
    assert "Mandatory unit missing" in html  # completion: what remains


def test_sign_off_refuses_a_wrong_password_and_signs_once_with_the_right_one(
    client: Client, case: dict
) -> None:
    decide_all(case)
    signed_in(client, case["assessor"])

    wrong = client.post(
        unit_url(case, "sign_off"), {"password": "not-it", "declared_authentic": "on"}
    )
    assert wrong.status_code == 400
    assert "password is not right" in wrong.content.decode()
    assert not UnitSignOff.objects.exists()

    client.post(
        unit_url(case, "sign_off"), {"password": DEFAULT_PASSWORD, "declared_authentic": "on"}
    )
    again = client.post(
        unit_url(case, "sign_off"),
        {"password": DEFAULT_PASSWORD, "declared_authentic": "on"},
        follow=True,
    )

    sign_off = UnitSignOff.objects.get()
    html = again.content.decode()
    assert "already signed off" in html
    assert sign_off.content_hash in html
    # The unit's decisions are locked: no judging form on the evidence any more.
    assert "Record the" not in client.get(assess_url(case["evidence"])).content.decode()


def test_the_iv_unlocks_with_a_reason_and_the_assessor_cannot(client: Client, case: dict) -> None:
    decide_all(case)
    signed = sign_off_unit(
        assessor=case["assessor"],
        registration=case["registration"],
        unit=case["unit"],
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )
    assessor_html = signed_in(client, case["assessor"]).get(unit_url(case)).content.decode()
    assert "Unlock the unit" not in assessor_html
    assert (
        client.post(unit_url(case, "unlock"), {"sign_off": signed.pk, "reason": "x"}).status_code
        == 403
    )

    signed_in(client, case["iv"])
    assert "Unlock the unit" in client.get(unit_url(case)).content.decode()
    refused = client.post(unit_url(case, "unlock"), {"sign_off": signed.pk, "reason": ""})
    assert refused.status_code == 400
    client.post(unit_url(case, "unlock"), {"sign_off": signed.pk, "reason": "Referred: 1.3 thin."})

    signed.refresh_from_db()
    assert signed.unlocked_by == case["iv"]
    assert "Referred: 1.3 thin." in client.get(unit_url(case)).content.decode()


def test_a_centre_admin_reads_the_unit_page_and_may_unlock(client: Client, case: dict) -> None:
    decide_all(case)
    signed = sign_off_unit(
        assessor=case["assessor"],
        registration=case["registration"],
        unit=case["unit"],
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )

    signed_in(client, case["admin"])
    client.post(unit_url(case, "unlock"), {"sign_off": signed.pk, "reason": "Signed in error."})

    assert UnitSignOff.objects.active().count() == 0


# ---------------------------------------------------------------- the queue


def test_the_queue_lists_submitted_evidence_oldest_first_and_nothing_else(
    client: Client, case: dict
) -> None:
    later = submitted(case, [case["criterion"]], title="Later survey")
    elsewhere = make_case()
    foreign = submitted(
        elsewhere, list(elsewhere["unit"].criteria.filter(number="1.1")), title="Not mine"
    )

    html = signed_in(client, case["assessor"]).get(reverse("assessments:queue")).content.decode()

    assert html.index(f"queued-{case['evidence'].pk}") < html.index(f"queued-{later.pk}")
    assert f"queued-{foreign.pk}" not in html


def _queue_registration(case: dict, n: int) -> Registration:
    for i in range(n):
        submitted(case, [case["criterion"]], title=f"Evidence {i}")
    return case["registration"]


def test_the_queue_costs_the_same_queries_for_3_and_30_items(
    client: Client, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    small, large = make_case(), make_case()
    for data in (small, large):
        data["criterion"] = data["unit"].criteria.get(number="1.1")
    _queue_registration(small, 3)
    _queue_registration(large, 30)
    url = reverse("assessments:queue")
    signed_in(client, small["assessor"]).get(url)

    # Session, user, membership, count, page.
    with django_assert_num_queries(5):  # type: ignore[operator]
        client.get(url)
    signed_in(client, large["assessor"]).get(url)
    with django_assert_num_queries(5):  # type: ignore[operator]
        response = client.get(url)
    assert response.content.decode().count('data-testid="queued-') == 25


def test_the_assessing_page_costs_the_same_queries_for_one_and_many_criteria(
    client: Client, case: dict, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    today = clock.today()
    many = submitted(case, list(case["unit"].criteria.all()), title="Everything")
    for criterion in case["unit"].criteria.all()[:4]:
        record_decision(
            assessor=case["assessor"],
            registration=case["registration"],
            criterion=criterion,
            outcome="not_yet_met",
            method="observation",
            assessed_on=today,
            evidence=[many],
        )
    signed_in(client, case["assessor"]).get(assess_url(case["evidence"]))

    with django_assert_num_queries(ASSESS_QUERIES):  # type: ignore[operator]
        client.get(assess_url(case["evidence"]))
    with django_assert_num_queries(ASSESS_QUERIES):  # type: ignore[operator]
        client.get(assess_url(many))
