"""State changes for people, centres and roles. Each writes its audit event in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import (
    Centre,
    CompetenceRecord,
    LearnerProfile,
    Membership,
    Role,
    StaffCredential,
    User,
)
from core.audit import record_event
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
) -> tuple[User, Membership]:
    """Add someone to a centre in a role, creating their login if the address is new."""
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
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
    )
    return user, membership


@transaction.atomic
def role_grant(
    *,
    actor: User | None,
    user: User,
    centre: Centre,
    role: str,
    expires_on: date | None = None,
    qualifications: Iterable[Qualification] = (),
) -> Membership:
    """Give a role (or renew it). An EQA's grant is read-only, ends on a date in the future and
    may be limited to some of the centre's qualifications (none: the whole centre)."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
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
    wanted = sorted(q.pk for q in qualifications)
    membership, created = Membership.objects.get_or_create(
        user=user, centre=centre, role=role, defaults={"expires_on": expires_on}
    )
    held = [] if created else sorted(membership.qualifications.values_list("pk", flat=True))
    if not created and (
        not membership.is_active or membership.expires_on != expires_on or held != wanted
    ):
        membership.is_active = True
        membership.expires_on = expires_on
        membership.save(update_fields=["is_active", "expires_on"])
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


class _InvitationForm(PasswordResetForm):
    def get_users(self, email: str) -> list[User]:
        # Django's reset form skips accounts without a usable password: exactly the invited.
        return list(User.objects.filter(email__iexact=email, is_active=True))


def invitation_send(*, request: HttpRequest, user: User) -> None:
    """E-mail a set-password link (Django's reset flow; console e-mail by default)."""
    form = _InvitationForm({"email": user.email})
    if form.is_valid():
        form.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name="registration/invitation_subject.txt",
            email_template_name="registration/invitation_email.html",
        )


def person_add(
    *,
    actor: User | None,
    centre: Centre,
    email: str,
    full_name: str,
    role: str,
    expires_on: date | None = None,
    qualifications: Iterable[Qualification] = (),
    invite_request: HttpRequest | None = None,
) -> tuple[User, Membership, bool]:
    """The centre page's "add a person": person_create, then (once committed) the invitation.

    Only someone who cannot sign in yet is invited; returns whether an invitation was queued.
    """
    with transaction.atomic():
        user, membership = person_create(
            actor=actor,
            centre=centre,
            email=email,
            full_name=full_name,
            role=role,
            expires_on=expires_on,
            qualifications=qualifications,
        )
        invite = invite_request is not None and not user.has_usable_password()
        if invite:
            # After commit: never mail a link to an account that was rolled back.
            transaction.on_commit(lambda: invitation_send(request=invite_request, user=user))
    return user, membership, invite


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
) -> StaffCredential:
    """Record an assessor or verifier qualification, held or being worked towards."""
    if status == StaffCredential.Status.HELD and deadline is not None:
        raise ValueError("A qualification already held has no deadline.")
    # The same entry twice (a double-submitted form) is one credential.
    credential, created = StaffCredential.objects.get_or_create(
        user=user,
        centre=centre,
        kind=kind,
        title=title.strip(),
        status=status,
        defaults={"achieved_on": achieved_on, "deadline": deadline, "levels": levels or []},
    )
    if created:
        record_event(
            actor=actor,
            action="credential.added",
            target=credential,
            centre_id=centre.pk,
            data={"user": user.pk, "kind": kind, "status": status},
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
) -> CompetenceRecord:
    """Record occupational competence or CPD for an assessor or verifier."""
    record, created = CompetenceRecord.objects.get_or_create(
        user=user,
        centre=centre,
        kind=kind,
        date=date,
        activity=activity.strip(),
        defaults={"hours": hours, "notes": notes},
    )
    if created:
        record_event(
            actor=actor,
            action="competence.added",
            target=record,
            centre_id=centre.pk,
            data={"user": user.pk, "kind": kind, "date": date.isoformat()},
        )
    return record
