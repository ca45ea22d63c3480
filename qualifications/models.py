"""The qualification catalogue: reference data loaded from fixtures/, knowing nothing of people.

Every model has a natural key, so fixtures name things the way the specifications do
("601/1109/4", "A/506/2130", criterion "2.10") rather than by database ids.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from qualifications.importers.schema import LEVELS

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

LEVEL_CHOICES = [
    (level, f"Entry {level[1]}" if level.startswith("E") else f"Level {level}") for level in LEVELS
]


def level_label(level: str) -> str:
    return dict(LEVEL_CHOICES).get(level, level)


class AwardingBodyManager(models.Manager["AwardingBody"]):
    def get_by_natural_key(self, code: str) -> AwardingBody:
        return self.get(code=code)


class AwardingBody(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    # Catalogue facts from each body's own document, with the line: blank where the document
    # says nothing (the rule text then says so, and what the centre must do instead).
    # How long evidence is kept after external verification (Ascentis L279: 4 weeks); null where
    # the document gives no period, which the centre then enters (certification.RetentionPeriod).
    retention_weeks = models.PositiveSmallIntegerField(
        "weeks evidence is kept after external verification", null=True, blank=True
    )
    retention_rule = models.TextField("where the document sets the retention period", blank=True)
    # Days after the start by which a learner must be registered with the body (Ascentis L249:
    # seven weeks); null where the document gives none.
    registration_days = models.PositiveSmallIntegerField(
        "days after the start to register the learner", null=True, blank=True
    )
    registration_rule = models.TextField(
        "where the document sets the registration period", blank=True
    )
    # Whether the centre may record credits from identical units the learner achieved before
    # (SFJ section 2.8, L227), and the document's words either way.
    credit_transfer = models.BooleanField("credit transfer of identical units", default=False)
    credit_transfer_rule = models.TextField(
        "where the document speaks of credit transfer", blank=True
    )

    objects = AwardingBodyManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class QualificationStatus(models.TextChoices):
    NOT_YET_OPEN = "not_yet_open", "Not yet open"
    OPEN = "open", "Open for registration"
    CERTIFICATION_ONLY = "certification_only", "Closed to new learners, certification only"
    CLOSED = "closed", "Closed"


class StatusAnnotation(TypedDict):
    current_status: str  # a QualificationStatus


class QualificationQuerySet(models.QuerySet["Qualification"]):
    def with_status(
        self, today: date | None = None
    ) -> QualificationQuerySet[WithAnnotations[Qualification, StatusAnnotation]]:
        """Annotate `current_status`, derived from the dates as `Qualification.status` is."""
        today = today or timezone.localdate()
        return self.annotate(
            current_status=Case(
                When(operational_start__gt=today, then=Value(QualificationStatus.NOT_YET_OPEN)),
                When(
                    Q(operational_end__lt=today)
                    & (Q(certification_end__isnull=True) | Q(certification_end__lt=today)),
                    then=Value(QualificationStatus.CLOSED),
                ),
                When(
                    operational_end__lt=today,
                    then=Value(QualificationStatus.CERTIFICATION_ONLY),
                ),
                default=Value(QualificationStatus.OPEN),
                output_field=models.CharField(),
            )
        )


_QualificationManagerBase = models.Manager.from_queryset(QualificationQuerySet)


class QualificationManager(_QualificationManagerBase["Qualification"]):
    def get_by_natural_key(self, number: str) -> Qualification:
        return self.get(number=number)


class Qualification(models.Model):
    class Grading(models.TextChoices):
        PASS = "pass", "Pass only"
        PASS_MERIT_DISTINCTION = "pass_merit_distinction", "Pass, merit or distinction"

    number = models.CharField("Ofqual number", max_length=12, unique=True)
    awarding_body = models.ForeignKey(AwardingBody, on_delete=models.PROTECT)
    title = models.CharField(max_length=300)
    level = models.CharField(max_length=2, choices=LEVEL_CHOICES)
    qualification_type = models.CharField(max_length=50, blank=True)
    credit_value = models.PositiveSmallIntegerField(null=True, blank=True)
    glh = models.PositiveSmallIntegerField("guided learning hours", null=True, blank=True)
    glh_max = models.PositiveSmallIntegerField(
        "guided learning hours (upper end of range)", null=True, blank=True
    )
    tqt = models.PositiveSmallIntegerField("total qualification time", null=True, blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    age_note = models.TextField(blank=True)
    operational_start = models.DateField(null=True, blank=True)
    operational_end = models.DateField(null=True, blank=True)
    certification_end = models.DateField(null=True, blank=True)
    grading = models.CharField(max_length=30, choices=Grading.choices, default=Grading.PASS)
    # Qualification-wide rules of combination.
    min_credits = models.PositiveSmallIntegerField(null=True, blank=True)
    max_credits = models.PositiveSmallIntegerField(null=True, blank=True)
    min_units = models.PositiveSmallIntegerField(null=True, blank=True)
    min_glh = models.PositiveSmallIntegerField(null=True, blank=True)
    rules_text = models.TextField("rules of combination as printed", blank=True)
    rules_given = models.BooleanField(default=True)
    # Where the awarding body says so (Pearson BTEC), an internal verifier validates each
    # assessment decision before the learner sees it. A centre may ask for it where the
    # qualification does not, never waive it where it does (assessments.release).
    decisions_need_validation = models.BooleanField(
        "decisions validated by an IV before the learner sees them", default=False
    )
    # The specification's own words, with the line, for each rule a centre may not relax;
    # blank where the specification says nothing. Shown wherever the rule refuses something.
    validation_rule = models.TextField(
        "where the specification requires IV validation before release", blank=True
    )
    simulation_rule = models.TextField(
        "where the specification allows simulation only with its prior agreement", blank=True
    )
    rwe_guidelines = models.TextField(
        "guidelines a realistic working environment must meet", blank=True
    )
    source = models.CharField("source document", max_length=300)
    notes = models.JSONField(default=list, blank=True)

    objects = QualificationManager()

    class Meta:
        ordering = ["awarding_body__name", "title"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def natural_key(self) -> tuple[str]:
        return (self.number,)

    # Django's serializers read `dependencies` off the method (attr-defined here and below: a
    # function's own attribute, which no type declares).
    natural_key.dependencies = ["qualifications.awardingbody"]  # type: ignore[attr-defined]

    @property
    def level_label(self) -> str:
        return level_label(self.level)

    def status_on(self, today: date) -> QualificationStatus:
        if self.operational_start and today < self.operational_start:
            return QualificationStatus.NOT_YET_OPEN
        if self.operational_end and today > self.operational_end:
            if self.certification_end and today <= self.certification_end:
                return QualificationStatus.CERTIFICATION_ONLY
            return QualificationStatus.CLOSED
        return QualificationStatus.OPEN

    @property
    def status(self) -> QualificationStatus:
        return self.status_on(timezone.localdate())


class UnitManager(models.Manager["Unit"]):
    def get_by_natural_key(self, key: str) -> Unit:
        return self.get(key=key)


class Unit(models.Model):
    class Kind(models.TextChoices):
        KNOWLEDGE = "knowledge", "Knowledge"
        SKILLS = "skills", "Skills"
        COMPETENCE = "competence", "Competence"
        NOT_STATED = "", "Not stated"

    # The Ofqual reference when the source gives one, else "<BODY>:<code>".
    key = models.CharField(max_length=60, unique=True)
    reference = models.CharField("Ofqual unit reference", max_length=12, blank=True)
    title = models.CharField(max_length=300)
    level = models.CharField(max_length=2, choices=LEVEL_CHOICES)
    level_rank = models.PositiveSmallIntegerField(help_text="E1 = 0 ... Level 8 = 10, for sorting")
    credit = models.PositiveSmallIntegerField(null=True, blank=True)
    glh = models.PositiveSmallIntegerField("guided learning hours", null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    aim = models.TextField("aim or rationale", blank=True)
    nos = models.JSONField("NOS mapping codes", default=list, blank=True)
    assessment_requirements = models.TextField(blank=True)
    real_work_only = models.BooleanField(
        default=False,
        help_text="Evidence must come from real work: no simulation or realistic environment.",
    )
    guidance = models.TextField("assessment guidance", blank=True)
    source = models.CharField("source document", max_length=300)
    source_line = models.PositiveIntegerField(null=True, blank=True)

    objects = UnitManager()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference"],
                condition=~Q(reference=""),
                name="qualifications_unit_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference or self.key} {self.title}"

    def natural_key(self) -> tuple[str]:
        return (self.key,)

    @property
    def level_label(self) -> str:
        return level_label(self.level)


class RuleGroupManager(models.Manager["RuleGroup"]):
    def get_by_natural_key(self, qualification: str, code: str) -> RuleGroup:
        return self.get(qualification__number=qualification, code=code)


class RuleGroup(models.Model):
    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="groups"
    )
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=200)
    mandatory = models.BooleanField()
    min_credits = models.PositiveSmallIntegerField(null=True, blank=True)
    max_credits = models.PositiveSmallIntegerField(null=True, blank=True)
    min_units = models.PositiveSmallIntegerField(null=True, blank=True)
    max_units = models.PositiveSmallIntegerField(null=True, blank=True)
    rule_text = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField()

    objects = RuleGroupManager()

    class Meta:
        ordering = ["qualification", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "code"], name="qualifications_group_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification.number} {self.name}"

    def natural_key(self) -> tuple[str, str]:
        return (*self.qualification.natural_key(), self.code)

    natural_key.dependencies = ["qualifications.qualification"]  # type: ignore[attr-defined]


class QualificationUnitManager(models.Manager["QualificationUnit"]):
    def get_by_natural_key(self, qualification: str, unit: str) -> QualificationUnit:
        return self.get(qualification__number=qualification, unit__key=unit)


class QualificationUnit(models.Model):
    """A unit's place in a qualification: its group and the awarding body's code for it."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    group = models.ForeignKey(RuleGroup, on_delete=models.CASCADE, related_name="memberships")
    code = models.CharField(max_length=30, blank=True)
    position = models.PositiveSmallIntegerField()

    objects = QualificationUnitManager()

    class Meta:
        ordering = ["qualification", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "unit"], name="qualifications_membership_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification.number} {self.code or self.unit.key}"

    def natural_key(self) -> tuple[str, str]:
        return (self.qualification.number, self.unit.key)

    natural_key.dependencies = [  # type: ignore[attr-defined]
        "qualifications.rulegroup",
        "qualifications.unit",
    ]


