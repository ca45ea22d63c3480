"""Evidence retention: what a centre may stop keeping, and removing it.

Each awarding body's period is catalogue data (qualifications.AwardingBody.retention_weeks, with
the line of its document in retention_rule): Ascentis L279 "retain all evidence from all
learners for external verification and for 4 weeks afterwards should any appeal be made". Where
the document gives no period (Pearson's is in its UK Information Manual; SFJ, IMI and NCFE state
none) the centre enters its own (RetentionPeriod), and until it does nothing is past retention.

The clock starts at external verification: the last day an EQA whose access covers the
qualification opened the centre's pages (verification.EqaPageView), on or after the day the
registration finished (certificated, withdrawn or transferred). Until then, while an EQA's access
is open, the evidence is kept for them.

Only the files' bytes are removed: the EvidenceFile row keeps its name, size and SHA-256 and says
when, by whom and why; decisions, declarations and their hashes are untouched.

It lives here, not in portfolios, because what still needs the evidence (an open claim line, an
open hold such as an appeal, an IV sample under review, an EQA's current access) belongs to the
apps above portfolios.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from accounts.models import Centre, Membership, Role, User
from certification.models import ClaimHold, ClaimLine, RetentionPeriod
from certification.rules import may_manage_records
from core.audit import record_event, record_events
from portfolios.models import EvidenceFile, Registration, RegistrationStatus
from qualifications.models import AwardingBody
from verification.models import EqaPageView, Sample, SampleState


class RetentionError(Exception):
    """A removal the retention rules refuse; the message names the rule and its source."""


# A registration whose evidence may one day be removed: its learner is no longer working on it.
FINISHED = (
    RegistrationStatus.CERTIFICATED,
    RegistrationStatus.WITHDRAWN,
    RegistrationStatus.TRANSFERRED,
)


# The files of a registration still in storage.
HELD = Q(evidence__files__removed_at__isnull=True)


@dataclass
class RetentionRow:
    """One finished registration that still has files, and where it stands."""

    registration: Registration
    files: int
    size: int
    finished_on: date
    weeks: int | None
    rule: str
    verified_until: date | None = None
    retain_until: date | None = None
    # What still needs the evidence, each naming its rule: removal is refused while any holds.
    needed_by: list[str] = field(default_factory=list)
    # Why it is not past retention yet (blank when it is).
    waiting: str = ""

    @property
    def is_past(self) -> bool:
        return not self.waiting and not self.needed_by


@dataclass
class _EqaAccess:
    user_id: int
    ends: date | None
    current: bool
    qualifications: set[int]


def periods_for(centre: Centre) -> dict[int, RetentionPeriod]:
    """The centre's own periods in force, by awarding body."""
    return {
        period.awarding_body_id: period
        for period in RetentionPeriod.objects.in_force().filter(centre=centre)
    }


def retention_rows(
    centre: Centre,
    *,
    today: date | None = None,
    registration_ids: Iterable[int] | None = None,
    periods: dict[int, RetentionPeriod] | None = None,
) -> list[RetentionRow]:
    """Every finished registration of the centre with files still held, oldest first. A fixed
    number of queries whatever the centre holds (one per kind of thing that needs evidence)."""
    today = today or timezone.localdate()
    registrations = (
        Registration.objects.filter(centre=centre, status__in=FINISHED)
        .select_related("learner", "qualification__awarding_body")
        .annotate(
            held_files=Count("evidence__files", filter=HELD),
            held_size=Sum("evidence__files__size", filter=HELD),
        )
        .filter(held_files__gt=0)
        .order_by("updated_at", "pk")
    )
    if registration_ids is not None:
        registrations = registrations.filter(pk__in=list(registration_ids))
    found = list(registrations)
    if not found:
        return []
    ids = [registration.pk for registration in found]
    holds: dict[int, list[str]] = defaultdict(list)
    for hold in ClaimHold.objects.open().filter(registration_id__in=ids):
        holds[hold.registration_id].append(hold.get_kind_display().lower())
    claimed = set(
        ClaimLine.objects.live()
        .filter(registration_id__in=ids, certificate_received_on__isnull=True)
        .values_list("registration_id", flat=True)
    )
    sampling = set(
        Sample.objects.filter(registration_id__in=ids)
        .exclude(state=SampleState.AGREED)
        .values_list("registration_id", flat=True)
    )
    eqa = [
        _EqaAccess(
            user_id=membership.user_id,
            ends=membership.expires_on,
            current=membership.is_current,
            qualifications={q.pk for q in membership.qualifications.all()},
        )
        for membership in Membership.objects.filter(centre=centre, role=Role.EQA).prefetch_related(
            "qualifications"
        )
    ]
    # External verification happened on the days an EQA opened the centre's pages (the log
    # verification.eqa_middleware keeps): the last such day of each EQA.
    seen = {
        user_id: timezone.localdate(last)
        for user_id, last in EqaPageView.objects.filter(centre=centre)
        .values("user_id")
        .annotate(last=Max("viewed_at"))
        .values_list("user_id", "last")
    }
    if periods is None:
        periods = periods_for(centre)
    return [_row(r, today, holds, claimed, sampling, eqa, seen, periods) for r in found]


