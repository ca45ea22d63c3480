"""Pearson BTEC: an assessor's return for resubmission is feedback, validated before the learner
has it.

Pearson BTEC Level 3 Certificate and Diploma for Customer Service Specialists, section 8
"Issuing assessment decisions and feedback" (specification line 452): the information given to
the learner "must be validated by an Internal Verifier before it is given to the learner". Where
validation is required, a return is held for the learner's IV: the evidence stays submitted
("with the assessor"), its feedback is nowhere the learner can read it and nobody e-mails them,
until the IV agrees; a referral goes back to the assessor, whose new return waits in its turn.
Where validation is not required, a return reaches the learner at once as before.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from assessments.models import HeldReturn, ReturnValidation
from assessments.notifications import notify_learner
from assessments.services import AssessmentError, record_decision, return_evidence
from assessments.validation import validate_return
from core.models import AuditEvent
from portfolios import evidence as evidence_services
from portfolios.export import portfolio_manifest
from portfolios.models import Evidence, EvidenceStatus
from tests.assessments.test_decisions import make_case
from tests.assessments.test_release import PEARSON_WORDS, as_user, pages, pearson_case, submitted
from tests.factories import CentreFactory, MembershipFactory, member
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")

# Why attainment has not been shown, as Pearson's feedback rule allows (no advice).
HELD = "AC1.1 not demonstrated: the survey names no customer and no date."
SECOND = "AC1.1 not demonstrated: the survey's customers are not identified."


def test_the_specification_says_feedback_is_validated_before_it_is_given() -> None:
    case = pearson_case()
    assert PEARSON_WORDS in case["qualification"].validation_rule


def returned_on_the_page(client: Client, case: dict, evidence: Evidence, feedback: str) -> None:
    response = as_user(client, case["assessor"]).post(
        reverse("assessments:return", args=[evidence.pk]), {"feedback": feedback}
    )
    assert response.status_code == 302


def learner_reads(client: Client, case: dict, evidence: Evidence) -> str:
    """Everything the learner's pages show of the evidence, and their portfolio's export."""
    as_user(client, case["learner"])
    urls = pages(case, evidence)
    html = "".join(
        client.get(urls[name]).content.decode()
        for name in ("detail", "portfolio", "portfolio_unit", "unit")
    )
    manifest, _ = portfolio_manifest(case["registration"].pk)
    return html + json.dumps(manifest, default=str)


def test_a_pearson_return_reaches_the_learner_only_once_the_iv_agrees_it(
    client: Client, django_capture_on_commit_callbacks: pytest.FixtureRequest
) -> None:
    case = pearson_case()
    evidence = submitted(case, [case["criterion"]])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        returned_on_the_page(client, case, evidence, HELD)
    held = HeldReturn.objects.get(evidence=evidence)
    assert (held.assessor, held.feedback) == (case["assessor"], HELD)
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.SUBMITTED  # still with the assessor
    assert mail.outbox == []  # nobody tells the learner
    event = AuditEvent.objects.get(action="evidence.return_held")
    assert (event.actor, event.object_id, event.data["feedback"]) == (
        case["assessor"],
        str(held.pk),
        HELD,
    )
    # The assessor's queue still lists it, marked; their page says it waits, and offers no
    # second return.
    html = as_user(client, case["assessor"]).get(reverse("assessments:queue")).content.decode()
    assert "Returned: awaiting internal verification" in html
    html = as_user(client, case["assessor"]).get(pages(case, evidence)["assess"]).content.decode()
    assert "awaiting internal verification" in html
    assert HELD in html
    assert "Return to the learner" not in html

    # Nor would a stray "returned" message for it, queued by anything else.
    assert notify_learner(evidence_id=evidence.pk, event="returned") is False
    assert mail.outbox == []

    seen = learner_reads(client, case, evidence)
    assert HELD not in seen
    assert "Returned for resubmission" not in seen
    assert "returned for resubmission" not in seen
    assert '"status": "returned"' not in seen  # the export neither

    # The IV reads it in their queue and agrees it there.
    queue = as_user(client, case["iv"]).get(reverse("assessments:validation_queue"))
    assert f'data-testid="return-{held.pk}"' in queue.content.decode()
    assert HELD in queue.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(
            reverse("assessments:validate_returns"),
            {"return-held": [held.pk], "return-outcome": "agreed", "return-comment": ""},
        )
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.RETURNED
    assert ReturnValidation.objects.get(held_return=held).validator == case["iv"]
    assert [m.subject for m in mail.outbox] == ["Your evidence “Survey” needs changes"]
    actions = list(
        AuditEvent.objects.filter(action__startswith="evidence").values_list("action", flat=True)
    )
    assert actions[-3:] == ["evidence.return_held", "evidence.returned", "evidence_return.agreed"]
    returned = AuditEvent.objects.get(action="evidence.returned")
    assert returned.actor == case["iv"]
    assert returned.data["returned_by"] == case["assessor"].pk

    seen = learner_reads(client, case, evidence)
    assert HELD in seen
    assert "Returned for resubmission" in seen
    # And the learner may now start the new version the return asks for.
    new = evidence_services.resubmit(actor=case["learner"], evidence=evidence)
    assert new.version == 2


def test_the_iv_refers_a_return_back_and_the_assessors_new_return_waits_in_its_turn(
    client: Client, django_capture_on_commit_callbacks: pytest.FixtureRequest
) -> None:
    case = pearson_case()
    evidence = submitted(case, [case["criterion"]])
    returned_on_the_page(client, case, evidence, HELD)
    held = HeldReturn.objects.get(evidence=evidence)
    mail.outbox.clear()

    # A referral says why.
    as_user(client, case["iv"])
    response = client.post(
        reverse("assessments:validate_returns"),
        {"return-held": [held.pk], "return-outcome": "referred", "return-comment": " "},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say why the returns are referred back to the assessor." in html
    assert re.search(rf'value="{held.pk}" id="return-{held.pk}" checked', html)  # kept

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        client.post(
            reverse("assessments:validate_returns"),
            {
                "return-held": [held.pk],
                "return-outcome": "referred",
                "return-comment": "The survey does name a customer: assess it.",
            },
        )
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.SUBMITTED
    assert mail.outbox == []
    assert AuditEvent.objects.filter(
        action="evidence_return.referred", object_id=str(held.validation.pk)
    ).exists()
    assert HELD not in learner_reads(client, case, evidence)
    queue = as_user(client, case["iv"]).get(reverse("assessments:validation_queue"))
    assert f'data-testid="return-{held.pk}"' not in queue.content.decode()

    # The assessor reads the referral, and may return it again with other feedback.
    html = as_user(client, case["assessor"]).get(pages(case, evidence)["assess"]).content.decode()
    assert "The internal verifier referred the return back" in html
    assert "The survey does name a customer: assess it." in html
    assert "Return to the learner" in html
    returned_on_the_page(client, case, evidence, SECOND)
    second = HeldReturn.objects.waiting().get(evidence=evidence)
    assert second.pk != held.pk
    assert SECOND not in learner_reads(client, case, evidence)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        validate_return(validator=case["iv"], held=second, outcome="agreed")
    seen = learner_reads(client, case, evidence)
    assert SECOND in seen
    assert HELD not in seen  # the referred return was never given
    assert len(mail.outbox) == 1


def test_the_rules_of_validating_a_return_are_refused_by_name() -> None:
    today = clock.today()
    case = pearson_case()
    evidence = submitted(case, [case["criterion"]])
    return_evidence(assessor=case["assessor"], evidence=evidence, feedback=HELD)
    held = HeldReturn.objects.get(evidence=evidence)

    with pytest.raises(AssessmentError, match="waits for the internal verifier"):
        return_evidence(assessor=case["assessor"], evidence=evidence, feedback=SECOND)
    with pytest.raises(AssessmentError, match="Only the learner's internal verifier"):
        validate_return(validator=case["assessor"], held=held, outcome="agreed")
    with pytest.raises(AssessmentError, match="Say why the return is referred"):
        validate_return(validator=case["iv"], held=held, outcome="referred")

    # An IV who returned the evidence themselves (also an assessor of the learner) may not.
    case["registration"].assessors.add(case["iv"])
    MembershipFactory(user=case["iv"], centre=case["centre"], role=Role.ASSESSOR)
    other = submitted(case, [case["criterion"]], title="Diary")
    return_evidence(assessor=case["iv"], evidence=other, feedback=HELD)
    with pytest.raises(AssessmentError, match="another internal verifier must validate it"):
        validate_return(
            validator=case["iv"], held=HeldReturn.objects.get(evidence=other), outcome="agreed"
        )

    # Assessed since the return: there is nothing to give back; the IV refers it instead.
    record_decision(
        assessor=case["assessor"],
        registration=case["registration"],
        criterion=case["criterion"],
        outcome="met",
        method="product",
        assessed_on=today,
        feedback="AC1.1 met: the survey covers every point.",
        evidence=[evidence],
    )
    with pytest.raises(AssessmentError, match="refer the return back to the assessor"):
        validate_return(validator=case["iv"], held=held, outcome="agreed")
    validate_return(validator=case["iv"], held=held, outcome="referred", comment="Assessed.")
    with pytest.raises(AssessmentError, match="already validated"):
        validate_return(validator=case["iv"], held=held, outcome="referred", comment="Again.")
    assert Evidence.objects.get(pk=evidence.pk).status == EvidenceStatus.ASSESSED


def test_another_ivs_queue_never_shows_the_return_and_their_post_is_refused(
    client: Client,
) -> None:
    case = pearson_case()
    evidence = submitted(case, [case["criterion"]])
    return_evidence(assessor=case["assessor"], evidence=evidence, feedback=HELD)
    held = HeldReturn.objects.get(evidence=evidence)
    same_centre_iv = member(case["centre"], Role.INTERNAL_VERIFIER)
    other_iv = member(CentreFactory(), Role.INTERNAL_VERIFIER)
    post = {"return-held": [held.pk], "return-outcome": "agreed"}
    url = reverse("assessments:validate_returns")
    for user in (other_iv, same_centre_iv):
        html = as_user(client, user).get(reverse("assessments:validation_queue")).content.decode()
        assert HELD not in html
        assert client.post(url, post).status_code == 404
    for user in (case["assessor"], case["learner"], case["admin"]):
        assert as_user(client, user).post(url, post).status_code == 403, user
    assert as_user(client, case["iv"]).get(url).status_code == 405
    assert not ReturnValidation.objects.exists()


def test_where_validation_is_not_required_a_return_reaches_the_learner_at_once(
    client: Client, django_capture_on_commit_callbacks: pytest.FixtureRequest
) -> None:
    case = make_case()  # IMI: no validation before release
    case["criterion"] = case["unit"].criteria.get(number="1.1")
    evidence = submitted(case, [case["criterion"]])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        return_evidence(assessor=case["assessor"], evidence=evidence, feedback="Add the dates.")
    assert Evidence.objects.get(pk=evidence.pk).status == EvidenceStatus.RETURNED
    assert not HeldReturn.objects.exists()
    assert [m.subject for m in mail.outbox] == ["Your evidence “Survey” needs changes"]
    html = as_user(client, case["learner"]).get(pages(case, evidence)["detail"]).content.decode()
    assert "Add the dates." in html


def test_the_queue_costs_the_same_queries_for_3_and_30_returns(
    client: Client, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    small, large = pearson_case(), pearson_case()
    for case, count in ((small, 3), (large, 30)):
        for n in range(count):
            evidence = submitted(case, [case["criterion"]], title=f"Piece {n}")
            return_evidence(assessor=case["assessor"], evidence=evidence, feedback=HELD)
    url = reverse("assessments:validation_queue")
    as_user(client, small["iv"]).get(url)
    # Session, user, memberships, the IV's registrations, count and own decisions (none wait,
    # so no page of them is read: tests/assessments/test_release.py), the held returns.
    with django_assert_num_queries(7):  # type: ignore[operator]
        html = client.get(url).content.decode()
    assert html.count('data-testid="return-') == 3
    as_user(client, large["iv"]).get(url)
    with django_assert_num_queries(7):  # type: ignore[operator]
        html = client.get(url).content.decode()
    assert html.count('data-testid="return-') == 25
    assert "the oldest shown" in html
    first = HeldReturn.objects.filter(evidence__registration=large["registration"]).first()
    assert first is not None
    assert re.findall(r'data-testid="return-(\d+)"', html)[0] == str(first.pk)
