"""Evidence in a learner's portfolio: its files, the criteria it is mapped to, the learner's
declaration, and the witness testimony it may come from."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.lifecycle import Lifecycle
from core.limits import length_checks
from portfolios.models.registration import Registration


class EvidenceMethod(models.TextChoices):
    OBSERVATION = "observation", "Observation"
    WITNESS = "witness", "Witness testimony"
    EXPERT_WITNESS = "expert_witness", "Expert witness testimony"
    PROFESSIONAL_DISCUSSION = "professional_discussion", "Professional discussion"
    QUESTIONING = "questioning", "Questioning"
    PRODUCT = "product", "Product"
    REFLECTIVE_ACCOUNT = "reflective_account", "Reflective account"
    ASSIGNMENT = "assignment", "Assignment"
    SIMULATION = "simulation", "Simulation"
    RPL = "rpl", "Recognition of prior learning"
    OTHER = "other", "Other"


class EvidenceContext(models.TextChoices):
    REAL_WORK_PAID = "real_work_paid", "Real work (paid)"
    REAL_WORK_VOLUNTARY = "real_work_voluntary", "Real work (voluntary)"
    REALISTIC_ENVIRONMENT = "realistic_environment", "Realistic working environment"
    SIMULATION = "simulation", "Simulation"


# Contexts a unit marked real_work_only refuses (SFJ Level 3-4 units, Pearson Unit 8).
NOT_REAL_WORK = {EvidenceContext.REALISTIC_ENVIRONMENT, EvidenceContext.SIMULATION}


class EvidenceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ASSESSED = "assessed", "Assessed"
    RETURNED = "returned", "Returned for resubmission"


# Submitted evidence never changes: a resubmission is a new version (its own draft), and the
# returned or assessed one stays as it was.
EVIDENCE_LIFECYCLE = Lifecycle(
    field="status",
    choices=EvidenceStatus,
    moves={
        EvidenceStatus.DRAFT: {EvidenceStatus.SUBMITTED},
        EvidenceStatus.SUBMITTED: {EvidenceStatus.ASSESSED, EvidenceStatus.RETURNED},
        EvidenceStatus.ASSESSED: set(),
        EvidenceStatus.RETURNED: set(),
    },
)


class EvidenceQuerySet(models.QuerySet["Evidence"]):
    def visible_to(self, user: Any) -> EvidenceQuerySet:
        """Evidence follows its registration, except that drafts are the learner's alone."""
        visible = self.filter(registration__in=Registration.objects.visible_to(user))
        if getattr(user, "is_superuser", False):
            return visible
        return visible.exclude(
            Q(status=EvidenceStatus.DRAFT) & ~Q(registration__learner_id=user.pk)
        )

    def seen_in(self, registration: Registration, user: Any) -> EvidenceQuerySet:
        """What visible_to(user).filter(registration=registration) gives, for a registration
        already loaded through Registration.objects.visible_to(user): the same rule without
        asking again whether the registration is visible (the portfolio's pages read it twice
        or three times a request)."""
        evidence = self.filter(registration=registration)
        if getattr(user, "is_superuser", False) or registration.learner_id == user.pk:
            return evidence
        return evidence.exclude(status=EvidenceStatus.DRAFT)


