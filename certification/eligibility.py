"""Who may be claimed, and why not, in words.

Eligibility lives in one place: `claim_overview` (the page) and `reasons_full` /
`reasons_unit` (also used to re-check on adding and exporting, certification.claims). The rows
come from SQL; the facts each reason needs (holds, IV sign-offs, unit sign-offs, live lines)
come in a fixed number of queries over all the rows at once (`Facts`), so the page's query
count does not grow.

A full claim: a complete registration with the IV's summative sign-off of the registration, no
open hold on it (or on any of its units), not already on a live line, its qualification not past
its certification end date, and the awarding body's minimum wait since the start date passed.
A unit-only claim (a learner who leaves early): an active assessor sign-off and an IV sign-off
of the unit, on a registration that is active or withdrawn, with no open hold on the
registration or the unit, not already on a live line; the certification end and minimum wait
apply too (they are the awarding body's rules for any claim).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateformat import format as format_date

from assessments.models import UnitSignOff
from certification.models import BatchState, ClaimHold, ClaimLine
from certification.profiles import profile_for
from certification.queries import UNIT_CLAIM_STATUSES
from portfolios.models import CreditTransfer, Registration, RegistrationStatus
from qualifications.models import Unit
from verification.models.sample import VerifierSignOff


@dataclass
class Candidate:
    """A registration (unit None: the full qualification) or one unit, with what blocks it."""

    registration: Registration
    unit: Unit | None
    reasons: list[str]
    unit_references: list[str] = field(default_factory=list)
    achievement_date: date | None = None

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def line_key(self) -> tuple[int, int | None]:
        """(registration, unit or None): what a live claim line is looked up by."""
        return self.registration.pk, self.unit.pk if self.unit else None

    @property
    def key(self) -> str:
        """The value of the page's checkbox."""
        return f"{self.registration.pk}:{self.unit.pk if self.unit else 0}"


@dataclass
class ClaimOverview:
    full_eligible: list[Candidate]
    full_waiting: list[Candidate]
    unit_eligible: list[Candidate]
    unit_waiting: list[Candidate]


@dataclass
class Facts:
    """Everything the reasons need about a set of registrations, read in five queries."""

    holds: dict[int, list[ClaimHold]]
    iv_signed: set[tuple[int, int | None]]
    sign_offs: dict[int, list[tuple[int, str, date]]]  # registration -> (unit, ref, date)
    live_lines: dict[tuple[int, int | None], tuple[int, str]]  # -> (batch id, batch state)
    # Units credited by transfer (SFJ section 2.8): on the full claim, never claimed alone
    # (the learner holds them already).
    credited: dict[int, list[tuple[int, str, date]]] = field(default_factory=dict)

    @classmethod
    def load(cls, registration_ids: Iterable[int]) -> Facts:
        ids = set(registration_ids)
        holds: dict[int, list[ClaimHold]] = defaultdict(list)
        for hold in ClaimHold.objects.open().filter(registration_id__any=ids).order_by("pk"):
            holds[hold.registration_id].append(hold)
        iv_signed: set[tuple[int, int | None]] = set(
            VerifierSignOff.objects.live()
            .filter(registration_id__any=ids)
            .values_list("registration_id", "unit_id")
        )
        sign_offs: dict[int, list[tuple[int, str, date]]] = defaultdict(list)
        rows = (
            UnitSignOff.objects.active()
            .filter(registration_id__any=ids)
            .order_by("unit__key")
            # The local day in SQL (the current time zone, as timezone.localdate gives it):
            # 30,000 conversions in Python cost half a second.
            .annotate(day=TruncDate("signed_at"))
            .values_list("registration_id", "unit_id", "unit__reference", "unit__key", "day")
        )
        for registration_id, unit_id, reference, key, day in rows:
            sign_offs[registration_id].append((unit_id, reference or key, day))
        live_lines: dict[tuple[int, int | None], tuple[int, str]] = {
            (registration_id, unit_id): (batch_id, state)
            for registration_id, unit_id, batch_id, state in ClaimLine.objects.live()
            .filter(registration_id__any=ids)
            .values_list("registration_id", "unit_id", "batch_id", "batch__state")
        }
        credited: dict[int, list[tuple[int, str, date]]] = defaultdict(list)
        for registration_id, unit_id, reference, key, day in (
            CreditTransfer.objects.live()
            .filter(registration_id__any=ids)
            .order_by("unit__key")
            .values_list(
                "registration_id", "unit_id", "unit__reference", "unit__key", "achieved_on"
            )
        ):
            credited[registration_id].append((unit_id, reference or key, day))
        return cls(holds, iv_signed, sign_offs, live_lines, credited)


def _common_reasons(registration: Registration, today: date) -> list[str]:
    qualification = registration.qualification
    reasons = []
    end = qualification.certification_end
    if end and today > end:
        reasons.append(
            f"The qualification's certification end date was {format_date(end, 'j F Y')}: "
            "it can no longer be claimed"
        )
    weeks = profile_for(qualification.awarding_body.code).min_weeks
    claimable_from = registration.start_date + timedelta(weeks=weeks)
    if today < claimable_from:
        reasons.append(
            f"{qualification.awarding_body.name} asks for {weeks} weeks from registration: "
            f"claimable from {format_date(claimable_from, 'j F Y')}"
        )
    return reasons


def _on_line(facts: Facts, key: tuple[int, int | None], batch_id: int | None) -> list[str]:
    line = facts.live_lines.get(key)
    if line is None or line[0] == batch_id:
        return []
    return [f"Already on claim batch {line[0]} ({BatchState(line[1]).label.lower()})"]


