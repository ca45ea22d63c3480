from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass

import pytest
from django.db import connection

from accounts.models import Centre, Membership, Role, User
from core.models import AuditEvent
from portfolios.models import (
    REGISTRATION_LIFECYCLE,
    Registration,
    RegistrationQuerySet,
    RegistrationStatus,
)
from portfolios.services import (
    RegistrationError,
    assign_staff,
    change_status,
    check_eligibility,
    choose_units,
    register_learner,
    reopen,
    transfer,
    unit_choice_result,
    withdraw,
)
from qualifications.models import Qualification
from tests.factories import CentreFactory, RegistrationFactory, member

pytestmark = pytest.mark.django_db

IMI = "601/3456/2"  # optional groups B, C and D; five mandatory units in group A
IMI_MANDATORY = {"A/506/1964", "A/506/2130", "F/506/2131", "J/506/2132", "L/506/1788"}
ASCENTIS = "600/1686/3"  # minimum age 14; barred pairs; open since 1 August 2011
SFJ = "601/1109/4"  # closed to new learners on 31 March 2021, certification until 2023
START = datetime.date(2025, 9, 1)


@dataclass
class Setting:
    centre: Centre
    admin: User
    learner: User
    assessor: User
    iv: User
    imi: Qualification
    ascentis: Qualification
    sfj: Qualification


@pytest.fixture
def here(catalogue: None) -> Setting:
    centre = CentreFactory(name="Northgate Training")
    imi, ascentis, sfj = (Qualification.objects.get(number=n) for n in (IMI, ASCENTIS, SFJ))
    centre.qualifications.add(imi, ascentis, sfj)
    return Setting(
        centre=centre,
        admin=member(centre, Role.CENTRE_ADMIN),
        learner=member(centre, Role.LEARNER, full_name="Sam Okafor"),
        assessor=member(centre, Role.ASSESSOR, full_name="Ada Assessor"),
        iv=member(centre, Role.INTERNAL_VERIFIER, full_name="Ivo Verifier"),
        imi=imi,
        ascentis=ascentis,
        sfj=sfj,
    )


def _register(here: Setting, **changes: object) -> Registration:
    arguments: dict = {
        "actor": here.admin,
        "learner": here.learner,
        "centre": here.centre,
        "qualification": here.imi,
        "start_date": START,
    }
    arguments.update(changes)
    return register_learner(**arguments)


def _refusal(here: Setting, **changes: object) -> str:
    before = Registration.objects.count(), AuditEvent.objects.count()
    with pytest.raises(RegistrationError) as refused:
        _register(here, **changes)
    # Nothing half-saved: no registration, no units, no event.
    assert (Registration.objects.count(), AuditEvent.objects.count()) == before
    return str(refused.value)


def _units(registration: Registration) -> set[str]:
    return set(registration.unit_choices.values_list("unit__key", flat=True))


# ---------------------------------------------------------------- register_learner


def test_registering_a_learner_adds_the_mandatory_units_and_records_it(here: Setting) -> None:
    registration = _register(here, planned_end_date=datetime.date(2026, 7, 31))

    assert registration.status == RegistrationStatus.ACTIVE
    assert registration.learner == here.learner
    assert registration.centre == here.centre
    assert _units(registration) == IMI_MANDATORY
    event = AuditEvent.objects.for_object(registration).get()
    assert event.action == "registration.created"
    assert event.actor == here.admin
    assert event.centre_id == here.centre.pk
    assert event.data == {
        "learner": here.learner.pk,
        "qualification": IMI,
        "units": sorted(IMI_MANDATORY),
    }


def test_registering_with_chosen_units_and_staff_keeps_both(here: Setting) -> None:
    registration = _register(
        here,
        unit_keys=["D/506/2119", "T/506/2126"],
        assessors=[here.assessor],
        internal_verifier=here.iv,
    )

    assert _units(registration) == IMI_MANDATORY | {"D/506/2119", "T/506/2126"}
    assert list(registration.assessors.all()) == [here.assessor]
    assert registration.internal_verifier == here.iv


def test_a_centre_not_approved_for_the_qualification_cannot_register_on_it(
    here: Setting,
) -> None:
    here.centre.qualifications.remove(here.imi)

    message = _refusal(here)

    assert message == (
        f"Northgate Training is not approved to offer {IMI} IMI Level 2 Diploma in Customer "
        "Service."
    )


def test_a_closed_qualification_takes_no_new_learners(here: Setting) -> None:
    message = _refusal(here, qualification=here.sfj)

    assert message == (
        f"{SFJ} closed to new learners on 31 March 2021; it takes no new registrations."
    )


