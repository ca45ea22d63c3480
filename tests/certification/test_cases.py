"""Cases (reasonable adjustments, special consideration, appeals, malpractice): each rule, the
refusal that names it and its source, the holds they open and release, the audit events.

The specification quoted (seed 003, Pearson BTEC Level 3, section "Administrative arrangements
for internal assessment"):
- "Appeals against assessment" (l.486): "Centres must have a policy for dealing with appeals
  from learners. ... The first step in such a policy is a consideration of the evidence by a
  Lead Internal Verifier or other member of the programme team."
- (l.488): "Centres must document all learner appeals and their resolutions."
- "Special consideration" (l.478-480): "Centres cannot apply their own special consideration –
  applications for special consideration must be made to Pearson ... Certification claims must
  not be made until the outcome of the application has been received."
- "Learner malpractice" (l.506-508): "The head of centre is required to report incidents of
  suspected learner malpractice ... The responsibility for determining appropriate sanctions or
  penalties to be imposed on learners lies with Pearson."
- "Reasonable adjustments to assessments" (l.464): "Centres are able to make adjustments to
  assessments to take account of the needs of individual learners".
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role
from certification import cases
from certification.models import (
    Case,
    CaseError,
    CaseKind,
    CaseOutcome,
    CaseStage,
    CaseStatus,
    ClaimHold,
)
from core.models import AuditEvent
from tests.certification.claim_cases import learner_on, make_centre
from tests.certification.test_claims import reasons_of
from tests.factories import member
from tests.support import clock

pytestmark = pytest.mark.django_db


def world():
    where = make_centre()
    registration = learner_on(where)
    registration.assessors.add(where.assessor)
    return where, registration, registration.learner


def appeal(where, registration, learner):
    return cases.raise_case(
        actor=learner,
        registration=registration,
        kind=CaseKind.APPEAL,
        details="Unit 1 was judged not yet met; my witness statement was not read.",
    )


def test_a_learner_appeal_goes_to_the_lead_iv_with_a_deadline_and_holds_the_claim():
    today = clock.today()
    where, registration, learner = world()
    case = appeal(where, registration, learner)
    assert case.stage == CaseStage.LEAD_IV
    assert case.status == CaseStatus.OPEN
    assert case.due_on == today + datetime.timedelta(days=10)  # the default policy
    hold = ClaimHold.objects.get(case=case)
    assert hold.is_open
    # The hold names the record behind it.
    reasons = reasons_of(where, registration)
    assert any(f"case {case.pk}" in reason and "appeal" in reason for reason in reasons)
    assert AuditEvent.objects.filter(action="case.raised").count() == 1


def test_a_learner_cannot_open_a_malpractice_case():
    _, registration, learner = world()
    with pytest.raises(CaseError, match=r"Learner malpractice' \(l\.506-508\).*head of centre"):
        cases.raise_case(
            actor=learner, registration=registration, kind=CaseKind.MALPRACTICE, details="x"
        )


def test_someone_with_no_part_in_the_registration_raises_nothing():
    where, registration, _ = world()
    other = learner_on(where, name="Other Learner")
    with pytest.raises(CaseError, match="raised by the learner"):
        cases.raise_case(
            actor=other.learner, registration=registration, kind=CaseKind.APPEAL, details="x"
        )


def test_the_first_stage_is_the_lead_ivs_not_the_admins_nor_the_assessors():
    where, registration, learner = world()
    case = appeal(where, registration, learner)
    for wrong in (where.admin, where.assessor, learner):
        with pytest.raises(CaseError, match=r"Appeals against assessment' \(l\.486\).*Lead"):
            cases.decide(actor=wrong, case=case, outcome=CaseOutcome.UPHELD, note="Agreed.")
    cases.decide(actor=where.iv, case=case, outcome=CaseOutcome.NOT_UPHELD, note="Judged fairly.")
    case.refresh_from_db()
    assert case.status == CaseStatus.DECIDED
    assert case.decided_by == where.iv
    assert not ClaimHold.objects.get(case=case).is_open


def test_a_policy_naming_a_lead_iv_keeps_the_first_stage_to_them():
    today = clock.today()
    where, registration, learner = world()
    lead = member(where.centre, Role.INTERNAL_VERIFIER, full_name="Lena Lead")
    cases.set_policy(
        actor=where.admin,
        centre_id=where.centre.pk,
        lead_iv=lead,
        lead_iv_days=5,
        centre_days=7,
        escalation_days=3,
    )
    case = appeal(where, registration, learner)
    assert case.due_on == today + datetime.timedelta(days=5)
    with pytest.raises(CaseError, match="centre's case policy: the policy names Lena Lead"):
        cases.decide(actor=where.iv, case=case, outcome=CaseOutcome.UPHELD, note="Yes.")
    cases.decide(actor=lead, case=case, outcome=CaseOutcome.UPHELD, note="Yes.")


def test_an_appeal_goes_on_to_the_head_of_centre_then_to_the_awarding_body():
    today = clock.today()
    where, registration, learner = world()
    case = appeal(where, registration, learner)
    with pytest.raises(CaseError, match="only after the centre's own stages"):
        cases.refer(actor=where.admin, case=case, reference="AB-1", note="Sent.")
    cases.decide(actor=where.iv, case=case, outcome=CaseOutcome.NOT_UPHELD, note="Fair.")
    case.refresh_from_db()
    assert case.due_on == today + datetime.timedelta(days=10)  # time to take it further
    with pytest.raises(CaseError, match="learner takes their appeal further"):
        cases.escalate(actor=where.iv, case=case, note="x")
    cases.escalate(actor=learner, case=case, note="The witness statement is still unread.")
    case.refresh_from_db()
    assert (case.status, case.stage) == (CaseStatus.OPEN, CaseStage.CENTRE)
    assert ClaimHold.objects.filter(case=case, released_at__isnull=True).count() == 1
    with pytest.raises(CaseError, match="head of centre's stage the centre's admins decide"):
        cases.decide(actor=where.iv, case=case, outcome=CaseOutcome.UPHELD, note="x")
    cases.decide(actor=where.admin, case=case, outcome=CaseOutcome.NOT_UPHELD, note="Upheld IV.")
    cases.refer(actor=where.admin, case=case, reference="PEARSON-APP-7", note="Form sent.")
    case.refresh_from_db()
    assert case.status == CaseStatus.WITH_AWARDING_BODY
    assert ClaimHold.objects.filter(case=case, released_at__isnull=True).count() == 1
    cases.record_awarding_body_outcome(
        actor=where.admin, case=case, outcome=CaseOutcome.UPHELD, note="Pearson upheld it."
    )
    case.refresh_from_db()
    assert (case.status, case.outcome, case.ab_reference) == (
        CaseStatus.DECIDED,
        CaseOutcome.UPHELD,
        "PEARSON-APP-7",
    )
    assert not ClaimHold.objects.filter(case=case, released_at__isnull=True).exists()
    # Every step is kept: the appeal and its resolutions are documented (l.488).
    assert list(case.steps.values_list("action", flat=True)) == [
        "raised",
        "decided",
        "escalated",
        "decided",
        "referred",
        "ab_outcome",
    ]
    assert ClaimHold.objects.filter(case=case).count() == 3  # three times held, none deleted


def test_an_appeal_is_taken_further_only_within_the_policys_time():
    today = clock.today()
    where, registration, learner = world()
    case = appeal(where, registration, learner)
    cases.decide(actor=where.iv, case=case, outcome=CaseOutcome.NOT_UPHELD, note="Fair.")
    Case.objects.filter(pk=case.pk).update(due_on=today - datetime.timedelta(days=1))
    with pytest.raises(CaseError, match=r"centre's case policy: .* within 10 days .* ended on"):
        cases.escalate(actor=learner, case=case, note="Late.")


def test_special_consideration_is_the_awarding_bodys_to_decide():
    where, registration, learner = world()
    case = cases.raise_case(
        actor=learner,
        registration=registration,
        kind=CaseKind.SPECIAL_CONSIDERATION,
        details="In hospital during the observation week.",
    )
    assert ClaimHold.objects.get(case=case).is_open
    with pytest.raises(CaseError, match=r"'Special consideration' \(l\.478\): centres cannot"):
        cases.decide(actor=where.admin, case=case, outcome=CaseOutcome.APPROVED, note="Yes.")
    with pytest.raises(CaseError, match="reference"):
        cases.refer(actor=where.admin, case=case, reference=" ", note="Sent.")
    cases.refer(actor=where.admin, case=case, reference="SC-123", note="Application sent.")
    # Claims wait for the outcome (l.480).
    assert any("special consideration" in r for r in reasons_of(where, registration))
    cases.record_awarding_body_outcome(
        actor=where.admin, case=case, outcome=CaseOutcome.APPROVED, note="Granted."
    )
    assert not any("special consideration" in r for r in reasons_of(where, registration))


def test_malpractice_is_reported_by_staff_and_sanctioned_by_the_awarding_body():
    where, registration, _ = world()
    case = cases.raise_case(
        actor=where.assessor,
        registration=registration,
        kind=CaseKind.MALPRACTICE,
        details="The reflective account matches another learner's word for word.",
    )
    with pytest.raises(CaseError, match=r"Learner malpractice' .*awarding body's to determine"):
        cases.decide(actor=where.admin, case=case, outcome=CaseOutcome.PROVEN, note="x")
    with pytest.raises(CaseError, match="head of centre deals with the awarding body"):
        cases.refer(actor=where.iv, case=case, reference="M1-9", note="x")
    cases.refer(actor=where.admin, case=case, reference="M1-9", note="JCQ Form M1 sent.")
    cases.record_awarding_body_outcome(
        actor=where.admin, case=case, outcome=CaseOutcome.NOT_PROVEN, note="No case to answer."
    )


def test_a_reasonable_adjustment_is_approved_by_the_centre_and_holds_nothing():
    where, registration, learner = world()
    case = cases.raise_case(
        actor=learner,
        registration=registration,
        kind=CaseKind.REASONABLE_ADJUSTMENT,
        details="Screen reader for written questions.",
    )
    assert not ClaimHold.objects.filter(case=case).exists()
    with pytest.raises(CaseError, match="approved, refused"):
        cases.decide(actor=where.iv, case=case, outcome=CaseOutcome.UPHELD, note="x")
    cases.decide(actor=where.iv, case=case, outcome=CaseOutcome.APPROVED, note="Normal practice.")
    case.refresh_from_db()
    assert case.outcome == CaseOutcome.APPROVED


def test_nobody_decides_a_case_they_raised():
    where, registration, _ = world()
    case = cases.raise_case(
        actor=where.iv,
        registration=registration,
        kind=CaseKind.REASONABLE_ADJUSTMENT,
        details="Extra time.",
    )
    with pytest.raises(CaseError, match="someone other than who raised it"):
        cases.decide(actor=where.iv, case=case, outcome=CaseOutcome.APPROVED, note="x")


def test_withdrawing_is_the_learners_or_an_admins_and_releases_the_hold():
    where, registration, learner = world()
    case = appeal(where, registration, learner)
    with pytest.raises(CaseError, match="withdrawn by the learner it concerns or a centre admin"):
        cases.withdraw(actor=where.assessor, case=case, note="x")
    cases.withdraw(actor=learner, case=case, note="Resolved by talking it through.")
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    assert not ClaimHold.objects.get(case=case).is_open
    with pytest.raises(CaseError, match="withdrawn: it cannot be withdrawn"):
        cases.withdraw(actor=learner, case=case, note="again")


def test_a_document_is_typed_from_its_content_and_refused_if_unknown(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    where, registration, learner = world()
    case = appeal(where, registration, learner)
    pdf = SimpleUploadedFile("statement.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n")
    document = cases.add_document(actor=learner, case=case, upload=pdf)
    assert document.content_type == "application/pdf"
    assert document.file.name.startswith(f"cases/{case.pk}/")
    with pytest.raises(CaseError, match="not a type of file"):
        cases.add_document(
            actor=learner, case=case, upload=SimpleUploadedFile("x.bin", b"\x00\x01\x02" * 10)
        )
    eqa = member(where.centre, Role.EQA)
    with pytest.raises(CaseError, match="external quality assurer reads them"):
        cases.add_document(actor=eqa, case=case, upload=pdf)


def test_audit_events_follow_every_change():
    where, registration, learner = world()
    case = appeal(where, registration, learner)
    cases.decide(actor=where.iv, case=case, outcome=CaseOutcome.UPHELD, note="Re-judged.")
    actions = list(
        AuditEvent.objects.filter(centre_id=where.centre.pk)
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions[-4:] == [
        "case.raised",
        "claim.hold_opened",
        "case.decided",
        "claim.hold_released",
    ]
    assert timezone.now()


def test_a_cases_hold_is_released_by_the_case_not_by_hand():
    where, registration, learner = world()
    case = appeal(where, registration, learner)
    hold = ClaimHold.objects.get(case=case)
    from certification import holds
    from certification.models import ClaimError

    with pytest.raises(ClaimError, match=f"stands for case {case.pk}"):
        holds.release_hold(actor=where.admin, hold=hold, note="Done.")
    assert ClaimHold.objects.get(pk=hold.pk).is_open


def test_an_iv_who_assesses_the_learner_does_not_consider_their_appeal():
    where, registration, learner = world()
    both = member(where.centre, Role.INTERNAL_VERIFIER, full_name="Marcus Both")
    registration.assessors.add(both)
    case = appeal(where, registration, learner)
    assert not cases.may_decide(both, case)
    with pytest.raises(CaseError, match="you assess this learner, so another internal verifier"):
        cases.decide(actor=both, case=case, outcome=CaseOutcome.UPHELD, note="Fine.")
    assert cases.may_decide(where.iv, case)
