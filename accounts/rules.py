"""Permissions on centres, people and roles (django-rules), mirroring the visible_to QuerySets."""

from __future__ import annotations

from typing import Any

import rules

from accounts.access import has_role_at
from accounts.models import Role


@rules.predicate
def belongs_to_centre(user: Any, centre: Any) -> bool:
    return centre is not None and has_role_at(user, centre.pk, *Role.values)


@rules.predicate
def administers_centre(user: Any, centre: Any) -> bool:
    return centre is not None and has_role_at(user, centre.pk, Role.CENTRE_ADMIN)


@rules.predicate
def is_self(user: Any, person: Any) -> bool:
    return person is not None and person.pk == user.pk


@rules.predicate
def administers_a_centre_of(user: Any, person: Any) -> bool:
    if person is None:
        return False
    centres = person.memberships.values_list("centre_id", flat=True)
    return any(has_role_at(user, centre_id, Role.CENTRE_ADMIN) for centre_id in set(centres))


@rules.predicate
def administers_membership_centre(user: Any, membership: Any) -> bool:
    return membership is not None and has_role_at(user, membership.centre_id, Role.CENTRE_ADMIN)


@rules.predicate
def is_own_membership(user: Any, membership: Any) -> bool:
    return membership is not None and membership.user_id == user.pk


@rules.predicate
def administers_holding_centre(user: Any, record: Any) -> bool:
    """For what a centre keeps about a person (learner profile, staff credential, competence
    record): only the admins of the centre that holds it, whoever else the person works for."""
    return record is not None and has_role_at(user, record.centre_id, Role.CENTRE_ADMIN)


rules.add_perm("accounts.view_centre", rules.is_superuser | belongs_to_centre)
rules.add_perm("accounts.manage_centre", rules.is_superuser | administers_centre)
rules.add_perm("accounts.view_person", rules.is_superuser | is_self | administers_a_centre_of)
rules.add_perm("accounts.manage_person", rules.is_superuser | administers_a_centre_of)
rules.add_perm(
    "accounts.view_membership",
    rules.is_superuser | is_own_membership | administers_membership_centre,
)
rules.add_perm("accounts.manage_membership", rules.is_superuser | administers_membership_centre)

# No page shows people the details a centre keeps about them, so nobody else reads them here;
# derived uses (a sampling site, a claim file) follow their own pages' rules at that centre.
centre_held = rules.is_superuser | administers_holding_centre
for _model in ("learnerprofile", "staffcredential", "competencerecord"):
    rules.add_perm(f"accounts.view_{_model}", centre_held)
    rules.add_perm(f"accounts.change_{_model}", centre_held)


@rules.predicate
def administers_invitation_centre(user: Any, invitation: Any) -> bool:
    return invitation is not None and has_role_at(user, invitation.centre_id, Role.CENTRE_ADMIN)


@rules.predicate
def is_invitee(user: Any, invitation: Any) -> bool:
    # The address is the invitee's identity: whoever signs in with it may answer.
    return (
        invitation is not None
        and getattr(user, "is_authenticated", False)
        and user.email.lower() == invitation.email
    )


rules.add_perm(
    "accounts.view_invitation",
    rules.is_superuser | is_invitee | administers_invitation_centre,
)
rules.add_perm("accounts.manage_invitation", rules.is_superuser | administers_invitation_centre)
# Answering is is_invitee alone, deliberately no permission: Django's has_perm grants every
# permission to a superuser, and nobody may accept a role in someone else's name.

# Finding a centre's learners by name (the register page's picker): its admins only. An
# assessor or IV of the same centre reaches learners through their own caseloads.
rules.add_perm("accounts.search_learners", rules.is_superuser | administers_centre)
