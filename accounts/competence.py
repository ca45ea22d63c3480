"""Whether a person may assess, or internally verify, a qualification on a day (issue 17).

One check, used by every service that decides (a criterion decision, a unit sign-off) or
quality-assures (validating a decision, sampling): the person holds, at the centre, a
qualification for the role that covers the qualification, or is a trainee within the SFJ
allowance with a named qualified colleague to countersign; and has current occupational
experience relevant to it. A refusal names each unmet requirement and its source.

The check itself (`assess`) is pure: it reads what it is given. `competence_for` loads one
person's records; `competence_table` loads a centre's at once, for the report and the warnings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import CompetenceRecord, Membership, Role, StaffCredential, User

# SFJ handbook section 4.1 item 6: "within 18 months of working with the Standards".
TRAINEE_MONTHS = 18
# Pearson: "current occupational experience (within the last three years)". SFJ asks for "a
# recent role" (4.2 item 2) without a number; the platform reads recent as Pearson's window.
RECENT_YEARS = 3
# How far ahead a lapse is warned, on the person's own page and the admin's.
WARN_DAYS = 60

ROLE_KIND: dict[str, str] = {
    Role.ASSESSOR: StaffCredential.Kind.ASSESSOR,
    Role.INTERNAL_VERIFIER: StaffCredential.Kind.VERIFIER,
}
ACTING: dict[str, str] = {Role.ASSESSOR: "assess", Role.INTERNAL_VERIFIER: "internally verify"}


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _body(qualification: Any) -> str:
    code = (getattr(qualification.awarding_body, "code", "") or "").upper()
    name = (getattr(qualification.awarding_body, "name", "") or "").upper()
    if "SFJ" in code or "SFJ" in name:
        return "sfj"
    if any(mark in code or mark in name for mark in ("PEARSON", "EDEXCEL", "BTEC")):
        return "pearson"
    return "other"


def _body_name(qualification: Any) -> str:
    return getattr(qualification.awarding_body, "name", "") or "The awarding body"


def qualification_source(qualification: Any, role: str) -> str:
    """Where the requirement for an assessor or IV qualification is written."""
    body = _body(qualification)
    if body == "sfj":
        part = "4.2 item 5" if role == Role.ASSESSOR else "4.3 item 4"
        return (
            f"SFJ handbook section {part} and section 4.1 item 6 (appropriate A and V units, "
            f"within {TRAINEE_MONTHS} months of starting)"
        )
    if body == "pearson":
        return (
            "Pearson specification, general resource requirements (a relevant qualification in "
            "assessment and/or internal quality assurance)"
        )
    return (
        f"{_body_name(qualification)}'s assessment strategy (an assessor or verifier qualification)"
    )


def occupational_source(qualification: Any, role: str) -> str:
    body = _body(qualification)
    if body == "sfj":
        part = "4.2 items 1, 2 and 4" if role == Role.ASSESSOR else "4.3 items 1 and 3"
        return (
            f"SFJ handbook section {part} (occupationally competent in a recent role; "
            f"read here as within {RECENT_YEARS} years)"
        )
    if body == "pearson":
        return (
            "Pearson specification, general resource requirements (current occupational "
            f"experience within the last {RECENT_YEARS} years)"
        )
    return (
        f"{_body_name(qualification)}'s assessment strategy (current occupational experience, "
        f"read here as within {RECENT_YEARS} years)"
    )


COUNTERSIGN_SOURCE = (
    f"SFJ handbook section 4.1 item 6 allows {TRAINEE_MONTHS} months of working towards; the "
    "platform asks a named qualified colleague to countersign the trainee's unit sign-offs"
)


@dataclass(frozen=True)
class Requirement:
    rule: str
    source: str
    met: bool
    detail: str
    # The day it lapses (None: it does not, or it is not met).
    until: date | None = None
    # Not met because what was recorded has run out (warned), not because nothing was.
    lapsed: bool = False


@dataclass(frozen=True)
class Competence:
    person: User
    role: str
    qualification: Any
    on: date
    requirements: tuple[Requirement, ...]
    # A trainee's countersigning colleague: their unit sign-offs need this person's signature.
    countersigner: User | None = None

    @property
    def ok(self) -> bool:
        return all(item.met for item in self.requirements)

    @property
    def trainee(self) -> bool:
        return self.countersigner is not None

    def refusal(self) -> str:
        unmet = [item for item in self.requirements if not item.met]
        reasons = "; ".join(f"{item.detail} ({item.source})" for item in unmet)
        return (
            f"{self.person} may not {ACTING.get(self.role, 'act on')} {self.qualification.number} "
            f"on {self.on:%d %B %Y}: {reasons}."
        )

    def lapsing(self, within: int = WARN_DAYS) -> list[Requirement]:
        """Met requirements that lapse within `within` days."""
        horizon = self.on + timedelta(days=within)
        return [
            item
            for item in self.requirements
            if item.met and item.until is not None and item.until <= horizon
        ]


def covers(credential: StaffCredential, qualification: Any) -> bool:
    chosen = {q.pk for q in credential.qualifications.all()}
    if chosen:
        return qualification.pk in chosen
    if credential.levels:
        return qualification.level in credential.levels
    return True


def _record_covers(record: CompetenceRecord, qualification: Any) -> bool:
    chosen = {q.pk for q in record.qualifications.all()}
    return not chosen or qualification.pk in chosen


def _holds(credentials: Iterable[StaffCredential], kind: str | None, qualification: Any) -> bool:
    return any(
        c.kind == kind and c.status == StaffCredential.Status.HELD and covers(c, qualification)
        for c in credentials
    )


def assess(
    *,
    person: User,
    role: str,
    qualification: Any,
    on: date,
    credentials: Sequence[StaffCredential],
    records: Sequence[CompetenceRecord],
    countersigner_credentials: Sequence[StaffCredential] = (),
) -> Competence:
    """The requirements for `person` acting in `role` on `qualification` on day `on`, from their
    credentials and competence records at one centre (and their countersigners' credentials)."""
    kind = ROLE_KIND.get(role)
    role_label = "assessor" if role == Role.ASSESSOR else "internal verifier"
    source = qualification_source(qualification, role)
    relevant = [c for c in credentials if c.kind == kind and covers(c, qualification)]
    countersigner: User | None = None
    held = [c for c in relevant if c.status == StaffCredential.Status.HELD]
    if held:
        credential = Requirement(
            f"{role_label.capitalize()} qualification",
            source,
            True,
            f"holds {held[0].title}",
        )
    else:
        trainee = [c for c in relevant if c.status == StaffCredential.Status.WORKING_TOWARDS]
        credential = Requirement(
            f"{role_label.capitalize()} qualification",
            source,
            False,
            f"no {role_label} qualification recorded at this centre covers {qualification.number}",
        )
        for c in trainee:
            ends = [add_months(c.started_on, TRAINEE_MONTHS)] if c.started_on else []
            ends += [c.deadline] if c.deadline else []
            until = min(ends) if ends else None
            if c.started_on is None or until is None:
                detail = f"working towards {c.title} with no start date recorded"
                credential = Requirement(credential.rule, source, False, detail)
                continue
            if on > until:
                detail = f"the time allowed to achieve {c.title} ended on {until:%d %B %Y}"
                credential = Requirement(credential.rule, source, False, detail, lapsed=True)
                continue
            mate = c.countersigner
            if mate is None:
                credential = Requirement(
                    credential.rule,
                    COUNTERSIGN_SOURCE,
                    False,
                    f"working towards {c.title} with no countersigning qualified colleague named",
                )
                continue
            if not _holds(
                [m for m in countersigner_credentials if m.user_id == mate.pk], kind, qualification
            ):
                credential = Requirement(
                    credential.rule,
                    COUNTERSIGN_SOURCE,
                    False,
                    f"the countersigner {mate} holds no {role_label} qualification covering "
                    f"{qualification.number}",
                )
                continue
            credential = Requirement(
                credential.rule,
                source,
                True,
                f"working towards {c.title} until {until:%d %B %Y}, countersigned by {mate}",
                until,
            )
            countersigner = mate
            break
    experience = [
        r
        for r in records
        if r.kind == CompetenceRecord.Kind.OCCUPATIONAL
        and r.date <= on
        and _record_covers(r, qualification)
    ]
    latest = max((r.date for r in experience), default=None)
    osource = occupational_source(qualification, role)
    if latest is None:
        occupational = Requirement(
            "Occupational competence",
            osource,
            False,
            f"no occupational experience relevant to {qualification.number} is recorded",
        )
    else:
        until = add_months(latest, 12 * RECENT_YEARS)
        occupational = Requirement(
            "Occupational competence",
            osource,
            on <= until,
            (
                f"occupational experience of {latest:%d %B %Y}, current until {until:%d %B %Y}"
                if on <= until
                else f"the latest occupational experience ({latest:%d %B %Y}) is over "
                f"{RECENT_YEARS} years old"
            ),
            until if on <= until else None,
            lapsed=on > until,
        )
    return Competence(
        person=person,
        role=role,
        qualification=qualification,
        on=on,
        requirements=(credential, occupational),
        countersigner=countersigner,
    )


def _credentials() -> Any:
    return StaffCredential.objects.select_related("countersigner").prefetch_related(
        "qualifications"
    )


def competences_of(
    user: User,
    centre: Any,
    qualifications: Sequence[Any],
    role: str,
    *,
    on: date | None = None,
) -> list[Competence]:
    """One person's competence for `role` on each of `qualifications` at `centre`: four queries
    (five for a trainee), whatever the number of qualifications."""
    centre_id = getattr(centre, "pk", centre)
    credentials = list(_credentials().filter(user=user, centre_id=centre_id))
    records = list(
        CompetenceRecord.objects.filter(
            user=user, centre_id=centre_id, kind=CompetenceRecord.Kind.OCCUPATIONAL
        ).prefetch_related("qualifications")
    )
    mates = {c.countersigner_id for c in credentials if c.countersigner_id}
    theirs = list(_credentials().filter(user_id__in=mates, centre_id=centre_id)) if mates else []
    return [
        assess(
            person=user,
            role=role,
            qualification=qualification,
            on=on or timezone.localdate(),
            credentials=credentials,
            records=records,
            countersigner_credentials=theirs,
        )
        for qualification in qualifications
    ]


def competence_for(
    user: User, centre: Any, qualification: Any, role: str, *, on: date | None = None
) -> Competence:
    """One person's competence for `role` on `qualification` at `centre`."""
    return competences_of(user, centre, [qualification], role, on=on)[0]


def competence_refusal(user: User, centre: Any, qualification: Any, role: str) -> str:
    """The refusal to show, or "" when `user` may act in `role` on `qualification` today."""
    competence = competence_for(user, centre, qualification, role)
    return "" if competence.ok else competence.refusal()


@dataclass
class StaffRow:
    person: User
    role: str
    competences: list[Competence] = field(default_factory=list)

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


def competence_table(
    centre: Any,
    qualifications: Sequence[Any],
    *,
    people: Iterable[int] | None = None,
    on: date | None = None,
) -> list[StaffRow]:
    """Every current assessor and IV of `centre` (or only `people`), with their competence for
    each of `qualifications`. A fixed number of queries, whatever the number of staff."""
    centre_id = getattr(centre, "pk", centre)
    on = on or timezone.localdate()
    memberships = (
        Membership.objects.current()
        .filter(centre_id=centre_id, role__in=list(ROLE_KIND))
        .select_related("user")
        .order_by("user__full_name", "user__email", "role")
    )
    if people is not None:
        memberships = memberships.filter(user_id__in=list(people))
    memberships_list = list(memberships)
    credentials: dict[int, list[StaffCredential]] = defaultdict(list)
    for credential in _credentials().filter(centre_id=centre_id):
        credentials[credential.user_id].append(credential)
    records: dict[int, list[CompetenceRecord]] = defaultdict(list)
    for record in CompetenceRecord.objects.filter(
        centre_id=centre_id, kind=CompetenceRecord.Kind.OCCUPATIONAL
    ).prefetch_related(Prefetch("qualifications")):
        records[record.user_id].append(record)
    everyone = [c for mine in credentials.values() for c in mine]
    rows = []
    for membership in memberships_list:
        row = StaffRow(person=membership.user, role=membership.role)
        for qualification in qualifications:
            row.competences.append(
                assess(
                    person=membership.user,
                    role=membership.role,
                    qualification=qualification,
                    on=on,
                    credentials=credentials[membership.user_id],
                    records=records[membership.user_id],
                    countersigner_credentials=everyone,
                )
            )
        rows.append(row)
    return rows


def warnings_for(rows: Iterable[StaffRow], within: int = WARN_DAYS) -> list[str]:
    """Sentences for what lapses within `within` days, or has lapsed, per person and role."""
    out = []
    for row in rows:
        for competence in row.competences:
            number = competence.qualification.number
            acting = ACTING.get(row.role, row.role)
            for item in competence.lapsing(within):
                out.append(
                    f"{row.person}: {item.rule.lower()} to {acting} {number} lapses on "
                    f"{item.until or competence.on:%d %B %Y} ({item.source})."
                )
            if any(item.lapsed for item in competence.requirements):
                out.append(competence.refusal())
    return out
