"""A large centre to measure on (`manage.py seed_scale`), built through the project's services.

Scale Centre (90001), every login with the password "scale-password":

- full.sfj@scale.example: SFJ 601/1109/4 with all 59 units, every one of its 1,232 criteria
  judged met on a submitted workbook (the units are not signed off: the registration stays
  active, as a portfolio still being worked is the one people open most);
- assessor@scale.example: a caseload of 200 learners (the SFJ learner among them) in a spread
  of progress: some with units signed off, some part-way, evidence waiting to be judged, new
  starters with nothing yet, and old starters behind their planned pace. The second learner's
  witness-statement evidence, mapped to 25 criteria and not yet judged, is the judging page's;
- iv@scale.example: the caseload's internal verifier, with a sampling plan of 230 samples on
  IMI 601/3456/2 (drawn from the strategy, topped up by hand) and one sample started and agreed;
- admin@scale.example: the centre admin, with 10,000 complete registrations ready to claim
  (Ascentis 600/1686/3: every unit signed off, sampled and signed off by claims.iv@), written
  in bulk by demo/scale_bulk.py exactly as the services would leave them;
- imi.full@scale.example: the largest valid IMI 601/3456/2 registration, complete, with its
  full achievement record built (the achievement-record benchmark's);
- employer@scale.example: the contact of Harbour Hotels, whose apprentices are the caseload's
  NCFE 601/3973/0 learners (issue 19), each with a programme record and some off-the-job
  hours; learner007's log holds 300 entries, most approved (the off-the-job log benchmark's),
  and one testimony is asked of the contact;
- apprentices.assessor@scale.example: the assessor of 90 more NCFE apprentices at four more
  employers (contacts employer1@ to employer4@). Every apprentice has three progress reviews
  signed by all three and locked (learner007 six); every eighth has passed the gateway, and a
  third of those have an end-point result (the reviews, gateway and cohort benchmarks').

`--platform` adds 99 more centres (100 with this one), 20,000 learners and over a million
decisions, in bulk. The people measured are made through the services; only the bulk is not.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from accounts.models import Centre, Membership, Role, User
from accounts.services import employer_create, learner_profile_update, person_create
from assessments.achievements import build_now
from assessments.basis import authenticity_statement
from assessments.gateway import readiness_for, record_result
from assessments.judging import RowJudgement, judge_evidence
from assessments.models import Decision
from assessments.models.achievement import AchievementRecord
from assessments.services import sign_off_unit
from core.audit import record_event
from core.bulk import RowWriter
from demo.common import a_valid_choice, tiny_pdf, upload
from demo.common import criteria_by_unit as by_unit
from demo.competence import give_competence
from demo.quality import achieve_unit
from demo.scale_bulk import CriterionRow, Learner, Staff, UnitPlan, chunks, write_learners
from portfolios import off_the_job
from portfolios.apprenticeships import Programme, apprenticeship_save
from portfolios.evidence import evidence_create, file_add, map_criteria, submit
from portfolios.models import (
    EndPointGrade,
    Evidence,
    EvidenceContext,
    EvidenceMethod,
    GatewayParty,
    GatewaySignature,
    ProgressReview,
    Registration,
    RegistrationStatus,
    SignerRole,
)
from portfolios.readmodel import fill_missing
from portfolios.reviews import pdf_builds_held, review_create, review_sign
from portfolios.services import register_learner
from portfolios.witness import witness_request_create
from qualifications.combination import largest_combination, mandatory_units
from qualifications.models import AssessmentCriterion, Qualification, Standard
from qualifications.queries import combination_rules
from verification.models import PlannedSample, SampleStage, SamplingPlan
from verification.models.sample import Sample
from verification.samples import agree, start_planned_sample
from verification.services import (
    add_planned_sample,
    draw_plan,
    remove_planned_sample,
    save_strategy,
)

CENTRE_NAME = "Scale Centre"
CENTRE_NUMBER = "90001"
PASSWORD = "scale-password"  # noqa: S105 (a published demo password, like seed_demo's)
DOMAIN = "scale.example"
SFJ = "601/1109/4"
IMI = "601/3456/2"
NCFE = "601/3973/0"
ASCENTIS_CERTIFICATE = "600/1684/X"
CLAIM_QUALIFICATION = "600/1686/3"
# SFJ 601/1109/4 closed to new learners on 31 March 2021: its learner started before that.
SFJ_START = date(2020, 9, 7)
EMPLOYERS = (
    "Harbour Hotels",
    "Northgate Motors",
    "Brightline Rail",
    "Pennine Water",
    "Castle Insurance",
    "City Council Contact Centre",
    "Greenway Supermarkets",
    "Meridian Rail",
)
JUDGING_CRITERIA = 25
PLATFORM_CENTRE_NUMBER = 90100  # the 99 platform centres are 90101 onwards


def email(local: str) -> str:
    return f"{local}@{DOMAIN}"


ADMIN = email("admin")
EMPLOYER_CONTACT = email("employer")
EMPLOYER = EMPLOYERS[0]
OTJ_LEARNER = email("learner007")
ASSESSOR = email("assessor")
IV = email("iv")
FULL_LEARNER = email("full.sfj")
IMI_LEARNER = email("imi.full")
CLAIM_ASSESSOR = email("claims.assessor")
CLAIM_IV = email("claims.iv")


@dataclass(frozen=True)
class Sizes:
    caseload: int = 200  # the assessor's learners, the SFJ learner included
    samples: int = 230  # in the IV's plan
    claimable: int = 10_000
    sfj_units: int | None = None  # None: every unit of the qualification (59)
    platform: bool = False
    platform_centres: int = 99  # besides Scale Centre
    platform_learners: int = 20_000
    platform_decisions: int = 1_000_000
    # The largest IMI learner, every unit achieved, and their achievement record (slow: some
    # 500 decisions through the services, then WeasyPrint).
    largest_imi: bool = True
    # Issue 19: the off-the-job log of the first apprentice, in entries.
    otj_entries: int = 300
    # Issue 19: apprentices at the other employers, each with its own contact and assessor.
    more_apprentices: int = 90
    # Signed progress reviews of each apprentice; the longest log's apprentice has twice as many.
    reviews: int = 3
    # Every n-th apprentice has passed the gateway (three signatures); every m-th of those has
    # an end-point result.
    gateway_every: int = 8
    result_every: int = 3


class ScaleError(Exception):
    pass


Say = Callable[[str], None]


def seed(*, sizes: Sizes, say: Say = print) -> dict[str, Any]:
    """Build the scale centre (and the platform with sizes.platform); return the manifest.

    Refuses if the centre exists already: read its manifest with `manifest()` instead."""
    if Centre.objects.filter(number=CENTRE_NUMBER).exists():
        raise ScaleError(
            f"{CENTRE_NAME} ({CENTRE_NUMBER}) is already seeded; use a fresh database to seed "
            "it again."
        )
    timings: dict[str, float] = {}
    started = time.perf_counter()
    # Every login gets the real hash (computed once: hashing 10,000 passwords would take over
    # an hour). While seeding, the staff hold a cheap one instead: each unit sign-off asks for
    # the assessor's password, and checking a real hash costs a second or more each time.
    final_hash = make_password(PASSWORD)
    # Mail the services queue (notifications of assessed evidence) goes nowhere, and the eager
    # tasks that send it do not log a line each.
    task_log = logging.getLogger("celery.app.trace")
    level = task_log.level
    task_log.setLevel(logging.WARNING)
    try:
        with (
            # The progress reviews' PDFs are queued, not built (apprentice_reviews): hundreds
            # of builds with WeasyPrint took over three minutes, and a queued PDF is a state
            # the review pages show. They stay queued: the bench measures the pages, not the
            # worker.
            pdf_builds_held(),
            override_settings(
                EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            ),
            transaction.atomic(),
        ):
            _seed_centre(sizes=sizes, say=say, timings=timings, final_hash=final_hash)
    finally:
        task_log.setLevel(level)
    timings["centre"] = time.perf_counter() - started
    say(f"Scale Centre built in {timings['centre']:.1f} s.")
    if sizes.platform:
        started = time.perf_counter()
        with transaction.atomic():
            seed_platform(sizes=sizes, say=say)
            _count_progress()
        timings["platform"] = time.perf_counter() - started
        say(f"Platform built in {timings['platform']:.1f} s.")
    data = manifest()
    data["timings_seconds"] = {k: round(v, 1) for k, v in timings.items()}
    return data


# ---------------------------------------------------------------- the centre, through services


def _seed_centre(*, sizes: Sizes, say: Say, timings: dict[str, float], final_hash: str) -> None:
    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = now - since
        say(f"  {name}: {now - since:.1f} s")
        return now

    mark = time.perf_counter()
    centre = Centre.objects.create(name=CENTRE_NAME, number=CENTRE_NUMBER)
    centre.qualifications.add(*Qualification.objects.all())
    if not Qualification.objects.filter(number=SFJ).exists():
        raise ScaleError("The catalogue is not loaded: run load_catalogue first.")
    password_hash = make_password(PASSWORD)  # the cheap one, while seeding
    admin, _ = person_create(
        actor=None, centre=centre, email=ADMIN, full_name="Sam Admin", role=Role.CENTRE_ADMIN
    )
    staff = {}
    for address, name, role in (
        (ASSESSOR, "Alex Assessor", Role.ASSESSOR),
        (IV, "Ivy Verifier", Role.INTERNAL_VERIFIER),
        (CLAIM_ASSESSOR, "Chris Assessor", Role.ASSESSOR),
        (CLAIM_IV, "Cleo Verifier", Role.INTERNAL_VERIFIER),
    ):
        staff[address], _ = person_create(
            actor=admin, centre=centre, email=address, full_name=name, role=role
        )
    give_competence(
        actor=admin,
        centre=centre,
        staff={
            ASSESSOR: Role.ASSESSOR,
            IV: Role.INTERNAL_VERIFIER,
            CLAIM_ASSESSOR: Role.ASSESSOR,
            CLAIM_IV: Role.INTERNAL_VERIFIER,
        },
    )
    User.objects.filter(email__endswith="@" + DOMAIN).update(password=password_hash)
    for user in (admin, *staff.values()):
        user.password = password_hash
    mark = lap("staff", mark)

    _full_sfj_learner(centre=centre, admin=admin, staff=staff, sizes=sizes, password=password_hash)
    mark = lap("SFJ learner (services)", mark)
    _caseload(centre=centre, admin=admin, staff=staff, sizes=sizes, password=password_hash)
    mark = lap("caseload (services)", mark)
    _sampling_plan(centre=centre, staff=staff, sizes=sizes)
    mark = lap("sampling plan (services)", mark)
    apprentices(centre=centre, admin=admin, assessor=staff[ASSESSOR], sizes=sizes)
    mark = lap("apprentices and off-the-job hours (services)", mark)
    _more_apprentices(centre=centre, admin=admin, sizes=sizes, password=password_hash)
    mark = lap("more apprentices at other employers (services)", mark)
    apprentice_reviews(centre=centre, admin=admin, sizes=sizes)
    mark = lap("progress reviews, gateway declarations, results", mark)
    if sizes.largest_imi:
        _largest_imi(centre=centre, admin=admin, staff=staff, password=password_hash)
    mark = lap("largest IMI and its achievement record (services)", mark)
    _claimable(centre=centre, admin=admin, staff=staff, sizes=sizes, password=final_hash)
    User.objects.filter(email__endswith="@" + DOMAIN).update(password=final_hash)
    mark = lap("claimable registrations (bulk)", mark)
    _count_progress()
    lap("progress of the bulk registrations", mark)


def _count_progress() -> None:
    """The bulk writes registrations around the services that keep their progress read model
    (portfolios/readmodel.py): count theirs now, as `recount_progress --fix` would."""
    fill_missing()


def _learner(
    *,
    centre: Any,
    admin: Any,
    address: str,
    name: str,
    index: int,
    password: str,
) -> Any:
    user, _ = person_create(
        actor=admin, centre=centre, email=address, full_name=name, role=Role.LEARNER
    )
    User.objects.filter(pk=user.pk).update(password=password)
    learner_profile_update(
        actor=admin,
        user=user,
        centre=centre,
        uln=f"{5_100_000_000 + index * 7_919}",
        date_of_birth=date(1980 + index % 25, 1 + index % 12, 1 + index % 28),
        employer=EMPLOYERS[index % len(EMPLOYERS)],
    )
    user.refresh_from_db()
    return user


def _register(
    *,
    centre: Any,
    admin: Any,
    learner: Any,
    number: str,
    start: date,
    unit_keys: set[str],
    assessor: Any,
    verifier: Any,
    index: int,
) -> Any:
    return register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=Qualification.objects.get(number=number),
        start_date=start,
        planned_end_date=start + timedelta(days=365),
        awarding_body_number=f"SCL{index:06d}",
        unit_keys=unit_keys,
        assessors=[assessor],
        internal_verifier=verifier,
    )


def _full_sfj_learner(
    *, centre: Any, admin: Any, staff: dict[str, Any], sizes: Sizes, password: str
) -> Any:
    """Every unit of SFJ 601/1109/4 taken, and every criterion judged met on its workbook."""
    learner = _learner(
        centre=centre,
        admin=admin,
        address=FULL_LEARNER,
        name="Frances Fullwood",
        index=0,
        password=password,
    )
    rules = combination_rules(_qualification(SFJ))
    keys = sorted(rules.units)
    if sizes.sfj_units is not None:
        mandatory = set(mandatory_units(rules))
        keys = sorted(mandatory | set(sorted(set(keys) - mandatory)[: sizes.sfj_units]))
    registration = _register(
        centre=centre,
        admin=admin,
        learner=learner,
        number=SFJ,
        start=SFJ_START,
        unit_keys=set(keys),
        assessor=staff[ASSESSOR],
        verifier=staff[IV],
        index=0,
    )
    for choice in registration.unit_choices.select_related("unit").order_by("unit__key"):
        achieve_unit(registration, choice.unit, staff[ASSESSOR], password=PASSWORD, sign_off=False)
    return registration


def _qualification(number: str) -> Any:
    return Qualification.objects.get(number=number)


def _caseload_qualification(index: int) -> str:
    # Mostly IMI (whose plan the IV draws), with NCFE and Ascentis learners beside them.
    return {7: NCFE, 8: ASCENTIS_CERTIFICATE}.get(index % 10, IMI)


def _criteria_by_unit(registration: Any) -> list[list[Any]]:
    # Smallest units first: a learner signs off the short ones early.
    return sorted(by_unit(registration), key=lambda criteria: (len(criteria), criteria[0].unit.key))


def _caseload(
    *, centre: Any, admin: Any, staff: dict[str, Any], sizes: Sizes, password: str
) -> None:
    """The assessor's other learners, in a spread of progress (index 0 is the SFJ learner)."""
    assessor, verifier = staff[ASSESSOR], staff[IV]
    today = timezone.localdate()
    rules = {}

    def evidence(registration: Any, title: str, criteria: list[Any], method: str) -> Any:
        learner = registration.learner
        item = evidence_create(
            actor=learner,
            registration=registration,
            title=title,
            description=f"{title}, from my own work.",
            evidence_date=min(registration.start_date + timedelta(days=14), today),
            method=method,
            context=EvidenceContext.REAL_WORK_PAID,
        )
        file_add(
            actor=learner,
            evidence=item,
            upload=upload(
                "evidence.pdf", tiny_pdf(f"{title} - {learner.full_name}"), "application/pdf"
            ),
        )
        map_criteria(actor=learner, evidence=item, criteria=criteria)
        submit(actor=learner, evidence=item, typed_name=learner.full_name, confirmed=True)
        return item

    for index in range(1, sizes.caseload):
        number = _caseload_qualification(index)
        if number not in rules:
            rules[number] = combination_rules(_qualification(number))
        learner = _learner(
            centre=centre,
            admin=admin,
            address=email(f"learner{index:03d}"),
            name=f"Learner {index:03d} Caseload",
            index=index,
            password=password,
        )
        new_starter = index % 10 == 9
        start = today - timedelta(days=14 if new_starter else 30 + (index * 37) % 600)
        registration = _register(
            centre=centre,
            admin=admin,
            learner=learner,
            number=number,
            start=start,
            unit_keys=a_valid_choice(rules[number], index),
            assessor=assessor,
            verifier=verifier,
            index=index,
        )
        if new_starter:
            continue  # nothing uploaded yet
        units = _criteria_by_unit(registration)
        if index == 1:
            # The judging page's evidence: a witness statement mapped to 25 criteria, waiting.
            criteria = [c for unit in units for c in unit][:JUDGING_CRITERIA]
            evidence(
                registration,
                "Witness statement from my team leader",
                criteria,
                EvidenceMethod.WITNESS,
            )
            continue
        signed = index % 4  # 0-3 units achieved and signed off
        for criteria in units[:signed]:
            achieve_unit(registration, criteria[0].unit, assessor, password=PASSWORD)
        rest = units[signed:]
        if rest:
            # Part-way through the next unit: two criteria met, one not yet.
            part = rest[0][:3]
            item = evidence(
                registration, "Job sheet and handover notes", part, EvidenceMethod.PRODUCT
            )
            # One judging form for the three, as the assessor's page sends it.
            judge_evidence(
                assessor=assessor,
                evidence=item,
                rows=[
                    RowJudgement(
                        criterion_id=criterion.pk,
                        outcome="not_yet_met" if position == 2 else "met",
                        feedback="Met." if position < 2 else "Not yet: say what you checked first.",
                    )
                    for position, criterion in enumerate(part)
                ],
                method=EvidenceMethod.PRODUCT,
                assessed_on=min(start + timedelta(days=21), today),
                token=uuid.uuid4(),
            )
        if index % 3 == 0 and len(rest) > 1:
            # Evidence waiting for the assessor.
            evidence(
                registration, "Reflective account", rest[1][:2], EvidenceMethod.REFLECTIVE_ACCOUNT
            )


