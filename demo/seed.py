"""A lived-in demo centre: staff in every role, twelve learners registered through the services,
and portfolios with evidence in every state (drafts, submitted and declared, returned and
resubmitted as version 2, a signed witness testimony and a witness request still waiting).

`make run` calls this after loading the catalogue. Every login's password is printed (or, with
--json, a JSON list of {"role", "email", "password"}). Running it again changes nothing: people,
roles and registrations are found, not added twice, and the output is the same. Like
setup_demo (which makes the site superuser, and which this command runs first), it refuses to
run with DEBUG off unless told otherwise.

With --second-centre it also builds Southfield College, Northgate's twin with other people (no
one belongs to both), for trying the walls between centres; its logins print after Northgate's.
A DemoCentre says who is who at each; every story below is told through it.
"""

from __future__ import annotations

import contextlib
import json
import struct
import sys
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from io import StringIO
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.hashers import hashing_once
from accounts.management.commands.setup_demo import DEMO_ADMIN, DEMO_PASSWORD
from accounts.models import Centre, Role, StaffCredential, User
from accounts.services import credential_add, learner_profile_update, person_create


@dataclass(frozen=True)
class DemoPerson:
    label: str  # the role as printed
    email: str
    full_name: str
    roles: tuple[str, ...]


# Learners who have finished (or left early), for internal verification and claims; their
# stories are told by verification/demo.py.
CLAIMED = "claimed"
REFERRED = "referred"
TOO_EARLY = "too_early"
ON_HOLD = "on_hold"
LEFT_EARLY = "left_early"


@dataclass(frozen=True)
class FinishedLearner:
    name: str
    born: date
    employer: str
    qualification: str
    weeks_ago: int  # when they registered
    story: str


@dataclass(frozen=True)
class Witness:
    name: str
    email: str


@dataclass(frozen=True)
class DemoCentre:
    """Everything that makes one demo centre itself: its name and people. The stories told
    about them (evidence, plans, samples, claims) are the same at every demo centre."""

    name: str
    number: str
    centre_admin: DemoPerson
    assessor_iv: DemoPerson  # one person in two roles shows the header's role switcher
    assessor: DemoPerson
    verifier: DemoPerson
    eqa: DemoPerson
    learners: tuple[tuple[str, date, str], ...]  # (name, date of birth, employer)
    finished: tuple[FinishedLearner, ...]
    plan_learner: str  # whose assessment plan has an overdue activity
    learner_domain: str
    # The first learner's witnesses: one who has signed, one still asked.
    witnesses: tuple[Witness, Witness]
    registration_prefix: str  # of the awarding body's registration numbers
    uln_base: int  # learners at work; the finished ones have uln_base + 10,000,000
    phone_block: int  # "07700 9<block>nnn"; the finished ones have the next block

    @property
    def staff(self) -> tuple[DemoPerson, ...]:
        return (self.centre_admin, self.assessor_iv, self.assessor, self.verifier, self.eqa)

    @property
    def claim_reference(self) -> str:
        """The awarding body's reference of the batch the demo has already submitted."""
        return f"ASC-{self.number}-0001"

    def uln(self, index: int, *, finished: bool = False) -> str:
        """The ULN of the index-th learner at work (or finished)."""
        return f"{self.uln_base + (10_000_000 if finished else 0) + index * 7919}"

    def phone(self, index: int, *, finished: bool = False) -> str:
        return f"07700 9{self.phone_block + (1 if finished else 0):02d}{index:03d}"

    def learner_email(self, name: str) -> str:
        return name.lower().replace("'", "").replace(" ", ".") + "@" + self.learner_domain

    def learner_emails(self) -> list[str]:
        return [self.learner_email(name) for name, _, _ in self.learners]

    def logins(self) -> list[dict[str, str]]:
        """The centre's logins, in the order printed: staff, learners at work, finished."""
        logins = [
            {"role": p.label, "email": p.email, "password": DEMO_PASSWORD} for p in self.staff
        ]
        logins += [
            {"role": "Learner", "email": email, "password": DEMO_PASSWORD}
            for email in self.learner_emails()
        ]
        logins += [
            {"role": "Learner", "email": self.learner_email(f.name), "password": DEMO_PASSWORD}
            for f in self.finished
        ]
        return logins


