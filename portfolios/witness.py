"""Witness testimony: a named witness, asked by an e-mailed one-time link, writes and signs it.

The link carries a random token; only its SHA-256 is stored, so a copy of the database opens no
request. The witness's signature stays on the WitnessRequest (the Declaration is the learner's);
the audit trail records the hash of exactly what the witness signed.

An apprentice's employer contact (issue 19) is asked through their account instead: no link is
mailed, the request waits on their home page, and they sign it signed in
(witness_respond_as_contact). Both ways sign through one function (_sign): the same evidence,
content hash and audit events, the contact's named as the actor where the link's has none.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import rules
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Membership, Role, User
from core.audit import record_event
from core.prepared import Prepared
from portfolios.environment import SettingRefused, check_setting
from portfolios.evidence import (
    EvidenceError,
    content_hash,
    evidence_create,
    map_criteria,
    submission_content,
)
from portfolios.models import (
    EVIDENCE_LIFECYCLE,
    Evidence,
    EvidenceContext,
    EvidenceMethod,
    EvidenceStatus,
    Registration,
    RegistrationStatus,
    WitnessRequest,
)
from portfolios.readmodel import lock_progress, refresh_progress
from qualifications.models import AssessmentCriterion

DEFAULT_EXPIRY_DAYS = 14
MAX_EXPIRY_DAYS = 60
# Witness testimony is about work the witness saw: only real-work contexts make sense.
WITNESS_CONTEXTS = (EvidenceContext.REAL_WORK_PAID, EvidenceContext.REAL_WORK_VOLUNTARY)
STATEMENT = (
    "I confirm that I saw the learner carry out the work described, that this testimony is "
    "true, and that it is my own account."
)


class WitnessLinkError(EvidenceError):
    """The link can no longer be used; `state` says why ("used" or "expired")."""

    def __init__(self, message: str, *, state: str) -> None:
        super().__init__(message)
        self.state = state


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_by_token(token: str) -> WitnessRequest | None:
    """The one request this token opens, or None; nothing else is ever reachable from it."""
    return (
        WitnessRequest.objects.select_related(
            "registration__learner", "registration__qualification", "registration__centre"
        )
        .filter(token_hash=token_hash(token))
        .first()
    )


def link_state(request: WitnessRequest) -> str:
    """Whether the link is "open", "used" or "expired"."""
    if request.used_at is not None:
        return "used"
    if request.expires_at <= timezone.now():
        return "expired"
    return "open"


def requested_context(request: WitnessRequest) -> str:
    """The context the requester gave (real work, paid, unless they said voluntary)."""
    if request.context in WITNESS_CONTEXTS:
        return request.context
    return EvidenceContext.REAL_WORK_PAID


@dataclass(frozen=True)
class WitnessAsked:
    request: WitnessRequest
    # Given to the witness by e-mail; never stored. Empty for an employer contact, who is
    # asked through their account and given no link.
    token: str


def _check_criteria(
    registration: Registration, criteria: list[AssessmentCriterion], context: str
) -> None:
    if not criteria:
        raise EvidenceError("Choose at least one criterion for the witness to speak to.")
    unit_ids = set(registration.unit_choices.values_list("unit_id", flat=True))
    outside = sorted(
        f"{c.unit.reference or c.unit.key} {c.number}"
        for c in criteria
        if c.unit_id not in unit_ids
    )
    if outside:
        raise EvidenceError(f"Not in the units this registration takes: {', '.join(outside)}.")
    # The same rules on where evidence came from as for any evidence (witness testimony of
    # real work, today).
    try:
        check_setting(
            registration=registration,
            method=EvidenceMethod.WITNESS,
            context=context,
            evidence_date=timezone.localdate(),
            criteria=criteria,
        )
    except SettingRefused as refused:
        raise EvidenceError(str(refused)) from refused


def send_request_email(*, request: WitnessRequest, link: str) -> None:
    registration = request.registration
    context = {
        "request": request,
        "learner_name": registration.learner.get_full_name(),
        "requester_name": request.requested_by.get_full_name(),
        "by_learner": request.requested_by_id == registration.learner_id,
        "centre_name": registration.centre.name,
        "qualification": registration.qualification,
        "criteria": list(request.criteria.select_related("unit").order_by("unit__key", "position")),
        "link": link,
        "expires_at": request.expires_at,
    }
    subject = render_to_string("registration/witness_request_subject.txt", context)
    body = render_to_string("registration/witness_request_email.txt", context)
    send_mail(
        " ".join(subject.split()),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [request.witness_email],
    )


EXPERT_COMPETENCE_RULE = (
    "SFJ handbook section 4.5: an expert witness must be occupationally competent in the "
    "functions covered by the units, in a recent role, and familiar with the unit; say how this "
    "witness is (their role, where and since when)."
)


def witness_request_create(
    *,
    actor: User,
    registration: Registration,
    witness_name: str,
    witness_email: str,
    job_title: str,
    relationship: str,
    is_expert: bool,
    activity: str,
    criteria: Iterable[AssessmentCriterion],
    context: str = EvidenceContext.REAL_WORK_PAID,
    expires_in_days: int = DEFAULT_EXPIRY_DAYS,
    link_for: Callable[[str], str] | None = None,
    expert_competence: str = "",
    contact: User | None = None,
) -> WitnessAsked:
    """Ask a witness; once committed, e-mail them the link (`link_for(token)` builds its URL).

    Without `link_for` nothing is sent (the demo seeding, which must print nothing else).
    With `contact`, one of the apprentice's employer contacts is asked through their account:
    their name and address are the account's, and no link is made or sent.
    """
    if not rules.test_rule("portfolios.request_witness", actor, registration):
        raise EvidenceError("Only the learner or their assessor can ask a witness.")
    if contact is not None:
        if not rules.test_rule("portfolios.witness_as_contact", contact, registration):
            raise EvidenceError(
                "Only a contact of the apprentice's own employer can be asked through their "
                "account: ask anyone else by e-mail."
            )
        witness_name, witness_email = contact.get_full_name(), contact.email
    if registration.status != RegistrationStatus.ACTIVE:
        raise EvidenceError("Witnesses can only be asked while the registration is active.")
    if context not in WITNESS_CONTEXTS:
        raise EvidenceError("Witness testimony must be about real work, paid or voluntary.")
    if is_expert and not expert_competence.strip():
        raise EvidenceError(EXPERT_COMPETENCE_RULE)
    if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise EvidenceError(f"The link may last from 1 to {MAX_EXPIRY_DAYS} days.")
    wanted = list(criteria)
    _check_criteria(registration, wanted, context)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        request = WitnessRequest.objects.create(
            registration=registration,
            requested_by=actor,
            witness_name=witness_name.strip(),
            witness_email=witness_email.strip(),
            job_title=job_title.strip(),
            relationship=relationship.strip(),
            is_expert=is_expert,
            expert_competence=expert_competence.strip() if is_expert else "",
            activity=activity.strip(),
            context=context,
            token_hash=token_hash(token),
            expires_at=timezone.now() + timedelta(days=expires_in_days),
            witness_user=contact,
        )
        request.criteria.set(wanted)
        record_event(
            actor=actor,
            action="witness.requested",
            target=request,
            centre_id=registration.centre_id,
            data={
                "registration": registration.pk,
                "witness": request.witness_name,
                "expert": is_expert,
                "context": str(context),
                "criteria": sorted(c.pk for c in wanted),
                "expires_at": request.expires_at.isoformat(),
                **({"contact": contact.pk} if contact is not None else {}),
            },
        )
        if contact is not None:
            # The token opens nothing anyone holds: the contact answers signed in.
            return WitnessAsked(request, "")
        if link_for is not None:
            link = link_for(token)
            # After commit: never mail a link to a request that was rolled back.
            transaction.on_commit(lambda: send_request_email(request=request, link=link))
    return WitnessAsked(request, token)


@transaction.atomic
def witness_respond(*, token: str, testimony: str, signed_name: str, confirmed: bool) -> Evidence:
    """The witness signs by the link: the testimony becomes submitted evidence mapped to the
    criteria."""
    found = find_by_token(token)
    if found is None or found.witness_user_id is not None:
        # A contact's request has no link: whatever token it holds was never given out.
        raise EvidenceError("This link is not valid.")
    # Locked, so a double submit waits and then finds the link used.
    request = WitnessRequest.objects.select_for_update().get(pk=found.pk)
    return _sign(
        request,
        found.registration,
        testimony=testimony,
        signed_name=signed_name,
        confirmed=confirmed,
        actor=None,
    )


@transaction.atomic
def witness_respond_as_contact(
    *,
    actor: User,
    witness_request: WitnessRequest,
    testimony: str,
    signed_name: str,
    confirmed: bool,
) -> Evidence:
    """An employer contact signs the testimony asked of them, signed in (issue 19). The same
    signing as the link's (_sign); the audit events name the contact as their actor."""
    # Locked first, so a double submit (or the same contact in two tabs) waits, then finds it
    # used; the rule is asked of the locked row.
    request = (
        WitnessRequest.objects.select_for_update()
        .select_related("registration__learner", "registration__centre")
        .get(pk=witness_request.pk)
    )
    if not rules.test_rule("portfolios.answer_witness_request", actor, request):
        raise EvidenceError("This testimony is asked of someone else.")
    return _sign(
        request,
        request.registration,
        testimony=testimony,
        signed_name=signed_name,
        confirmed=confirmed,
        actor=actor,
    )


