from __future__ import annotations

from io import StringIO

from django.core import mail
from django.core.management import call_command

from assessments.services import record_decision, return_evidence
from portfolios import evidence as evidence_services
from portfolios.models import EvidenceStatus
from tests.assessments.test_decisions import make_case
from tests.support import clock


def submitted_evidence(case: dict, title: str, numbers: list[str]) -> object:
    today = clock.today()
    learner = case["learner"]
    evidence = evidence_services.evidence_create(
        actor=learner,
        registration=case["registration"],
        title=title,
        evidence_date=today,
        method="product",
        context="real_work_paid",
        description="Work I did.",
    )
    evidence_services.map_criteria(
        actor=learner, evidence=evidence, criteria=case["unit"].criteria.filter(number__in=numbers)
    )
    evidence_services.submit(
        actor=learner, evidence=evidence, typed_name="Ana Lima", confirmed=True
    )
    return evidence


def test_evidence_is_assessed_when_every_mapped_criterion_is_judged_and_the_learner_told(
    catalogue: None, django_capture_on_commit_callbacks
) -> None:
    today = clock.today()
    case = make_case()
    evidence = submitted_evidence(case, "Survey", ["1.1", "1.2"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        for number in ("1.1", "1.2"):
            record_decision(
                assessor=case["assessor"],
                registration=case["registration"],
                criterion=case["unit"].criteria.get(number=number),
                outcome="met",
                method="product",
                assessed_on=today,
                evidence=[evidence],
            )

    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.ASSESSED
    assert [m.subject for m in mail.outbox] == ["Your evidence “Survey” has been assessed"]
    assert mail.outbox[0].to == [case["learner"].email]


def test_returning_evidence_emails_the_learner(
    catalogue: None, django_capture_on_commit_callbacks
) -> None:
    case = make_case()
    evidence = submitted_evidence(case, "Diary", ["1.1"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        return_evidence(assessor=case["assessor"], evidence=evidence, feedback="Add dates.")

    assert [m.subject for m in mail.outbox] == ["Your evidence “Diary” needs changes"]


def test_each_assessor_gets_one_digest_not_one_mail_per_submission(catalogue: None) -> None:
    case = make_case()
    submitted_evidence(case, "One", ["1.1"])
    submitted_evidence(case, "Two", ["1.2"])
    mail.outbox.clear()
    out = StringIO()

    call_command("send_assessor_digests", stdout=out)

    # Two assessors are assigned: one mail each, listing both pieces.
    assert "Sent 2 digest(s)." in out.getvalue()
    assert len(mail.outbox) == 2
    assert {m.to[0] for m in mail.outbox} == {case["assessor"].email, case["other_assessor"].email}
    assert all("“One”" in m.body and "“Two”" in m.body for m in mail.outbox)
    assert mail.outbox[0].subject == "2 pieces of evidence to assess"


def test_the_learner_reads_the_return_feedback_on_both_versions(
    catalogue: None, client: object
) -> None:
    case = make_case()
    evidence = submitted_evidence(case, "Diary", ["1.1"])
    return_evidence(assessor=case["assessor"], evidence=evidence, feedback="Add the dates.")
    second = evidence_services.resubmit(actor=case["learner"], evidence=evidence)
    client.force_login(case["learner"])

    for pk in (evidence.pk, second.pk):
        html = client.get(f"/portfolio/evidence/{pk}/").content.decode()
        assert "Returned for resubmission" in html
        assert "Add the dates." in html
