"""State changes for people, centres and roles. Each writes its audit event in one transaction."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.http import HttpRequest

from accounts.models import Centre, LearnerProfile, Membership, Role, User
from core.audit import record_event


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
    membership = role_grant(actor=actor, user=user, centre=centre, role=role, expires_on=expires_on)
    return user, membership


@transaction.atomic
def role_grant(
    *, actor: User | None, user: User, centre: Centre, role: str, expires_on: date | None = None
) -> Membership:
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    if role == Role.EQA and expires_on is None:
        raise AccessError(
            "External quality assurers need an expiry date: their access is time-limited."
        )
    membership, created = Membership.objects.get_or_create(
        user=user, centre=centre, role=role, defaults={"expires_on": expires_on}
    )
    if not created and (not membership.is_active or membership.expires_on != expires_on):
        membership.is_active = True
        membership.expires_on = expires_on
        membership.save(update_fields=["is_active", "expires_on"])
    elif not created:
        return membership
    if role == Role.LEARNER:
        LearnerProfile.objects.get_or_create(user=user)
    record_event(
        actor=actor,
        action="role.granted",
        target=membership,
        centre_id=centre.pk,
        data={"user": user.pk, "role": role, "expires_on": expires_on and expires_on.isoformat()},
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