def _sign(
    request: WitnessRequest,
    registration: Registration,
    *,
    testimony: str,
    signed_name: str,
    confirmed: bool,
    actor: User | None,
) -> Evidence:
    """The signature, however the witness came (the request locked by the caller, inside its
    transaction): the testimony becomes submitted evidence mapped to the criteria, and the
    audit trail records the hash of exactly what was signed."""
    state = link_state(request)
    if state == "used":
        raise WitnessLinkError("This link has already been used.", state=state)
    if state == "expired":
        raise WitnessLinkError("This link has expired.", state=state)
    if not testimony.strip():
        raise EvidenceError("Write your testimony before signing it.")
    if not signed_name.strip():
        raise EvidenceError("Type your name to sign the testimony.")
    if not confirmed:
        raise EvidenceError("Tick the box to confirm the statement.")
    requester = request.requested_by
    criteria = list(request.criteria.select_related("unit"))
    context = requested_context(request)
    _check_criteria(registration, criteria, context)
    kind = "Expert witness testimony" if request.is_expert else "Witness testimony"
    # The testimony arrives as evidence waiting; creating it writes audit events first.
    lock_progress(registration)
    evidence = evidence_create(
        actor=requester,
        registration=registration,
        title=f"{kind} from {request.witness_name}",
        description=testimony.strip(),
        evidence_date=timezone.localdate(),
        method=EvidenceMethod.EXPERT_WITNESS if request.is_expert else EvidenceMethod.WITNESS,
        context=context,
    )
    map_criteria(actor=requester, evidence=evidence, criteria=criteria)
    now = timezone.now()
    request.testimony = testimony.strip()
    request.signed_name = " ".join(signed_name.split())
    request.used_at = now
    request.evidence = evidence
    request.save(update_fields=["testimony", "signed_name", "used_at", "evidence"])
    # What was signed does not include the evidence's status (submission_content).
    signed = content_hash(submission_content(evidence))
    data: dict[str, Any] = {
        "witness_request": request.pk,
        "witness": request.witness_name,
        "signed_name": request.signed_name,
        "statement": STATEMENT,
        "content_hash": signed,
    }
    # The signature is the submission. A witness by link has no account: the event has no
    # actor, and names the request instead; an employer contact is its actor.
    evidence.submitted_at = now
    EVIDENCE_LIFECYCLE.move(
        evidence,
        EvidenceStatus.SUBMITTED,
        actor=actor,
        action="witness.signed",
        centre_id=registration.centre_id,
        data=data,
        update_fields=["submitted_at"],
        before_event=lambda: refresh_progress(registration),
    )
    record_event(
        actor=actor,
        action="witness.responded",
        target=request,
        centre_id=registration.centre_id,
        data={"evidence": evidence.pk, "content_hash": signed},
    )
    return evidence


