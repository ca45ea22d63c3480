"""Issue 19's demo: an employer of apprentices at the centre, its contact's login, and three
apprentices on the Customer Service Practitioner route with their programme records.

Finds what exists and adds what is missing, like the rest of the demo: a second run adds
nothing (apprenticeship_save with the same values changes nothing)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from accounts.models import Centre, Employer, Role, User
from accounts.services import employer_create, person_create
from demo.centres import DEMO_PASSWORD, DemoCentre
from demo.common import ensure_password
from portfolios.apprenticeships import Programme, apprenticeship_save
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import Standard
from qualifications.standards import qualifications_for

STANDARD = "customer-service-practitioner"
APPRENTICES = 3
# The demo's figure for the standard's published minimum off-the-job hours: a centre enters
# the real one from the standard's funding band page.
MINIMUM_OTJ_HOURS = Decimal("278")
# How long before her registration the gateway apprentice's practical period began.
GATEWAY_HEAD_START_DAYS = 330
# The apprentice at the end-point assessment gateway (demo/gateway.py): by her place in the
# centre's list of learners, so each demo centre tells the story of the same twin (Chloe Walsh
# at Northgate, Lucy Fraser at Southfield), whatever their names' order.
GATEWAY_PLACE = 2


def gateway_learner(demo: DemoCentre) -> str:
    return demo.learners[GATEWAY_PLACE][0]


def seed_apprenticeships(*, centre: Centre, demo: DemoCentre) -> None:
    actor = User.objects.get(email=demo.centre_admin.email)
    employer = Employer.objects.filter(centre=centre, name__iexact=demo.employer).first()
    if employer is None:
        employer = employer_create(
            actor=actor,
            centre=centre,
            name=demo.employer,
            phone="0161 496 0700",
            contact_email=demo.employer_contact.email,
        )
    contact, _ = person_create(
        actor=actor,
        centre=centre,
        email=demo.employer_contact.email,
        full_name=demo.employer_contact.full_name,
        role=Role.EMPLOYER,
        password=DEMO_PASSWORD,
        employer=employer,
    )
    ensure_password(contact)

    standard = Standard.objects.filter(code=STANDARD).first()
    if standard is None:
        return
    # The first learners at work on a qualification that maps to the standard, by name.
    registrations = (
        Registration.objects.filter(
            centre=centre,
            status=RegistrationStatus.ACTIVE,
            qualification__in=qualifications_for(standard),
            learner__email__in=demo.learner_emails(),
        )
        .select_related("qualification", "learner")
        .order_by("learner__full_name", "pk")[:APPRENTICES]
    )
    for index, registration in enumerate(registrations):
        start = registration.start_date
        # The gateway apprentice (demo/gateway.py): her practical period began long enough
        # before her registration here to pass the minimum, and her maths is achieved. Dated
        # from her registration, so a later run changes nothing.
        at_gateway = registration.learner.full_name == gateway_learner(demo)
        if at_gateway:
            start -= timedelta(days=GATEWAY_HEAD_START_DAYS)
        # The second has prior learning recognised: the planned hours are reduced, with why.
        reduction = Decimal("40") if index == 1 else Decimal("0")
        apprenticeship_save(
            actor=actor,
            registration=registration,
            programme=Programme(
                employer=employer,
                standard=standard,
                standard_version="1.2",
                practical_start=start,
                practical_planned_end=start + timedelta(days=456 if at_gateway else 396),
                minimum_otj_hours=MINIMUM_OTJ_HOURS,
                rpl_reduction_hours=reduction,
                rpl_reason="Level 2 Certificate in Customer Service, achieved 2024"
                if reduction
                else "",
                english_requirement="held" if index == 0 or at_gateway else "required",
                english_status="achieved" if index == 0 or at_gateway else "in_progress",
                maths_requirement="required",
                maths_status="achieved"
                if at_gateway
                else "not_started"
                if index == 2
                else "in_progress",
                epao_name="Highfield Assessment",
                epao_reference="EPA0032",
            ),
        )
