"""The demo centre's cases, one of each kind, told through the real services
(certification.cases), so each shows its record, its history and, where it holds a claim, the
hold that names it:

- the centre's policy: Dorothy Evans (at Northgate) is the lead internal verifier;
- an appeal: Sophie Turner appealed a decision; the lead IV did not uphold it; she took it to
  the head of centre, where it is open, with its deadline;
- a reasonable adjustment: Ravi Patel asked for one, with a supporting letter; the IV approved
  it, and his assessor sees it beside his portfolio;
- special consideration: Emily Clarke applied; the centre sent it to the awarding body, whose
  reference it carries while the claim waits;
- malpractice: Liam O'Connor's assessor reported suspected copying; the centre reported it to
  the awarding body, which found it not proven.

Runs once per centre: a centre with any case already is left alone.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from certification import cases
from certification.models import Case, CaseKind, CaseOutcome
from demo.centres import DemoCentre
from demo.common import tiny_pdf, upload
from portfolios.models import Registration


def seed_cases(*, centre: Any, demo: DemoCentre) -> None:
    if Case.objects.filter(registration__centre=centre).exists():
        return
    admin = User.objects.get(email=demo.centre_admin.email)
    lead_iv = User.objects.get(email=demo.verifier.email)
    cases.set_policy(
        actor=admin,
        centre_id=centre.pk,
        lead_iv=lead_iv,
        lead_iv_days=10,
        centre_days=10,
        escalation_days=10,
    )

    def registration_of(index: int) -> Registration:
        name = demo.learners[index][0]
        return Registration.objects.select_related("learner").get(
            centre=centre, learner__email=demo.learner_email(name)
        )

    # An appeal, taken on to the head of centre.
    sophie = registration_of(4)
    appeal = cases.raise_case(
        actor=sophie.learner,
        registration=sophie,
        kind=CaseKind.APPEAL,
        details="My observation was judged not yet met, but the customer's complaint was "
        "resolved as the standard asks: please look at the witness statement again.",
    )
    cases.decide(
        actor=lead_iv,
        case=appeal,
        outcome=CaseOutcome.NOT_UPHELD,
        note="The witness statement does not cover criterion 2.3; the decision stands.",
    )
    cases.escalate(
        actor=sophie.learner,
        case=appeal,
        note="The statement covers 2.3 in its second paragraph.",
    )

    # A reasonable adjustment, approved, with its supporting letter.
    ravi = registration_of(5)
    adjustment = cases.raise_case(
        actor=ravi.learner,
        registration=ravi,
        kind=CaseKind.REASONABLE_ADJUSTMENT,
        details="Dyslexia: written questions read aloud and answers recorded as audio, as at work.",
    )
    cases.add_document(
        actor=ravi.learner,
        case=adjustment,
        upload=upload(
            "assessment-of-needs.pdf",
            tiny_pdf("Assessment of needs: reader and recorded answers"),
            "application/pdf",
        ),
    )
    cases.decide(
        actor=lead_iv,
        case=adjustment,
        outcome=CaseOutcome.APPROVED,
        note="Reflects his normal working practice (Pearson l.466); assessors read the "
        "questions aloud and accept recorded answers.",
    )

    # Special consideration, with the awarding body.
    emily = registration_of(6)
    special = cases.raise_case(
        actor=emily.learner,
        registration=emily,
        kind=CaseKind.SPECIAL_CONSIDERATION,
        details="In hospital for two weeks during the planned observation of unit 3.",
    )
    cases.refer(
        actor=admin,
        case=special,
        reference=f"SC-{demo.number}-0001",
        note="Application and hospital letter sent to the awarding body.",
    )

    # Malpractice, reported by the assessor, decided by the awarding body.
    liam = registration_of(7)
    assessor = liam.assessors.get()
    malpractice = cases.raise_case(
        actor=assessor,
        registration=liam,
        kind=CaseKind.MALPRACTICE,
        details="The reflective account for unit 2 matches another learner's word for word.",
    )
    cases.refer(
        actor=admin,
        case=malpractice,
        reference=f"M1-{demo.number}-0001",
        note="JCQ Form M1 and both accounts sent to the investigations team.",
    )
    cases.record_awarding_body_outcome(
        actor=admin,
        case=malpractice,
        outcome=CaseOutcome.NOT_PROVEN,
        note="The two learners drafted the account together in a study session; no sanction.",
    )
