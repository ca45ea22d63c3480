"""Assessment forms sent back with errors: each beside its field, counted in a summary at the
top, what was typed kept, and a 400 (see tests/support/forms.py)."""

# ruff: noqa: F811 (fixtures imported from the pages' own tests are the test parameters)

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import AssessorRecord, DecisionValidation
from tests.assessments.test_records import (  # noqa: F401 (fixture)
    case,
    create_url,
    form_data,
    media,
    observation,
    signed_in,
)
from tests.assessments.test_release import as_user, decide, pearson_case
from tests.support.forms import error_beside, parse, summary, value_of

pytestmark = pytest.mark.usefixtures("catalogue")


def test_a_question_without_its_answer_is_shown_beside_the_answer(
    client: Client, case: dict
) -> None:
    """QuestionForm's cross-field rule: a question needs its answer, and an answer its question."""
    data = form_data(
        case,
        **{
            "questions-0-question": "Why confirm the booking?",
            "questions-1-answer": "Because the customer asked.",
        },
    )

    response = signed_in(client, case["assessor"]).post(create_url(case, "questioning"), data)

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "2 problems with this form"
    assert [target for target, _ in items] == ["id_questions-0-answer", "id_questions-1-question"]
    assert error_beside(html, "id_questions-0-answer") == (
        "Write down the learner's answer to this question."
    )
    assert error_beside(html, "id_questions-1-question") == (
        "Write down the question this answer was given to."
    )
    assert value_of(html, "id_questions-0-question") == "Why confirm the booking?"
    assert value_of(html, "id_title") == "Greeting customers at the service desk"
    assert not AssessorRecord.objects.exists()


def test_questioning_without_any_question_says_so_at_the_top(client: Client, case: dict) -> None:
    """The question formset's own rule (at least one pair): an error about the whole list."""
    response = signed_in(client, case["assessor"]).post(
        create_url(case, "questioning"), form_data(case, title="")
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "2 problems with this form"
    assert ("", "Record at least one question and the learner's answer.") in items
    assert ("id_title", "Title: This field is required.") in items
    assert error_beside(html, "id_title") == "This field is required."


def test_disagreeing_without_a_comment_is_shown_beside_the_comment(
    client: Client, case: dict
) -> None:
    """AcknowledgeForm's cross-field rule: a disagreement says what it is about."""
    record = observation(case)

    response = signed_in(client, case["learner"]).post(
        reverse("assessments:record_acknowledge", args=[record.pk]),
        {"disagrees": "on", "comment": "  "},
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert [target for target, _ in items] == ["id_comment"]
    assert "Say what you disagree with" in error_beside(html, "id_comment")
    assert "checked" in parse(html).by_id["id_disagrees"].attrs
    record.refresh_from_db()
    assert record.acknowledged_at is None


def test_a_referral_without_a_comment_is_shown_beside_the_comment(client: Client) -> None:
    """ValidateForm's cross-field rule: a referral says why."""
    case = pearson_case()
    decision = decide(case, case["criterion"])
    as_user(client, case["iv"])

    response = client.post(
        reverse("assessments:validate"), {"decisions": [decision.pk], "outcome": "referred"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert [target for target, _ in items] == ["id_comment"]
    assert "Say why the decisions are referred back" in error_beside(html, "id_comment")
    assert "checked" in parse(html).by_id[f"decision-{decision.pk}"].attrs
    assert not DecisionValidation.objects.exists()


def test_validating_nothing_links_to_the_list_of_decisions(client: Client) -> None:
    case = pearson_case()
    decide(case, case["criterion"])
    as_user(client, case["iv"])

    response = client.post(reverse("assessments:validate"), {"outcome": "agreed"})

    assert response.status_code == 400
    html = response.content.decode()
    heading, items = summary(html)
    assert heading == "1 problem with this form"
    assert items == [("id_decisions", "Decisions: Choose at least one decision.")]
    assert "Choose at least one decision." in parse(html).by_id["id_decisions"].text
