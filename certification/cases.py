"""The services of cases: raise one, decide it, take an appeal on, send a case to the awarding
body and record its outcome, withdraw it, add a document. Each checks its rule, refuses with
the rule and its source, changes state through CASE_LIFECYCLE and writes its audit event in the
same transaction. An open appeal, special consideration or malpractice case holds the claim
(a ClaimHold naming the case); closing the case releases it.
"""

from __future__ import annotations

import datetime

import rules
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from certification.models import (
    CASE_LIFECYCLE,
    HOLDING_KINDS,
    OUTCOMES,
    Case,
    CaseDocument,
    CaseError,
    CaseKind,
    CaseOutcome,
    CasePolicy,
    CaseStage,
    CaseStatus,
    CaseStep,
    CaseStepAction,
    ClaimHold,
)
from certification.rules import may_manage_claims
from core.audit import record_event
from core.storage import storage_name
from portfolios.evidence import max_upload_bytes, upload_sha256, upload_type
from portfolios.models import Registration, RegistrationUnit
from qualifications.models import Unit

# The sources the refusals name (seed 003, the Pearson BTEC specification, by section and line).
APPEALS = "Pearson BTEC specification, 'Appeals against assessment' (l.486)"
SPECIAL = "Pearson BTEC specification, 'Special consideration' (l.478)"
MALPRACTICE = "Pearson BTEC specification, 'Learner malpractice' (l.506-508)"
ADJUSTMENTS = "Pearson BTEC specification, 'Reasonable adjustments to assessments' (l.464)"
POLICY = "the centre's case policy"

# What a learner may raise themselves; the rest the centre's staff raise.
LEARNER_KINDS = frozenset(
    {CaseKind.APPEAL, CaseKind.REASONABLE_ADJUSTMENT, CaseKind.SPECIAL_CONSIDERATION}
)


def policy_for(centre_id: int) -> CasePolicy:
    """The centre's policy, or the defaults (unsaved) where it has set none."""
    return CasePolicy.objects.filter(centre_id=centre_id).first() or CasePolicy(centre_id=centre_id)


def _today() -> datetime.date:
    return timezone.localdate()


def _due(days: int) -> datetime.date:
    return _today() + datetime.timedelta(days=days)


def _lock_registration(registration_id: int) -> None:
    # As adding to a claim takes it: a hold and a claim line never slip past each other.
    Registration.objects.select_for_update(of=("self",)).filter(pk=registration_id).first()