def apprentices(*, centre: Any, admin: Any, assessor: Any, sizes: Sizes) -> None:
    """Issue 19: the centre's NCFE learners are apprentices of one employer, whose contact reads
    them on their home page. Each has a programme record (278 hours over 400 days from their
    start) and off-the-job hours; the first (OTJ_LEARNER, where the caseload has them) has
    `sizes.otj_entries` entries, two a day going back, all approved but the last week's; the
    others a few approved each, some behind their plan. One testimony is asked of the contact.
    Through the services; also the bench's own set-up on a smaller centre (tests)."""
    standard = Standard.objects.get(code="customer-service-practitioner")
    registrations = list(
        Registration.objects.filter(
            centre=centre,
            qualification_id=standard.qualification_id,
            status=RegistrationStatus.ACTIVE,
        )
        .select_related("learner")
        .order_by("learner__email", "pk")
    )
    if not registrations:
        return
    employer = employer_create(actor=admin, centre=centre, name=EMPLOYER)
    contact, _ = person_create(
        actor=admin,
        centre=centre,
        email=EMPLOYER_CONTACT,
        full_name="Erin Employer",
        role=Role.EMPLOYER,
        employer=employer,
    )
    today = timezone.localdate()
    first = next((r for r in registrations if r.learner.email == OTJ_LEARNER), registrations[0])
    for index, registration in enumerate(registrations):
        apprenticeship_save(
            actor=admin,
            registration=registration,
            programme=Programme(
                employer=employer,
                standard=standard,
                standard_version="1.2",
                practical_start=registration.start_date,
                practical_planned_end=registration.start_date + timedelta(days=400),
                minimum_otj_hours=Decimal("278"),
                epao_name="Highfield Assessment",
            ),
        )
        # The first: two entries a day going back; the others: one a week.
        many = registration == first
        for n in range(sizes.otj_entries if many else 3 + index % 5):
            days_back = n // 2 if many else 7 * n
            activity = off_the_job.log(
                actor=registration.learner,
                registration=registration,
                date=today - timedelta(days=days_back),
                hours=Decimal("1.5") if many else Decimal(1 + index % 6),
                kind=OTJ_KINDS[n % len(OTJ_KINDS)],
                description=f"Off-the-job training, entry {n + 1}",
            )
            if days_back >= 7:  # the last week's wait for review
                off_the_job.approve(actor=assessor, activity=activity)
    criteria = list(
        AssessmentCriterion.objects.filter(unit__in=first.unit_choices.values("unit_id")).order_by(
            "unit__key", "position"
        )[:2]
    )
    if criteria:
        witness_request_create(
            actor=first.learner,
            registration=first,
            contact=contact,
            witness_name="",
            witness_email="",
            job_title="Front of house manager",
            relationship="line manager",
            is_expert=False,
            activity="Handled a complaint at the front desk.",
            criteria=criteria,
        )


