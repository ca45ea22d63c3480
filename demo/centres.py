"""Who is who at the demo centres: Northgate Training Centre and its twin Southfield College,
their staff, learners at work and learners who have finished, the site administrator, and the
one published password.

Every demo story is told through a DemoCentre (demo/seed.py, demo/quality.py); tests and the
load benchmark sign in as these people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from accounts.models import Role


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    full_name: str


# Printed on purpose for the demo; setup_demo and seed_demo refuse to run with DEBUG off.
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105
DEMO_ADMIN = DemoLogin(
    role="Site administrator",
    email="admin@demo.example",
    password=DEMO_PASSWORD,
    full_name="Demo Administrator",
)


@dataclass(frozen=True)
class DemoPerson:
    label: str  # the role as printed
    email: str
    full_name: str
    roles: tuple[str, ...]


# Learners who have finished (or left early), for internal verification and claims; their
# stories are told by demo/quality.py.
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
    # Issue 19: an employer of apprentices, kept by the centre, and its contact's login
    # (seeded by demo/apprenticeships.py, not with the staff: the role names its employer).
    employer: str
    employer_contact: DemoPerson
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
        logins.append(
            {
                "role": self.employer_contact.label,
                "email": self.employer_contact.email,
                "password": DEMO_PASSWORD,
            }
        )
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
    employer="Harbour Hotels Group",
    employer_contact=DemoPerson(
        "Employer contact",
        "sarah.quinn@harbourhotels.demo.example",
        "Sarah Quinn",
        (Role.EMPLOYER,),
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
    employer="Quayside Hotels Group",
    employer_contact=DemoPerson(
        "Employer contact",
        "tariq.bashir@quayside.southfield.demo.example",
        "Tariq Bashir",
        (Role.EMPLOYER,),
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