def test_a_qualification_in_its_certification_only_period_takes_no_new_learners(
    here: Setting,
) -> None:
    message = _refusal(here, qualification=here.sfj, start_date=datetime.date(2022, 6, 1))

    assert "closed to new learners on 31 March 2021" in message


def test_a_qualification_not_yet_open_takes_no_learners_before_it_opens(here: Setting) -> None:
    message = _refusal(here, qualification=here.ascentis, start_date=datetime.date(2011, 7, 1))

    assert message == f"{ASCENTIS} is not open for registration until 01 August 2011."


def test_a_learner_under_the_minimum_age_is_refused(here: Setting) -> None:
    here.learner.learner_profiles.update(date_of_birth=datetime.date(2012, 9, 2))

    message = _refusal(here, qualification=here.ascentis)

    assert message == (f"The learner is 12 on the start date; {ASCENTIS} has a minimum age of 14.")


def test_a_learner_turning_the_minimum_age_on_the_start_date_is_accepted(
    here: Setting,
) -> None:
    here.learner.learner_profiles.update(date_of_birth=datetime.date(2011, 9, 1))

    assert _register(here, qualification=here.ascentis).pk


@pytest.mark.parametrize("profile", ["without a date of birth", "without a profile"])
def test_a_minimum_age_needs_the_date_of_birth(here: Setting, profile: str) -> None:
    if profile == "without a profile":
        here.learner.learner_profiles.all().delete()
    else:
        here.learner.learner_profiles.update(date_of_birth=None)

    message = _refusal(here, qualification=here.ascentis)

    assert message == (
        f"{ASCENTIS} has a minimum age of 14: record the learner's date of birth first."
    )


@pytest.mark.parametrize("how", ["no role here", "another role here", "role revoked", "expired"])
def test_only_a_current_learner_at_the_centre_can_be_registered(here: Setting, how: str) -> None:
    person = member(CentreFactory(), Role.LEARNER, full_name="Kim Elsewhere")
    if how == "another role here":
        Membership.objects.create(user=person, centre=here.centre, role=Role.ASSESSOR)
    elif how == "role revoked":
        Membership.objects.create(
            user=person, centre=here.centre, role=Role.LEARNER, is_active=False
        )
    elif how == "expired":
        Membership.objects.create(
            user=person,
            centre=here.centre,
            role=Role.LEARNER,
            expires_on=datetime.date.today() - datetime.timedelta(days=1),
        )

    message = _refusal(here, learner=person)

    assert message == "Kim Elsewhere is not a learner at Northgate Training."


def test_a_learner_already_registered_on_the_qualification_here_is_refused(
    here: Setting,
) -> None:
    _register(here)

    message = _refusal(here)

    assert message == f"Sam Okafor is already registered on {IMI} here."


def test_a_learner_may_register_again_after_withdrawing(here: Setting) -> None:
    first = _register(here)
    withdraw(actor=here.admin, registration=first, reason="Left the employer")

    second = _register(here)

    assert second.pk != first.pk


def test_the_planned_end_cannot_come_before_the_start(here: Setting) -> None:
    message = _refusal(here, planned_end_date=START - datetime.timedelta(days=1))

    assert message == "The planned end date is before the start date."


def test_barred_units_cannot_be_taken_together(here: Setting) -> None:
    message = _refusal(here, qualification=here.ascentis, unit_keys=["A/601/6047", "R/601/6068"])

    assert message.startswith("A/601/6047 ")
    assert "cannot be taken with R/601/6068" in message


def test_a_unit_from_outside_the_qualification_is_refused(here: Setting) -> None:
    message = _refusal(here, unit_keys=["A/601/6047"])

    assert message == "A/601/6047 is not part of this qualification."


def test_every_reason_is_given_at_once(here: Setting) -> None:
    here.centre.qualifications.remove(here.sfj)

    message = _refusal(here, qualification=here.sfj)

    assert "not approved to offer" in message
    assert "closed to new learners" in message


def test_check_eligibility_is_empty_when_the_learner_may_register(here: Setting) -> None:
    assert (
        check_eligibility(
            learner=here.learner, centre=here.centre, qualification=here.imi, start_date=START
        )
        == []
    )


def test_an_incomplete_choice_is_registered_and_reported(here: Setting) -> None:
    registration = _register(here)

    assert _units(registration) == IMI_MANDATORY
    result = unit_choice_result(here.imi, [])
    assert not result.ok
    codes = {problem.code for problem in result.problems}
    assert "group_min_credits" in codes
    assert "missing_mandatory" not in codes  # mandatory units are always counted
    assert result.units == len(IMI_MANDATORY)


