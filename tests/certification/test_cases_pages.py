"""The cases pages: each role sees what it should, every refusal from the page names its rule
and source, the EQA reads and never changes, and the lists cost a fixed number of queries."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from certification import cases
from certification.models import Case, CaseKind, CaseStatus
from tests.certification.claim_cases import learner_on, make_centre
from tests.factories import member

pytestmark = pytest.mark.django_db

CASES = reverse("cases:cases")
NEW = reverse("cases:case_new")


def world():
    where = make_centre()
    registration = learner_on(where, name="Lea Learner")
    registration.assessors.add(where.assessor)
    return where, registration


def appeal_of(registration, details="My observation was cut short."):
    return cases.raise_case(
        actor=registration.learner,
        registration=registration,
        kind=CaseKind.APPEAL,
        details=details,
    )


def action(case, name):
    return reverse("cases:case_action", args=[case.pk, name])


def test_a_learner_raises_an_appeal_from_the_page_and_sees_its_deadline(client):
    _where, registration = world()
    client.force_login(registration.learner)
    page = client.get(NEW).content.decode()
    assert "Lea Learner" in page
    response = client.post(
        NEW,
        {
            "case-registration": registration.pk,
            "case-kind": CaseKind.APPEAL,
            "case-details": "The witness statement was not read.",
        },
        follow=True,
    )
    case = Case.objects.get()
    text = response.content.decode()
    assert f"{case.title} is raised" in text
    assert "Open with the lead internal verifier" in text
    assert "Due by" in text
    assert "under the centre's policy: 10 days" in text
    assert "Held" in text


def test_a_learner_trying_to_report_malpractice_is_told_the_rule_and_keeps_what_they_typed(
    client,
):
    _where, registration = world()
    client.force_login(registration.learner)
    response = client.post(
        NEW,
        {
            "case-registration": registration.pk,
            "case-kind": CaseKind.MALPRACTICE,
            "case-details": "Someone copied my work.",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Pearson BTEC specification, &#x27;Learner malpractice&#x27; (l.506-508)" in text
    assert "Someone copied my work." in text
    assert not Case.objects.exists()


def test_the_admin_deciding_the_lead_ivs_stage_is_refused_with_the_source(client):
    where, registration = world()
    case = appeal_of(registration)
    client.force_login(where.admin)
    assert "Decide" not in client.get(reverse("cases:case", args=[case.pk])).content.decode()
    response = client.post(
        action(case, "decide"), {"decide-outcome": "upheld", "decide-note": "Agreed."}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "&#x27;Appeals against assessment&#x27; (l.486)" in text
    assert "Lead Internal Verifier" in text
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_the_iv_decides_then_the_learner_takes_it_further(client):
    where, registration = world()
    case = appeal_of(registration)
    client.force_login(where.iv)
    page = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert "Decide as lead internal verifier" in page
    client.post(
        action(case, "decide"), {"decide-outcome": "not_upheld", "decide-note": "Judged fairly."}
    )
    client.force_login(registration.learner)
    page = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert "the last day to take the appeal further" in page
    response = client.post(
        action(case, "escalate"), {"escalate-note": "Still unread."}, follow=True
    )
    assert "The appeal goes to the head of centre." in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.stage) == (CaseStatus.OPEN, "centre")


def test_an_eqa_reads_every_case_and_its_documents_but_changes_nothing(client, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    where, registration = world()
    case = appeal_of(registration)
    document = cases.add_document(
        actor=registration.learner,
        case=case,
        upload=SimpleUploadedFile("note.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    eqa = member(where.centre, Role.EQA, full_name="Eve External")
    client.force_login(eqa)
    assert case.title in client.get(CASES).content.decode()
    page = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert "You read this case" in page
    assert '<form method="post"' not in page.split("case-documents")[1]
    download = client.get(reverse("cases:case_document", args=[case.pk, document.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    refused = client.post(action(case, "withdraw"), {"withdraw-note": "x"})
    assert refused.status_code == 403
    assert client.get(NEW).status_code == 403


def test_another_learner_and_another_centre_find_nothing(client):
    where, registration = world()
    case = appeal_of(registration)
    other = learner_on(where, name="Otto Other")
    client.force_login(other.learner)
    assert case.title not in client.get(CASES).content.decode()
    assert client.get(reverse("cases:case", args=[case.pk])).status_code == 404
    elsewhere = make_centre()
    client.force_login(elsewhere.admin)
    assert client.get(reverse("cases:case", args=[case.pk])).status_code == 404


def test_the_admin_sets_the_centres_policy_and_the_deadlines_follow_it(client):
    where, registration = world()
    client.force_login(where.admin)
    response = client.post(
        reverse("cases:case_policy"),
        {"lead_iv": where.iv.pk, "lead_iv_days": 5, "centre_days": 15, "escalation_days": 7},
        follow=True,
    )
    assert "The centre&#x27;s case policy is saved." in response.content.decode()
    assert "Ivy Verifier, within 5 days" in response.content.decode()
    case = appeal_of(registration)
    assert (case.due_on - case.raised_at.date()).days == 5
    client.force_login(where.iv)
    assert client.post(reverse("cases:case_policy"), {}).status_code == 403


@pytest.mark.parametrize("size", [3, 12])
def test_the_cases_list_costs_the_same_whatever_its_size(client, django_assert_num_queries, size):
    where = make_centre()
    for n in range(size):
        appeal_of(learner_on(where, name=f"Learner {n} Person"))
    client.force_login(where.admin)
    # Session, user and role; the centre's policy; the page's count and rows; the verifiers the
    # policy form offers as lead IV.
    with django_assert_num_queries(7):
        response = client.get(CASES)
    assert response.content.decode().count("Appeal ") >= size


@pytest.mark.parametrize("size", [3, 12])
def test_a_case_page_costs_the_same_whatever_its_history(client, django_assert_num_queries, size):
    where, registration = world()
    case = appeal_of(registration)
    for n in range(size):
        cases.add_document(
            actor=registration.learner,
            case=case,
            upload=SimpleUploadedFile(f"note{n}.txt", f"Note number {n}\n".encode()),
        )
    client.force_login(where.iv)
    # Session, user and role; the case; whether the IV assesses the learner (then another
    # considers the appeal); the centre's policy; its steps, documents and holds.
    with django_assert_num_queries(9):
        response = client.get(reverse("cases:case", args=[case.pk]))
    assert response.content.decode().count("note") >= size


def test_the_assessor_sees_the_approved_adjustment_beside_the_portfolio(client):
    where, registration = world()
    adjustment = cases.raise_case(
        actor=registration.learner,
        registration=registration,
        kind=CaseKind.REASONABLE_ADJUSTMENT,
        details="Answers given orally and recorded.",
    )
    cases.decide(actor=where.iv, case=adjustment, outcome="approved", note="Normal practice.")
    client.force_login(where.assessor)
    portfolio = client.get(reverse("evidence:portfolio", args=[registration.pk])).content.decode()
    panel_url = reverse("cases:registration_cases", args=[registration.pk])
    assert panel_url in portfolio
    panel = client.get(panel_url, headers={"HX-Request": "true"}).content.decode()
    assert "Assess with these reasonable adjustments" in panel
    assert "Answers given orally and recorded." in panel
    assert "<html" not in panel


def test_the_learner_is_offered_an_appeal_from_their_portfolio(client):
    _, registration = world()
    client.force_login(registration.learner)
    panel = client.get(reverse("cases:registration_cases", args=[registration.pk])).content
    assert b"Appeal an assessment decision" in panel
    page = client.get(f"{NEW}?registration={registration.pk}&kind=appeal").content.decode()
    assert f'<option value="{registration.pk}" selected>' in page
    assert '<option value="appeal" selected>' in page


def test_the_holds_page_links_a_cases_hold_to_its_case_and_offers_no_release(client):
    where, registration = world()
    case = appeal_of(registration)
    client.force_login(where.admin)
    page = client.get(reverse("certification:claim_holds")).content.decode()
    assert reverse("cases:case", args=[case.pk]) in page
    assert "Release the hold" not in page


@pytest.mark.parametrize("size", [2, 8])
def test_the_portfolio_panel_costs_the_same_whatever_its_cases(
    client, django_assert_num_queries, size
):
    _, registration = world()
    for n in range(size):
        appeal_of(registration, details=f"Appeal number {n}")
    client.force_login(registration.learner)
    url = reverse("cases:registration_cases", args=[registration.pk])
    # Session, user and role; the registration; its cases.
    with django_assert_num_queries(5):
        response = client.get(url, headers={"HX-Request": "true"})
    assert response.content.decode().count("Appeal ") >= size


def test_an_eqa_limited_to_another_qualification_finds_no_case(client):
    from qualifications.models import Qualification

    where, registration = world()
    case = appeal_of(registration)
    eqa = member(where.centre, Role.EQA)
    other = Qualification.objects.exclude(pk=registration.qualification_id).first()
    eqa.memberships.get().qualifications.set([other])
    client.force_login(eqa)
    assert case.title not in client.get(CASES).content.decode()
    assert client.get(reverse("cases:case", args=[case.pk])).status_code == 404


def test_a_bad_policy_is_refused_and_keeps_what_was_typed(client):
    where, _ = world()
    client.force_login(where.admin)
    response = client.post(
        reverse("cases:case_policy"),
        {"lead_iv": "", "lead_iv_days": 0, "centre_days": 12, "escalation_days": 5},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "greater than or equal to 1" in text
    assert 'value="12"' in text


def test_a_document_is_served_to_whoever_reads_the_case_and_no_one_else(client, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    where, registration = world()
    case = appeal_of(registration)
    client.force_login(registration.learner)
    response = client.post(
        action(case, "document"),
        {"document-document": SimpleUploadedFile("letter.pdf", b"%PDF-1.4\n%%EOF\n")},
        follow=True,
    )
    assert "The document is added." in response.content.decode()
    document = case.documents.get()
    url = reverse("cases:case_document", args=[case.pk, document.pk])
    served = client.get(url)
    assert served["Content-Type"] == "application/pdf"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert 'attachment; filename="letter.pdf"' in served["Content-Disposition"]
    client.force_login(learner_on(where, name="Otto Other").learner)
    assert client.get(url).status_code == 404


def test_an_open_case_past_its_day_is_marked_overdue(client):
    import datetime

    where, registration = world()
    case = appeal_of(registration)
    Case.objects.filter(pk=case.pk).update(due_on=datetime.date(2020, 1, 1))
    client.force_login(where.iv)
    assert "(overdue)" in client.get(CASES).content.decode()
    assert "overdue" in client.get(reverse("cases:case", args=[case.pk])).content.decode()


def test_an_admin_raises_a_case_on_a_learners_behalf_through_the_picker(client):
    where, registration = world()
    client.force_login(where.admin)
    assert client.get(NEW).status_code == 200
    response = client.post(
        NEW,
        {
            "case-registration": registration.pk,
            "case-kind": CaseKind.SPECIAL_CONSIDERATION,
            "case-details": "Bereavement during the assessment window.",
        },
        follow=True,
    )
    text = response.content.decode()
    case = Case.objects.get()
    assert case.raised_by == where.admin
    assert "on the learner&#x27;s behalf" in text or "on the learner's behalf" in text
    assert "Send to the awarding body" in text


def test_the_lead_iv_reads_the_units_decisions_and_the_learner_does_not(client):
    import datetime

    from assessments.models import Decision
    from tests.certification.claim_cases import units_of

    where, registration = world()
    unit = units_of(registration.qualification.number)[0]
    criterion = unit.criteria.order_by("position").first()
    Decision.objects.create(
        registration=registration,
        criterion=criterion,
        outcome="not_yet_met",
        method="observation",
        assessed_on=datetime.date(2026, 3, 2),
        assessor=where.assessor,
        feedback="The greeting was missed.",
    )
    case = cases.raise_case(
        actor=registration.learner,
        registration=registration,
        kind=CaseKind.APPEAL,
        details="The greeting was given.",
        unit=unit,
    )
    url = reverse("cases:case", args=[case.pk])
    client.force_login(where.iv)
    page = client.get(url).content.decode()
    assert f"{criterion.number}: Not yet met" in page
    assert "The greeting was missed." in page
    client.force_login(registration.learner)
    assert "The greeting was missed." not in client.get(url).content.decode()
