"""Certification claims: who may be claimed (and why not), holds, and claim batches.

Eligibility lives in one place, `claim_overview` (the page) and `_reasons_full` /
`_reasons_unit` (also used to re-check on adding and exporting). The rows come from SQL; the
facts each reason needs (holds, IV sign-offs, unit sign-offs, live lines) come in a fixed number
of queries over all the rows at once (`_Facts`), so the page's query count does not grow.

A full claim: a complete registration with the IV's summative sign-off of the registration, no
open hold on it (or on any of its units), not already on a live line, its qualification not past
its certification end date, and the awarding body's minimum wait since the start date passed.
A unit-only claim (a learner who leaves early): an active assessor sign-off and an IV sign-off
of the unit, on a registration that is active or withdrawn, with no open hold on the
registration or the unit, not already on a live line; the certification end and minimum wait
apply too (they are the awarding body's rules for any claim).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import repeat
from typing import Any, overload

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.dateformat import format as format_date

from accounts.access import has_role_at
from accounts.models import LearnerProfile, Role, User
from assessments.models import UnitSignOff
from core.audit import Checkpoint, record_event, record_events
from core.bulk import insert_rows
from portfolios.models import Registration, RegistrationStatus, RegistrationUnit
from portfolios.services import RegistrationError, change_status_many
from qualifications.models import Qualification, Unit
from verification.claim_models import BATCH_LIFECYCLE, BatchState, ClaimBatch, ClaimHold, ClaimLine
from verification.claim_profiles import profile_for
from verification.claim_queries import UNIT_CLAIM_STATUSES, ClaimFilter, full_ready
from verification.sample_models import VerifierSignOff

RESULT_PASS = "Pass"  # noqa: S105 (a grade, not a secret)
EXPORT_CHUNK = 2000
BULK_SIZE = 2000
# What add_items writes of a line; the rest of ClaimLine's columns take their defaults.
LINE_COLUMNS = (
    "batch_id",
    "registration_id",
    "unit_id",
    "unit_references",
    "result",
    "achievement_date",
    "added_by_id",
    "added_at",
)
# The rest of a new line's fields, as ClaimLine() would default them: with LINE_COLUMNS (which
# follow the model's field order, after the id) every field, in order, for from_db.
_LINE_BLANKS = tuple(
    f.get_default() for f in ClaimLine._meta.concrete_fields[len(LINE_COLUMNS) + 1 :]
)
# An error names this many refused learners, then counts the rest.
REFUSALS_NAMED = 10


class ClaimError(Exception):
    """A claim step the rules refuse; the message is for the centre admin."""


def may_manage_claims(user: Any, centre_id: int | None) -> bool:
    return bool(getattr(user, "is_superuser", False)) or has_role_at(
        user, centre_id, Role.CENTRE_ADMIN
    )


def may_open_hold(user: Any, centre_id: int | None) -> bool:
    return bool(getattr(user, "is_superuser", False)) or has_role_at(
        user, centre_id, Role.CENTRE_ADMIN, Role.INTERNAL_VERIFIER
    )


# ---------------------------------------------------------------- eligibility


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
class _Facts:
    """Everything the reasons need about a set of registrations, read in four queries."""

    holds: dict[int, list[ClaimHold]]
    iv_signed: set[tuple[int, int | None]]
    sign_offs: dict[int, list[tuple[int, str, date]]]  # registration -> (unit, ref, date)
    live_lines: dict[tuple[int, int | None], tuple[int, str]]  # -> (batch id, batch state)

    @classmethod
    def load(cls, registration_ids: Iterable[int]) -> _Facts:
        ids = set(registration_ids)
        holds: dict[int, list[ClaimHold]] = defaultdict(list)
        for hold in ClaimHold.objects.open().filter(registration_id__any=ids).order_by("pk"):
            holds[hold.registration_id].append(hold)
        iv_signed = set(
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
        live_lines = {
            (registration_id, unit_id): (batch_id, state)
            for registration_id, unit_id, batch_id, state in ClaimLine.objects.live()
            .filter(registration_id__any=ids)
            .values_list("registration_id", "unit_id", "batch_id", "batch__state")
        }
        return cls(holds, iv_signed, sign_offs, live_lines)


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


def _on_line(facts: _Facts, key: tuple[int, int | None], batch_id: int | None) -> list[str]:
    line = facts.live_lines.get(key)
    if line is None or line[0] == batch_id:
        return []
    return [f"Already on claim batch {line[0]} ({BatchState(line[1]).label.lower()})"]


def _reasons_full(
    registration: Registration, facts: _Facts, today: date, *, batch_id: int | None = None
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


def _reasons_unit(
    registration: Registration,
    unit: Unit,
    facts: _Facts,
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


def _full_candidate(registration: Registration, facts: _Facts, today: date) -> Candidate:
    signed = facts.sign_offs.get(registration.pk, [])
    return Candidate(
        registration=registration,
        unit=None,
        reasons=_reasons_full(registration, facts, today),
        unit_references=[reference for _, reference, _ in signed],
        achievement_date=max((day for _, _, day in signed), default=None),
    )


def _unit_candidate(
    registration: Registration, unit: Unit, facts: _Facts, today: date
) -> Candidate:
    days = [day for u, _, day in facts.sign_offs.get(registration.pk, []) if u == unit.pk]
    return Candidate(
        registration=registration,
        unit=unit,
        reasons=_reasons_unit(registration, unit, facts, today),
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
    facts = _Facts.load([r.pk for r in complete] + [s.registration_id for s in unit_rows])
    full = [_full_candidate(r, facts, today) for r in complete]
    units = [_unit_candidate(s.registration, s.unit, facts, today) for s in unit_rows]
    return ClaimOverview(
        full_eligible=[c for c in full if c.eligible],
        # A registration already on a live line is claimed (its batch shows it), not waiting.
        full_waiting=[
            c for c in full if not c.eligible and (c.registration.pk, None) not in facts.live_lines
        ],
        unit_eligible=[c for c in units if c.eligible],
        # A unit already claimed is done, not waiting.
        unit_waiting=[
            c
            for c in units
            if not c.eligible and (c.registration.pk, c.unit.pk) not in facts.live_lines  # type: ignore[union-attr]
        ],
    )


def candidates_for(
    registrations: list[Registration], unit_sign_offs: list[UnitSignOff], today: date
) -> tuple[list[Candidate], list[Candidate]]:
    """The full and unit candidates for rows already chosen (a page of each list), with their
    reasons, units and dates, from one read of the facts for all of them."""
    facts = _Facts.load([r.pk for r in registrations] + [s.registration_id for s in unit_sign_offs])
    return (
        [_full_candidate(r, facts, today) for r in registrations],
        [_unit_candidate(s.registration, s.unit, facts, today) for s in unit_sign_offs],
    )


def _describe(registration: Registration, unit: Unit | None) -> str:
    """ "Ana Lima (601/3456/2)" or "Ana Lima (unit F/506/2131 of 601/3456/2)"."""
    what = f"unit {unit.reference or unit.key} of " if unit else ""
    return f"{registration.learner.get_full_name()} ({what}{registration.qualification.number})"


# ---------------------------------------------------------------- holds


def open_hold(
    *,
    actor: User,
    registration: Registration,
    kind: str,
    reason: str,
    unit: Unit | None = None,
) -> ClaimHold:
    """Block claims of the registration (or one unit of it) until the hold is released."""
    if not may_open_hold(actor, registration.centre_id):
        raise ClaimError("Only the centre's admins and internal verifiers open holds.")
    if not reason.strip():
        raise ClaimError("Say why the claim is held.")
    if (
        unit is not None
        and not RegistrationUnit.objects.filter(registration=registration, unit=unit).exists()
    ):
        raise ClaimError(f"Unit {unit.reference or unit.key} is not one of the learner's units.")
    with transaction.atomic():
        # Under the registration's lock, as adding to a claim is: a hold and a claim line
        # never both slip past each other.
        Registration.objects.select_for_update(of=("self",)).filter(pk=registration.pk).first()
        hold = ClaimHold.objects.create(
            registration=registration,
            unit=unit,
            kind=kind,
            reason=reason.strip(),
            opened_by=actor,
        )
        record_event(
            actor=actor,
            action="claim.hold_opened",
            target=hold,
            centre_id=registration.centre_id,
            data={
                "registration": registration.pk,
                "unit": unit.pk if unit else None,
                "kind": kind,
                "reason": hold.reason,
            },
        )
    return hold


def release_hold(*, actor: User, hold: ClaimHold, note: str) -> ClaimHold:
    with transaction.atomic():
        hold = (
            ClaimHold.objects.select_for_update(of=("self",))
            .select_related("registration")
            .get(pk=hold.pk)
        )
        if not may_manage_claims(actor, hold.registration.centre_id):
            raise ClaimError("Only the centre's admins release holds.")
        if not note.strip():
            raise ClaimError("Say why the hold is released.")
        if hold.released_at is not None:
            raise ClaimError("This hold is already released.")
        hold.released_at = timezone.now()
        hold.released_by = actor
        hold.release_note = note.strip()
        hold.save(update_fields=["released_at", "released_by", "release_note"])
        record_event(
            actor=actor,
            action="claim.hold_released",
            target=hold,
            centre_id=hold.registration.centre_id,
            data={"note": hold.release_note},
        )
    return hold


# ---------------------------------------------------------------- batches


def _lock_batch(batch: ClaimBatch, actor: User) -> ClaimBatch:
    batch = (
        ClaimBatch.objects.select_for_update(of=("self",))
        .select_related("awarding_body")
        .get(pk=batch.pk)
    )
    if not may_manage_claims(actor, batch.centre_id):
        raise ClaimError("Only the centre's admins manage claims.")
    return batch


def _draft_for(*, actor: User, centre_id: int, awarding_body_id: int) -> ClaimBatch:
    draft = ClaimBatch.objects.filter(
        centre_id=centre_id, awarding_body_id=awarding_body_id, state=BatchState.DRAFT
    ).first()
    if draft is not None:
        return draft
    try:
        with transaction.atomic():
            draft = ClaimBatch.objects.create(
                centre_id=centre_id, awarding_body_id=awarding_body_id, created_by=actor
            )
    except IntegrityError:
        # Another request started it a moment ago.
        return ClaimBatch.objects.get(
            centre_id=centre_id, awarding_body_id=awarding_body_id, state=BatchState.DRAFT
        )
    record_event(
        actor=actor,
        action="claim.batch_created",
        target=draft,
        centre_id=centre_id,
        data={"awarding_body": awarding_body_id},
    )
    return draft


class _NewLines(Sequence[ClaimLine]):
    """The lines just added, each made a ClaimLine when it is read: the page only counts
    them, and 10,000 model instances nobody reads cost a fifth of adding them."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows  # LINE_COLUMNS' values after the id, in the model's field order

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> ClaimLine: ...
    @overload
    def __getitem__(self, index: slice) -> list[ClaimLine]: ...
    def __getitem__(self, index: int | slice) -> ClaimLine | list[ClaimLine]:
        if isinstance(index, slice):
            return [self._line(row) for row in self._rows[index]]
        return self._line(self._rows[index])

    @staticmethod
    def _line(row: tuple[Any, ...]) -> ClaimLine:
        return ClaimLine.from_db(ClaimLine.objects.db, None, row + _LINE_BLANKS)