def _row(
    registration: Registration,
    today: date,
    holds: dict[int, list[str]],
    claimed: set[int],
    sampling: set[int],
    eqa: list[_EqaAccess],
    seen: dict[int, date],
    periods: dict[int, RetentionPeriod],
) -> RetentionRow:
    body: AwardingBody = registration.qualification.awarding_body
    finished_on = timezone.localdate(registration.updated_at)
    own = periods.get(body.pk)
    if body.retention_weeks is not None:
        weeks: int | None = body.retention_weeks
        rule = body.retention_rule
    elif own is not None:
        weeks = own.weeks
        rule = f"The centre's period for {body.name}: {own.weeks} weeks ({own.source})"
    else:
        weeks, rule = None, body.retention_rule or f"{body.name} states no retention period."
    row = RetentionRow(
        registration=registration,
        files=registration.held_files,  # type: ignore[attr-defined]  # annotated above
        size=registration.held_size or 0,  # type: ignore[attr-defined]  # annotated above
        finished_on=finished_on,
        weeks=weeks,
        rule=rule,
    )
    for kind in holds.get(registration.pk, []):
        row.needed_by.append(f"An open hold ({kind}) still needs this evidence. {rule}")
    if registration.pk in claimed:
        row.needed_by.append(
            "A claim line still waits for its certificate: the awarding body may verify the "
            f"evidence. {rule}"
        )
    if registration.pk in sampling:
        row.needed_by.append("An internal verification sample of it is still under review.")
    covering = [
        access
        for access in eqa
        if not access.qualifications or registration.qualification_id in access.qualifications
    ]
    verified = [
        seen[access.user_id]
        for access in covering
        if access.user_id in seen and seen[access.user_id] >= finished_on
    ]
    current = [access for access in covering if access.current]
    if current and not verified:
        # Not yet externally verified, and an EQA is reading the centre now: kept for them.
        ends = [access.ends for access in current if access.ends]
        until = f" until {max(ends):%d %B %Y}" if len(ends) == len(current) else ""
        row.needed_by.append(
            f"An external quality assurer's access is open{until}: the evidence is kept for "
            f"external verification. {rule}"
        )
    if weeks is None:
        row.waiting = f"No retention period yet: {rule}"
        return row
    if not verified:
        row.waiting = f"Not yet externally verified since it finished: {rule}"
        return row
    row.verified_until = max(verified)
    row.retain_until = row.verified_until + timedelta(weeks=weeks)
    if today <= row.retain_until:
        row.waiting = f"Kept until {row.retain_until:%d %B %Y}: {rule}"
    return row


