"""Who may see and manage what: one truth table per kind of object.

Each row is checked twice, against the django-rules permission and against the QuerySet that
lists the objects (`visible_to` / `manageable_by`), so the two can never drift apart.

The world: the person under test works at the "own" centre; the "other" centre is one where
they hold no role. "Linked" registrations are the learner's own, and the ones the assessors
(current, revoked, or holding no role at all) and the internal verifier are assigned to;
"unlinked" ones belong to another learner and have nobody assigned.
"""

from __future__ import annotations

import datetime
import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rules
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from accounts.access import remember_current_roles
from accounts.models import Centre, Invitation, Membership, Role, User
from accounts.rules import is_invitee
from portfolios.models import Evidence, EvidenceStatus, Registration, RegistrationStatus
from tests.factories import (
    CentreFactory,
    CompetenceRecordFactory,
    EmployerFactory,
    LearnerProfileFactory,
    MembershipFactory,
    RegistrationFactory,
    StaffCredentialFactory,
    UserFactory,
    apprentice,
    invite,
    member,
)
from verification.models import SamplingStrategy
from verification.models.standardisation import StandardisationMeeting

pytestmark = pytest.mark.django_db

ROLES = [
    "learner",
    "assessor",
    "internal verifier",
    "centre admin",
    "EQA current",
    "EQA expired",
    "assessor revoked",
    "centre admin revoked",
    "no role",
    "employer contact",
    "superuser",
    "anonymous",
]

Y, N = True, False

# ---------------------------------------------------------------- the expected tables

# (role, centre, relation): (may view, may manage), asked as these:
REGISTRATION_PERMS = ("portfolios.view_registration", "portfolios.manage_registration")
REGISTRATION = {
    ("learner", "own centre", "linked"): (Y, N),  # their own registration
    ("learner", "own centre", "unlinked"): (N, N),  # another learner's
    ("learner", "other centre", "linked"): (Y, N),  # their own, e.g. before a transfer
    ("learner", "other centre", "unlinked"): (N, N),
    ("assessor", "own centre", "linked"): (Y, N),  # assigned
    ("assessor", "own centre", "unlinked"): (N, N),  # not assigned
    ("assessor", "other centre", "linked"): (N, N),  # assigned, but no role there
    ("assessor", "other centre", "unlinked"): (N, N),
    ("internal verifier", "own centre", "linked"): (Y, N),
    ("internal verifier", "own centre", "unlinked"): (N, N),
    ("internal verifier", "other centre", "linked"): (N, N),
    ("internal verifier", "other centre", "unlinked"): (N, N),
    ("centre admin", "own centre", "linked"): (Y, Y),
    ("centre admin", "own centre", "unlinked"): (Y, Y),
    ("centre admin", "other centre", "linked"): (N, N),
    ("centre admin", "other centre", "unlinked"): (N, N),
    ("EQA current", "own centre", "linked"): (Y, N),
    ("EQA current", "own centre", "unlinked"): (Y, N),
    ("EQA current", "other centre", "linked"): (N, N),
    ("EQA current", "other centre", "unlinked"): (N, N),
    ("EQA expired", "own centre", "linked"): (N, N),
    ("EQA expired", "own centre", "unlinked"): (N, N),
    ("EQA expired", "other centre", "linked"): (N, N),
    ("EQA expired", "other centre", "unlinked"): (N, N),
    ("assessor revoked", "own centre", "linked"): (N, N),  # still listed, role gone
    ("assessor revoked", "own centre", "unlinked"): (N, N),
    ("assessor revoked", "other centre", "linked"): (N, N),
    ("assessor revoked", "other centre", "unlinked"): (N, N),
    ("centre admin revoked", "own centre", "linked"): (N, N),
    ("centre admin revoked", "own centre", "unlinked"): (N, N),
    ("centre admin revoked", "other centre", "linked"): (N, N),
    ("centre admin revoked", "other centre", "unlinked"): (N, N),
    ("no role", "own centre", "linked"): (N, N),  # listed as assessor, holds no role
    ("no role", "own centre", "unlinked"): (N, N),
    ("no role", "other centre", "linked"): (N, N),
    ("no role", "other centre", "unlinked"): (N, N),
    ("employer contact", "own centre", "linked"): (Y, N),  # their apprentice, read-only
    ("employer contact", "own centre", "unlinked"): (N, N),
    ("employer contact", "other centre", "linked"): (N, N),
    ("employer contact", "other centre", "unlinked"): (N, N),
    ("superuser", "own centre", "linked"): (Y, Y),
    ("superuser", "own centre", "unlinked"): (Y, Y),
    ("superuser", "other centre", "linked"): (Y, Y),
    ("superuser", "other centre", "unlinked"): (Y, Y),
    ("anonymous", "own centre", "linked"): (N, N),
    ("anonymous", "own centre", "unlinked"): (N, N),
    ("anonymous", "other centre", "linked"): (N, N),
    ("anonymous", "other centre", "unlinked"): (N, N),
}

# (role, centre): (may view, may manage), asked as these:
CENTRE_PERMS = ("accounts.view_centre", "accounts.manage_centre")
CENTRE = {
    ("learner", "own centre"): (Y, N),
    ("learner", "other centre"): (N, N),
    ("assessor", "own centre"): (Y, N),
    ("assessor", "other centre"): (N, N),
    ("internal verifier", "own centre"): (Y, N),
    ("internal verifier", "other centre"): (N, N),
    ("centre admin", "own centre"): (Y, Y),
    ("centre admin", "other centre"): (N, N),
    ("EQA current", "own centre"): (Y, N),
    ("EQA current", "other centre"): (N, N),
    ("EQA expired", "own centre"): (N, N),
    ("EQA expired", "other centre"): (N, N),
    ("assessor revoked", "own centre"): (N, N),
    ("assessor revoked", "other centre"): (N, N),
    ("centre admin revoked", "own centre"): (N, N),
    ("centre admin revoked", "other centre"): (N, N),
    ("no role", "own centre"): (N, N),
    ("no role", "other centre"): (N, N),
    ("employer contact", "own centre"): (Y, N),  # the centre of their apprentices
    ("employer contact", "other centre"): (N, N),
    ("superuser", "own centre"): (Y, Y),
    ("superuser", "other centre"): (Y, Y),
    ("anonymous", "own centre"): (N, N),
    ("anonymous", "other centre"): (N, N),
}

# (role, whose record): (may view, may manage). Anonymous has no "self".
PERSON_PERMS = ("accounts.view_person", "accounts.manage_person")
PERSON = {
    ("learner", "self"): (Y, N),
    ("learner", "someone at own centre"): (N, N),
    ("learner", "someone at other centre"): (N, N),
    ("assessor", "self"): (Y, N),
    ("assessor", "someone at own centre"): (N, N),
    ("assessor", "someone at other centre"): (N, N),
    ("internal verifier", "self"): (Y, N),
    ("internal verifier", "someone at own centre"): (N, N),
    ("internal verifier", "someone at other centre"): (N, N),
    ("centre admin", "self"): (Y, Y),  # an admin is a person at their own centre
    ("centre admin", "someone at own centre"): (Y, Y),
    ("centre admin", "someone at other centre"): (N, N),
    ("EQA current", "self"): (Y, N),
    ("EQA current", "someone at own centre"): (N, N),
    ("EQA current", "someone at other centre"): (N, N),
    ("EQA expired", "self"): (Y, N),
    ("EQA expired", "someone at own centre"): (N, N),
    ("EQA expired", "someone at other centre"): (N, N),
    ("assessor revoked", "self"): (Y, N),
    ("assessor revoked", "someone at own centre"): (N, N),
    ("assessor revoked", "someone at other centre"): (N, N),
    ("centre admin revoked", "self"): (Y, N),
    ("centre admin revoked", "someone at own centre"): (N, N),
    ("centre admin revoked", "someone at other centre"): (N, N),
    ("no role", "self"): (Y, N),
    ("no role", "someone at own centre"): (N, N),
    ("no role", "someone at other centre"): (N, N),
    ("employer contact", "self"): (Y, N),
    ("employer contact", "someone at own centre"): (N, N),
    ("employer contact", "someone at other centre"): (N, N),
    ("superuser", "self"): (Y, Y),
    ("superuser", "someone at own centre"): (Y, Y),
    ("superuser", "someone at other centre"): (Y, Y),
    ("anonymous", "someone at own centre"): (N, N),
    ("anonymous", "someone at other centre"): (N, N),
    ("learner", "someone invited to own centre"): (N, N),
    ("assessor", "someone invited to own centre"): (N, N),
    ("internal verifier", "someone invited to own centre"): (N, N),
    ("centre admin", "someone invited to own centre"): (
        N,
        N,
    ),  # invited here, not yet accepted: not theirs to see
    ("EQA current", "someone invited to own centre"): (N, N),
    ("EQA expired", "someone invited to own centre"): (N, N),
    ("assessor revoked", "someone invited to own centre"): (N, N),
    ("centre admin revoked", "someone invited to own centre"): (N, N),
    ("no role", "someone invited to own centre"): (N, N),
    ("employer contact", "someone invited to own centre"): (N, N),
    ("superuser", "someone invited to own centre"): (Y, Y),
    ("anonymous", "someone invited to own centre"): (N, N),
}

# (role, which membership): (may view, may manage). Only roles that hold one have "own".
MEMBERSHIP_PERMS = ("accounts.view_membership", "accounts.manage_membership")
MEMBERSHIP = {
    ("learner", "own"): (Y, N),
    ("learner", "another's at own centre"): (N, N),
    ("learner", "another's at other centre"): (N, N),
    ("assessor", "own"): (Y, N),
    ("assessor", "another's at own centre"): (N, N),
    ("assessor", "another's at other centre"): (N, N),
    ("internal verifier", "own"): (Y, N),
    ("internal verifier", "another's at own centre"): (N, N),
    ("internal verifier", "another's at other centre"): (N, N),
    ("centre admin", "own"): (Y, Y),
    ("centre admin", "another's at own centre"): (Y, Y),
    ("centre admin", "another's at other centre"): (N, N),
    ("EQA current", "own"): (Y, N),
    ("EQA current", "another's at own centre"): (N, N),
    ("EQA current", "another's at other centre"): (N, N),
    ("EQA expired", "own"): (Y, N),  # the history of one's own roles stays visible
    ("EQA expired", "another's at own centre"): (N, N),
    ("EQA expired", "another's at other centre"): (N, N),
    ("assessor revoked", "own"): (Y, N),
    ("assessor revoked", "another's at own centre"): (N, N),
    ("assessor revoked", "another's at other centre"): (N, N),
    ("centre admin revoked", "own"): (Y, N),
    ("centre admin revoked", "another's at own centre"): (N, N),
    ("centre admin revoked", "another's at other centre"): (N, N),
    ("no role", "another's at own centre"): (N, N),
    ("no role", "another's at other centre"): (N, N),
    ("employer contact", "another's at own centre"): (N, N),
    ("employer contact", "another's at other centre"): (N, N),
    ("superuser", "another's at own centre"): (Y, Y),
    ("superuser", "another's at other centre"): (Y, Y),
    ("anonymous", "another's at own centre"): (N, N),
    ("anonymous", "another's at other centre"): (N, N),
}


# What a centre keeps about a person (learner profile, staff credential, competence record):
# (role, whose, kept by): (may view, may change). "someone" is a member at both centres, so
# "other centre" is another centre's admin looking at a person they share. No page shows people
# what a centre keeps about them, so not even their own: only that centre's admins.
# Each kind of record is asked with its own (view, change) permissions:
CENTRE_HELD_PERMS = {
    "learner profile": ("accounts.view_learnerprofile", "accounts.change_learnerprofile"),
    "staff credential": ("accounts.view_staffcredential", "accounts.change_staffcredential"),
    "competence record": ("accounts.view_competencerecord", "accounts.change_competencerecord"),
}
CENTRE_HELD = {
    (role, whose, kept_by): (Y, Y) if role == "superuser" else (N, N)
    for role in ROLES
    for whose in ("self", "someone")
    for kept_by in ("own centre", "other centre")
    if not (role == "anonymous" and whose == "self")
}
CENTRE_HELD |= {
    ("centre admin", "self", "own centre"): (Y, Y),  # an admin is a person at their own centre
    ("centre admin", "someone", "own centre"): (Y, Y),
    ("centre admin", "someone", "other centre"): (N, N),  # the person is theirs too: still no
}


