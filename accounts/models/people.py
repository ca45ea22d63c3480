"""One login per person, by e-mail address. Roles at centres arrive with memberships."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.lifecycle import Lifecycle
from core.limits import length_checks


class UserQuerySet(models.QuerySet["User"]):
    def visible_to(self, user: Any) -> UserQuerySet:
        """People a user may see: themselves, and everyone at centres they administer."""
        from accounts.access import centre_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        # A condition on the person's own row (their memberships through a subquery, not a
        # join), so each comes once without DISTINCT: DISTINCT over whole user rows made
        # PostgreSQL sort a centre's 10,000 people for a page of 25, and its count twice over.
        # Callers narrow it by subquery too (pk__in), never by joining memberships.
        at_their_centres = Membership.objects.filter(
            centre_id__in=centre_ids(user, Role.CENTRE_ADMIN)
        ).values("user_id")
        return self.filter(models.Q(pk=user.pk) | models.Q(pk__in=at_their_centres))


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    # UserQuerySet's methods, as from_queryset would copy them, written out: django-stubs cannot
    # type a manager that subclasses from_queryset's class, and User.objects would be untyped.
    _queryset_class = UserQuerySet

    def get_queryset(self) -> UserQuerySet:
        # BaseManager makes its queryset of _queryset_class.
        return cast(UserQuerySet, super().get_queryset())

    def visible_to(self, user: Any) -> UserQuerySet:
        return self.get_queryset().visible_to(user)

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if not (extra["is_staff"] and extra["is_superuser"]):
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # People type their address with any capitals; one address is one account.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("e-mail address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        "staff status",
        default=False,
        help_text="Can sign in to the Django admin site.",
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        # Lists of people (a centre's people, registrations and caseloads) are read in name
        # order a page at a time: the index lets a page stop after its 25 rows (issue 15).
        indexes = [models.Index(fields=["full_name", "email"], name="accounts_user_name_idx")]
        constraints = [
            *length_checks(full_name=150, email=254),
            # Unique whatever the capitals, enforced by the database, not just by forms.
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    LEARNER = "learner", "Learner"
    ASSESSOR = "assessor", "Assessor"
    INTERNAL_VERIFIER = "iv", "Internal verifier"
    CENTRE_ADMIN = "admin", "Centre admin"
    EQA = "eqa", "External quality assurer"
    # Someone at an apprentice's employer (issue 19): sees only their own employer's apprentices,
    # read-only. Not staff: they assess, verify and administer nothing.
    EMPLOYER = "employer", "Employer contact"


STAFF_ROLES = (Role.ASSESSOR, Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN)
# Everyone who reads a registration as its learner or as the centre (its staff and EQA): not an
# employer contact, who reads their apprentices' portfolios but not, for instance, their
# appeals and adjustments or the centre's sampling (Registration.visible_to's `roles`).
CENTRE_READER_ROLES = tuple(role for role in Role if role != Role.EMPLOYER)


def includes_learner(roles: Iterable[str]) -> bool:
    """Whether these roles (a person's at a centre, as a page shows them) include a learner's.
    A fact about the person shown, not a permission of the one looking."""
    return Role.LEARNER in roles


class CentreQuerySet(models.QuerySet["Centre"]):
    def visible_to(self, user: Any) -> CentreQuerySet:
        from accounts.access import centre_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(pk__in=centre_ids(user, *Role.values))


class Centre(models.Model):
    name = models.CharField(max_length=200)
    number = models.CharField("centre number", max_length=30, unique=True)
    qualifications = models.ManyToManyField(
        "qualifications.Qualification",
        blank=True,
        related_name="centres",
        help_text="Qualifications the centre is approved to offer.",
    )

    objects = CentreQuerySet.as_manager()

    class Meta:
        constraints = [*length_checks(name=200, number=30)]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class EmployerQuerySet(models.QuerySet["Employer"]):
    def visible_to(self, user: Any) -> EmployerQuerySet:
        """A centre's employers: its admins see them all, an employer contact their own."""
        from accounts.access import centre_ids, employer_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            models.Q(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN))
            | models.Q(pk__in=employer_ids(user))
        )

    def manageable_by(self, user: Any) -> EmployerQuerySet:
        """Added and changed by the centre's admins only; a contact reads theirs."""
        from accounts.access import centre_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN))


