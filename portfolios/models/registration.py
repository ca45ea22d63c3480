"""A learner's registration on a qualification at a centre, and the units they chose."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from core.lifecycle import Lifecycle
from core.limits import length_checks


class RegistrationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    WITHDRAWN = "withdrawn", "Withdrawn"
    TRANSFERRED = "transferred", "Transferred"
    COMPLETE = "complete", "Complete"
    CLAIMED = "claimed", "Claimed"
    CERTIFICATED = "certificated", "Certificated"


# The only moves a registration may make; every change of its status goes through here
# (portfolios.services.change_status, reopen; bulk: the claim's submission and certificates).
REGISTRATION_LIFECYCLE = Lifecycle(
    field="status",
    choices=RegistrationStatus,
    moves={
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
    },
)


class RegistrationQuerySet(models.QuerySet["Registration"]):
    def visible_to(self, user: Any, *, roles: Iterable[str] | None = None) -> RegistrationQuerySet:
        """Mirrors portfolios.rules.can_view_registration: keep the two in step.

        `roles` narrows it to what those roles give (a page of the role worn now, such as a
        standard's cohort, lists what that role sees, not what the person's other roles do).

        Every branch is a condition on the registration's own row (the assessors through a
        subquery, not a join), so each row comes once without DISTINCT: nearly every page
        loads its registration through here, and DISTINCT over the wide rows (with the learner
        and qualification selected beside them) made PostgreSQL sort and compare them all, a
        centre admin's 10,000 included, and made every count a count of a subquery.
        """
        from accounts.access import centre_ids, eqa_scope, may_hold
        from accounts.models import Role

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        # A branch for each role the person may hold (all of them unless this request has
        # loaded their roles: accounts.access.remember_current_roles).
        # Every arm is a condition on the registration's own row (the person's own ones an IN
        # of ids, not a join): no DISTINCT, and the centre-wide arms are never built as a set,
        # so the planner can probe the rows an outer query wants by their index (on a platform
        # of many centres that set meant a sequential scan of every registration).
        wanted = None if roles is None else set(roles)

        def branch(role: str) -> bool:
            return (wanted is None or role in wanted) and may_hold(user, role)

        # The arms that are the person's own registrations (as learner, assessor, internal
        # verifier, employer contact: a few hundred at most) are gathered as ids, one UNION ALL
        # under one IN: alone, PostgreSQL starts from those ids (a semi-join) and sorts the few;
        # OR'd as EXISTS its guess of half the centre made it walk every learner by name for an
        # assessor's page of 25. The centre-wide arms (admin, EQA) stay conditions on the row.
        through = self.model.assessors.through
        own: list[models.QuerySet] = []
        if wanted is None or Role.LEARNER in wanted:
            own.append(self.model.objects.filter(learner_id=user.pk).order_by().values("pk"))
        if branch(Role.ASSESSOR):
            own.append(
                through.objects.filter(
                    user_id=user.pk, registration__centre_id__in=centre_ids(user, Role.ASSESSOR)
                ).values("registration_id")
            )
        if branch(Role.INTERNAL_VERIFIER):
            own.append(
                self.model.objects.filter(
                    internal_verifier_id=user.pk,
                    centre_id__in=centre_ids(user, Role.INTERNAL_VERIFIER),
                )
                .order_by()
                .values("pk")
            )
        if branch(Role.EMPLOYER):
            # Issue 19: an employer contact reads their own employer's apprentices, at the
            # centre of their role (where the employer is kept), and nobody else.
            from accounts.access import employer_ids
            from portfolios.models.apprenticeship import Apprenticeship

            own.append(
                Apprenticeship.objects.filter(
                    employer_id__in=employer_ids(user),
                    registration__centre_id__in=centre_ids(user, Role.EMPLOYER),
                )
                .order_by()
                .values("registration_id")
            )
        if not own:
            visible = Q(pk=None)
        elif len(own) == 1 and (wanted is None or Role.LEARNER in wanted):
            visible = Q(learner_id=user.pk)  # a learner's alone: their own rows, by index
        else:
            visible = Q(pk__in=own[0].union(*own[1:], all=True) if len(own) > 1 else own[0])
        if branch(Role.CENTRE_ADMIN):
            visible |= Q(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN))
        if branch(Role.EQA):
            # An EQA reads the whole centre, or only the qualifications of their grant.
            visible |= eqa_scope(user)
        return self.filter(visible)

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
    # The day the awarding body registered the learner (Ascentis: "within seven weeks of
    # commencement", qualifications.AwardingBody.registration_days); blank until recorded.
    awarding_body_registered_on = models.DateField(
        "registered with the awarding body on", null=True, blank=True
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
    # Room for a 2,000-character reason behind the system's own prefix ("Unit unlocked: ").
    status_reason = models.TextField(blank=True, max_length=2_100)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # A centre's registrations are counted by status and the newest shown from the
        # centre's own rows, whatever else the platform holds (issue 15).
        indexes = [
            models.Index(fields=["centre", "status"], name="portfolios_reg_centre_idx"),
            models.Index(fields=["centre", "-created_at", "-id"], name="portfolios_reg_newest_idx"),
            # A registration picker finds one by its AB number, whatever its case.
            models.Index(Upper("awarding_body_number"), name="portfolios_reg_ab_number_idx"),
        ]
        constraints = [
            *length_checks(awarding_body_number=50, status_reason=2_100),
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


class RegistrationProgress(models.Model):
    """Where a registration stands, as pages that list many show it: a read model.

    Every service that changes a figure recounts this registration's row in the same
    transaction (portfolios/readmodel.py), under the row's lock; `manage.py recount_progress`
    compares every row with a full recount from the log and repairs it with --fix.
    """

    registration = models.OneToOneField(
        Registration, primary_key=True, on_delete=models.CASCADE, related_name="progress"
    )
    criteria_required = models.PositiveIntegerField(default=0)
    criteria_met = models.PositiveIntegerField(default=0)
    units_signed_off = models.PositiveIntegerField(default=0)
    evidence_waiting = models.PositiveIntegerField(default=0)
    # Pace depends on the day, so the row keeps the day it turns: `paced` is False where pace
    # means nothing (no planned end, nothing required), and a paced learner is behind from
    # `behind_from` on (never, when null) until the figures change.
    paced = models.BooleanField(default=False)
    behind_from = models.DateField(null=True, blank=True)
    # The earliest target date among the open activities of the plan in force: its actions
    # are overdue from the day after.
    plan_due = models.DateField(null=True, blank=True)
    counted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "registration progress"
        indexes = [
            models.Index(fields=["behind_from"], name="portfolios_progress_behind"),
            models.Index(fields=["plan_due"], name="portfolios_progress_plan_due"),
            models.Index(
                fields=["evidence_waiting"],
                condition=Q(evidence_waiting__gt=0),
                name="portfolios_progress_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"Progress of registration {self.registration_id}"

    def behind_on(self, day: datetime.date) -> bool:
        """Behind the planned pace on `day`: the row's own reading of home.caseload's filter."""
        return self.paced and self.behind_from is not None and self.behind_from <= day