# (role, which invitation): (may view, may manage: resend/withdraw, may answer: accept/decline).
# Invitations "to own/other centre" go to someone else's address; "to their address" is to the
# actor, from the other centre. Anonymous has no address. Answering is a predicate, no permission.
INVITATION_PERMS = ("accounts.view_invitation", "accounts.manage_invitation")
INVITATION = {
    ("learner", "to own centre"): (N, N, N),
    ("learner", "to other centre"): (N, N, N),
    ("learner", "to their address"): (Y, N, Y),
    ("assessor", "to own centre"): (N, N, N),
    ("assessor", "to other centre"): (N, N, N),
    ("assessor", "to their address"): (Y, N, Y),
    ("internal verifier", "to own centre"): (N, N, N),
    ("internal verifier", "to other centre"): (N, N, N),
    ("internal verifier", "to their address"): (Y, N, Y),
    ("centre admin", "to own centre"): (Y, Y, N),
    ("centre admin", "to other centre"): (N, N, N),
    ("centre admin", "to their address"): (Y, N, Y),
    ("EQA current", "to own centre"): (N, N, N),
    ("EQA current", "to other centre"): (N, N, N),
    ("EQA current", "to their address"): (Y, N, Y),
    ("EQA expired", "to own centre"): (N, N, N),
    ("EQA expired", "to other centre"): (N, N, N),
    ("EQA expired", "to their address"): (Y, N, Y),
    ("assessor revoked", "to own centre"): (N, N, N),
    ("assessor revoked", "to other centre"): (N, N, N),
    ("assessor revoked", "to their address"): (Y, N, Y),
    ("centre admin revoked", "to own centre"): (N, N, N),
    ("centre admin revoked", "to other centre"): (N, N, N),
    ("centre admin revoked", "to their address"): (Y, N, Y),
    ("no role", "to own centre"): (N, N, N),
    ("no role", "to other centre"): (N, N, N),
    ("no role", "to their address"): (Y, N, Y),
    ("employer contact", "to own centre"): (N, N, N),
    ("employer contact", "to other centre"): (N, N, N),
    ("employer contact", "to their address"): (Y, N, Y),
    ("superuser", "to own centre"): (Y, Y, N),
    ("superuser", "to other centre"): (Y, Y, N),
    ("superuser", "to their address"): (Y, Y, Y),
    ("anonymous", "to own centre"): (N, N, N),
    ("anonymous", "to other centre"): (N, N, N),
}


def test_every_table_covers_every_role() -> None:
    for table in (REGISTRATION, CENTRE, PERSON, MEMBERSHIP, CENTRE_HELD, INVITATION):
        assert {key[0] for key in table} == set(ROLES)
    assert len(REGISTRATION) == len(ROLES) * 4
    assert len(CENTRE) == len(ROLES) * 2


# ---------------------------------------------------------------- the world


@dataclass
class World:
    own: Centre
    other: Centre
    actors: dict[str, Any]
    registrations: dict[tuple[str, str], Registration]
    people: dict[str, User]
    memberships: dict[str, Membership]


def _revoked(centre: Centre, role: str) -> User:
    person = member(centre, role)
    Membership.objects.filter(user=person).update(is_active=False)
    return person


@pytest.fixture
def world(catalogue: None) -> World:
    own, other = CentreFactory(), CentreFactory()
    expired_eqa = member(own, Role.EQA)
    Membership.objects.filter(user=expired_eqa).update(
        expires_on=datetime.date.today() - datetime.timedelta(days=1)
    )
    actors: dict[str, Any] = {
        "learner": member(own, Role.LEARNER),
        "assessor": member(own, Role.ASSESSOR),
        "internal verifier": member(own, Role.INTERNAL_VERIFIER),
        "centre admin": member(own, Role.CENTRE_ADMIN),
        "EQA current": member(own, Role.EQA),
        "EQA expired": expired_eqa,
        "assessor revoked": _revoked(own, Role.ASSESSOR),
        "centre admin revoked": _revoked(own, Role.CENTRE_ADMIN),
        "no role": UserFactory(),
        # Issue 19: a contact for one of the own centre's employers, whose apprentices are none
        # of these registrations' learners: they see no portfolio, and are no staff.
        "employer contact": member(own, Role.EMPLOYER),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
        "anonymous": AnonymousUser(),
    }
    someone_here, someone_there = member(own, Role.LEARNER), member(other, Role.LEARNER)
    # An assessor at the other centre, invited to the own centre and not (yet) accepted.
    invited = member(other, Role.ASSESSOR)
    invite(own, invited.email, role=Role.ASSESSOR)
    assigned = [actors["assessor"], actors["assessor revoked"], actors["no role"]]
    registrations = {}
    for name, centre in (("own centre", own), ("other centre", other)):
        linked = RegistrationFactory(
            centre=centre,
            learner=actors["learner"],
            internal_verifier=actors["internal verifier"],
        )
        linked.assessors.set(assigned)
        registrations[name, "linked"] = linked
        # Issue 19: the linked learner is an apprentice; at the own centre, of the employer
        # the employer contact speaks for; at the other, of an employer kept there.
        contact = actors["employer contact"].memberships.get()
        apprentice(linked, contact.employer if centre == own else EmployerFactory(centre=other))
        unlinked_learner = someone_here if centre == own else someone_there
        registrations[name, "unlinked"] = RegistrationFactory(
            centre=centre, learner=unlinked_learner
        )
    return World(
        own=own,
        other=other,
        actors=actors,
        registrations=registrations,
        people={
            "someone at own centre": someone_here,
            "someone at other centre": someone_there,
            "someone invited to own centre": invited,
        },
        memberships={
            "another's at own centre": someone_here.memberships.get(),
            "another's at other centre": someone_there.memberships.get(),
        },
    )


def in_a_request(actor: Any) -> Any:
    """The actor as a page sees them: a fresh user object carrying the roles the request loaded
    for the header (accounts.context), which the visible_to querysets then use."""
    if not actor.is_authenticated:
        return actor
    fresh = User.objects.get(pk=actor.pk)
    remember_current_roles(fresh, Membership.objects.current().filter(user=fresh))
    return fresh


def _params(table: dict) -> list:
    return [pytest.param(*key, *value, id="|".join(key)) for key, value in table.items()]


# ---------------------------------------------------------------- the checks


@pytest.mark.parametrize(("role", "centre", "relation", "view", "manage"), _params(REGISTRATION))
def test_registration_access_follows_the_table(
    world: World, role: str, centre: str, relation: str, view: bool, manage: bool
) -> None:
    actor = world.actors[role]
    registration = world.registrations[centre, relation]

    view_perm, manage_perm = REGISTRATION_PERMS

    assert actor.has_perm(view_perm, registration) is view
    assert Registration.objects.visible_to(actor).filter(pk=registration.pk).exists() is view
    assert actor.has_perm(manage_perm, registration) is manage
    assert Registration.objects.manageable_by(actor).filter(pk=registration.pk).exists() is manage
    paged = in_a_request(actor)
    assert Registration.objects.visible_to(paged).filter(pk=registration.pk).exists() is view
    assert Registration.objects.manageable_by(paged).filter(pk=registration.pk).exists() is manage


@pytest.mark.parametrize(("role", "centre", "view", "manage"), _params(CENTRE))
def test_centre_access_follows_the_table(
    world: World, role: str, centre: str, view: bool, manage: bool
) -> None:
    actor = world.actors[role]
    target = world.own if centre == "own centre" else world.other
    view_perm, manage_perm = CENTRE_PERMS

    assert actor.has_perm(view_perm, target) is view
    assert Centre.objects.visible_to(actor).filter(pk=target.pk).exists() is view
    assert Centre.objects.visible_to(in_a_request(actor)).filter(pk=target.pk).exists() is view
    # There is no manageable_by QuerySet for centres: the permission is the whole rule.
    assert actor.has_perm(manage_perm, target) is manage


@pytest.mark.parametrize(("role", "whose", "view", "manage"), _params(PERSON))
def test_person_access_follows_the_table(
    world: World, role: str, whose: str, view: bool, manage: bool
) -> None:
    actor = world.actors[role]
    person = actor if whose == "self" else world.people[whose]
    view_perm, manage_perm = PERSON_PERMS

    assert actor.has_perm(view_perm, person) is view
    assert User.objects.visible_to(actor).filter(pk=person.pk).exists() is view
    assert User.objects.visible_to(in_a_request(actor)).filter(pk=person.pk).exists() is view
    assert actor.has_perm(manage_perm, person) is manage


@pytest.mark.parametrize(("role", "which", "view", "manage"), _params(MEMBERSHIP))
def test_membership_access_follows_the_table(
    world: World, role: str, which: str, view: bool, manage: bool
) -> None:
    actor = world.actors[role]
    membership = actor.memberships.get() if which == "own" else world.memberships[which]
    view_perm, manage_perm = MEMBERSHIP_PERMS

    assert actor.has_perm(view_perm, membership) is view
    assert Membership.objects.visible_to(actor).filter(pk=membership.pk).exists() is view
    paged = in_a_request(actor)
    assert Membership.objects.visible_to(paged).filter(pk=membership.pk).exists() is view
    assert actor.has_perm(manage_perm, membership) is manage


def _held_at(centre: Centre, person: User) -> dict[str, Any]:
    return {
        "learner profile": LearnerProfileFactory(user=person, centre=centre),
        "staff credential": StaffCredentialFactory(user=person, centre=centre),
        "competence record": CompetenceRecordFactory(user=person, centre=centre),
    }


@pytest.mark.parametrize(("role", "whose", "kept_by", "view", "change"), _params(CENTRE_HELD))
def test_centre_held_details_follow_the_table(
    world: World, role: str, whose: str, kept_by: str, view: bool, change: bool
) -> None:
    actor = world.actors[role]
    person = actor if whose == "self" else world.people["someone at own centre"]
    if whose == "someone":
        MembershipFactory(user=person, centre=world.other, role=Role.LEARNER)
    centre = world.own if kept_by == "own centre" else world.other

    held = _held_at(centre, person)
    assert set(held) == set(CENTRE_HELD_PERMS)
    for name, record in held.items():
        model = type(record)
        view_perm, change_perm = CENTRE_HELD_PERMS[name]
        assert actor.has_perm(view_perm, record) is view, name
        assert model.objects.visible_to(actor).filter(pk=record.pk).exists() is view, name
        paged = in_a_request(actor)
        assert model.objects.visible_to(paged).filter(pk=record.pk).exists() is view, name
        assert actor.has_perm(change_perm, record) is change, name


@pytest.mark.parametrize(("role", "which", "view", "manage", "answer"), _params(INVITATION))
def test_invitation_access_follows_the_table(
    world: World, role: str, which: str, view: bool, manage: bool, answer: bool
) -> None:
    actor = world.actors[role]
    if which == "to their address":
        invitation = invite(world.other, actor.email, role=Role.LEARNER)
    else:
        centre = world.own if which == "to own centre" else world.other
        invitation = invite(centre, "someone.else@invited.example", role=Role.LEARNER)

    view_perm, manage_perm = INVITATION_PERMS

    assert actor.has_perm(view_perm, invitation) is view
    assert Invitation.objects.visible_to(actor).filter(pk=invitation.pk).exists() is view
    assert actor.has_perm(manage_perm, invitation) is manage
    assert Invitation.objects.manageable_by(actor).filter(pk=invitation.pk).exists() is manage
    # Answering is a predicate, not a permission: has_perm would let a superuser answer.
    assert is_invitee.test(actor, invitation) is answer
    assert Invitation.objects.addressed_to(actor).filter(pk=invitation.pk).exists() is answer