def reasons_full(
    registration: Registration, facts: Facts, today: date, *, batch_id: int | None = None
) -> list[str]:
    """Why the full qualification cannot be claimed (empty: it can). `batch_id`: a line on
    that batch is the one being checked, not a second claim."""
    reasons = []
    if registration.status != RegistrationStatus.COMPLETE:
        reasons.append(f"The registration is {registration.get_status_display().lower()}")
    if (registration.pk, None) not in facts.iv_signed:
        reasons.append("No summative IV sign-off")
    reasons += [hold.describe() for hold in facts.holds.get(registration.pk, [])]
    reasons += _on_line(facts, (registration.pk, None), batch_id)
    return reasons + _common_reasons(registration, today)


def reasons_unit(
    registration: Registration,
    unit: Unit,
    facts: Facts,
    today: date,
    *,
    batch_id: int | None = None,
) -> list[str]:
    reasons = []
    if registration.status not in UNIT_CLAIM_STATUSES:
        reasons.append(
            f"The registration is {registration.get_status_display().lower()}: "
            "unit-only claims are for learners who leave early"
        )
    if unit.pk not in {u for u, _, _ in facts.sign_offs.get(registration.pk, [])}:
        reasons.append("No active assessor sign-off of the unit")
    if (registration.pk, unit.pk) not in facts.iv_signed:
        reasons.append("No IV sign-off of the unit")
    reasons += [
        hold.describe()
        for hold in facts.holds.get(registration.pk, [])
        if hold.unit_id in (None, unit.pk)
    ]
    reasons += _on_line(facts, (registration.pk, unit.pk), batch_id)
    return reasons + _common_reasons(registration, today)


def full_candidate(registration: Registration, facts: Facts, today: date) -> Candidate:
    signed = facts.sign_offs.get(registration.pk, [])
    credited = facts.credited.get(registration.pk, [])
    if credited:
        # The units credited by transfer are on the claim too, all in reference order.
        signed = sorted(signed + credited, key=lambda item: item[1])
    return Candidate(
        registration=registration,
        unit=None,
        reasons=reasons_full(registration, facts, today),
        unit_references=[reference for _, reference, _ in signed],
        achievement_date=max((day for _, _, day in signed), default=None),
    )


def unit_candidate(registration: Registration, unit: Unit, facts: Facts, today: date) -> Candidate:
    days = [day for u, _, day in facts.sign_offs.get(registration.pk, []) if u == unit.pk]
    return Candidate(
        registration=registration,
        unit=unit,
        reasons=reasons_unit(registration, unit, facts, today),
        unit_references=[unit.reference or unit.key],
        achievement_date=max(days, default=None),
    )


def _registrations(centre_id: int, scope: Q | None) -> QuerySet[Registration]:
    rows = Registration.objects.filter(centre_id=centre_id).select_related(
        "learner", "qualification__awarding_body"
    )
    return rows.filter(scope) if scope is not None else rows


def claim_overview(
    *, centre_id: int, today: date | None = None, scope: Q | None = None
) -> ClaimOverview:
    """The centre's claimable registrations and units, and the complete ones still blocked,
    each with its reasons in words. `scope`: a Q over registrations (an EQA's limit)."""
    today = today or timezone.localdate()
    complete = list(
        _registrations(centre_id, scope)
        .filter(status=RegistrationStatus.COMPLETE)
        .order_by("learner__full_name", "pk")
    )
    # Units signed off by both assessor and IV, on registrations that are not complete.
    iv_unit = VerifierSignOff.objects.live().filter(
        registration_id=OuterRef("registration_id"), unit_id=OuterRef("unit_id")
    )
    unit_rows = list(
        UnitSignOff.objects.active()
        .filter(
            Exists(iv_unit),
            registration__in=_registrations(centre_id, scope).filter(
                status__in=UNIT_CLAIM_STATUSES
            ),
        )
        .select_related(
            "registration__learner",
            "registration__qualification__awarding_body",
            "unit",
        )
        .order_by("registration__learner__full_name", "registration_id", "unit__key")
    )
    facts = Facts.load([r.pk for r in complete] + [s.registration_id for s in unit_rows])
    full = [full_candidate(r, facts, today) for r in complete]
    units = [unit_candidate(s.registration, s.unit, facts, today) for s in unit_rows]
    return ClaimOverview(
        full_eligible=[c for c in full if c.eligible],
        # A registration already on a live line is claimed (its batch shows it), not waiting.
        full_waiting=[c for c in full if not c.eligible and c.line_key not in facts.live_lines],
        unit_eligible=[c for c in units if c.eligible],
        # A unit already claimed is done, not waiting.
        unit_waiting=[c for c in units if not c.eligible and c.line_key not in facts.live_lines],
    )


def candidates_for(
    registrations: list[Registration], unit_sign_offs: list[UnitSignOff], today: date
) -> tuple[list[Candidate], list[Candidate]]:
    """The full and unit candidates for rows already chosen (a page of each list), with their
    reasons, units and dates, from one read of the facts for all of them."""
    facts = Facts.load([r.pk for r in registrations] + [s.registration_id for s in unit_sign_offs])
    return (
        [full_candidate(r, facts, today) for r in registrations],
        [unit_candidate(s.registration, s.unit, facts, today) for s in unit_sign_offs],
    )


def describe(registration: Registration, unit: Unit | None) -> str:
    """ "Ana Lima (601/3456/2)" or "Ana Lima (unit F/506/2131 of 601/3456/2)"."""
    what = f"unit {unit.reference or unit.key} of " if unit else ""
    return f"{registration.learner.get_full_name()} ({what}{registration.qualification.number})"
