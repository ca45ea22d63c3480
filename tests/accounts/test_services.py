from __future__ import annotations

import datetime

import pytest

from accounts.models import Centre, LearnerProfile, Membership, Role, User
from accounts.services import (
    AccessError,
    person_create,
    role_grant,
    role_revoke,
)
from core.models import AuditEvent
from tests.factories import CentreFactory, UserFactory, member
from tests.support import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre(db: None) -> Centre:
    return CentreFactory(name="Northgate Training")


@pytest.fixture
def admin(centre: Centre) -> User:
    return member(centre, Role.CENTRE_ADMIN)


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


# ---------------------------------------------------------------- person_create


def test_adding_a_new_address_creates_a_login_that_cannot_sign_in_yet(
    centre: Centre, admin: User
) -> None:
    user, membership = person_create(
        actor=admin,
        centre=centre,
        email=" Rita.Patel@Example.COM ",
        full_name="Rita Patel",
        role=Role.LEARNER,
    )

    assert user.email == "rita.patel@example.com"
    assert user.full_name == "Rita Patel"
    assert not user.has_usable_password()
    assert membership.user == user
    assert membership.centre == centre
    assert membership.role == Role.LEARNER
    assert membership.is_current
    assert LearnerProfile.objects.filter(user=user).exists()
    assert _actions() == ["person.created", "role.granted"]
    created = AuditEvent.objects.get(action="person.created")
    assert (created.actor, created.object_id, created.centre_id) == (
        admin,
        str(user.pk),
        centre.pk,
    )


def test_adding_a_new_person_with_a_password_lets_them_sign_in(centre: Centre) -> None:
    user, _ = person_create(
        actor=None,
        centre=centre,
        email="ola@example.com",
        full_name="Ola",
        role=Role.ASSESSOR,
        password="a-long-enough-passphrase",
    )

    assert user.check_password("a-long-enough-passphrase")
    assert not LearnerProfile.objects.filter(user=user).exists()


def test_adding_an_existing_address_gives_that_person_the_role(centre: Centre, admin: User) -> None:
    existing = member(CentreFactory(), Role.ASSESSOR, email="lee@example.com", full_name="Lee")
    users_before = User.objects.count()

    user, membership = person_create(
        actor=admin,
        centre=centre,
        email="LEE@example.com",
        full_name="Someone Else",
        role=Role.INTERNAL_VERIFIER,
    )

    assert user == existing
    assert User.objects.count() == users_before
    user.refresh_from_db()
    assert user.full_name == "Lee"  # an existing person's name is theirs to keep
    assert user.has_usable_password()
    assert membership.role == Role.INTERNAL_VERIFIER
    assert _actions() == ["role.granted"]


def test_adding_someone_twice_in_the_same_role_changes_nothing(centre: Centre, admin: User) -> None:
    first = person_create(
        actor=admin, centre=centre, email="k@example.com", full_name="K", role=Role.LEARNER
    )

    second = person_create(
        actor=admin, centre=centre, email="k@example.com", full_name="K", role=Role.LEARNER
    )

    assert second == first
    assert Membership.objects.filter(user=first[0]).count() == 1
    assert _actions() == ["person.created", "role.granted"]


def test_a_refused_person_create_leaves_no_login_behind(centre: Centre, admin: User) -> None:
    with pytest.raises(AccessError):
        person_create(
            actor=admin, centre=centre, email="eqa@example.com", full_name="E", role=Role.EQA
        )

    assert not User.objects.filter(email="eqa@example.com").exists()
    assert _actions() == []


# ---------------------------------------------------------------- role_grant and role_revoke


def test_an_external_quality_assurer_needs_an_expiry_date(centre: Centre, admin: User) -> None:
    person = UserFactory()

    with pytest.raises(AccessError) as refused:
        role_grant(actor=admin, user=person, centre=centre, role=Role.EQA)

    assert str(refused.value) == (
        "External quality assurers need an expiry date: their access is time-limited."
    )
    assert not Membership.objects.filter(user=person).exists()


def test_an_external_quality_assurer_with_an_expiry_date_is_granted(
    centre: Centre, admin: User
) -> None:
    in_a_year = clock.today() + datetime.timedelta(days=365)
    person = UserFactory()

    membership = role_grant(
        actor=admin, user=person, centre=centre, role=Role.EQA, expires_on=in_a_year
    )

    assert membership.expires_on == in_a_year
    assert membership.is_current
    event = AuditEvent.objects.get()
    assert event.action == "role.granted"
    assert event.data == {
        "user": person.pk,
        "role": Role.EQA,
        "expires_on": in_a_year.isoformat(),
        "qualifications": [],
    }


def test_an_unknown_role_is_refused(centre: Centre, admin: User) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        role_grant(actor=admin, user=UserFactory(), centre=centre, role="headteacher")


def test_granting_a_revoked_role_again_reactivates_it(centre: Centre, admin: User) -> None:
    person = member(centre, Role.ASSESSOR)
    membership = person.memberships.get()
    role_revoke(actor=admin, membership=membership)

    again = role_grant(actor=admin, user=person, centre=centre, role=Role.ASSESSOR)

    assert again.pk == membership.pk
    assert again.is_active
    assert _actions() == ["role.revoked", "role.granted"]


def test_an_eqa_role_can_be_extended(centre: Centre, admin: User) -> None:
    in_a_year = clock.today() + datetime.timedelta(days=365)
    person = member(centre, Role.EQA)

    extended = role_grant(
        actor=admin, user=person, centre=centre, role=Role.EQA, expires_on=in_a_year
    )

    assert extended.expires_on == in_a_year
    assert Membership.objects.filter(user=person).count() == 1


def test_revoking_a_role_deactivates_it_and_never_deletes_it(centre: Centre, admin: User) -> None:
    person = member(centre, Role.ASSESSOR)
    membership = person.memberships.get()

    role_revoke(actor=admin, membership=membership)

    membership.refresh_from_db()
    assert not membership.is_active
    assert not Membership.objects.current().filter(pk=membership.pk).exists()
    event = AuditEvent.objects.get()
    assert event.action == "role.revoked"
    assert event.data == {"user": person.pk, "role": Role.ASSESSOR}


def test_revoking_a_revoked_role_again_records_nothing(centre: Centre, admin: User) -> None:
    membership = member(centre, Role.ASSESSOR).memberships.get()
    role_revoke(actor=admin, membership=membership)

    role_revoke(actor=admin, membership=membership)

    assert _actions() == ["role.revoked"]
