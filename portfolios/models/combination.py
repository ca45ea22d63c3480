"""A centre's recorded rule of combination, for a qualification whose document gives none.

NCFE 601/3973/0 reaches the catalogue only through its apprenticeship-standard mapping, which
names units but no rules of combination (qualifications: rules_given is False), so no learner
could ever complete it. The centre admin records the rule here: the awarding body's own, from
its specification (named in `source`), or until then an interim rule the centre states.

Per centre, not catalogue-wide: a centre admin's authority ends at their centre, so what one
centre records never changes completion at another; an interim rule is a centre's decision (to
agree with its EQA), not the awarding body's. Once the awarding body's specification is in
fixtures/sources/, its rules belong in the catalogue through the importer, for every centre.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.limits import length_checks


class RuleBasis(models.TextChoices):
    SPECIFICATION = "specification", "The awarding body's own specification"
    INTERIM = "interim", "An interim rule the centre states until then"


class CentreCombinationRule(models.Model):
    centre = models.ForeignKey(
        "accounts.Centre", on_delete=models.PROTECT, related_name="combination_rules"
    )
    qualification = models.ForeignKey(
        "qualifications.Qualification", on_delete=models.PROTECT, related_name="centre_rules"
    )
    basis = models.CharField(max_length=20, choices=RuleBasis.choices)
    # Specification: its title, version or date, and the section or page of the rules.
    # Interim: why this rule, and who agreed it (e.g. the EQA).
    source = models.TextField(max_length=1_000)
    mandatory_units = models.ManyToManyField("qualifications.Unit", blank=True, related_name="+")
    min_credits = models.PositiveSmallIntegerField(null=True, blank=True)
    min_units = models.PositiveSmallIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            *length_checks(source=1_000),
            models.UniqueConstraint(
                fields=["centre", "qualification"], name="portfolios_one_rule_per_centre"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification_id} at {self.centre_id}: {self.get_basis_display()}"