class LevelRuleManager(models.Manager["LevelRule"]):
    def get_by_natural_key(self, qualification: str, position: int) -> LevelRule:
        return self.get(qualification__number=qualification, position=position)


class LevelRule(models.Model):
    """At least `min_credits` credits from units at (or at and above) `level`, from `groups`."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="level_rules"
    )
    position = models.PositiveSmallIntegerField()
    min_credits = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=2, choices=LEVEL_CHOICES)
    at_or_above = models.BooleanField()
    # Group codes the credits may come from; empty means every group.
    groups = models.JSONField(default=list, blank=True)
    rule_text = models.TextField(blank=True)
    # Where the printed rule can be read two ways ("at Level 3": exactly, or or above?), which
    # reading the catalogue applies and why, from the reviewed corrections.
    reading = models.TextField("reading applied", blank=True)

    objects = LevelRuleManager()

    class Meta:
        ordering = ["qualification", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "position"], name="qualifications_levelrule_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.rule_text or f"{self.min_credits} credits at level {self.level}"

    def natural_key(self) -> tuple[str, int]:
        return (self.qualification.number, self.position)

    natural_key.dependencies = ["qualifications.qualification"]  # type: ignore[attr-defined]


class BarredPairManager(models.Manager["BarredPair"]):
    def get_by_natural_key(self, qualification: str, unit_a: str, unit_b: str) -> BarredPair:
        return self.get(qualification__number=qualification, unit_a__key=unit_a, unit_b__key=unit_b)


class BarredPair(models.Model):
    """Two units that may not both count towards the qualification (symmetric)."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="barred_pairs"
    )
    unit_a = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    unit_b = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")

    objects = BarredPairManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "unit_a", "unit_b"], name="qualifications_barred_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_a.key} barred with {self.unit_b.key}"

    def natural_key(self) -> tuple[str, str, str]:
        return (self.qualification.number, self.unit_a.key, self.unit_b.key)

    natural_key.dependencies = [  # type: ignore[attr-defined]
        "qualifications.qualification",
        "qualifications.unit",
    ]


