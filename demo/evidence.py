"""The demo's decisions resting on evidence (assessments.basis): a learner's prior learning
recognised by the assessor's RPL record, with its reason and the certificate, and two criteria
judged met by RPL on it through the judging form, as an assessor does. Every unit the demo signs
off carries the assessor's authenticity declaration (assessments.services.sign_off_unit).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from accounts.models import Centre
from assessments.judging import RowJudgement, judge_evidence
from assessments.models import AssessorRecord, Decision, RecordKind, UnitSignOff
from assessments.records import create_record
from assessments.release import validation_required
from demo.centres import DemoCentre
from demo.common import criteria_by_unit, tiny_pdf, upload
from portfolios.models import EvidenceContext, EvidenceMethod, Registration, RegistrationStatus


def seed_evidence_basis(*, centre: Centre, demo: DemoCentre) -> None:
    """For the first demo learner with a unit not yet judged (and no validation to wait for):
    an RPL record over two of its criteria, judged met by RPL. Added once."""
    registrations = (
        Registration.objects.filter(
            centre=centre,
            learner__email__in=demo.learner_emails(),
            status=RegistrationStatus.ACTIVE,
        )
        .select_related("learner", "qualification")
        .prefetch_related("assessors")
        .order_by("created_at", "pk")
    )
    if AssessorRecord.objects.filter(
        kind=RecordKind.RPL, evidence__registration__in=registrations
    ).exists():
        return
    for registration in registrations:
        if validation_required(registration):
            continue
        signed = set(
            UnitSignOff.objects.active()
            .filter(registration=registration)
            .values_list("unit_id", flat=True)
        )
        decided = set(
            Decision.objects.filter(registration=registration).values_list(
                "criterion_id", flat=True
            )
        )
        for criteria in criteria_by_unit(registration):
            if criteria[0].unit_id in signed or len(criteria) < 2:
                continue
            if any(criterion.pk in decided for criterion in criteria[:2]):
                continue
            _recognise(registration, criteria[:2])
            return


def _recognise(registration: Registration, criteria: list) -> None:
    assessor = registration.assessors.all()[0]
    first_name = registration.learner.get_short_name()
    on = min(registration.start_date + timedelta(days=7), timezone.localdate())
    record = create_record(
        assessor=assessor,
        registration=registration,
        kind=RecordKind.RPL,
        title="Prior learning: Level 2 Certificate in Customer Service (2023)",
        occurred_on=on,
        place="Northgate College, Level 2 Certificate in Customer Service",
        context=EvidenceContext.REAL_WORK_PAID,
        account=(
            f"{first_name}'s 2023 certificate and its unit transcript cover these criteria in "
            "full. I checked the certificate with the awarding body's online verification and "
            f"questioned {first_name} on both: the learning is current and their own."
        ),
        criteria=criteria,
        recording=upload(
            "certificate.pdf",
            tiny_pdf(f"Certificate - {registration.learner.full_name}"),
            "application/pdf",
        ),
    )
    judge_evidence(
        assessor=assessor,
        evidence=record.evidence,
        rows=[
            RowJudgement(
                criterion_id=criterion.pk,
                outcome="met",
                feedback="Met by recognition of prior learning: your certificate shows it.",
            )
            for criterion in criteria
        ],
        method=EvidenceMethod.RPL,
        assessed_on=on,
        token=uuid.uuid4(),
    )