@dataclass
class AddResult:
    """What adding to a claim did: the lines added, how many were on their draft already (the
    form sent twice), and what could not be claimed, with the reasons in words."""

    added: Sequence[ClaimLine]
    already: int = 0
    refused: list[tuple[str, list[str]]] = field(default_factory=list)

    def refusal(self, *, limit: int = REFUSALS_NAMED) -> str:
        """The refused, named with their reasons (the first `limit` of them)."""
        named = [
            f"{what} cannot be claimed: " + "; ".join(reasons) + "."
            for what, reasons in self.refused[:limit]
        ]
        more = len(self.refused) - limit
        if more > 0:
            named.append(f"And {more:,} more cannot be claimed.")
        return " ".join(named)


def add_to_claim(
    *,
    actor: User,
    centre_id: int,
    items: list[tuple[int, int | None]],
    today: date | None = None,
) -> list[ClaimLine]:
    """Put (registration id, unit id or None) items on the draft batch of their awarding body.

    All or nothing: if one is no longer claimable, nothing is added and the error names the
    learners and the reasons. An item already on that draft (the form sent twice) is skipped.
    """
    return list(add_items(actor=actor, centre_id=centre_id, items=items, today=today).added)


def add_ready(
    *,
    actor: User,
    centre_id: int,
    flt: ClaimFilter | None = None,
    today: date | None = None,
) -> AddResult:
    """Every full qualification ready to claim that matches the filter, in one action. Those
    that stopped being claimable since the page was read are left out and reported."""
    if not may_manage_claims(actor, centre_id):
        raise ClaimError("Only the centre's admins manage claims.")
    today = today or timezone.localdate()
    ids = full_ready(centre_id=centre_id, today=today, flt=flt).values_list("pk", flat=True)
    items: list[tuple[int, int | None]] = [(pk, None) for pk in ids]
    if not items:
        raise ClaimError("No full qualification matching the filter is ready to claim.")
    return add_items(
        actor=actor, centre_id=centre_id, items=items, today=today, all_or_nothing=False
    )


