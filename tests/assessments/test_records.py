"""Assessor-made records: observation, professional discussion (with audio) and questioning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from assessments.models import AssessorRecord, Decision, RecordKind
from assessments.records import QA, RecordError, acknowledge_record, create_record
from assessments.services import record_decision, sign_off_unit
from core.models import AuditEvent
from portfolios.evidence import content_hash
from portfolios.models import EvidenceFile, EvidenceStatus
from portfolios.uploads import STAGING
from qualifications.models import AssessmentCriterion
from tests.assessments.judging_data import form_data as judging_form
from tests.assessments.test_decisions import make_case
from tests.factories import DEFAULT_PASSWORD, CentreFactory, mapped_evidence, member
from tests.support import clock
from tests.support.media import private_media, stored_files

pytestmark = pytest.mark.usefixtures("catalogue")

# A minimal WAV: the RIFF/WAVE header the type sniffer recognises, then silence.
WAV = b"RIFF" + (4036).to_bytes(4, "little") + b"WAVEfmt " + b"\x10\x00\x00\x00" + b"\x00" * 4020
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Each test stores files, and Django writes temporary upload files, in folders of its own."""
    return private_media(settings, tmp_path)


@pytest.fixture
def case() -> dict:
    data = make_case()
    data["criteria"] = list(data["unit"].criteria.order_by("position")[:2])
    return data


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def create_url(case: dict, kind: str) -> str:
    return reverse("assessments:record_create", args=[case["registration"].pk, kind])


def form_data(case: dict, **extra: Any) -> dict[str, Any]:
    today = clock.today()
    data: dict[str, Any] = {
        "title": "Greeting customers at the service desk",
        "occurred_on": today.isoformat(),
        "place": "Northgate Motors, service reception",
        "context": "real_work_paid",
        "account": "Ana greeted each customer by name and confirmed the booking.",
        "criteria": [c.pk for c in case["criteria"]],
        "questions-TOTAL_FORMS": "3",
        "questions-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


def wav(name: str = "discussion.wav", content: bytes = WAV) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="audio/wav")


def observation(case: dict, **kw: Any) -> AssessorRecord:
    today = clock.today()
    fields: dict[str, Any] = {
        "assessor": case["assessor"],
        "registration": case["registration"],
        "kind": RecordKind.OBSERVATION,
        "title": "Greeting customers",
        "occurred_on": today,
        "place": "Service reception",
        "context": "real_work_paid",
        "account": "Greeted every customer by name.",
        "criteria": case["criteria"],
    }
    fields.update(kw)
    return create_record(**fields)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# ---------------------------------------------------------------- each kind, through the pages


def test_an_assessor_records_an_observation_as_signed_submitted_evidence(
    client: Client, case: dict
) -> None:
    response = signed_in(client, case["assessor"]).post(
        create_url(case, "observation"), form_data(case)
    )

    record = AssessorRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:record", args=[record.pk])
    evidence = record.evidence
    assert evidence.status == EvidenceStatus.SUBMITTED
    assert evidence.submitted_at is not None
    assert evidence.method == "observation"
    assert evidence.created_by == case["assessor"]
    assert evidence.registration == case["registration"]
    assert record.place == "Northgate Motors, service reception"
    assert sorted(m.criterion_id for m in evidence.mappings.all()) == sorted(
        c.pk for c in case["criteria"]
    )
    assert {m.proposed_by_id for m in evidence.mappings.all()} == {case["assessor"].pk}
    assert record.assessor == case["assessor"]
    assert len(record.content_hash) == 64
    [event] = events("record.signed")
    assert event.actor == case["assessor"]
    assert event.object_id == str(record.pk)
    assert event.data["content_hash"] == record.content_hash
    assert event.data["criteria"] == sorted(c.pk for c in case["criteria"])

    page = client.get(response["Location"]).content.decode()
    assert "Greeting customers at the service desk" in page
    assert "Awaiting the learner's acknowledgement." in page
    assert record.content_hash in page
    # The record joins the assessor's normal flow: their queue of submitted evidence.
    queue = client.get(reverse("assessments:queue")).content.decode()
    assert reverse("assessments:assess", args=[evidence.pk]) in queue