def test_a_person_listed_twice_at_a_centre_is_listed_once(world: World) -> None:
    admin = world.actors["centre admin"]
    person = world.people["someone at own centre"]
    MembershipFactory(user=person, centre=world.own, role=Role.ASSESSOR)

    assert list(User.objects.visible_to(admin).filter(pk=person.pk)) == [person]


def test_a_registration_with_several_assessors_is_listed_once(world: World) -> None:
    registration = world.registrations["own centre", "linked"]
    second = member(world.own, Role.ASSESSOR)
    registration.assessors.add(second)
    admin = world.actors["centre admin"]

    assert list(Registration.objects.visible_to(second).filter(pk=registration.pk)) == [
        registration
    ]
    assert Registration.objects.visible_to(admin).filter(pk=registration.pk).count() == 1


# ---------------------------------------------------------------- the actions (issue 16)
# The permissions and rules each app's rules.py adds for what people do, not only see. Perms
# (has_perm) let a superuser through where the predicate says so; rules (rules.test_rule) are
# what only that role does, so even a superuser is refused.

# On a registration, in this order:
REGISTRATION_ACTIONS_ASKED = (
    ("rule", "assessments.assess_registration"),  # judge, sign off, plans, assessor records
    ("rule", "assessments.unlock_unit"),
    ("perm", "assessments.view_assessment"),  # the staff's Assess page
    ("perm", "assessments.request_record"),  # ask for a record of achievement
    ("perm", "assessments.take_badge"),  # issue and download a record's Open Badge
    ("rule", "assessments.validate_registration"),  # the IV validates decisions
    ("rule", "verification.sample_registration"),
    ("perm", "portfolios.export_portfolio"),  # the learner's ZIP
    ("rule", "assessments.view_own_assessment"),  # on their evidence: the learner's own page
    ("perm", "portfolios.view_off_the_job"),  # the off-the-job log: whoever sees the portfolio
    ("rule", "portfolios.log_off_the_job"),  # log and correct hours: the apprentice
    ("rule", "portfolios.review_off_the_job"),  # approve or query: assessors and IV
)
# (role, centre, relation): (assess, unlock, Assess page, request record, take badge, validate,
# sample, export, own assessment, view off-the-job log, log hours, review hours)
REGISTRATION_ACTIONS = {
    ("learner", "own centre", "linked"): (N, N, N, Y, Y, N, N, Y, Y, Y, Y, N),  # their own
    ("learner", "own centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("learner", "other centre", "linked"): (N, N, N, Y, Y, N, N, Y, Y, Y, Y, N),
    ("learner", "other centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("assessor", "own centre", "linked"): (Y, N, Y, Y, Y, N, N, N, N, Y, N, Y),
    ("assessor", "own centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("assessor", "other centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),  # no role there
    ("assessor", "other centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("internal verifier", "own centre", "linked"): (N, Y, Y, Y, Y, Y, Y, N, N, Y, N, Y),
    ("internal verifier", "own centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("internal verifier", "other centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("internal verifier", "other centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("centre admin", "own centre", "linked"): (N, Y, Y, Y, Y, N, N, N, N, Y, N, N),
    ("centre admin", "own centre", "unlinked"): (N, Y, Y, Y, Y, N, N, N, N, Y, N, N),
    ("centre admin", "other centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("centre admin", "other centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("EQA current", "own centre", "linked"): (
        N,
        N,
        Y,
        N,
        N,
        N,
        N,
        N,
        N,
        Y,
        N,
        N,
    ),  # reads, never acts
    ("EQA current", "own centre", "unlinked"): (N, N, Y, N, N, N, N, N, N, Y, N, N),
    ("EQA current", "other centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("EQA current", "other centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("EQA expired", "own centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("EQA expired", "own centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("EQA expired", "other centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("EQA expired", "other centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("assessor revoked", "own centre", "linked"): (
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
    ),  # still assigned
    ("assessor revoked", "own centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("assessor revoked", "other centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("assessor revoked", "other centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("centre admin revoked", "own centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("centre admin revoked", "own centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("centre admin revoked", "other centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("centre admin revoked", "other centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("no role", "own centre", "linked"): (
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
    ),  # assigned, holds no role
    ("no role", "own centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("no role", "other centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("no role", "other centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    # Their apprentice's off-the-job hours: read, never logged or reviewed (issue 19).
    ("employer contact", "own centre", "linked"): (N, N, N, N, N, N, N, N, N, Y, N, N),
    ("employer contact", "own centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("employer contact", "other centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("employer contact", "other centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("superuser", "own centre", "linked"): (N, N, Y, Y, Y, N, N, Y, N, Y, N, N),
    ("superuser", "own centre", "unlinked"): (N, N, Y, Y, Y, N, N, Y, N, Y, N, N),
    ("superuser", "other centre", "linked"): (N, N, Y, Y, Y, N, N, Y, N, Y, N, N),
    ("superuser", "other centre", "unlinked"): (N, N, Y, Y, Y, N, N, Y, N, Y, N, N),
    ("anonymous", "own centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("anonymous", "own centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("anonymous", "other centre", "linked"): (N, N, N, N, N, N, N, N, N, N, N, N),
    ("anonymous", "other centre", "unlinked"): (N, N, N, N, N, N, N, N, N, N, N, N),
}

# At a centre, asked with its id (claims, holds, sampling, standardisation, release settings) or
# with what names it (a record of achievement), in this order:
CENTRE_ACTIONS_ASKED = (
    ("perm", "certification.manage_claims"),
    ("perm", "certification.open_hold"),
    ("rule", "verification.read_sampling"),
    ("rule", "verification.plan_sampling"),
    ("rule", "verification.record_standardisation"),
    ("rule", "assessments.set_release"),
    ("perm", "assessments.withdraw_record"),
)
# (role, centre): (manage claims, open a hold, read sampling, plan sampling, record
# standardisation, set the release, withdraw a record)
CENTRE_ACTIONS = {
    ("learner", "own centre"): (N, N, N, N, N, N, N),
    ("learner", "other centre"): (N, N, N, N, N, N, N),
    ("assessor", "own centre"): (N, N, N, N, N, N, N),
    ("assessor", "other centre"): (N, N, N, N, N, N, N),
    ("internal verifier", "own centre"): (N, Y, Y, Y, Y, N, N),
    ("internal verifier", "other centre"): (N, N, N, N, N, N, N),
    ("centre admin", "own centre"): (Y, Y, Y, Y, Y, Y, Y),
    ("centre admin", "other centre"): (N, N, N, N, N, N, N),
    ("EQA current", "own centre"): (N, N, Y, N, N, N, N),
    ("EQA current", "other centre"): (N, N, N, N, N, N, N),
    ("EQA expired", "own centre"): (N, N, N, N, N, N, N),
    ("EQA expired", "other centre"): (N, N, N, N, N, N, N),
    ("assessor revoked", "own centre"): (N, N, N, N, N, N, N),
    ("assessor revoked", "other centre"): (N, N, N, N, N, N, N),
    ("centre admin revoked", "own centre"): (N, N, N, N, N, N, N),
    ("centre admin revoked", "other centre"): (N, N, N, N, N, N, N),
    ("no role", "own centre"): (N, N, N, N, N, N, N),
    ("no role", "other centre"): (N, N, N, N, N, N, N),
    ("employer contact", "own centre"): (N, N, N, N, N, N, N),
    ("employer contact", "other centre"): (N, N, N, N, N, N, N),
    ("superuser", "own centre"): (Y, Y, Y, N, N, N, Y),
    ("superuser", "other centre"): (Y, Y, Y, N, N, N, Y),
    ("anonymous", "own centre"): (N, N, N, N, N, N, N),
    ("anonymous", "other centre"): (N, N, N, N, N, N, N),
}

# What a centre's own pages do, asked with the centre itself, in this order:
CENTRE_PAGE_ACTIONS_ASKED = (
    ("perm", "accounts.search_learners"),  # the register page's learner picker: admins
    ("perm", "portfolios.search_registrations"),  # the holds and sampling pickers: admins, IVs
    ("rule", "portfolios.record_simulation_agreement"),  # SFJ 4.7: the centre contact, an admin
    ("rule", "portfolios.view_simulation_agreements"),  # and the IVs who sample under them
    # A qualification whose document gives no rule of combination (NCFE 601/3973/0): the
    # centre's admins record the centre's own (a perm: the site's superuser may too).
    ("perm", "portfolios.record_combination_rule"),
    # The EQA reads the agreements too, within the grant (the page narrows the list by eqa_scope).
    ("rule", "portfolios.read_simulation_agreements_as_eqa"),
    # Issue 20: importing a portfolio ZIP from another centre: its admins (a rule: a superuser
    # is no centre's admin).
    ("rule", "portfolios.import_portfolio"),
)
# (role, centre): (search learners, search registrations, record a simulation agreement, read
# the simulation agreements, record a rule of combination, read the agreements as the EQA,
# import a portfolio from another centre). An EQA changes nothing, so picks nothing; a superuser
# is nobody's centre contact (rules, not perms).
CENTRE_PAGE_ACTIONS = {
    ("learner", "own centre"): (N, N, N, N, N, N, N),
    ("learner", "other centre"): (N, N, N, N, N, N, N),
    ("assessor", "own centre"): (N, N, N, N, N, N, N),  # reaches learners through the caseload
    ("assessor", "other centre"): (N, N, N, N, N, N, N),
    ("internal verifier", "own centre"): (N, Y, N, Y, N, N, N),
    ("internal verifier", "other centre"): (N, N, N, N, N, N, N),
    ("centre admin", "own centre"): (Y, Y, Y, Y, Y, N, Y),
    ("centre admin", "other centre"): (N, N, N, N, N, N, N),
    ("EQA current", "own centre"): (N, N, N, N, N, Y, N),
    ("EQA current", "other centre"): (N, N, N, N, N, N, N),
    ("EQA expired", "own centre"): (N, N, N, N, N, N, N),
    ("EQA expired", "other centre"): (N, N, N, N, N, N, N),
    ("assessor revoked", "own centre"): (N, N, N, N, N, N, N),
    ("assessor revoked", "other centre"): (N, N, N, N, N, N, N),
    ("centre admin revoked", "own centre"): (N, N, N, N, N, N, N),
    ("centre admin revoked", "other centre"): (N, N, N, N, N, N, N),
    ("no role", "own centre"): (N, N, N, N, N, N, N),
    ("no role", "other centre"): (N, N, N, N, N, N, N),
    ("employer contact", "own centre"): (N, N, N, N, N, N, N),
    ("employer contact", "other centre"): (N, N, N, N, N, N, N),
    ("superuser", "own centre"): (Y, Y, N, N, Y, N, N),
    ("superuser", "other centre"): (Y, Y, N, N, Y, N, N),
    ("anonymous", "own centre"): (N, N, N, N, N, N, N),
    ("anonymous", "other centre"): (N, N, N, N, N, N, N),
}

# What is added to a portfolio and changed in it: rules, so a superuser, who sees it all, changes
# nothing. Asked of the registration (add, ask a witness) or of a piece of its evidence (change),
# in this order:
PORTFOLIO_ACTIONS_ASKED = (
    ("rule", "portfolios.add_evidence"),  # the registration active
    ("rule", "portfolios.add_evidence"),  # the registration in any other status: no new evidence
    ("rule", "portfolios.change_evidence"),  # a draft
    ("rule", "portfolios.change_evidence"),  # submitted: still the learner's (a new version);
    # the services refuse what is no longer a draft, with a message
    ("rule", "portfolios.request_witness"),  # the learner, or an assessor of the registration
    # Issue 20: transferred in from an earlier centre: that centre's record, read-only for all.
    ("rule", "portfolios.change_evidence"),
)
# (role, centre, relation): (add to an active registration, add to one no longer active, change
# a draft, change a submitted piece, ask a witness, change a piece transferred in)
PORTFOLIO_ACTIONS = {
    ("learner", "own centre", "linked"): (Y, N, Y, Y, Y, N),  # their own portfolio
    ("learner", "own centre", "unlinked"): (N, N, N, N, N, N),  # another learner's
    ("learner", "other centre", "linked"): (Y, N, Y, Y, Y, N),  # their own, wherever it is held
    ("learner", "other centre", "unlinked"): (N, N, N, N, N, N),
    # Asks witnesses, never changes evidence.
    ("assessor", "own centre", "linked"): (N, N, N, N, Y, N),
    ("assessor", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor", "other centre", "linked"): (N, N, N, N, N, N),  # no role there
    ("assessor", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("internal verifier", "own centre", "linked"): (N, N, N, N, N, N),
    ("internal verifier", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("internal verifier", "other centre", "linked"): (N, N, N, N, N, N),
    ("internal verifier", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin", "own centre", "linked"): (N, N, N, N, N, N),
    ("centre admin", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin", "other centre", "linked"): (N, N, N, N, N, N),
    ("centre admin", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA current", "own centre", "linked"): (N, N, N, N, N, N),
    ("EQA current", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA current", "other centre", "linked"): (N, N, N, N, N, N),
    ("EQA current", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA expired", "own centre", "linked"): (N, N, N, N, N, N),
    ("EQA expired", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA expired", "other centre", "linked"): (N, N, N, N, N, N),
    ("EQA expired", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor revoked", "own centre", "linked"): (N, N, N, N, N, N),  # still assigned
    ("assessor revoked", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor revoked", "other centre", "linked"): (N, N, N, N, N, N),
    ("assessor revoked", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin revoked", "own centre", "linked"): (N, N, N, N, N, N),
    ("centre admin revoked", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin revoked", "other centre", "linked"): (N, N, N, N, N, N),
    ("centre admin revoked", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("no role", "own centre", "linked"): (N, N, N, N, N, N),  # assigned, holds no role
    ("no role", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("no role", "other centre", "linked"): (N, N, N, N, N, N),
    ("no role", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("employer contact", "own centre", "linked"): (N, N, N, N, N, N),
    ("employer contact", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("employer contact", "other centre", "linked"): (N, N, N, N, N, N),
    ("employer contact", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("superuser", "own centre", "linked"): (N, N, N, N, N, N),  # sees it all, changes nothing
    ("superuser", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("superuser", "other centre", "linked"): (N, N, N, N, N, N),
    ("superuser", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("anonymous", "own centre", "linked"): (N, N, N, N, N, N),
    ("anonymous", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("anonymous", "other centre", "linked"): (N, N, N, N, N, N),
    ("anonymous", "other centre", "unlinked"): (N, N, N, N, N, N),
}

# A standardisation meeting and a sampling strategy, at the centre's qualification. "attended":
# the actor is among the meeting's attendees (assessors read only the meetings they attended).
# (role, centre, relation): (view the meeting, view the strategy), asked as these:
MEETING_PERMS = ("verification.view_meeting", "verification.view_strategy")
MEETING = {
    ("learner", "own centre", "attended"): (N, N),
    ("learner", "own centre", "not attended"): (N, N),
    ("learner", "other centre", "attended"): (N, N),
    ("learner", "other centre", "not attended"): (N, N),
    ("assessor", "own centre", "attended"): (Y, N),
    ("assessor", "own centre", "not attended"): (N, N),
    ("assessor", "other centre", "attended"): (N, N),  # no role there
    ("assessor", "other centre", "not attended"): (N, N),
    ("internal verifier", "own centre", "attended"): (Y, Y),
    ("internal verifier", "own centre", "not attended"): (Y, Y),
    ("internal verifier", "other centre", "attended"): (N, N),
    ("internal verifier", "other centre", "not attended"): (N, N),
    ("centre admin", "own centre", "attended"): (Y, Y),
    ("centre admin", "own centre", "not attended"): (Y, Y),
    ("centre admin", "other centre", "attended"): (N, N),
    ("centre admin", "other centre", "not attended"): (N, N),
    ("EQA current", "own centre", "attended"): (Y, Y),
    ("EQA current", "own centre", "not attended"): (Y, Y),
    ("EQA current", "other centre", "attended"): (N, N),
    ("EQA current", "other centre", "not attended"): (N, N),
    ("EQA expired", "own centre", "attended"): (N, N),
    ("EQA expired", "own centre", "not attended"): (N, N),
    ("EQA expired", "other centre", "attended"): (N, N),
    ("EQA expired", "other centre", "not attended"): (N, N),
    ("assessor revoked", "own centre", "attended"): (N, N),  # the role is gone
    ("assessor revoked", "own centre", "not attended"): (N, N),
    ("assessor revoked", "other centre", "attended"): (N, N),
    ("assessor revoked", "other centre", "not attended"): (N, N),
    ("centre admin revoked", "own centre", "attended"): (N, N),
    ("centre admin revoked", "own centre", "not attended"): (N, N),
    ("centre admin revoked", "other centre", "attended"): (N, N),
    ("centre admin revoked", "other centre", "not attended"): (N, N),
    ("no role", "own centre", "attended"): (N, N),
    ("no role", "own centre", "not attended"): (N, N),
    ("no role", "other centre", "attended"): (N, N),
    ("no role", "other centre", "not attended"): (N, N),
    ("employer contact", "own centre", "attended"): (N, N),
    ("employer contact", "own centre", "not attended"): (N, N),
    ("employer contact", "other centre", "attended"): (N, N),
    ("employer contact", "other centre", "not attended"): (N, N),
    ("superuser", "own centre", "attended"): (Y, Y),
    ("superuser", "own centre", "not attended"): (Y, Y),
    ("superuser", "other centre", "attended"): (Y, Y),
    ("superuser", "other centre", "not attended"): (Y, Y),
    ("anonymous", "own centre", "attended"): (N, N),  # nobody to list: never attended
    ("anonymous", "own centre", "not attended"): (N, N),
    ("anonymous", "other centre", "attended"): (N, N),
    ("anonymous", "other centre", "not attended"): (N, N),
}

# The pages of the role worn now (request.membership): every rule of accounts.rules.works_as.
WORN_RULES = (
    "accounts.work_as_centre_admin",
    "accounts.work_as_eqa",
    "assessments.work_assessor_queue",
    "assessments.work_caseload_plans",
    "assessments.work_validation_queue",
    "assessments.work_release_settings",
    "assessments.view_cohort",
    "verification.work_sampling",
    "verification.work_planning",
    "verification.work_recording",
    "verification.work_standardisation",
    "verification.view_eqa_visits",
    "portfolios.work_registration_search",
    "portfolios.work_own_portfolios",
    "portfolios.export_off_the_job",
    "portfolios.work_apprentice_cohort",
    "certification.read_claims",
    "certification.read_holds",
    "certification.act_on_claims",
    "certification.open_holds_here",
    "certification.work_cases",
    "certification.raise_cases_here",
    "verification.work_competence_report",
    "certification.read_records",
    "certification.act_on_records",
    "api.work_tokens",
)
# (role, which membership is worn): the rules it passes; every other one of WORN_RULES fails.
# "own" is the actor's membership at the own centre (none for no role, superuser, anonymous);
# "another's" is a centre admin's at the other centre, which nobody else may wear.
WORN = {
    ("learner", "own"): {
        "api.work_tokens",
        "portfolios.work_own_portfolios",
        "certification.work_cases",
        "certification.raise_cases_here",
    },
    ("learner", "another's"): set(),
    ("assessor", "own"): {
        "api.work_tokens",
        "portfolios.export_off_the_job",
        "portfolios.work_apprentice_cohort",
        "assessments.work_assessor_queue",
        "assessments.work_caseload_plans",
        "assessments.view_cohort",
        "verification.work_standardisation",
        "certification.work_cases",
        "certification.raise_cases_here",
    },
    ("assessor", "another's"): set(),
    ("internal verifier", "own"): {
        "api.work_tokens",
        "portfolios.work_apprentice_cohort",
        "assessments.work_validation_queue",
        "assessments.work_caseload_plans",
        "assessments.view_cohort",
        "verification.work_sampling",
        "verification.work_planning",
        "verification.work_recording",
        "verification.work_standardisation",
        "portfolios.work_registration_search",
        "certification.read_holds",
        "certification.open_holds_here",
        "certification.work_cases",
        "certification.raise_cases_here",
    },
    ("internal verifier", "another's"): set(),
    ("centre admin", "own"): {
        "portfolios.export_off_the_job",
        "portfolios.work_apprentice_cohort",
        "accounts.work_as_centre_admin",
        "assessments.work_release_settings",
        "assessments.view_cohort",
        "verification.work_sampling",
        "verification.work_planning",
        "verification.work_recording",
        "verification.work_standardisation",
        "verification.view_eqa_visits",
        "portfolios.work_registration_search",
        "certification.read_claims",
        "certification.read_holds",
        "certification.act_on_claims",
        "certification.open_holds_here",
        "certification.work_cases",
        "certification.raise_cases_here",
        "verification.work_competence_report",
        "certification.read_records",
        "certification.act_on_records",
        "api.work_tokens",
    },
    ("centre admin", "another's"): set(),
    ("EQA current", "own"): {
        "api.work_tokens",
        "accounts.work_as_eqa",
        "assessments.view_cohort",
        "verification.work_sampling",
        "verification.work_standardisation",
        "certification.read_claims",
        "certification.read_holds",
        "certification.work_cases",
        "verification.work_competence_report",
        "certification.read_records",
    },
    ("EQA current", "another's"): set(),
    ("EQA expired", "own"): set(),  # no longer current
    ("EQA expired", "another's"): set(),
    ("assessor revoked", "own"): set(),
    ("assessor revoked", "another's"): set(),
    ("centre admin revoked", "own"): set(),
    ("centre admin revoked", "another's"): set(),
    ("no role", "own"): set(),
    ("no role", "another's"): set(),
    # No cohort page (issue 19): their own apprentices are on their home page.
    ("employer contact", "own"): set(),
    ("employer contact", "another's"): set(),
    ("superuser", "own"): set(),  # a superuser wears no role: the pages need one
    ("superuser", "another's"): set(),
    ("anonymous", "own"): set(),
    ("anonymous", "another's"): set(),
}

# Offered the Django admin site (the home page's card): superusers only. Asked as this rule:
SITE_ADMIN_RULE = "accounts.use_site_admin"
SITE_ADMIN = {
    "learner": N,
    "assessor": N,
    "internal verifier": N,
    "centre admin": N,
    "EQA current": N,
    "EQA expired": N,
    "assessor revoked": N,
    "centre admin revoked": N,
    "no role": N,
    "employer contact": N,
    "superuser": Y,
    "anonymous": N,
}


def test_every_action_table_covers_every_role() -> None:
    for table in (
        REGISTRATION_ACTIONS,
        CENTRE_ACTIONS,
        CENTRE_PAGE_ACTIONS,
        PORTFOLIO_ACTIONS,
        MEETING,
        WORN,
    ):
        assert {key[0] for key in table} == set(ROLES)
    assert set(SITE_ADMIN) == set(ROLES)
    assert len(REGISTRATION_ACTIONS) == len(ROLES) * 4
    assert len(CENTRE_ACTIONS) == len(ROLES) * 2
    assert len(CENTRE_PAGE_ACTIONS) == len(ROLES) * 2
    assert len(PORTFOLIO_ACTIONS) == len(ROLES) * 4
    assert len(MEETING) == len(ROLES) * 4
    assert len(WORN) == len(ROLES) * 2
    for expected in REGISTRATION_ACTIONS.values():
        assert len(expected) == len(REGISTRATION_ACTIONS_ASKED)
    for expected in CENTRE_ACTIONS.values():
        assert len(expected) == len(CENTRE_ACTIONS_ASKED)
    for expected in CENTRE_PAGE_ACTIONS.values():
        assert len(expected) == len(CENTRE_PAGE_ACTIONS_ASKED)
    for expected in PORTFOLIO_ACTIONS.values():
        assert len(expected) == len(PORTFOLIO_ACTIONS_ASKED)
    for granted in WORN.values():
        assert granted <= set(WORN_RULES)


def _answer(actor: Any, asked: tuple[str, str], target: Any) -> bool:
    kind, name = asked
    if kind == "perm":
        return bool(actor.has_perm(name, target))
    return bool(rules.test_rule(name, actor, target))


def _params_one(table: dict) -> list:
    return [pytest.param(*key, value, id="|".join(key)) for key, value in table.items()]


# The roles whose actor holds a membership (current or not) at the own centre.
OWN_ROLE = {
    "learner",
    "assessor",
    "internal verifier",
    "centre admin",
    "EQA current",
    "EQA expired",
    "assessor revoked",
    "centre admin revoked",
}


@pytest.mark.parametrize(
    ("role", "centre", "relation", "expected"), _params_one(REGISTRATION_ACTIONS)
)
def test_registration_actions_follow_the_table(
    world: World, role: str, centre: str, relation: str, expected: tuple[bool, ...]
) -> None:
    registration = world.registrations[centre, relation]
    # The last rule is asked of a piece of the registration's evidence, submitted.
    evidence = Evidence(registration=registration, status=EvidenceStatus.SUBMITTED)
    for actor in (world.actors[role], in_a_request(world.actors[role])):
        answers = {
            asked[1]: _answer(
                actor, asked, evidence if asked[1].endswith("_own_assessment") else registration
            )
            for asked in REGISTRATION_ACTIONS_ASKED
        }
        assert answers == {
            name: value
            for (_, name), value in zip(REGISTRATION_ACTIONS_ASKED, expected, strict=True)
        }


@pytest.mark.parametrize(("role", "centre", "expected"), _params_one(CENTRE_ACTIONS))
def test_centre_actions_follow_the_table(
    world: World, role: str, centre: str, expected: tuple[bool, ...]
) -> None:
    target = world.own if centre == "own centre" else world.other
    # A record of achievement names its centre as a registration does: asked of one there.
    record_like = world.registrations[centre, "unlinked"]
    for actor in (world.actors[role], in_a_request(world.actors[role])):
        answers = {
            asked[1]: _answer(
                actor, asked, record_like if asked[1].endswith("_record") else target.pk
            )
            for asked in CENTRE_ACTIONS_ASKED
        }
        assert answers == {
            name: value for (_, name), value in zip(CENTRE_ACTIONS_ASKED, expected, strict=True)
        }


@pytest.mark.parametrize(("role", "centre", "expected"), _params_one(CENTRE_PAGE_ACTIONS))
def test_centre_page_actions_follow_the_table(
    world: World, role: str, centre: str, expected: tuple[bool, ...]
) -> None:
    target = world.own if centre == "own centre" else world.other
    for actor in (world.actors[role], in_a_request(world.actors[role])):
        answers = [_answer(actor, asked, target) for asked in CENTRE_PAGE_ACTIONS_ASKED]
        assert dict(zip(CENTRE_PAGE_ACTIONS_ASKED, answers, strict=True)) == dict(
            zip(CENTRE_PAGE_ACTIONS_ASKED, expected, strict=True)
        )


# The centre's records (issue 17): removing evidence past retention and setting the centre's
# retention periods, awarding-body registration dates, credit transfers. Asked with the
# centre's id, in this order:
RECORDS_ACTIONS_ASKED = (("perm", "certification.manage_records"),)
# (role, centre): (manage the records)
RECORDS_ACTIONS = {
    ("learner", "own centre"): (N,),
    ("learner", "other centre"): (N,),
    ("assessor", "own centre"): (N,),
    ("assessor", "other centre"): (N,),
    ("internal verifier", "own centre"): (N,),
    ("internal verifier", "other centre"): (N,),
    ("centre admin", "own centre"): (Y,),
    ("centre admin", "other centre"): (N,),
    ("EQA current", "own centre"): (N,),  # reads the retention page, never acts
    ("EQA current", "other centre"): (N,),
    ("EQA expired", "own centre"): (N,),
    ("EQA expired", "other centre"): (N,),
    ("assessor revoked", "own centre"): (N,),
    ("assessor revoked", "other centre"): (N,),
    ("centre admin revoked", "own centre"): (N,),
    ("centre admin revoked", "other centre"): (N,),
    ("no role", "own centre"): (N,),
    ("no role", "other centre"): (N,),
    ("employer contact", "own centre"): (N,),
    ("employer contact", "other centre"): (N,),
    ("superuser", "own centre"): (Y,),
    ("superuser", "other centre"): (Y,),
    ("anonymous", "own centre"): (N,),
    ("anonymous", "other centre"): (N,),
}


def test_the_records_table_covers_every_role() -> None:
    assert {key[0] for key in RECORDS_ACTIONS} == set(ROLES)
    assert len(RECORDS_ACTIONS) == len(ROLES) * 2
    for expected in RECORDS_ACTIONS.values():
        assert len(expected) == len(RECORDS_ACTIONS_ASKED)


@pytest.mark.parametrize(("role", "centre", "expected"), _params_one(RECORDS_ACTIONS))
def test_records_actions_follow_the_table(
    world: World, role: str, centre: str, expected: tuple[bool, ...]
) -> None:
    target = world.own if centre == "own centre" else world.other
    for actor in (world.actors[role], in_a_request(world.actors[role])):
        answers = [_answer(actor, asked, target.pk) for asked in RECORDS_ACTIONS_ASKED]
        assert answers == list(expected)


# Every status a registration leaves "active" for: evidence is added to none of them.
NOT_ACTIVE = [status for status in RegistrationStatus if status != RegistrationStatus.ACTIVE]


@pytest.mark.parametrize(("role", "centre", "relation", "expected"), _params_one(PORTFOLIO_ACTIONS))
def test_portfolio_actions_follow_the_table(
    world: World, role: str, centre: str, relation: str, expected: tuple[bool, ...]
) -> None:
    registration = world.registrations[centre, relation]
    assert registration.status == RegistrationStatus.ACTIVE
    add, change, witness = (PORTFOLIO_ACTIONS_ASKED[i] for i in (0, 2, 4))
    add_active, add_inactive, change_draft, change_submitted, ask_witness, change_moved = expected
    for actor in (world.actors[role], in_a_request(world.actors[role])):
        assert _answer(actor, add, registration) is add_active
        for status in NOT_ACTIVE:
            # Asked of the registration as it would be, unsaved: the world stays as built.
            moved = Registration(
                pk=registration.pk,
                centre=registration.centre,
                learner_id=registration.learner_id,
                qualification_id=registration.qualification_id,
                status=status,
            )
            assert _answer(actor, add, moved) is add_inactive, status
        draft = Evidence(registration=registration, status=EvidenceStatus.DRAFT)
        submitted = Evidence(registration=registration, status=EvidenceStatus.SUBMITTED)
        assert _answer(actor, change, draft) is change_draft
        assert _answer(actor, change, submitted) is change_submitted
        assert _answer(actor, witness, registration) is ask_witness
        for status in (EvidenceStatus.DRAFT, EvidenceStatus.SUBMITTED):
            moved_in = Evidence(registration=registration, status=status, transfer_id=1)
            assert _answer(actor, change, moved_in) is change_moved


@pytest.mark.parametrize(
    ("role", "centre", "relation", "view_meeting", "view_strategy"), _params(MEETING)
)
def test_meeting_and_strategy_access_follows_the_table(
    world: World,
    role: str,
    centre: str,
    relation: str,
    view_meeting: bool,
    view_strategy: bool,
) -> None:
    actor = world.actors[role]
    where = world.own if centre == "own centre" else world.other
    qualification = world.registrations[centre, "linked"].qualification
    meeting = StandardisationMeeting.objects.create(
        centre=where,
        qualification=qualification,
        title="Observations",
        held_on=datetime.date.today(),
        recorded_by=world.people["someone at own centre"],
    )
    if relation == "attended" and actor.is_authenticated:
        meeting.attendees.add(actor)
    strategy = SamplingStrategy(centre=where, qualification=qualification)

    meeting_perm, strategy_perm = MEETING_PERMS
    for asking in (actor, in_a_request(actor)):
        assert asking.has_perm(meeting_perm, meeting) is view_meeting
        assert asking.has_perm(strategy_perm, strategy) is view_strategy


@pytest.mark.parametrize(
    ("role", "which", "granted"),
    [pytest.param(*key, value, id="|".join(key)) for key, value in WORN.items()],
)
def test_the_rules_of_the_role_worn_follow_the_table(
    world: World, role: str, which: str, granted: set[str]
) -> None:
    actor = world.actors[role]
    if which == "own":
        worn = actor.memberships.get() if actor.is_authenticated and role in OWN_ROLE else None
    else:
        worn = MembershipFactory(centre=world.other, role=Role.CENTRE_ADMIN)
    answers = {name for name in WORN_RULES if rules.test_rule(name, actor, worn)}
    assert answers == granted


@pytest.mark.parametrize(("role", "offered"), list(SITE_ADMIN.items()))
def test_only_superusers_are_offered_the_admin_site(world: World, role: str, offered: bool) -> None:
    assert rules.test_rule(SITE_ADMIN_RULE, world.actors[role]) is offered


# ---------------------------------------------------------------- cases
# Reasonable adjustments, special consideration, appeals and malpractice (certification.rules),
# asked of an appeal on the registration (raising: of the registration itself), in this order:
CASE_ACTIONS_ASKED = (
    ("perm", "certification.view_case"),
    ("rule", "certification.raise_case"),
    ("rule", "certification.decide_first_stage"),  # Pearson l.486: the lead IV's first step
    ("rule", "certification.act_for_centre"),  # the head of centre: the centre's stage, the AB
    ("rule", "certification.pursue_case"),  # take an appeal further, withdraw
    ("rule", "certification.add_case_document"),
)
# (role, centre, relation): (view, raise, decide first stage, act for the centre, pursue, add a
# document). The internal verifiers read and decide every case at their centre; an EQA reads
# and does nothing else; a superuser reads (a perm) but works no case (rules).
CASE_ACTIONS = {
    ("learner", "own centre", "linked"): (Y, Y, N, N, Y, Y),  # their own
    ("learner", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("learner", "other centre", "linked"): (Y, Y, N, N, Y, Y),
    ("learner", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor", "own centre", "linked"): (Y, Y, N, N, N, Y),  # their caseload's
    ("assessor", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor", "other centre", "linked"): (N, N, N, N, N, N),
    ("assessor", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("internal verifier", "own centre", "linked"): (Y, Y, Y, N, N, Y),
    ("internal verifier", "own centre", "unlinked"): (Y, Y, Y, N, N, Y),
    ("internal verifier", "other centre", "linked"): (N, N, N, N, N, N),
    ("internal verifier", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin", "own centre", "linked"): (Y, Y, N, Y, Y, Y),
    ("centre admin", "own centre", "unlinked"): (Y, Y, N, Y, Y, Y),
    ("centre admin", "other centre", "linked"): (N, N, N, N, N, N),
    ("centre admin", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA current", "own centre", "linked"): (Y, N, N, N, N, N),  # reads, never acts
    ("EQA current", "own centre", "unlinked"): (Y, N, N, N, N, N),
    ("EQA current", "other centre", "linked"): (N, N, N, N, N, N),
    ("EQA current", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA expired", "own centre", "linked"): (N, N, N, N, N, N),
    ("EQA expired", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA expired", "other centre", "linked"): (N, N, N, N, N, N),
    ("EQA expired", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor revoked", "own centre", "linked"): (N, N, N, N, N, N),
    ("assessor revoked", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor revoked", "other centre", "linked"): (N, N, N, N, N, N),
    ("assessor revoked", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin revoked", "own centre", "linked"): (N, N, N, N, N, N),
    ("centre admin revoked", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin revoked", "other centre", "linked"): (N, N, N, N, N, N),
    ("centre admin revoked", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("no role", "own centre", "linked"): (N, N, N, N, N, N),
    ("no role", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("no role", "other centre", "linked"): (N, N, N, N, N, N),
    ("no role", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("employer contact", "own centre", "linked"): (N, N, N, N, N, N),
    ("employer contact", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("employer contact", "other centre", "linked"): (N, N, N, N, N, N),
    ("employer contact", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("superuser", "own centre", "linked"): (Y, N, N, N, N, N),
    ("superuser", "own centre", "unlinked"): (Y, N, N, N, N, N),
    ("superuser", "other centre", "linked"): (Y, N, N, N, N, N),
    ("superuser", "other centre", "unlinked"): (Y, N, N, N, N, N),
    ("anonymous", "own centre", "linked"): (N, N, N, N, N, N),
    ("anonymous", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("anonymous", "other centre", "linked"): (N, N, N, N, N, N),
    ("anonymous", "other centre", "unlinked"): (N, N, N, N, N, N),
}


@pytest.mark.parametrize(("role", "centre", "relation", "expected"), _params_one(CASE_ACTIONS))
def test_case_actions_follow_the_table(
    world: World, role: str, centre: str, relation: str, expected: tuple[bool, ...]
) -> None:
    from certification.models import Case, CaseKind

    assert len(CASE_ACTIONS) == len(ROLES) * 4
    registration = world.registrations[centre, relation]
    case = Case(registration=registration, kind=CaseKind.APPEAL)
    for actor in (world.actors[role], in_a_request(world.actors[role])):
        answers = {
            name: _answer(
                actor, (kind, name), registration if name.endswith("raise_case") else case
            )
            for kind, name in CASE_ACTIONS_ASKED
        }
        assert answers == {
            name: value for (_, name), value in zip(CASE_ACTIONS_ASKED, expected, strict=True)
        }


# ---------------------------------------------------------------- every name has a table
# A permission or rule an app's rules.py registers is a promise about who may do something; one
# no truth table asks is a promise nobody checks. The names each table asks are in its
# definition (above, and TABLED of test_access_truth_table_querysets.py), so the tables and
# this list cannot drift apart.

# API tokens (issue 20; their tables are at the end of this file).
CENTRE_TOKEN_ACTIONS_ASKED = (("perm", "api.make_centre_token"), ("perm", "api.manage_token"))
PERSONAL_TOKEN_ACTIONS_ASKED = (
    ("perm", "api.make_personal_token"),
    ("perm", "api.manage_token"),
    ("perm", "api.manage_token"),
)
# Single sign-on providers (issue 20; their table is at the end of this file).
IDENTITY_PROVIDER_ACTIONS_ASKED = (("perm", "accounts.manage_identity_provider"),)

# The project's apps: every app whose code lives in this repository.
PROJECT_APPS = frozenset(
    {
        "accounts",
        "portfolios",
        "assessments",
        "verification",
        "certification",
        "qualifications",
        "core",
        "home",
        "demo",
        "api",
    }
)

# Every permission and rule a table of this file asks, by name.
TABLED = {
    *REGISTRATION_PERMS,
    *CENTRE_PERMS,
    *PERSON_PERMS,
    *MEMBERSHIP_PERMS,
    *(name for pair in CENTRE_HELD_PERMS.values() for name in pair),
    *INVITATION_PERMS,
    *(name for _, name in REGISTRATION_ACTIONS_ASKED),
    *(name for _, name in CENTRE_ACTIONS_ASKED),
    *(name for _, name in CENTRE_PAGE_ACTIONS_ASKED),
    *(name for _, name in RECORDS_ACTIONS_ASKED),
    *(name for _, name in PORTFOLIO_ACTIONS_ASKED),
    *MEETING_PERMS,
    *WORN_RULES,
    SITE_ADMIN_RULE,
    *(name for _, name in CASE_ACTIONS_ASKED),
    *(name for _, name in CENTRE_TOKEN_ACTIONS_ASKED),
    *(name for _, name in PERSONAL_TOKEN_ACTIONS_ASKED),
    *(name for _, name in IDENTITY_PROVIDER_ACTIONS_ASKED),
}


def registered_names() -> set[str]:
    """Every permission (rules.add_perm) and rule (rules.add_rule) of the project's apps.

    Django loads each app's rules.py; one registered in any other module (a service, a view)
    exists only once that module is imported, so every module of the apps is imported first.
    """
    for app in sorted(PROJECT_APPS):
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" not in module.name:
                importlib.import_module(module.name)
    return {
        name
        for name in (*rules.permissions.permissions, *rules.rulesets.default_rules)
        if name.partition(".")[0] in PROJECT_APPS
    }


def untabled_names() -> set[str]:
    """What the apps register and no truth table asks."""
    # Imported here: that module imports this one (ROLES, in_a_request).
    from tests.test_access_truth_table_querysets import TABLED as QUERYSET_TABLED

    return registered_names() - TABLED - QUERYSET_TABLED


def test_the_project_apps_are_the_apps_of_this_repository() -> None:
    here = Path(settings.BASE_DIR).resolve()
    ours = {
        config.label
        for config in django_apps.get_app_configs()
        # The virtualenv lives in the checkout too (make install puts it in .venv): its
        # packages are not ours.
        if Path(config.path).resolve().is_relative_to(here)
        and "site-packages" not in Path(config.path).parts
    }
    assert ours == PROJECT_APPS


def test_every_permission_and_rule_of_the_apps_is_in_a_truth_table() -> None:
    assert untabled_names() == set()
    # And every name a table asks is registered: an unknown rule answers no to everyone (and an
    # unknown permission yes to superusers), which a table would read as a real answer.
    from tests.test_access_truth_table_querysets import TABLED as QUERYSET_TABLED

    assert registered_names() >= TABLED | QUERYSET_TABLED


@pytest.mark.parametrize("kind", ["perm", "rule"])
def test_a_new_permission_or_rule_without_a_row_is_caught(kind: str) -> None:
    name = "portfolios.do_something_nobody_tabled"
    if kind == "perm":
        add, remove = rules.add_perm, rules.remove_perm
    else:
        add, remove = rules.add_rule, rules.remove_rule
    add(name, rules.always_allow)
    try:
        assert untabled_names() == {name}
    finally:
        remove(name)
    assert untabled_names() == set()
    # Another app's (Django's, a library's) are not the project's to table.
    add("auth.something_else", rules.always_allow)
    try:
        assert untabled_names() == set()
    finally:
        remove("auth.something_else")


# ---------------------------------------------------------------- assignment briefs (Pearson)
# Pearson BTEC specification, section 8: assessors set the centre's assignments (write and issue
# its briefs); an extension is "authorised" (here by the learner's own assessor); the learner
# hands in their own evidence. Rules, so a superuser does none of it. Asked of the centre (write),
# a brief at that centre (issue) and the linked registration there (extend, hand in):
BRIEF_ACTIONS_ASKED = (
    ("rule", "assessments.write_brief"),
    ("rule", "assessments.issue_brief"),
    ("rule", "assessments.authorise_extension"),
    ("rule", "assessments.hand_in_brief"),
)
# (role, centre): (write, issue, authorise an extension, hand in)
BRIEF_ACTIONS = {
    ("learner", "own centre"): (N, N, N, Y),  # their own registration
    ("learner", "other centre"): (N, N, N, Y),  # their own, wherever it is held
    ("assessor", "own centre"): (Y, Y, Y, N),
    ("assessor", "other centre"): (N, N, N, N),  # assigned, but no role there
    ("internal verifier", "own centre"): (N, N, N, N),
    ("internal verifier", "other centre"): (N, N, N, N),
    ("centre admin", "own centre"): (N, N, N, N),
    ("centre admin", "other centre"): (N, N, N, N),
    ("EQA current", "own centre"): (N, N, N, N),  # reads, never acts
    ("EQA current", "other centre"): (N, N, N, N),
    ("EQA expired", "own centre"): (N, N, N, N),
    ("EQA expired", "other centre"): (N, N, N, N),
    ("assessor revoked", "own centre"): (N, N, N, N),
    ("assessor revoked", "other centre"): (N, N, N, N),
    ("centre admin revoked", "own centre"): (N, N, N, N),
    ("centre admin revoked", "other centre"): (N, N, N, N),
    ("no role", "own centre"): (N, N, N, N),
    ("no role", "other centre"): (N, N, N, N),
    ("employer contact", "own centre"): (N, N, N, N),
    ("employer contact", "other centre"): (N, N, N, N),
    ("superuser", "own centre"): (N, N, N, N),
    ("superuser", "other centre"): (N, N, N, N),
    ("anonymous", "own centre"): (N, N, N, N),
    ("anonymous", "other centre"): (N, N, N, N),
}
# The briefs page of the role worn now: everyone who works at the centre in a current role.
BRIEFS_PAGE_RULE = "assessments.work_briefs"
BRIEFS_PAGE = {
    "learner": Y,
    "assessor": Y,
    "internal verifier": Y,
    "centre admin": Y,
    "EQA current": Y,
    "EQA expired": N,
    "assessor revoked": N,
    "centre admin revoked": N,
    "no role": N,
    "employer contact": N,
    "superuser": N,
    "anonymous": N,
}
TABLED.update({name for _, name in BRIEF_ACTIONS_ASKED} | {BRIEFS_PAGE_RULE})


def test_the_brief_tables_cover_every_role() -> None:
    assert {key[0] for key in BRIEF_ACTIONS} == set(ROLES)
    assert len(BRIEF_ACTIONS) == len(ROLES) * 2
    assert all(len(row) == len(BRIEF_ACTIONS_ASKED) for row in BRIEF_ACTIONS.values())
    assert set(BRIEFS_PAGE) == set(ROLES)


def _a_brief(centre: Centre, qualification: Any) -> Any:
    from assessments.models import AssignmentBrief
    from qualifications.models import Unit

    return AssignmentBrief.objects.create(
        centre=centre,
        qualification=qualification,
        unit=Unit.objects.filter(memberships__qualification=qualification).first(),
        title="Brief",
        scenario="A contact centre",
        audience="New starters",
        tasks="Task 1",
        start_date=datetime.date(2026, 2, 1),
        hand_in_date=datetime.date(2026, 3, 1),
        written_by=UserFactory(),
    )


@pytest.mark.parametrize(("role", "centre", "expected"), _params_one(BRIEF_ACTIONS))
def test_brief_actions_follow_the_table(
    world: World, role: str, centre: str, expected: tuple[bool, ...]
) -> None:
    where = world.own if centre == "own centre" else world.other
    registration = world.registrations[centre, "linked"]
    brief = _a_brief(where, registration.qualification)
    targets = (where, brief, registration, registration)
    for actor in (world.actors[role], in_a_request(world.actors[role])):
        answers = tuple(
            _answer(actor, asked, target)
            for asked, target in zip(BRIEF_ACTIONS_ASKED, targets, strict=True)
        )
        assert answers == expected


@pytest.mark.parametrize(("role", "granted"), list(BRIEFS_PAGE.items()))
def test_the_briefs_page_follows_the_table(world: World, role: str, granted: bool) -> None:
    actor = world.actors[role]
    worn = actor.memberships.get() if actor.is_authenticated and role in OWN_ROLE else None
    assert rules.test_rule(BRIEFS_PAGE_RULE, actor, worn) is granted
    # Another's membership is nobody else's to wear.
    assert not rules.test_rule(
        BRIEFS_PAGE_RULE, actor, MembershipFactory(centre=world.other, role=Role.ASSESSOR)
    )


# ---------------------------------------------------------------- employer contacts as witnesses
# Issue 19: an apprentice's employer contact is asked for testimony through their account and
# may be asked only about their own apprentices; they answer only what is asked of them, while
# they are still a contact of the apprentice's employer. Rules, so a superuser is no witness.
# Asked of the registration (asked as a contact), then of a witness request on it asked of the
# actor by name, and of one asked of someone else:
CONTACT_WITNESS_ASKED = (
    ("rule", "portfolios.witness_as_contact"),
    ("rule", "portfolios.answer_witness_request"),
    ("rule", "portfolios.answer_witness_request"),
)
# (role, centre, relation): (may be asked as a contact, answers a request asked of them,
# answers one asked of another)
CONTACT_WITNESS = {
    (role, centre, relation): (N, N, N)
    for role in ROLES
    for centre in ("own centre", "other centre")
    for relation in ("linked", "unlinked")
}
# Their apprentice, at the centre whose employer they speak for: nowhere else, nothing else.
CONTACT_WITNESS["employer contact", "own centre", "linked"] = (Y, Y, N)
# The witness requests page of the role worn now: employer contacts'.
WITNESS_REQUESTS_PAGE_RULE = "portfolios.work_witness_requests"
WITNESS_REQUESTS_PAGE = {role: role == "employer contact" for role in ROLES}
TABLED.update({name for _, name in CONTACT_WITNESS_ASKED} | {WITNESS_REQUESTS_PAGE_RULE})


def test_the_contact_witness_tables_cover_every_role() -> None:
    assert {key[0] for key in CONTACT_WITNESS} == set(ROLES)
    assert len(CONTACT_WITNESS) == len(ROLES) * 4
    assert set(WITNESS_REQUESTS_PAGE) == set(ROLES)


def _asked_of(registration: Any, witness: Any) -> Any:
    """A saved witness request on `registration` naming `witness` (None: nobody's account)."""
    from django.utils import timezone

    from portfolios.models import WitnessRequest

    return WitnessRequest.objects.create(
        registration=registration,
        requested_by=registration.learner,
        witness_name="Someone",
        witness_email="someone@example.com",
        job_title="Manager",
        relationship="line manager",
        activity="Work seen.",
        token_hash=UserFactory().email.ljust(64, "0")[:64],
        expires_at=timezone.now() + datetime.timedelta(days=14),
        witness_user=witness,
    )


@pytest.mark.parametrize(("role", "centre", "relation", "expected"), _params_one(CONTACT_WITNESS))
def test_contact_witness_actions_follow_the_table_and_the_queryset_agrees(
    world: World, role: str, centre: str, relation: str, expected: tuple[bool, ...]
) -> None:
    from portfolios.models import WitnessRequest

    registration = world.registrations[centre, relation]
    actor = world.actors[role]
    theirs = _asked_of(registration, actor if actor.is_authenticated else None)
    anothers = _asked_of(registration, member(world.own, Role.EMPLOYER))
    for person in (actor, in_a_request(actor)):
        answers = tuple(
            _answer(person, asked, target)
            for asked, target in zip(
                CONTACT_WITNESS_ASKED, (registration, theirs, anothers), strict=True
            )
        )
        assert answers == expected
        # The list of what is asked of them (WitnessRequest.objects.asked_of) says the same.
        listed = set(WitnessRequest.objects.asked_of(person))
        assert listed == {r for r, y in ((theirs, expected[1]), (anothers, expected[2])) if y}


@pytest.mark.parametrize(("role", "granted"), list(WITNESS_REQUESTS_PAGE.items()))
def test_the_witness_requests_page_follows_the_table(
    world: World, role: str, granted: bool
) -> None:
    actor = world.actors[role]
    worn = (
        actor.memberships.get()
        if actor.is_authenticated and (role in OWN_ROLE or role == "employer contact")
        else None
    )
    assert rules.test_rule(WITNESS_REQUESTS_PAGE_RULE, actor, worn) is granted
    # Another's membership is nobody else's to wear.
    assert not rules.test_rule(
        WITNESS_REQUESTS_PAGE_RULE,
        actor,
        MembershipFactory(centre=world.other, role=Role.EMPLOYER),
    )


# ---------------------------------------------------------------- progress reviews (issue 19)
# Asked of the registration (reading follows the portfolio; the rest are rules, so a superuser
# writes, signs and reads the staff-only notes of no one's review):
REVIEW_ACTIONS_ASKED = (
    ("perm", "portfolios.view_reviews"),  # read the reviews (never the staff-only notes)
    ("rule", "portfolios.write_review"),  # write, correct, send the employer's link
    ("rule", "portfolios.view_review_notes"),  # wellbeing and safeguarding: the centre's staff
    ("rule", "portfolios.sign_review_as_apprentice"),
    ("rule", "portfolios.sign_review_as_employer"),
    ("rule", "portfolios.sign_review_as_provider"),
)
# (role, centre, relation): (read, write, staff notes, sign as apprentice, as employer, as
# provider). The linked registrations are apprenticeships of the employer contact's employer
# at the own centre, and of another employer at the other.
REVIEW_ACTIONS = {
    ("learner", "own centre", "linked"): (Y, N, N, Y, N, N),  # their own: read and sign
    ("learner", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("learner", "other centre", "linked"): (Y, N, N, Y, N, N),
    ("learner", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor", "own centre", "linked"): (Y, Y, Y, N, N, Y),  # the provider
    ("assessor", "own centre", "unlinked"): (N, N, N, N, N, N),  # not assigned
    ("assessor", "other centre", "linked"): (N, N, N, N, N, N),  # no role there
    ("assessor", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("internal verifier", "own centre", "linked"): (Y, N, Y, N, N, N),  # staff: reads the notes
    ("internal verifier", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("internal verifier", "other centre", "linked"): (N, N, N, N, N, N),
    ("internal verifier", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin", "own centre", "linked"): (Y, Y, Y, N, N, Y),  # answers for the programme
    ("centre admin", "own centre", "unlinked"): (Y, Y, Y, N, N, Y),
    ("centre admin", "other centre", "linked"): (N, N, N, N, N, N),
    ("centre admin", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA current", "own centre", "linked"): (Y, N, N, N, N, N),  # reads; no staff notes
    ("EQA current", "own centre", "unlinked"): (Y, N, N, N, N, N),
    ("EQA current", "other centre", "linked"): (N, N, N, N, N, N),
    ("EQA current", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA expired", "own centre", "linked"): (N, N, N, N, N, N),
    ("EQA expired", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA expired", "other centre", "linked"): (N, N, N, N, N, N),
    ("EQA expired", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor revoked", "own centre", "linked"): (N, N, N, N, N, N),  # still assigned
    ("assessor revoked", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor revoked", "other centre", "linked"): (N, N, N, N, N, N),
    ("assessor revoked", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin revoked", "own centre", "linked"): (N, N, N, N, N, N),
    ("centre admin revoked", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin revoked", "other centre", "linked"): (N, N, N, N, N, N),
    ("centre admin revoked", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("no role", "own centre", "linked"): (N, N, N, N, N, N),  # assigned, holds no role
    ("no role", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("no role", "other centre", "linked"): (N, N, N, N, N, N),
    ("no role", "other centre", "unlinked"): (N, N, N, N, N, N),
    # Their apprentice's reviews: read and sign for the employer; never the staff-only notes.
    ("employer contact", "own centre", "linked"): (Y, N, N, N, Y, N),
    ("employer contact", "own centre", "unlinked"): (N, N, N, N, N, N),  # not their apprentice
    ("employer contact", "other centre", "linked"): (N, N, N, N, N, N),  # another employer's
    ("employer contact", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("superuser", "own centre", "linked"): (Y, N, N, N, N, N),  # reads everything, signs nothing
    ("superuser", "own centre", "unlinked"): (Y, N, N, N, N, N),
    ("superuser", "other centre", "linked"): (Y, N, N, N, N, N),
    ("superuser", "other centre", "unlinked"): (Y, N, N, N, N, N),
    ("anonymous", "own centre", "linked"): (N, N, N, N, N, N),
    ("anonymous", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("anonymous", "other centre", "linked"): (N, N, N, N, N, N),
    ("anonymous", "other centre", "unlinked"): (N, N, N, N, N, N),
}
# The centre's interval between reviews, asked with the centre: its admins alone.
REVIEW_INTERVAL_RULE = "portfolios.set_review_interval"
REVIEW_INTERVAL = {
    ("learner", "own centre"): N,
    ("learner", "other centre"): N,
    ("assessor", "own centre"): N,
    ("assessor", "other centre"): N,
    ("internal verifier", "own centre"): N,
    ("internal verifier", "other centre"): N,
    ("centre admin", "own centre"): Y,
    ("centre admin", "other centre"): N,
    ("EQA current", "own centre"): N,
    ("EQA current", "other centre"): N,
    ("EQA expired", "own centre"): N,
    ("EQA expired", "other centre"): N,
    ("assessor revoked", "own centre"): N,
    ("assessor revoked", "other centre"): N,
    ("centre admin revoked", "own centre"): N,
    ("centre admin revoked", "other centre"): N,
    ("no role", "own centre"): N,
    ("no role", "other centre"): N,
    ("employer contact", "own centre"): N,
    ("employer contact", "other centre"): N,
    ("superuser", "own centre"): N,  # a rule: nobody's centre admin
    ("superuser", "other centre"): N,
    ("anonymous", "own centre"): N,
    ("anonymous", "other centre"): N,
}
TABLED.update({name for _, name in REVIEW_ACTIONS_ASKED} | {REVIEW_INTERVAL_RULE})


def test_the_review_tables_cover_every_role() -> None:
    assert {key[0] for key in REVIEW_ACTIONS} == set(ROLES)
    assert len(REVIEW_ACTIONS) == len(ROLES) * 4
    assert all(len(row) == len(REVIEW_ACTIONS_ASKED) for row in REVIEW_ACTIONS.values())
    assert {key[0] for key in REVIEW_INTERVAL} == set(ROLES)
    assert len(REVIEW_INTERVAL) == len(ROLES) * 2


@pytest.mark.parametrize(("role", "centre", "relation", "expected"), _params_one(REVIEW_ACTIONS))
def test_review_actions_follow_the_table(
    world: World, role: str, centre: str, relation: str, expected: tuple[bool, ...]
) -> None:
    registration = world.registrations[centre, relation]
    for actor in (world.actors[role], in_a_request(world.actors[role])):
        answers = tuple(_answer(actor, asked, registration) for asked in REVIEW_ACTIONS_ASKED)
        assert answers == expected


@pytest.mark.parametrize(("role", "centre", "expected"), _params_one(REVIEW_INTERVAL))
def test_the_review_interval_follows_the_table(
    world: World, role: str, centre: str, expected: bool
) -> None:
    target = world.own if centre == "own centre" else world.other
    for actor in (world.actors[role], in_a_request(world.actors[role])):
        assert rules.test_rule(REVIEW_INTERVAL_RULE, actor, target) is expected


# ---------------------------------------------------------------- the end-point assessment gateway
# Issue 19, point 5 (assessments.gateway). The page follows the registration; the apprentice,
# their employer's contact and the provider (the registration's assessor or a centre admin) each
# sign for themselves; the provider names KSB gaps; a centre admin withdraws the declaration and
# records the result. Rules but the first, so a superuser signs and records nothing. Asked of
# the registration, in this order:
GATEWAY_ACTIONS_ASKED = (
    ("perm", "portfolios.view_gateway"),
    ("rule", "portfolios.sign_gateway_as_apprentice"),
    ("rule", "portfolios.sign_gateway_as_employer"),
    ("rule", "portfolios.sign_gateway_as_provider"),
    ("rule", "portfolios.name_gateway_gap"),
    ("rule", "portfolios.manage_end_point"),
)
# (role, centre, relation): (view, sign as apprentice, as employer, as provider, name a gap,
# withdraw the declaration and record the result)
GATEWAY_ACTIONS = {
    ("learner", "own centre", "linked"): (Y, Y, N, N, N, N),  # their own
    ("learner", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("learner", "other centre", "linked"): (Y, Y, N, N, N, N),
    ("learner", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor", "own centre", "linked"): (Y, N, N, Y, Y, N),  # the provider, for their learner
    ("assessor", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor", "other centre", "linked"): (N, N, N, N, N, N),  # no role there
    ("assessor", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("internal verifier", "own centre", "linked"): (Y, N, N, N, N, N),  # reads; not a signatory
    ("internal verifier", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("internal verifier", "other centre", "linked"): (N, N, N, N, N, N),
    ("internal verifier", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin", "own centre", "linked"): (Y, N, N, Y, Y, Y),
    ("centre admin", "own centre", "unlinked"): (Y, N, N, Y, Y, Y),
    ("centre admin", "other centre", "linked"): (N, N, N, N, N, N),
    ("centre admin", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA current", "own centre", "linked"): (Y, N, N, N, N, N),  # reads, never acts
    ("EQA current", "own centre", "unlinked"): (Y, N, N, N, N, N),
    ("EQA current", "other centre", "linked"): (N, N, N, N, N, N),
    ("EQA current", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA expired", "own centre", "linked"): (N, N, N, N, N, N),
    ("EQA expired", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("EQA expired", "other centre", "linked"): (N, N, N, N, N, N),
    ("EQA expired", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor revoked", "own centre", "linked"): (N, N, N, N, N, N),  # still assigned
    ("assessor revoked", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("assessor revoked", "other centre", "linked"): (N, N, N, N, N, N),
    ("assessor revoked", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin revoked", "own centre", "linked"): (N, N, N, N, N, N),
    ("centre admin revoked", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("centre admin revoked", "other centre", "linked"): (N, N, N, N, N, N),
    ("centre admin revoked", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("no role", "own centre", "linked"): (N, N, N, N, N, N),  # assigned, holds no role
    ("no role", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("no role", "other centre", "linked"): (N, N, N, N, N, N),
    ("no role", "other centre", "unlinked"): (N, N, N, N, N, N),
    # Their own apprentice: reads and signs for the employer, through their own account. Not
    # another employer's apprentice (other centre, linked), nor a learner who is no apprentice.
    ("employer contact", "own centre", "linked"): (Y, N, Y, N, N, N),
    ("employer contact", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("employer contact", "other centre", "linked"): (N, N, N, N, N, N),
    ("employer contact", "other centre", "unlinked"): (N, N, N, N, N, N),
    ("superuser", "own centre", "linked"): (Y, N, N, N, N, N),
    ("superuser", "own centre", "unlinked"): (Y, N, N, N, N, N),
    ("superuser", "other centre", "linked"): (Y, N, N, N, N, N),
    ("superuser", "other centre", "unlinked"): (Y, N, N, N, N, N),
    ("anonymous", "own centre", "linked"): (N, N, N, N, N, N),
    ("anonymous", "own centre", "unlinked"): (N, N, N, N, N, N),
    ("anonymous", "other centre", "linked"): (N, N, N, N, N, N),
    ("anonymous", "other centre", "unlinked"): (N, N, N, N, N, N),
}
TABLED |= {name for _, name in GATEWAY_ACTIONS_ASKED}


def test_the_gateway_table_covers_every_role() -> None:
    assert {key[0] for key in GATEWAY_ACTIONS} == set(ROLES)
    assert len(GATEWAY_ACTIONS) == len(ROLES) * 4
    for expected in GATEWAY_ACTIONS.values():
        assert len(expected) == len(GATEWAY_ACTIONS_ASKED)


@pytest.mark.parametrize(("role", "centre", "relation", "expected"), _params_one(GATEWAY_ACTIONS))
def test_gateway_actions_follow_the_table(
    world: World, role: str, centre: str, relation: str, expected: tuple[bool, ...]
) -> None:
    registration = world.registrations[centre, relation]
    for actor in (world.actors[role], in_a_request(world.actors[role])):
        answers = tuple(_answer(actor, asked, registration) for asked in GATEWAY_ACTIONS_ASKED)
        assert answers == expected
    # Whoever may view the gateway finds the registration among those they see.
    if world.actors[role].is_authenticated:
        listed = Registration.objects.visible_to(in_a_request(world.actors[role]))
        assert listed.filter(pk=registration.pk).exists() is expected[0]


def test_a_withdrawn_apprentice_is_no_longer_signed_for(world: World) -> None:
    registration = world.registrations["own centre", "linked"]
    registration.status = RegistrationStatus.WITHDRAWN
    for role, party in (
        ("learner", "apprentice"),
        ("employer contact", "employer"),
        ("assessor", "provider"),
        ("centre admin", "provider"),
    ):
        assert not rules.test_rule(
            f"portfolios.sign_gateway_as_{party}", world.actors[role], registration
        ), role


# ---------------------------------------------------------------- API tokens (issue 20)
# A centre's token reads as the centre's admins: only they make one, and any of them lists and
# revokes it (whoever made it). Asked of the centre, then of a token of that centre made by
# another admin there, in this order:
# (CENTRE_TOKEN_ACTIONS_ASKED, above TABLED)
# (role, centre): (make a centre token, list and revoke the centre's token)
CENTRE_TOKEN_ACTIONS = {
    ("learner", "own centre"): (N, N),
    ("learner", "other centre"): (N, N),
    ("assessor", "own centre"): (N, N),
    ("assessor", "other centre"): (N, N),
    ("internal verifier", "own centre"): (N, N),
    ("internal verifier", "other centre"): (N, N),
    ("centre admin", "own centre"): (Y, Y),
    ("centre admin", "other centre"): (N, N),
    ("EQA current", "own centre"): (N, N),
    ("EQA current", "other centre"): (N, N),
    ("EQA expired", "own centre"): (N, N),
    ("EQA expired", "other centre"): (N, N),
    ("assessor revoked", "own centre"): (N, N),
    ("assessor revoked", "other centre"): (N, N),
    ("centre admin revoked", "own centre"): (N, N),  # the role gone, the tokens with it
    ("centre admin revoked", "other centre"): (N, N),
    ("no role", "own centre"): (N, N),
    ("no role", "other centre"): (N, N),
    ("employer contact", "own centre"): (N, N),
    ("employer contact", "other centre"): (N, N),
    ("superuser", "own centre"): (Y, Y),
    ("superuser", "other centre"): (Y, Y),
    ("anonymous", "own centre"): (N, N),
    ("anonymous", "other centre"): (N, N),
}
# A person's own token acts as them, so anyone signed in makes one; only they (and the site's
# superuser) list and revoke it. Asked of nothing, their own token, another person's token:
# (PERSONAL_TOKEN_ACTIONS_ASKED, above TABLED)
# role: (make a personal token, manage their own, manage another person's)
PERSONAL_TOKEN_ACTIONS = {
    "learner": (Y, Y, N),
    "assessor": (Y, Y, N),
    "internal verifier": (Y, Y, N),
    "centre admin": (Y, Y, N),  # another person's own token is theirs, not the centre's
    "EQA current": (Y, Y, N),
    "EQA expired": (Y, Y, N),
    "assessor revoked": (Y, Y, N),
    "centre admin revoked": (Y, Y, N),
    "no role": (Y, Y, N),
    "employer contact": (Y, Y, N),
    "superuser": (Y, Y, Y),
    "anonymous": (N, N, N),
}


def test_the_token_tables_cover_every_role() -> None:
    assert {role for role, _ in CENTRE_TOKEN_ACTIONS} == set(ROLES)
    assert len(CENTRE_TOKEN_ACTIONS) == len(ROLES) * 2
    assert set(PERSONAL_TOKEN_ACTIONS) == set(ROLES)


def _token(owner: Any, centre: Centre | None = None) -> Any:
    from api.services import token_create

    return token_create(actor=owner, name="t", scopes=["catalogue:read"], centre=centre)[0]


@pytest.mark.parametrize(("role", "centre", "expected"), _params_one(CENTRE_TOKEN_ACTIONS))
def test_centre_token_actions_follow_the_table(
    world: World, role: str, centre: str, expected: tuple[bool, ...]
) -> None:
    from api.models import ApiToken
    from api.queries import token_centres

    target = world.own if centre == "own centre" else world.other
    token = _token(member(target, Role.CENTRE_ADMIN), target)
    for actor in (world.actors[role], in_a_request(world.actors[role])):
        answers = (
            _answer(actor, CENTRE_TOKEN_ACTIONS_ASKED[0], target),
            _answer(actor, CENTRE_TOKEN_ACTIONS_ASKED[1], token),
        )
        assert answers == expected
        # The tokens page offers exactly the centres the person may make a token for, and lists
        # exactly the tokens they may revoke.
        assert token_centres(actor).filter(pk=target.pk).exists() is expected[0]
        listed = ApiToken.objects.visible_to(actor).filter(pk=token.pk).exists()
        assert listed is expected[1]


@pytest.mark.parametrize(("role", "expected"), list(PERSONAL_TOKEN_ACTIONS.items()))
def test_personal_token_actions_follow_the_table(
    world: World, role: str, expected: tuple[bool, ...]
) -> None:
    from api.models import ApiToken

    actor = world.actors[role]
    own = _token(actor) if actor.is_authenticated else None
    someone_elses = _token(world.people["someone at own centre"])
    for person in (actor, in_a_request(actor)):
        answers = tuple(
            _answer(person, asked, target)
            for asked, target in zip(
                PERSONAL_TOKEN_ACTIONS_ASKED, (None, own, someone_elses), strict=True
            )
        )
        assert answers == expected
        listed = ApiToken.objects.visible_to(person)
        if own is not None:
            assert listed.filter(pk=own.pk).exists() is expected[1]
        assert listed.filter(pk=someone_elses.pk).exists() is expected[2]


# ---------------------------------------------------------------- single sign-on (issue 20)
# A centre's OpenID Connect providers: its admins add and change them (the settings page lists
# exactly IdentityProvider.objects.manageable_by). Asked of a provider at the centre:
# (IDENTITY_PROVIDER_ACTIONS_ASKED, above TABLED)
# (role, centre): (manage the provider)
IDENTITY_PROVIDER_ACTIONS = {
    ("learner", "own centre"): (N,),
    ("learner", "other centre"): (N,),
    ("assessor", "own centre"): (N,),
    ("assessor", "other centre"): (N,),
    ("internal verifier", "own centre"): (N,),
    ("internal verifier", "other centre"): (N,),
    ("centre admin", "own centre"): (Y,),
    ("centre admin", "other centre"): (N,),
    ("EQA current", "own centre"): (N,),  # reads the centre's records, sets up nothing
    ("EQA current", "other centre"): (N,),
    ("EQA expired", "own centre"): (N,),
    ("EQA expired", "other centre"): (N,),
    ("assessor revoked", "own centre"): (N,),
    ("assessor revoked", "other centre"): (N,),
    ("centre admin revoked", "own centre"): (N,),
    ("centre admin revoked", "other centre"): (N,),
    ("no role", "own centre"): (N,),
    ("no role", "other centre"): (N,),
    ("employer contact", "own centre"): (N,),
    ("employer contact", "other centre"): (N,),
    ("superuser", "own centre"): (Y,),
    ("superuser", "other centre"): (Y,),
    ("anonymous", "own centre"): (N,),
    ("anonymous", "other centre"): (N,),
}


def test_the_identity_provider_table_covers_every_role() -> None:
    assert {role for role, _ in IDENTITY_PROVIDER_ACTIONS} == set(ROLES)
    assert len(IDENTITY_PROVIDER_ACTIONS) == len(ROLES) * 2


@pytest.mark.parametrize(("role", "centre", "expected"), _params_one(IDENTITY_PROVIDER_ACTIONS))
def test_identity_provider_actions_follow_the_table_and_the_queryset_agrees(
    world: World, role: str, centre: str, expected: tuple[bool, ...]
) -> None:
    from accounts.models import IdentityProvider

    target = world.own if centre == "own centre" else world.other
    provider = IdentityProvider.objects.create(
        centre=target,
        name="College account",
        issuer="https://login.college.example",
        client_id="portfolio",
        client_secret="a-secret-of-the-centre",
    )
    for actor in (world.actors[role], in_a_request(world.actors[role])):
        assert (_answer(actor, IDENTITY_PROVIDER_ACTIONS_ASKED[0], provider),) == expected
        # One about to be added asks the same of its centre.
        unsaved = IdentityProvider(centre=target)
        assert (_answer(actor, IDENTITY_PROVIDER_ACTIONS_ASKED[0], unsaved),) == expected
        listed = IdentityProvider.objects.manageable_by(actor).filter(pk=provider.pk).exists()
        assert listed is expected[0]