def add_items(
    *,
    actor: User,
    centre_id: int,
    items: list[tuple[int, int | None]],
    today: date | None = None,
    all_or_nothing: bool = True,
) -> AddResult:
    """Add the items to their drafts, checked together: the facts for every item are read in a
    fixed number of queries, the lines written with one bulk insert and their audit events
    appended in bulk, so 10,000 items cost about what 10 do, in queries.

    All or nothing (the default): one refused item refuses them all, with every reason named.
    Otherwise the claimable are added and the rest reported in the result.

    Two admins adding the same learner at once: the registrations are locked (in id order, so
    two overlapping sets cannot deadlock) before anything is read, so the second waits, then
    sees the first's line; the partial unique constraints on ClaimLine back that up.
    """
    if not may_manage_claims(actor, centre_id):
        raise ClaimError("Only the centre's admins manage claims.")
    if not items:
        raise ClaimError("Choose at least one learner or unit to claim.")
    today = today or timezone.localdate()
    wanted = list(dict.fromkeys(items))
    result = AddResult(added=[])
    with transaction.atomic():
        # Only the columns the rules read: at 10,000 rows, building each registration's
        # learner and qualification objects cost more than every query here put together.
        registrations = {
            r.pk: r
            for r in Registration.objects.select_for_update()
            .filter(centre_id=centre_id, pk__any={r for r, _ in wanted})
            .only("id", "centre_id", "learner_id", "qualification_id", "status", "start_date")
            .order_by("pk")
        }
        units = Unit.objects.in_bulk({u for _, u in wanted if u})
        if any(r not in registrations or (u and u not in units) for r, u in wanted):
            raise ClaimError("A chosen learner is not registered at this centre.")
        qualifications = Qualification.objects.select_related("awarding_body").in_bulk(
            {r.qualification_id for r in registrations.values()}
        )
        for registration in registrations.values():
            registration.qualification = qualifications[registration.qualification_id]
        # Read after the locks: a line another admin just committed is seen here.
        facts = _Facts.load(registrations)
        drafts = {
            b.awarding_body_id: b.pk
            for b in ClaimBatch.objects.filter(centre_id=centre_id, state=BatchState.DRAFT)
        }
        accepted: list[Candidate] = []
        refused: list[Candidate] = []
        for registration_id, unit_id in wanted:
            registration = registrations[registration_id]
            unit = units[unit_id] if unit_id else None
            line = facts.live_lines.get((registration_id, unit_id))
            if line is not None and line[0] == drafts.get(
                registration.qualification.awarding_body_id
            ):
                result.already += 1
                continue
            if unit is None:
                candidate = _full_candidate(registration, facts, today)
            else:
                candidate = _unit_candidate(registration, unit, facts, today)
            (refused if candidate.reasons else accepted).append(candidate)
        if refused:
            # Named in words: their learners' names, read for them alone.
            learners = User.objects.in_bulk({c.registration.learner_id for c in refused})
            for candidate in refused:
                candidate.registration.learner = learners[candidate.registration.learner_id]
                result.refused.append(
                    (_describe(candidate.registration, candidate.unit), candidate.reasons)
                )
        if result.refused and all_or_nothing:
            raise ClaimError(result.refusal())
        batches = {
            body_id: _draft_for(actor=actor, centre_id=centre_id, awarding_body_id=body_id)
            for body_id in sorted({c.registration.qualification.awarding_body_id for c in accepted})
        }
        now = timezone.now()
        batch_ids = {body_id: batch.pk for body_id, batch in batches.items()}
        # Column by column, as insert_rows takes them: one INSERT whatever the count, with
        # no model instance or field preparation per line (bulk_create's were most of the
        # time at 10,000 lines).
        count = len(accepted)
        batch_of = [batch_ids[c.registration.qualification.awarding_body_id] for c in accepted]
        registration_of = [c.registration.pk for c in accepted]
        unit_of = [c.unit.pk if c.unit else None for c in accepted]
        references = [c.unit_references for c in accepted]
        days = [c.achievement_date or today for c in accepted]
        try:
            with transaction.atomic():
                pks = insert_rows(
                    ClaimLine,
                    LINE_COLUMNS,
                    [
                        batch_of,
                        registration_of,
                        unit_of,
                        [json.dumps(r) for r in references],
                        [RESULT_PASS] * count,
                        days,
                        [actor.pk] * count,
                        [now] * count,
                    ],
                )
        except IntegrityError:
            # Only when the locks were bypassed (a line written without them): refuse, so the
            # admin reads the page again rather than half a claim being made.
            raise ClaimError(
                "Some of these learners were put on a claim at the same moment by someone "
                "else: nothing was added. Open the page again to see what is left to claim."
            ) from None
        # One event per line, as adding them one by one wrote: who added which registration
        # (or unit) to which batch, and when; the data is ClaimLine.as_dict() and the batch.
        record_events(
            actor=actor,
            action="claim.line_added",
            model=ClaimLine,
            centre_id=centre_id,
            items=[
                (
                    pks[n],
                    {
                        "batch": batch_of[n],
                        "registration": registration_of[n],
                        "unit": unit_of[n],
                        "unit_references": references[n],
                        "achievement_date": days[n].isoformat(),
                    },
                )
                for n in range(count)
            ],
        )
        result.added = _NewLines(
            list(
                zip(
                    pks,
                    batch_of,
                    registration_of,
                    unit_of,
                    references,
                    repeat(RESULT_PASS),
                    days,
                    repeat(actor.pk),
                    repeat(now),
                    strict=False,  # repeat() is endless; the rest are `count` long
                )
            )
        )
    return result