def test_a_questioning_record_keeps_the_questions_and_answers_in_order(
    client: Client, case: dict
) -> None:
    data = form_data(
        case,
        **{
            "questions-0-question": "Why confirm the booking?",
            "questions-0-answer": "So the right work is done.",
            "questions-2-question": "What if the customer is angry?",
            "questions-2-answer": "Listen, then offer options.",
        },
    )
    response = signed_in(client, case["assessor"]).post(create_url(case, "questioning"), data)

    assert response.status_code == 302
    record = AssessorRecord.objects.get()
    assert record.kind == RecordKind.QUESTIONING
    assert record.evidence.method == "questioning"
    assert [(q.position, q.question, q.answer) for q in record.questions.all()] == [
        (1, "Why confirm the booking?", "So the right work is done."),
        (2, "What if the customer is angry?", "Listen, then offer options."),
    ]
    page = client.get(response["Location"]).content.decode()
    assert "Answer: Listen, then offer options." in page


def test_a_question_without_its_answer_is_refused_and_the_typed_record_comes_back(
    client: Client, case: dict
) -> None:
    data = form_data(case, **{"questions-0-question": "Why confirm the booking?"})
    response = signed_in(client, case["assessor"]).post(create_url(case, "questioning"), data)

    html = response.content.decode()
    assert response.status_code == 400
    assert "Write down the learner&#x27;s answer to this question." in html
    assert "Why confirm the booking?" in html
    assert "Greeting customers at the service desk" in html
    assert not AssessorRecord.objects.exists()


def test_questioning_without_any_question_is_refused(client: Client, case: dict) -> None:
    response = signed_in(client, case["assessor"]).post(
        create_url(case, "questioning"), form_data(case)
    )

    assert response.status_code == 400
    assert "Record at least one question and the learner&#x27;s answer." in (
        response.content.decode()
    )
    assert not AssessorRecord.objects.exists()