NORTHGATE = DemoCentre(
    name="Northgate Training Centre",
    number="70421",
    centre_admin=DemoPerson(
        "Centre admin", "helen.carter@demo.example", "Helen Carter", (Role.CENTRE_ADMIN,)
    ),
    assessor_iv=DemoPerson(
        "Assessor and internal verifier",
        "marcus.reid@demo.example",
        "Marcus Reid",
        (Role.ASSESSOR, Role.INTERNAL_VERIFIER),
    ),
    assessor=DemoPerson("Assessor", "aisha.khan@demo.example", "Aisha Khan", (Role.ASSESSOR,)),
    verifier=DemoPerson(
        "Internal verifier",
        "dorothy.evans@demo.example",
        "Dorothy Evans",
        (Role.INTERNAL_VERIFIER,),
    ),
    eqa=DemoPerson(
        "External quality assurer", "graham.lowe@demo.example", "Graham Lowe", (Role.EQA,)
    ),
    learners=(
        ("Olivia Bennett", date(1998, 3, 14), "Harbour Hotels"),
        ("Jamal Okafor", date(2001, 7, 2), "Northgate Motors"),
        ("Chloe Walsh", date(1994, 11, 23), "Brightline Rail"),
        ("Daniel Hughes", date(2003, 1, 9), "Pennine Water"),
        ("Sophie Turner", date(1989, 6, 30), "Castle Insurance"),
        ("Ravi Patel", date(2000, 9, 17), "Northgate Motors"),
        ("Emily Clarke", date(1996, 4, 5), "City Council Contact Centre"),
        ("Liam O'Connor", date(2004, 12, 12), "Harbour Hotels"),
        ("Hannah Price", date(1992, 2, 28), "Brightline Rail"),
        ("Tom Fletcher", date(1999, 8, 21), "Greenway Supermarkets"),
        ("Zara Ahmed", date(2002, 5, 16), "Castle Insurance"),
        ("Owen Jenkins", date(1997, 10, 3), "Greenway Supermarkets"),
    ),
    finished=(
        FinishedLearner(
            "Grace Mitchell", date(1995, 8, 11), "Harbour Hotels", "600/1686/3", 30, CLAIMED
        ),
        FinishedLearner(
            "Noah Williams", date(2000, 1, 27), "Castle Insurance", "600/1684/X", 26, REFERRED
        ),
        FinishedLearner(
            "Isla Robertson", date(1998, 10, 4), "Brightline Rail", "603/5449/5", 8, TOO_EARLY
        ),
        FinishedLearner(
            "Ethan Moore", date(1993, 3, 19), "Pennine Water", "600/1686/3", 24, ON_HOLD
        ),
        FinishedLearner(
            "Mia Robinson", date(2003, 6, 8), "Greenway Supermarkets", "600/1684/X", 20, LEFT_EARLY
        ),
    ),
    plan_learner="Jamal Okafor",
    learner_domain="learner.demo.example",
    witnesses=(
        Witness("Mark Doyle", "mark.doyle@employer.demo.example"),
        Witness("Priya Nair", "priya.nair@employer.demo.example"),
    ),
    registration_prefix="NTC",
    uln_base=4820000000,
    phone_block=0,
)

