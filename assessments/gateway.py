"""The end-point assessment gateway (issue 19, point 5): the readiness checklist, naming a KSB's
gap, the three-way declaration, and the end-point assessment result.

The records are portfolios' (portfolios.models.gateway); the rules are here because the
checklist reads assessors' decisions and unit sign-offs (assessments.coverage), which
portfolios may not import. Every state change takes the registration's row lock, checks, writes
and records its audit event in one transaction; nothing is deleted, a correction supersedes.

The checklist, per apprentice:
- every KSB of the standard is evidenced (assessments.coverage: covered), or the provider has
  named its gap and how the end-point assessment will cover it;
- approved off-the-job hours reach the planned hours (the published minimum less prior
  learning);
- English and maths are met: already held or exempt, or achieved;
- the practical period has lasted MINIMUM_PRACTICAL_PERIOD_DAYS so far;
- where the standard includes the qualification (the registration's qualification is the one
  the standard's mapping is published for), every unit the learner takes is signed off.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from assessments.coverage import (
    Scoped,
    State,
    met_criteria_by_id,
    scoped,
    scoped_state,
    signed_off_units_by_id,
    units_taken_by_id,
)
from core.audit import record_event
from core.prepared import Prepared, PreparedForIds, PreparedInstances, attnames, from_rows
from portfolios import rules
from portfolios.models import (
    MINIMUM_PRACTICAL_PERIOD_DAYS,
    Apprenticeship,
    EndPointGrade,
    EndPointResult,
    FunctionalSkillRequirement,
    FunctionalSkillStatus,
    GatewayGap,
    GatewayParty,
    GatewaySignature,
    Registration,
)
from portfolios.models.apprenticeship import planned_otj_hours
from portfolios.off_the_job import approved_hours, hours_text
from qualifications.models import Statement
from qualifications.standards import statement_links


class GatewayError(Exception):
    """The gateway cannot change as asked; the message says why, for the person asking."""


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _listed(codes: list[str], most: int = 6) -> str:
    shown = ", ".join(codes[:most])
    return shown + (f" and {len(codes) - most} more" if len(codes) > most else "")


# ---------------------------------------------------------------- the checklist


@dataclass(frozen=True)
class Item:
    """One line of the checklist: met or not, why, and where to put it right."""

    key: str
    title: str
    met: bool
    why: str
    # A URL name taking the registration's pk, and what the link says.
    link: str
    link_label: str
    anchor: str = ""
    applies: bool = True


class Ksb(NamedTuple):
    """One statement of the standard for one apprentice, as ids and its state: what the
    checklist counts (assessments.coverage.judge, from qualifications.standards.statement_links),
    with no model built. A named tuple: a cohort's CSV makes one per statement per apprentice
    (thousands), and a frozen dataclass cost several times as much to make."""

    statement_id: int
    code: str
    state: State

    @property
    def is_covered(self) -> bool:
        return self.state == State.COVERED


@dataclass(frozen=True)
class KsbCoverage:
    """One statement with its state, for a page that shows the statement (Readiness.coverage)."""

    statement: Statement
    state: State

    @property
    def label(self) -> str:
        return State(self.state).label

    @property
    def is_covered(self) -> bool:
        return self.state == State.COVERED


@dataclass
class Readiness:
    registration_id: int
    items: list[Item]
    # The standard's statements for this learner in the standard's order, and the current gap
    # note of each that has one, by statement id.
    ksbs: list[Ksb] = field(default_factory=list)
    gaps: dict[int, GatewayGap] = field(default_factory=dict)

    @cached_property
    def coverage(self) -> list[KsbCoverage]:
        """The KSBs with their statements (code, text), for the gateway page and the demo that
        name the gaps: ONE query, on first use. The checklist itself reads ids only, so a
        cohort's rows, which never ask, never build a statement."""
        if not self.ksbs:
            return []
        statements = Statement.objects.in_bulk([ksb.statement_id for ksb in self.ksbs])
        return [KsbCoverage(statements[ksb.statement_id], ksb.state) for ksb in self.ksbs]

    @property
    def ready(self) -> bool:
        return bool(self.items) and all(item.met for item in self.items)

    @property
    def unmet(self) -> list[Item]:
        return [item for item in self.items if not item.met]

    @property
    def checklist_hash(self) -> str:
        """SHA-256 of what the checklist says (each item, and which gap notes it rests on): what
        a signature of the declaration covers."""
        canonical = json.dumps(
            {
                "registration": self.registration_id,
                "items": [[item.key, item.met, item.why] for item in self.items],
                "gaps": sorted(gap.pk for gap in self.gaps.values()),
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


PROGRAMME_LINK = "portfolios:registration_apprenticeship"


def _skill(subject: str, requirement: str, status: str) -> Item:
    if requirement != FunctionalSkillRequirement.REQUIRED:
        met, why = True, f"{FunctionalSkillRequirement(requirement).label}."
    elif status == FunctionalSkillStatus.ACHIEVED:
        met, why = True, "Required, and achieved."
    else:
        met = False
        why = f"Required, and {FunctionalSkillStatus(status).label.lower()}: not yet achieved."
    return Item(subject.lower(), subject, met, why, PROGRAMME_LINK, "Update the programme record")


def _ksbs(statements: Sequence[Any], states: list[State], gaps: dict[int, GatewayGap]) -> Item:
    # One pass over the statements' links (pk, code) and their states: a cohort asks this of
    # every apprentice.
    covered = named = 0
    missing = []
    for links, state in zip(statements, states, strict=True):
        if state == State.COVERED:
            covered += 1
        elif links.pk in gaps:
            named += 1
        else:
            missing.append(links.code)
    total = len(states)
    if not total:
        why, met = "The standard lists no knowledge, skills or behaviours.", True
    elif missing:
        met = False
        why = (
            f"{covered} of {total} evidenced, {named} with the gap named; "
            f"{_listed(missing)} neither evidenced nor with the gap named."
        )
    else:
        met = True
        why = f"{covered} of {total} evidenced" + (
            f", the gap named for the other {named}." if named else "."
        )
    return Item(
        "ksbs",
        "Knowledge, skills and behaviours",
        met,
        why,
        "gateway:page",
        "Name the gaps",
        anchor="gaps",
    )


def _hours(planned: Decimal, approved: Decimal) -> Item:
    if approved >= planned:
        met = True
        why = f"{hours_text(approved)} hours approved of {hours_text(planned)} planned."
    else:
        met = False
        why = (
            f"{hours_text(approved)} hours approved of {hours_text(planned)} planned: "
            f"{hours_text(planned - approved)} to go."
        )
    return Item(
        "off_the_job", "Off-the-job hours", met, why, "off_the_job:log", "The off-the-job log"
    )


def _duration(start: date, today: date) -> Item:
    days = (today - start).days
    if days >= MINIMUM_PRACTICAL_PERIOD_DAYS:
        met = True
        why = (
            f"The practical period started {_day(start)}: {days} days so far, at least "
            f"{MINIMUM_PRACTICAL_PERIOD_DAYS} needed."
        )
    else:
        met = False
        reached = start + timedelta(days=MINIMUM_PRACTICAL_PERIOD_DAYS)
        why = (
            f"The practical period started {_day(start)}: {max(days, 0)} days so far, at least "
            f"{MINIMUM_PRACTICAL_PERIOD_DAYS} needed (reached {_day(reached)})."
        )
    return Item(
        "duration", "Minimum duration", met, why, PROGRAMME_LINK, "Update the programme record"
    )


def _units(included: bool, taken: set[int], signed: set[int]) -> Item:
    if not included:
        return Item(
            "units",
            "Qualification units signed off",
            True,
            "The standard does not include this qualification: its units are not a gateway "
            "requirement.",
            "evidence:portfolio",
            "The portfolio",
            applies=False,
        )
    done = len(taken & signed)
    if not taken:
        met, why = False, "No units are chosen for this registration yet."
    elif done == len(taken):
        met, why = True, f"All {len(taken)} units signed off."
    else:
        met, why = False, f"{done} of {len(taken)} units signed off."
    return Item(
        "units", "Qualification units signed off", met, why, "evidence:portfolio", "The portfolio"
    )


@dataclass(frozen=True)
class Plan:
    """What the checklist reads of one programme record, as plain values."""

    registration_id: int
    standard_id: int
    # Whether the standard includes the registration's qualification (the units item applies).
    includes_qualification: bool
    planned_otj_hours: Decimal
    english_requirement: str
    english_status: str
    maths_requirement: str
    maths_status: str
    practical_start: date


PLAN_FIELDS = (
    "registration_id",
    "standard_id",
    "standard__qualification_id",
    "registration__qualification_id",
    "minimum_otj_hours",
    "rpl_reduction_hours",
    "english_requirement",
    "english_status",
    "maths_requirement",
    "maths_status",
    "practical_start",
)


def _plans(ids: Sequence[int]) -> dict[int, Plan]:
    """The programme records of these registrations, by registration id: one query, narrow."""
    return {
        row[0]: Plan(
            registration_id=row[0],
            standard_id=row[1],
            includes_qualification=row[2] == row[3],
            planned_otj_hours=planned_otj_hours(row[4], row[5]),
            english_requirement=row[6],
            english_status=row[7],
            maths_requirement=row[8],
            maths_status=row[9],
            practical_start=row[10],
        )
        for row in PLANS.rows(ids)
    }


def _plans_of(ids: list[int]) -> QuerySet:
    return (
        Apprenticeship.objects.filter(registration_id__in=ids).order_by().values_list(*PLAN_FIELDS)
    )


def _gaps_of(ids: list[int]) -> QuerySet:
    return (
        GatewayGap.objects.current()
        .filter(registration_id__in=ids)
        .values_list(*attnames(GatewayGap))
    )


def _signed_of(ids: list[int]) -> QuerySet:
    return (
        GatewaySignature.objects.current()
        .filter(registration_id__in=ids)
        .values_list("registration_id")
    )


def _results_of(ids: list[int]) -> QuerySet:
    return (
        EndPointResult.objects.current()
        .filter(registration_id__in=ids)
        .values_list(*attnames(EndPointResult))
    )


# A cohort's lists of apprentices, on every visit: each compiled once for each size of list
# (core.prepared.PreparedForIds); building them, an IN list of a hundred ids each, cost more
# than their rows.
PLANS = PreparedForIds(_plans_of)
GAPS = PreparedForIds(_gaps_of)
SIGNED = PreparedForIds(_signed_of)
RESULTS = PreparedForIds(_results_of)


def _plan_of(record: Apprenticeship, registration: Registration) -> Plan:
    return Plan(
        registration_id=registration.pk,
        standard_id=record.standard_id,
        includes_qualification=record.standard.qualification_id == registration.qualification_id,
        planned_otj_hours=record.planned_otj_hours,
        english_requirement=record.english_requirement,
        english_status=record.english_status,
        maths_requirement=record.maths_requirement,
        maths_status=record.maths_status,
        practical_start=record.practical_start,
    )


def readiness_for(
    registrations: Sequence[Registration],
    *,
    today: date | None = None,
    programmes: dict[int, Apprenticeship] | None = None,
) -> dict[int, Readiness]:
    """Per registration id, its gateway checklist. A fixed number of queries (eight at most)
    whatever the number of registrations, statements, decisions or hours: a cohort page can
    ask it of a page of apprentices at once. `programmes`: the registrations' programme records
    by registration id, with their standards, when the caller has read them already (one
    query less)."""
    ids = [registration.pk for registration in registrations]
    if programmes is None:
        plans = _plans(ids)
    else:
        plans = {
            registration.pk: _plan_of(programmes[registration.pk], registration)
            for registration in registrations
            if registration.pk in programmes
        }
    return readiness_of(ids, plans, today=today)


def _current_gaps(*, registration: int) -> QuerySet:
    return GatewayGap.objects.current().filter(registration_id=registration)


CURRENT_GAPS = PreparedInstances(GatewayGap, _current_gaps)


def readiness_of(
    ids: Sequence[int],
    plans: dict[int, Plan] | None = None,
    *,
    today: date | None = None,
    approved: dict[int, Decimal] | None = None,
    each_statement: bool = True,
) -> dict[int, Readiness]:
    """readiness_for, for registration ids: `plans` their programme records if read already
    (else one query), `approved` their approved off-the-job hours if summed already (else one
    query; a registration missing from it has none approved). Six queries besides: the
    standards' statements as ids (two), the units taken, the criteria met, the units signed off
    and the named gaps, whatever the number of registrations. Coverage is judged from ids alone
    (assessments.coverage.judge over statement_links): no statement, criterion or unit is built,
    which cost a cohort most of its time. `each_statement=False` leaves Readiness.ksbs empty
    (the checklist's items are the same): a cohort, which shows only the items, need not make
    a tuple per statement per apprentice."""
    today = today or timezone.localdate()
    if plans is None:
        plans = _plans(ids)
    if not plans:
        return {pk: _no_programme(pk) for pk in ids}
    mapping = statement_links({plan.standard_id for plan in plans.values()})
    apprentices = [pk for pk in ids if pk in plans]
    taken = units_taken_by_id(apprentices)
    met = met_criteria_by_id(apprentices)
    signed = signed_off_units_by_id(apprentices)
    gaps: dict[int, dict[int, GatewayGap]] = {pk: {} for pk in plans}
    # One apprentice (the gateway page, on every request): the query compiled once.
    found = (
        CURRENT_GAPS.instances(registration=apprentices[0])
        if len(apprentices) == 1
        else from_rows(GatewayGap, GAPS.rows(apprentices))
    )
    for gap in found:
        gaps[gap.registration_id][gap.statement_id] = gap
    if approved is None:
        approved = approved_hours(apprentices)
    # Which of each statement's mapped criteria and units fall within the units taken depends
    # on the standard and the units alone: worked out once for the apprentices who share them.
    scopes: dict[tuple[int, frozenset[int]], list[Scoped]] = {}
    result: dict[int, Readiness] = {}
    for pk in ids:
        plan = plans.get(pk)
        if plan is None:
            result[pk] = _no_programme(pk)
            continue
        mine, done, signed_off = taken[pk], met[pk], signed[pk]
        statements = mapping[plan.standard_id]
        key = (plan.standard_id, frozenset(mine))
        scope = scopes.get(key)
        if scope is None:
            scope = scopes[key] = [
                scoped(links.no_mapping, links.criteria, links.units, mine) for links in statements
            ]
        # judge's rule, each statement's scope worked out once for those taking the same units.
        states = [scoped_state(within, done, signed_off) for within in scope]
        own = gaps[pk]
        items = [
            _ksbs(statements, states, own),
            _hours(plan.planned_otj_hours, approved.get(pk) or Decimal("0")),
            _skill("English", plan.english_requirement, plan.english_status),
            _skill("Maths", plan.maths_requirement, plan.maths_status),
            _duration(plan.practical_start, today),
            _units(plan.includes_qualification, mine, signed_off),
        ]
        ksbs = (
            [
                Ksb(links.pk, links.code, state)
                for links, state in zip(statements, states, strict=True)
            ]
            if each_statement
            else []
        )
        result[pk] = Readiness(pk, items, ksbs, own)
    return result


def _statement_texts(standard: int) -> QuerySet:
    return Statement.objects.filter(standard_id=standard).order_by().values_list("pk", "text")


# The gateway page asks it on every request: compiled once (core.prepared).
STATEMENT_TEXTS = Prepared(_statement_texts)


def statement_texts(standard_id: int) -> dict[int, str]:
    """The text of each statement of the standard, by statement id: what the gateway page shows
    of the KSBs not evidenced beside their codes and states (Readiness.ksbs). One query."""
    return dict(STATEMENT_TEXTS.rows(standard=standard_id))


def _no_programme(pk: int) -> Readiness:
    return Readiness(
        pk,
        [
            Item(
                "programme",
                "Apprenticeship programme record",
                False,
                "No apprenticeship is recorded for this registration.",
                PROGRAMME_LINK,
                "Record the apprenticeship",
            )
        ],
    )


# ---------------------------------------------------------------- the declaration, as it stands

# The three parties, read once: `GatewayParty.values` builds its list on every call, and a
# cohort asks it of every row.
PARTIES = tuple(GatewayParty.values)


@dataclass
class Declaration:
    """The current signatures, by party; passed when all three stand."""

    signatures: dict[str, GatewaySignature]

    @property
    def passed(self) -> bool:
        return all(party in self.signatures for party in PARTIES)

    @property
    def passed_at(self) -> datetime | None:
        if not self.passed:
            return None
        return max(signature.signed_at for signature in self.signatures.values())

    @property
    def parties(self) -> list[tuple[str, str, GatewaySignature | None]]:
        return [(party, label, self.signatures.get(party)) for party, label in GatewayParty.choices]


def declaration_of(registration: Registration) -> Declaration:
    """One query."""
    return Declaration(
        {
            signature.party: signature
            for signature in GatewaySignature.objects.current()
            .filter(registration_id=registration.pk)
            .select_related("signed_by")
        }
    )


def _signatures(*, registration: int) -> QuerySet:
    return GatewaySignature.objects.filter(registration_id=registration)


SIGNATURES_WITH_WITHDRAWN = PreparedInstances(
    GatewaySignature, _signatures, related=("signed_by", "withdrawn_by")
)


def declaration_with_withdrawn(
    registration: Registration,
) -> tuple[Declaration, list[GatewaySignature]]:
    """The declaration, and the signatures withdrawn from it, latest first (the page shows
    both): one query for the two."""
    current: dict[str, GatewaySignature] = {}
    withdrawn = []
    for signature in SIGNATURES_WITH_WITHDRAWN.instances(registration=registration.pk):
        if signature.withdrawn_at is None:
            current[signature.party] = signature
        else:
            withdrawn.append(signature)
    # Latest withdrawal first, then by party (two sorts: the second keeps the first's order).
    withdrawn.sort(key=lambda signature: signature.party)
    withdrawn.sort(key=lambda signature: signature.withdrawn_at or datetime.min, reverse=True)
    return Declaration(current), withdrawn


def current_result(registration: Registration) -> EndPointResult | None:
    """One query."""
    return (
        EndPointResult.objects.current()
        .filter(registration_id=registration.pk)
        .select_related("recorded_by")
        .first()
    )


@dataclass(frozen=True)
class GatewayState:
    """Where one apprentice stands at the gateway, as a list of apprentices shows it: the
    checklist, how many of the three parties have signed, and the result once recorded."""

    readiness: Readiness
    signed: int
    result: EndPointResult | None = None

    @property
    def passed(self) -> bool:
        return self.signed >= len(PARTIES)

    @property
    def text(self) -> str:
        if self.result is not None:
            return f"Result: {self.result.get_grade_display()}, {_day(self.result.assessed_on)}"
        if self.passed:
            return "Gateway passed"
        if self.readiness.ready:
            return f"Ready: {self.signed} of {len(PARTIES)} signed"
        items = self.readiness.items
        met = sum(1 for item in items if item.met)
        return f"Not ready: {met} of {len(items)} met"


def gateway_states(
    ids: Sequence[int],
    *,
    today: date | None = None,
    approved: dict[int, Decimal] | None = None,
) -> dict[int, GatewayState]:
    """Per registration id (of `ids`), its GatewayState: readiness_of's queries and two more
    (the current signatures counted, the current results), whatever the number of
    registrations. `approved`: their approved off-the-job hours, when the caller has summed
    them already (the cohort has). The readiness checklists' items only: Readiness.ksbs is left
    empty (a cohort shows whether each is ready, not their statements)."""
    if not ids:
        return {}
    readiness = readiness_of(ids, today=today, approved=approved, each_statement=False)
    signed: dict[int, int] = {}
    for (registration_id,) in SIGNED.rows(ids):
        signed[registration_id] = signed.get(registration_id, 0) + 1
    results = {
        result.registration_id: result for result in from_rows(EndPointResult, RESULTS.rows(ids))
    }
    return {
        pk: GatewayState(readiness[pk], signed.get(pk, 0), results.get(pk))
        for pk in ids
        if pk in readiness
    }


# ---------------------------------------------------------------- the services


def _lock(registration: Registration) -> Registration:
    return (
        Registration.objects.select_for_update()
        .select_related("qualification")
        .get(pk=registration.pk)
    )


def _programme(registration: Registration) -> Apprenticeship:
    record = (
        Apprenticeship.objects.filter(registration_id=registration.pk)
        .select_related("standard")
        .first()
    )
    if record is None:
        raise GatewayError("No apprenticeship is recorded for this registration.")
    return record


@transaction.atomic
def name_gap(
    *, actor: Any, registration: Registration, statement: Statement, gap: str, plan: str
) -> GatewayGap:
    """The provider names what is missing for one KSB and how the end-point assessment will
    cover it; a second note for the same KSB supersedes the first. Sent twice with the same
    words (a double submit), the second changes nothing."""
    if not rules.can_name_gateway_gap(actor, registration):
        raise PermissionDenied("Only the apprentice's assessor or a centre admin names a gap.")
    gap, plan = gap.strip(), plan.strip()
    if not gap or not plan:
        raise GatewayError("Say what the gap is and how the end-point assessment will cover it.")
    registration = _lock(registration)
    record = _programme(registration)
    if statement.standard_id != record.standard_id:
        raise GatewayError(f"{statement.code} is not of the apprenticeship's standard.")
    if declaration_of(registration).passed:
        raise GatewayError(
            "The gateway is passed on the checklist as signed: withdraw the declaration first."
        )
    current = GatewayGap.objects.current().filter(registration=registration, statement=statement)
    previous = current.first()
    if previous is not None and (previous.gap, previous.plan) == (gap, plan):
        return previous
    now = timezone.now()
    if previous is not None:
        current.update(superseded_at=now)
    note = GatewayGap.objects.create(
        registration=registration,
        statement=statement,
        gap=gap,
        plan=plan,
        written_by=actor,
        written_at=now,
    )
    record_event(
        actor=actor,
        action="gateway.gap_corrected" if previous else "gateway.gap_named",
        target=note,
        centre_id=registration.centre_id,
        data={
            "registration": registration.pk,
            "statement": statement.code,
            "gap": gap,
            "plan": plan,
            **({"supersedes": previous.pk} if previous else {}),
        },
    )
    return note


SIGNERS = {
    GatewayParty.APPRENTICE: (
        rules.can_sign_gateway_as_apprentice,
        "Only the apprentice signs for themselves.",
    ),
    GatewayParty.EMPLOYER: (
        rules.can_sign_gateway_as_employer,
        "Only a contact of the apprentice's employer signs for the employer.",
    ),
    GatewayParty.PROVIDER: (
        rules.can_sign_gateway_as_provider,
        "Only the apprentice's assessor or a centre admin signs for the provider.",
    ),
}


def parties_for(user: Any, registration: Registration) -> list[str]:
    """The parties the user may sign for on this registration (the page's buttons)."""
    return [party for party, (rule, _) in SIGNERS.items() if rule(user, registration)]


@transaction.atomic
def sign(
    *, actor: Any, registration: Registration, party: str, checklist_hash: str = ""
) -> GatewaySignature:
    """One party confirms the apprentice is ready for the end-point assessment. Possible only
    while every item of the checklist is met; with `checklist_hash` (the page sends the one it
    showed), only if the checklist is still what the signer read. The third signature passes the
    gateway, and says so in the audit log.

    The registration's row lock makes signers take turns: a double click finds the first
    signature and is refused; two parties signing at once are both recorded, and exactly one of
    them, the later, passes the gateway."""
    if party not in SIGNERS:
        raise GatewayError("Choose who you sign for.")
    rule, refusal = SIGNERS[GatewayParty(party)]
    if not rule(actor, registration):
        raise PermissionDenied(refusal)
    registration = _lock(registration)
    _programme(registration)
    declaration = declaration_of(registration)
    if party in declaration.signatures:
        raise GatewayError(f"The {GatewayParty(party).label.lower()} has already signed.")
    readiness = readiness_for([registration])[registration.pk]
    if not readiness.ready:
        raise GatewayError(
            "The apprentice is not ready for the gateway: "
            + " ".join(f"{item.title}: {item.why}" for item in readiness.unmet)
        )
    if checklist_hash and checklist_hash != readiness.checklist_hash:
        raise GatewayError(
            "The checklist has changed since the page was opened: read it again, then sign."
        )
    signature = GatewaySignature.objects.create(
        registration=registration,
        party=party,
        signed_by=actor,
        checklist_hash=readiness.checklist_hash,
    )
    record_event(
        actor=actor,
        action="gateway.signed",
        target=signature,
        centre_id=registration.centre_id,
        data={
            "registration": registration.pk,
            "party": party,
            "checklist_hash": readiness.checklist_hash,
        },
    )
    declaration.signatures[party] = signature
    if declaration.passed:
        record_event(
            actor=actor,
            action="gateway.passed",
            target=registration,
            centre_id=registration.centre_id,
            data={
                "signatures": {
                    name: {"by": s.signed_by_id, "hash": s.checklist_hash}
                    for name, s in sorted(declaration.signatures.items())
                }
            },
        )
    return signature


@transaction.atomic
def withdraw(*, actor: Any, registration: Registration, reason: str) -> int:
    """The centre admin withdraws the declaration (a gap found, a signature given too soon):
    every current signature is marked withdrawn with the reason, and kept. Returns how many.
    Refused once a result is recorded: correct the result instead."""
    if not rules.can_manage_end_point(actor, registration):
        raise PermissionDenied("Only the centre's admins withdraw a gateway declaration.")
    reason = reason.strip()
    if not reason:
        raise GatewayError("Say why the declaration is withdrawn.")
    registration = _lock(registration)
    if current_result(registration) is not None:
        raise GatewayError(
            "The end-point assessment result is recorded: correct the result, not the gateway."
        )
    declaration = declaration_of(registration)
    if not declaration.signatures:
        raise GatewayError("No one has signed the declaration: there is nothing to withdraw.")
    withdrawn = GatewaySignature.objects.current().filter(registration=registration)
    count = withdrawn.update(
        withdrawn_at=timezone.now(), withdrawn_by=actor, withdraw_reason=reason
    )
    record_event(
        actor=actor,
        action="gateway.withdrawn",
        target=registration,
        centre_id=registration.centre_id,
        data={
            "parties": sorted(declaration.signatures),
            "was_passed": declaration.passed,
            "reason": reason,
        },
    )
    return count


@transaction.atomic
def record_result(
    *,
    actor: Any,
    registration: Registration,
    grade: str,
    assessed_on: date,
    reason: str = "",
) -> EndPointResult:
    """The centre admin records the grade the EPAO awarded and its date, after the gateway. A
    different result later supersedes the current one, with a reason; the same one sent again
    (a double submit) changes nothing."""
    if not rules.can_manage_end_point(actor, registration):
        raise PermissionDenied("Only the centre's admins record the end-point assessment result.")
    if grade not in EndPointGrade.values:
        raise GatewayError("Choose the grade awarded.")
    registration = _lock(registration)
    record = _programme(registration)
    passed_at = declaration_of(registration).passed_at
    if passed_at is None:
        raise GatewayError(
            "The gateway is not passed: the apprentice, employer and provider sign first."
        )
    passed_on = timezone.localdate(passed_at)
    if assessed_on < passed_on:
        raise GatewayError(
            f"The result cannot be dated before the gateway was passed ({_day(passed_on)})."
        )
    if assessed_on > timezone.localdate():
        raise GatewayError("The result cannot be dated in the future.")
    current = EndPointResult.objects.current().filter(registration=registration)
    previous = current.first()
    if previous is not None and (previous.grade, previous.assessed_on) == (grade, assessed_on):
        return previous
    reason = reason.strip()
    if previous is not None and not reason:
        raise GatewayError("A result is already recorded: say why it is corrected.")
    if previous is not None:
        current.update(superseded_at=timezone.now())
    result = EndPointResult.objects.create(
        registration=registration,
        grade=grade,
        assessed_on=assessed_on,
        epao_name=record.epao_name,
        recorded_by=actor,
        reason=reason if previous is not None else "",
    )
    record_event(
        actor=actor,
        action="epa.result_corrected" if previous else "epa.result_recorded",
        target=result,
        centre_id=registration.centre_id,
        data={
            "registration": registration.pk,
            "grade": grade,
            "assessed_on": assessed_on.isoformat(),
            "epao": record.epao_name,
            **({"supersedes": previous.pk, "reason": reason} if previous else {}),
        },
    )
    return result


# ---------------------------------------------------------------- the achievement record


def achievement_section(registration: Registration) -> dict[str, Any]:
    """The achievement record's "End-point assessment" section (assessments.achievements), or
    nothing where no result is recorded, so other records' content is as it was. One query."""
    result = (
        EndPointResult.objects.current()
        .filter(registration_id=registration.pk)
        .select_related("registration__apprenticeship__standard")
        .first()
    )
    if result is None:
        return {}
    record = result.registration.apprenticeship
    return {
        "end_point_assessment": {
            "standard": f"{record.standard.title} ({record.standard.reference}), "
            f"version {record.standard_version}",
            "epao": result.epao_name,
            "grade": result.get_grade_display(),
            "date": result.assessed_on.isoformat(),
        }
    }