class Employer(models.Model):
    """An employer organisation, as one centre keeps it (issue 19: apprenticeships).

    Kept BY a centre, like a learner profile: two centres training apprentices of the same
    company each hold their own record of it, and neither sees the other's (or its contacts).
    Its contacts are memberships with role EMPLOYER naming it (Membership.employer)."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="employers")
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True, max_length=500)
    phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField("contact e-mail address", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = EmployerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            # "Acme Ltd" and "ACME LTD" are one employer to the centre that keeps them.
            models.UniqueConstraint(
                models.F("centre"), Lower("name"), name="accounts_employer_name_per_centre"
            ),
            *length_checks(name=200, address=500, phone=40, contact_email=254),
        ]

    def __str__(self) -> str:
        return self.name


def employer_only_for_contacts() -> models.Q:
    """The check of Membership and Invitation: an employer exactly when the role is EMPLOYER."""
    return models.Q(role=Role.EMPLOYER, employer__isnull=False) | (
        ~models.Q(role=Role.EMPLOYER) & models.Q(employer__isnull=True)
    )


class MembershipQuerySet(models.QuerySet["Membership"]):
    def visible_to(self, user: Any) -> MembershipQuerySet:
        """Your own roles, and every role at the centres you administer."""
        from accounts.access import centre_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            models.Q(user_id=user.pk) | models.Q(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN))
        )

    def current(self, today: date | None = None) -> MembershipQuerySet:
        """Active and not expired (EQA access is time-limited)."""
        today = today or timezone.localdate()
        return self.filter(is_active=True).filter(
            models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=today)
        )

    def learners(self) -> MembershipQuerySet:
        return self.filter(role=Role.LEARNER)

    def assessors(self) -> MembershipQuerySet:
        return self.filter(role=Role.ASSESSOR)

    def contacts(self) -> MembershipQuerySet:
        """Employer contacts: each names the employer they speak for."""
        return self.filter(role=Role.EMPLOYER)


class Membership(models.Model):
    """A person's role at a centre. One login may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    expires_on = models.DateField(
        null=True, blank=True, help_text="EQA access ends after this date."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # EQA only: read access limited to these qualifications; none means the whole centre. It
    # lives here, not in verification, because portfolios' visible_to (lower) must honour it.
    qualifications = models.ManyToManyField(
        "qualifications.Qualification",
        blank=True,
        related_name="+",
        help_text="External quality assurers: only these qualifications (none: the whole centre).",
    )
    # Employer contacts only: the employer they speak for, one of this centre's. A field of the
    # membership, like the EQA's qualifications above, because it is what this centre holds
    # about the person in this role: the same person may be a learner here, or a contact for
    # another employer at another centre, and each role keeps its own. A separate
    # EmployerContact model would be a second row to keep in step with every grant and revoke.
    employer = models.ForeignKey(
        Employer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        help_text="Employer contacts: the employer they work for.",
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["centre__name", "role"]
        # A centre's people are counted, listed and the newest shown from the centre's own
        # rows, read from these indexes, not by scanning every centre's (issue 15).
        indexes = [
            models.Index(fields=["centre", "role", "user"], name="accounts_membership_centre_idx"),
            models.Index(
                fields=["centre", "-created_at", "-id"], name="accounts_membership_newest_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "centre", "role"], name="accounts_membership_unique"
            ),
            # An employer contact names their employer; no other role names one.
            models.CheckConstraint(
                condition=employer_only_for_contacts(),
                name="accounts_membership_employer_for_contacts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.centre.name}"

    @property
    def is_current(self) -> bool:
        return self.is_active and (
            self.expires_on is None or self.expires_on >= timezone.localdate()
        )

    @property
    def is_learner(self) -> bool:
        return self.role == Role.LEARNER

    def qualifications_in_view(self) -> models.QuerySet:
        """The centre's qualifications, or only those of an EQA grant limited to some."""
        offered = self.centre.qualifications.all()
        if self.role == Role.EQA:
            limit = self.qualifications.all()
            if limit.exists():
                return offered.filter(pk__in=limit.values("pk"))
        return offered


class CentreHeldQuerySet(models.QuerySet):
    """What a centre keeps about a person belongs to that centre: only its admins see it."""

    def visible_to(self, user: Any) -> CentreHeldQuerySet:
        from accounts.access import centre_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN))

    def at(self, centre: Centre | int) -> CentreHeldQuerySet:
        return self.filter(centre_id=getattr(centre, "pk", centre))


class LearnerProfile(models.Model):
    """The learner's details as one centre holds them (the IMI contact sheet's). A person who
    learns at two centres has two profiles: neither centre reads or changes the other's."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="learner_profiles")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="learner_profiles")
    uln = models.CharField(
        "unique learner number", max_length=10, blank=True, help_text="10 digits, if known."
    )
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True, max_length=500)
    employer = models.CharField(max_length=200, blank=True)
    employer_contact_name = models.CharField(max_length=150, blank=True)
    employer_contact_email = models.EmailField(blank=True)
    employer_contact_phone = models.CharField(max_length=40, blank=True)

    objects = CentreHeldQuerySet.as_manager()

    class Meta:
        # A picker finds a learner by the exact ULN a centre holds: without it, every profile
        # of the platform is read.
        indexes = [models.Index(fields=["centre", "uln"], name="accounts_profile_uln_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "centre"], name="accounts_learnerprofile_one_per_centre"
            ),
            *length_checks(
                uln=10,
                phone=40,
                address=500,
                employer=200,
                employer_contact_name=150,
                employer_contact_email=254,
                employer_contact_phone=40,
            ),
        ]

    def __str__(self) -> str:
        return f"Learner profile of {self.user} at centre {self.centre_id}"

    def age_on(self, day: date) -> int | None:
        if not self.date_of_birth:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class StaffCredential(models.Model):
    """An assessor or verifier qualification, held or being worked towards."""

    class Kind(models.TextChoices):
        ASSESSOR = "assessor", "Assessor qualification"
        VERIFIER = "verifier", "Internal verifier qualification"

    class Status(models.TextChoices):
        HELD = "held", "Held"
        WORKING_TOWARDS = "working_towards", "Working towards"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="credentials")
    # The centre that recorded it; another centre where the person works keeps its own.
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="staff_credentials")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200, help_text="e.g. Level 3 Certificate in Assessing")
    status = models.CharField(max_length=20, choices=Status.choices)
    achieved_on = models.DateField(null=True, blank=True)
    # SFJ allows 18 months from starting work as an assessor/verifier to achieve the qualification.
    deadline = models.DateField(null=True, blank=True)
    levels = models.JSONField(
        default=list, blank=True, help_text="Levels this person may assess or verify."
    )
    # Issue 17: what the credential covers, so that a decision can be refused without it. None
    # chosen: every qualification at the levels above (or at any level, if none are given).
    qualifications = models.ManyToManyField(
        "qualifications.Qualification",
        blank=True,
        related_name="+",
        help_text="Qualifications it covers (none: all at the levels given).",
    )
    # SFJ section 4.1 item 6: a trainee has 18 months from starting work with the standards.
    started_on = models.DateField("started assessing or verifying on", null=True, blank=True)
    # The qualified colleague who countersigns a trainee's sign-offs (practice, not SFJ's text).
    countersigner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="countersigned_credentials",
        help_text="Working towards only: the qualified colleague who countersigns.",
    )

    objects = CentreHeldQuerySet.as_manager()

    class Meta:
        constraints = [*length_checks(title=200)]
        ordering = ["user", "kind", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"


class CompetenceRecord(models.Model):
    """Occupational competence and CPD entries for assessors and verifiers."""

    class Kind(models.TextChoices):
        OCCUPATIONAL = "occupational", "Occupational competence"
        CPD = "cpd", "Continuing professional development"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="competence_records")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="competence_records")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    date = models.DateField()
    activity = models.CharField(max_length=300)
    hours = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    notes = models.TextField(blank=True, max_length=5_000)
    # Issue 17: the qualifications this experience is relevant to. None chosen: all of them.
    qualifications = models.ManyToManyField(
        "qualifications.Qualification",
        blank=True,
        related_name="+",
        help_text="Qualifications this experience is relevant to (none: all).",
    )

    objects = CentreHeldQuerySet.as_manager()

    class Meta:
        constraints = [*length_checks(activity=300, notes=5_000)]
        ordering = ["user", "-date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.activity}"


# ---------------------------------------------------------------- invitations

INVITATION_DAYS = 14


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Awaiting an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Every answer is final: a declined or withdrawn invitation is followed by a new one, if any.
INVITATION_LIFECYCLE = Lifecycle(
    field="status",
    choices=InvitationStatus,
    moves={
        InvitationStatus.PENDING: {
            InvitationStatus.ACCEPTED,
            InvitationStatus.DECLINED,
            InvitationStatus.WITHDRAWN,
        },
        InvitationStatus.ACCEPTED: set(),
        InvitationStatus.DECLINED: set(),
        InvitationStatus.WITHDRAWN: set(),
    },
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def visible_to(self, user: Any) -> InvitationQuerySet:
        """The centre's admins see its invitations; the invitee sees those to their address."""
        from accounts.access import centre_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            models.Q(email=user.email.lower())
            | models.Q(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN))
        )

    def manageable_by(self, user: Any) -> InvitationQuerySet:
        """Resend and withdraw: the centre's admins."""
        from accounts.access import centre_ids

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(centre_id__in=centre_ids(user, Role.CENTRE_ADMIN))

    def addressed_to(self, user: Any) -> InvitationQuerySet:
        """Accept and decline: only whoever holds the address (a superuser is no exception)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(email=user.email.lower())

    def open(self) -> InvitationQuerySet:
        """Pending and not yet expired: the ones that can still be answered."""
        return self.filter(status=InvitationStatus.PENDING, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An offer of a role at a centre, made to an e-mail address; nothing of the person is
    attached to the centre until they accept."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField("e-mail address", max_length=254)
    # As the admin typed it: the centre never sees the account's own name before acceptance.
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices)
    expires_on = models.DateField(
        null=True, blank=True, help_text="EQA access ends after this date."
    )
    qualifications = models.ManyToManyField(
        "qualifications.Qualification",
        blank=True,
        related_name="+",
        help_text="External quality assurers: only these qualifications (none: the whole centre).",
    )
    # An employer contact's invitation names the employer; accepting puts it on the membership.
    employer = models.ForeignKey(
        Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Learners from the CSV import: each row's checked registration, made when they accept.
    # Plain values (numbers, ids, ISO dates) so accounts need not know portfolios' models.
    registrations = models.JSONField(default=list, blank=True)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Only the hash: a copy of the database must not let anyone accept in the invitee's name.
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=20, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            # Adding the same person again resends the one invitation rather than a second.
            models.UniqueConstraint(
                fields=["centre", "email", "role"],
                condition=models.Q(status="pending"),
                name="accounts_invitation_one_pending",
            ),
            models.CheckConstraint(
                condition=employer_only_for_contacts(),
                name="accounts_invitation_employer_for_contacts",
            ),
            *length_checks(email=254, full_name=150),
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.email} as {self.get_role_display()} at {self.centre.name}"

    @property
    def is_expired(self) -> bool:
        return self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        return self.status == InvitationStatus.PENDING and not self.is_expired

    @property
    def state_label(self) -> str:
        return "Expired" if self.is_expired else self.get_status_display()

    @property
    def registration_problems(self) -> list[dict[str, Any]]:
        return [entry for entry in self.registrations if entry.get("problem")]