class Evidence(models.Model):
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="evidence"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5_000)
    evidence_date = models.DateField("date of the evidence")
    method = models.CharField(max_length=30, choices=EvidenceMethod.choices)
    context = models.CharField(max_length=30, choices=EvidenceContext.choices)
    status = models.CharField(
        max_length=20, choices=EvidenceStatus.choices, default=EvidenceStatus.DRAFT
    )
    version = models.PositiveSmallIntegerField(default=1)
    # A resubmission is a new version; the earlier one stays, unchanged and visible.
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    criteria = models.ManyToManyField(
        "qualifications.AssessmentCriterion", through="EvidenceCriterion", related_name="evidence"
    )
    # Issue 20: evidence that arrived in a portfolio transferred from another centre. It is
    # that centre's record, read-only here (portfolios.rules.is_transferred_evidence).
    transfer = models.ForeignKey(
        "portfolios.PortfolioTransfer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence",
    )
    # Its id at the centre that exported it (the transfer's issuer): a later, newer export of
    # the same portfolio brings in only the evidence (and versions) not already here.
    source_pk = models.PositiveBigIntegerField("id at the earlier centre", null=True, blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        constraints = [*length_checks(title=200, description=5_000)]
        ordering = ["-created_at"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_locked(self) -> bool:
        return self.status != EvidenceStatus.DRAFT


# Every evidence file is stored under this prefix (uploads and transferred files alike):
# core.stored_files sweeps what no EvidenceFile names there.
EVIDENCE_PREFIX = "evidence/"


def evidence_upload_path(instance: EvidenceFile, filename: str) -> str:
    # Never the learner's file name: a random name under the registration.
    return f"{EVIDENCE_PREFIX}{instance.evidence.registration_id}/{uuid.uuid4().hex}"


class EvidenceFile(models.Model):
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=evidence_upload_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Past the awarding body's retention period the bytes are deleted from storage; the row
    # stays with its name, size and SHA-256 (the declaration's hash still names it), and says
    # when, by whom and why (certification.retention).
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removal_reason = models.TextField(blank=True, max_length=2_000)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [
            *length_checks(original_name=255, removal_reason=2_000),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | ~Q(removal_reason=""),
                name="portfolios_evidencefile_removal_has_reason",
            ),
            models.UniqueConstraint(
                fields=["evidence", "sha256"], name="portfolios_evidencefile_once_per_evidence"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class EvidenceCriterion(models.Model):
    """The learner's (or assessor's) proposal that this evidence meets this criterion."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="mappings")
    criterion = models.ForeignKey(
        "qualifications.AssessmentCriterion", on_delete=models.PROTECT, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    # The assessor who confirmed the mapping while assessing (blank until then). Additions and
    # removals are in the audit log with the mapping before and after.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["evidence", "criterion"], name="portfolios_mapping_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} → {self.criterion_id}"


class Declaration(models.Model):
    """The learner's signed statement that submitted evidence is their own work."""

    STATEMENT = (
        "I confirm that this evidence is my own work, that it was produced as described, and "
        "that I have not copied it from anyone else."
    )

    evidence = models.OneToOneField(Evidence, on_delete=models.PROTECT, related_name="declaration")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    typed_name = models.CharField(max_length=150)
    statement = models.TextField()
    signed_at = models.DateTimeField(default=timezone.now)
    # SHA-256 of exactly what was submitted: the record, its files' hashes and its criteria.
    content_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [*length_checks(typed_name=150)]

    def __str__(self) -> str:
        return f"Declaration by {self.typed_name} on {self.signed_at:%Y-%m-%d}"


class WitnessRequestQuerySet(models.QuerySet["WitnessRequest"]):
    def asked_of(self, user: Any) -> WitnessRequestQuerySet:
        """The requests an employer contact answers signed in (issue 19): asked of them by
        name, on an apprentice of an employer they are a current contact for (the twin of the
        rule portfolios.answer_witness_request)."""
        from accounts.access import employer_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            witness_user_id=user.pk,
            registration__apprenticeship__employer_id__in=employer_ids(user),
        )


class WitnessRequest(models.Model):
    """A named witness asked, by an e-mailed one-time link, to write and sign a testimony; or,
    for an apprentice, one of their employer's contacts, who answers it signed in
    (`witness_user`): no link is sent, and the token is a random one never given to anyone."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="witness_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    witness_name = models.CharField(max_length=150)
    witness_email = models.EmailField()
    job_title = models.CharField(max_length=150)
    relationship = models.CharField("relationship to the learner", max_length=150)
    is_expert = models.BooleanField("expert witness", default=False)
    # SFJ handbook section 4.5 (issue 17): how an expert witness is occupationally competent
    # in the functions the units cover, in a recent role; required when is_expert.
    expert_competence = models.TextField(
        "the expert witness's occupational competence", blank=True, max_length=2_000
    )
    activity = models.TextField("what the witness is asked about", max_length=2_000)
    # Where the work the witness saw took place; the testimony's evidence inherits it.
    context = models.CharField(
        max_length=30, choices=EvidenceContext.choices, default=EvidenceContext.REAL_WORK_PAID
    )
    criteria = models.ManyToManyField("qualifications.AssessmentCriterion", related_name="+")
    # Only a hash of the link's token is kept: a database leak does not open the requests.
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    testimony = models.TextField(blank=True, max_length=10_000)
    signed_name = models.CharField(max_length=150, blank=True)
    evidence = models.OneToOneField(
        Evidence, null=True, blank=True, on_delete=models.PROTECT, related_name="witness_request"
    )
    # Issue 19: the employer contact asked through their account, when it is one of them.
    witness_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="witness_requests_asked",
    )

    objects = WitnessRequestQuerySet.as_manager()

    class Meta:
        constraints = [
            *length_checks(
                witness_name=150,
                witness_email=254,
                job_title=150,
                relationship=150,
                expert_competence=2_000,
                activity=2_000,
                testimony=10_000,
                signed_name=150,
            )
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Testimony from {self.witness_name} for {self.registration}"