def test_a_professional_discussion_keeps_its_recording_and_plays_it_through_the_file_view(
    client: Client, case: dict, media: Path
) -> None:
    data = form_data(case, recording=wav())
    response = signed_in(client, case["assessor"]).post(
        create_url(case, "professional_discussion"), data
    )

    assert response.status_code == 302
    record = AssessorRecord.objects.get()
    [stored] = record.evidence.files.all()
    assert stored.content_type == "audio/x-wav"
    assert stored.original_name == "discussion.wav"
    assert stored.uploaded_by == case["assessor"]
    assert len(stored_files(media)) == 1
    # The signature covers the recording's bytes.
    assert events("record.signed")[0].data["content_hash"] == record.content_hash
    file_url = reverse("files:download", args=[stored.pk])
    page = signed_in(client, case["learner"]).get(response["Location"]).content.decode()
    assert (
        f'<audio class="evidence-preview-audio" controls preload="metadata" src="{file_url}"'
        in (page)
    )
    served = client.get(file_url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == WAV
    # Another centre's assessor cannot fetch it.
    signed_in(client, member(CentreFactory(), Role.ASSESSOR))
    assert client.get(file_url).status_code == 404


def test_a_recording_that_is_not_audio_is_refused_and_the_typed_record_comes_back(
    client: Client, case: dict, media: Path
) -> None:
    data = form_data(case, recording=SimpleUploadedFile("notes.pdf", PDF))
    response = signed_in(client, case["assessor"]).post(
        create_url(case, "professional_discussion"), data
    )

    html = response.content.decode()
    assert response.status_code == 400
    # At the top of the form and in the error summary; no longer a message.
    assert "notes.pdf is not an audio recording the portfolio accepts." in html
    assert texts(response) == []
    assert 'value="Greeting customers at the service desk"' in html
    assert "Ana greeted each customer by name and confirmed the booking." in html
    for criterion in case["criteria"]:
        assert f'value="{criterion.pk}" id="criterion-{criterion.pk}" checked' in html
    assert not AssessorRecord.objects.exists()
    assert not EvidenceFile.objects.exists()
    assert stored_files(media) == []


def test_an_oversized_recording_is_refused_and_the_typed_record_comes_back(
    client: Client, case: dict, media: Path, settings: Any
) -> None:
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024
    data = form_data(case, recording=wav("long.wav"))
    response = signed_in(client, case["assessor"]).post(
        create_url(case, "professional_discussion"), data
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "long.wav is larger than" in html
    assert "It was not saved." in html
    assert texts(response) == []
    assert "Ana greeted each customer by name and confirmed the booking." in html
    assert not AssessorRecord.objects.exists()
    assert stored_files(media) == []
    assert list((media / "uploads").iterdir()) == []
    # The recording streamed inside the storage's folder, and was deleted there.
    assert list((media / "media" / STAGING).iterdir()) == []


def test_a_professional_discussion_needs_its_recording(client: Client, case: dict) -> None:
    response = signed_in(client, case["assessor"]).post(
        create_url(case, "professional_discussion"), form_data(case)
    )

    assert response.status_code == 400
    assert "Add the audio recording of the discussion." in response.content.decode()
    assert texts(response) == []
    assert not AssessorRecord.objects.exists()
    with pytest.raises(RecordError, match="Add the audio recording"):
        observation(case, kind=RecordKind.PROFESSIONAL_DISCUSSION)


# ---------------------------------------------------------------- criteria


def test_criteria_outside_the_learners_units_are_refused(client: Client, case: dict) -> None:
    foreign = AssessmentCriterion.objects.exclude(
        unit_id__in=case["registration"].unit_choices.values("unit_id")
    ).first()

    with pytest.raises(RecordError, match="Not in the units this learner takes"):
        observation(case, criteria=[foreign])
    response = signed_in(client, case["assessor"]).post(
        create_url(case, "observation"), form_data(case, criteria=[foreign.pk])
    )
    assert response.status_code == 400
    assert "Choose criteria from the units this learner takes." in response.content.decode()
    with pytest.raises(RecordError, match="at least one criterion"):
        observation(case, criteria=[])
    assert not AssessorRecord.objects.exists()


def test_a_signed_off_unit_takes_no_new_record(case: dict) -> None:
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
    sign_off_unit(
        assessor=case["assessor"],
        registration=case["registration"],
        unit=case["unit"],
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )

    with pytest.raises(RecordError, match="already signed off"):
        observation(case)
    assert not AssessorRecord.objects.exists()


def test_the_records_criteria_are_judged_like_any_evidence(client: Client, case: dict) -> None:
    record = observation(case)
    evidence = record.evidence

    page = signed_in(client, case["assessor"]).get(
        reverse("assessments:assess", args=[evidence.pk])
    )
    assert page.status_code == 200
    assert "Record the judgements" in page.content.decode()
    for criterion in case["criteria"]:
        assert f'name="c{criterion.pk}-outcome"' in page.content.decode()
    assert reverse("assessments:record", args=[record.pk]) in page.content.decode()
    # Both criteria judged in the one form, in one submit.
    client.post(
        reverse("assessments:judge", args=[evidence.pk]),
        judging_form(evidence, dict.fromkeys(case["criteria"], "met"), method="observation"),
    )
    for decision in Decision.objects.current().filter(criterion__in=case["criteria"]):
        assert list(decision.evidence.all()) == [evidence]
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.ASSESSED
    assert Decision.objects.current().filter(evidence=evidence).count() == 2


# ---------------------------------------------------------------- who may make and read records


def test_only_the_assigned_assessor_may_make_a_record(client: Client, case: dict) -> None:
    elsewhere = member(CentreFactory(), Role.ASSESSOR)
    unassigned = member(case["centre"], Role.ASSESSOR)
    for person in (elsewhere, unassigned):
        signed_in(client, person)
        assert client.get(create_url(case, "observation")).status_code == 404
        assert client.post(create_url(case, "observation"), form_data(case)).status_code == 404
    for person in (case["learner"], case["iv"], case["admin"]):
        signed_in(client, person)
        assert client.get(create_url(case, "observation")).status_code == 403
        assert client.post(create_url(case, "observation"), form_data(case)).status_code == 403
    signed_in(client, case["assessor"])
    assert client.get(create_url(case, "nonsense")).status_code == 404
    assert client.get(create_url(case, "observation")).status_code == 200
    assert not AssessorRecord.objects.exists()
    with pytest.raises(RecordError, match="Only an assessor assigned"):
        observation(case, assessor=case["learner"])


def test_the_create_page_offers_the_criteria_grouped_by_unit(client: Client, case: dict) -> None:
    today = clock.today()
    html = signed_in(client, case["assessor"]).get(create_url(case, "questioning")).content.decode()

    assert '<h1 class="h2">New questioning record</h1>' in html
    assert f'id="criterion-{case["criteria"][0].pk}"' in html
    assert "Question 1" in html
    assert 'name="questions-0-answer"' in html
    assert 'name="recording"' not in html
    assert f'value="{today.isoformat()}"' in html


def test_the_record_page_is_hidden_from_other_centres(client: Client, case: dict) -> None:
    record = observation(case)
    url = reverse("assessments:record", args=[record.pk])

    signed_in(client, member(CentreFactory(), Role.ASSESSOR))
    assert client.get(url).status_code == 404
    assert client.post(reverse("assessments:record_acknowledge", args=[record.pk])).status_code == (
        404
    )
    for person in (case["iv"], case["admin"], case["other_assessor"], case["learner"]):
        assert signed_in(client, person).get(url).status_code == 200


# ---------------------------------------------------------------- acknowledgement


def test_the_learner_acknowledges_once(client: Client, case: dict) -> None:
    record = observation(case)
    url = reverse("assessments:record_acknowledge", args=[record.pk])

    page = signed_in(client, case["learner"]).get(reverse("assessments:record", args=[record.pk]))
    assert "Acknowledge the record" in page.content.decode()
    response = client.post(url, {"comment": "Fair account."})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.acknowledged_at is not None
    assert record.learner_comment == "Fair account."
    assert record.learner_disagrees is False
    assert record.acknowledged_hash == record.content_hash
    [event] = events("record.acknowledged")
    assert event.actor == case["learner"]
    assert event.data == {
        "disagrees": False,
        "comment": "Fair account.",
        "content_hash": record.content_hash,
    }

    again = client.post(url, {"comment": "Changed my mind", "disagrees": "on"})
    assert again.status_code == 302
    assert texts(again)[-1] == "You have already acknowledged this record."
    record.refresh_from_db()
    assert record.learner_comment == "Fair account."
    assert len(events("record.acknowledged")) == 1
    with pytest.raises(RecordError, match="already acknowledged"):
        acknowledge_record(learner=case["learner"], record=record)
    page = client.get(reverse("assessments:record", args=[record.pk])).content.decode()
    assert "Acknowledged on" in page
    assert "Acknowledge the record" not in page


def test_the_learner_may_disagree_but_must_say_why(client: Client, case: dict) -> None:
    record = observation(case)
    url = reverse("assessments:record_acknowledge", args=[record.pk])
    signed_in(client, case["learner"])

    refused = client.post(url, {"disagrees": "on"})
    assert refused.status_code == 400
    assert "Say what you disagree with" in refused.content.decode()
    assert not events("record.acknowledged")

    client.post(url, {"disagrees": "on", "comment": "I also checked the bay."})
    record.refresh_from_db()
    assert record.learner_disagrees is True
    assert (
        "with disagreement"
        in client.get(reverse("assessments:record", args=[record.pk])).content.decode()
    )


def test_only_the_learner_may_acknowledge(client: Client, case: dict) -> None:
    record = observation(case)
    url = reverse("assessments:record_acknowledge", args=[record.pk])

    for person in (case["assessor"], case["iv"], case["admin"]):
        assert signed_in(client, person).post(url, {}).status_code == 403
        with pytest.raises(RecordError, match="Only the learner"):
            acknowledge_record(learner=person, record=record)
    record.refresh_from_db()
    assert record.acknowledged_at is None
    assert not events("record.acknowledged")


def test_a_record_whose_content_no_longer_matches_its_signature_is_not_acknowledged(
    case: dict,
) -> None:
    record = observation(case)
    # Tampering behind the services' back shows: the learner cannot acknowledge it.
    AssessorRecord.objects.filter(pk=record.pk).update(account="Something else.")

    with pytest.raises(RecordError, match="no longer matches its signature"):
        acknowledge_record(learner=case["learner"], record=record)


# ---------------------------------------------------------------- the portfolio and evidence


def test_the_portfolio_links_the_assessor_to_records_and_shows_the_learner_what_awaits(
    client: Client, case: dict
) -> None:
    portfolio = reverse("evidence:portfolio", args=[case["registration"].pk])
    html = signed_in(client, case["assessor"]).get(portfolio).content.decode()
    assert create_url(case, "observation") in html
    assert create_url(case, "professional_discussion") in html
    assert create_url(case, "questioning") in html
    learner_html = signed_in(client, case["learner"]).get(portfolio).content.decode()
    assert create_url(case, "observation") not in learner_html

    record = observation(case)
    learner_html = client.get(portfolio).content.decode()
    assert 'data-testid="awaiting-acknowledgement"' in learner_html
    assert reverse("assessments:record", args=[record.pk]) in learner_html
    assert "awaiting the learner's acknowledgement" in learner_html
    acknowledge_record(learner=case["learner"], record=record)
    learner_html = client.get(portfolio).content.decode()
    assert 'data-testid="awaiting-acknowledgement"' not in learner_html
    assert "acknowledged by the learner" in learner_html


def test_the_evidence_page_shows_the_record_and_no_learner_actions(
    client: Client, case: dict
) -> None:
    record = observation(case)
    html = (
        signed_in(client, case["learner"])
        .get(reverse("evidence:detail", args=[record.evidence.pk]))
        .content.decode()
    )

    assert 'data-testid="assessor-record"' in html
    assert "Observation record by the assessor" in html
    assert "Awaiting the learner's acknowledgement." in html
    assert record.content_hash in html
    assert "Start a new version" not in html
    assert "Made and signed by the assessor" in html


def test_the_record_page_costs_the_same_queries_whatever_its_size(
    client: Client, case: dict, django_assert_num_queries: Any
) -> None:
    small = observation(case, kind=RecordKind.QUESTIONING, questions=[QA("Why?", "Because.")])
    every = list(case["unit"].criteria.all())
    large = observation(
        case,
        kind=RecordKind.QUESTIONING,
        criteria=every,
        questions=[QA(f"Question {n}?", f"Answer {n}.") for n in range(12)],
    )
    signed_in(client, case["learner"])
    client.get(reverse("assessments:record", args=[small.pk]))  # warm the session

    with django_assert_num_queries(len_of(client, reverse("assessments:record", args=[small.pk]))):
        response = client.get(reverse("assessments:record", args=[large.pk]))
    html = response.content.decode()
    assert html.count('data-testid="question-') == 12
    assert len(every) > 2


def len_of(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured.captured_queries)


def test_the_signature_covers_the_signed_content(case: dict) -> None:
    from assessments.records import signed_content

    record = observation(case)
    assert record.content_hash == content_hash(signed_content(record))
    assert signed_content(record)["criteria"] == sorted(
        f"{c.unit.key} {c.number}" for c in case["criteria"]
    )


def test_making_a_record_needs_the_csrf_token(case: dict) -> None:
    # The view is csrf_exempt only so the upload handler goes in first; _create checks it.
    client = Client(enforce_csrf_checks=True)
    client.force_login(case["assessor"])

    response = client.post(create_url(case, "observation"), form_data(case))

    assert response.status_code == 403
    assert not AssessorRecord.objects.exists()


def test_the_learner_cannot_start_a_new_version_of_an_assessors_record(case: dict) -> None:
    """A new version is an editable copy: the learner could rewrite what the assessor signed."""
    from portfolios.evidence import EvidenceError, resubmit
    from portfolios.models import Evidence

    record = observation(case)
    before = Evidence.objects.count()

    with pytest.raises(EvidenceError, match="stays as it was signed"):
        resubmit(actor=case["registration"].learner, evidence=record.evidence)

    assert Evidence.objects.count() == before
