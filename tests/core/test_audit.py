from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable

import pytest
from django.db import transaction

from accounts.models import Centre, Role, User
from accounts.services import person_create, role_grant, role_revoke
from core.audit import GENESIS, record_event, verify_chain
from core.models import AuditEvent
from portfolios.models import Registration, RegistrationStatus
from portfolios.services import (
    RegistrationError,
    assign_staff,
    change_status,
    choose_units,
    register_learner,
    transfer,
    withdraw,
)
from qualifications.models import Qualification
from tests.factories import CentreFactory, member

START = datetime.date(2025, 9, 1)


# ---------------------------------------------------------------- record_event


@pytest.mark.django_db(transaction=True, available_apps=["core"])
def test_recording_an_event_outside_a_transaction_is_refused() -> None:
    # available_apps: tearing this test down empties only the audit table, not the catalogue.
    assert not transaction.get_connection().in_atomic_block

    with pytest.raises(RuntimeError, match="inside the state change's transaction"):
        record_event(actor=None, action="centre.renamed", target=Centre(pk=1))


@pytest.mark.django_db
def test_the_first_event_follows_the_genesis_hash() -> None:
    centre = CentreFactory()

    event = record_event(actor=None, action="centre.created", target=centre, data={"a": 1})

    assert event.previous_hash == GENESIS
    assert event.object_type == "accounts.centre"
    assert event.object_id == str(centre.pk)
    assert event.hash == event.compute_hash()


@pytest.fixture
def chain(db: None) -> list[AuditEvent]:
    centre = CentreFactory()
    return [
        record_event(actor=None, action=f"centre.event_{n}", target=centre, data={"n": n})
        for n in range(5)
    ]


def test_events_are_chained_each_to_its_predecessor(chain: list[AuditEvent]) -> None:
    for previous, event in itertools.pairwise(chain):
        assert event.previous_hash == previous.hash

    assert verify_chain() == []


def test_changing_an_events_data_is_detected(chain: list[AuditEvent]) -> None:
    middle = chain[2]
    AuditEvent.objects.filter(pk=middle.pk).update(data={"n": 99})

    assert verify_chain() == [f"event {middle.pk}: content does not match its hash"]


