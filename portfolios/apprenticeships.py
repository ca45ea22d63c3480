"""Recording a registration's apprenticeship programme record (issue 19). One service: it
validates every rule, writes the record and its audit event in one transaction.

The rules (portfolios.models.apprenticeship): the employer is one of the registration's centre's;
the standard is mapped to the registration's qualification; the practical period ends after it
starts and lasts MINIMUM_PRACTICAL_PERIOD_DAYS or more; prior learning reduces the published
minimum off-the-job hours only with a reason, and never below nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import Employer, User
from core.audit import record_event
from portfolios.models import (
    MINIMUM_PRACTICAL_PERIOD_DAYS,
    Apprenticeship,
    FunctionalSkillRequirement,
    FunctionalSkillStatus,
    Registration,
)
from qualifications.models import Standard
from qualifications.standards import standards_for as mapped_standards


class ApprenticeshipError(ValueError):
    """What is wrong with a programme record, field by field (a form shows each by its field)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Programme:
    """The fields of a programme record, as the centre admin enters them."""

    employer: Employer
    standard: Standard
    standard_version: str
    practical_start: date
    practical_planned_end: date
    minimum_otj_hours: Decimal
    epao_name: str
    rpl_reduction_hours: Decimal = Decimal("0")
    rpl_reason: str = ""
    english_requirement: str = FunctionalSkillRequirement.REQUIRED
    english_status: str = FunctionalSkillStatus.NOT_STARTED
    maths_requirement: str = FunctionalSkillRequirement.REQUIRED
    maths_status: str = FunctionalSkillStatus.NOT_STARTED
    epao_reference: str = ""


FIELDS = [field.name for field in fields(Programme)]


def standards_for(registration: Registration) -> QuerySet[Standard]:
    """The standards a registration's apprenticeship may follow: those its qualification maps
    to (qualifications.standards: its own standard, or one sharing a mapped unit)."""
    return mapped_standards([registration.qualification_id])


def validate(registration: Registration, programme: Programme) -> dict[str, str]:
    """Every rule a programme record breaks, by field; empty when it keeps them all."""
    errors: dict[str, str] = {}
    if programme.employer.centre_id != registration.centre_id:
        errors["employer"] = "Choose one of this centre's employers."
    if not standards_for(registration).filter(pk=programme.standard.pk).exists():
        errors["standard"] = (
            f"{programme.standard.title} is not mapped to "
            f"{registration.qualification.number}: choose a standard of this qualification."
        )
    if not programme.standard_version.strip():
        errors["standard_version"] = 'Give the standard\'s version, e.g. "1.2".'
    if programme.practical_planned_end <= programme.practical_start:
        errors["practical_planned_end"] = "The practical period must end after it starts."
    elif (
        programme.practical_planned_end - programme.practical_start
    ).days < MINIMUM_PRACTICAL_PERIOD_DAYS:
        errors["practical_planned_end"] = (
            f"The practical period must last at least {MINIMUM_PRACTICAL_PERIOD_DAYS} days; "
            f"this one lasts "
            f"{(programme.practical_planned_end - programme.practical_start).days}."
        )
    if programme.minimum_otj_hours <= 0:
        errors["minimum_otj_hours"] = "Give the standard's published minimum hours."
    reduction = programme.rpl_reduction_hours
    if reduction < 0:
        errors["rpl_reduction_hours"] = "A reduction cannot be less than nothing."
    elif reduction > programme.minimum_otj_hours > 0:
        errors["rpl_reduction_hours"] = (
            f"A reduction of {reduction} hours is more than the minimum of "
            f"{programme.minimum_otj_hours}: the planned hours cannot go below nothing."
        )
    if reduction > 0 and not programme.rpl_reason.strip():
        errors["rpl_reason"] = "Say what prior learning the reduction recognises."
    for subject in ("english", "maths"):
        requirement = getattr(programme, f"{subject}_requirement")
        status = getattr(programme, f"{subject}_status")
        if requirement not in FunctionalSkillRequirement.values:
            errors[f"{subject}_requirement"] = "Choose one of the requirements offered."
        if status not in FunctionalSkillStatus.values:
            errors[f"{subject}_status"] = "Choose one of the states offered."
    if not programme.epao_name.strip():
        errors["epao_name"] = "Name the end-point assessment organisation."
    return errors


@transaction.atomic
def apprenticeship_save(
    *, actor: User | None, registration: Registration, programme: Programme
) -> Apprenticeship:
    """Record the registration's apprenticeship, or change it. Sent twice (a double submit),
    the second finds the record the first made and changes nothing: one record, one event."""
    # The registration's row is the lock: two saves of one record run one after the other.
    registration = (
        Registration.objects.select_for_update()
        .select_related("qualification")
        .get(pk=registration.pk)
    )
    errors = validate(registration, programme)
    if errors:
        raise ApprenticeshipError(errors)
    values = {
        name: getattr(programme, name).strip()
        if isinstance(getattr(programme, name), str)
        else getattr(programme, name)
        for name in FIELDS
    }
    if values["rpl_reduction_hours"] == 0:
        values["rpl_reason"] = ""
    record = Apprenticeship.objects.filter(registration=registration).first()
    if record is None:
        record = Apprenticeship.objects.create(registration=registration, **values)
        action, changed = "apprenticeship.recorded", sorted(FIELDS)
    else:
        changed = sorted(name for name, value in values.items() if getattr(record, name) != value)
        if not changed:
            return record
        for name in changed:
            setattr(record, name, values[name])
        record.save(update_fields=[*changed, "updated_at"])
        action = "apprenticeship.changed"
    record_event(
        actor=actor,
        action=action,
        target=record,
        centre_id=registration.centre_id,
        data={
            "registration": registration.pk,
            "fields": changed,
            "employer": record.employer_id,
            "standard": record.standard.code,
            "planned_otj_hours": str(record.planned_otj_hours),
        },
    )
    return record
