"""The awarding body's prior agreement to assess by simulation (SFJ Awards, handbook section 4.7:
"Simulations must be agreed between SFJ Awards and the Centre contact from the Assessment
Centre prior to use").

Recorded once per agreement by the centre, for one qualification and the units it covers;
never edited (a new agreement covers what an old one did not). An agreement the awarding body
ends is withdrawn from a date, with the reason: it stays on record and still covers evidence
dated before then. Evidence by simulation counts towards a unit only where an agreement for that
unit was made on or before the evidence's date and not withdrawn by then
(portfolios.environment)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.limits import length_checks


class SimulationCircumstance(models.TextChoices):
    # The only two circumstances SFJ's section 4.7 allows, in its words.
    TIME = (
        "time",
        "Evidence in the workplace will not be demonstrated within an acceptable time frame",
    )
    RISK = "risk", "The work activity presents high risk or danger to the learner and others"


class SimulationAgreement(models.Model):
    centre = models.ForeignKey("accounts.Centre", on_delete=models.PROTECT, related_name="+")
    qualification = models.ForeignKey(
        "qualifications.Qualification", on_delete=models.PROTECT, related_name="+"
    )
    units = models.ManyToManyField("qualifications.Unit", related_name="+")
    circumstance = models.CharField(max_length=10, choices=SimulationCircumstance.choices)
    agreed_by = models.CharField("agreed at the awarding body by", max_length=200)
    agreed_on = models.DateField("date agreed")
    reference = models.CharField("the awarding body's reference", max_length=100)
    # Where, in what environment and to which documented plan (section 4.7, principles 4-5).
    arrangements = models.TextField(max_length=5_000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # From this date the agreement covers no more evidence (blank: in force).
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True, max_length=2_000)

    class Meta:
        ordering = ["-agreed_on", "-pk"]
        constraints = [
            *length_checks(
                agreed_by=200, reference=100, arrangements=5_000, withdrawal_reason=2_000
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_on__isnull=True)
                | (~models.Q(withdrawal_reason="") & models.Q(withdrawn_by__isnull=False)),
                name="portfolios_simulation_withdrawal_explained",
            ),
            models.CheckConstraint(
                condition=~models.Q(reference="") & ~models.Q(agreed_by=""),
                name="portfolios_simulation_agreement_named",
            ),
        ]

    def __str__(self) -> str:
        return f"Simulation agreement {self.reference}"