class LearningOutcomeManager(models.Manager["LearningOutcome"]):
    def get_by_natural_key(self, unit: str, number: str) -> LearningOutcome:
        return self.get(unit__key=unit, number=number)


class LearningOutcome(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="outcomes")
    number = models.CharField(max_length=10)
    text = models.TextField()
    content = models.TextField("content / what needs to be learned", blank=True)
    position = models.PositiveSmallIntegerField()

    objects = LearningOutcomeManager()

    class Meta:
        ordering = ["unit", "position"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="qualifications_lo_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text}"

    def natural_key(self) -> tuple[str, str]:
        return (self.unit.key, self.number)

    natural_key.dependencies = ["qualifications.unit"]  # type: ignore[attr-defined]


class AssessmentCriterionManager(models.Manager["AssessmentCriterion"]):
    def get_by_natural_key(self, unit: str, number: str) -> AssessmentCriterion:
        return self.get(unit__key=unit, number=number)


class AssessmentCriterion(models.Model):
    # The unit is stored beside the outcome so a criterion is found by (unit, number) directly.
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="criteria")
    outcome = models.ForeignKey(LearningOutcome, on_delete=models.CASCADE, related_name="criteria")
    number = models.CharField(max_length=10)
    text = models.TextField()
    guidance = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField()

    objects = AssessmentCriterionManager()

    class Meta:
        ordering = ["unit", "position"]
        verbose_name_plural = "assessment criteria"
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="qualifications_ac_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text}"

    def natural_key(self) -> tuple[str, str]:
        return (self.unit.key, self.number)

    natural_key.dependencies = ["qualifications.learningoutcome"]  # type: ignore[attr-defined]


