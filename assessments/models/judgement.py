"""A judgement: one submit of the assessing form, judging the criteria a piece of evidence is
mapped to together.

Its decisions are the append-only log's own rows (assessments.models.Decision); the judgement
keeps what the assessor gave once for all of them (method, date, overall feedback) and the
form's one-time token, so the same form sent twice records once. Never edited or deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.limits import length_checks
from portfolios.models import EvidenceMethod


class Judgement(models.Model):
    evidence = models.ForeignKey(
        "portfolios.Evidence", on_delete=models.PROTECT, related_name="judgements"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(max_length=30, choices=EvidenceMethod.choices)
    assessed_on = models.DateField()
    # Overall feedback on the evidence; each decision carries its criterion's own.
    feedback = models.TextField("overall feedback", blank=True, max_length=5_000)
    decisions = models.ManyToManyField(
        "assessments.Decision", blank=True, related_name="judgements"
    )
    made_at = models.DateTimeField(default=timezone.now)
    # Drawn when the form is drawn: a double-clicked or resent form finds its judgement made.
    token = models.UUIDField(unique=True)

    class Meta:
        ordering = ["made_at", "pk"]
        constraints = [*length_checks(feedback=5_000)]

    def __str__(self) -> str:
        return f"Judgement {self.pk} of evidence {self.evidence_id}"
