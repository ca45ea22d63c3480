"""Every free-text field has a length limit that the form states and the database enforces."""

from __future__ import annotations

import datetime
import importlib
import inspect
import pkgutil
import re

import pytest
from django import forms
from django.apps import apps
from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from core.forms import LimitStatingBoundField
from portfolios.evidence import evidence_create
from portfolios.forms.evidence import EvidenceForm
from portfolios.models import Evidence, EvidenceContext, EvidenceMethod, Registration
from portfolios.services import register_learner
from qualifications.models import Qualification
from tests.factories import CentreFactory, member

PROJECT_APPS = [
    "core",
    "qualifications",
    "accounts",
    "portfolios",
    "assessments",
    "verification",
    "certification",
    "api",
]
IMI = "601/3456/2"

SYSTEM = "filled by the system, never typed"
CATALOGUE = "imported from the awarding body's specification (fixtures/), never typed"
HASH = "a hex digest computed by the system"
# Text fields with no database length check, and why. Fields with choices are exempt too: their
# values come from a fixed list in code, and forms offer nothing else.
EXEMPT = {
    "core.AuditEvent.action": SYSTEM,
    "core.AuditEvent.object_type": SYSTEM,
    "core.AuditEvent.object_id": SYSTEM,
    "core.AuditEvent.previous_hash": HASH,
    "core.AuditEvent.hash": HASH,
    "core.AuditChainHead.hash": HASH,
    "accounts.Invitation.token_hash": HASH,
    "assessments.AchievementRecord.audit_hash": HASH,
    "certification.ClaimBatch.exported_audit_hash": HASH,
    "qualifications.AwardingBody.code": CATALOGUE,
    "qualifications.AwardingBody.name": CATALOGUE,
    "qualifications.AwardingBody.retention_rule": CATALOGUE,
    "qualifications.AwardingBody.registration_rule": CATALOGUE,
    "qualifications.AwardingBody.credit_transfer_rule": CATALOGUE,
    "qualifications.Qualification.number": CATALOGUE,
    "qualifications.Qualification.title": CATALOGUE,
    "qualifications.Qualification.qualification_type": CATALOGUE,
    "qualifications.Qualification.age_note": CATALOGUE,
    "qualifications.Qualification.rules_text": CATALOGUE,
    "qualifications.Qualification.source": CATALOGUE,
    "qualifications.Qualification.validation_rule": CATALOGUE,
    "qualifications.Qualification.simulation_rule": CATALOGUE,
    "qualifications.Qualification.rwe_guidelines": CATALOGUE,
    "qualifications.Unit.key": CATALOGUE,
    "qualifications.Unit.reference": CATALOGUE,
    "qualifications.Unit.title": CATALOGUE,
    "qualifications.Unit.aim": CATALOGUE,
    "qualifications.Unit.assessment_requirements": CATALOGUE,
    "qualifications.Unit.guidance": CATALOGUE,
    "qualifications.Unit.source": CATALOGUE,
    "qualifications.RuleGroup.code": CATALOGUE,
    "qualifications.RuleGroup.name": CATALOGUE,
    "qualifications.RuleGroup.rule_text": CATALOGUE,
    "qualifications.QualificationUnit.code": CATALOGUE,
    "qualifications.LevelRule.rule_text": CATALOGUE,
    "qualifications.LevelRule.reading": CATALOGUE,
    "qualifications.LearningOutcome.number": CATALOGUE,
    "qualifications.LearningOutcome.text": CATALOGUE,
    "qualifications.LearningOutcome.content": CATALOGUE,
    "qualifications.AssessmentCriterion.number": CATALOGUE,
    "qualifications.AssessmentCriterion.text": CATALOGUE,
    "qualifications.AssessmentCriterion.guidance": CATALOGUE,
    "qualifications.Standard.code": CATALOGUE,
    "qualifications.Standard.title": CATALOGUE,
    "qualifications.Standard.reference": CATALOGUE,
    "qualifications.Standard.level": CATALOGUE,
    "qualifications.Standard.source": CATALOGUE,
    "qualifications.Statement.heading": CATALOGUE,
    "qualifications.Statement.code": CATALOGUE,
    "qualifications.Statement.text": CATALOGUE,
    "qualifications.Statement.note": CATALOGUE,
    "qualifications.StatementCriterion.printed_text": CATALOGUE,
    "qualifications.StatementCriterion.note": CATALOGUE,
    "accounts.User.password": HASH,
    "accounts.PasswordResetRequest.address_key": HASH,
    "portfolios.EvidenceFile.content_type": "sniffed from the file's bytes by the system",
    "portfolios.EvidenceFile.sha256": HASH,
    "portfolios.Declaration.statement": "the declaration's fixed wording (Declaration.STATEMENT)",
    "portfolios.Declaration.content_hash": HASH,
    "portfolios.WitnessRequest.token_hash": HASH,
    "portfolios.ProgressReview.content_hash": HASH,
    "portfolios.ReviewSignature.content_hash": HASH,
    "portfolios.ReviewSignatureLink.token_hash": HASH,
    "assessments.UnitSignOff.content_hash": HASH,
    "assessments.AssessorRecord.content_hash": HASH,
    "assessments.AssessorRecord.acknowledged_hash": HASH,
    "assessments.AchievementRecord.subject": SYSTEM,
    "assessments.AchievementRecord.subject_key": SYSTEM,
    "assessments.AchievementRecord.content_hash": HASH,
    "assessments.AchievementRecord.error": "an exception's text, cut to 2,000 characters",
    "assessments.AchievementRecord.pdf_sha256": HASH,
    "assessments.AchievementRecord.verification_code": "random, made by the system",
    "assessments.AchievementRecord.site_url": "from settings.SITE_URL or the request's host",
    "assessments.AssessmentPlan.content_hash": HASH,
    "certification.ClaimLine.result": SYSTEM,
    "certification.ClaimLine.centre_number": "copied from the centre at export",
    "certification.ClaimLine.registration_number": "copied from the registration at export",
    "certification.ClaimLine.uln": "copied from the learner profile at export",
    "certification.ClaimLine.learner_name": "copied from the user at export",
    "certification.ClaimLine.qualification_number": "copied from the catalogue at export",
    "verification.EqaPageView.method": "the request's method",
    "verification.EqaPageView.path": "the request's path, cut to 2,000 characters",
    "verification.Sample.snapshot_hash": HASH,
    "verification.SampleOutcome.snapshot_hash": HASH,
    "verification.VerifierSignOff.content_hash": HASH,
    "verification.VerifierSignOff.void_reason": (
        "composed by the system from the unlock reason, itself limited to 2,000 characters"
    ),
}


