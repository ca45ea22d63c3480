"""The apprenticeship programme record (issue 19): what makes a registration an apprenticeship.

One per registration, on a qualification an apprenticeship standard is mapped to. It names the
employer (accounts.Employer, kept by the registration's centre), the standard and its version,
the practical period, the planned off-the-job hours, English and maths, and the end-point
assessment organisation. Later parts of issue 19 (the off-the-job log, progress reviews, the
gateway, the cohort page) hang off this record. It is changed only through
portfolios.apprenticeships (validated, audited, atomic); visibility follows the registration
(Registration.visible_to), whose employer contacts it adds.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone

from core.limits import length_checks

# The practical period's shortest length, in days. The apprenticeship funding rules have long
# required a practical period of at least 12 months (366 days counted inclusively here as a
# plain difference of dates); the notes (shared/notes/market-and-practice.md) did not read the
# DfE text, and later rules allow shorter periods for some standards, so it is one constant,
# asked everywhere through portfolios.apprenticeships.validate, not a number in each check.
MINIMUM_PRACTICAL_PERIOD_DAYS = 366


class FunctionalSkillRequirement(models.TextChoices):
    """English or maths: what the apprentice must do about it before the gateway."""

    REQUIRED = "required", "Required"
    ALREADY_HELD = "held", "Already held"
    EXEMPT = "exempt", "Exempt"


class FunctionalSkillStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    ACHIEVED = "achieved", "Achieved"


class Apprenticeship(models.Model):
    """A registration's apprenticeship programme record; see the module's docstring."""

    registration = models.OneToOneField(
        "portfolios.Registration", on_delete=models.CASCADE, related_name="apprenticeship"
    )
    # Same centre as the registration (portfolios.apprenticeships.validate): a centre's
    # employers are its own.
    employer = models.ForeignKey(
        "accounts.Employer", on_delete=models.PROTECT, related_name="apprenticeships"
    )
    standard = models.ForeignKey(
        "qualifications.Standard", on_delete=models.PROTECT, related_name="apprenticeships"
    )
    standard_version = models.CharField(max_length=20, help_text='As published, e.g. "1.2".')
    # The practical period may differ from the registration's start and planned end.
    practical_start = models.DateField("practical period starts")
    practical_planned_end = models.DateField("practical period planned to end")
    minimum_otj_hours = models.DecimalField(
        "minimum off-the-job hours",
        max_digits=6,
        decimal_places=1,
        help_text="The published minimum for the standard.",
    )
    rpl_reduction_hours = models.DecimalField(
        "reduction for prior learning (hours)",
        max_digits=6,
        decimal_places=1,
        default=Decimal("0"),
        help_text="Recognised prior learning reduces the hours; say why below.",
    )
    rpl_reason = models.TextField("reason for the reduction", blank=True, max_length=2_000)
    english_requirement = models.CharField(
        max_length=20,
        choices=FunctionalSkillRequirement.choices,
        default=FunctionalSkillRequirement.REQUIRED,
    )
    english_status = models.CharField(
        max_length=20,
        choices=FunctionalSkillStatus.choices,
        default=FunctionalSkillStatus.NOT_STARTED,
    )
    maths_requirement = models.CharField(
        max_length=20,
        choices=FunctionalSkillRequirement.choices,
        default=FunctionalSkillRequirement.REQUIRED,
    )
    maths_status = models.CharField(
        max_length=20,
        choices=FunctionalSkillStatus.choices,
        default=FunctionalSkillStatus.NOT_STARTED,
    )
    epao_name = models.CharField("end-point assessment organisation", max_length=200)
    epao_reference = models.CharField(
        "EPAO reference", max_length=40, blank=True, help_text="Its EPAO id, if known."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            *length_checks(standard_version=20, rpl_reason=2_000, epao_name=200, epao_reference=40),
            # The service's checks, held by the database too.
            models.CheckConstraint(
                condition=models.Q(practical_planned_end__gt=models.F("practical_start")),
                name="portfolios_apprenticeship_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(rpl_reduction_hours__gte=0)
                & models.Q(rpl_reduction_hours__lte=models.F("minimum_otj_hours")),
                name="portfolios_apprenticeship_rpl_within_minimum",
            ),
        ]

    def __str__(self) -> str:
        return f"Apprenticeship of registration {self.registration_id}"

    @property
    def planned_otj_hours(self) -> Decimal:
        return planned_otj_hours(self.minimum_otj_hours, self.rpl_reduction_hours)

    @property
    def practical_days(self) -> int:
        return (self.practical_planned_end - self.practical_start).days


def planned_otj_hours(minimum: Decimal, rpl_reduction: Decimal) -> Decimal:
    """The planned off-the-job hours: the published minimum less what prior learning covers,
    never below nothing."""
    return max(minimum - rpl_reduction, Decimal("0"))
