"""Bulk rows for the scale seed: thousands of learners as the services would leave them.

`manage.py seed_scale` builds the people and portfolios it measures through the services
(demo/scale.py). The bulk behind them (10,000 registrations ready to claim, and the
platform's 20,000 learners and million decisions) would take hours that way, so it is written
here in batches by core.bulk.RowWriter: COPY on PostgreSQL, bulk_create elsewhere. Every row is
what the service would have written (the same fields, the same content hashes, computed by the
services' own hash functions), and every state change has its audit event, chained by
core.audit.copy_events.

Ids are reserved from each table's sequence before the rows are built, so rows that point at
each other (a decision at its evidence) are written without reading anything back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import LearnerProfile, Membership, Role, User
from assessments.basis import AUTHENTICITY_STATEMENT
from assessments.models import Decision, UnitSignOff
from core.audit import bulk_event as event
from core.audit import copy_events
from core.bulk import RowWriter
from core.models import AuditEvent
from portfolios.evidence import content_hash
from portfolios.models import (
    Declaration,
    Evidence,
    EvidenceContext,
    EvidenceCriterion,
    EvidenceFile,
    EvidenceMethod,
    EvidenceStatus,
    Registration,
    RegistrationStatus,
    RegistrationUnit,
)
from verification.models import SampleStage
from verification.models.sample import (
    Sample,
    SampleOutcome,
    SampleOutcomeKind,
    SampleState,
    VerifierSignOff,
)
from verification.samples import hash_of

# ---------------------------------------------------------------- portfolios in bulk


@dataclass(frozen=True)
class CriterionRow:
    pk: int
    unit_id: int
    unit_key: str
    number: str
    position: int


@dataclass(frozen=True)
class UnitPlan:
    """One unit of a bulk portfolio: its criteria and how far the learner has got."""

    unit_id: int
    unit_key: str
    criteria: tuple[CriterionRow, ...]
    decided: int  # the first `decided` criteria are judged met
    signed_off: bool = False


@dataclass
class Learner:
    """One bulk learner: who, where, on what, and how far."""

    email: str
    full_name: str
    uln: str
    born: date
    employer: str
    awarding_body_number: str
    start_date: date
    units: list[UnitPlan]
    complete: bool = False  # every unit signed off, registration complete, IV signed off
    ids: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Staff:
    centre_id: int
    qualification_id: int
    qualification_number: str
    admin_id: int
    assessor_id: int
    assessor_name: str
    verifier_id: int
    password_hash: str
    file_name: str  # one stored file, shared by every bulk evidence record (the same bytes)
    file_size: int
    file_sha256: str
    # The assessor's authenticity declaration for this qualification's awarding body (Pearson's
    # words, or Ascentis's own: assessments.basis.authenticity_statement), as sign_off_unit keeps.
    declaration: str = AUTHENTICITY_STATEMENT


FEEDBACK = "Your workbook answer and your example from work meet this criterion."
WORKBOOK = "Answers to the unit workbook, with examples from my own work."
DECLARATION = (
    "I confirm that this evidence is my own work, that it was produced as described, and "
    "that I have not copied it from anyone else."
)


def _sha(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def write_learners(writer: RowWriter, staff: Staff, learners: Sequence[Learner]) -> dict[str, int]:
    """Every row and audit event for `learners` (one batch), as the services would leave them:
    person, learner role and profile, registration with its units and staff, one workbook per
    unit begun (file, mapping, declaration), met decisions resting on it, and for complete ones
    the unit sign-offs, the completion, the IV's agreed summative sample and sign-off."""
    now = timezone.now()
    today = timezone.localdate()
    n = len(learners)
    begun = [[u for u in learner.units if u.decided or u.signed_off] for learner in learners]
    evidence_count = sum(len(b) for b in begun)
    mapping_count = sum(len(u.criteria) for b in begun for u in b)
    decision_count = sum(u.decided for b in begun for u in b)
    signoff_count = sum(1 for b in begun for u in b if u.signed_off)
    complete_count = sum(1 for learner in learners if learner.complete)
    unit_count = sum(len(learner.units) for learner in learners)

    ids = {
        "user": writer.reserve(User, n),
        "membership": writer.reserve(Membership, n),
        "profile": writer.reserve(LearnerProfile, n),
        "registration": writer.reserve(Registration, n),
        "registration_unit": writer.reserve(RegistrationUnit, unit_count),
        "assessors": writer.reserve(Registration.assessors.through, n),
        "evidence": writer.reserve(Evidence, evidence_count),
        "file": writer.reserve(EvidenceFile, evidence_count),
        "mapping": writer.reserve(EvidenceCriterion, mapping_count),
        "declaration": writer.reserve(Declaration, evidence_count),
        "decision": writer.reserve(Decision, decision_count),
        "decision_evidence": writer.reserve(Decision.evidence.through, decision_count),
        "signoff": writer.reserve(UnitSignOff, signoff_count),
        "sample": writer.reserve(Sample, complete_count),
        "outcome": writer.reserve(SampleOutcome, complete_count),
        "iv_signoff": writer.reserve(VerifierSignOff, complete_count),
    }
    counter = dict(ids)

    def take(kind: str) -> int:
        value = counter[kind]
        counter[kind] += 1
        return value

    rows: dict[str, list[tuple]] = {kind: [] for kind in ids}
    events: list[AuditEvent] = []
    admin, assessor, verifier, centre = (
        staff.admin_id,
        staff.assessor_id,
        staff.verifier_id,
        staff.centre_id,
    )

    for learner, units in zip(learners, begun, strict=True):
        user, membership, profile, registration = (
            take("user"),
            take("membership"),
            take("profile"),
            take("registration"),
        )
        learner.ids = {"user": user, "registration": registration}
        status = RegistrationStatus.COMPLETE if learner.complete else RegistrationStatus.ACTIVE
        rows["user"].append((user, learner.email, learner.full_name, staff.password_hash, now))
        events.append(event(admin, "person.created", User, user, centre, {}, now))
        rows["membership"].append((membership, user, centre, Role.LEARNER.value, None, True, now))
        events.append(
            event(
                admin,
                "role.granted",
                Membership,
                membership,
                centre,
                {
                    "user": user,
                    "role": Role.LEARNER.value,
                    "expires_on": None,
                    "qualifications": [],
                },
                now,
            )
        )
        rows["profile"].append((profile, user, centre, learner.uln, learner.born, learner.employer))
        events.append(
            event(
                admin,
                "learner_profile.updated",
                LearnerProfile,
                profile,
                centre,
                {"user": user, "fields": ["date_of_birth", "employer", "uln"]},
                now,
            )
        )
        rows["registration"].append(
            (
                registration,
                user,
                centre,
                staff.qualification_id,
                learner.awarding_body_number,
                learner.start_date,
                learner.start_date + timedelta(days=365),
                status,
                verifier,
                now,
                now,
            )
        )
        for unit in learner.units:
            rows["registration_unit"].append(
                (take("registration_unit"), registration, unit.unit_id, now)
            )
        rows["assessors"].append((take("assessors"), registration, assessor))
        events.append(
            event(
                admin,
                "registration.created",
                Registration,
                registration,
                centre,
                {
                    "learner": user,
                    "qualification": staff.qualification_number,
                    "units": sorted(u.unit_key for u in learner.units),
                },
                now,
            )
        )
        events.append(
            event(
                admin,
                "registration.staff_assigned",
                Registration,
                registration,
                centre,
                {"assessors": [assessor], "internal_verifier": verifier},
                now,
            )
        )
        done_on = min(learner.start_date + timedelta(days=28), today)
        snapshot_decisions: list[tuple[tuple, dict[str, Any]]] = []
        for unit in units:
            evidence = take("evidence")
            file_id = take("file")
            decided = unit.criteria[: unit.decided]
            assessed = unit.decided == len(unit.criteria)
            title = f"Workbook and workplace examples: unit {unit.unit_key}"
            rows["evidence"].append(
                (
                    evidence,
                    registration,
                    title,
                    WORKBOOK,
                    done_on,
                    EvidenceMethod.PRODUCT.value,
                    EvidenceContext.REAL_WORK_PAID.value,
                    EvidenceStatus.ASSESSED.value if assessed else EvidenceStatus.SUBMITTED.value,
                    1,
                    user,
                    now,
                    now,
                )
            )
            rows["file"].append(
                (
                    file_id,
                    evidence,
                    staff.file_name,
                    "workbook.pdf",
                    "application/pdf",
                    staff.file_size,
                    staff.file_sha256,
                    user,
                    now,
                )
            )
            for criterion in unit.criteria:
                rows["mapping"].append((take("mapping"), evidence, criterion.pk, user, now))
            # portfolios.evidence.submission_content, built from what is written here.
            signed = {
                "evidence": evidence,
                "version": 1,
                "registration": registration,
                "title": title,
                "description": WORKBOOK,
                "evidence_date": done_on.isoformat(),
                "method": EvidenceMethod.PRODUCT.value,
                "context": EvidenceContext.REAL_WORK_PAID.value,
                "files": [
                    {"name": "workbook.pdf", "sha256": staff.file_sha256, "size": staff.file_size}
                ],
                "criteria": sorted(f"{c.unit_key} {c.number}" for c in unit.criteria),
            }
            declaration = take("declaration")
            digest = content_hash(signed)
            rows["declaration"].append(
                (declaration, evidence, user, learner.full_name, DECLARATION, now, digest)
            )
            events += [
                event(
                    user,
                    "evidence.created",
                    Evidence,
                    evidence,
                    centre,
                    {"registration": registration, "title": title},
                    now,
                ),
                event(
                    user,
                    "evidence.file_added",
                    Evidence,
                    evidence,
                    centre,
                    {
                        "file": file_id,
                        "sha256": staff.file_sha256,
                        "type": "application/pdf",
                        "size": staff.file_size,
                    },
                    now,
                ),
                event(
                    user,
                    "evidence.mapped",
                    Evidence,
                    evidence,
                    centre,
                    {"added": sorted(c.pk for c in unit.criteria), "removed": []},
                    now,
                ),
                event(
                    user,
                    "evidence.submitted",
                    Evidence,
                    evidence,
                    centre,
                    {"declaration": declaration, "content_hash": digest},
                    now,
                ),
            ]
            unit_decisions = []
            for criterion in decided:
                decision = take("decision")
                unit_decisions.append((decision, criterion))
                rows["decision"].append(
                    (
                        decision,
                        registration,
                        criterion.pk,
                        "met",
                        FEEDBACK,
                        EvidenceMethod.PRODUCT.value,
                        done_on,
                        assessor,
                        now,
                        None,
                        "",
                    )
                )
                rows["decision_evidence"].append((take("decision_evidence"), decision, evidence))
                events.append(
                    event(
                        assessor,
                        "decision.recorded",
                        Decision,
                        decision,
                        centre,
                        {
                            "registration": registration,
                            "criterion": criterion.pk,
                            "outcome": "met",
                            "supersedes": None,
                            "reason": "",
                            "evidence": [evidence],
                        },
                        now,
                    )
                )
                snapshot_decisions.append(
                    (
                        (criterion.unit_key, criterion.position, decision),
                        {
                            "id": decision,
                            "criterion": criterion.pk,
                            "unit": criterion.unit_key,
                            "number": criterion.number,
                            "outcome": "met",
                            "feedback": FEEDBACK,
                            "method": EvidenceMethod.PRODUCT.value,
                            "assessed_on": done_on.isoformat(),
                            "assessor": assessor,
                            "assessor_name": staff.assessor_name,
                            "supersedes": None,
                            "reason": "",
                            "evidence": [
                                {
                                    "id": evidence,
                                    "title": title,
                                    "version": 1,
                                    "files": [
                                        {
                                            "name": "workbook.pdf",
                                            "sha256": staff.file_sha256,
                                            "size": staff.file_size,
                                        }
                                    ],
                                }
                            ],
                        },
                    )
                )
            if assessed:
                events.append(
                    event(
                        assessor,
                        "evidence.assessed",
                        Evidence,
                        evidence,
                        centre,
                        {"criteria": sorted(c.pk for c in unit.criteria)},
                        now,
                    )
                )
            if unit.signed_off:
                # assessments.services._signed_content
                content = {
                    "registration": registration,
                    "unit": unit.unit_key,
                    "decisions": sorted([d, c.pk, "met"] for d, c in unit_decisions),
                    "declaration": staff.declaration,
                }
                signoff = take("signoff")
                digest = _sha(content)
                rows["signoff"].append(
                    (
                        signoff,
                        registration,
                        unit.unit_id,
                        assessor,
                        now,
                        digest,
                        None,
                        None,
                        "",
                        staff.declaration,
                    )
                )
                events.append(
                    event(
                        assessor,
                        "unit.signed_off",
                        UnitSignOff,
                        signoff,
                        centre,
                        {
                            "unit": unit.unit_key,
                            "content_hash": digest,
                            "declaration": staff.declaration,
                        },
                        now,
                    )
                )
        if learner.complete:
            events.append(
                event(
                    assessor,
                    "registration.status_changed",
                    Registration,
                    registration,
                    centre,
                    {
                        "from": RegistrationStatus.ACTIVE.value,
                        "to": RegistrationStatus.COMPLETE.value,
                        "reason": "The signed-off units satisfy the rules of combination.",
                    },
                    now,
                )
            )
            # verification.samples.snapshot_of, in sampled_decisions' order.
            ordered = [d for _, d in sorted(snapshot_decisions, key=lambda pair: pair[0])]
            snapshot = {"registration": registration, "unit": None, "decisions": ordered}
            digest = hash_of(snapshot)
            sample, outcome, iv_signoff = take("sample"), take("outcome"), take("iv_signoff")
            rows["sample"].append(
                (
                    sample,
                    None,
                    registration,
                    None,
                    SampleStage.SUMMATIVE.value,
                    verifier,
                    now,
                    snapshot,
                    digest,
                    SampleState.AGREED.value,
                )
            )
            feedback = "Judgements sound and the evidence is valid, authentic and sufficient."
            rows["outcome"].append(
                (
                    outcome,
                    sample,
                    SampleOutcomeKind.AGREED.value,
                    "",
                    None,
                    feedback,
                    snapshot,
                    digest,
                    verifier,
                    now,
                )
            )
            rows["iv_signoff"].append(
                (iv_signoff, registration, None, sample, verifier, now, digest, None, "")
            )
            events += [
                event(
                    verifier,
                    "sample.started",
                    Sample,
                    sample,
                    centre,
                    {
                        "registration": registration,
                        "unit": None,
                        "stage": SampleStage.SUMMATIVE.value,
                        "planned_sample": None,
                        "decisions": [d["id"] for d in ordered],
                        "snapshot_hash": digest,
                    },
                    now,
                ),
                event(
                    verifier,
                    "sample.agreed",
                    Sample,
                    sample,
                    centre,
                    {"outcome": outcome, "snapshot_hash": digest, "feedback": feedback},
                    now,
                ),
                event(
                    verifier,
                    "verification.signed_off",
                    VerifierSignOff,
                    iv_signoff,
                    centre,
                    {
                        "registration": registration,
                        "unit": None,
                        "sample": sample,
                        "content_hash": digest,
                    },
                    now,
                ),
            ]

    tables = (
        ("user", User, ("id", "email", "full_name", "password", "date_joined")),
        (
            "membership",
            Membership,
            ("id", "user_id", "centre_id", "role", "expires_on", "is_active", "created_at"),
        ),
        (
            "profile",
            LearnerProfile,
            ("id", "user_id", "centre_id", "uln", "date_of_birth", "employer"),
        ),
        (
            "registration",
            Registration,
            (
                "id",
                "learner_id",
                "centre_id",
                "qualification_id",
                "awarding_body_number",
                "start_date",
                "planned_end_date",
                "status",
                "internal_verifier_id",
                "created_at",
                "updated_at",
            ),
        ),
        ("registration_unit", RegistrationUnit, ("id", "registration_id", "unit_id", "chosen_at")),
        ("assessors", Registration.assessors.through, ("id", "registration_id", "user_id")),
        (
            "evidence",
            Evidence,
            (
                "id",
                "registration_id",
                "title",
                "description",
                "evidence_date",
                "method",
                "context",
                "status",
                "version",
                "created_by_id",
                "created_at",
                "submitted_at",
            ),
        ),
        (
            "file",
            EvidenceFile,
            (
                "id",
                "evidence_id",
                "file",
                "original_name",
                "content_type",
                "size",
                "sha256",
                "uploaded_by_id",
                "uploaded_at",
            ),
        ),
        (
            "mapping",
            EvidenceCriterion,
            ("id", "evidence_id", "criterion_id", "proposed_by_id", "proposed_at"),
        ),
        (
            "declaration",
            Declaration,
            (
                "id",
                "evidence_id",
                "signed_by_id",
                "typed_name",
                "statement",
                "signed_at",
                "content_hash",
            ),
        ),
        (
            "decision",
            Decision,
            (
                "id",
                "registration_id",
                "criterion_id",
                "outcome",
                "feedback",
                "method",
                "assessed_on",
                "assessor_id",
                "decided_at",
                "supersedes_id",
                "reason",
            ),
        ),
        ("decision_evidence", Decision.evidence.through, ("id", "decision_id", "evidence_id")),
        (
            "signoff",
            UnitSignOff,
            (
                "id",
                "registration_id",
                "unit_id",
                "signed_by_id",
                "signed_at",
                "content_hash",
                "unlocked_at",
                "unlocked_by_id",
                "unlock_reason",
                "declaration",
            ),
        ),
        (
            "sample",
            Sample,
            (
                "id",
                "planned_sample_id",
                "registration_id",
                "unit_id",
                "stage",
                "verifier_id",
                "started_at",
                "snapshot",
                "snapshot_hash",
                "state",
            ),
        ),
        (
            "outcome",
            SampleOutcome,
            (
                "id",
                "sample_id",
                "outcome",
                "actions",
                "deadline",
                "feedback",
                "snapshot",
                "snapshot_hash",
                "decided_by_id",
                "decided_at",
            ),
        ),
        (
            "iv_signoff",
            VerifierSignOff,
            (
                "id",
                "registration_id",
                "unit_id",
                "sample_id",
                "verifier_id",
                "signed_at",
                "content_hash",
                "voided_at",
                "void_reason",
            ),
        ),
    )
    for kind, model, columns in tables:
        writer.write(model, columns, rows[kind])
    copy_events(events, writer=writer)
    return {
        "learners": n,
        "decisions": decision_count,
        "evidence": evidence_count,
        "events": len(events),
        "complete": complete_count,
    }


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