@dataclass(frozen=True)
class AskedOfContact:
    """Testimony asked of an employer contact, as their home page lists it."""

    pk: int
    activity: str
    expires_at: datetime.datetime
    learner: str  # the apprentice's full name, else address (get_full_name)
    requested_by: str  # who asked, the same way


def _asked_rows(
    *, user: int, centre: int, now: datetime.datetime, today: datetime.date
) -> QuerySet:
    # WitnessRequest.objects.asked_of(user), with the day its employer roles are current on
    # given, so the query can be compiled once: a date of its own would be baked in.
    employers = (
        Membership.objects.current(today)
        .filter(user_id=user, role=Role.EMPLOYER)
        .values("employer_id")
    )
    return (
        WitnessRequest.objects.filter(
            witness_user_id=user,
            registration__apprenticeship__employer_id__in=employers,
            registration__centre_id=centre,
            used_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by("expires_at", "pk")
        .values_list(
            "pk",
            "activity",
            "expires_at",
            "registration__learner__full_name",
            "registration__learner__email",
            "requested_by__full_name",
            "requested_by__email",
        )
    )


# The contact's home page asks on every visit: compiled once (core.prepared).
ASKED_ROWS = Prepared(_asked_rows, dates=["today"], datetimes=["now"])


def waiting_for(user: Any, centre_id: int) -> list[AskedOfContact]:
    """The testimony asked of this employer contact at this centre and still open: their home
    page's "Testimony requested" (one query): whose, what, by whom, until when."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        AskedOfContact(pk, activity, expires_at, learner or learner_email, asker or asker_email)
        for pk, activity, expires_at, learner, learner_email, asker, asker_email in (
            ASKED_ROWS.rows(
                user=user.pk, centre=centre_id, now=timezone.now(), today=timezone.localdate()
            )
        )
    ]
