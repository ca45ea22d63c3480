"""State changes for people, centres and roles. Each writes its audit event in one transaction."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    INVITATION_DAYS,
    INVITATION_LIFECYCLE,
    Centre,
    CompetenceRecord,
    Employer,
    Invitation,
    InvitationStatus,
    LearnerProfile,
    Membership,
    Role,
    StaffCredential,
    User,
    hash_token,
)
from core.audit import record_event
from core.lifecycle import IllegalTransition
from qualifications.models import Qualification


class AccessError(Exception):
    """A change the actor may not make; views turn it into a clear message."""


@transaction.atomic
def person_create(
    *,
    actor: User | None,
    centre: Centre,
    email: str,
    full_name: str,
    role: str,
    password: str | None = None,
    expires_on: date | None = None,
    qualifications: Iterable[Qualification] = (),
    employer: Employer | None = None,
) -> tuple[User, Membership]:
    """Add someone to a centre in a role, creating their login if the address is new."""
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
        if password is None:
            # No usable password until they follow the invitation link.
            user.set_unusable_password()
            user.save(update_fields=["password"])
        record_event(actor=actor, action="person.created", target=user, centre_id=centre.pk)
    membership = role_grant(
        actor=actor,
        user=user,
        centre=centre,
        role=role,
        expires_on=expires_on,
        qualifications=qualifications,
        employer=employer,
    )
    return user, membership


def _check_role(
    *,
    centre: Centre,
    role: str,
    expires_on: date | None,
    qualifications: Iterable[Qualification],
    employer: Employer | None = None,
) -> list[Qualification]:
    """What a grant (or an invitation to one) must satisfy; the qualifications as a list."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    if role == Role.EMPLOYER:
        if employer is None:
            raise AccessError("Choose the employer this contact works for.")
        if employer.centre_id != centre.pk:
            # Another centre's employers are walled off: its name is not repeated here.
            raise AccessError(f"That employer is not one of {centre.name}'s.")
    elif employer is not None:
        raise AccessError("Only an employer contact is linked to an employer.")
    qualifications = list(qualifications)
    if role == Role.EQA:
        if expires_on is None:
            raise AccessError(
                "External quality assurers need an expiry date: their access is time-limited."
            )
        if expires_on <= timezone.localdate():
            raise AccessError("EQA access must end on a date after today.")
        offered = set(centre.qualifications.values_list("pk", flat=True))
        if any(q.pk not in offered for q in qualifications):
            raise AccessError(f"{centre.name} does not offer every qualification chosen.")
    elif qualifications:
        raise AccessError("Only an external quality assurer's access is limited by qualification.")
    return qualifications


@transaction.atomic
def role_grant(
    *,
    actor: User | None,
    user: User,
    centre: Centre,
    role: str,
    expires_on: date | None = None,
    qualifications: Iterable[Qualification] = (),
    employer: Employer | None = None,
) -> Membership:
    """Give a role (or renew it). An EQA's grant is read-only, ends on a date in the future and
    may be limited to some of the centre's qualifications (none: the whole centre). An employer
    contact's names one of the centre's employers (granted again with another, it moves)."""
    qualifications = _check_role(
        centre=centre,
        role=role,
        expires_on=expires_on,
        qualifications=qualifications,
        employer=employer,
    )
    wanted = sorted(q.pk for q in qualifications)
    employer_id = employer.pk if employer is not None else None
    membership, created = Membership.objects.get_or_create(
        user=user,
        centre=centre,
        role=role,
        defaults={"expires_on": expires_on, "employer": employer},
    )
    held = [] if created else sorted(membership.qualifications.values_list("pk", flat=True))
    if not created and (
        not membership.is_active
        or membership.expires_on != expires_on
        or held != wanted
        or membership.employer_id != employer_id
    ):
        membership.is_active = True
        membership.expires_on = expires_on
        membership.employer = employer
        membership.save(update_fields=["is_active", "expires_on", "employer"])
    elif not created:
        return membership
    membership.qualifications.set(qualifications)
    if role == Role.LEARNER:
        # The centre's own record of the learner; another centre's is never copied in.
        LearnerProfile.objects.get_or_create(user=user, centre=centre)
    record_event(
        actor=actor,
        action="role.granted",
        target=membership,
        centre_id=centre.pk,
        data={
            "user": user.pk,
            "role": role,
            "expires_on": expires_on and expires_on.isoformat(),
            "qualifications": [q.number for q in sorted(qualifications, key=lambda q: q.number)],
            # Only an employer contact's grant names an employer.
            **({"employer": employer_id} if employer_id is not None else {}),
        },
    )
    return membership