# A second centre, the first's twin with other people, for trying the walls between centres
# (seed_demo --second-centre). No one works or learns at both.
SOUTHFIELD = DemoCentre(
    name="Southfield College",
    number="70422",
    centre_admin=DemoPerson(
        "Centre admin",
        "rebecca.lawson@southfield.demo.example",
        "Rebecca Lawson",
        (Role.CENTRE_ADMIN,),
    ),
    assessor_iv=DemoPerson(
        "Assessor and internal verifier",
        "kwame.asante@southfield.demo.example",
        "Kwame Asante",
        (Role.ASSESSOR, Role.INTERNAL_VERIFIER),
    ),
    assessor=DemoPerson(
        "Assessor", "fiona.gallagher@southfield.demo.example", "Fiona Gallagher", (Role.ASSESSOR,)
    ),
    verifier=DemoPerson(
        "Internal verifier",
        "bernard.okoye@southfield.demo.example",
        "Bernard Okoye",
        (Role.INTERNAL_VERIFIER,),
    ),
    eqa=DemoPerson(
        "External quality assurer",
        "margaret.shaw@southfield.demo.example",
        "Margaret Shaw",
        (Role.EQA,),
    ),
    learners=(
        ("Amelia Hart", date(1997, 2, 19), "Quayside Hotels"),
        ("Kofi Mensah", date(2002, 4, 8), "Southfield Motors"),
        ("Lucy Fraser", date(1993, 12, 1), "Meridian Rail"),
        ("Samuel Wright", date(2003, 3, 27), "Severn Water"),
        ("Ellie Morgan", date(1990, 7, 14), "Anchor Insurance"),
        ("Arjun Mehta", date(2001, 10, 30), "Southfield Motors"),
        ("Freya Campbell", date(1995, 5, 22), "Borough Council Contact Centre"),
        ("Sean O'Brien", date(2004, 11, 6), "Quayside Hotels"),
        ("Megan Lloyd", date(1991, 1, 15), "Meridian Rail"),
        ("Jack Dawson", date(1998, 9, 3), "Fairway Supermarkets"),
        ("Aaliyah Hussain", date(2002, 6, 25), "Anchor Insurance"),
        ("Rhys Powell", date(1996, 8, 12), "Fairway Supermarkets"),
    ),
    finished=(
        FinishedLearner(
            "Poppy Sinclair", date(1994, 9, 2), "Quayside Hotels", "600/1686/3", 30, CLAIMED
        ),
        FinishedLearner(
            "Oscar Bradley", date(1999, 2, 16), "Anchor Insurance", "600/1684/X", 26, REFERRED
        ),
        FinishedLearner(
            "Ruby Henderson", date(1997, 11, 21), "Meridian Rail", "603/5449/5", 8, TOO_EARLY
        ),
        FinishedLearner("Harry Marsh", date(1992, 4, 7), "Severn Water", "600/1686/3", 24, ON_HOLD),
        FinishedLearner(
            "Evie Chapman", date(2003, 7, 29), "Fairway Supermarkets", "600/1684/X", 20, LEFT_EARLY
        ),
    ),
    plan_learner="Kofi Mensah",
    learner_domain="learner.southfield.demo.example",
    witnesses=(
        Witness("Gareth Lewis", "gareth.lewis@employer.southfield.demo.example"),
        Witness("Nadia Rahman", "nadia.rahman@employer.southfield.demo.example"),
    ),
    registration_prefix="SFC",
    uln_base=4840000000,
    phone_block=2,
)

# Northgate's names as they were before there were two centres (tests and docs use them).
CENTRE_NAME = NORTHGATE.name
CENTRE_NUMBER = NORTHGATE.number
CENTRE_ADMIN = NORTHGATE.centre_admin
ASSESSOR_IV = NORTHGATE.assessor_iv
ASSESSOR = NORTHGATE.assessor
VERIFIER = NORTHGATE.verifier
EQA = NORTHGATE.eqa
STAFF = NORTHGATE.staff
LEARNERS = NORTHGATE.learners
FINISHED = NORTHGATE.finished
PLAN_LEARNER = NORTHGATE.plan_learner


def learner_email(name: str) -> str:
    """A Northgate learner's e-mail address."""
    return NORTHGATE.learner_email(name)


def demo_logins(*, second_centre: bool = False) -> list[dict[str, str]]:
    """Every demo login, in the order printed."""
    logins = [{"role": DEMO_ADMIN.role, "email": DEMO_ADMIN.email, "password": DEMO_PASSWORD}]
    logins += NORTHGATE.logins()
    if second_centre:
        logins += SOUTHFIELD.logins()
    return logins


def a_valid_choice(rules: Any, offset: int) -> set[str]:
    """Optional units that satisfy the rules (greedy; `offset` varies the choice).

    Units are tried first from groups still short of their minimum, then from any group, and
    only while they break no maximum and no barred pair.
    """
    from qualifications.combination import check, mandatory_units, optional_units

    mandatory = set(mandatory_units(rules))
    pool = list(optional_units(rules))
    if not pool:
        return set()
    pool = pool[offset % len(pool) :] + pool[: offset % len(pool)]
    breaking = ("barred", "group_max_credits", "group_max_units", "total_max_credits")

    def breaks(chosen: set[str]) -> bool:
        return any(p.code in breaking for p in check(rules, chosen).problems)

    if not rules.rules_given:
        # Nothing to satisfy: a plausible three.
        return set(pool[:3])

    def short(group: Any, chosen: set[str]) -> bool:
        units = [rules.units[key] for key in group.units if key in chosen]
        credits = sum(unit.credit or 0 for unit in units)
        return bool(
            (group.min_credits and credits < group.min_credits)
            or (group.min_units and len(units) < group.min_units)
        )

    chosen = set(mandatory)
    for group in rules.groups:
        for key in pool:
            if not short(group, chosen):
                break
            if key in group.units and key not in chosen and not breaks(chosen | {key}):
                chosen.add(key)
    for key in pool:
        if check(rules, chosen).ok:
            break
        if key not in chosen and not breaks(chosen | {key}):
            chosen.add(key)
    # Greedy filling can overshoot (a group wanting credits at Level 1 takes every Entry 3 unit
    # tried before one at Level 1). A learner takes what the rules ask for, not ten units for a
    # 7-credit award: drop, latest first, each optional unit the rules do not miss.
    if check(rules, chosen).ok:
        for key in reversed(pool):
            if key in chosen and key not in mandatory and check(rules, chosen - {key}).ok:
                chosen.discard(key)
    return chosen - mandatory


