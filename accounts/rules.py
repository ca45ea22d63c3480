"""Permissions on centres, people and roles (django-rules), mirroring the visible_to QuerySets."""

from __future__ import annotations

from typing import Any

import rules

from accounts.access import has_role_at, speaks_for
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
def is_contact_of(user: Any, employer: Any) -> bool:
    """A current employer contact for this employer (Membership.employer), at its centre."""
    return employer is not None and speaks_for(user, employer.pk)


# An employer is kept by its centre: its admins read and change it; its own contacts read it.
rules.add_perm(
    "accounts.view_employer", rules.is_superuser | administers_holding_centre | is_contact_of
)
rules.add_perm("accounts.change_employer", rules.is_superuser | administers_holding_centre)


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


# The Django admin site (accounts/admin.py lets only superusers in): whether to offer it. A rule,
# asked without an object: user.has_perm would first read the user's model permissions.
rules.add_rule("accounts.use_site_admin", rules.is_superuser)

# ---------------------------------------------------------------- by centre id
# For what names its centre by id (a claim batch, a hold, a strategy, a meeting, a record): the
# services ask with what they hold, and has_role_at answers from the request's roles if loaded.


@rules.predicate
def administers_centre_id(user: Any, centre_id: int | None) -> bool:
    return centre_id is not None and has_role_at(user, centre_id, Role.CENTRE_ADMIN)


@rules.predicate
def administers_or_verifies_at_centre_id(user: Any, centre_id: int | None) -> bool:
    return centre_id is not None and has_role_at(
        user, centre_id, Role.CENTRE_ADMIN, Role.INTERNAL_VERIFIER
    )


@rules.predicate
def reads_as_staff_at_centre_id(user: Any, centre_id: int | None) -> bool:
    """The centre's internal verifiers, admins and EQAs: who reads its quality records."""
    return centre_id is not None and has_role_at(
        user, centre_id, Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN, Role.EQA
    )


# ---------------------------------------------------------------- the role worn now
# A person with several roles works in one at a time (request.membership, chosen in the header).
# The pages that belong to a role (the assessor's queue, the IV's validation queue, the admin's
# settings) ask these with that membership; each app names its own rules from them. They are
# rules (rules.test_rule), not permissions: has_perm would let a superuser in without a role,
# and the pages need the centre of the role worn.


def works_as(*roles: str) -> rules.Predicate:
    """A predicate on a membership: it is the person's own, in one of `roles`."""

    def check(user: Any, membership: Any) -> bool:
        return (
            # request.membership is a lazy object: its truth is the membership's (or None's).
            bool(membership)
            and membership.user_id == getattr(user, "pk", None)
            and membership.role in roles
            # The header offers only current roles; asked with any other, the answer is no.
            and membership.is_current
        )

    return rules.Predicate(check, name=f"works_as({', '.join(roles)})")


works_as_centre_admin = works_as(Role.CENTRE_ADMIN)
works_as_eqa = works_as(Role.EQA)

rules.add_rule("accounts.work_as_centre_admin", works_as_centre_admin)
# An EQA works under their grant's qualification limit wherever they read (accounts.access).
rules.add_rule("accounts.work_as_eqa", works_as_eqa)

# Single sign-on (issue 20): a centre's OpenID Connect providers, set up by its admins only
# (asked of a provider, saved or about to be, at their centre).
rules.add_perm("accounts.manage_identity_provider", rules.is_superuser | administers_holding_centre)