class StandardManager(models.Manager["Standard"]):
    def get_by_natural_key(self, code: str) -> Standard:
        return self.get(code=code)


class Standard(models.Model):
    """An apprenticeship standard, its KSB statements mapped to one qualification's units."""

    code = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    reference = models.CharField(max_length=40)
    level = models.CharField(max_length=2, blank=True)
    qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, related_name="standards"
    )
    source = models.CharField("source document", max_length=300)

    objects = StandardManager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    natural_key.dependencies = ["qualifications.qualification"]  # type: ignore[attr-defined]


class StatementManager(models.Manager["Statement"]):
    def get_by_natural_key(self, standard: str, code: str) -> Statement:
        return self.get(standard__code=standard, code=code)


class Statement(models.Model):
    class Category(models.TextChoices):
        KNOWLEDGE = "K", "Knowledge"
        SKILL = "S", "Skills"
        BEHAVIOUR = "B", "Behaviours"

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="statements")
    category = models.CharField(max_length=1, choices=Category.choices)
    heading = models.CharField(max_length=200)
    code = models.CharField(max_length=10)
    text = models.TextField()
    no_mapping = models.BooleanField(
        default=False,
        help_text="The source says explicitly that nothing in the qualification maps.",
    )
    note = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField()
    units = models.ManyToManyField(Unit, blank=True, related_name="statements")
    criteria = models.ManyToManyField(
        AssessmentCriterion, through="StatementCriterion", related_name="statements"
    )

    objects = StatementManager()

    class Meta:
        ordering = ["standard", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["standard", "code"], name="qualifications_statement_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    def natural_key(self) -> tuple[str, str]:
        return (self.standard.code, self.code)

    natural_key.dependencies = ["qualifications.standard"]  # type: ignore[attr-defined]


class StatementCriterionManager(models.Manager["StatementCriterion"]):
    def get_by_natural_key(
        self, standard: str, statement: str, unit: str, number: str
    ) -> StatementCriterion:
        return self.get(
            statement__standard__code=standard,
            statement__code=statement,
            criterion__unit__key=unit,
            criterion__number=number,
        )


class StatementCriterion(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="links")
    criterion = models.ForeignKey(
        AssessmentCriterion, on_delete=models.PROTECT, related_name="statement_links"
    )
    printed_text = models.TextField(blank=True)
    source_line = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField()

    objects = StatementCriterionManager()

    class Meta:
        ordering = ["statement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "criterion"], name="qualifications_statementlink_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement.code} → {self.criterion.unit.key} {self.criterion.number}"

    def natural_key(self) -> tuple[Any, ...]:
        return (*self.statement.natural_key(), *self.criterion.natural_key())

    natural_key.dependencies = [  # type: ignore[attr-defined]
        "qualifications.statement",
        "qualifications.assessmentcriterion",
    ]
