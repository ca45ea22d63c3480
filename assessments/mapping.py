"""The assessor confirms the learner's mapping of evidence to criteria, or changes it.

Mappings are proposals, not decisions: the assessor may add criteria from the learner's units or
remove ones the learner proposed. What was mapped before and after is kept in the audit event,
so the history can be recovered even though a removed mapping row is gone. A mapping a decision
already rests on, or one in a signed-off unit, is part of a record that may not change.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assessments.models import Decision, UnitSignOff
from assessments.services import AssessmentError, mark_assessed_when_complete, require_assessor
from core.audit import record_event
from portfolios.evidence import EvidenceError, check_evidence_setting
from portfolios.models import Evidence, EvidenceCriterion, EvidenceStatus, RegistrationStatus
from portfolios.readmodel import lock_progress
from qualifications.models import AssessmentCriterion


def _labels(criteria: Iterable[AssessmentCriterion]) -> str:
    return ", ".join(sorted(f"{c.unit.reference or c.unit.key} {c.number}" for c in criteria))


@transaction.atomic
def confirm_mapping(
    *,
    assessor: User,
    evidence: Evidence,
    criteria: Iterable[AssessmentCriterion],
    shown: Iterable[int] | None = None,
) -> tuple[set[int], set[int]]:
    """Set the evidence's criteria to `criteria` and confirm every one of them.

    Sending the learner's mapping unchanged confirms it. `shown` is the mapping the assessor
    saw: if someone has changed it since, a change is refused rather than undoing theirs.
    Returns (added, removed) criterion ids.
    """
    evidence = (
        Evidence.objects.select_for_update().select_related("registration").get(pk=evidence.pk)
    )
    registration = evidence.registration
    require_assessor(assessor, registration)
    if registration.status != RegistrationStatus.ACTIVE:
        raise AssessmentError("The mapping can only change while the registration is active.")
    if evidence.status != EvidenceStatus.SUBMITTED:
        raise AssessmentError(
            "Only submitted evidence waiting for assessment has a mapping to confirm."
        )
    wanted = {c.pk: c for c in criteria}
    if not wanted:
        raise AssessmentError(
            "Evidence stays mapped to at least one criterion. To reject it all, return it to "
            "the learner with feedback."
        )
    mappings = list(evidence.mappings.select_related("criterion__unit"))
    before = {m.criterion_id: m.criterion for m in mappings}
    added = set(wanted) - set(before)
    removed = set(before) - set(wanted)
    if shown is not None and set(shown) != set(before) and (added or removed):
        raise AssessmentError(
            "Someone changed this mapping since you opened the page; it shows the mapping as it "
            "is now. Tick the criteria again."
        )

    unit_ids = set(registration.unit_choices.values_list("unit_id", flat=True))
    outside = [wanted[pk] for pk in added if wanted[pk].unit_id not in unit_ids]
    if outside:
        raise AssessmentError(f"Not in the units this learner takes: {_labels(outside)}.")
    try:
        check_evidence_setting(evidence, [wanted[pk] for pk in added])
    except EvidenceError as error:
        raise AssessmentError(str(error)) from error
    changed = [wanted[pk] for pk in added] + [before[pk] for pk in removed]
    signed_off = set(
        UnitSignOff.objects.active()
        .filter(registration=registration, unit_id__in={c.unit_id for c in changed})
        .values_list("unit_id", flat=True)
    )
    locked = [c for c in changed if c.unit_id in signed_off]
    if locked:
        raise AssessmentError(
            f"Signed-off units are locked, so their mapping cannot change: {_labels(locked)}."
        )
    # Any decision citing this evidence, even a superseded one: the log must keep making sense.
    cited = set(
        Decision.objects.filter(
            registration=registration, criterion_id__in=removed, evidence=evidence
        ).values_list("criterion_id", flat=True)
    )
    if cited:
        raise AssessmentError(
            f"A decision already rests on this evidence for {_labels(before[pk] for pk in cited)}"
            ", so it stays mapped. Correct the decision instead."
        )

    # Removing a criterion may leave the evidence assessed (below, after the audit event).
    lock_progress(registration)
    now = timezone.now()
    evidence.mappings.filter(criterion_id__in=removed).delete()
    EvidenceCriterion.objects.bulk_create(
        [
            EvidenceCriterion(
                evidence=evidence,
                criterion_id=pk,
                proposed_by=assessor,
                proposed_at=now,
                confirmed_by=assessor,
                confirmed_at=now,
            )
            for pk in sorted(added)
        ]
    )
    # Confirmed once: a second confirmation keeps the first assessor's name and time.
    evidence.mappings.filter(confirmed_by__isnull=True).update(
        confirmed_by=assessor, confirmed_at=now
    )
    record_event(
        actor=assessor,
        action="evidence.mapping_changed" if added or removed else "evidence.mapping_confirmed",
        target=evidence,
        centre_id=registration.centre_id,
        data={
            "before": sorted(before),
            "after": sorted(wanted),
            "added": sorted(added),
            "removed": sorted(removed),
        },
    )
    # Removing the last undecided criterion leaves the evidence fully judged.
    mark_assessed_when_complete(assessor, [evidence])
    return added, removed
