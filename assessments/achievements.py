"""Achievement records: what they print, asking for one, building it, superseding, withdrawing.

The content is gathered once, when asked for, as plain JSON: exactly what the PDF prints. Its
SHA-256 makes "the same content asked for twice is built once" a lookup. Building is done by a
Celery task (assessments.tasks.build_achievement_record) that calls `build_record`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from assessments import badges, gateway, pdf
from assessments.basis import AUTHENTICITY_SOURCE, declaration_source
from assessments.models import BriefExtension, BriefHandIn, Decision, Outcome, UnitSignOff
from assessments.models.achievement import (
    BUILD_LIFECYCLE,
    PENDING,
    RECORD_LIFECYCLE,
    AchievementKind,
    AchievementRecord,
    BuildStatus,
    RecordState,
)
from assessments.release import is_released, validation_required
from assessments.rules import can_request_record, can_withdraw_record
from core.audit import Checkpoint, chain_head, record_event
from portfolios.combination import rules_at_centre
from portfolios.models import CreditTransfer, EvidenceMethod, Registration
from qualifications.combination import CombinationRules, Result, check
from qualifications.models import Unit

TEMPLATE = "pdf/achievement_record.html"
# A kind printed differently; its content JSON holds everything the template prints, so building
# it never reaches into the app that gathered it.
TEMPLATES: dict[str, str] = {AchievementKind.CLAIM_SUMMARY: "pdf/claim_summary.html"}
# A record still queued after this long is sent to the workers again when someone asks.
STALE_AFTER = timedelta(minutes=10)


class AchievementError(Exception):
    """A record the rules refuse; the message is for the person asking."""


# ---------------------------------------------------------------- content


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces): equal content, equal hash."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _number_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split(".") if part.isdigit())


def _verifications(registration: Registration) -> dict[int | None, dict[str, str]]:
    """unit id (None: the whole portfolio) -> the IV's name and date, from summative sign-offs
    first, else agreed samples. Read through the registration's relations: verification builds
    on assessments, not the reverse."""
    found: dict[int | None, dict[str, str]] = {}
    samples = (
        registration.samples.filter(state="agreed")
        .annotate(agreed_at=Max("outcomes__decided_at", filter=Q(outcomes__outcome="agreed")))
        .values_list("unit_id", "verifier__full_name", "verifier__email", "agreed_at")
        .order_by("agreed_at")
    )
    for unit_id, name, email, agreed_at in samples:
        found[unit_id] = {"name": name or email, "date": timezone.localdate(agreed_at).isoformat()}
    sign_offs = (
        registration.verifier_sign_offs.live()
        .values_list("unit_id", "verifier__full_name", "verifier__email", "signed_at")
        .order_by("signed_at")
    )
    for unit_id, name, email, signed_at in sign_offs:
        found[unit_id] = {"name": name or email, "date": timezone.localdate(signed_at).isoformat()}
    return found


def _group_name(code: str, name: str) -> str:
    """ "Group B (Optional Units)", or the specification's own name when it already says
    "Group B" (IMI's "Optional Group B", Ascentis's "Group B – Optional Units")."""
    if name and re.search(rf"\bgroup {re.escape(code)}\b", name, re.IGNORECASE):
        return name
    return f"Group {code}" + (f" ({name})" if name else "")


def _statement(rules: CombinationRules, achieved: set[str], result: Result) -> dict[str, Any]:
    """How the rules of combination are met, group by group, in words."""
    lines = []
    for group in rules.groups:
        done = [key for key in group.units if key in achieved]
        credits = sum(rules.units[key].credit or 0 for key in done)
        name = _group_name(group.code, group.name)
        if group.mandatory:
            lines.append(f"{name}, mandatory: {len(done)} of {len(group.units)} units achieved.")
            continue
        parts = [f"{len(done)} unit{'s' if len(done) != 1 else ''}, {credits} credits achieved"]
        if group.min_credits:
            parts.append(f"{group.min_credits} credits required")
        if group.min_units:
            parts.append(f"{group.min_units} units required")
        lines.append(f"{name}: " + "; ".join(parts) + ".")
    total = f"Total: {result.credits} credits achieved"
    if rules.min_credits:
        total += f" of {rules.min_credits} required"
    lines.append(total + ".")
    return {
        "met": result.ok,
        "lines": lines,
        "missing": [problem.message for problem in result.problems],
    }


def _assignments(registration: Registration, unit_ids: list[int]) -> dict[int, list[Any]]:
    """Per unit, the assignment briefs this learner handed in against (Pearson BTEC, section 8:
    "a defined start date, a completion date"; "authorised extensions"): their dates, any
    extension, and each hand-in with whether it was late. One query, and one more where there
    are hand-ins."""
    handed = list(
        BriefHandIn.objects.filter(registration=registration, brief__unit_id__in=unit_ids)
        .select_related("brief")
        .order_by("brief__start_date", "brief_id", "attempt")
    )
    if not handed:
        return {}
    extended: dict[int, BriefExtension] = {
        extension.brief_id: extension
        for extension in BriefExtension.objects.filter(
            registration=registration, brief_id__in={h.brief_id for h in handed}
        ).order_by("authorised_at", "pk")
    }
    by_brief: dict[int, dict[str, Any]] = {}
    per_unit: dict[int, list[Any]] = defaultdict(list)
    for hand_in in handed:
        brief = hand_in.brief
        if brief.pk not in by_brief:
            extension = extended.get(brief.pk)
            by_brief[brief.pk] = {
                "title": brief.title,
                "start": brief.start_date.isoformat(),
                "hand_in_by": brief.hand_in_date.isoformat(),
                "extended_to": extension.hand_in_date.isoformat() if extension else None,
                "extension_reason": extension.reason if extension else None,
                "hand_ins": [],
            }
            per_unit[brief.unit_id].append(by_brief[brief.pk])
        by_brief[brief.pk]["hand_ins"].append(
            {
                "kind": hand_in.get_kind_display(),
                "on": timezone.localdate(hand_in.handed_in_at).isoformat(),
                "late": hand_in.late,
            }
        )
    return dict(per_unit)


# What apps above this one add to a record, by key: each source takes the registration and the
# record's kind and returns the keys it adds to the content (certification adds the learner's
# reasonable adjustments and appeals: Pearson l.460, "Records should include assessments taken,
# decisions reached and any adjustments or appeals"). Registered in the app's ready(), as
# core.audit.checkpoint_sources are: this app imports none of them.
content_sources: list[Callable[[Registration, str], dict[str, Any]]] = []


def gather_content(
    registration: Registration, *, kind: str, unit: Unit | None = None
) -> dict[str, Any]:
    """Exactly what the record prints, as JSON-ready data. A fixed number of queries."""
    registration = Registration.objects.select_related(
        # The awarding body: whose words the units' authenticity declarations are in.
        "learner",
        "centre",
        "qualification__awarding_body",
    ).get(pk=registration.pk)
    qualification = registration.qualification
    rules = rules_at_centre(qualification, registration.centre_id)
    sign_offs = {
        sign_off.unit_id: sign_off
        for sign_off in UnitSignOff.objects.active()
        .filter(registration=registration)
        .select_related("unit", "signed_by")
    }
    # Units credited from an identical unit achieved before (SFJ section 2.8) count as achieved.
    credits = {
        transfer.unit_id: transfer
        for transfer in CreditTransfer.objects.live()
        .filter(registration=registration)
        .select_related("unit")
    }
    achieved_keys = {sign_off.unit.key for sign_off in sign_offs.values()} | {
        transfer.unit.key for transfer in credits.values()
    }
    result = check(rules, achieved_keys)

    if kind == AchievementKind.FULL:
        unit_ids = list(sign_offs) + [pk for pk in credits if pk not in sign_offs]
    elif kind == AchievementKind.UNIT:
        if unit is None:
            raise AchievementError("Say which unit the record is for.")
        unit_ids = [unit.pk]
    else:
        unit_ids = list(registration.unit_choices.values_list("unit_id", flat=True))
    units = sorted(
        Unit.objects.filter(pk__in=unit_ids).prefetch_related("outcomes", "criteria"),
        key=lambda u: (
            list(rules.units).index(u.key) if u.key in rules.units else len(rules.units),
            u.key,
        ),
    )

    required = validation_required(registration)
    decisions = (
        Decision.objects.current()
        .filter(registration=registration, criterion__unit_id__in=unit_ids)
        .select_related("validation")
        .prefetch_related("evidence")
    )
    met: dict[int, Decision] = {
        decision.criterion_id: decision
        for decision in decisions
        # A decision the learner may not see yet is not met on paper either.
        if decision.outcome == Outcome.MET and is_released(decision, required=required)
    }
    verifications = _verifications(registration)
    assignments = _assignments(registration, unit_ids)

    printed_units = []
    for item in units:
        facts = rules.units.get(item.key)
        sign_off = sign_offs.get(item.pk)
        transfer = credits.get(item.pk)
        verification = verifications.get(item.pk) or verifications.get(None)
        criteria_by_outcome: dict[int, list[Any]] = defaultdict(list)
        for criterion in item.criteria.all():
            criteria_by_outcome[criterion.outcome_id].append(criterion)
        outcomes = []
        remaining = []
        # Each piece of evidence is listed once under its unit; the rows cite it by reference.
        evidence: dict[int, str] = {}
        for outcome in sorted(item.outcomes.all(), key=lambda o: o.position):
            rows = []
            for criterion in sorted(criteria_by_outcome[outcome.pk], key=lambda c: c.position):
                decision = met.get(criterion.pk)
                if decision is None:
                    remaining.append(criterion.number)
                cited = sorted(decision.evidence.all(), key=lambda e: e.pk) if decision else []
                # Recorded prior learning is named so: a criterion met by RPL says so on paper.
                evidence.update(
                    (
                        item.pk,
                        f"{item.title} (recognition of prior learning)"
                        if item.method == EvidenceMethod.RPL
                        else item.title,
                    )
                    for item in cited
                )
                rows.append(
                    {
                        "number": criterion.number,
                        "text": criterion.text,
                        "met_on": decision.assessed_on.isoformat() if decision else None,
                        "evidence": [f"E{item.pk}" for item in cited],
                    }
                )
            outcomes.append({"number": outcome.number, "text": outcome.text, "criteria": rows})
        remaining.sort(key=_number_key)
        printed_units.append(
            {
                "key": item.key,
                "label": facts.label if facts else (item.reference or item.key),
                "reference": item.reference,
                "title": item.title,
                "level": item.level_label,
                "credit": item.credit,
                "glh": item.glh,
                "achieved": sign_off is not None or transfer is not None,
                "credit_transfer": {
                    "achieved_on": transfer.achieved_on.isoformat(),
                    "source": transfer.source,
                    "reference": transfer.source_unit_reference,
                }
                if transfer is not None and sign_off is None
                else None,
                "signed_off_on": timezone.localdate(sign_off.signed_at).isoformat()
                if sign_off
                else None,
                "assessor": str(sign_off.signed_by) if sign_off else None,
                # The assessor's authenticity declaration signed with the unit (assessments.basis).
                "authenticity": sign_off.declaration if sign_off else None,
                # Whose words they are, where not simply Pearson's section 8 (the record's
                # default line): the body's own, or Pearson's for a body that gives none
                # (assessments.basis). Absent otherwise, so Pearson records read as they did.
                **(
                    {"authenticity_source": words_of}
                    if sign_off
                    and sign_off.declaration
                    and (words_of := declaration_source(sign_off.declaration, qualification))
                    != AUTHENTICITY_SOURCE
                    else {}
                ),
                "verification": verification if sign_off else None,
                "outcomes": outcomes,
                "evidence": [
                    {"ref": f"E{pk}", "title": title} for pk, title in sorted(evidence.items())
                ],
                "remaining": remaining,
                # Pearson BTEC assignments (briefs) handed in for the unit, if any: the key is
                # absent otherwise, so other records' content is as it was.
                **({"assignments": assignments[item.pk]} if item.pk in assignments else {}),
            }
        )

    content: dict[str, Any] = {
        "kind": kind,
        "title": AchievementKind(kind).label,
        "learner": {"name": str(registration.learner)},
        "centre": {"name": registration.centre.name, "number": registration.centre.number},
        "qualification": {
            "number": qualification.number,
            "title": qualification.title,
            "level": qualification.level_label,
            "credits": qualification.credit_value or qualification.min_credits,
        },
        "units": printed_units,
        "credits_achieved": result.credits,
    }
    if kind != AchievementKind.UNIT:
        content["rules"] = _statement(rules, achieved_keys, result)
    # An apprenticeship's end-point assessment result, once recorded (issue 19).
    content.update(gateway.achievement_section(registration))
    for source in content_sources:
        content.update(source(registration, kind))
    return content


# ---------------------------------------------------------------- asking for a record


def site_url(request: Any = None) -> str:
    """Where the verify page lives: SITE_URL, else the address the record was asked from, else
    the embedded server's own address (`make run` serves on 127.0.0.1:8000)."""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/")
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return "http://127.0.0.1:8000"