class Command(BaseCommand):
    help = "Create (or find) the demo centre, its staff and learners, and print every login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Run even though DEBUG is off (e.g. a public demo server).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help='Print only a JSON list of {"role", "email", "password"}.',
        )
        parser.add_argument(
            "--second-centre",
            action="store_true",
            help=f"Also build {SOUTHFIELD.name}, a second centre with its own people, "
            "for trying the walls between centres.",
        )

    def handle(
        self,
        *args: Any,
        allow_without_debug: bool,
        as_json: bool,
        second_centre: bool,
        **options: Any,
    ) -> None:
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "Refusing to create demo users with known passwords while DEBUG is off. "
                "Pass --allow-without-debug if this really is a demo site."
            )
        # The demo's e-mails (the console backend prints them to standard output in `make
        # run`) go to standard error under --json, so standard output is the JSON alone. The
        # backend picks its stream when a message is sent, inside this block; self.stdout was
        # bound to the real standard output before it.
        quiet_mail = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
        demos = (NORTHGATE, SOUTHFIELD) if second_centre else (NORTHGATE,)
        with quiet_mail, transaction.atomic(), hashing_once():
            call_command("setup_demo", allow_without_debug=True, stdout=StringIO())
            for demo in demos:
                seed_centre(demo)
        self.print_logins(as_json=as_json, second_centre=second_centre)

    def print_logins(self, *, as_json: bool, second_centre: bool) -> None:
        logins = demo_logins(second_centre=second_centre)
        if as_json:
            self.stdout.write(json.dumps(logins, indent=2))
            return
        # One column width for both centres, so the second block lines up with the first.
        width = max(len(login["role"]) for login in logins)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS("Demo sign-in details (all on http://127.0.0.1:8000/):")
        )
        for login in demo_logins():
            self.stdout.write(
                f"  {login['role']:<{width}}  {login['email']}  /  {login['password']}"
            )
        self.stdout.write(f"  (the demo centre is {CENTRE_NAME}, centre number {CENTRE_NUMBER})")
        self.stdout.write("")
        if second_centre:
            self.stdout.write(self.style.SUCCESS(f"The second centre, {SOUTHFIELD.name}:"))
            for login in SOUTHFIELD.logins():
                self.stdout.write(
                    f"  {login['role']:<{width}}  {login['email']}  /  {login['password']}"
                )
            self.stdout.write(
                f"  (the second centre is {SOUTHFIELD.name}, centre number {SOUTHFIELD.number}; "
                "no one works or learns at both)"
            )
            self.stdout.write("")


def seed_centre(demo: DemoCentre) -> Centre:
    """One demo centre, all its stories told (each finds what exists, adds what is missing)."""
    centre = seed(actor=User.objects.get(email=DEMO_ADMIN.email), demo=demo)
    seed_evidence(centre=centre, demo=demo)
    seed_assessor_records(centre=centre, demo=demo)
    seed_plan(centre=centre, demo=demo)
    seed_release(centre=centre, demo=demo)
    seed_standardisation(centre=centre, demo=demo)
    seed_quality_assurance(
        centre=centre, actor=User.objects.get(email=demo.centre_admin.email), demo=demo
    )
    return centre


def seed_quality_assurance(*, centre: Centre, actor: User, demo: DemoCentre) -> None:
    from verification.demo import seed_quality_assurance as seed_story

    seed_story(centre=centre, actor=actor, demo=demo)


def _ensure_password(user: User) -> None:
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])