def text_fields() -> list[tuple[str, type[models.Model], models.Field]]:
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField):
                found.append((f"{model._meta.label}.{field.name}", model, field))
    return found


def length_limit(model: type[models.Model], field: str) -> int | None:
    """The N of the model's CHECK (length(field) <= N) constraint, if it has one."""
    for constraint in model._meta.constraints:
        condition = getattr(constraint, "condition", None)
        if (
            isinstance(condition, LessThanOrEqual)
            and isinstance(condition.lhs, Length)
            and condition.lhs.source_expressions[0].name == field
        ):
            return condition.rhs
    return None


def test_every_free_text_field_has_a_max_length_and_a_database_check() -> None:
    missing = []
    for label, model, field in text_fields():
        if field.choices or label in EXEMPT:
            continue
        limit = length_limit(model, field.name)
        if field.max_length is None or limit is None:
            missing.append(f"{label} (max_length={field.max_length}, check={limit})")
        elif limit != field.max_length:
            missing.append(f"{label}: max_length {field.max_length} but the check says {limit}")
        else:
            expected = f"{model._meta.app_label}_{model._meta.model_name}_{field.name}_len"
            names = {constraint.name for constraint in model._meta.constraints}
            assert expected in names, (label, names)
    assert not missing, "give these a max_length and core.limits.length_checks:\n" + "\n".join(
        missing
    )


def test_the_exempt_list_names_only_fields_that_exist_and_have_no_check() -> None:
    fields = {label: (model, field) for label, model, field in text_fields()}
    for label in EXEMPT:
        assert label in fields, f"{label} is exempt but no longer exists"
        model, field = fields[label]
        assert length_limit(model, field.name) is None, f"{label} has a check: drop it from EXEMPT"


# ---------------------------------------------------------------- forms


def project_forms() -> list[type[forms.BaseForm]]:
    found: list[type[forms.BaseForm]] = []
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        # Form modules: forms.py, *_forms.py, and every module of a forms/ package.
        for module_info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if "form" not in module_info.name or ".migrations" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                    found.append(cls)
    return found


