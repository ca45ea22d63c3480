"""The demo's returns held for internal verification (Pearson BTEC, section 8: feedback "must
be validated by an Internal Verifier before it is given to the learner"): a Pearson learner's
return in the story of a resubmission is agreed by their IV before they start version 2, and on
the first Pearson demo learner one more return waits in the IV's queue, so the learner still
sees that evidence as submitted. Written once: a second run finds it and adds nothing."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Centre
from assessments.models import HeldReturn
from assessments.services import return_evidence
from assessments.validation import validate_return
from demo.centres import DemoCentre
from portfolios.evidence import evidence_create, map_criteria, submit
from portfolios.models import (
    Evidence,
    EvidenceContext,
    EvidenceMethod,
    Registration,
    RegistrationStatus,
)
from qualifications.models import AssessmentCriterion

TITLE = "Customer feedback summary"


def agree_held_return(evidence: Evidence) -> None:
    """The registration's IV agrees the return waiting on `evidence`, if one waits."""
    held = HeldReturn.objects.waiting().filter(evidence=evidence).first()
    verifier = evidence.registration.internal_verifier
    if held is None or verifier is None:
        return
    validate_return(
        validator=verifier,
        held=held,
        outcome="agreed",
        comment="The feedback says why attainment is not shown, not how to improve.",
    )


def seed_held_returns(*, centre: Centre, demo: DemoCentre) -> None:
    registration = (
        Registration.objects.filter(
            centre=centre,
            learner__email__in=demo.learner_emails(),
            qualification__decisions_need_validation=True,
            status=RegistrationStatus.ACTIVE,
            internal_verifier__isnull=False,
        )
        .select_related("learner")
        .order_by("created_at", "pk")
        .first()
    )
    if registration is None or registration.evidence.filter(title=TITLE).exists():
        return
    assessor = registration.assessors.order_by("pk").first()
    criterion = (
        AssessmentCriterion.objects.filter(unit__in=registration.unit_choices.values("unit"))
        .order_by("unit__key", "position")
        .first()
    )
    if assessor is None or criterion is None:
        return
    learner = registration.learner
    evidence = evidence_create(
        actor=learner,
        registration=registration,
        title=TITLE,
        description="What customers said about our service last month, and what I did next.",
        evidence_date=timezone.localdate(),
        method=EvidenceMethod.PRODUCT,
        context=EvidenceContext.REAL_WORK_PAID,
    )
    map_criteria(actor=learner, evidence=evidence, criteria=[criterion])
    submit(actor=learner, evidence=evidence, typed_name=learner.full_name, confirmed=True)
    return_evidence(
        assessor=assessor,
        evidence=evidence,
        feedback=(
            f"{criterion.number} not demonstrated: the summary lists the comments but does not "
            "show what was done in response to them."
        ),
    )
