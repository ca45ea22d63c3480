"""Cases: reasonable adjustments, special consideration, appeals and malpractice, each a record
of its own (who asked, what was decided, by whom and when, the awarding body's reference and
outcome, the documents), not only a hold on a claim.

What the specifications ask of them (quoted in tests/certification/test_cases.py):
- Pearson BTEC specification, section "Appeals against assessment" (seed 003, l.486-488): the
  centre's appeals policy; "The first step in such a policy is a consideration of the evidence
  by a Lead Internal Verifier or other member of the programme team"; "Centres must document
  all learner appeals and their resolutions".
- Pearson, "Special consideration" (l.478-480): "Centres cannot apply their own special
  consideration – applications for special consideration must be made to Pearson"; "Certification
  claims must not be made until the outcome of the application has been received."
- Pearson, "Learner malpractice" (l.506-508): the head of centre reports it; "The responsibility
  for determining appropriate sanctions or penalties to be imposed on learners lies with
  Pearson."
- Pearson, "Reasonable adjustments to assessments" (l.464-466): centres make them, Pearson can
  advise; records "should include ... any adjustments or appeals" (l.460).

Nothing is deleted: every decision, escalation and referral is a CaseStep (append-only); the case
keeps where it stands now.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.lifecycle import Lifecycle
from core.limits import length_checks


class CaseError(Exception):
    """A step on a case the rules refuse; the message names the rule and its source."""


class CaseKind(models.TextChoices):
    REASONABLE_ADJUSTMENT = "reasonable_adjustment", "Reasonable adjustment"
    SPECIAL_CONSIDERATION = "special_consideration", "Special consideration"
    APPEAL = "appeal", "Appeal"
    MALPRACTICE = "malpractice", "Malpractice"


# The kinds that hold a claim while they are open (DESIGN: "no hold such as malpractice or
# pending special consideration"; an open appeal may change the decisions claimed). A reasonable
# adjustment changes how a learner is assessed, not whether they may be claimed.
HOLDING_KINDS = frozenset({CaseKind.SPECIAL_CONSIDERATION, CaseKind.APPEAL, CaseKind.MALPRACTICE})


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    WITH_AWARDING_BODY = "with_awarding_body", "With the awarding body"
    DECIDED = "decided", "Decided"
    WITHDRAWN = "withdrawn", "Withdrawn"


# An open case is decided at its stage or sent to the awarding body; an appeal decided at one of
# the centre's stages may be taken to the next (back to open) or to the awarding body; the
# awarding body's outcome decides it for good. Withdrawn is final.
CASE_LIFECYCLE = Lifecycle(
    field="status",
    choices=CaseStatus,
    moves={
        CaseStatus.OPEN: {
            CaseStatus.WITH_AWARDING_BODY,
            CaseStatus.DECIDED,
            CaseStatus.WITHDRAWN,
        },
        CaseStatus.WITH_AWARDING_BODY: {CaseStatus.DECIDED, CaseStatus.WITHDRAWN},
        CaseStatus.DECIDED: {CaseStatus.OPEN, CaseStatus.WITH_AWARDING_BODY},
        CaseStatus.WITHDRAWN: set(),
    },
)


class CaseStage(models.TextChoices):
    LEAD_IV = "lead_iv", "Lead internal verifier"
    CENTRE = "centre", "Head of centre"
    AWARDING_BODY = "awarding_body", "Awarding body"


class CaseOutcome(models.TextChoices):
    UPHELD = "upheld", "Upheld"
    NOT_UPHELD = "not_upheld", "Not upheld"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"
    PROVEN = "proven", "Proven"
    NOT_PROVEN = "not_proven", "Not proven"


# The outcomes each kind may have.
OUTCOMES: dict[str, tuple[str, ...]] = {
    CaseKind.APPEAL: (CaseOutcome.UPHELD, CaseOutcome.NOT_UPHELD),
    CaseKind.REASONABLE_ADJUSTMENT: (CaseOutcome.APPROVED, CaseOutcome.REFUSED),
    CaseKind.SPECIAL_CONSIDERATION: (CaseOutcome.APPROVED, CaseOutcome.REFUSED),
    CaseKind.MALPRACTICE: (CaseOutcome.PROVEN, CaseOutcome.NOT_PROVEN),
}


class CasePolicy(models.Model):
    """A centre's policy for cases: who its lead IV is and how long each stage may take.

    Pearson (l.486): "Centres must have a policy for dealing with appeals from learners." No
    specification gives a number of days (notes/seed-003 4.12), so the defaults are this
    project's: ten days at each stage, which a centre changes to its own policy's.
    """

    DEFAULT_DAYS = 10

    centre = models.OneToOneField(
        "accounts.Centre", on_delete=models.PROTECT, related_name="case_policy"
    )
    # Blank: any of the centre's internal verifiers takes the first stage ("a Lead Internal
    # Verifier or other member of the programme team").
    lead_iv = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead_iv_days = models.PositiveSmallIntegerField(default=DEFAULT_DAYS)
    centre_days = models.PositiveSmallIntegerField(default=DEFAULT_DAYS)
    # How long a learner has to take an appeal on after a stage's decision.
    escalation_days = models.PositiveSmallIntegerField(default=DEFAULT_DAYS)

    def __str__(self) -> str:
        return f"Case policy of centre {self.centre_id}"


class CaseQuerySet(models.QuerySet["Case"]):
    def live(self) -> CaseQuerySet:
        return self.filter(status__in=[CaseStatus.OPEN, CaseStatus.WITH_AWARDING_BODY])

    def visible_to(self, user: Any) -> CaseQuerySet:
        """Mirrors certification.rules.can_view_case: the cases of the registrations the person
        sees (the learner's own, an assessor's caseload, an EQA's grant, the centre's admins),
        and every case at a centre where they are an internal verifier (the lead IV takes the
        first stage of any appeal there)."""
        from accounts.access import centre_ids
        from accounts.models import CENTRE_READER_ROLES, Role
        from portfolios.models import Registration

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        # Not an employer contact's (issue 19): adjustments and appeals stay between the
        # learner and the centre.
        readable = Registration.objects.visible_to(user, roles=CENTRE_READER_ROLES)
        return self.filter(
            Q(registration__in=readable.values("pk"))
            | Q(registration__centre_id__in=centre_ids(user, Role.INTERNAL_VERIFIER))
        )


class Case(models.Model):
    registration = models.ForeignKey(
        "portfolios.Registration", on_delete=models.PROTECT, related_name="cases"
    )
    # Blank: the whole registration.
    unit = models.ForeignKey(
        "qualifications.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=CaseKind.choices)
    status = models.CharField(max_length=30, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    stage = models.CharField(max_length=30, choices=CaseStage.choices)
    details = models.TextField(max_length=4_000)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField()
    # The date the current stage should answer by (the centre's policy); blank at the awarding
    # body, whose own timetable applies.
    due_on = models.DateField(null=True, blank=True)
    # The latest decision (every one is also a CaseStep).
    outcome = models.CharField(max_length=20, choices=CaseOutcome.choices, blank=True)
    decision = models.TextField(blank=True, max_length=4_000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    ab_reference = models.CharField("awarding body reference", max_length=100, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            *length_checks(details=4_000, decision=4_000, ab_reference=100),
            # With the awarding body means sent to it, under its reference.
            models.CheckConstraint(
                condition=~Q(status="with_awarding_body") | ~Q(ab_reference=""),
                name="certification_case_referred_has_reference",
            ),
            models.CheckConstraint(
                condition=~Q(status="decided") | ~Q(outcome=""),
                name="certification_case_decided_has_outcome",
            ),
        ]
        indexes = [models.Index(fields=["registration", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def is_live(self) -> bool:
        return self.status in (CaseStatus.OPEN, CaseStatus.WITH_AWARDING_BODY)

    @property
    def is_overdue(self) -> bool:
        """An open case past the day its stage should have answered by."""
        from django.utils import timezone

        return (
            self.status == CaseStatus.OPEN
            and self.due_on is not None
            and self.due_on < timezone.localdate()
        )

    @property
    def title(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    def where_it_stands(self) -> str:
        if self.status == CaseStatus.OPEN:
            return f"open with the {self.get_stage_display().lower()}"
        if self.status == CaseStatus.WITH_AWARDING_BODY:
            return f"with the awarding body (reference {self.ab_reference})"
        if self.status == CaseStatus.DECIDED:
            return f"decided: {self.get_outcome_display().lower()}"
        return "withdrawn"


class CaseStepAction(models.TextChoices):
    RAISED = "raised", "Raised"
    DECIDED = "decided", "Decided"
    ESCALATED = "escalated", "Taken to the next stage"
    REFERRED = "referred", "Sent to the awarding body"
    AWARDING_BODY_OUTCOME = "ab_outcome", "Awarding body's outcome recorded"
    WITHDRAWN = "withdrawn", "Withdrawn"


class CaseStep(models.Model):
    """One thing done on a case, kept for good: the case's history."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField(max_length=20, choices=CaseStepAction.choices)
    stage = models.CharField(max_length=30, choices=CaseStage.choices)
    outcome = models.CharField(max_length=20, choices=CaseOutcome.choices, blank=True)
    note = models.TextField(blank=True, max_length=4_000)
    ab_reference = models.CharField(max_length=100, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [*length_checks(note=4_000, ab_reference=100)]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.case_id})"


CASE_DOCUMENT_PREFIX = "cases/"


def case_document_path(instance: CaseDocument, filename: str) -> str:
    # Never the uploader's file name: a random name under the case.
    return f"{CASE_DOCUMENT_PREFIX}{instance.case_id}/{uuid.uuid4().hex}"


class CaseDocument(models.Model):
    """A document of a case (a medical note, a JCQ form, signed statements): stored through
    Django's storages, typed from its content, served only through a permission-checked view."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(upload_to=case_document_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [
            *length_checks(original_name=255, content_type=100, sha256=64),
            models.UniqueConstraint(fields=["case", "sha256"], name="certification_case_doc_once"),
        ]

    def __str__(self) -> str:
        return self.original_name