def test_every_text_box_of_every_form_has_a_max_length() -> None:
    forms_found = project_forms()
    assert len(forms_found) > 30
    missing = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in forms_found
        for name, field in form.base_fields.items()
        if isinstance(field, forms.CharField)
        and isinstance(field.widget, forms.TextInput | forms.Textarea | forms.EmailInput)
        and field.max_length is None
    ]
    # The sign-in form's e-mail box gets its limit from the user model when it is made.
    assert missing == ["accounts.forms.user.SignInForm.username"], missing


def test_a_form_field_states_its_limit_once_and_is_described_by_it() -> None:
    form = EvidenceForm()

    description = form["description"]
    html = str(description)

    assert isinstance(description, LimitStatingBoundField)
    assert description.help_text.endswith("criteria you map it to. Up to 5,000 characters.")
    assert 'maxlength="5000"' in html
    assert 'aria-describedby="id_description_helptext"' in html
    assert form["title"].help_text == "Up to 200 characters."
    # Not on choices, dates or e-mail addresses.
    assert form["method"].help_text == ""


# ---------------------------------------------------------------- through the page


@pytest.fixture
def registration(catalogue: None) -> Registration:
    centre = CentreFactory()
    qualification = Qualification.objects.get(number=IMI)
    centre.qualifications.add(qualification)
    admin = member(centre, Role.CENTRE_ADMIN)
    return register_learner(
        actor=admin,
        learner=member(centre, Role.LEARNER),
        centre=centre,
        qualification=qualification,
        start_date=datetime.date.today(),
        assessors=[member(centre, Role.ASSESSOR)],
        internal_verifier=member(centre, Role.INTERNAL_VERIFIER),
    )


def test_the_evidence_form_states_the_limit_and_refuses_too_long_text_keeping_the_rest(
    client: Client, registration: Registration
) -> None:
    client.force_login(registration.learner)
    create = reverse("evidence:create", args=[registration.pk])

    page = client.get(create).content.decode()
    assert "Up to 5,000 characters." in page
    assert re.search(r'<textarea[^>]*maxlength="5000"', page)

    # Posted past the browser's maxlength, as a script or an old browser would.
    response = client.post(
        create,
        {
            "title": "Phone call with a supplier",
            "description": "x" * 5_001,
            "evidence_date": datetime.date.today().isoformat(),
            "method": EvidenceMethod.PRODUCT,
            "context": EvidenceContext.REAL_WORK_PAID,
        },
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Ensure this value has at most 5000 characters (it has 5001)." in html
    # Nothing else typed is lost: the title, and the too-long text itself, come back.
    assert 'value="Phone call with a supplier"' in html
    assert "x" * 5_001 in html
    assert not Evidence.objects.exists()


# ---------------------------------------------------------------- the database


def test_a_service_writing_too_long_a_text_fails_at_the_database(
    registration: Registration,
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        evidence_create(
            actor=registration.learner,
            registration=registration,
            title="Phone call with a supplier",
            evidence_date=datetime.date.today(),
            method=EvidenceMethod.PRODUCT,
            context=EvidenceContext.REAL_WORK_PAID,
            description="x" * 5_001,
        )
    assert not Evidence.objects.exists()


def test_exactly_the_limit_is_accepted(registration: Registration) -> None:
    evidence = evidence_create(
        actor=registration.learner,
        registration=registration,
        title="t" * 200,
        evidence_date=datetime.date.today(),
        method=EvidenceMethod.PRODUCT,
        context=EvidenceContext.REAL_WORK_PAID,
        description="x" * 5_000,
    )
    assert len(Evidence.objects.get(pk=evidence.pk).description) == 5_000


def test_a_too_long_name_fails_at_the_database_even_on_sqlite(
    registration: Registration,
) -> None:
    # SQLite ignores varchar(200); the check refuses it there. PostgreSQL's varchar refuses it
    # first (a DataError); either way nothing is written.
    with pytest.raises(DatabaseError), transaction.atomic():
        evidence_create(
            actor=registration.learner,
            registration=registration,
            title="t" * 201,
            evidence_date=datetime.date.today(),
            method=EvidenceMethod.PRODUCT,
            context=EvidenceContext.REAL_WORK_PAID,
        )
    assert not Evidence.objects.exists()