def test_changing_an_events_action_is_detected(chain: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(pk=chain[0].pk).update(action="centre.nothing_happened")

    assert verify_chain() == [f"event {chain[0].pk}: content does not match its hash"]


def test_deleting_an_event_in_the_middle_is_detected(chain: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(pk=chain[2].pk).delete()

    assert verify_chain() == [
        f"event {chain[3].pk}: sequence {chain[3].sequence} follows {chain[1].sequence}",
        f"event {chain[3].pk}: does not follow its predecessor",
    ]


def test_rehashing_a_changed_event_still_breaks_the_chain(chain: list[AuditEvent]) -> None:
    # Someone who edits a row and recomputes its hash leaves its successor pointing at the old one.
    middle = AuditEvent.objects.get(pk=chain[2].pk)
    middle.data = {"n": 99}
    middle.hash = middle.compute_hash()
    middle.save()

    assert verify_chain() == [f"event {chain[3].pk}: does not follow its predecessor"]


# ---------------------------------------------------------------- what each service records


@pytest.fixture
def centre(catalogue: None) -> Centre:
    centre = CentreFactory()
    centre.qualifications.add(Qualification.objects.get(number="601/3456/2"))
    return centre


@pytest.fixture
def admin(centre: Centre) -> User:
    return member(centre, Role.CENTRE_ADMIN)


def _register(centre: Centre, admin: User, **extra: object) -> Registration:
    return register_learner(
        actor=admin,
        learner=member(centre, Role.LEARNER),
        centre=centre,
        qualification=Qualification.objects.get(number="601/3456/2"),
        start_date=START,
        **extra,
    )


def _new_actions(change: Callable[[], object]) -> list[str]:
    """The actions written by `change`, in order; the chain must stay intact."""
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    change()
    assert verify_chain() == []
    return list(
        AuditEvent.objects.filter(pk__gt=last).order_by("pk").values_list("action", flat=True)
    )


def test_person_create_records_the_person_and_the_role(centre: Centre, admin: User) -> None:
    actions = _new_actions(
        lambda: person_create(
            actor=admin, centre=centre, email="n@example.com", full_name="N", role=Role.LEARNER
        )
    )

    assert actions == ["person.created", "role.granted"]


def test_person_create_for_a_known_address_records_only_the_role(
    centre: Centre, admin: User
) -> None:
    known = member(CentreFactory(), Role.LEARNER)

    actions = _new_actions(
        lambda: person_create(
            actor=admin, centre=centre, email=known.email, full_name="N", role=Role.ASSESSOR
        )
    )

    assert actions == ["role.granted"]


def test_role_grant_and_revoke_record_one_event_each(centre: Centre, admin: User) -> None:
    person = member(CentreFactory(), Role.LEARNER)
    expires = datetime.date.today() + datetime.timedelta(days=30)

    granted: list = []
    assert _new_actions(
        lambda: granted.append(
            role_grant(actor=admin, user=person, centre=centre, role=Role.EQA, expires_on=expires)
        )
    ) == ["role.granted"]
    assert _new_actions(lambda: role_revoke(actor=admin, membership=granted[0])) == ["role.revoked"]


def test_register_learner_records_the_registration(centre: Centre, admin: User) -> None:
    assert _new_actions(lambda: _register(centre, admin)) == ["registration.created"]


def test_register_learner_with_staff_records_the_assignment_too(
    centre: Centre, admin: User
) -> None:
    assessor = member(centre, Role.ASSESSOR)

    actions = _new_actions(lambda: _register(centre, admin, assessors=[assessor]))

    assert actions == ["registration.created", "registration.staff_assigned"]


def test_each_registration_change_records_its_event(centre: Centre, admin: User) -> None:
    registration = _register(centre, admin)
    assessor = member(centre, Role.ASSESSOR)
    elsewhere = CentreFactory()
    elsewhere.qualifications.add(registration.qualification)

    assert _new_actions(
        lambda: choose_units(actor=admin, registration=registration, unit_keys=["D/506/2119"])
    ) == ["registration.units_chosen"]
    assert _new_actions(
        lambda: assign_staff(actor=admin, registration=registration, assessors=[assessor])
    ) == ["registration.staff_assigned"]
    assert _new_actions(
        lambda: change_status(
            actor=admin, registration=registration, status=RegistrationStatus.COMPLETE
        )
    ) == ["registration.status_changed"]
    assert _new_actions(
        lambda: change_status(
            actor=admin, registration=registration, status=RegistrationStatus.ACTIVE
        )
    ) == ["registration.status_changed"]
    assert _new_actions(
        lambda: transfer(
            actor=admin, registration=registration, to_centre=elsewhere, reason="Moved"
        )
    ) == ["role.granted", "registration.status_changed", "registration.created"]


def test_withdraw_records_a_status_change(centre: Centre, admin: User) -> None:
    registration = _register(centre, admin)

    actions = _new_actions(
        lambda: withdraw(actor=admin, registration=registration, reason="Left the course")
    )

    assert actions == ["registration.status_changed"]
    event = AuditEvent.objects.for_object(registration).last()
    assert event.data["reason"] == "Left the course"


def test_a_refused_change_records_nothing(centre: Centre, admin: User) -> None:
    registration = _register(centre, admin)

    def refused() -> None:
        with pytest.raises(RegistrationError):
            withdraw(actor=admin, registration=registration, reason="")
        with pytest.raises(RegistrationError):
            change_status(actor=admin, registration=registration, status=RegistrationStatus.CLAIMED)

    assert _new_actions(refused) == []