OTJ_KINDS = ("teaching", "online", "practical", "mentoring", "self_study", "assignment")
APPRENTICE_ASSESSOR = email("apprentices.assessor")
REVIEW_PROGRESS = (
    "Steady progress against the KSBs since the last review: the observation of complaint "
    "handling covered S2 and B1; K4 (data protection) still needs evidence beyond the "
    "e-learning certificate."
)
REVIEW_TARGETS = (
    "Submit the reflective account on service recovery within two weeks\n"
    "Arrange a professional discussion on data protection (K4)\n"
    "Keep logging off-the-job hours weekly"
)
REVIEW_NOTES = "No wellbeing or safeguarding concerns raised; settled in the team."


def _more_apprentices(*, centre: Any, admin: Any, sizes: Sizes, password: str) -> None:
    """Issue 19: `sizes.more_apprentices` NCFE apprentices at four more employers, each
    employer with its contact, all on one assessor of their own (so the caseload the other
    benchmarks measure keeps its size), a few weeks of approved hours each, some behind."""
    if not sizes.more_apprentices:
        return
    standard = Standard.objects.get(code="customer-service-practitioner")
    person_create(
        actor=admin,
        centre=centre,
        email=APPRENTICE_ASSESSOR,
        full_name="Ada Apprenticeships",
        role=Role.ASSESSOR,
    )
    give_competence(actor=admin, centre=centre, staff={APPRENTICE_ASSESSOR: Role.ASSESSOR})
    assessor = User.objects.get(email=APPRENTICE_ASSESSOR)
    User.objects.filter(pk=assessor.pk).update(password=password)
    employers = []
    for number, name in enumerate(EMPLOYERS[1:5], start=1):
        employer = employer_create(actor=admin, centre=centre, name=name)
        person_create(
            actor=admin,
            centre=centre,
            email=email(f"employer{number}"),
            full_name=f"Contact {number} {name}",
            role=Role.EMPLOYER,
            employer=employer,
        )
        employers.append(employer)
    rules = combination_rules(_qualification(NCFE))
    today = timezone.localdate()
    for n in range(sizes.more_apprentices):
        index = 1_000 + n
        learner = _learner(
            centre=centre,
            admin=admin,
            address=email(f"apprentice{n:03d}"),
            name=f"Apprentice {n:03d} Scale",
            index=index,
            password=password,
        )
        start = today - timedelta(days=60 + (n * 53) % 600)
        registration = register_learner(
            actor=admin,
            learner=learner,
            centre=centre,
            qualification=_qualification(NCFE),
            start_date=start,
            planned_end_date=start + timedelta(days=450),
            awarding_body_number=f"SCA{n:06d}",
            unit_keys=a_valid_choice(rules, index),
            assessors=[assessor],
        )
        apprenticeship_save(
            actor=admin,
            registration=registration,
            programme=Programme(
                employer=employers[n % len(employers)],
                standard=standard,
                standard_version="1.2",
                practical_start=start,
                practical_planned_end=start + timedelta(days=400),
                minimum_otj_hours=Decimal("278"),
                epao_name="Highfield Assessment",
            ),
        )
        for k in range(2 + n % 4):  # a day's training a fortnight, some hours behind
            activity = off_the_job.log(
                actor=learner,
                registration=registration,
                date=today - timedelta(days=7 + 14 * k),
                hours=Decimal(3 + n % 5),
                kind=OTJ_KINDS[k % len(OTJ_KINDS)],
                description=f"Off-the-job training, entry {k + 1}",
            )
            off_the_job.approve(actor=assessor, activity=activity)