def remove_line(*, actor: User, line: ClaimLine) -> ClaimLine:
    """Take a line off a draft batch (kept, marked removed); it may be claimed again later."""
    with transaction.atomic():
        batch = _lock_batch(line.batch, actor)
        line = ClaimLine.objects.select_for_update(of=("self",)).get(pk=line.pk, batch=batch)
        if batch.state != BatchState.DRAFT:
            raise ClaimError("Lines come off a batch only while it is a draft.")
        if line.removed_at is not None:
            return line
        line.removed_at = timezone.now()
        line.removed_by = actor
        line.save(update_fields=["removed_at", "removed_by"])
        record_event(
            actor=actor,
            action="claim.line_removed",
            target=line,
            centre_id=batch.centre_id,
            data={"batch": batch.pk, **line.as_dict()},
        )
    return line


def stale_lines(batch: ClaimBatch, today: date | None = None) -> list[tuple[ClaimLine, list[str]]]:
    """The batch's live lines that are no longer claimable, with the reasons."""
    today = today or timezone.localdate()
    # Only the columns the rules read, and the few qualifications and units once each, as
    # add_items does: at 10,000 lines, related objects per line were most of the export's time.
    lines = list(
        batch.lines.live()
        .select_related("registration")
        .only(
            "batch_id",
            "unit_id",
            "registration__centre_id",
            "registration__learner_id",
            "registration__qualification_id",
            "registration__status",
            "registration__start_date",
        )
    )
    qualifications = Qualification.objects.select_related("awarding_body").in_bulk(
        {line.registration.qualification_id for line in lines}
    )
    units = Unit.objects.in_bulk({line.unit_id for line in lines if line.unit_id})
    facts = _Facts.load(line.registration_id for line in lines)
    stale = []
    for line in lines:
        registration = line.registration
        registration.qualification = qualifications[registration.qualification_id]
        if line.unit_id is None:
            reasons = _reasons_full(registration, facts, today, batch_id=batch.pk)
        else:
            line.unit = units[line.unit_id]
            reasons = _reasons_unit(registration, line.unit, facts, today, batch_id=batch.pk)
        if reasons:
            stale.append((line, reasons))
    if stale:
        # Named in words: their learners' names, read for them alone.
        learners = User.objects.in_bulk({line.registration.learner_id for line, _ in stale})
        for line, _ in stale:
            line.registration.learner = learners[line.registration.learner_id]
    return stale


