"""Set-up for the sample-record tests: a learner whose unit is judged, with a submitted piece of
evidence carrying a real file, and signed off by the assessor."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Centre, Role, User
from assessments.models import Decision
from assessments.services import record_decision, sign_off_unit
from portfolios import evidence as evidence_services
from portfolios.models import Evidence, Registration
from portfolios.services import register_learner
from qualifications.models import Qualification, Unit
from tests.factories import DEFAULT_PASSWORD, CentreFactory, member
from tests.support import clock
from verification.models import PlannedSample, SampleSource, SampleStage, SamplingPlan
from verification.services import save_strategy

IMI = "601/3456/2"
UNDERSTAND_CUSTOMERS = "F/506/2131"  # IMI CS 8, mandatory, 9 criteria

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class Case:
    centre: Centre
    admin: User
    assessor: User
    iv: User
    learner: User
    registration: Registration
    unit: Unit
    evidence: Evidence


def make_case(*, sign_off: bool = True, iv_name: str = "Ivy Verifier", judged: int = 9) -> Case:
    today = clock.today()
    centre = CentreFactory()
    imi = Qualification.objects.get(number=IMI)
    centre.qualifications.add(imi)
    admin = member(centre, Role.CENTRE_ADMIN)
    assessor = member(centre, Role.ASSESSOR, full_name="Sam Assessor")
    iv = member(centre, Role.INTERNAL_VERIFIER, full_name=iv_name)
    learner = member(centre, Role.LEARNER, full_name="Ana Lima")
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=imi,
        start_date=today - datetime.timedelta(days=60),
        assessors=[assessor],
        internal_verifier=iv,
    )
    unit = Unit.objects.get(key=UNDERSTAND_CUSTOMERS)
    evidence = evidence_services.evidence_create(
        actor=learner,
        registration=registration,
        title="Customer survey",
        evidence_date=today,
        method="product",
        context="real_work_paid",
        description="A survey I ran.",
    )
    evidence_services.file_add(
        actor=learner,
        evidence=evidence,
        upload=SimpleUploadedFile("survey.pdf", PDF, content_type="application/pdf"),
    )
    evidence_services.map_criteria(actor=learner, evidence=evidence, criteria=unit.criteria.all())
    evidence_services.submit(
        actor=learner, evidence=evidence, typed_name="Ana Lima", confirmed=True
    )
    for criterion in unit.criteria.order_by("position")[:judged]:
        record_decision(
            assessor=assessor,
            registration=registration,
            criterion=criterion,
            outcome="met",
            method="product",
            assessed_on=today,
            feedback=f"Shown for {criterion.number}.",
            evidence=[evidence],
        )
    if sign_off:
        sign_off_unit(
            assessor=assessor,
            registration=registration,
            unit=unit,
            password=DEFAULT_PASSWORD,
            declared_authentic=True,
        )
    return Case(centre, admin, assessor, iv, learner, registration, unit, evidence)


def decision_on(case: Case, number: str) -> Decision:
    return (
        Decision.objects.current()
        .filter(registration=case.registration, criterion__unit=case.unit)
        .get(criterion__number=number)
    )


def plan_sample(case: Case, stage: str = SampleStage.INTERIM) -> PlannedSample:
    """A plan holding one planned sample of the case's unit."""
    today = clock.today()
    strategy = save_strategy(
        actor=case.iv, centre=case.centre, qualification=case.registration.qualification, values={}
    )
    plan = SamplingPlan.objects.create(
        strategy=strategy,
        strategy_version=1,
        period_start=today,
        period_end=today + datetime.timedelta(days=30),
        created_by=case.iv,
    )
    return PlannedSample.objects.create(
        plan=plan,
        registration=case.registration,
        unit=case.unit,
        assessor=case.assessor,
        stage=stage,
        planned_on=today,
        verifier=case.iv,
        source=SampleSource.MANUAL,
        added_by=case.iv,
    )