def apprentice_reviews(*, centre: Any, admin: Any, sizes: Sizes) -> None:
    """Issue 19: every apprentice of the centre has `sizes.reviews` progress reviews twelve
    weeks apart (the longest log's apprentice twice as many), each signed by the three (the
    apprentice, their employer's contact, their assessor: locked, content hashed) through the
    services; every `gateway_every`-th apprentice has passed the gateway and every
    `result_every`-th of those has an end-point result.

    The locked reviews' PDFs stay queued when seed() builds the centre (it holds their builds
    back: hundreds with WeasyPrint took over three minutes, and a queued PDF is a state the
    review pages show: portfolios.reviews.pdf_builds_held). The gateway declarations are
    written directly with their audit events, as assessments.gateway.sign leaves them (why, at
    the loop); the results go through record_result."""
    registrations = list(
        Registration.objects.filter(centre=centre, apprenticeship__isnull=False)
        .select_related("learner", "apprenticeship")
        .order_by("pk")
    )
    if not registrations or not sizes.reviews:
        return
    contacts: dict[int | None, User] = {}
    for membership in (
        Membership.objects.filter(centre=centre, role=Role.EMPLOYER)
        .select_related("user")
        .order_by("pk")
    ):
        contacts.setdefault(membership.employer_id, membership.user)
    longest = (
        Registration.objects.filter(pk__in=[r.pk for r in registrations])
        .annotate(entries=Count("off_the_job"))
        .order_by("-entries", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    today = timezone.localdate()
    passed = []
    for index, registration in enumerate(registrations):
        record = registration.apprenticeship
        contact = contacts.get(record.employer_id)
        assessor = registration.assessors.order_by("pk").first()
        if contact is None or assessor is None:
            continue
        count = sizes.reviews * (2 if registration.pk == longest else 1)
        # Twelve weeks apart, closer for one who started lately (none before the start).
        last = today - timedelta(days=6)
        step = min(84, max((last - record.practical_start).days, 0) // max(count - 1, 1))
        dates = sorted(
            {max(last - timedelta(days=step * k), record.practical_start) for k in range(count)}
        )
        for on in dates:
            review = review_create(
                actor=assessor,
                registration=registration,
                review_date=on,
                progress_comment=REVIEW_PROGRESS,
                targets=REVIEW_TARGETS,
                staff_notes=REVIEW_NOTES,
            )
            review_sign(actor=registration.learner, review=review, role=SignerRole.APPRENTICE)
            review_sign(actor=contact, review=review, role=SignerRole.EMPLOYER)
            review_sign(actor=assessor, review=review, role=SignerRole.PROVIDER)
        if sizes.gateway_every and index % sizes.gateway_every == sizes.gateway_every - 1:
            passed.append((registration, contact, assessor))
    if not passed:
        return
    # Not through assessments.gateway.sign: it refuses a checklist with an item unmet, and none
    # of these apprentices meets theirs (months into the programme: a few dozen of their 278
    # off-the-job hours approved, most KSBs neither evidenced nor with a gap named, English and
    # maths not started, units not all signed off; many short of the minimum duration too).
    # Making them ready would mean a year of hours, every unit judged and signed off and a gap
    # note per KSB each, through the services: minutes more of seeding for a state the pages
    # do not need. What the pages measure is a declaration, its signatures and a result beside
    # a live checklist, and the checklist of an apprentice with everything still to name is
    # the gateway page's largest (a gap form per KSB). So the rows are written as sign() leaves
    # them: each signature with the checklist's hash, its "gateway.signed" event, and the
    # "gateway.passed" event with the third.
    readiness = readiness_for([r for r, _, _ in passed])
    for number, (registration, contact, assessor) in enumerate(passed):
        checklist = readiness[registration.pk].checklist_hash
        signers = {
            GatewayParty.APPRENTICE: registration.learner,
            GatewayParty.EMPLOYER: contact,
            GatewayParty.PROVIDER: assessor,
        }
        for party, signer in signers.items():
            signature = GatewaySignature.objects.create(
                registration=registration, party=party, signed_by=signer, checklist_hash=checklist
            )
            record_event(
                actor=signer,
                action="gateway.signed",
                target=signature,
                centre_id=centre.pk,
                data={"registration": registration.pk, "party": party, "checklist_hash": checklist},
            )
        record_event(
            actor=assessor,
            action="gateway.passed",
            target=registration,
            centre_id=centre.pk,
            data={
                "signatures": {
                    party: {"by": s.pk, "hash": checklist} for party, s in signers.items()
                }
            },
        )
        if sizes.result_every and number % sizes.result_every == 0:
            record_result(
                actor=admin,
                registration=registration,
                grade=(EndPointGrade.PASS, EndPointGrade.MERIT, EndPointGrade.DISTINCTION)[
                    number % 3
                ],
                assessed_on=today,
            )


def _sampling_plan(*, centre: Any, staff: dict[str, Any], sizes: Sizes) -> None:
    """The IV's IMI plan: drawn from the strategy, topped up by hand to `sizes.samples`; one
    sample started and agreed."""
    verifier = staff[IV]
    today = timezone.localdate()
    # One unit per sampled learner: the draw then stays under the plan's size, and the IV adds
    # the rest (second units, learners the draw left out) by hand, as IVs do.
    strategy = save_strategy(
        actor=verifier, centre=centre, qualification=_qualification(IMI), values={"unit_share": 1}
    )
    plan = draw_plan(
        actor=verifier,
        strategy=strategy,
        period_start=today - timedelta(days=30),
        period_end=today + timedelta(days=60),
    )
    active = plan.samples.active()
    taken = set(active.values_list("registration_id", "unit_id"))
    count = len(taken)
    registrations = (
        Registration.objects.filter(
            centre=centre,
            qualification=strategy.qualification,
            assessors=staff[ASSESSOR],
            status=RegistrationStatus.ACTIVE,
        )
        .select_related("qualification")
        .order_by("pk")
    )
    candidates = [
        (registration, choice.unit)
        for registration in registrations
        for choice in registration.unit_choices.select_related("unit").order_by("unit__key")
        if (registration.pk, choice.unit_id) not in taken
    ]
    for registration, unit in candidates:
        if count >= sizes.samples:
            break
        add_planned_sample(
            actor=verifier,
            plan=plan,
            registration=registration,
            assessor=staff[ASSESSOR],
            stage=SampleStage.INTERIM,
            planned_on=today + timedelta(days=count % 60),
            unit=unit,
        )
        count += 1
    for extra in list(active.order_by("-pk")[: max(0, count - sizes.samples)]):
        remove_planned_sample(actor=verifier, sample=extra, reason="More than the plan needs.")
    # One sample taken: the unit of a learner with decisions on it, agreed.
    for planned in (
        PlannedSample.objects.active()
        .filter(plan=plan)
        .select_related("registration", "unit")
        .order_by("pk")
    ):
        if planned.registration.decisions.filter(criterion__unit=planned.unit).exists():
            sample = start_planned_sample(verifier=verifier, planned_sample=planned)
            agree(verifier=verifier, sample=sample, feedback="Sound judgements, clear feedback.")
            break


def _largest_choice(number: str) -> set[str]:
    """The valid units with the most units, then the most criteria (the achievement-record
    benchmark's learner: the longest record the rules allow)."""
    rules = combination_rules(_qualification(number))
    criteria = Counter(
        AssessmentCriterion.objects.filter(unit__key__in=rules.units).values_list(
            "unit__key", flat=True
        )
    )
    return set(largest_combination(rules, criteria))


def _largest_imi(*, centre: Any, admin: Any, staff: dict[str, Any], password: str) -> None:
    """The largest IMI registration the rules allow, every unit achieved, and its full
    achievement record built here (the achievement-record benchmark's document)."""
    learner = _learner(
        centre=centre,
        admin=admin,
        address=IMI_LEARNER,
        name="Imogen Largest",
        index=999,
        password=password,
    )
    registration = _register(
        centre=centre,
        admin=admin,
        learner=learner,
        number=IMI,
        start=timezone.localdate() - timedelta(days=400),
        unit_keys=_largest_choice(IMI),
        assessor=staff[CLAIM_ASSESSOR],
        verifier=staff[CLAIM_IV],
        index=999,
    )
    units = [c.unit for c in registration.unit_choices.select_related("unit").order_by("unit__key")]
    # Judged first, signed off after: the sign-off that satisfies the rules completes the
    # registration, and a complete one takes no more evidence.
    for unit in units:
        achieve_unit(registration, unit, staff[CLAIM_ASSESSOR], sign_off=False)
    for unit in units:
        sign_off_unit(
            assessor=staff[CLAIM_ASSESSOR],
            registration=registration,
            unit=unit,
            password=PASSWORD,
            declared_authentic=True,
        )
    build_now(actor=admin, registration=registration, kind="full")


# ---------------------------------------------------------------- the bulk


def _stored_workbook() -> tuple[str, int, str]:
    """One small PDF in storage that every bulk evidence record holds (the same bytes)."""
    content = tiny_pdf("Unit workbook")
    name = default_storage.save("evidence/scale/workbook.pdf", ContentFile(content))
    return name, len(content), hashlib.sha256(content).hexdigest()


def _criteria_rows(unit_keys: set[str]) -> list[Any]:
    """UnitPlans (nothing decided yet) for the units, in key order."""
    by_unit: dict[str, list[CriterionRow]] = {}
    ids: dict[str, int] = {}
    for pk, unit_id, key, number, position in (
        AssessmentCriterion.objects.filter(unit__key__in=unit_keys)
        .order_by("unit__key", "position", "pk")
        .values_list("pk", "unit_id", "unit__key", "number", "position")
    ):
        by_unit.setdefault(key, []).append(CriterionRow(pk, unit_id, key, number, position))
        ids[key] = unit_id
    return [
        UnitPlan(unit_id=ids[key], unit_key=key, criteria=tuple(rows), decided=0)
        for key, rows in sorted(by_unit.items())
    ]


def _claimable(
    *, centre: Any, admin: Any, staff: dict[str, Any], sizes: Sizes, password: str
) -> None:
    if not sizes.claimable:
        return
    qualification = _qualification(CLAIM_QUALIFICATION)
    rules = combination_rules(qualification)
    keys = a_valid_choice(rules, 0) | set(mandatory_units(rules))
    units = [replace(u, decided=len(u.criteria), signed_off=True) for u in _criteria_rows(keys)]
    name, size, digest = _stored_workbook()
    bulk_staff = Staff(
        centre_id=centre.pk,
        qualification_id=qualification.pk,
        qualification_number=qualification.number,
        admin_id=admin.pk,
        assessor_id=staff[CLAIM_ASSESSOR].pk,
        assessor_name=staff[CLAIM_ASSESSOR].get_full_name(),
        verifier_id=staff[CLAIM_IV].pk,
        password_hash=password,
        file_name=name,
        file_size=size,
        file_sha256=digest,
        declaration=authenticity_statement(qualification),
    )
    today = timezone.localdate()
    learners = [
        Learner(
            email=email(f"claim{index:05d}"),
            full_name=f"Claimant {index:05d} Ready",
            uln=f"{5_200_000_000 + index * 7_919}"[:10],
            born=date(1980 + index % 25, 1 + index % 12, 1 + index % 28),
            employer=EMPLOYERS[index % len(EMPLOYERS)],
            awarding_body_number=f"SCC{index:06d}",
            start_date=today - timedelta(days=120 + index % 200),
            units=units,
            complete=True,
        )
        for index in range(sizes.claimable)
    ]
    writer = RowWriter()
    for batch in chunks(learners, 1_000):
        write_learners(writer, bulk_staff, batch)


PLATFORM_QUALIFICATIONS = (IMI, IMI, IMI, NCFE, ASCENTIS_CERTIFICATE)
GOLDEN = 0.6180339887  # spreads each learner's progress evenly over 0-1, in no visible order


def seed_platform(*, sizes: Sizes, say: Say = print) -> dict[str, int]:
    """`sizes.platform_centres` more centres with `sizes.platform_learners` learners between
    them and at least `sizes.platform_decisions` decisions, in bulk. Each centre's admin,
    assessors and IV are made through the services; the learners and their portfolios in bulk
    (demo/scale_bulk.py), in a spread of progress from nothing to complete."""

    started = time.perf_counter()
    password = make_password(PASSWORD)
    file_name, file_size, file_sha = _stored_workbook()
    today = timezone.localdate()
    # A few valid unit choices per qualification, as UnitPlans with nothing decided yet.
    choices: dict[str, list[list[Any]]] = {}
    for number in set(PLATFORM_QUALIFICATIONS):
        rules = combination_rules(_qualification(number))
        choices[number] = [
            _criteria_rows(a_valid_choice(rules, offset) | set(mandatory_units(rules)))
            for offset in range(4)
        ]
    plans = []  # (centre index, qualification number, choice, share of criteria decided)
    for index in range(sizes.platform_learners):
        number = PLATFORM_QUALIFICATIONS[index % len(PLATFORM_QUALIFICATIONS)]
        # One learner in ten has finished; the rest are spread from not started to nearly done.
        share = 1.0 if index % 10 == 3 else index * GOLDEN % 1
        plans.append((index % sizes.platform_centres, number, choices[number][index % 4], share))

    def decided(units: list[Any], share: float) -> int:
        return round(min(1.0, share) * sum(len(u.criteria) for u in units))

    # Stretch the spread until the decisions reach the target (some learners then finish).
    stretch = 0.8
    while (
        sum(
            decided(units, share if share == 1 else share * stretch) for _, _, units, share in plans
        )
        < sizes.platform_decisions
        and stretch < 4
    ):
        stretch += 0.05

    writer = RowWriter()
    totals = {"centres": 0, "learners": 0, "decisions": 0, "events": 0, "complete": 0}
    qualifications = dict(Qualification.objects.values_list("number", "pk"))
    for centre_index in range(sizes.platform_centres):
        number = str(PLATFORM_CENTRE_NUMBER + 1 + centre_index)
        centre = Centre.objects.create(name=f"Platform Centre {number}", number=number)
        centre.qualifications.add(*Qualification.objects.filter(number__in=PLATFORM_QUALIFICATIONS))
        admin, _ = person_create(
            actor=None,
            centre=centre,
            email=f"admin@c{number}.platform.example",
            full_name=f"Admin {number}",
            role=Role.CENTRE_ADMIN,
        )
        people = {}
        for local, role in (
            ("assessor1", Role.ASSESSOR),
            ("assessor2", Role.ASSESSOR),
            ("iv", Role.INTERNAL_VERIFIER),
        ):
            people[local], _ = person_create(
                actor=admin,
                centre=centre,
                email=f"{local}@c{number}.platform.example",
                full_name=f"{local.title()} {number}",
                role=role,
            )
        User.objects.filter(email__endswith=f"@c{number}.platform.example").update(
            password=password
        )
        totals["centres"] += 1
        mine = [(position, plan) for position, plan in enumerate(plans) if plan[0] == centre_index]
        for assessor_key in ("assessor1", "assessor2"):
            for qualification in sorted(set(PLATFORM_QUALIFICATIONS)):
                group = [
                    (position, plan)
                    for n, (position, plan) in enumerate(mine)
                    if plan[1] == qualification and (n % 2 == 0) == (assessor_key == "assessor1")
                ]
                if not group:
                    continue
                staff = Staff(
                    centre_id=centre.pk,
                    qualification_id=qualifications[qualification],
                    qualification_number=qualification,
                    admin_id=admin.pk,
                    assessor_id=people[assessor_key].pk,
                    assessor_name=people[assessor_key].get_full_name(),
                    verifier_id=people["iv"].pk,
                    password_hash=password,
                    file_name=file_name,
                    file_size=file_size,
                    file_sha256=file_sha,
                    declaration=authenticity_statement(
                        Qualification.objects.select_related("awarding_body").get(
                            pk=qualifications[qualification]
                        )
                    ),
                )
                learners = [
                    _platform_learner(
                        position, number, units, share if share == 1 else share * stretch, today
                    )
                    for position, (_, _, units, share) in group
                ]
                for batch in chunks(learners, 500):
                    counts = write_learners(writer, staff, batch)
                    for key in ("learners", "decisions", "events", "complete"):
                        totals[key] += counts[key]
        if centre_index % 10 == 9:
            say(
                f"  {totals['centres']} centres, {totals['learners']:,} learners, "
                f"{totals['decisions']:,} decisions ({time.perf_counter() - started:.0f} s)"
            )
    say(
        f"  platform: {totals['centres']} centres, {totals['learners']:,} learners, "
        f"{totals['decisions']:,} decisions, {totals['events']:,} audit events"
    )
    return totals


def _platform_learner(
    position: int, centre_number: str, units: list[Any], share: float, today: date
) -> Any:
    """One bulk learner at a platform centre, `share` of their criteria judged (whole units
    first, signed off; the rest part-way through the next)."""
    left = round(min(1.0, share) * sum(len(u.criteria) for u in units))
    planned = []
    for unit in units:
        take = min(left, len(unit.criteria))
        left -= take
        planned.append(replace(unit, decided=take, signed_off=take == len(unit.criteria)))
    return Learner(
        email=f"learner{position:05d}@c{centre_number}.platform.example",
        full_name=f"Platform Learner {position:05d}",
        uln=f"{6_000_000_000 + position * 7_919}"[:10],
        born=date(1980 + position % 25, 1 + position % 12, 1 + position % 28),
        employer=EMPLOYERS[position % len(EMPLOYERS)],
        awarding_body_number=f"PLT{position:06d}",
        start_date=today - timedelta(days=30 + position % 700),
        units=planned,
        complete=all(u.signed_off for u in planned),
    )


# ---------------------------------------------------------------- the manifest


def manifest() -> dict[str, Any]:
    """The ids of the named objects (read from the database, so a second run gives the same)."""
    centre = Centre.objects.filter(number=CENTRE_NUMBER).first()
    if centre is None:
        raise ScaleError(f"{CENTRE_NAME} is not seeded.")
    users = dict(
        User.objects.filter(
            email__in=[
                ADMIN,
                ASSESSOR,
                IV,
                FULL_LEARNER,
                IMI_LEARNER,
                CLAIM_ASSESSOR,
                CLAIM_IV,
                EMPLOYER_CONTACT,
                APPRENTICE_ASSESSOR,
            ]
        ).values_list("email", "pk")
    )
    otj = (
        Registration.objects.filter(centre=centre, apprenticeship__isnull=False)
        .annotate(entries=Count("off_the_job"))
        .order_by("-entries", "pk")
        .first()
    )
    full = Registration.objects.filter(centre=centre, learner_id=users.get(FULL_LEARNER)).first()
    review = (
        ProgressReview.objects.filter(registration=otj, locked_at__isnull=False)
        .order_by("-review_date", "-pk")
        .first()
        if otj
        else None
    )
    imi = Registration.objects.filter(centre=centre, learner_id=users.get(IMI_LEARNER)).first()
    plan = SamplingPlan.objects.filter(strategy__centre=centre).first()
    judging = (
        Evidence.objects.filter(
            registration__centre=centre,
            registration__learner__email=email("learner001"),
            title__startswith="Witness statement",
        )
        .order_by("pk")
        .first()
    )
    sample = Sample.objects.filter(registration__centre=centre, verifier_id=users.get(IV)).first()
    record = (
        AchievementRecord.objects.filter(registration=imi).order_by("-pk").first() if imi else None
    )
    qualifications = dict(Qualification.objects.values_list("number", "pk"))
    claimable = Registration.objects.filter(
        centre=centre, status=RegistrationStatus.COMPLETE, qualification__number=CLAIM_QUALIFICATION
    )
    return {
        "password": PASSWORD,
        "centre": centre.pk,
        "centre_number": centre.number,
        "admin": users.get(ADMIN),
        "assessor": users.get(ASSESSOR),
        "iv": users.get(IV),
        "claims_assessor": users.get(CLAIM_ASSESSOR),
        "claims_iv": users.get(CLAIM_IV),
        "learner": users.get(FULL_LEARNER),
        "registration": full.pk if full else None,
        "registration_criteria_decided": (
            Decision.objects.current().filter(registration=full).count() if full else 0
        ),
        "caseload": Registration.objects.filter(assessors=users.get(ASSESSOR)).count(),
        "plan": plan.pk if plan else None,
        "iv_strategy": plan.strategy_id if plan else None,
        "admin_email": ADMIN,
        "assessor_email": ASSESSOR,
        "iv_email": IV,
        "learner_email": FULL_LEARNER,
        "imi_learner_email": IMI_LEARNER,
        "plan_samples": PlannedSample.objects.active().filter(plan=plan).count() if plan else 0,
        "sample": sample.pk if sample else None,
        "judging_evidence": judging.pk if judging else None,
        "judging_registration": judging.registration_id if judging else None,
        "judging_criteria": judging.mappings.count() if judging else 0,
        "claimable": claimable.count(),
        "imi_learner": users.get(IMI_LEARNER),
        "imi_registration": imi.pk if imi else None,
        "achievement_record": record.pk if record else None,
        "qualifications": qualifications,
        "employer_contact": users.get(EMPLOYER_CONTACT),
        "employer_contact_email": EMPLOYER_CONTACT,
        "apprentices": Registration.objects.filter(
            centre=centre, apprenticeship__isnull=False
        ).count(),
        "otj_registration": otj.pk if otj else None,
        "apprentice_assessor": users.get(APPRENTICE_ASSESSOR),
        # The reviews pages' apprentice (the longest log's, with the most reviews) and its
        # latest locked review; the gateway page's: passed, with an end-point result.
        "review": review.pk if review else None,
        "review_registration": review.registration_id if review else None,
        "gateway_registration": (
            Registration.objects.filter(
                centre=centre, epa_results__isnull=False, epa_results__superseded_at__isnull=True
            )
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        ),
        "otj_entries": otj.entries if otj else 0,
        "platform_centres": Centre.objects.filter(
            number__gt=str(PLATFORM_CENTRE_NUMBER), number__lt="90200"
        ).count(),
    }