def _freeze_learner_details(batch: ClaimBatch) -> None:
    """Copy what the file prints about each learner onto the lines, in one UPDATE."""
    # The learner's details as the registration's own centre keeps them, never another's.
    profile = LearnerProfile.objects.filter(
        user_id=OuterRef("learner_id"), centre_id=OuterRef("centre_id")
    )
    registration = Registration.objects.filter(pk=OuterRef("registration_id")).annotate(
        held_uln=Subquery(profile.values("uln")[:1]),
        held_date_of_birth=Subquery(profile.values("date_of_birth")[:1]),
    )

    def field(path: str) -> Subquery:
        return Subquery(registration.values(path)[:1])

    batch.lines.live().update(
        centre_number=field("centre__number"),
        registration_number=field("awarding_body_number"),
        uln=Coalesce(field("held_uln"), Value("")),
        learner_name=field("learner__full_name"),
        date_of_birth=field("held_date_of_birth"),
        qualification_number=field("qualification__number"),
    )


def export_batch(*, actor: User, batch: ClaimBatch, today: date | None = None) -> ClaimBatch:
    """Draft → exported, once every line is re-checked. Exporting again changes nothing."""
    with transaction.atomic():
        batch = _lock_batch(batch, actor)
        if batch.state != BatchState.DRAFT:
            return batch
        if not batch.lines.live().exists():
            raise ClaimError("The batch has no lines to export.")
        stale = stale_lines(batch, today)
        if stale:
            raise ClaimError(
                "Not exported: "
                + " ".join(
                    f"{_describe(line.registration, line.unit)}: " + "; ".join(reasons) + "."
                    for line, reasons in stale
                )
                + " Take these lines off the batch, or clear the reasons, then export again."
            )
        _freeze_learner_details(batch)
        batch.exported_at = timezone.now()
        batch.exported_by = actor
        lines = batch.lines.live().count()
        event = BATCH_LIFECYCLE.move(
            batch,
            BatchState.EXPORTED,
            actor=actor,
            action="claim.batch_exported",
            centre_id=batch.centre_id,
            data={"lines": lines},
            update_fields=["exported_at", "exported_by"],
        )
        batch.exported_audit_sequence, batch.exported_audit_hash = event.sequence, event.hash
        batch.save(update_fields=["exported_audit_sequence", "exported_audit_hash"])
    return batch


