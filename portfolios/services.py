"""Registering learners and the life of a registration. Every change writes an audit event."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import (
    Centre,
    Invitation,
    InvitationStatus,
    LearnerProfile,
    Membership,
    Role,
    User,
)
from accounts.services import invitation_accepted, learner_profile_update, person_add
from core.audit import record_event
from core.lifecycle import IllegalTransition
from portfolios.combination import rules_at_centre
from portfolios.models import (
    REGISTRATION_LIFECYCLE,
    Registration,
    RegistrationStatus,
    RegistrationUnit,
)
from portfolios.readmodel import refresh_progress
from qualifications.combination import CombinationRules, Result, check, mandatory_units
from qualifications.models import Qualification, QualificationStatus
from qualifications.queries import combination_rules


class RegistrationError(Exception):
    """A registration change that the rules forbid; the message is for the person making it."""


def _has_role(user: User, centre: Centre, role: str) -> bool:
    return Membership.objects.current().filter(user=user, centre=centre, role=role).exists()


def check_eligibility(
    *,
    learner: User,
    centre: Centre,
    qualification: Qualification,
    start_date: date,
    profile: LearnerProfile | None = None,
) -> list[str]:
    """Every reason this learner may not be registered; empty when they may.

    Age comes from the date of birth `centre` holds (another centre's record is not its to
    read); `profile` stands in for it when the caller checks details not saved yet (an import).
    """
    problems = []
    if not centre.qualifications.filter(pk=qualification.pk).exists():
        problems.append(
            f"{centre.name} is not approved to offer {qualification.number} {qualification.title}."
        )
    status = qualification.status_on(start_date)
    if status == QualificationStatus.NOT_YET_OPEN:
        problems.append(
            f"{qualification.number} is not open for registration until "
            f"{qualification.operational_start:%d %B %Y}."
        )
    elif status in (QualificationStatus.CERTIFICATION_ONLY, QualificationStatus.CLOSED):
        problems.append(
            f"{qualification.number} closed to new learners on "
            f"{qualification.operational_end:%d %B %Y}; it takes no new registrations."
        )
    if qualification.minimum_age:
        if profile is None and learner.pk is not None:
            profile = LearnerProfile.objects.at(centre).filter(user=learner).first()
        age = profile.age_on(start_date) if profile else None
        if age is None:
            problems.append(
                f"{qualification.number} has a minimum age of {qualification.minimum_age}: "
                "record the learner's date of birth first."
            )
        elif age < qualification.minimum_age:
            problems.append(
                f"The learner is {age} on the start date; {qualification.number} has a minimum "
                f"age of {qualification.minimum_age}."
            )
    return problems


def _rules(qualification: Qualification, centre_id: int | None) -> CombinationRules:
    if centre_id is None:
        return combination_rules(qualification)
    return rules_at_centre(qualification, centre_id)


def unit_choice_result(
    qualification: Qualification, unit_keys: Iterable[str], *, centre_id: int | None = None
) -> Result:
    """How a set of units stands against the rules (mandatory units are always included): the
    catalogue's, or where its document gives none, the centre's recorded rule."""
    rules = _rules(qualification, centre_id)
    return check(rules, set(unit_keys) | mandatory_units(rules))


def _validate_units(
    qualification: Qualification, unit_keys: Iterable[str], *, centre_id: int
) -> tuple[set, Result]:
    rules = rules_at_centre(qualification, centre_id)
    chosen = set(unit_keys) | mandatory_units(rules)
    result = check(rules, chosen)
    refused = [p.message for p in result.problems if p.code in ("barred", "not_in_qualification")]
    if refused:
        raise RegistrationError(" ".join(refused))
    return chosen, result


@transaction.atomic
def register_learner(
    *,
    # None when no one is left to name: an invitation's registrations, its inviter since gone.
    actor: User | None,
    learner: User,
    centre: Centre,
    qualification: Qualification,
    start_date: date,
    planned_end_date: date | None = None,
    awarding_body_number: str = "",
    unit_keys: Iterable[str] = (),
    assessors: Iterable[User] = (),
    internal_verifier: User | None = None,
) -> Registration:
    if not _has_role(learner, centre, Role.LEARNER):
        raise RegistrationError(f"{learner} is not a learner at {centre.name}.")
    problems = check_eligibility(
        learner=learner, centre=centre, qualification=qualification, start_date=start_date
    )
    if problems:
        raise RegistrationError(" ".join(problems))
    if planned_end_date and planned_end_date < start_date:
        raise RegistrationError("The planned end date is before the start date.")
    if Registration.objects.filter(
        learner=learner,
        centre=centre,
        qualification=qualification,
        status=RegistrationStatus.ACTIVE,
    ).exists():
        raise RegistrationError(f"{learner} is already registered on {qualification.number} here.")
    chosen, _ = _validate_units(qualification, unit_keys, centre_id=centre.pk)
    try:
        # A savepoint: if a simultaneous submission won the race, the database's constraint
        # refuses this one and the caller's transaction stays usable.
        with transaction.atomic():
            registration = Registration.objects.create(
                learner=learner,
                centre=centre,
                qualification=qualification,
                start_date=start_date,
                planned_end_date=planned_end_date,
                awarding_body_number=awarding_body_number,
            )
    except IntegrityError:
        raise RegistrationError(
            f"{learner} is already registered on {qualification.number} here."
        ) from None
    _set_units(registration, chosen)
    refresh_progress(registration)
    record_event(
        actor=actor,
        action="registration.created",
        target=registration,
        centre_id=centre.pk,
        data={
            "learner": learner.pk,
            "qualification": qualification.number,
            "units": sorted(chosen),
        },
    )
    assessors = list(assessors)
    if assessors or internal_verifier is not None:
        # Only when there is someone to assign: an empty assignment is no event.
        assign_staff(
            actor=actor,
            registration=registration,
            assessors=assessors,
            internal_verifier=internal_verifier,
        )
    return registration


def _set_units(registration: Registration, keys: set[str]) -> None:
    from qualifications.models import Unit

    wanted = {unit.key: unit for unit in Unit.objects.filter(key__in=keys)}
    current = set(registration.unit_choices.values_list("unit__key", flat=True))
    registration.unit_choices.filter(unit__key__in=current - set(wanted)).delete()
    RegistrationUnit.objects.bulk_create(
        [RegistrationUnit(registration=registration, unit=wanted[k]) for k in set(wanted) - current]
    )


@transaction.atomic
def choose_units(*, actor: User, registration: Registration, unit_keys: Iterable[str]) -> Result:
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != RegistrationStatus.ACTIVE:
        raise RegistrationError("Units can only be changed while the registration is active.")
    chosen, result = _validate_units(
        registration.qualification, unit_keys, centre_id=registration.centre_id
    )
    before = sorted(registration.unit_choices.values_list("unit__key", flat=True))
    _set_units(registration, chosen)
    refresh_progress(registration)
    record_event(
        actor=actor,
        action="registration.units_chosen",
        target=registration,
        centre_id=registration.centre_id,
        data={"before": before, "after": sorted(chosen)},
    )
    return result


@transaction.atomic
def assign_staff(
    *,
    actor: User | None,
    registration: Registration,
    assessors: list[User] | None = None,
    internal_verifier: User | None = None,
) -> Registration:
    """Set the registration's assessors and/or internal verifier (None leaves them as they are)."""
    centre = registration.centre
    data: dict = {}
    if assessors is not None:
        for assessor in assessors:
            if not _has_role(assessor, centre, Role.ASSESSOR):
                raise RegistrationError(f"{assessor} is not an assessor at {centre.name}.")
            if assessor.pk == registration.learner_id:
                raise RegistrationError("A learner cannot assess their own portfolio.")
        registration.assessors.set(assessors)
        data["assessors"] = sorted(a.pk for a in assessors)
    if internal_verifier is not None:
        if not _has_role(internal_verifier, centre, Role.INTERNAL_VERIFIER):
            raise RegistrationError(
                f"{internal_verifier} is not an internal verifier at {centre.name}."
            )
        if internal_verifier.pk == registration.learner_id:
            raise RegistrationError("A learner cannot verify their own portfolio.")
        registration.internal_verifier = internal_verifier
        registration.save(update_fields=["internal_verifier", "updated_at"])
        data["internal_verifier"] = internal_verifier.pk
    if data:
        record_event(
            actor=actor,
            action="registration.staff_assigned",
            target=registration,
            centre_id=centre.pk,
            data=data,
        )
    return registration