@transaction.atomic
def role_revoke(*, actor: User | None, membership: Membership) -> Membership:
    """Roles are deactivated, never deleted: the history of who could do what stays."""
    if membership.is_active:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        record_event(
            actor=actor,
            action="role.revoked",
            target=membership,
            centre_id=membership.centre_id,
            data={"user": membership.user_id, "role": membership.role},
        )
    return membership


def person_add(
    *,
    actor: User | None,
    centre: Centre,
    email: str,
    full_name: str,
    role: str,
    expires_on: date | None = None,
    qualifications: Iterable[Qualification] = (),
    registrations: Iterable[dict[str, Any]] = (),
    link_for: Callable[[str], str] | None = None,
    employer: Employer | None = None,
) -> Membership | Invitation:
    """The centre page's "add a person" (and the register page's "a new learner").

    Someone who already holds a role here (even one taken away) is known to the admin, so the
    role is granted at once and the Membership returned. Anyone else is invited and the
    Invitation returned, whether or not the address has an account elsewhere: the admin's
    reply must not tell which, and nothing of the person reaches the centre until they accept.
    `registrations` ride on an invitation (made when it is accepted); for a person known here
    the caller makes them at once, as accounts cannot (portfolios.services.register_new_learner).
    """
    email = normalise_email(email)
    with transaction.atomic():
        known = User.objects.filter(email__iexact=email, memberships__centre=centre).first()
        if known is not None:
            return role_grant(
                actor=actor,
                user=known,
                centre=centre,
                role=role,
                expires_on=expires_on,
                qualifications=qualifications,
                employer=employer,
            )
        return invitation_create(
            actor=actor,
            centre=centre,
            email=email,
            full_name=full_name,
            role=role,
            expires_on=expires_on,
            qualifications=qualifications,
            registrations=registrations,
            link_for=link_for,
            employer=employer,
        )


# ---------------------------------------------------------------- invitations


class InvitationError(Exception):
    """An invitation that cannot be answered or changed so; the message says why."""


# Sent inside invitation_accept's transaction, after the membership is granted. portfolios
# listens and makes the registrations an import stored (accounts may not import portfolios).
invitation_accepted = Signal()
# Sent inside the transaction when an invitation is withdrawn or declined: what was held
# against it (a portfolio transfer, issue 20) is discarded by the app that held it.
invitation_closed = Signal()

_ANSWERED: dict[str, str] = {
    InvitationStatus.ACCEPTED: "This invitation has already been accepted.",
    InvitationStatus.DECLINED: "This invitation was declined.",
    InvitationStatus.WITHDRAWN: "The centre has withdrawn this invitation.",
}
EXPIRED = "This invitation has expired: ask the centre to send it again."


def normalise_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def invitation_link(token: str) -> str:
    """The absolute address of an invitation's page, for e-mails and the command line."""
    base = (settings.SITE_URL or "http://127.0.0.1:8000").rstrip("/")
    return base + reverse("invitations:respond", args=[token])


def _answer(
    invitation: Invitation,
    status: str,
    *,
    actor: User | None,
    action: str,
    data: dict[str, Any],
    update_fields: Iterable[str] = (),
) -> None:
    """Move a locked invitation to its answer (accounts.models.INVITATION_LIFECYCLE)."""
    invitation.responded_at = timezone.now()
    try:
        INVITATION_LIFECYCLE.move(
            invitation,
            status,
            actor=actor,
            action=action,
            centre_id=invitation.centre_id,
            data=data,
            update_fields=["responded_at", *update_fields],
        )
    except IllegalTransition:
        raise InvitationError(
            _ANSWERED.get(invitation.status, "This invitation cannot change.")
        ) from None


def _new_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = hash_token(token)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
    return token