def set_period(
    *, actor: User, centre: Centre, awarding_body: AwardingBody, weeks: int, source: str
) -> RetentionPeriod:
    """Record the centre's own period for a body whose document leaves it to the centre."""
    if not may_manage_records(actor, centre.pk):
        raise RetentionError("Only the centre's admins set its retention periods.")
    if awarding_body.retention_weeks is not None:
        raise RetentionError(
            f"{awarding_body.name} sets the period itself, so a centre cannot change it: "
            f"{awarding_body.retention_rule}"
        )
    if not source.strip():
        raise RetentionError("Say where the period comes from (the policy or manual and page).")
    with transaction.atomic():
        replaced = (
            RetentionPeriod.objects.select_for_update()
            .in_force()
            .filter(centre=centre, awarding_body=awarding_body)
            .first()
        )
        now = timezone.now()
        if replaced is not None:
            replaced.superseded_at = now
            replaced.save(update_fields=["superseded_at"])
        period = RetentionPeriod.objects.create(
            centre=centre,
            awarding_body=awarding_body,
            weeks=weeks,
            source=source.strip(),
            set_by=actor,
            set_at=now,
        )
        record_event(
            actor=actor,
            action="retention.period_set",
            target=period,
            centre_id=centre.pk,
            data={
                "awarding_body": awarding_body.code,
                "weeks": weeks,
                "source": period.source,
                "replaces": replaced.pk if replaced else None,
            },
        )
    return period


def remove_files(
    *,
    actor: User,
    centre: Centre,
    registration_ids: list[int],
    reason: str,
    today: date | None = None,
) -> int:
    """Remove the stored files of these registrations, all past retention, or none of them.

    The rows are marked in this transaction, with one audit event per registration listing
    each file's name, size and SHA-256; the bytes are deleted by a task once it commits (a
    rollback leaves them all). Returns how many files were removed."""
    if not may_manage_records(actor, centre.pk):
        raise RetentionError("Only the centre's admins remove evidence past retention.")
    if not reason.strip():
        raise RetentionError("Say why the files are removed (for example, the retention review).")
    if not registration_ids:
        raise RetentionError("Choose the learners whose files to remove.")
    from certification.tasks import delete_removed_files

    with transaction.atomic():
        # Under the registrations' locks, as a hold or a claim line is added: neither slips in
        # between the check and the removal.
        list(
            Registration.objects.select_for_update(of=("self",))
            .filter(centre=centre, pk__in=registration_ids)
            .values_list("pk", flat=True)
        )
        rows = {
            row.registration.pk: row
            for row in retention_rows(centre, today=today, registration_ids=registration_ids)
        }
        for pk in registration_ids:
            row = rows.get(pk)
            if row is None:
                raise RetentionError(
                    "Only a finished registration's files (certificated, withdrawn or "
                    "transferred) are removed after retention, and this one has none to remove."
                )
            who = row.registration.learner.get_full_name()
            if row.needed_by:
                raise RetentionError(f"{who}: {row.needed_by[0]}")
            if row.waiting:
                raise RetentionError(f"{who}: {row.waiting}")
        files = list(
            EvidenceFile.objects.select_for_update()
            .filter(evidence__registration_id__in=registration_ids, removed_at__isnull=True)
            .select_related("evidence")
            .order_by("pk")
        )
        now = timezone.now()
        EvidenceFile.objects.filter(pk__in=[f.pk for f in files]).update(
            removed_at=now, removed_by=actor, removal_reason=reason.strip()
        )
        by_registration: dict[int, list[dict[str, object]]] = defaultdict(list)
        for evidence_file in files:
            by_registration[evidence_file.evidence.registration_id].append(
                {
                    "file": evidence_file.pk,
                    "evidence": evidence_file.evidence_id,
                    "name": evidence_file.original_name,
                    "size": evidence_file.size,
                    "sha256": evidence_file.sha256,
                }
            )
        record_events(
            actor=actor,
            action="evidence.files_removed_after_retention",
            model=Registration,
            centre_id=centre.pk,
            items=[
                (
                    pk,
                    {
                        "files": by_registration[pk],
                        "reason": reason.strip(),
                        "retain_until": str(rows[pk].retain_until),
                        "rule": rows[pk].rule,
                    },
                )
                for pk in registration_ids
            ],
        )
        ids = [f.pk for f in files]
        transaction.on_commit(lambda: delete_removed_files.delay(file_ids=ids))
    return len(files)


def delete_stored_bytes(file_ids: list[int]) -> int:
    """Delete from storage the bytes of files already marked removed (the task's work);
    idempotent: a file already gone is skipped."""
    from django.core.files.storage import default_storage

    deleted = 0
    for evidence_file in EvidenceFile.objects.filter(pk__in=file_ids, removed_at__isnull=False):
        name = evidence_file.file.name
        if name and default_storage.exists(name):
            default_storage.delete(name)
            deleted += 1
    return deleted