@transaction.atomic
def change_status(
    *, actor: User, registration: Registration, status: str, reason: str = ""
) -> Registration:
    """Move one registration along its lifecycle (portfolios.models.REGISTRATION_LIFECYCLE)."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    return _move(actor=actor, registration=registration, status=status, reason=reason)


def _move(*, actor: User, registration: Registration, status: str, reason: str) -> Registration:
    """change_status for a registration already locked."""
    if (
        status == RegistrationStatus.ACTIVE
        and REGISTRATION_LIFECYCLE.allows(registration.status, status)
        and Registration.objects.filter(
            learner_id=registration.learner_id,
            centre_id=registration.centre_id,
            qualification_id=registration.qualification_id,
            status=RegistrationStatus.ACTIVE,
        ).exists()
    ):
        # Reopening would make two live registrations (the database refuses it too).
        raise RegistrationError(
            "The learner has another active registration on this qualification here."
        )
    before = registration.status
    try:
        REGISTRATION_LIFECYCLE.check(registration, status)
    except IllegalTransition as exc:
        raise RegistrationError(str(exc)) from exc
    registration.status_reason = reason
    REGISTRATION_LIFECYCLE.move(
        registration,
        status,
        actor=actor,
        action="registration.status_changed",
        centre_id=registration.centre_id,
        data={"from": before, "to": status, "reason": reason},
        update_fields=["status_reason", "updated_at"],
    )
    return registration


@transaction.atomic
def change_status_many(
    *, actor: User, registrations: QuerySet[Registration], status: str, centre_id: int, reason: str
) -> int:
    """Move every registration of the set (all at `centre_id`) at once: one UPDATE, the events
    in one bulk write (a claim's 10,000 learners becoming claimed). Raises RegistrationError,
    changing nothing, if any of them may not make the move."""
    try:
        return REGISTRATION_LIFECYCLE.move_many(
            registrations,
            status,
            actor=actor,
            action="registration.status_changed",
            centre_id=centre_id,
            data=lambda before: {"from": before, "to": status, "reason": reason},
            also={"status_reason": reason, "updated_at": timezone.now()},
        )
    except IllegalTransition as exc:
        learner = User.objects.filter(registrations__pk=exc.pk).first()
        raise RegistrationError(f"{learner.get_full_name() if learner else ''}: {exc}") from exc


@transaction.atomic
def reopen(*, actor: User, registration: Registration, reason: str) -> bool:
    """Make a complete registration active again so its decisions can change (a unit unlocked,
    decisions referred back by the IV); signing the units off again completes it again
    (assessments.services.mark_complete_if_done). False, changing nothing, when it is not
    complete. `registration` as the caller read it in this transaction: only a complete one is
    read again (locked), since an earlier step may have reopened it already."""
    if registration.status != RegistrationStatus.COMPLETE:
        return False
    registration.refresh_from_db(from_queryset=Registration.objects.select_for_update())
    if registration.status != RegistrationStatus.COMPLETE:
        return False
    _move(actor=actor, registration=registration, status=RegistrationStatus.ACTIVE, reason=reason)
    return True


def withdraw(*, actor: User, registration: Registration, reason: str) -> Registration:
    if not reason.strip():
        raise RegistrationError("Say why the learner is withdrawn.")
    return change_status(
        actor=actor, registration=registration, status=RegistrationStatus.WITHDRAWN, reason=reason
    )


@transaction.atomic
def transfer(
    *,
    actor: User,
    registration: Registration,
    to_centre: Centre,
    reason: str,
    start_date: date | None = None,
) -> Registration:
    """Close this registration as transferred and open one at the receiving centre."""
    if to_centre.pk == registration.centre_id:
        raise RegistrationError("The learner is already at this centre.")
    if not reason.strip():
        raise RegistrationError("Say why the learner is transferred.")
    from accounts.services import role_grant

    role_grant(actor=actor, user=registration.learner, centre=to_centre, role=Role.LEARNER)
    units = list(registration.unit_choices.values_list("unit__key", flat=True))
    old = change_status(
        actor=actor,
        registration=registration,
        status=RegistrationStatus.TRANSFERRED,
        reason=reason,
    )
    new = register_learner(
        actor=actor,
        learner=old.learner,
        centre=to_centre,
        qualification=old.qualification,
        start_date=start_date or timezone.localdate(),
        planned_end_date=old.planned_end_date,
        awarding_body_number=old.awarding_body_number,
        unit_keys=units,
    )
    old.transferred_to = new
    old.save(update_fields=["transferred_to", "updated_at"])
    return new


@transaction.atomic
def assign_staff_bulk(
    *,
    actor: User,
    registrations: Iterable[Registration],
    assessors: list[User] | None = None,
    internal_verifier: User | None = None,
) -> int:
    """assign_staff for each registration, all or none: one refusal leaves every one unchanged."""
    if assessors is None and internal_verifier is None:
        raise RegistrationError("Choose an assessor or an internal verifier to assign.")
    count = 0
    for registration in registrations:
        assign_staff(
            actor=actor,
            registration=registration,
            assessors=assessors,
            internal_verifier=internal_verifier,
        )
        count += 1
    return count


# ---------------------------------------------------------------- invited learners


def registration_entry(
    *,
    qualification: Qualification,
    start_date: date,
    planned_end_date: date | None = None,
    awarding_body_number: str = "",
    unit_keys: Iterable[str] = (),
    assessors: Iterable[User] = (),
    internal_verifier: User | None = None,
    uln: str = "",
    date_of_birth: date | None = None,
) -> dict[str, Any]:
    """A checked registration as plain values, kept on an invitation until the learner
    accepts (accounts stores it and must not know portfolios' models)."""
    return {
        "qualification": qualification.number,
        "start_date": start_date.isoformat(),
        "planned_end_date": planned_end_date and planned_end_date.isoformat(),
        "awarding_body_number": awarding_body_number,
        "unit_keys": list(unit_keys),
        "assessors": [assessor.pk for assessor in assessors],
        "internal_verifier": internal_verifier and internal_verifier.pk,
        "uln": uln,
        "date_of_birth": date_of_birth and date_of_birth.isoformat(),
    }


def register_invited_learner(*, invitation: Invitation, learner: User) -> list[dict[str, Any]]:
    """Make the registrations stored on a learner's invitation (by an import, or the register
    page's new learner), now they accepted.

    Runs inside invitation_accept's transaction. A registration that can no longer be made
    (an assessor left, a unit was withdrawn) must not undo the acceptance: each is tried in its
    own savepoint, and a refusal is kept on the invitation with its reason and audited, so the
    centre admin sees it on the people page.
    """
    if not invitation.registrations:
        return []
    centre = invitation.centre
    actor = invitation.invited_by
    outcomes = []
    for stored in invitation.registrations:
        entry = dict(stored)
        try:
            with transaction.atomic():
                registration = _register_stored(entry, actor=actor, learner=learner, centre=centre)
        except (RegistrationError, ValueError) as error:
            entry["problem"] = str(error)
            record_event(
                actor=actor,
                action="invitation.registration_failed",
                target=invitation,
                centre_id=centre.pk,
                data={
                    "user": learner.pk,
                    "qualification": entry.get("qualification"),
                    "reason": str(error),
                },
            )
        else:
            entry["registration"] = registration.pk
        outcomes.append(entry)
    invitation.registrations = outcomes
    invitation.save(update_fields=["registrations"])
    return outcomes


def _register_stored(
    entry: dict[str, Any], *, actor: User | None, learner: User, centre: Centre
) -> Registration:
    qualification = Qualification.objects.filter(number=entry["qualification"]).first()
    if qualification is None:
        raise RegistrationError(f"there is no qualification {entry['qualification']} any more.")
    details: dict[str, object] = {}
    if entry.get("uln"):
        details["uln"] = entry["uln"]
    if entry.get("date_of_birth"):
        details["date_of_birth"] = date.fromisoformat(entry["date_of_birth"])
    profile = LearnerProfile.objects.at(centre).filter(user=learner).first()
    # What this centre's record of the learner already says is never overwritten; blanks are
    # filled. Another centre's record is not read: it is not this centre's to compare with.
    details = {name: value for name, value in details.items() if not getattr(profile, name, None)}
    if details:
        learner_profile_update(actor=actor, user=learner, centre=centre, **details)
        learner.refresh_from_db()
    assessors = list(User.objects.filter(pk__in=entry.get("assessors") or []))
    if len(assessors) != len(entry.get("assessors") or []):
        raise RegistrationError("an assessor named in the import no longer has an account.")
    internal_verifier = None
    if entry.get("internal_verifier"):
        internal_verifier = User.objects.filter(pk=entry["internal_verifier"]).first()
        if internal_verifier is None:
            raise RegistrationError("the internal verifier named in the import has gone.")
    end = entry.get("planned_end_date")
    return register_learner(
        actor=actor,
        learner=learner,
        centre=centre,
        qualification=qualification,
        start_date=date.fromisoformat(entry["start_date"]),
        planned_end_date=date.fromisoformat(end) if end else None,
        awarding_body_number=entry.get("awarding_body_number", ""),
        unit_keys=entry.get("unit_keys") or [],
        assessors=assessors,
        internal_verifier=internal_verifier,
    )


def _on_invitation_accepted(
    sender: object, *, invitation: Invitation, user: User, **kwargs: object
) -> None:
    register_invited_learner(invitation=invitation, learner=user)


invitation_accepted.connect(_on_invitation_accepted, dispatch_uid="portfolios.register_invited")


# ---------------------------------------------------------------- a new learner, in one form


def new_learner_eligibility(
    *, centre: Centre, qualification: Qualification, start_date: date, date_of_birth: date | None
) -> list[str]:
    """check_eligibility for someone the centre does not know yet: the date of birth typed is
    the only one it may use (an account elsewhere is not its to read)."""
    candidate = User()
    return check_eligibility(
        learner=candidate,
        centre=centre,
        qualification=qualification,
        start_date=start_date,
        profile=LearnerProfile(user=candidate, centre=centre, date_of_birth=date_of_birth),
    )


@transaction.atomic
def register_new_learner(
    *,
    actor: User,
    centre: Centre,
    full_name: str,
    email: str,
    date_of_birth: date | None = None,
    qualification: Qualification,
    start_date: date,
    planned_end_date: date | None = None,
    awarding_body_number: str = "",
    unit_keys: Iterable[str] = (),
    assessors: Iterable[User] = (),
    internal_verifier: User | None = None,
    link_for: Callable[[str], str] | None = None,
) -> Registration | Invitation:
    """The register page's "a new learner": add them as the people page does, and register.

    Adding goes through accounts' person_add, the people page's one path, so its rule holds: an
    address that holds a role here is known, gets the learner role at once and is registered
    now (the Registration returned); any other address is invited, whether or not it has an
    account elsewhere, and the invitation carries the registration, made when they accept (the
    Invitation returned). Everything is checked first, so a refusal sends no e-mail.
    """
    problems = new_learner_eligibility(
        centre=centre,
        qualification=qualification,
        start_date=start_date,
        date_of_birth=date_of_birth,
    )
    if problems:
        raise RegistrationError(" ".join(problems))
    if planned_end_date and planned_end_date < start_date:
        raise RegistrationError("The planned end date is before the start date.")
    chosen, _ = _validate_units(qualification, unit_keys, centre_id=centre.pk)
    email = User.objects.normalize_email(email.strip()).lower()
    # The centre's own invitations only: what it already asked this address is its to know.
    waiting = (
        Invitation.objects.select_for_update()
        .filter(centre=centre, email=email, role=Role.LEARNER, status=InvitationStatus.PENDING)
        .first()
    )
    # An open invitation that already carries this qualification: a double submit, or the
    # same learner added twice. Sending again would kill the link just sent, so refuse.
    # (An expired one is sent again, with the new details, by invitation_create.)
    if (
        waiting is not None
        and waiting.is_open
        and any(e.get("qualification") == qualification.number for e in waiting.registrations)
    ):
        raise RegistrationError(
            f"{waiting.full_name} ({email}) already has an invitation waiting, sent "
            f"{timezone.localtime(waiting.sent_at):%-d %B %Y}, that registers them on "
            f"{qualification.number}: nothing was sent again. To change it, withdraw that "
            "invitation on the people page first."
        )
    entry = registration_entry(
        qualification=qualification,
        start_date=start_date,
        planned_end_date=planned_end_date,
        awarding_body_number=awarding_body_number,
        unit_keys=sorted(chosen),
        assessors=assessors,
        internal_verifier=internal_verifier,
        date_of_birth=date_of_birth,
    )
    added = person_add(
        actor=actor,
        centre=centre,
        email=email,
        full_name=full_name,
        role=Role.LEARNER,
        registrations=[entry],
        link_for=link_for,
    )
    if isinstance(added, Invitation):
        # The admin's decision to register is theirs and dated now, though the registration
        # waits for the learner (the import writes registrations.imported for the same).
        record_event(
            actor=actor,
            action="registration.invited",
            target=added,
            centre_id=centre.pk,
            data={"qualification": qualification.number, "start_date": start_date.isoformat()},
        )
        return added
    # Known here: registered now, by the path an accepted invitation takes.
    return _register_stored(entry, actor=actor, learner=added.user, centre=centre)