def audit_checkpoints() -> Iterator[Checkpoint]:
    """Each exported batch's audit checkpoint, in sequence order (for verify_audit_chain)."""
    exports = (
        ClaimBatch.objects.filter(exported_audit_sequence__isnull=False)
        .order_by("exported_audit_sequence", "pk")
        .values_list("pk", "exported_audit_sequence", "exported_audit_hash", "exported_at")
    )
    for pk, sequence, digest, when in exports.iterator(chunk_size=2000):
        yield Checkpoint(
            sequence=sequence, hash=digest, when=when, where=f"claim batch {pk}'s export"
        )


def submit_batch(*, actor: User, batch: ClaimBatch, reference: str) -> ClaimBatch:
    """Exported → submitted: the full lines' registrations become claimed."""
    with transaction.atomic():
        batch = _lock_batch(batch, actor)
        if batch.state != BatchState.EXPORTED:
            raise ClaimError(
                f"A batch that is {batch.get_state_display().lower()} cannot be marked submitted."
            )
        if not reference.strip():
            raise ClaimError("Type the awarding body's reference for the claim.")
        # The full lines' registrations at once: one UPDATE, their events in one bulk write.
        try:
            change_status_many(
                actor=actor,
                registrations=Registration.objects.filter(
                    pk__in=batch.lines.live().filter(unit__isnull=True).values("registration_id")
                ),
                status=RegistrationStatus.CLAIMED,
                centre_id=batch.centre_id,
                reason=f"Claimed in batch {batch.pk}.",
            )
        except RegistrationError as error:
            raise ClaimError(str(error)) from None
        batch.submitted_at = timezone.now()
        batch.submitted_by = actor
        batch.reference = reference.strip()
        BATCH_LIFECYCLE.move(
            batch,
            BatchState.SUBMITTED,
            actor=actor,
            action="claim.batch_submitted",
            centre_id=batch.centre_id,
            data={"reference": batch.reference},
            update_fields=["submitted_at", "submitted_by", "reference"],
        )
    return batch


