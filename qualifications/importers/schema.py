"""What a parser produces: a plain, Django-free description of one specification document.

Text fields hold the awarding body's own words, cleaned of conversion damage only (its typos
kept). Where the document lacks something, use NOT_GIVEN for text and None for numbers; never
invent a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

NOT_GIVEN = "not given in the source"

# Levels as stored: Entry 1-3 are "E1".."E3", then "1".."8".
LEVELS = ("E1", "E2", "E3", "1", "2", "3", "4", "5", "6", "7", "8")


def level_rank(level: str) -> int:
    """Order levels: E1 < E2 < E3 < 1 < ... < 8."""
    return LEVELS.index(level)


@dataclass
class Criterion:
    number: str  # "1.1", "2.10" exactly as numbered in the source
    text: str
    # Assessment guidance, range or amplification the specification gives for this criterion.
    guidance: str = ""


@dataclass
class Outcome:
    number: str  # "1", "2", ...
    text: str  # NOT_GIVEN where the source lacks or truncates it beyond repair
    criteria: list[Criterion] = field(default_factory=list)
    # "What needs to be learned" / unit content / range attached to the whole outcome.
    content: str = ""


@dataclass
class Unit:
    # Natural key: the Ofqual unit reference (e.g. "A/506/2130") when the source gives one,
    # else "<BODY CODE>:<awarding body's unit code>", e.g. "PEARSON:Unit 1".
    key: str
    reference: str  # normalised Ofqual reference, or "" when not given
    title: str
    level: str  # one of LEVELS
    credit: int | None
    glh: int | None
    kind: str = ""  # "knowledge", "skills", "competence" or "" when the source does not say
    aim: str = ""  # aim / rationale / unit introduction as printed
    nos: list[str] = field(default_factory=list)  # NOS mapping codes
    assessment_requirements: str = ""  # e.g. "must be assessed in real work"
    # The specification requires evidence from real work: no simulation or realistic-environment
    # evidence (SFJ: every Level 3 and 4 unit; Pearson: Unit 8).
    real_work_only: bool = False
    guidance: str = ""  # unit-level assessment guidance
    outcomes: list[Outcome] = field(default_factory=list)
    source_line: int | None = None  # first line of the unit in the source


@dataclass
class Membership:
    unit: str  # Unit.key
    code: str = ""  # the awarding body's code for the unit in this qualification ("CS 7")


@dataclass
class Group:
    code: str  # "A", "B", ...
    name: str  # as printed, e.g. "Mandatory Group A"
    mandatory: bool
    units: list[Membership] = field(default_factory=list)
    min_credits: int | None = None
    max_credits: int | None = None
    min_units: int | None = None
    max_units: int | None = None
    rule_text: str = ""  # the group's rule as printed


@dataclass
class LevelRule:
    """At least `min_credits` credits from units at (or at/above) `level`, from `groups`."""

    min_credits: int
    level: str
    at_or_above: bool
    groups: list[str] = field(default_factory=list)  # group codes; empty means all groups
    rule_text: str = ""
    # Where the printed rule can be read two ways: which reading is applied and why (from the
    # reviewed corrections, never decided by the parser alone).
    reading: str = ""


@dataclass
class Qualification:
    number: str  # Ofqual number, e.g. "601/1109/4"
    title: str
    level: str
    qualification_type: str  # "NVQ", "VRQ", "BTEC Specialist", "Diploma", ...
    source: str  # the source document: file name and the document's own title/version
    credit_value: int | None = None
    glh: int | None = None  # published GLH; with glh_max, a range
    glh_max: int | None = None
    tqt: int | None = None
    minimum_age: int | None = None
    age_note: str = ""
    operational_start: date | None = None
    operational_end: date | None = None
    certification_end: date | None = None
    grading: str = "pass"  # "pass" or "pass_merit_distinction"
    # Qualification-wide rules of combination.
    min_credits: int | None = None
    max_credits: int | None = None
    min_units: int | None = None
    min_glh: int | None = None
    groups: list[Group] = field(default_factory=list)
    level_rules: list[LevelRule] = field(default_factory=list)
    barred: list[tuple[str, str]] = field(default_factory=list)  # pairs of Unit.key
    rules_text: str = ""  # the rules of combination as printed
    rules_given: bool = True  # False where the source does not state the rules at all
    # True where the source requires an IV to validate decisions before the learner sees them.
    decisions_need_validation: bool = False
    # The specification's own words (and line) for rules a centre may not relax: why decisions
    # wait for an IV, when simulation needs the awarding body's prior agreement, and the
    # guidelines a realistic working environment must meet. "" where the source says nothing.
    validation_rule: str = ""
    simulation_rule: str = ""
    rwe_guidelines: str = ""
    notes: list[str] = field(default_factory=list)  # source errors and corrections, with lines


@dataclass
class CriterionLink:
    unit: str  # Unit.key
    criterion: str  # criterion number within the unit
    printed_text: str = ""  # the criterion text as the mapping document prints it
    line: int | None = None
    note: str = ""  # e.g. "printed text matches 1.4, not 1.3: source error"


@dataclass
class Statement:
    category: str  # "K", "S" or "B"
    heading: str  # the theme heading it sits under, as printed
    code: str  # stable code, generated where the source has none: K1, K2, ..., S1, ..., B1
    text: str
    criteria: list[CriterionLink] = field(default_factory=list)
    units: list[str] = field(default_factory=list)  # unit-level mapping (Unit.key)
    no_mapping: bool = False  # the source says explicitly "No mapping"
    note: str = ""


@dataclass
class Standard:
    code: str  # slug, e.g. "customer-service-practitioner"
    title: str
    qualification: str  # number of the qualification the mapping is scoped to
    reference: str = NOT_GIVEN  # e.g. "ST0072"
    level: str = ""
    statements: list[Statement] = field(default_factory=list)


@dataclass
class AwardingBody:
    code: str  # "SFJ", "IMI", "ASCENTIS", "PEARSON", "NCFE"
    name: str
    # The body's periods as its document states them, each with its words and line; None with
    # a rule saying "not stated" where the document gives none (qualifications.AwardingBody).
    retention_weeks: int | None = None
    retention_rule: str = ""
    registration_days: int | None = None
    registration_rule: str = ""
    credit_transfer: bool = False
    credit_transfer_rule: str = ""


@dataclass
class Specification:
    source: str  # file name of the source document
    awarding_body: AwardingBody
    qualifications: list[Qualification] = field(default_factory=list)
    # Units defined by this document. A qualification may also name units defined by another
    # document (NCFE's units are IMI's), by key.
    units: list[Unit] = field(default_factory=list)
    standards: list[Standard] = field(default_factory=list)
