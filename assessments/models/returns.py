"""A return for resubmission held for an internal verifier, and the IV's validation of it.

Where validation is required for the registration (assessments.release), an assessor's return
is feedback like a decision's: Pearson's "must be validated by an Internal Verifier before it is
given to the learner". The return is held here, the evidence stays submitted ("with the
assessor") and the learner is told nothing until an IV agrees; only then does the evidence move
to returned, with the feedback, as an unvalidated return does at once. Where validation is not
required no row is made. Neither row is ever edited: a referred return is followed by a new one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from assessments.models.decision import ValidationOutcome
from core.limits import length_checks


class HeldReturnQuerySet(models.QuerySet["HeldReturn"]):
    def waiting(self) -> HeldReturnQuerySet:
        """Returns no IV has validated yet."""
        return self.filter(validation__isnull=True)


class HeldReturn(models.Model):
    evidence = models.ForeignKey(
        "portfolios.Evidence", on_delete=models.PROTECT, related_name="held_returns"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    feedback = models.TextField(max_length=5_000)
    returned_at = models.DateTimeField(default=timezone.now)

    objects = HeldReturnQuerySet.as_manager()

    class Meta:
        ordering = ["returned_at", "pk"]
        constraints = [*length_checks(feedback=5_000)]

    def __str__(self) -> str:
        return f"Return of evidence {self.evidence_id} by {self.assessor_id}"


class ReturnValidation(models.Model):
    """Agreed gives the return to the learner; referred sends it back to the assessor, who
    returns it again with changed feedback (validated in its turn) or assesses the evidence."""

    held_return = models.OneToOneField(
        HeldReturn, on_delete=models.PROTECT, related_name="validation"
    )
    validator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    validated_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=ValidationOutcome.choices)
    comment = models.TextField(blank=True, max_length=5_000)

    class Meta:
        ordering = ["validated_at", "pk"]
        constraints = [
            *length_checks(comment=5_000),
            models.CheckConstraint(
                condition=~Q(outcome="referred") | ~Q(comment=""),
                name="assessments_return_referral_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"Return {self.held_return_id} {self.outcome} by {self.validator_id}"