def _check_kind(registration: Registration, kind: str, unit: Unit | None) -> None:
    if kind not in AchievementKind.values:
        raise AchievementError(f"Unknown kind of record {kind!r}.")
    if kind == AchievementKind.CLAIM_SUMMARY:
        raise AchievementError("A claim batch summary is asked for from its claim batch.")
    if kind == AchievementKind.UNIT:
        if unit is None:
            raise AchievementError("Say which unit the record is for.")
        if not UnitSignOff.objects.active().filter(registration=registration, unit=unit).exists():
            raise AchievementError(
                "A unit record is for a signed-off unit; this unit is not signed off."
            )
    elif unit is not None:
        raise AchievementError("Only a unit record names a unit.")


@transaction.atomic
def request_record(
    *,
    actor: User | None,
    registration: Registration,
    kind: str,
    unit: Unit | None = None,
    site: str = "",
    check_access: bool = True,
    queue: bool = True,
) -> tuple[AchievementRecord, bool]:
    """Ask for a record. Returns (record, queued): the same content already built or being
    built is returned as it is instead of queuing again."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if check_access and not can_request_record.test(actor, registration):
        raise AchievementError("Only the learner, their assessor or IV, or a centre admin may ask.")
    _check_kind(registration, kind, unit)
    content = gather_content(registration, kind=kind, unit=unit)
    if kind == AchievementKind.FULL and not content["rules"]["met"]:
        raise AchievementError(
            "The signed-off units do not yet meet the rules of combination, so there is no "
            "achievement record yet; ask for a progress report instead."
        )
    return ask(
        same=AchievementRecord.objects.filter(registration=registration, kind=kind, unit=unit),
        actor=actor,
        queue=queue,
        event={"kind": kind, "unit": unit.key if unit else None},
        registration=registration,
        centre_id=registration.centre_id,
        kind=kind,
        unit=unit,
        content=content,
        site_url=site or site_url(),
    )


def ask(
    *,
    same: QuerySet[AchievementRecord],
    actor: User | None,
    queue: bool,
    event: dict[str, Any],
    content: dict[str, Any],
    **fields: Any,
) -> tuple[AchievementRecord, bool]:
    """Find or create the record of `content` among `same` (one subject's records of one kind)
    and queue its build. Returns (record, queued): the same content already built or being
    built is returned as it is. The caller holds a lock that serialises asks for the subject."""
    digest = content_hash(content)
    # A record built for another address (the embedded set-up, asked from another host) would
    # print a QR code this reader cannot follow: the same content at a new address is built
    # anew. A pending build is shared whatever its address (one build per content at a time).
    existing = (
        same.filter(content_hash=digest)
        .filter(
            Q(status__in=PENDING)
            | Q(
                status=BuildStatus.READY,
                state=RecordState.CURRENT,
                site_url=fields.get("site_url", ""),
            )
        )
        .first()
    )
    if existing is not None:
        if queue and existing.is_pending and existing.requested_at < timezone.now() - STALE_AFTER:
            # Its task may have been lost with a broker; building is idempotent, so send again.
            _queue(existing.pk)
        return existing, False
    try:
        with transaction.atomic():
            record = AchievementRecord.objects.create(
                content=content, content_hash=digest, requested_by=actor, **fields
            )
    except IntegrityError as exc:  # pragma: no cover - the caller's lock serialises asks
        raise AchievementError("That record is already being built; wait a moment.") from exc
    record_event(
        actor=actor,
        action="achievement.requested",
        target=record,
        centre_id=record.centre_id,
        data={**event, "content_hash": digest},
    )
    if queue:
        _queue(record.pk)
    return record, True


def _queue(record_id: int) -> None:
    from assessments.tasks import build_achievement_record

    transaction.on_commit(lambda: build_achievement_record.delay(record_id=record_id))


# ---------------------------------------------------------------- building


def start_build(*, record_id: int) -> bool:
    """Mark the record as being built (visible to the polling page at once). False when there
    is nothing to build: it is ready, failed or gone. A record left "building" by a worker that
    died is built again: the task is acknowledged late, so another worker receives it."""
    with transaction.atomic():
        record = (
            AchievementRecord.objects.select_for_update()
            .filter(pk=record_id, status__in=PENDING)
            .only("pk", "status", "attempts", "centre_id")
            .first()
        )
        if record is None:
            return False
        record.attempts += 1
        # The worker's doing, not a person's: no actor.
        BUILD_LIFECYCLE.move(
            record,
            BuildStatus.BUILDING,
            actor=None,
            action="achievement.build_started",
            centre_id=record.centre_id,
            data={"attempts": record.attempts},
            update_fields=["attempts"],
        )
    return True


def print_context(record: AchievementRecord, *, built_at: Any = None) -> tuple[str, dict[str, Any]]:
    """The template a record prints through and its context (no database access)."""
    return TEMPLATES.get(record.kind, TEMPLATE), {
        "content": record.content,
        "record": record,
        "built_at": built_at or timezone.now(),
        "verify_url": record.verify_url,
        "qr": pdf.qr_svg(record.verify_url),
    }


def render_achievement_pdf(record: AchievementRecord, *, built_at: Any = None) -> bytes:
    """The PDF of a record's content (no database writes)."""
    return pdf.render_pdf(*print_context(record, built_at=built_at))


def build_record(*, record_id: int) -> AchievementRecord:
    """Build the PDF, store it and mark the record ready, once. The row stays locked while
    building, so a second delivery of the same task waits and then finds it ready."""
    start_build(record_id=record_id)
    with transaction.atomic():
        record = (
            AchievementRecord.objects.select_for_update(of=("self",))
            .select_related("registration")
            .get(pk=record_id)
        )
        if record.status not in PENDING:
            return record
        built_at = timezone.now()
        # The chain's committed head, read without locking it (locking would hold every other
        # writer for as long as the PDF takes to render): printed and kept as a checkpoint.
        record.audit_sequence, record.audit_hash = chain_head()
        data = render_achievement_pdf(record, built_at=built_at)
        name = record.file.field.generate_filename(record, "record.pdf")
        # A worker killed after writing but before committing leaves this exact name behind.
        if default_storage.exists(name):
            default_storage.delete(name)
        record.file.save(name, ContentFile(data), save=False)
        record.pdf_sha256 = hashlib.sha256(data).hexdigest()
        record.built_at = built_at
        record.error = ""
        # Row locks before the chain head (which the move's event holds to the commit): lock
        # now the records this one may supersede, so this build and a withdrawal (record, then
        # head) never wait on each other.
        list(_same_current(record).values_list("pk", flat=True))
        BUILD_LIFECYCLE.move(
            record,
            BuildStatus.READY,
            actor=record.requested_by,
            action="achievement.built",
            centre_id=record.centre_id,
            data={
                "pdf_sha256": record.pdf_sha256,
                "attempts": record.attempts,
                "audit_checkpoint": record.audit_sequence,
            },
            update_fields=[
                "file",
                "pdf_sha256",
                "built_at",
                "error",
                "audit_sequence",
                "audit_hash",
            ],
        )
        _supersede_others(record)
    return record


def _same_current(record: AchievementRecord) -> QuerySet[AchievementRecord]:
    """The subject's current ready records of this kind, locked."""
    # A centre's record has no registration, a learner's whole-record no unit: None here reads as
    # IS NULL, which django-stubs' lookup check does not allow for.
    return AchievementRecord.objects.select_for_update(of=("self",)).filter(
        registration_id=record.registration_id,  # type: ignore[misc]
        subject_key=record.subject_key,
        kind=record.kind,
        unit_id=record.unit_id,
        status=BuildStatus.READY,
        state=RecordState.CURRENT,
    )


def _supersede_others(record: AchievementRecord) -> None:
    same = _same_current(record)
    newer = same.filter(pk__gt=record.pk).order_by("-pk").first()
    # A slow build of an older request must not displace a newer record already out.
    older = [record] if newer else list(same.filter(pk__lt=record.pk))
    for item in older:
        item.superseded_by = newer or record
        RECORD_LIFECYCLE.move(
            item,
            RecordState.SUPERSEDED,
            actor=record.requested_by,
            action="achievement.superseded",
            centre_id=record.centre_id,
            data={"superseded_by": item.superseded_by_id},
            update_fields=["superseded_by"],
        )


@transaction.atomic
def mark_failed(*, record_id: int, error: str) -> AchievementRecord | None:
    record = (
        AchievementRecord.objects.select_for_update(of=("self",))
        .select_related("registration")
        .filter(pk=record_id)
        .first()
    )
    if record is None or record.status not in PENDING:
        return record
    record.error = error[:2000]
    BUILD_LIFECYCLE.move(
        record,
        BuildStatus.FAILED,
        actor=record.requested_by,
        action="achievement.failed",
        centre_id=record.centre_id,
        data={"error": record.error, "attempts": record.attempts},
        update_fields=["error"],
    )
    return record


def build_now(
    *, actor: User | None, registration: Registration, kind: str, unit: Unit | None = None
) -> AchievementRecord:
    """Ask and build in this process (the admin command): no worker needed."""
    with transaction.atomic():
        record, _queued = request_record(
            actor=actor,
            registration=registration,
            kind=kind,
            unit=unit,
            check_access=False,
            queue=False,
        )
    record.refresh_from_db()
    if record.is_pending:
        record = build_record(record_id=record.pk)
    return record


def audit_checkpoints() -> Iterator[Checkpoint]:
    """Each built record's audit checkpoint, in sequence order (for verify_audit_chain)."""
    records = (
        AchievementRecord.objects.filter(audit_sequence__isnull=False)
        .order_by("audit_sequence", "pk")
        .values_list("pk", "audit_sequence", "audit_hash", "built_at")
    )
    for pk, sequence, digest, when in records.iterator(chunk_size=2000):
        yield Checkpoint(
            # Never None: audit_sequence__isnull=False above.
            sequence=cast(int, sequence),
            hash=digest,
            when=when,
            where=f"achievement record {pk}",
        )


# ---------------------------------------------------------------- withdrawing


@transaction.atomic
def withdraw_record(*, actor: User, record: AchievementRecord, reason: str) -> AchievementRecord:
    """A centre admin withdraws a record (of a learner, or the centre's own, such as a claim
    batch summary): the verify page then says so. The file is kept."""
    record = (
        AchievementRecord.objects.select_for_update(of=("self",))
        .select_related("registration")
        .get(pk=record.pk)
    )
    if not can_withdraw_record.test(actor, record):
        raise AchievementError("Only a centre admin may withdraw a record.")
    if record.status != BuildStatus.READY:
        raise AchievementError("Only a built record can be withdrawn.")
    if record.state == RecordState.WITHDRAWN:
        raise AchievementError("This record is already withdrawn.")
    if not reason.strip():
        raise AchievementError("Say why the record is withdrawn.")
    # The field's max_length is set (2,000); Django types it optional.
    limit = cast(int, AchievementRecord._meta.get_field("withdrawn_reason").max_length)
    if len(reason.strip()) > limit:
        raise AchievementError(
            f"Keep the reason to {limit:,} characters (it has {len(reason.strip()):,})."
        )
    record.withdrawn_at = timezone.now()
    record.withdrawn_reason = reason.strip()
    RECORD_LIFECYCLE.move(
        record,
        RecordState.WITHDRAWN,
        actor=actor,
        action="achievement.withdrawn",
        centre_id=record.centre_id,
        data={"reason": record.withdrawn_reason},
        update_fields=["withdrawn_at", "withdrawn_reason"],
    )
    # Its Open Badge, if one was issued, is revoked with it (the centre's status list).
    badges.revoke_for_record(actor=actor, record=record, reason=record.withdrawn_reason)
    return record
