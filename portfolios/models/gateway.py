"""The end-point assessment gateway of an apprenticeship (issue 19, point 5).

Three records, each anchored on the registration (whose apprenticeship programme record names
the employer, the standard and the end-point assessment organisation):

- GatewayGap: the provider names the gap for one KSB the portfolio does not evidence: what is
  missing and how the end-point assessment will cover it. A correction is a new note that
  supersedes the old (superseded_at), never an edit.
- GatewaySignature: one of the three parties (apprentice, employer, provider) confirms the
  apprentice is ready, with a hash of the checklist they saw. The gateway is passed when all
  three current signatures stand; a withdrawal (by the centre admin, with a reason) marks the
  signatures withdrawn, never deletes them.
- EndPointResult: the grade and date the EPAO awarded, recorded by the centre admin after the
  gateway. A correction supersedes the current result with a reason.

The rules (readiness, who signs, when a result may be recorded) live in assessments.gateway: the
checklist reads assessors' decisions and unit sign-offs, which this app may not import. A
database constraint keeps one current row of each kind, so a double submit cannot make two.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.limits import length_checks


class GatewayGapQuerySet(models.QuerySet["GatewayGap"]):
    def current(self) -> GatewayGapQuerySet:
        return self.filter(superseded_at__isnull=True)


class GatewayGap(models.Model):
    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="gateway_gaps"
    )
    statement = models.ForeignKey(
        "qualifications.Statement", on_delete=models.PROTECT, related_name="+"
    )
    gap = models.TextField("what the gap is", max_length=2_000)
    plan = models.TextField("how the end-point assessment will cover it", max_length=2_000)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = GatewayGapQuerySet.as_manager()

    class Meta:
        ordering = ["written_at", "pk"]
        constraints = [
            *length_checks(gap=2_000, plan=2_000),
            models.UniqueConstraint(
                fields=["registration", "statement"],
                condition=Q(superseded_at__isnull=True),
                name="portfolios_one_current_gateway_gap",
            ),
        ]

    def __str__(self) -> str:
        return f"Gap in {self.statement_id} for registration {self.registration_id}"


class GatewayParty(models.TextChoices):
    """Who signs the gateway declaration, in the order the page lists them."""

    APPRENTICE = "apprentice", "Apprentice"
    EMPLOYER = "employer", "Employer"
    PROVIDER = "provider", "Training provider"


class GatewaySignatureQuerySet(models.QuerySet["GatewaySignature"]):
    def current(self) -> GatewaySignatureQuerySet:
        return self.filter(withdrawn_at__isnull=True)


class GatewaySignature(models.Model):
    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="gateway_signatures"
    )
    party = models.CharField(max_length=20, choices=GatewayParty.choices)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)
    # SHA-256 of the readiness checklist as the signer saw it (assessments.gateway).
    checklist_hash = models.CharField(max_length=64)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdraw_reason = models.TextField(blank=True, max_length=2_000)

    objects = GatewaySignatureQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            *length_checks(withdraw_reason=2_000, checklist_hash=64),
            # A double click, or two contacts of one employer at once, cannot sign twice.
            models.UniqueConstraint(
                fields=["registration", "party"],
                condition=Q(withdrawn_at__isnull=True),
                name="portfolios_one_current_gateway_signature",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdraw_reason=""),
                name="portfolios_gateway_withdrawal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Gateway signed by the {self.party} of registration {self.registration_id}"


class EndPointGrade(models.TextChoices):
    FAIL = "fail", "Fail"
    PASS = "pass", "Pass"
    MERIT = "merit", "Merit"
    DISTINCTION = "distinction", "Distinction"


class EndPointResultQuerySet(models.QuerySet["EndPointResult"]):
    def current(self) -> EndPointResultQuerySet:
        return self.filter(superseded_at__isnull=True)


class EndPointResult(models.Model):
    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="epa_results"
    )
    grade = models.CharField(max_length=20, choices=EndPointGrade.choices)
    assessed_on = models.DateField("date of the result")
    # As the programme record named the EPAO when the result was recorded.
    epao_name = models.CharField("end-point assessment organisation", max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # Why this result replaces the one before it (blank on the first).
    reason = models.TextField(blank=True, max_length=2_000)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = EndPointResultQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            *length_checks(epao_name=200, reason=2_000),
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(superseded_at__isnull=True),
                name="portfolios_one_current_epa_result",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_grade_display()} at end-point assessment, {self.assessed_on}"