def seed(*, actor: User, demo: DemoCentre) -> Centre:
    """The demo centre and everyone in it; finds what exists, adds what is missing."""
    from portfolios.models import Registration, RegistrationStatus
    from portfolios.services import register_learner
    from qualifications.models import Qualification, QualificationStatus
    from qualifications.queries import combination_rules

    today = timezone.localdate()
    centre, _ = Centre.objects.get_or_create(number=demo.number, defaults={"name": demo.name})
    catalogue = list(Qualification.objects.with_status(today).order_by("number"))
    centre.qualifications.add(
        *[q for q in catalogue if q.current_status != QualificationStatus.CLOSED]
    )
    open_ones = [q for q in catalogue if q.current_status == QualificationStatus.OPEN]
    if not open_ones:
        raise CommandError("The catalogue has no open qualification: run load_catalogue first.")

    people: dict[str, User] = {}
    for person in demo.staff:
        for role in person.roles:
            user, _ = person_create(
                actor=actor,
                centre=centre,
                email=person.email,
                full_name=person.full_name,
                role=role,
                password=DEMO_PASSWORD,
                expires_on=today + timedelta(days=90) if role == Role.EQA else None,
            )
        _ensure_password(user)
        people[person.email] = user
    for person, kind, title in (
        (demo.assessor_iv, StaffCredential.Kind.ASSESSOR, "Level 3 Certificate in Assessing"),
        (
            demo.assessor_iv,
            StaffCredential.Kind.VERIFIER,
            "Level 4 Award in Internal Quality Assurance",
        ),
        (demo.assessor, StaffCredential.Kind.ASSESSOR, "Level 3 Certificate in Assessing"),
        (
            demo.verifier,
            StaffCredential.Kind.VERIFIER,
            "Level 4 Award in Internal Quality Assurance",
        ),
    ):
        credential_add(
            actor=actor,
            user=people[person.email],
            centre=centre,
            kind=kind,
            title=title,
            status=StaffCredential.Status.HELD,
            achieved_on=date(2019, 6, 1),
        )

    rules_cache: dict[int, Any] = {}
    for index, (name, born, employer) in enumerate(demo.learners):
        learner, _ = person_create(
            actor=actor,
            centre=centre,
            email=demo.learner_email(name),
            full_name=name,
            role=Role.LEARNER,
            password=DEMO_PASSWORD,
        )
        _ensure_password(learner)
        learner_profile_update(
            actor=actor,
            user=learner,
            centre=centre,
            uln=demo.uln(index),
            date_of_birth=born,
            employer=employer,
            phone=demo.phone(index),
        )
        qualification = open_ones[index % len(open_ones)]
        if Registration.objects.filter(
            learner=learner,
            centre=centre,
            qualification=qualification,
            status=RegistrationStatus.ACTIVE,
        ).exists():
            continue
        if qualification.pk not in rules_cache:
            rules_cache[qualification.pk] = combination_rules(qualification)
        # Assessors alternate; the IV never verifies their own assessments.
        assessor = people[demo.assessor_iv.email if index % 2 == 0 else demo.assessor.email]
        verifier = people[demo.verifier.email if index % 2 == 0 else demo.assessor_iv.email]
        learner.refresh_from_db()
        start = today - timedelta(days=30 + 21 * index)
        register_learner(
            actor=actor,
            learner=learner,
            centre=centre,
            qualification=qualification,
            start_date=start,
            planned_end_date=start + timedelta(days=365),
            awarding_body_number=f"{demo.registration_prefix}{index + 1:04d}",
            unit_keys=a_valid_choice(rules_cache[qualification.pk], index // len(open_ones)),
            assessors=[assessor],
            internal_verifier=verifier,
        )
    return centre


# ---------------------------------------------------------------- the demo's evidence


def tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF saying `text` (Helvetica, A4), built by hand: no binary in the repo."""
    safe = text.encode("latin-1", "replace").replace(b"\\", b"\\\\")
    safe = safe.replace(b"(", b"\\(").replace(b")", b"\\)")
    stream = b"BT /F1 14 Tf 72 770 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")  # and it ends with %%EOF
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def tiny_png(rgb: tuple[int, int, int], size: int = 16) -> bytes:
    """A valid square PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _upload(name: str, content: bytes, content_type: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def _criteria_by_unit(registration: Any) -> list[list[Any]]:
    """The registration's criteria, one list per unit that has any, in catalogue order."""
    from qualifications.models import AssessmentCriterion

    by_unit: dict[int, list[Any]] = {}
    for criterion in (
        AssessmentCriterion.objects.filter(unit__in=registration.unit_choices.values("unit_id"))
        .select_related("unit")
        .order_by("unit__key", "position")
    ):
        by_unit.setdefault(criterion.unit_id, []).append(criterion)
    return list(by_unit.values())


def seed_evidence(*, centre: Centre, demo: DemoCentre) -> None:
    """Evidence for every demo learner who has none yet (so a second run adds nothing)."""
    from portfolios.models import Registration

    learners = demo.learner_emails()
    registrations = {
        r.learner.email: r
        for r in Registration.objects.filter(centre=centre, learner__email__in=learners)
        .select_related("learner")
        .prefetch_related("assessors")
        .order_by("created_at", "pk")
    }
    for index, email in enumerate(learners):
        registration = registrations.get(email)
        if registration is None:
            continue
        if registration.evidence.exists() or registration.witness_requests.exists():
            continue
        _portfolio(index, registration, demo)


def _portfolio(index: int, registration: Any, demo: DemoCentre) -> None:
    from assessments.models import Decision
    from assessments.services import record_decision, return_evidence, sign_off_unit
    from portfolios.evidence import (
        evidence_create,
        evidence_update,
        file_add,
        map_criteria,
        resubmit,
        submit,
    )
    from portfolios.models import EvidenceContext, EvidenceMethod
    from portfolios.witness import witness_request_create, witness_respond

    units = _criteria_by_unit(registration)
    if not units:
        return
    learner = registration.learner
    assessor = registration.assessors.all()[0]
    first_name = learner.get_short_name()
    today = timezone.localdate()

    def when(days_after_start: int) -> date:
        return min(registration.start_date + timedelta(days=days_after_start), today)

    def pick(unit_index: int, count: int) -> list[Any]:
        criteria = units[unit_index % len(units)]
        start = index % max(1, len(criteria) - count + 1)
        return criteria[start : start + count]

    # Submitted and declared: a work product in two units (or two criteria of one).
    product = evidence_create(
        actor=learner,
        registration=registration,
        title="Job sheet and customer handover notes",
        description=f"The job sheet {first_name} completed for a real job, with handover notes.",
        evidence_date=when(7),
        method=EvidenceMethod.PRODUCT,
        context=EvidenceContext.REAL_WORK_PAID,
    )
    file_add(
        actor=learner,
        evidence=product,
        upload=_upload(
            "job-sheet.pdf", tiny_pdf(f"Job sheet - {learner.full_name}"), "application/pdf"
        ),
    )
    file_add(
        actor=learner,
        evidence=product,
        upload=_upload("workplace-photo.png", tiny_png((40, 90 + index * 10, 160)), "image/png"),
    )
    judged = pick(0, 2) + pick(1, 1)
    map_criteria(actor=learner, evidence=product, criteria=judged)
    submit(actor=learner, evidence=product, typed_name=learner.full_name, confirmed=True)
    # The assessor's decisions so far: one criterion met, one not yet, one still waiting.
    for position, criterion in enumerate(judged[:2]):
        record_decision(
            assessor=assessor,
            registration=registration,
            criterion=criterion,
            outcome="met" if position == 0 else "not_yet_met",
            method=EvidenceMethod.PRODUCT,
            assessed_on=when(9),
            feedback=(
                "Clear and complete: this meets the criterion."
                if position == 0
                else "Not yet: say what you checked with the customer before you closed the job."
            ),
            evidence=[product],
        )

    if index % 4 == 1:
        # A whole unit judged met and signed off by the assessor.
        smallest = min(units, key=len)
        for criterion in smallest:
            if criterion == judged[0]:
                continue
            current = (
                Decision.objects.current()
                .filter(registration=registration, criterion=criterion)
                .first()
            )
            record_decision(
                assessor=assessor,
                registration=registration,
                criterion=criterion,
                outcome="met",
                method=EvidenceMethod.OBSERVATION,
                assessed_on=when(20),
                feedback="Observed in the workplace: met.",
                supersedes=current,
                reason="Observed again in the workplace." if current else "",
            )
        _release_unit(registration, smallest[0].unit)
        sign_off_unit(
            assessor=assessor,
            registration=registration,
            unit=smallest[0].unit,
            password=DEMO_PASSWORD,
        )

    # A draft still being put together.
    draft = evidence_create(
        actor=learner,
        registration=registration,
        title="Reflective account: a difficult customer",
        description="Draft: what happened, what I did and what I would do differently.",
        evidence_date=when(14),
        method=EvidenceMethod.REFLECTIVE_ACCOUNT,
        context=EvidenceContext.REAL_WORK_PAID,
    )
    file_add(
        actor=learner,
        evidence=draft,
        upload=_upload(
            "reflective-notes.txt",
            f"Notes by {learner.full_name}\nStill to finish.\n".encode(),
            "text/plain",
        ),
    )
    map_criteria(actor=learner, evidence=draft, criteria=pick(1, 1))

    if index % 3 == 0:
        # Returned by the assessor, then resubmitted as version 2 (version 1 stays).
        account = evidence_create(
            actor=learner,
            registration=registration,
            title="Professional discussion record",
            description="Summary of the discussion with my assessor.",
            evidence_date=when(10),
            method=EvidenceMethod.PROFESSIONAL_DISCUSSION,
            context=EvidenceContext.REAL_WORK_PAID,
        )
        file_add(
            actor=learner,
            evidence=account,
            upload=_upload(
                "discussion.pdf",
                tiny_pdf(f"Professional discussion - {learner.full_name}"),
                "application/pdf",
            ),
        )
        map_criteria(actor=learner, evidence=account, criteria=pick(2, 2))
        submit(actor=learner, evidence=account, typed_name=learner.full_name, confirmed=True)
        return_evidence(
            assessor=assessor,
            evidence=account,
            feedback="Please say which safety checks you made and why.",
        )
        second = resubmit(actor=learner, evidence=account)
        evidence_update(
            actor=learner,
            evidence=second,
            description=(
                "Summary of the discussion with my assessor, now with the safety checks I "
                "made and why each one mattered."
            ),
        )
        submit(actor=learner, evidence=second, typed_name=learner.full_name, confirmed=True)

    if index == 0:
        # One testimony signed by the witness, one request still waiting for an answer.
        first_witness, second_witness = demo.witnesses
        signed = witness_request_create(
            actor=learner,
            registration=registration,
            witness_name=first_witness.name,
            witness_email=first_witness.email,
            job_title="Team leader",
            relationship="line manager",
            is_expert=False,
            activity=f"{first_name}'s work on shift over the past month.",
            criteria=pick(0, 1) + pick(1, 1),
        )
        witness_respond(
            token=signed.token,
            testimony=(
                f"I have supervised {first_name} for six months. Last month I watched them deal "
                "with a busy shift calmly, follow every procedure and keep the customer informed."
            ),
            signed_name=first_witness.name,
            confirmed=True,
        )
        witness_request_create(
            actor=assessor,
            registration=registration,
            witness_name=second_witness.name,
            witness_email=second_witness.email,
            job_title="Duty manager",
            relationship="senior colleague",
            is_expert=True,
            activity=f"{first_name}'s handling of the end-of-month stock check.",
            criteria=pick(2, 1),
        )


# ---------------------------------------------------------------- assessor-made records


def seed_assessor_records(*, centre: Centre, demo: DemoCentre) -> None:
    """For the first three demo learners, an observation by their assessor: the first two
    acknowledged (one with a disagreement), the third still waiting. Added once."""
    from assessments.models import AssessorRecord, RecordKind, UnitSignOff
    from assessments.records import acknowledge_record, create_record
    from portfolios.models import EvidenceContext, Registration

    today = timezone.localdate()
    learners = demo.learner_emails()[:3]
    registrations = (
        Registration.objects.filter(centre=centre, learner__email__in=learners)
        .select_related("learner")
        .prefetch_related("assessors")
        .order_by("created_at", "pk")
    )
    for index, registration in enumerate(registrations):
        if AssessorRecord.objects.filter(evidence__registration=registration).exists():
            continue
        signed = set(
            UnitSignOff.objects.active()
            .filter(registration=registration)
            .values_list("unit_id", flat=True)
        )
        units = [u for u in _criteria_by_unit(registration) if u[0].unit_id not in signed]
        if not units:
            continue
        first_name = registration.learner.get_short_name()
        record = create_record(
            assessor=registration.assessors.all()[0],
            registration=registration,
            kind=RecordKind.OBSERVATION,
            title="Observed on shift",
            occurred_on=min(registration.start_date + timedelta(days=12), today),
            place=f"{first_name}'s workplace",
            context=EvidenceContext.REAL_WORK_PAID,
            account=(
                f"I watched {first_name} work a full shift: they followed the procedures, "
                "checked their work and kept the customer informed throughout."
            ),
            criteria=units[-1][:2],
        )
        if index < 2:
            acknowledge_record(
                learner=registration.learner,
                record=record,
                comment="I also completed the handover, which is not mentioned." if index else "",
                disagrees=bool(index),
            )


# ---------------------------------------------------------------- the demo's assessment plan


def seed_plan(*, centre: Centre, demo: DemoCentre) -> None:
    """One learner's agreed plan: an activity done, one overdue, one coming up (added once)."""
    from assessments.models import AssessmentPlan
    from assessments.plans import (
        activity_add,
        activity_done,
        assessor_sign,
        learner_sign,
        plan_create,
    )
    from portfolios.models import EvidenceMethod, Registration

    registration = (
        Registration.objects.filter(
            centre=centre, learner__email=demo.learner_email(demo.plan_learner)
        )
        .prefetch_related("assessors")
        .first()
    )
    if registration is None or AssessmentPlan.objects.filter(registration=registration).exists():
        return
    assessor = registration.assessors.all()[0]
    units = _criteria_by_unit(registration)
    today = timezone.localdate()
    plan = plan_create(
        assessor=assessor,
        registration=registration,
        title="Assessment plan: first three months",
        summary="Agreed at the induction review. We meet every fortnight to check progress.",
    )
    # (what, how, target in days from today): the first is done, the second overdue.
    activities = (
        ("Upload the job sheets from your last two jobs.", EvidenceMethod.PRODUCT, -14),
        ("Observation of a customer handover at work.", EvidenceMethod.OBSERVATION, -5),
        (
            "Professional discussion on safe working practices.",
            EvidenceMethod.PROFESSIONAL_DISCUSSION,
            21,
        ),
    )
    added = [
        activity_add(
            assessor=assessor,
            plan=plan,
            description=description,
            method=method,
            target_date=today + timedelta(days=days),
            criteria=units[position % len(units)][:2] if units else [],
        )
        for position, (description, method, days) in enumerate(activities)
    ]
    assessor_sign(assessor=assessor, plan=plan)
    learner_sign(learner=registration.learner, plan=plan)
    activity_done(assessor=assessor, activity=added[0])


# ---------------------------------------------------------------- releasing decisions (Pearson)


def _release_unit(registration: Any, unit: Any) -> None:
    """Where the qualification needs it, the IV agrees the unit's decisions before sign-off."""
    from assessments.models import Decision
    from assessments.release import awaiting_validation
    from assessments.validation import validate_decisions

    decisions = Decision.objects.filter(registration=registration, criterion__unit=unit)
    waiting = list(awaiting_validation(decisions))
    if waiting:
        validate_decisions(
            validator=registration.internal_verifier,
            decisions=waiting,
            outcome="agreed",
            comment="Sound judgement against the criteria.",
        )


def seed_release(*, centre: Centre, demo: DemoCentre) -> None:
    """On each demo registration whose decisions wait for an IV (Pearson BTEC), one decision is
    validated and so released to the learner, and one still waits. Registrations that already
    have a validation are left alone, so a second run adds nothing."""
    from assessments.models import Decision, DecisionValidation
    from assessments.release import awaiting_validation
    from assessments.validation import validate_decision
    from portfolios.models import Registration

    learners = demo.learner_emails()
    for registration in (
        Registration.objects.filter(centre=centre, learner__email__in=learners)
        .select_related("qualification", "internal_verifier")
        .order_by("created_at", "pk")
    ):
        if DecisionValidation.objects.filter(decision__registration=registration).exists():
            continue
        waiting = list(
            awaiting_validation(Decision.objects.filter(registration=registration)).order_by(
                "decided_at", "pk"
            )
        )
        if len(waiting) < 2 or registration.internal_verifier is None:
            continue
        validate_decision(
            validator=registration.internal_verifier,
            decision=waiting[0],
            outcome="agreed",
            comment="Sound judgement, feedback states how the criterion was met.",
        )


# ---------------------------------------------------------------- standardisation (IV)


def seed_standardisation(*, centre: Centre, demo: DemoCentre) -> None:
    """One finalised standardisation meeting on the motor vehicle qualification, with both
    assessors, the IV and two decisions; recorded once (a second run finds it and adds nothing)."""
    from qualifications.models import Unit
    from verification.standardisation import add_outcome, create_meeting, finalise_meeting
    from verification.standardisation_models import StandardisationMeeting

    qualification = centre.qualifications.filter(number="601/3456/2").first()
    if qualification is None or StandardisationMeeting.objects.filter(centre=centre).exists():
        return
    people = {
        person.email: User.objects.get(email=person.email)
        for person in (demo.verifier, demo.assessor, demo.assessor_iv)
    }
    verifier = people[demo.verifier.email]
    meeting = create_meeting(
        actor=verifier,
        centre=centre,
        qualification=qualification,
        title="Judging observations of customer handovers",
        held_on=timezone.localdate() - timedelta(days=21),
        attendees=list(people.values()),
        location="Training room 2",
        notes="Each assessor brought one observation record; we judged them together.",
    )
    units = list(Unit.objects.filter(memberships__qualification=qualification).order_by("key")[:1])
    add_outcome(
        actor=verifier,
        meeting=meeting,
        decision="Observation records name the job card and the vehicle registration.",
        units=units,
        action_owner=people[demo.assessor.email],
        action_due=timezone.localdate() + timedelta(days=14),
    )
    add_outcome(
        actor=verifier,
        meeting=meeting,
        decision="Feedback says which criterion each part of the observation meets.",
    )
    finalise_meeting(actor=verifier, meeting=meeting)
