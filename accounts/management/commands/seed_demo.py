"""A lived-in demo centre: staff in every role, twelve learners registered through the services.

`make run` calls this after loading the catalogue. Every login's password is printed (or, with
--json, a JSON list of {"role", "email", "password"}). Running it again changes nothing: people,
roles and registrations are found, not added twice, and the output is the same. Like
setup_demo (which makes the site superuser, and which this command runs first), it refuses to
run with DEBUG off unless told otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from io import StringIO
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.management.commands.setup_demo import DEMO_ADMIN, DEMO_PASSWORD
from accounts.models import Centre, Role, StaffCredential, User
from accounts.services import credential_add, learner_profile_update, person_create

CENTRE_NAME = "Northgate Training Centre"
CENTRE_NUMBER = "70421"


@dataclass(frozen=True)
class DemoPerson:
    label: str  # the role as printed
    email: str
    full_name: str
    roles: tuple[str, ...]


CENTRE_ADMIN = DemoPerson(
    "Centre admin", "helen.carter@demo.example", "Helen Carter", (Role.CENTRE_ADMIN,)
)
# One person in two roles shows the header's role switcher.
ASSESSOR_IV = DemoPerson(
    "Assessor and internal verifier",
    "marcus.reid@demo.example",
    "Marcus Reid",
    (Role.ASSESSOR, Role.INTERNAL_VERIFIER),
)
ASSESSOR = DemoPerson("Assessor", "aisha.khan@demo.example", "Aisha Khan", (Role.ASSESSOR,))
VERIFIER = DemoPerson(
    "Internal verifier", "dorothy.evans@demo.example", "Dorothy Evans", (Role.INTERNAL_VERIFIER,)
)
EQA = DemoPerson("External quality assurer", "graham.lowe@demo.example", "Graham Lowe", (Role.EQA,))
STAFF = (CENTRE_ADMIN, ASSESSOR_IV, ASSESSOR, VERIFIER, EQA)

# (name, date of birth, employer)
LEARNERS = (
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
)


def learner_email(name: str) -> str:
    return name.lower().replace("'", "").replace(" ", ".") + "@learner.demo.example"


def demo_logins() -> list[dict[str, str]]:
    """Every demo login, in the order printed."""
    logins = [{"role": DEMO_ADMIN.role, "email": DEMO_ADMIN.email, "password": DEMO_PASSWORD}]
    logins += [{"role": p.label, "email": p.email, "password": DEMO_PASSWORD} for p in STAFF]
    logins += [
        {"role": "Learner", "email": learner_email(name), "password": DEMO_PASSWORD}
        for name, _, _ in LEARNERS
    ]
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

    def handle(self, *args: Any, allow_without_debug: bool, as_json: bool, **options: Any) -> None:
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "Refusing to create demo users with known passwords while DEBUG is off. "
                "Pass --allow-without-debug if this really is a demo site."
            )
        with transaction.atomic():
            call_command("setup_demo", allow_without_debug=True, stdout=StringIO())
            seed(actor=User.objects.get(email=DEMO_ADMIN.email))
        self.print_logins(as_json=as_json)

    def print_logins(self, *, as_json: bool) -> None:
        logins = demo_logins()
        if as_json:
            self.stdout.write(json.dumps(logins, indent=2))
            return
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS("Demo sign-in details (all on http://127.0.0.1:8000/):")
        )
        width = max(len(login["role"]) for login in logins)
        for login in logins:
            self.stdout.write(
                f"  {login['role']:<{width}}  {login['email']}  /  {login['password']}"
            )
        self.stdout.write(f"  (the demo centre is {CENTRE_NAME}, centre number {CENTRE_NUMBER})")
        self.stdout.write("")


def _ensure_password(user: User) -> None:
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])


def seed(*, actor: User) -> Centre:
    """The demo centre and everyone in it; finds what exists, adds what is missing."""
    from portfolios.models import Registration, RegistrationStatus
    from portfolios.services import register_learner
    from qualifications.models import Qualification, QualificationStatus
    from qualifications.queries import combination_rules

    today = timezone.localdate()
    centre, _ = Centre.objects.get_or_create(number=CENTRE_NUMBER, defaults={"name": CENTRE_NAME})
    catalogue = list(Qualification.objects.with_status(today).order_by("number"))
    centre.qualifications.add(
        *[q for q in catalogue if q.current_status != QualificationStatus.CLOSED]
    )
    open_ones = [q for q in catalogue if q.current_status == QualificationStatus.OPEN]
    if not open_ones:
        raise CommandError("The catalogue has no open qualification: run load_catalogue first.")

    people: dict[str, User] = {}
    for person in STAFF:
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
        (ASSESSOR_IV, StaffCredential.Kind.ASSESSOR, "Level 3 Certificate in Assessing"),
        (ASSESSOR_IV, StaffCredential.Kind.VERIFIER, "Level 4 Award in Internal Quality Assurance"),
        (ASSESSOR, StaffCredential.Kind.ASSESSOR, "Level 3 Certificate in Assessing"),
        (VERIFIER, StaffCredential.Kind.VERIFIER, "Level 4 Award in Internal Quality Assurance"),
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
    for index, (name, born, employer) in enumerate(LEARNERS):
        learner, _ = person_create(
            actor=actor,
            centre=centre,
            email=learner_email(name),
            full_name=name,
            role=Role.LEARNER,
            password=DEMO_PASSWORD,
        )
        _ensure_password(learner)
        learner_profile_update(
            actor=actor,
            user=learner,
            centre=centre,
            uln=f"{4820000000 + index * 7919}",
            date_of_birth=born,
            employer=employer,
            phone=f"07700 900{index:03d}",
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
        assessor = people[ASSESSOR_IV.email] if index % 2 == 0 else people[ASSESSOR.email]
        verifier = people[VERIFIER.email] if index % 2 == 0 else people[ASSESSOR_IV.email]
        learner.refresh_from_db()
        start = today - timedelta(days=30 + 21 * index)
        register_learner(
            actor=actor,
            learner=learner,
            centre=centre,
            qualification=qualification,
            start_date=start,
            planned_end_date=start + timedelta(days=365),
            awarding_body_number=f"NTC{index + 1:04d}",
            unit_keys=a_valid_choice(rules_cache[qualification.pk], index // len(open_ones)),
            assessors=[assessor],
            internal_verifier=verifier,
        )
    return centre