def test_unit_choice_result_reports_a_barred_pair(here: Setting) -> None:
    result = unit_choice_result(here.ascentis, ["A/601/6047", "R/601/6068"])

    assert "barred" in {problem.code for problem in result.problems}


# ---------------------------------------------------------------- double submissions


def test_a_double_click_registers_the_learner_once(here: Setting) -> None:
    _register(here)

    with pytest.raises(RegistrationError, match="already registered"):
        _register(here)

    assert Registration.objects.filter(learner=here.learner).count() == 1


def test_losing_a_race_to_register_is_an_already_registered_refusal(
    here: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(here)
    events = AuditEvent.objects.count()
    # The other request committed between this one's check and its insert.
    monkeypatch.setattr(RegistrationQuerySet, "exists", lambda self: False)

    with pytest.raises(RegistrationError, match="already registered"):
        _register(here)

    monkeypatch.undo()
    assert Registration.objects.filter(learner=here.learner).count() == 1
    assert AuditEvent.objects.count() == events
    # The caller's transaction is still usable: the savepoint absorbed the failure.
    assert not connection.needs_rollback
    assert Registration.objects.exists()


# ---------------------------------------------------------------- choose_units


def test_choosing_units_replaces_the_optional_ones_and_keeps_the_mandatory(
    here: Setting,
) -> None:
    registration = _register(here, unit_keys=["D/506/2119"])

    result = choose_units(
        actor=here.admin, registration=registration, unit_keys=["T/506/2126", "H/506/2154"]
    )

    assert _units(registration) == IMI_MANDATORY | {"T/506/2126", "H/506/2154"}
    assert result.units == len(IMI_MANDATORY) + 2
    event = AuditEvent.objects.for_object(registration).last()
    assert event.action == "registration.units_chosen"
    assert event.data == {
        "before": sorted(IMI_MANDATORY | {"D/506/2119"}),
        "after": sorted(IMI_MANDATORY | {"T/506/2126", "H/506/2154"}),
    }


def test_choosing_barred_units_changes_nothing(here: Setting) -> None:
    registration = _register(here, qualification=here.ascentis, unit_keys=["A/601/6047"])

    with pytest.raises(RegistrationError, match="cannot be taken with"):
        choose_units(
            actor=here.admin, registration=registration, unit_keys=["A/601/6047", "R/601/6068"]
        )

    assert _units(registration) == {"R/601/6071", "A/601/6047"}


def test_units_cannot_be_chosen_once_the_registration_has_ended(here: Setting) -> None:
    registration = _register(here)
    withdraw(actor=here.admin, registration=registration, reason="Moved away")

    with pytest.raises(RegistrationError) as refused:
        choose_units(actor=here.admin, registration=registration, unit_keys=["D/506/2119"])

    assert str(refused.value) == "Units can only be changed while the registration is active."


# ---------------------------------------------------------------- assign_staff


def test_assigning_staff_sets_the_assessors_and_verifier(here: Setting) -> None:
    registration = _register(here)
    second = member(here.centre, Role.ASSESSOR)

    assign_staff(
        actor=here.admin,
        registration=registration,
        assessors=[here.assessor, second],
        internal_verifier=here.iv,
    )

    registration.refresh_from_db()
    assert set(registration.assessors.all()) == {here.assessor, second}
    assert registration.internal_verifier == here.iv
    event = AuditEvent.objects.for_object(registration).last()
    assert event.action == "registration.staff_assigned"
    assert event.data == {
        "assessors": sorted([here.assessor.pk, second.pk]),
        "internal_verifier": here.iv.pk,
    }


def test_only_an_assessor_at_the_centre_can_be_assigned_to_assess(here: Setting) -> None:
    registration = _register(here)
    elsewhere = member(CentreFactory(), Role.ASSESSOR, full_name="Ola Elsewhere")

    for person in (elsewhere, here.iv):
        with pytest.raises(RegistrationError) as refused:
            assign_staff(actor=here.admin, registration=registration, assessors=[person])
        assert str(refused.value) == f"{person} is not an assessor at Northgate Training."

    assert not registration.assessors.exists()


def test_only_an_internal_verifier_at_the_centre_can_be_assigned_to_verify(
    here: Setting,
) -> None:
    registration = _register(here)

    with pytest.raises(RegistrationError) as refused:
        assign_staff(actor=here.admin, registration=registration, internal_verifier=here.assessor)

    assert str(refused.value) == "Ada Assessor is not an internal verifier at Northgate Training."


def test_a_learner_cannot_assess_or_verify_their_own_portfolio(here: Setting) -> None:
    registration = _register(here)
    Membership.objects.create(user=here.learner, centre=here.centre, role=Role.ASSESSOR)
    Membership.objects.create(user=here.learner, centre=here.centre, role=Role.INTERNAL_VERIFIER)

    with pytest.raises(RegistrationError) as assessing:
        assign_staff(actor=here.admin, registration=registration, assessors=[here.learner])
    with pytest.raises(RegistrationError) as verifying:
        assign_staff(actor=here.admin, registration=registration, internal_verifier=here.learner)

    assert str(assessing.value) == "A learner cannot assess their own portfolio."
    assert str(verifying.value) == "A learner cannot verify their own portfolio."
    registration.refresh_from_db()
    assert registration.internal_verifier is None


# ---------------------------------------------------------------- change_status and withdraw

LEGAL = sorted(
    (before, after)
    for before in RegistrationStatus.values
    for after in REGISTRATION_LIFECYCLE.targets(before)
)
ILLEGAL = [
    (before, after)
    for before, after in itertools.product(RegistrationStatus.values, repeat=2)
    if not REGISTRATION_LIFECYCLE.allows(before, after)
]


@pytest.mark.parametrize(("before", "after"), LEGAL, ids=[f"{b}->{a}" for b, a in LEGAL])
def test_a_legal_status_change_is_made_and_recorded(here: Setting, before: str, after: str) -> None:
    registration = RegistrationFactory(learner=here.learner, centre=here.centre, status=before)

    change_status(actor=here.admin, registration=registration, status=after, reason="Because")

    registration.refresh_from_db()
    assert registration.status == after
    assert registration.status_reason == "Because"
    event = AuditEvent.objects.for_object(registration).get()
    assert event.action == "registration.status_changed"
    assert event.data == {"from": before, "to": after, "reason": "Because"}


@pytest.mark.parametrize(("before", "after"), ILLEGAL, ids=[f"{b}->{a}" for b, a in ILLEGAL])
def test_an_illegal_status_change_is_refused_with_a_message(
    here: Setting, before: str, after: str
) -> None:
    registration = RegistrationFactory(learner=here.learner, centre=here.centre, status=before)

    with pytest.raises(RegistrationError) as refused:
        change_status(actor=here.admin, registration=registration, status=after)

    assert str(refused.value) == (
        f"A registration that is {RegistrationStatus(before).label.lower()} cannot become "
        f"{RegistrationStatus(after).label.lower()}."
    )
    registration.refresh_from_db()
    assert registration.status == before
    assert not AuditEvent.objects.exists()


def test_a_complete_registration_cannot_reopen_beside_a_newer_active_one(
    here: Setting,
) -> None:
    first = _register(here)
    change_status(actor=here.admin, registration=first, status=RegistrationStatus.COMPLETE)
    _register(here)

    with pytest.raises(RegistrationError) as refused:
        change_status(actor=here.admin, registration=first, status=RegistrationStatus.ACTIVE)

    assert str(refused.value) == (
        "The learner has another active registration on this qualification here."
    )
    first.refresh_from_db()
    assert first.status == RegistrationStatus.COMPLETE


# ---------------------------------------------------------------- reopen


def test_reopening_makes_a_complete_registration_active_with_its_event(here: Setting) -> None:
    registration = _register(here)
    change_status(actor=here.admin, registration=registration, status=RegistrationStatus.COMPLETE)
    registration.refresh_from_db()

    assert reopen(actor=here.admin, registration=registration, reason="Unit unlocked: typo")

    assert registration.status == RegistrationStatus.ACTIVE
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE
    assert registration.status_reason == "Unit unlocked: typo"
    event = AuditEvent.objects.filter(action="registration.status_changed").last()
    assert event.data == {"from": "complete", "to": "active", "reason": "Unit unlocked: typo"}


@pytest.mark.parametrize(
    "status", [s for s in RegistrationStatus.values if s != RegistrationStatus.COMPLETE]
)
def test_reopening_leaves_any_other_registration_alone(here: Setting, status: str) -> None:
    registration = RegistrationFactory(learner=here.learner, centre=here.centre, status=status)

    assert not reopen(actor=here.admin, registration=registration, reason="Why")

    registration.refresh_from_db()
    assert registration.status == status
    assert not AuditEvent.objects.exists()


def test_reopening_a_copy_read_before_another_step_reopened_it_changes_nothing(
    here: Setting,
) -> None:
    registration = _register(here)
    change_status(actor=here.admin, registration=registration, status=RegistrationStatus.COMPLETE)
    registration.refresh_from_db()
    stale = Registration.objects.get(pk=registration.pk)
    assert reopen(actor=here.admin, registration=registration, reason="First")
    events = AuditEvent.objects.count()

    assert not reopen(actor=here.admin, registration=stale, reason="Second")

    assert stale.status == RegistrationStatus.ACTIVE
    assert AuditEvent.objects.count() == events


def test_reopening_beside_a_newer_active_registration_is_refused(here: Setting) -> None:
    first = _register(here)
    change_status(actor=here.admin, registration=first, status=RegistrationStatus.COMPLETE)
    _register(here)
    first.refresh_from_db()

    with pytest.raises(RegistrationError, match="another active registration"):
        reopen(actor=here.admin, registration=first, reason="Why")

    first.refresh_from_db()
    assert first.status == RegistrationStatus.COMPLETE


def test_withdrawing_records_the_reason(here: Setting) -> None:
    registration = _register(here)

    withdraw(actor=here.admin, registration=registration, reason="Changed career")

    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.WITHDRAWN
    assert registration.status_reason == "Changed career"


@pytest.mark.parametrize("reason", ["", "   "])
def test_withdrawing_needs_a_reason(here: Setting, reason: str) -> None:
    registration = _register(here)

    with pytest.raises(RegistrationError) as refused:
        withdraw(actor=here.admin, registration=registration, reason=reason)

    assert str(refused.value) == "Say why the learner is withdrawn."
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE


# ---------------------------------------------------------------- transfer


@pytest.fixture
def receiving(here: Setting) -> Centre:
    centre = CentreFactory(name="Southfield College")
    centre.qualifications.add(here.imi)
    return centre


def test_a_transfer_opens_a_registration_at_the_other_centre(
    here: Setting, receiving: Centre
) -> None:
    old = _register(
        here, unit_keys=["D/506/2119"], assessors=[here.assessor], awarding_body_number="AB12"
    )

    new = transfer(
        actor=here.admin,
        registration=old,
        to_centre=receiving,
        reason="Moved to Leeds",
        start_date=datetime.date(2025, 10, 1),
    )

    old.refresh_from_db()
    assert old.status == RegistrationStatus.TRANSFERRED
    assert old.status_reason == "Moved to Leeds"
    assert old.transferred_to == new
    assert new.centre == receiving
    assert new.status == RegistrationStatus.ACTIVE
    assert new.learner == here.learner
    assert new.start_date == datetime.date(2025, 10, 1)
    assert new.awarding_body_number == "AB12"
    assert _units(new) == _units(old)
    assert not new.assessors.exists()  # the receiving centre assigns its own staff
    assert (
        Membership.objects.current()
        .filter(user=here.learner, centre=receiving, role=Role.LEARNER)
        .exists()
    )


def test_a_transfer_to_the_same_centre_is_refused(here: Setting) -> None:
    registration = _register(here)

    with pytest.raises(RegistrationError) as refused:
        transfer(actor=here.admin, registration=registration, to_centre=here.centre, reason="x")

    assert str(refused.value) == "The learner is already at this centre."


@pytest.mark.parametrize("reason", ["", "  "])
def test_a_transfer_needs_a_reason(here: Setting, receiving: Centre, reason: str) -> None:
    registration = _register(here)

    with pytest.raises(RegistrationError) as refused:
        transfer(actor=here.admin, registration=registration, to_centre=receiving, reason=reason)

    assert str(refused.value) == "Say why the learner is transferred."


def test_a_refused_transfer_leaves_everything_as_it_was(here: Setting) -> None:
    registration = _register(here)
    unapproved = CentreFactory(name="Eastfield")
    events = AuditEvent.objects.count()

    with pytest.raises(RegistrationError, match="Eastfield is not approved"):
        transfer(actor=here.admin, registration=registration, to_centre=unapproved, reason="x")

    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE
    assert registration.transferred_to is None
    assert not Membership.objects.filter(centre=unapproved).exists()
    assert AuditEvent.objects.count() == events


def test_a_withdrawn_registration_cannot_be_transferred(here: Setting, receiving: Centre) -> None:
    registration = _register(here)
    withdraw(actor=here.admin, registration=registration, reason="Left")

    with pytest.raises(RegistrationError, match="withdrawn cannot become transferred"):
        transfer(actor=here.admin, registration=registration, to_centre=receiving, reason="x")

    assert not Registration.objects.filter(centre=receiving).exists()
