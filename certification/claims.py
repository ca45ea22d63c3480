"""Claim batches: adding to a claim, taking a line off, exporting the awarding body's file,
marking the batch submitted and recording the certificates received.

Draft → exported → submitted → certificates received. Every item added or exported is checked
again with the rules in certification.eligibility, under the registrations' locks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from typing import Any, cast, overload

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import LearnerProfile, User
from certification.eligibility import (
    Candidate,
    Facts,
    describe,
    full_candidate,
    reasons_full,
    reasons_unit,
    unit_candidate,
)
from certification.models import BATCH_LIFECYCLE, BatchState, ClaimBatch, ClaimError, ClaimLine
from certification.profiles import profile_for
from certification.queries import ClaimFilter, full_ready
from certification.rules import may_manage_claims
from core.audit import Checkpoint, record_event, record_events
from core.bulk import insert_rows
from core.csv_cells import line_writer
from portfolios.models import Registration, RegistrationStatus
from portfolios.services import RegistrationError, change_status_many
from qualifications.models import Qualification, Unit

RESULT_PASS = "Pass"  # noqa: S105 (a grade, not a secret)
EXPORT_CHUNK = 2000
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
_LINE_FIELDS = [f.attname for f in ClaimLine._meta.concrete_fields]
# An error names this many refused learners, then counts the rest.
REFUSALS_NAMED = 10


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
        return ClaimLine.from_db(ClaimLine.objects.db, _LINE_FIELDS, row + _LINE_BLANKS)


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
        facts = Facts.load(registrations)
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
                candidate = full_candidate(registration, facts, today)
            else:
                candidate = unit_candidate(registration, unit, facts, today)
            (refused if candidate.reasons else accepted).append(candidate)
        if refused:
            # Named in words: their learners' names, read for them alone.
            learners = User.objects.in_bulk({c.registration.learner_id for c in refused})
            for candidate in refused:
                candidate.registration.learner = learners[candidate.registration.learner_id]
                result.refused.append(
                    (describe(candidate.registration, candidate.unit), candidate.reasons)
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
    facts = Facts.load(line.registration_id for line in lines)
    stale = []
    for line in lines:
        registration = line.registration
        registration.qualification = qualifications[registration.qualification_id]
        if line.unit_id is None:
            reasons = reasons_full(registration, facts, today, batch_id=batch.pk)
        else:
            line.unit = units[line.unit_id]
            reasons = reasons_unit(registration, line.unit, facts, today, batch_id=batch.pk)
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
                    f"{describe(line.registration, line.unit)}: " + "; ".join(reasons) + "."
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
            # Never None: exported_audit_sequence__isnull=False above.
            sequence=cast(int, sequence),
            hash=digest,
            when=when,
            where=f"claim batch {pk}'s export",
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


def export_filename(batch: ClaimBatch) -> str:
    return f"claim-{batch.centre.number}-{batch.awarding_body.code}-{batch.pk}.csv"


def export_rows(batch: ClaimBatch, *, chunk_size: int = EXPORT_CHUNK) -> Iterator[str]:
    """The claim file, one CSV line at a time: one query, read in chunks."""
    profile = profile_for(batch.awarding_body.code)
    writer = line_writer()
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