def _merge_registrations(
    stored: list[dict[str, Any]], new: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The latest row for a qualification replaces an earlier one: an import run twice
    registers once."""
    by_qualification = {entry["qualification"]: entry for entry in stored}
    for entry in new:
        by_qualification[entry["qualification"]] = entry
    return list(by_qualification.values())


def _queue_invitation_email(invitation: Invitation, link: str) -> None:
    transaction.on_commit(
        lambda: invitation_email_send(invitation_id=invitation.pk, link=link), robust=True
    )


def invitation_email_send(*, invitation_id: int, link: str) -> None:
    """One e-mail per sending, whoever holds the address. Only the recipient reads it, so its
    words may follow whether they already have an account."""
    invitation = Invitation.objects.select_related("centre", "invited_by").get(pk=invitation_id)
    context = {
        "invitation": invitation,
        "centre_name": invitation.centre.name,
        "role": invitation.get_role_display().lower(),
        "inviter": invitation.invited_by.get_full_name() if invitation.invited_by else "",
        "link": link,
        "has_account": User.objects.filter(email__iexact=invitation.email).exists(),
    }
    subject = render_to_string("registration/centre_invitation_subject.txt", context)
    body = render_to_string("registration/centre_invitation_email.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


@transaction.atomic
def invitation_create(
    *,
    actor: User | None,
    centre: Centre,
    email: str,
    full_name: str,
    role: str,
    expires_on: date | None = None,
    qualifications: Iterable[Qualification] = (),
    registrations: Iterable[dict[str, Any]] = (),
    link_for: Callable[[str], str] | None = None,
    employer: Employer | None = None,
) -> Invitation:
    """Invite an address to a role at a centre and, once committed, e-mail the link.

    A pending invitation to the same address and role is sent again (new link, new expiry,
    the admin's latest details, an employer contact's employer) rather than duplicated. The raw
    token is on the returned object as `.token` and nowhere else.
    """
    email = normalise_email(email)
    qualifications = _check_role(
        centre=centre,
        role=role,
        expires_on=expires_on,
        qualifications=qualifications,
        employer=employer,
    )
    registrations = list(registrations)
    if registrations and role != Role.LEARNER:
        raise ValueError("Only a learner's invitation carries registrations.")
    pending = Invitation.objects.select_for_update().filter(
        centre=centre, email=email, role=role, status=InvitationStatus.PENDING
    )
    invitation = pending.first()
    if invitation is None:
        invitation = Invitation(centre=centre, email=email, role=role, invited_by=actor)
        action = "invitation.sent"
    else:
        action = "invitation.resent"
    invitation.full_name = full_name.strip()
    invitation.expires_on = expires_on
    invitation.employer = employer
    invitation.registrations = _merge_registrations(invitation.registrations, registrations)
    token = _new_token(invitation)
    try:
        # A savepoint: a simultaneous "add" of the same person wins the constraint race.
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        raise InvitationError(
            "This person was invited at the same moment by someone else: look at the list."
        ) from None
    invitation.qualifications.set(qualifications)
    record_event(
        actor=actor,
        action=action,
        target=invitation,
        centre_id=centre.pk,
        data={
            "role": role,
            "expires_at": invitation.expires_at.isoformat(),
            **({"employer": employer.pk} if employer is not None else {}),
        },
    )
    _queue_invitation_email(invitation, (link_for or invitation_link)(token))
    # The new link's token rides on the instance for the caller to print (it is never stored,
    # so it is no model field).
    invitation.token = token  # type: ignore[attr-defined]
    return invitation


@transaction.atomic
def invitation_resend(
    *, actor: User | None, invitation: Invitation, link_for: Callable[[str], str] | None = None
) -> Invitation:
    """A new link and a new expiry; the old link stops working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise InvitationError(_ANSWERED[invitation.status])
    token = _new_token(invitation)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    record_event(
        actor=actor,
        action="invitation.resent",
        target=invitation,
        centre_id=invitation.centre_id,
        data={"role": invitation.role, "expires_at": invitation.expires_at.isoformat()},
    )
    _queue_invitation_email(invitation, (link_for or invitation_link)(token))
    # The new link's token rides on the instance for the caller to print (it is never stored,
    # so it is no model field).
    invitation.token = token  # type: ignore[attr-defined]
    return invitation


@transaction.atomic
def invitation_withdraw(*, actor: User | None, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _answer(
        invitation,
        InvitationStatus.WITHDRAWN,
        actor=actor,
        action="invitation.withdrawn",
        data={"role": invitation.role},
    )
    invitation_closed.send(sender=Invitation, invitation=invitation, actor=actor)
    return invitation


def check_answerable(invitation: Invitation, user: User | None) -> None:
    """Who may answer (the address's holder) before what state it is in, so someone else
    learns nothing about the invitation."""
    if user is not None and user.email.lower() != invitation.email:
        raise InvitationError(
            f"This invitation was sent to {invitation.email}, and you are signed in as "
            f"{user.email}. Sign out and open the link again to answer it."
        )
    if invitation.status != InvitationStatus.PENDING:
        raise InvitationError(_ANSWERED[invitation.status])
    if invitation.is_expired:
        raise InvitationError(EXPIRED)


@transaction.atomic
def invitation_accept(*, user: User, invitation: Invitation) -> Membership:
    """The invitee says yes: their role at the centre begins, and stored registrations are
    made (by portfolios, through invitation_accepted). Only the address's holder may accept."""
    invitation = (
        Invitation.objects.select_for_update().select_related("centre").get(pk=invitation.pk)
    )
    check_answerable(invitation, user)
    if not INVITATION_LIFECYCLE.allows(invitation.status, InvitationStatus.ACCEPTED):
        raise InvitationError(_ANSWERED.get(invitation.status, "This invitation cannot change."))
    # The role is the inviting admin's decision; accepting it is the invitee's.
    membership = role_grant(
        actor=invitation.invited_by,
        user=user,
        centre=invitation.centre,
        role=invitation.role,
        expires_on=invitation.expires_on,
        qualifications=invitation.qualifications.all(),
        employer=invitation.employer,
    )
    invitation.accepted_by = user
    _answer(
        invitation,
        InvitationStatus.ACCEPTED,
        actor=user,
        action="invitation.accepted",
        data={"user": user.pk, "role": invitation.role, "membership": membership.pk},
        update_fields=["accepted_by"],
    )
    invitation_accepted.send(
        sender=Invitation, invitation=invitation, user=user, membership=membership
    )
    return membership


@transaction.atomic
def invitation_decline(*, user: User, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    check_answerable(invitation, user)
    _answer(
        invitation,
        InvitationStatus.DECLINED,
        actor=user,
        action="invitation.declined",
        data={"role": invitation.role},
    )
    invitation_closed.send(sender=Invitation, invitation=invitation, actor=user)
    return invitation


@transaction.atomic
def invitation_sign_up(
    *, invitation: Invitation, full_name: str, password: str
) -> tuple[User, Membership]:
    """An address with no account accepts by choosing a password (validated by the form)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    check_answerable(invitation, None)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationError("This address has an account now: sign in to accept.")
    user = User.objects.create_user(
        email=invitation.email, password=password, full_name=full_name.strip()
    )
    record_event(actor=user, action="person.created", target=user, centre_id=invitation.centre_id)
    return user, invitation_accept(user=user, invitation=invitation)


# ---------------------------------------------------------------- employers

EMPLOYER_FIELDS = ("name", "address", "phone", "contact_email")


def _employer_name_taken(centre: Centre, name: str, exclude: int | None = None) -> bool:
    same = Employer.objects.filter(centre=centre, name__iexact=name)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    return same.exists()


@transaction.atomic
def employer_create(
    *,
    actor: User | None,
    centre: Centre,
    name: str,
    address: str = "",
    phone: str = "",
    contact_email: str = "",
) -> Employer:
    """An employer organisation the centre keeps (issue 19). One name per centre, whatever the
    capitals: a second "add" of the same name (a double-submitted form) is refused."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("Give the employer's name.")
    if _employer_name_taken(centre, name):
        raise ValueError(f"{centre.name} already has an employer called {name}.")
    try:
        with transaction.atomic():
            employer = Employer.objects.create(
                centre=centre,
                name=name,
                address=address.strip(),
                phone=phone.strip(),
                contact_email=contact_email.strip().lower(),
            )
    except IntegrityError:
        # Added at the same moment by someone else: the constraint decides, the message says.
        raise ValueError(f"{centre.name} already has an employer called {name}.") from None
    record_event(
        actor=actor,
        action="employer.created",
        target=employer,
        centre_id=centre.pk,
        data={"name": name},
    )
    return employer


@transaction.atomic
def employer_update(*, actor: User | None, employer: Employer, **fields: str) -> Employer:
    """Change an employer's name or details; the audit names the fields changed."""
    unknown = set(fields) - set(EMPLOYER_FIELDS)
    if unknown:
        raise ValueError(f"not employer fields: {sorted(unknown)}")
    employer = Employer.objects.select_for_update().select_related("centre").get(pk=employer.pk)
    if "name" in fields:
        fields["name"] = " ".join(fields["name"].split())
        if not fields["name"]:
            raise ValueError("Give the employer's name.")
        if _employer_name_taken(employer.centre, fields["name"], exclude=employer.pk):
            raise ValueError(
                f"{employer.centre.name} already has an employer called {fields['name']}."
            )
    if "contact_email" in fields:
        fields["contact_email"] = fields["contact_email"].strip().lower()
    changed = [name for name, value in fields.items() if getattr(employer, name) != value]
    if changed:
        for name in changed:
            setattr(employer, name, fields[name])
        employer.save(update_fields=changed)
        record_event(
            actor=actor,
            action="employer.updated",
            target=employer,
            centre_id=employer.centre_id,
            data={"fields": sorted(changed)},
        )
    return employer


# ---------------------------------------------------------------- centres


@transaction.atomic
def centre_create(
    *, actor: User | None, name: str, number: str, qualifications: Iterable[Qualification] = ()
) -> tuple[Centre, bool]:
    """A centre, by its number: asked again, the existing one (with any new approvals)."""
    number = number.strip()
    centre, created = Centre.objects.select_for_update().get_or_create(
        number=number, defaults={"name": name.strip()}
    )
    approved = set(centre.qualifications.values_list("pk", flat=True))
    added = [q for q in qualifications if q.pk not in approved]
    if added:
        centre.qualifications.add(*added)
    if created or added:
        record_event(
            actor=actor,
            action="centre.created" if created else "centre.qualifications_added",
            target=centre,
            centre_id=centre.pk,
            data={"qualifications": sorted(q.number for q in added)},
        )
    return centre, created


@transaction.atomic
def learner_profile_update(
    *, actor: User | None, user: User, centre: Centre, **fields: object
) -> LearnerProfile:
    """Record a learner's details (ULN, date of birth, contacts, employer) as `centre` keeps
    them: only that centre's profile changes."""
    editable = {f.name for f in LearnerProfile._meta.get_fields()} - {"id", "user", "centre"}
    unknown = set(fields) - editable
    if unknown:
        raise ValueError(f"not learner profile fields: {sorted(unknown)}")
    profile, _ = LearnerProfile.objects.select_for_update().get_or_create(user=user, centre=centre)
    changed = [name for name, value in fields.items() if getattr(profile, name) != value]
    if changed:
        for name in changed:
            setattr(profile, name, fields[name])
        profile.save(update_fields=changed)
        # Field names only: the audit trail need not copy personal details.
        record_event(
            actor=actor,
            action="learner_profile.updated",
            target=profile,
            centre_id=centre.pk,
            data={"user": user.pk, "fields": sorted(changed)},
        )
    return profile


@transaction.atomic
def credential_add(
    *,
    actor: User | None,
    user: User,
    centre: Centre,
    kind: str,
    title: str,
    status: str,
    achieved_on: date | None = None,
    deadline: date | None = None,
    levels: list[str] | None = None,
    started_on: date | None = None,
    countersigner: User | None = None,
    qualifications: Iterable[Any] = (),
) -> StaffCredential:
    """Record an assessor or verifier qualification, held or being worked towards. A trainee's
    names when they started and the qualified colleague who countersigns (issue 17)."""
    if status == StaffCredential.Status.HELD and deadline is not None:
        raise ValueError("A qualification already held has no deadline.")
    if countersigner is not None and countersigner.pk == user.pk:
        raise ValueError("Nobody countersigns their own decisions.")
    # The same entry twice (a double-submitted form) is one credential.
    credential, created = StaffCredential.objects.get_or_create(
        user=user,
        centre=centre,
        kind=kind,
        title=title.strip(),
        status=status,
        defaults={
            "achieved_on": achieved_on,
            "deadline": deadline,
            "levels": levels or [],
            "started_on": started_on,
            "countersigner": countersigner,
        },
    )
    if created:
        credential.qualifications.set(list(qualifications))
        record_event(
            actor=actor,
            action="credential.added",
            target=credential,
            centre_id=centre.pk,
            data={
                "user": user.pk,
                "kind": kind,
                "status": status,
                "started_on": started_on.isoformat() if started_on else None,
                "countersigner": countersigner.pk if countersigner else None,
                "qualifications": sorted(q.pk for q in credential.qualifications.all()),
            },
        )
    return credential


@transaction.atomic
def competence_record_add(
    *,
    actor: User | None,
    user: User,
    centre: Centre,
    kind: str,
    date: date,
    activity: str,
    hours: Decimal | None = None,
    notes: str = "",
    qualifications: Iterable[Any] = (),
) -> CompetenceRecord:
    """Record occupational competence or CPD for an assessor or verifier; the qualifications it
    is relevant to (none: all) decide what it lets them assess (issue 17)."""
    record, created = CompetenceRecord.objects.get_or_create(
        user=user,
        centre=centre,
        kind=kind,
        date=date,
        activity=activity.strip(),
        defaults={"hours": hours, "notes": notes},
    )
    if created:
        record.qualifications.set(list(qualifications))
        record_event(
            actor=actor,
            action="competence.added",
            target=record,
            centre_id=centre.pk,
            data={"user": user.pk, "kind": kind, "date": date.isoformat()},
        )
    return record