def _locked(case: Case) -> Case:
    """The case, its registration and its open holds, locked before any audit event is written
    (the event holds the audit chain's head to the commit: core.audit.record_event)."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("registration", "registration__learner")
        .get(pk=case.pk)
    )
    _lock_registration(case.registration_id)
    list(case.holds.select_for_update(of=("self",)).filter(released_at__isnull=True))
    return case


def _step(case: Case, actor: User, action: str, *, note: str = "", outcome: str = "") -> None:
    CaseStep.objects.create(
        case=case,
        action=action,
        stage=case.stage,
        outcome=outcome,
        note=note,
        ab_reference=case.ab_reference,
        by=actor,
        at=timezone.now(),
    )


def _hold(case: Case, actor: User) -> None:
    """Hold the claim while the case is live (the caller holds the registration's lock)."""
    if case.kind not in HOLDING_KINDS or case.holds.filter(released_at__isnull=True).exists():
        return
    hold = ClaimHold.objects.create(
        registration_id=case.registration_id,
        unit_id=case.unit_id,
        kind=case.kind,
        reason=f"{case.title}, {case.where_it_stands()}",
        opened_by=actor,
        case=case,
    )
    record_event(
        actor=actor,
        action="claim.hold_opened",
        target=hold,
        centre_id=case.registration.centre_id,
        data={"registration": case.registration_id, "kind": case.kind, "case": case.pk},
    )


def _release(case: Case, actor: User) -> None:
    note = f"{case.title} {case.where_it_stands()}."
    # Locked by _locked before the case's own event.
    for hold in case.holds.filter(released_at__isnull=True):
        hold.released_at = timezone.now()
        hold.released_by = actor
        hold.release_note = note
        hold.save(update_fields=["released_at", "released_by", "release_note"])
        record_event(
            actor=actor,
            action="claim.hold_released",
            target=hold,
            centre_id=case.registration.centre_id,
            data={"note": note, "case": case.pk},
        )


def _require_note(note: str, what: str) -> str:
    if not note.strip():
        raise CaseError(f"Say {what}.")
    return note.strip()


# ---------------------------------------------------------------- raising


def raise_case(
    *,
    actor: User,
    registration: Registration,
    kind: str,
    details: str,
    unit: Unit | None = None,
) -> Case:
    if not rules.test_rule("certification.raise_case", actor, registration):
        raise CaseError(
            f"{POLICY}: a case is raised by the learner, an assessor of theirs, or the centre's "
            "internal verifiers and admins."
        )
    is_learner = registration.learner_id == actor.pk
    if is_learner and kind not in LEARNER_KINDS:
        raise CaseError(
            f"{MALPRACTICE}: the head of centre reports suspected malpractice; a learner "
            "cannot open a malpractice case."
        )
    details = _require_note(details, "what the case is about")
    if (
        unit is not None
        and not RegistrationUnit.objects.filter(registration=registration, unit=unit).exists()
    ):
        raise CaseError(f"Unit {unit.reference or unit.key} is not one of the learner's units.")
    policy = policy_for(registration.centre_id)
    if kind == CaseKind.APPEAL:
        # "The first step ... is a consideration of the evidence by a Lead Internal Verifier".
        stage, due = CaseStage.LEAD_IV, _due(policy.lead_iv_days)
    else:
        stage, due = CaseStage.CENTRE, _due(policy.centre_days)
    with transaction.atomic():
        _lock_registration(registration.pk)
        case = Case.objects.create(
            registration=registration,
            unit=unit,
            kind=kind,
            stage=stage,
            details=details,
            raised_by=actor,
            raised_at=timezone.now(),
            due_on=due,
        )
        _step(case, actor, CaseStepAction.RAISED, note=details)
        record_event(
            actor=actor,
            action="case.raised",
            target=case,
            centre_id=registration.centre_id,
            data={
                "registration": registration.pk,
                "unit": unit.pk if unit else None,
                "kind": kind,
                "stage": stage,
                "due_on": due.isoformat(),
            },
        )
        _hold(case, actor)
    return case


# ---------------------------------------------------------------- deciding at the centre


def may_decide(actor: User, case: Case) -> bool:
    """Whether `actor` decides the case at the stage it stands at (pages offer the form)."""
    if case.status != CaseStatus.OPEN or case.kind in (
        CaseKind.SPECIAL_CONSIDERATION,
        CaseKind.MALPRACTICE,
    ):
        return False
    if case.stage == CaseStage.LEAD_IV:
        return (
            rules.test_rule("certification.decide_first_stage", actor, case)
            and not case.registration.assessors.filter(pk=actor.pk).exists()
        )
    if case.kind == CaseKind.REASONABLE_ADJUSTMENT:
        return rules.test_rule("certification.decide_first_stage", actor, case) or (
            rules.test_rule("certification.act_for_centre", actor, case)
        )
    return rules.test_rule("certification.act_for_centre", actor, case)


def decide(*, actor: User, case: Case, outcome: str, note: str) -> Case:
    with transaction.atomic():
        case = _locked(case)
        if case.status != CaseStatus.OPEN:
            raise CaseError(
                f"{case.title} is {case.where_it_stands()}: there is nothing to decide."
            )
        if case.kind == CaseKind.SPECIAL_CONSIDERATION:
            raise CaseError(
                f"{SPECIAL}: centres cannot apply their own special consideration; send the "
                "application to the awarding body and record its outcome."
            )
        if case.kind == CaseKind.MALPRACTICE:
            raise CaseError(
                f"{MALPRACTICE}: sanctions for learner malpractice are the awarding body's to "
                "determine; report the case to it and record its outcome."
            )
        if case.stage == CaseStage.LEAD_IV:
            policy = policy_for(case.registration.centre_id)
            if not rules.test_rule("certification.decide_first_stage", actor, case):
                raise CaseError(
                    f"{APPEALS}: the first step of an appeal is a consideration of the evidence "
                    "by a Lead Internal Verifier; the centre's internal verifiers decide it."
                )
            if case.registration.assessors.filter(pk=actor.pk).exists():
                # An IV never verifies their own assessment decisions: not in an appeal either.
                raise CaseError(
                    f"{APPEALS}: the appeal asks for a fresh consideration of the evidence; you "
                    "assess this learner, so another internal verifier considers it."
                )
            if policy.lead_iv_id is not None and policy.lead_iv_id != actor.pk:
                raise CaseError(
                    f"{APPEALS} and {POLICY}: the policy names "
                    f"{policy.lead_iv.get_full_name() if policy.lead_iv else 'another'} as "
                    "the lead internal verifier, who takes the first stage."
                )
        elif not may_decide(actor, case):
            raise CaseError(
                f"{POLICY}: at the head of centre's stage the centre's admins decide"
                + (
                    "; an adjustment its internal verifiers may approve too."
                    if case.kind == CaseKind.REASONABLE_ADJUSTMENT
                    else "."
                )
            )
        if case.raised_by_id == actor.pk:
            raise CaseError(f"{APPEALS}: a case is considered by someone other than who raised it.")
        if outcome not in OUTCOMES[case.kind]:
            choices = ", ".join(str(CaseOutcome(o).label).lower() for o in OUTCOMES[case.kind])
            raise CaseError(f"A {case.get_kind_display().lower()} is decided: {choices}.")
        note = _require_note(note, "why it was decided so")
        now = timezone.now()
        case.outcome, case.decision, case.decided_by, case.decided_at = outcome, note, actor, now
        fields = ["outcome", "decision", "decided_by", "decided_at", "due_on"]
        # An appeal not upheld may be taken on within the policy's time; nothing else waits.
        case.due_on = (
            _due(policy_for(case.registration.centre_id).escalation_days)
            if case.kind == CaseKind.APPEAL and outcome == CaseOutcome.NOT_UPHELD
            else None
        )
        CASE_LIFECYCLE.move(
            case,
            CaseStatus.DECIDED,
            actor=actor,
            action="case.decided",
            centre_id=case.registration.centre_id,
            data={"stage": case.stage, "outcome": outcome, "note": note},
            update_fields=fields,
            before_event=lambda: _step(
                case, actor, CaseStepAction.DECIDED, note=note, outcome=outcome
            ),
        )
        _release(case, actor)
    return case


# ---------------------------------------------------------------- taking an appeal on


def may_escalate(actor: User, case: Case) -> bool:
    return (
        case.kind == CaseKind.APPEAL
        and case.status == CaseStatus.DECIDED
        and case.stage == CaseStage.LEAD_IV
        and rules.test_rule("certification.pursue_case", actor, case)
    )


def escalate(*, actor: User, case: Case, note: str) -> Case:
    """Take an appeal decided by the lead IV to the centre's next stage (the head of centre)."""
    with transaction.atomic():
        case = _locked(case)
        if case.kind != CaseKind.APPEAL:
            raise CaseError(f"{APPEALS}: only an appeal is taken to a further stage.")
        if not rules.test_rule("certification.pursue_case", actor, case):
            raise CaseError(
                f"{POLICY}: the learner takes their appeal further, or a centre admin on "
                "their behalf."
            )
        if case.status != CaseStatus.DECIDED or case.stage != CaseStage.LEAD_IV:
            raise CaseError(
                f"{case.title} is {case.where_it_stands()}: only an appeal decided at the "
                "lead IV's stage goes on to the head of centre."
            )
        policy = policy_for(case.registration.centre_id)
        if case.due_on is not None and _today() > case.due_on:
            raise CaseError(
                f"{POLICY}: an appeal is taken further within {policy.escalation_days} days of "
                f"the decision; that time ended on {case.due_on:%-d %B %Y}."
            )
        note = _require_note(note, "why the appeal goes further")
        case.stage, case.due_on = CaseStage.CENTRE, _due(policy.centre_days)
        CASE_LIFECYCLE.move(
            case,
            CaseStatus.OPEN,
            actor=actor,
            action="case.escalated",
            centre_id=case.registration.centre_id,
            data={"stage": case.stage, "note": note, "due_on": case.due_on.isoformat()},
            update_fields=["stage", "due_on"],
            before_event=lambda: _step(case, actor, CaseStepAction.ESCALATED, note=note),
        )
        _hold(case, actor)
    return case


# ---------------------------------------------------------------- the awarding body


def may_refer(actor: User, case: Case) -> bool:
    if not rules.test_rule("certification.act_for_centre", actor, case):
        return False
    if case.kind == CaseKind.APPEAL:
        return case.status == CaseStatus.DECIDED and case.stage == CaseStage.CENTRE
    return case.status == CaseStatus.OPEN


def refer(*, actor: User, case: Case, reference: str, note: str) -> Case:
    """Send the case to the awarding body under its reference (special consideration and
    malpractice must go; an adjustment may, for its advice; an appeal after the centre's
    stages)."""
    with transaction.atomic():
        case = _locked(case)
        if not rules.test_rule("certification.act_for_centre", actor, case):
            raise CaseError(
                f"{MALPRACTICE}: the head of centre deals with the awarding body; the centre's "
                "admins send cases to it."
            )
        if case.kind == CaseKind.APPEAL and not (
            case.status == CaseStatus.DECIDED and case.stage == CaseStage.CENTRE
        ):
            raise CaseError(
                f"{APPEALS}: an appeal goes to the awarding body only after the centre's own "
                "stages (the lead IV's, then the head of centre's) have decided it."
            )
        if case.kind != CaseKind.APPEAL and case.status != CaseStatus.OPEN:
            raise CaseError(f"{case.title} is {case.where_it_stands()}: it cannot be sent on.")
        reference = reference.strip()
        if not reference:
            raise CaseError("Type the awarding body's reference for the case.")
        note = _require_note(note, "what was sent to the awarding body")
        case.stage, case.ab_reference, case.due_on = CaseStage.AWARDING_BODY, reference, None
        CASE_LIFECYCLE.move(
            case,
            CaseStatus.WITH_AWARDING_BODY,
            actor=actor,
            action="case.referred",
            centre_id=case.registration.centre_id,
            data={"reference": reference, "note": note},
            update_fields=["stage", "ab_reference", "due_on"],
            before_event=lambda: _step(case, actor, CaseStepAction.REFERRED, note=note),
        )
        _hold(case, actor)
    return case


def record_awarding_body_outcome(*, actor: User, case: Case, outcome: str, note: str) -> Case:
    with transaction.atomic():
        case = _locked(case)
        if not rules.test_rule("certification.act_for_centre", actor, case):
            raise CaseError(
                f"{SPECIAL}: the centre's admins record what the awarding body decided."
            )
        if case.status != CaseStatus.WITH_AWARDING_BODY:
            raise CaseError(
                f"{case.title} is {case.where_it_stands()}: only a case sent to the awarding "
                "body has its outcome recorded."
            )
        if outcome not in OUTCOMES[case.kind]:
            choices = ", ".join(str(CaseOutcome(o).label).lower() for o in OUTCOMES[case.kind])
            raise CaseError(f"A {case.get_kind_display().lower()} is decided: {choices}.")
        note = _require_note(note, "what the awarding body decided")
        now = timezone.now()
        case.outcome, case.decision, case.decided_by, case.decided_at = outcome, note, actor, now
        CASE_LIFECYCLE.move(
            case,
            CaseStatus.DECIDED,
            actor=actor,
            action="case.awarding_body_outcome",
            centre_id=case.registration.centre_id,
            data={"reference": case.ab_reference, "outcome": outcome, "note": note},
            update_fields=["outcome", "decision", "decided_by", "decided_at"],
            before_event=lambda: _step(
                case, actor, CaseStepAction.AWARDING_BODY_OUTCOME, note=note, outcome=outcome
            ),
        )
        _release(case, actor)
    return case


# ---------------------------------------------------------------- withdrawing


def withdraw(*, actor: User, case: Case, note: str) -> Case:
    with transaction.atomic():
        case = _locked(case)
        if not rules.test_rule("certification.pursue_case", actor, case):
            raise CaseError(
                f"{POLICY}: a case is withdrawn by the learner it concerns or a centre admin."
            )
        if not case.is_live:
            raise CaseError(f"{case.title} is {case.where_it_stands()}: it cannot be withdrawn.")
        note = _require_note(note, "why the case is withdrawn")
        CASE_LIFECYCLE.move(
            case,
            CaseStatus.WITHDRAWN,
            actor=actor,
            action="case.withdrawn",
            centre_id=case.registration.centre_id,
            data={"note": note},
            before_event=lambda: _step(case, actor, CaseStepAction.WITHDRAWN, note=note),
        )
        _release(case, actor)
    return case


# ---------------------------------------------------------------- documents


def add_document(*, actor: User, case: Case, upload: UploadedFile) -> CaseDocument:
    """Check, hash and store one document, typed from its content as evidence is."""
    if not rules.test_rule("certification.add_case_document", actor, case):
        raise CaseError(
            "Documents are added by the learner, their assessor, or the centre's internal "
            "verifiers and admins; an external quality assurer reads them."
        )
    name = (upload.name or "document")[-255:]
    if not upload.size:
        raise CaseError(f"{name} is empty: nothing was uploaded.")
    limit = max_upload_bytes()
    if upload.size > limit:
        raise CaseError(f"{name} is larger than the {limit // 1_048_576} MB a file may be.")
    content_type = upload_type(upload)
    if content_type is None:
        raise CaseError(
            f"{name} is not a type of file a case accepts: upload documents (PDF, Word, "
            "OpenDocument, text) or images."
        )
    digest = upload_sha256(upload)
    with transaction.atomic():
        case = _locked(case)
        document = CaseDocument(
            case=case,
            original_name=name,
            content_type=content_type,
            size=upload.size,
            sha256=digest,
            uploaded_by=actor,
            uploaded_at=timezone.now(),
        )
        document.file.save("upload", upload, save=False)
        stored = storage_name(document.file)
        try:
            with transaction.atomic():
                document.save()
                record_event(
                    actor=actor,
                    action="case.document_added",
                    target=case,
                    centre_id=case.registration.centre_id,
                    data={"document": document.pk, "sha256": digest, "type": content_type},
                )
        except IntegrityError as exc:
            document.file.storage.delete(stored)
            raise CaseError(f"{name} is already a document of this case.") from exc
        except BaseException:
            document.file.storage.delete(stored)
            raise
    return document


# ---------------------------------------------------------------- the centre's policy


def set_policy(
    *,
    actor: User,
    centre_id: int,
    lead_iv: User | None,
    lead_iv_days: int,
    centre_days: int,
    escalation_days: int,
) -> CasePolicy:
    if not may_manage_claims(actor, centre_id):
        raise CaseError(f"{APPEALS}: the centre's policy is set by its admins.")
    if (
        lead_iv is not None
        and not lead_iv.memberships.filter(
            centre_id=centre_id, role=Role.INTERNAL_VERIFIER
        ).exists()
    ):
        raise CaseError(f"{lead_iv.get_full_name()} is not an internal verifier of the centre.")
    with transaction.atomic():
        policy, _ = CasePolicy.objects.select_for_update().get_or_create(centre_id=centre_id)
        policy.lead_iv = lead_iv
        policy.lead_iv_days, policy.centre_days = lead_iv_days, centre_days
        policy.escalation_days = escalation_days
        policy.save()
        record_event(
            actor=actor,
            action="case.policy_set",
            target=policy,
            centre_id=centre_id,
            data={
                "lead_iv": lead_iv.pk if lead_iv else None,
                "lead_iv_days": lead_iv_days,
                "centre_days": centre_days,
                "escalation_days": escalation_days,
            },
        )
    return policy
