"""The claim batch summary: a PDF for the centre of what a claim batch claimed, for its files
and for the awarding body's queries.

It is an achievement record of the kind `claim_summary`, of the centre rather than a learner
(no registration): asked for here, built by the same Celery task (assessments.tasks →
achievements.build_record, which picks pdf/claim_summary.html by kind), verified at the same
public /verify/<code>/ page (which names no learner for it). The content JSON holds everything
printed, so building never reads certification's tables. As with learners' records, the same
content asked for twice is built once, and a newer summary of the batch supersedes the older.
A draft batch has no summary: its lines may still change and its learners' details are frozen
only at export.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.queries import centre_profile
from assessments.achievements import AchievementError, ask, site_url
from assessments.models.achievement import (
    AchievementKind,
    AchievementRecord,
    AchievementRecordQuerySet,
)
from certification.models import BatchState, ClaimBatch, ClaimError
from certification.rules import may_manage_claims

KIND = AchievementKind.CLAIM_SUMMARY


def subject_key(batch_id: int) -> str:
    """What groups a batch's summaries (the newer supersedes the older)."""
    return f"claim_batch:{batch_id}"


def subject(batch: ClaimBatch) -> str:
    """Printed, and shown on the verify page, where a learner's name would be."""
    return f"Claim batch {batch.pk}, {batch.awarding_body.name}"


def _day(moment: Any) -> str | None:
    return timezone.localdate(moment).isoformat() if moment else None


def gather_summary(batch: ClaimBatch) -> dict[str, Any]:
    """Exactly what the summary prints, as JSON-ready data: the batch, and one row per live
    line. Two queries whatever the number of lines."""
    batch = ClaimBatch.objects.select_related("centre", "awarding_body").get(pk=batch.pk)
    lines = (
        batch.lines.live()
        # The ULN the registration's own centre keeps, if the line has none frozen yet.
        .annotate(held_profile=centre_profile("registration__learner", "registration__centre"))
        .select_related(
            "registration__learner", "held_profile", "registration__qualification", "unit"
        )
        .order_by("learner_name", "registration__learner__full_name", "unit__key", "pk")
    )
    rows = []
    for line in lines:
        registration = line.registration
        # select_related leaves a filtered relation unset (not None) when nothing matches.
        profile = getattr(line, "held_profile", None)
        qualification = registration.qualification
        rows.append(
            {
                # The details frozen at export (what the awarding body was sent), else today's.
                "learner": line.learner_name or registration.learner.get_full_name(),
                "registration_number": line.registration_number
                or registration.awarding_body_number,
                "uln": line.uln or (profile.uln if profile else "") or "",
                "qualification": {
                    "number": line.qualification_number or qualification.number,
                    "title": qualification.title,
                },
                "unit": {
                    "reference": line.unit.reference or line.unit.key,
                    "title": line.unit.title,
                }
                if line.unit
                else None,
                "unit_references": list(line.unit_references),
                "result": line.result,
                "achievement_date": line.achievement_date.isoformat(),
            }
        )
    full = sum(1 for row in rows if row["unit"] is None)
    return {
        "kind": KIND.value,
        "title": KIND.label,
        "subject": subject(batch),
        "centre": {"name": batch.centre.name, "number": batch.centre.number},
        "awarding_body": {"code": batch.awarding_body.code, "name": batch.awarding_body.name},
        "batch": {
            "number": batch.pk,
            "status": batch.get_state_display(),
            "created_on": _day(batch.created_at),
            "exported_on": _day(batch.exported_at),
            "submitted_on": _day(batch.submitted_at),
            "certificates_received_on": _day(batch.certificates_received_at),
            "reference": batch.reference,
        },
        "lines": rows,
        "totals": {"full": full, "unit": len(rows) - full, "lines": len(rows)},
    }


def summaries_of(batch: ClaimBatch) -> AchievementRecordQuerySet:
    """The batch's summaries, newest first (the content left out: lists never print it)."""
    return (
        AchievementRecord.objects.filter(
            kind=KIND, centre_id=batch.centre_id, subject_key=subject_key(batch.pk)
        )
        .defer("content")
        .order_by("-requested_at", "-pk")
    )


def request_summary(
    *, actor: User, batch: ClaimBatch, site: str = "", queue: bool = True
) -> tuple[AchievementRecord, bool]:
    """Ask for the batch's summary. Returns (record, queued): the same content already built
    or being built is returned as it is instead of queuing again."""
    with transaction.atomic():
        # The batch's lock serialises asks: a double click finds the first one pending.
        batch = (
            ClaimBatch.objects.select_for_update(of=("self",))
            .select_related("centre", "awarding_body")
            .get(pk=batch.pk)
        )
        if not may_manage_claims(actor, batch.centre_id):
            raise ClaimError("Only the centre's admins ask for a claim batch summary.")
        if batch.state == BatchState.DRAFT:
            raise ClaimError(
                "A draft batch has no summary: its lines may still change. Export the batch first."
            )
        content = gather_summary(batch)
        try:
            return ask(
                same=summaries_of(batch),
                actor=actor,
                queue=queue,
                event={"kind": KIND.value, "batch": batch.pk},
                registration=None,
                centre=batch.centre,
                subject=content["subject"],
                subject_key=subject_key(batch.pk),
                kind=KIND,
                content=content,
                site_url=site or site_url(),
            )
        except AchievementError as error:  # pragma: no cover - the batch lock serialises asks
            raise ClaimError(str(error)) from None


def withdraw_summary(*, actor: User, record: AchievementRecord, reason: str) -> AchievementRecord:
    """A centre admin withdraws a summary (the verify page then says so; the file is kept).
    achievements.withdraw_record checks the admin against the record's centre and audits."""
    from assessments.achievements import withdraw_record

    if record.kind != KIND:
        raise ClaimError("That is not a claim batch summary.")
    try:
        return withdraw_record(actor=actor, record=record, reason=reason)
    except AchievementError as error:
        raise ClaimError(str(error)) from None
