"""Decisions rest on evidence (issue 17, point 4).

Pearson BTEC specification, section 8, "Making assessment decisions using unit-based criteria":
"The assessor needs to make a judgement against each criterion that evidence is present and
sufficiently comprehensive." Section 9, "Recognition of Prior Learning": RPL is "a method of
assessment"; "Evidence of learning must be sufficient, reliable and valid." Section 8,
"Authenticity of learner work": "Assessors must complete a declaration that: the evidence
submitted for this assignment is the learner's own; the learner has clearly referenced any
sources used in the work; they understand that false declaration is a form of malpractice."

Each refusal cites the rule's source in the qualification's own awarding body's document
(assessments.basis.sources_for). The IMI Learner Assessment Record (the case below): each
criterion has its evidence "Ref No" and "Date" (L151); "each time an observation or review of
evidence takes place the assessor should enter the date and the evidence number" (L1630); no rule
on prior learning and no authenticity declaration (the unit's "ASSESSOR SIGNATURE: PIN NO: DATE:",
L173). SFJ handbook section 3, "Centre Requirements" (L237): "ensure that all assessments are
valid, reliable, authentic and sufficient". Ascentis, "Internal Assessment" (L283): "Evidence for
each unit is through building up a portfolio of evidence to demonstrate that all the assessment
criteria within the unit have been achieved"; Appendix 2 (L1398): "The above evidence has been
assessed against the standards and has been judged for validity, authenticity, currency,
reliability and sufficiency."
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Role
from accounts.services import role_grant
from assessments import achievements
from assessments.basis import (
    ASCENTIS_STATEMENT,
    AUTHENTICITY_STATEMENT,
    NOT_SUBMITTED,
    authenticity_refusal,
    not_submitted,
    sources_for,
)
from assessments.models import AssessorRecord, Decision, RecordKind, UnitSignOff
from assessments.records import RecordError, create_record
from assessments.services import AssessmentError, record_decision, sign_off_unit
from core.models import AuditEvent
from demo.common import tiny_pdf
from portfolios.models import EvidenceMethod, RegistrationUnit
from portfolios.services import register_learner
from qualifications.models import Qualification, Unit
from tests.assessments.judging_data import form_data
from tests.assessments.test_decisions import make_case
from tests.assessments.test_pages import submitted
from tests.factories import (
    DEFAULT_PASSWORD,
    CentreFactory,
    RegistrationFactory,
    UserFactory,
    mapped_evidence,
    member,
)
from tests.support import clock

pytestmark = pytest.mark.usefixtures("catalogue")
SECTION_8 = 'Pearson BTEC specification, section 8, "Making assessment decisions'
SECTION_9 = 'Pearson BTEC specification, section 9, "Recognition of Prior Learning"'
AUTHENTICITY = 'Pearson BTEC specification, section 8, "Authenticity of learner work"'
# The case's qualification is IMI's (601/3456/2): its Learner Assessment Record is the source.
IMI_EVIDENCE = (
    'IMI Learner Assessment Record: each criterion is recorded with its evidence "Ref No"'
)
IMI_1630 = "the assessor should enter the date and the evidence number"
IMI_RPL = "IMI Learner Assessment Record: no rule on recognition of prior learning"
IMI_AUTHENTICITY = "IMI Learner Assessment Record: no authenticity declaration"
PEARSON_CERTIFICATE = "603/5449/5"
SFJ_DIPLOMA = "601/1109/4"
ASCENTIS_CERTIFICATE = "600/1686/3"
NCFE_DIPLOMA = "601/3973/0"


@pytest.fixture
def case() -> dict:
    data = make_case()
    data["criteria"] = list(data["unit"].criteria.order_by("position"))
    return data


def met(case: dict, criterion: Any, **kw: Any) -> Decision:
    today = clock.today()
    return record_decision(
        assessor=case["assessor"],
        registration=case["registration"],
        criterion=criterion,
        outcome="met",
        method=kw.pop("method", "product"),
        assessed_on=today,
        **kw,
    )


def rpl_record(case: dict, criteria: list, **kw: Any) -> AssessorRecord:
    today = clock.today()
    fields: dict[str, Any] = {
        "assessor": case["assessor"],
        "registration": case["registration"],
        "kind": RecordKind.RPL,
        "title": "Level 2 Certificate in Customer Service (2023)",
        "occurred_on": today,
        "place": "Northgate College",
        "context": "real_work_paid",
        "account": "Her 2023 certificate covers these criteria unit for unit; I checked it.",
        "criteria": criteria,
    }
    fields.update(kw)
    return create_record(**fields)


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------- met rests on evidence


def test_met_without_evidence_is_refused_naming_the_rule_and_its_source(case: dict) -> None:
    one = case["criteria"][0]

    with pytest.raises(AssessmentError) as refused:
        met(case, one)

    message = str(refused.value)
    assert message.startswith("Decisions rest on evidence: F/506/2131 1.1 cannot be judged met")
    assert IMI_EVIDENCE in message
    assert IMI_1630 in message
    assert "Pearson" not in message
    assert not Decision.objects.exists()


def test_evidence_mapped_to_another_criterion_is_no_basis(case: dict) -> None:
    today = clock.today()
    one, two = case["criteria"][:2]
    elsewhere = mapped_evidence(case["registration"], two)

    with pytest.raises(AssessmentError, match=r"^Decisions rest on evidence: F/506/2131 1\.1"):
        met(case, one, evidence=[elsewhere])
    # Not yet met may still be said without it: the rule is about judging met.
    record_decision(
        assessor=case["assessor"],
        registration=case["registration"],
        criterion=one,
        outcome="not_yet_met",
        method="product",
        assessed_on=today,
    )


def test_another_learners_evidence_mapped_to_the_criterion_is_no_basis(case: dict) -> None:
    one = case["criteria"][0]
    other = make_case()
    theirs = mapped_evidence(other["registration"], one)

    with pytest.raises(AssessmentError, match="this learner's submitted evidence only"):
        met(case, one, evidence=[theirs])


def test_met_on_evidence_or_an_assessors_record_mapped_to_it_is_recorded(case: dict) -> None:
    today = clock.today()
    one, two = case["criteria"][:2]
    evidence = mapped_evidence(case["registration"], one)
    observation = create_record(
        assessor=case["assessor"],
        registration=case["registration"],
        kind=RecordKind.OBSERVATION,
        title="Greeting customers",
        occurred_on=today,
        place="Service reception",
        context="real_work_paid",
        account="Greeted every customer by name.",
        criteria=[two],
    )

    first = met(case, one, evidence=[evidence])
    second = met(case, two, method="observation", evidence=[observation.evidence])

    assert list(first.evidence.all()) == [evidence]
    assert list(second.evidence.all()) == [observation.evidence]


# ---------------------------------------------------------------- recognition of prior learning


def test_an_rpl_record_is_the_basis_for_met_by_rpl_with_its_reason(case: dict) -> None:
    one, two = case["criteria"][:2]
    record = rpl_record(case, [one, two])
    assert record.evidence.method == EvidenceMethod.RPL
    assert record.evidence.description.startswith("Her 2023 certificate")

    decision = met(case, one, method="rpl", evidence=[record.evidence])

    assert decision.method == "rpl"
    assert list(decision.evidence.all()) == [record.evidence]


def test_met_by_rpl_on_evidence_that_is_not_of_prior_learning_is_refused(case: dict) -> None:
    one = case["criteria"][0]
    product = mapped_evidence(case["registration"], one, description="A survey I ran.")

    with pytest.raises(AssessmentError) as refused:
        met(case, one, method="rpl", evidence=[product])

    assert str(refused.value).startswith("Recognition of prior learning: F/506/2131 1.1")
    assert IMI_RPL in str(refused.value)
    assert "the platform asks for the prior learning's evidence and its reason" in str(
        refused.value
    )


def test_prior_learning_without_its_reason_is_no_basis_for_met_by_rpl(case: dict) -> None:
    one = case["criteria"][0]
    bare = mapped_evidence(case["registration"], one, method="rpl", description="")

    with pytest.raises(AssessmentError, match=r"^Recognition of prior learning"):
        met(case, one, method="rpl", evidence=[bare])


def test_an_rpl_record_needs_its_reason_and_takes_the_certificate(case: dict) -> None:
    with pytest.raises(RecordError, match="account"):
        rpl_record(case, case["criteria"][:1], account="  ")

    certificate = SimpleUploadedFile(
        "certificate.pdf", tiny_pdf("Certificate"), content_type="application/pdf"
    )
    record = rpl_record(case, case["criteria"][:1], recording=certificate)

    assert [f.content_type for f in record.evidence.files.all()] == ["application/pdf"]
    # The file is part of what the assessor signed.
    assert AuditEvent.objects.filter(action="record.signed").count() == 1


def test_the_assessor_records_prior_learning_from_the_page(client: Client, case: dict) -> None:
    today = clock.today()
    registration = case["registration"]
    url = reverse("assessments:record_create", args=[registration.pk, "rpl"])
    client = signed_in(client, case["assessor"])
    portfolio = client.get(reverse("evidence:portfolio", args=[registration.pk])).content.decode()
    assert url in portfolio

    page = client.get(url).content.decode()
    assert "Why the prior learning meets the criteria" in page
    assert "Evidence of the prior learning (optional)" in page
    response = client.post(
        url,
        {
            "title": "Level 2 Certificate in Customer Service",
            "occurred_on": today.isoformat(),
            "place": "Northgate College",
            "context": "real_work_paid",
            "account": "The certificate's unit 3 covers 1.1 in full.",
            "criteria": [case["criteria"][0].pk],
            "recording": SimpleUploadedFile(
                "certificate.pdf", tiny_pdf("Certificate"), content_type="application/pdf"
            ),
        },
    )

    record = AssessorRecord.objects.get()
    assert response.status_code == 302
    assert record.kind == RecordKind.RPL
    detail = client.get(reverse("assessments:record", args=[record.pk])).content.decode()
    assert "Why the prior learning meets the criteria" in detail
    assert "Evidence of the prior learning" in detail


# ---------------------------------------------------------------- the judging page


def test_the_judging_form_refuses_met_by_rpl_on_other_evidence_by_its_row(
    client: Client, case: dict
) -> None:
    one, two = case["criteria"][:2]
    evidence = submitted(case, [one, two])
    data = form_data(evidence, {one: "met"}, method="rpl")

    response = signed_in(client, case["assessor"]).post(
        reverse("assessments:judge", args=[evidence.pk]), data
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Recognition of prior learning: F/506/2131 1.1" in html
    assert IMI_RPL in html
    assert not Decision.objects.exists()


def test_the_judging_form_judges_met_by_rpl_on_the_rpl_record(client: Client, case: dict) -> None:
    one = case["criteria"][0]
    record = rpl_record(case, [one])
    data = form_data(record.evidence, {one: "met"}, method="rpl")

    response = signed_in(client, case["assessor"]).post(
        reverse("assessments:judge", args=[record.evidence.pk]), data
    )

    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.outcome, decision.method) == ("met", "rpl")


def test_a_judging_row_no_longer_mapped_names_the_rule(client: Client, case: dict) -> None:
    one, two = case["criteria"][:2]
    evidence = submitted(case, [one])
    data = form_data(evidence, {one: "met"})
    # A criterion the evidence is not mapped to, sent as if it were a row.
    data["rows"] += f",{two.pk}"
    data.update({f"c{two.pk}-seen": "", f"c{two.pk}-outcome": "met", f"c{two.pk}-feedback": ""})

    response = signed_in(client, case["assessor"]).post(
        reverse("assessments:judge", args=[evidence.pk]), data
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Decisions rest on evidence: this criterion is no longer mapped" in html
    assert "IMI Learner Assessment Record" in html
    assert not Decision.objects.exists()


# ---------------------------------------------------------------- the authenticity declaration


def meet_unit(case: dict) -> None:
    evidence = mapped_evidence(case["registration"], case["criteria"])
    for criterion in case["criteria"]:
        met(case, criterion, evidence=[evidence])


def test_sign_off_without_the_declaration_is_refused_naming_its_source(case: dict) -> None:
    meet_unit(case)

    with pytest.raises(AssessmentError) as refused:
        sign_off_unit(
            assessor=case["assessor"],
            registration=case["registration"],
            unit=case["unit"],
            password=DEFAULT_PASSWORD,
            declared_authentic=False,
        )

    assert str(refused.value).startswith("Authenticity of learner work: the unit was not signed")
    # IMI asks for no declaration: the platform's is Pearson's, and the message says whose.
    assert IMI_AUTHENTICITY in str(refused.value)
    assert f"the declaration is in Pearson's words ({AUTHENTICITY})" in str(refused.value)
    assert not UnitSignOff.objects.exists()


def test_the_declaration_is_kept_with_the_signature_and_its_hash(case: dict) -> None:
    meet_unit(case)

    sign_off = sign_off_unit(
        assessor=case["assessor"],
        registration=case["registration"],
        unit=case["unit"],
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )

    assert sign_off.declaration == AUTHENTICITY_STATEMENT
    assert "the evidence submitted for this unit is the learner's own" in sign_off.declaration
    assert "false declaration is a form of malpractice" in sign_off.declaration
    decisions = Decision.objects.current().filter(registration=case["registration"])
    content = {
        "registration": case["registration"].pk,
        "unit": case["unit"].key,
        "decisions": sorted([d.pk, d.criterion_id, d.outcome] for d in decisions),
        "declaration": AUTHENTICITY_STATEMENT,
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    assert sign_off.content_hash == digest
    event = AuditEvent.objects.get(action="unit.signed_off")
    assert event.data["declaration"] == AUTHENTICITY_STATEMENT


def test_the_unit_page_refuses_a_sign_off_without_the_declaration(
    client: Client, case: dict
) -> None:
    meet_unit(case)
    url = reverse("assessments:sign_off", args=[case["registration"].pk, case["unit"].pk])
    client = signed_in(client, case["assessor"])

    refused = client.post(url, {"password": DEFAULT_PASSWORD})

    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Authenticity of learner work: confirm the assessor&#x27;s declaration" in html
    assert "section 8, &quot;Authenticity of learner work&quot;" in html
    assert IMI_AUTHENTICITY in html
    assert not UnitSignOff.objects.exists()

    signed = client.post(url, {"password": DEFAULT_PASSWORD, "declared_authentic": "on"})

    assert signed.status_code == 302
    page = client.get(signed.url).content.decode()
    assert "Authenticity declaration" in page
    assert "the evidence submitted for this unit is the learner&#x27;s own" in page


def test_the_eqa_reads_the_declaration_and_the_rpl_record_without_acting(
    client: Client, case: dict
) -> None:
    today = clock.today()
    record = rpl_record(case, case["criteria"][:1])
    meet_unit(case)
    sign_off_unit(
        assessor=case["assessor"],
        registration=case["registration"],
        unit=case["unit"],
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )
    eqa = UserFactory()
    role_grant(
        actor=case["admin"],
        user=eqa,
        centre=case["centre"],
        role=Role.EQA,
        expires_on=today + datetime.timedelta(days=30),
    )
    client = signed_in(client, eqa)

    unit_page = client.get(
        reverse("assessments:unit", args=[case["registration"].pk, case["unit"].pk])
    )
    record_page = client.get(reverse("assessments:record", args=[record.pk]))

    assert unit_page.status_code == 200
    html = unit_page.content.decode()
    assert 'data-testid="authenticity-declaration"' in html
    assert "Unlock the unit" not in html
    assert record_page.status_code == 200
    assert "Why the prior learning meets the criteria" in record_page.content.decode()
    assert "Acknowledge" not in record_page.content.decode()
    unlock = client.post(
        reverse("assessments:unlock", args=[case["registration"].pk, case["unit"].pk]),
        {"sign_off": UnitSignOff.objects.get().pk, "reason": "x"},
    )
    assert unlock.status_code == 403


def test_the_achievement_record_prints_the_declaration_and_names_rpl(case: dict) -> None:
    one = case["criteria"][0]
    record = rpl_record(case, [one])
    met(case, one, method="rpl", evidence=[record.evidence])
    evidence = mapped_evidence(case["registration"], case["criteria"][1:])
    for criterion in case["criteria"][1:]:
        met(case, criterion, evidence=[evidence])
    sign_off_unit(
        assessor=case["assessor"],
        registration=case["registration"],
        unit=case["unit"],
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )

    built = achievements.build_now(
        actor=None, registration=case["registration"], kind="unit", unit=case["unit"]
    )

    unit = built.content["units"][0]
    assert unit["authenticity"] == AUTHENTICITY_STATEMENT
    # In Pearson's words, and the record says so: IMI's record asks for no declaration.
    assert unit["authenticity_source"].startswith(IMI_AUTHENTICITY)
    assert {
        "ref": f"E{record.evidence.pk}",
        "title": f"{record.evidence.title} (recognition of prior learning)",
    } in unit["evidence"]
    with default_storage.open(built.file.name, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Assessor's authenticity declaration (IMI Learner Assessment Record: no" in text
    assert "false declaration is a form of malpractice" in text
    assert "(recognition of prior learning)" in text


def test_only_the_learners_assessor_records_prior_learning_or_signs_off(
    client: Client, case: dict
) -> None:
    meet_unit(case)
    registration = case["registration"]
    record_url = reverse("assessments:record_create", args=[registration.pk, "rpl"])
    sign_url = reverse("assessments:sign_off", args=[registration.pk, case["unit"].pk])
    data = {"password": DEFAULT_PASSWORD, "declared_authentic": "on"}

    for person in (case["learner"], case["iv"], case["admin"]):
        client = signed_in(client, person)
        assert client.get(record_url).status_code == 403
        assert client.post(sign_url, data).status_code == 403
    assert not UnitSignOff.objects.exists()
    with pytest.raises(RecordError, match="Only an assessor assigned to this learner"):
        rpl_record(case, case["criteria"][:1], assessor=case["iv"])


def test_the_unit_page_costs_the_same_queries_with_a_few_decisions_or_signed_off(
    client: Client, case: dict
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("assessments:unit", args=[case["registration"].pk, case["unit"].pk])
    client = signed_in(client, case["assessor"])
    evidence = mapped_evidence(case["registration"], case["criteria"])
    for criterion in case["criteria"][:2]:
        met(case, criterion, evidence=[evidence])
    client.get(url)  # warm: the session and the membership's first read
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for criterion in case["criteria"][2:]:
        met(case, criterion, evidence=[evidence])
    sign_off_unit(
        assessor=case["assessor"],
        registration=case["registration"],
        unit=case["unit"],
        password=DEFAULT_PASSWORD,
        declared_authentic=True,
    )
    with CaptureQueriesContext(connection) as signed:
        page = client.get(url)

    assert 'data-testid="authenticity-declaration"' in page.content.decode()
    # 16 since the credits transferred are read for the completion (SFJ 2.8); 17 since an
    # earlier centre's decisions (a transferred portfolio) show beside the criteria.
    assert len(signed) == len(few) == 17


# ---------------------------------------------------------------- each body's own source


def body_case(number: str) -> dict:
    """A learner registered on qualification `number`, taking its first unit (by key)."""
    today = clock.today()
    centre = CentreFactory()
    qualification = Qualification.objects.get(number=number)
    centre.qualifications.add(qualification)
    assessor = member(centre, Role.ASSESSOR)
    learner = member(centre, Role.LEARNER)
    unit = Unit.objects.filter(memberships__qualification=qualification).order_by("key").first()
    assert unit is not None
    if number == SFJ_DIPLOMA:
        # Closed to new learners since 2021: the registration is made directly, as in
        # tests/portfolios/test_evidence_services.py.
        registration = RegistrationFactory(
            learner=learner, centre=centre, qualification=qualification
        )
        RegistrationUnit.objects.create(registration=registration, unit=unit)
        registration.assessors.add(assessor)
    else:
        registration = register_learner(
            actor=member(centre, Role.CENTRE_ADMIN),
            learner=learner,
            centre=centre,
            qualification=qualification,
            start_date=today,
            unit_keys=[unit.key],
            assessors=[assessor],
            internal_verifier=member(centre, Role.INTERNAL_VERIFIER),
        )
    return {
        "assessor": assessor,
        "registration": registration,
        "unit": unit,
        "criteria": list(unit.criteria.order_by("position")),
    }


def refusals(number: str) -> tuple[str, str, str]:
    """The refusals of met without evidence, met by RPL on other evidence and a sign-off without
    the declaration, on qualification `number`."""
    data = body_case(number)
    one = data["criteria"][0]
    with pytest.raises(AssessmentError) as bare:
        met(data, one)
    product = mapped_evidence(data["registration"], one, description="A survey I ran.")
    with pytest.raises(AssessmentError) as rpl:
        met(data, one, method="rpl", evidence=[product])
    with pytest.raises(AssessmentError) as undeclared:
        sign_off_unit(
            assessor=data["assessor"],
            registration=data["registration"],
            unit=data["unit"],
            password=DEFAULT_PASSWORD,
            declared_authentic=False,
        )
    return str(bare.value), str(rpl.value), str(undeclared.value)


def test_pearson_refusals_cite_the_btec_specification_as_before() -> None:
    bare, rpl, undeclared = refusals(PEARSON_CERTIFICATE)

    assert bare.startswith("Decisions rest on evidence: ")
    assert SECTION_8 in bare
    assert "evidence is present and sufficiently comprehensive" in bare
    assert SECTION_9 in rpl
    assert undeclared == (
        "Authenticity of learner work: the unit was not signed off. Confirm the assessor's "
        f"declaration that the evidence is the learner's own ({AUTHENTICITY}: \"Assessors must "
        'complete a declaration").'
    )


def test_sfj_refusals_cite_the_sfj_handbook_section_3() -> None:
    """SFJ handbook section 3, "Centre Requirements" (L237): "ensure that all assessments are
    valid, reliable, authentic and sufficient"; it says nothing of RPL (2.8 is credit transfer)
    and gives no declaration."""
    bare, rpl, undeclared = refusals(SFJ_DIPLOMA)

    section_3 = (
        'SFJ handbook section 3, "Centre Requirements" (L237): the centre must "ensure that all '
        'assessments are valid, reliable, authentic and sufficient"'
    )
    assert bare.startswith("Decisions rest on evidence: ")
    assert section_3 in bare
    assert "SFJ handbook: no rule on recognition of prior learning" in rpl
    assert section_3 in undeclared
    assert "the handbook gives no declaration, so the declaration is in Pearson's words" in (
        undeclared
    )
    assert not any(SECTION_8 in text or SECTION_9 in text for text in (bare, rpl))


def test_imi_refusals_cite_the_learner_assessment_record() -> None:
    """IMI Learner Assessment Record L151 (each criterion's "Ref No" and "Date") and L1630."""
    bare, rpl, undeclared = refusals("601/3456/2")

    assert IMI_EVIDENCE in bare
    assert "(L151)" in bare
    assert f'{IMI_1630}" (L1630)' in bare
    assert IMI_RPL in rpl
    assert '"ASSESSOR SIGNATURE: PIN NO: DATE:" (L173)' in undeclared


def test_ascentis_refusals_cite_its_specification_and_its_own_declaration() -> None:
    """Ascentis "Internal Assessment" (L283) and Appendix 2's statement signed by the assessor
    (L1398); "No recommended prior learning is required" (L226) is about entry, not RPL."""
    bare, rpl, undeclared = refusals(ASCENTIS_CERTIFICATE)

    internal = (
        'Ascentis specification, "Internal Assessment" (L283): "Evidence for each unit is through '
        "building up a portfolio of evidence to demonstrate that all the assessment criteria "
        'within the unit have been achieved"'
    )
    assert internal in bare
    assert "Ascentis specification: no rule on recognition of prior learning" in rpl
    assert undeclared.startswith(
        "Authenticity of learner work: the unit was not signed off. Confirm the assessor's "
        "declaration that the evidence was judged for validity, authenticity, currency, "
        "reliability and sufficiency (Ascentis specification, Appendix 2"
    )
    assert "(L1398)" in undeclared
    assert "Pearson" not in bare + rpl + undeclared


def test_ncfe_refusals_say_its_mapping_sets_no_rule() -> None:
    bare, rpl, undeclared = refusals(NCFE_DIPLOMA)

    assert "NCFE standard mapping: no rule on what a decision rests on" in bare
    assert IMI_1630 in bare
    assert "NCFE standard mapping: no rule on recognition of prior learning" in rpl
    assert "NCFE standard mapping: no rule on an authenticity declaration" in undeclared


def test_an_ascentis_unit_is_signed_off_with_ascentis_own_statement(client: Client) -> None:
    data = body_case(ASCENTIS_CERTIFICATE)
    evidence = mapped_evidence(data["registration"], data["criteria"])
    for criterion in data["criteria"]:
        met(data, criterion, evidence=[evidence])
    url = reverse("assessments:sign_off", args=[data["registration"].pk, data["unit"].pk])
    client = signed_in(client, data["assessor"])

    form = client.get(reverse("assessments:unit", args=[data["registration"].pk, data["unit"].pk]))
    refused = client.post(url, {"password": DEFAULT_PASSWORD})
    signed = client.post(url, {"password": DEFAULT_PASSWORD, "declared_authentic": "on"})

    assert ASCENTIS_STATEMENT in form.content.decode()
    assert refused.status_code == 400
    assert "Ascentis specification, Appendix 2" in refused.content.decode()
    assert signed.status_code == 302
    sign_off = UnitSignOff.objects.get()
    assert sign_off.declaration == ASCENTIS_STATEMENT
    page = client.get(signed.url).content.decode()
    assert ASCENTIS_STATEMENT in page
    assert "(L1398)" in page


def test_a_body_with_no_document_on_file_gets_the_platforms_rule_saying_so() -> None:
    other = SimpleNamespace(awarding_body=SimpleNamespace(code="XYZ", name="Other Awards"))
    pearson = SimpleNamespace(awarding_body=SimpleNamespace(code="PEARSON", name="Pearson"))

    assert sources_for(other).evidence == (
        "Other Awards: no document on file; the platform's own rule"
    )
    assert "in Pearson's words" in authenticity_refusal(other)
    # Pearson's messages are the module's constants, as before.
    assert not_submitted(pearson) == NOT_SUBMITTED
    assert sources_for(pearson).statement == AUTHENTICITY_STATEMENT
