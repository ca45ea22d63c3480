"""A learner's registration on a qualification at a centre, and the units they chose."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RegistrationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    WITHDRAWN = "withdrawn", "Withdrawn"
    TRANSFERRED = "transferred", "Transferred"
    COMPLETE = "complete", "Complete"
    CLAIMED = "claimed", "Claimed"
    CERTIFICATED = "certificated", "Certificated"


# The only moves a registration may make; services refuse anything else.
TRANSITIONS: dict[str, set[str]] = {
    RegistrationStatus.ACTIVE: {
        RegistrationStatus.WITHDRAWN,
        RegistrationStatus.TRANSFERRED,
        RegistrationStatus.COMPLETE,
    },
    RegistrationStatus.COMPLETE: {RegistrationStatus.ACTIVE, RegistrationStatus.CLAIMED},
    RegistrationStatus.CLAIMED: {RegistrationStatus.CERTIFICATED},
    RegistrationStatus.WITHDRAWN: set(),
    RegistrationStatus.TRANSFERRED: set(),
    RegistrationStatus.CERTIFICATED: set(),
}


class RegistrationQuerySet(models.QuerySet["Registration"]):
    def visible_to(self, user: Any) -> RegistrationQuerySet:
        """Mirrors portfolios.rules.can_view_registration: keep the two in step."""
        from accounts.access import centre_ids
        from accounts.models import Role

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            Q(learner_id=user.pk)
            | Q(assessors=user.pk, centre_id__in=centre_ids(user, Role.ASSESSOR))
            | Q(
                internal_verifier_id=user.pk, centre_id__in=centre_ids(user, Role.INTERNAL_VERIFIER)
            )
            | Q(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN, Role.EQA))
        ).distinct()

    def manageable_by(self, user: Any) -> RegistrationQuerySet:
        from accounts.access import centre_ids
        from accounts.models import Role

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN))


class Registration(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations"
    )
    centre = models.ForeignKey(
        "accounts.Centre", on_delete=models.PROTECT, related_name="registrations"
    )
    qualification = models.ForeignKey(
        "qualifications.Qualification", on_delete=models.PROTECT, related_name="registrations"
    )
    awarding_body_number = models.CharField(
        "awarding body registration number", max_length=50, blank=True
    )
    start_date = models.DateField()
    planned_end_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=RegistrationStatus.choices, default=RegistrationStatus.ACTIVE
    )
    assessors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assessing"
    )
    internal_verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verifying",
    )
    units = models.ManyToManyField(
        "qualifications.Unit", through="RegistrationUnit", related_name="registrations"
    )
    transferred_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="transferred_from"
    )
    status_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live registration per learner, qualification and centre.
            models.UniqueConstraint(
                fields=["learner", "qualification", "centre"],
                condition=models.Q(status="active"),
                name="portfolios_one_active_registration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} on {self.qualification.number} at {self.centre.name}"


class RegistrationUnit(models.Model):
    """A unit the learner takes: the mandatory ones and the optional ones they chose."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="unit_choices"
    )
    unit = models.ForeignKey("qualifications.Unit", on_delete=models.PROTECT, related_name="+")
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "unit"], name="portfolios_registration_unit_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id}: {self.unit.key}"