def record_certificates(
    *,
    actor: User,
    batch: ClaimBatch,
    received_on: date,
    line: ClaimLine | None = None,
    certificate_number: str = "",
) -> ClaimBatch:
    """One line's certificate (line given), or every line still waiting (line None). A full
    line's registration becomes certificated; when no line waits, the batch is done."""
    with transaction.atomic():
        batch = _lock_batch(batch, actor)
        if batch.state != BatchState.SUBMITTED:
            raise ClaimError("Certificates are recorded for a submitted batch.")
        waiting = batch.lines.live().filter(certificate_received_on__isnull=True)
        if line is not None:
            waiting = waiting.filter(pk=line.pk)
            if not waiting.exists():
                raise ClaimError("This line's certificate is already recorded.")
        # Set-based, whatever the number of lines: their rows locked before the audit chain's
        # head, one UPDATE, the registrations moved at once, the events in bulk.
        found = list(
            waiting.select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", "registration_id", "unit_id")
        )
        number = certificate_number.strip() if line is not None else ""
        ClaimLine.objects.filter(pk__in=[pk for pk, _, _ in found]).update(
            certificate_received_on=received_on, certificate_number=number
        )
        full = [registration_id for _, registration_id, unit_id in found if unit_id is None]
        if full:
            change_status_many(
                actor=actor,
                registrations=Registration.objects.filter(pk__in=full),
                status=RegistrationStatus.CERTIFICATED,
                centre_id=batch.centre_id,
                reason=f"Certificate received (claim batch {batch.pk}).",
            )
        received = {
            "batch": batch.pk,
            "certificate_number": number,
            "received_on": received_on.isoformat(),
        }
        record_events(
            actor=actor,
            action="claim.certificate_received",
            model=ClaimLine,
            centre_id=batch.centre_id,
            items=[(pk, received) for pk, _, _ in found],
        )
        if not batch.lines.live().filter(certificate_received_on__isnull=True).exists():
            batch.certificates_received_at = timezone.now()
            BATCH_LIFECYCLE.move(
                batch,
                BatchState.CERTIFICATES_RECEIVED,
                actor=actor,
                action="claim.batch_certificated",
                centre_id=batch.centre_id,
                update_fields=["certificates_received_at"],
            )
    return batch


# ---------------------------------------------------------------- the file


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_filename(batch: ClaimBatch) -> str:
    return f"claim-{batch.centre.number}-{batch.awarding_body.code}-{batch.pk}.csv"


def export_rows(batch: ClaimBatch, *, chunk_size: int = EXPORT_CHUNK) -> Iterator[str]:
    """The claim file, one CSV line at a time: one query, read in chunks."""
    profile = profile_for(batch.awarding_body.code)
    writer = csv.writer(_Echo())
    yield writer.writerow(profile.headers)
    rows = (
        batch.lines.live()
        # The details frozen at export (_freeze_learner_details): no join, and the same file
        # however often it is downloaded.
        .order_by("learner_name", "registration_id", "unit__key", "pk")
        .values_list(
            "centre_number",
            "registration_number",
            "uln",
            "learner_name",
            "date_of_birth",
            "qualification_number",
            "unit_id",
            "unit_references",
            "result",
            "achievement_date",
        )
    )
    for (
        centre,
        number,
        uln,
        name,
        born,
        qualification,
        unit,
        refs,
        result,
        achieved,
    ) in rows.iterator(chunk_size=chunk_size):
        yield writer.writerow(
            profile.row(
                centre_number=centre,
                registration_number=number,
                uln=uln or "",
                full_name=name,
                date_of_birth=born,
                qualification_number=qualification,
                is_unit=unit is not None,
                unit_references=refs,
                result=result,
                achievement_date=achieved,
            )
        )
