"""factory_boy factories for the suite. Test set-up lives here, never in fixtures/."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import factory

from accounts.models import User

if TYPE_CHECKING:
    from portfolios.models import Evidence

DEFAULT_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@centre.example")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save(update_fields=["password"])


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Centre"

    name = factory.Sequence(lambda n: f"Training Centre {n}")
    number = factory.Sequence(lambda n: f"C{n:05d}")


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Employer"

    centre = factory.SubFactory(CentreFactory)
    name = factory.Sequence(lambda n: f"Employer {n} Ltd")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Membership"

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    role = "learner"
    # An employer contact names one of the centre's employers (a new one unless given).
    employer = factory.Maybe(
        factory.LazyAttribute(lambda m: m.role == "employer"),
        yes_declaration=factory.SubFactory(
            EmployerFactory, centre=factory.SelfAttribute("..centre")
        ),
        no_declaration=None,
    )


class StaffCredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.StaffCredential"

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    kind = "assessor"
    title = "Level 3 Certificate in Assessing"
    status = "held"
    achieved_on = factory.Faker("date_this_decade")


class CompetenceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.CompetenceRecord"

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    kind = "cpd"
    date = factory.Faker("date_this_year")
    activity = "Standardisation workshop"


class LearnerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.LearnerProfile"
        django_get_or_create = ("user", "centre")

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    date_of_birth = factory.Faker("date_of_birth", minimum_age=19, maximum_age=60)
    uln = factory.Sequence(lambda n: f"{1000000000 + n}")


def member(centre: object, role: str, *, employer: object = None, **user_fields: object) -> User:
    """A new person holding `role` at `centre` (learners get a profile, aged 30; an employer
    contact speaks for `employer`, or a new employer of the centre)."""
    import datetime

    user = UserFactory(**user_fields)
    extra = {"employer": employer} if employer is not None else {}
    MembershipFactory(user=user, centre=centre, role=role, **extra)
    if role == "learner":
        LearnerProfileFactory(user=user, centre=centre, date_of_birth=datetime.date(1995, 5, 17))
    if role == "eqa":
        from accounts.models import Membership

        Membership.objects.filter(user=user, centre=centre, role=role).update(
            expires_on=datetime.date.today() + datetime.timedelta(days=90)
        )
    return user


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A bare registration row (tests of the services use portfolios.services instead)."""

    class Meta:
        model = "portfolios.Registration"

    learner = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    qualification = factory.LazyFunction(
        lambda: __import__(
            "qualifications.models", fromlist=["Qualification"]
        ).Qualification.objects.get(number="601/3456/2")
    )
    start_date = factory.Faker("date_this_year")


def invite(centre: object, email: str, role: str = "learner", **fields: object) -> object:
    """A pending invitation made through the service (its raw token on `.token`), as an admin
    of `centre` would send it. The e-mail goes only if the caller runs on_commit callbacks."""
    from accounts.services import invitation_create

    fields.setdefault("full_name", "Invited Person")
    fields.setdefault("actor", None)
    return invitation_create(centre=centre, email=email, role=role, **fields)


def mapped_evidence(registration: Any, criteria: Any, **fields: Any) -> Evidence:
    """Submitted evidence of the registration's learner mapped to `criteria` (one criterion or
    many): what a criterion judged met rests on (assessments.basis, "Decisions rest on
    evidence"). Made directly, as the tests of decisions need it only as the decision's basis."""
    import datetime

    from django.utils import timezone

    from portfolios.models import Evidence, EvidenceCriterion, EvidenceStatus

    many = [criteria] if hasattr(criteria, "pk") else list(criteria)
    learner = registration.learner
    fields.setdefault("title", "Workplace evidence")
    fields.setdefault("evidence_date", datetime.date.today())
    fields.setdefault("method", "product")
    fields.setdefault("context", "real_work_paid")
    evidence = Evidence.objects.create(
        registration=registration,
        status=EvidenceStatus.SUBMITTED,
        submitted_at=timezone.now(),
        created_by=learner,
        **fields,
    )
    EvidenceCriterion.objects.bulk_create(
        [EvidenceCriterion(evidence=evidence, criterion=c, proposed_by=learner) for c in many]
    )
    return evidence


# ---------------------------------------------------------------- issue 17: staff competence
# Deciding, validating and sampling need a current credential and occupational competence
# (accounts/competence.py). Every assessor or IV role a test creates, whichever way, comes with
# both, covering every qualification, unless the test module sets OWN_COMPETENCE = True (the
# competence tests) or runs the demo (which must give its staff their own; tests/demo).


def give_competence(user: object, centre: object, role: str) -> None:
    """A held credential for `role` and recent occupational experience, covering everything."""
    import datetime

    kind = "assessor" if role == "assessor" else "verifier"
    StaffCredentialFactory(
        user=user,
        centre=centre,
        kind=kind,
        title=f"Default {kind} qualification (tests)",
        achieved_on=datetime.date(2020, 1, 1),
    )
    CompetenceRecordFactory(
        user=user,
        centre=centre,
        kind="occupational",
        date=datetime.date.today() - datetime.timedelta(days=30),
        activity="Default occupational experience (tests)",
    )


def _competent_staff(sender: object, instance: object, created: bool, **kwargs: object) -> None:
    role = getattr(instance, "role", "")
    if created and role in ("assessor", "iv"):
        give_competence(getattr(instance, "user"), getattr(instance, "centre"), role)  # noqa: B009


def apprentice(registration: Any, employer: Any) -> Any:
    """Make the registration an apprenticeship with `employer` (issue 19): a plain programme
    record, written directly (tests of its rules use portfolios.apprenticeships)."""
    import datetime
    from decimal import Decimal

    from portfolios.models import Apprenticeship
    from qualifications.models import Standard

    return Apprenticeship.objects.create(
        registration=registration,
        employer=employer,
        standard=Standard.objects.get(code="customer-service-practitioner"),
        standard_version="1.2",
        practical_start=datetime.date(2026, 9, 1),
        practical_planned_end=datetime.date(2027, 10, 1),
        minimum_otj_hours=Decimal("278"),
        epao_name="Highfield Assessment",
    )
