"""What a decision rests on: evidence for a criterion judged met, and the assessor's authenticity
declaration at a unit's sign-off. Each rule is named with its source, so a refusal says both; the
source is the qualification's own awarding body's document (`sources_for`), in its words with
its line numbers (the seeds in the project's shared folder), and where that document says nothing
on a point the message says so and gives the platform's reading with the nearest source.

- Decisions rest on evidence. A criterion is judged met only on this learner's submitted
  evidence mapped to that criterion: their own evidence, an assessor's record (observation,
  professional discussion, questioning; a record is evidence, assessments.records) or a record
  of prior learning. Pearson: "The assessor needs to make a judgement against each criterion
  that evidence is present and sufficiently comprehensive." SFJ (L237): assessments "valid,
  reliable, authentic and sufficient"; IMI (L1630): the assessor enters "the evidence number";
  Ascentis (L283): "a portfolio of evidence to demonstrate that all the assessment criteria
  within the unit have been achieved".
- Recognition of prior learning. A criterion judged met by RPL rests on evidence of the prior
  learning (method RPL) mapped to it that says why it meets the criterion: the assessor's RPL
  record carries the reason in its account, the learner's own in its description. Only Pearson
  writes of RPL; for the others it is the platform's reading, asking for the reason as for any
  evidence.
- Authenticity of learner work. The assessor signs a unit off only with a declaration that the
  evidence is authentic; its words are kept with the signature. Pearson's assessor declaration,
  or Ascentis's own statement on its tracking sheet (L1398); SFJ, IMI and NCFE give no
  declaration, so theirs is in Pearson's words and says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from portfolios.models import Evidence, EvidenceCriterion, EvidenceMethod
from qualifications.models import AssessmentCriterion

EVIDENCE_RULE = "Decisions rest on evidence"
EVIDENCE_SOURCE = (
    'Pearson BTEC specification, section 8, "Making assessment decisions using unit-based '
    'criteria": "The assessor needs to make a judgement against each criterion that evidence '
    'is present and sufficiently comprehensive."'
)
# Evidence of another learner, or a draft (the learner's alone until they sign it off as theirs).
NOT_SUBMITTED = (
    f"{EVIDENCE_RULE}: decisions rest on this learner's submitted evidence only ({EVIDENCE_SOURCE})"
)
RPL_RULE = "Recognition of prior learning"
RPL_SOURCE = (
    'Pearson BTEC specification, section 9, "Recognition of Prior Learning": RPL is "a method '
    'of assessment"; "Evidence of learning must be sufficient, reliable and valid."'
)
AUTHENTICITY_RULE = "Authenticity of learner work"
AUTHENTICITY_SOURCE = 'Pearson BTEC specification, section 8, "Authenticity of learner work"'
# Pearson's three statements ("Assessors must complete a declaration that: ..."), said of the
# unit signed off rather than of "this assignment".
AUTHENTICITY_STATEMENT = (
    "I declare that the evidence submitted for this unit is the learner's own; that the learner "
    "has clearly referenced any sources used in the work; and that I understand that false "
    "declaration is a form of malpractice."
)
# Where a body gives no declaration, the platform asks for Pearson's and says whose words they are.
IN_PEARSONS_WORDS = f"the declaration is in Pearson's words ({AUTHENTICITY_SOURCE})"
# Ascentis's statement on each unit's tracking sheet (Appendix 2, L1398), above the learner's,
# the assessor's and the sampling IV's signatures; said of the unit signed off, as Pearson's is.
ASCENTIS_STATEMENT = (
    "The evidence for this unit has been assessed against the standards and has been judged for "
    "validity, authenticity, currency, reliability and sufficiency."
)
# The platform's reading where a document has no rule on prior learning.
_RPL_AS_ANY = (
    "the platform asks for the prior learning's evidence and its reason, as for any evidence"
)


@dataclass(frozen=True)
class Sources:
    """One awarding body's sources for the rules of this module."""

    evidence: str
    rpl: str
    # Where the declaration's rule and its words come from (shown with a signed declaration).
    authenticity: str
    # What the sign-off refusal cites: the source with its words on the declaration.
    declare: str
    # The declaration the assessor confirms, and what it says of the evidence.
    statement: str
    claim: str = "that the evidence is the learner's own"


PEARSON = Sources(
    evidence=EVIDENCE_SOURCE,
    rpl=RPL_SOURCE,
    authenticity=AUTHENTICITY_SOURCE,
    declare=f'{AUTHENTICITY_SOURCE}: "Assessors must complete a declaration"',
    statement=AUTHENTICITY_STATEMENT,
)

_SFJ_237 = (
    'SFJ handbook section 3, "Centre Requirements" (L237): the centre must "ensure that all '
    'assessments are valid, reliable, authentic and sufficient"'
)
_SFJ_AUTHENTICITY = f"{_SFJ_237}; the handbook gives no declaration, so {IN_PEARSONS_WORDS}"
SFJ = Sources(
    evidence=_SFJ_237,
    rpl=(
        "SFJ handbook: no rule on recognition of prior learning (section 2.8, L227, transfers "
        f'only "Credits from identical units"); {_RPL_AS_ANY} (section 3, L237: assessments '
        '"valid, reliable, authentic and sufficient")'
    ),
    authenticity=_SFJ_AUTHENTICITY,
    declare=_SFJ_AUTHENTICITY,
    statement=AUTHENTICITY_STATEMENT,
)

_IMI_1630 = (
    '"each time an observation or review of evidence takes place the assessor should enter the '
    'date and the evidence number" (L1630)'
)
_IMI_AUTHENTICITY = (
    "IMI Learner Assessment Record: no authenticity declaration, only the unit's "
    f'"ASSESSOR SIGNATURE: PIN NO: DATE:" (L173); {IN_PEARSONS_WORDS}'
)
IMI = Sources(
    evidence=(
        'IMI Learner Assessment Record: each criterion is recorded with its evidence "Ref No" and '
        f'"Date" (L151), and {_IMI_1630}'
    ),
    rpl=(
        f"IMI Learner Assessment Record: no rule on recognition of prior learning; {_RPL_AS_ANY}"
        f" ({_IMI_1630})"
    ),
    authenticity=_IMI_AUTHENTICITY,
    declare=_IMI_AUTHENTICITY,
    statement=AUTHENTICITY_STATEMENT,
)

_ASCENTIS_283 = (
    'Ascentis specification, "Internal Assessment" (L283): "Evidence for each unit is through '
    "building up a portfolio of evidence to demonstrate that all the assessment criteria within "
    'the unit have been achieved"'
)
_ASCENTIS_1398 = (
    "Ascentis specification, Appendix 2, the unit's tracking sheet signed by the assessor "
    '(L1398): "The above evidence has been assessed against the standards and has been judged '
    'for validity, authenticity, currency, reliability and sufficiency."'
)
ASCENTIS = Sources(
    evidence=_ASCENTIS_283,
    rpl=(
        'Ascentis specification: no rule on recognition of prior learning (L226, "No recommended '
        f'prior learning is required", is about entry); {_RPL_AS_ANY} ({_ASCENTIS_283})'
    ),
    authenticity=_ASCENTIS_1398,
    declare=_ASCENTIS_1398,
    statement=ASCENTIS_STATEMENT,
    claim="that the evidence was judged for validity, authenticity, currency, reliability and "
    "sufficiency",
)

# NCFE's only document is its mapping of the apprenticeship standard to the criteria of units
# that are IMI's (qualifications.importers.ncfe_standard): it sets no rule on any of these points.
_NCFE_NONE = "NCFE standard mapping: no rule on"
_NCFE_AUTHENTICITY = f"{_NCFE_NONE} an authenticity declaration; {IN_PEARSONS_WORDS}"
NCFE = Sources(
    evidence=(
        f"{_NCFE_NONE} what a decision rests on (it maps the standard to the units' criteria); "
        "the platform's rule, as the IMI Learner Assessment Record for the same units asks: "
        f"{_IMI_1630}"
    ),
    rpl=f"{_NCFE_NONE} recognition of prior learning; {_RPL_AS_ANY}",
    authenticity=_NCFE_AUTHENTICITY,
    declare=_NCFE_AUTHENTICITY,
    statement=AUTHENTICITY_STATEMENT,
)

# By the awarding body's code (qualifications.importers.schema: SFJ, IMI, ASCENTIS, PEARSON, NCFE).
BY_BODY: dict[str, Sources] = {
    "PEARSON": PEARSON,
    "SFJ": SFJ,
    "IMI": IMI,
    "ASCENTIS": ASCENTIS,
    "NCFE": NCFE,
}


def sources_for(qualification: Any) -> Sources:
    """The sources of these rules for `qualification`'s awarding body. A body with no document on
    file gets the platform's own rules, saying so (and a declaration in Pearson's words)."""
    body = qualification.awarding_body
    known = BY_BODY.get((body.code or "").upper())
    if known is not None:
        return known
    none = f"{body.name or 'The awarding body'}: no document on file; the platform's own rule"
    return Sources(
        evidence=none,
        rpl=f"{none}, {_RPL_AS_ANY}",
        authenticity=f"{none}; {IN_PEARSONS_WORDS}",
        declare=f"{none}; {IN_PEARSONS_WORDS}",
        statement=AUTHENTICITY_STATEMENT,
    )


def not_submitted(qualification: Any) -> str:
    """Evidence of another learner, or a draft (the learner's alone until they sign it off)."""
    source = sources_for(qualification).evidence
    return f"{EVIDENCE_RULE}: decisions rest on this learner's submitted evidence only ({source})"


def not_mapped(qualification: Any) -> str:
    """A judging form's row whose criterion is no longer mapped to the evidence judged."""
    return (
        f"{EVIDENCE_RULE}: this criterion is no longer mapped to this evidence; nothing was "
        f"recorded on it ({sources_for(qualification).evidence})"
    )


def authenticity_statement(qualification: Any) -> str:
    return sources_for(qualification).statement


def declaration_source(declaration: str, qualification: Any) -> str:
    """Whose words a signed declaration is in: the body's, or Pearson's where it was signed in
    those (as before the body's own words were used)."""
    sources = sources_for(qualification)
    if declaration == sources.statement:
        return sources.authenticity
    return AUTHENTICITY_SOURCE


def authenticity_refusal(qualification: Any) -> str:
    """The sign-off refused for want of the assessor's declaration."""
    sources = sources_for(qualification)
    return (
        f"{AUTHENTICITY_RULE}: the unit was not signed off. Confirm the assessor's declaration "
        f"{sources.claim} ({sources.declare})."
    )


def _label(criterion: AssessmentCriterion) -> str:
    return f"{criterion.unit.reference or criterion.unit.key} {criterion.number}"


def no_evidence_message(criterion: AssessmentCriterion, qualification: Any) -> str:
    return (
        f"{EVIDENCE_RULE}: {_label(criterion)} cannot be judged met without this learner's "
        "submitted evidence, an assessor's record or a record of prior learning mapped to it; "
        f"cite what the judgement rests on ({sources_for(qualification).evidence})"
    )


def rpl_message(criterion: AssessmentCriterion, qualification: Any) -> str:
    return (
        f"{RPL_RULE}: {_label(criterion)} can be judged met by RPL only on evidence of the "
        "prior learning (method: recognition of prior learning) mapped to it and saying why it "
        f"meets the criterion, such as the assessor's RPL record ({sources_for(qualification).rpl})"
    )


def is_rpl_basis(item: Evidence) -> bool:
    """Evidence of prior learning that gives its reason (a record's account is its description)."""
    return item.method == EvidenceMethod.RPL and bool(item.description.strip())


def met_basis_refusal(
    *,
    criterion: AssessmentCriterion,
    qualification: Any,
    method: str,
    evidence: Iterable[Evidence],
    mapped: Iterable[int] | None = None,
) -> str:
    """Why `criterion` may not be judged met by `method` on `evidence` ("" if it may).

    `evidence` is already this registration's submitted evidence (the callers check that), and
    `qualification` the registration's (whose awarding body's rules a refusal cites: a unit can
    be in qualifications of several bodies). `mapped`: the ids among it mapped to the criterion,
    where the caller knows them already (the judging form); otherwise one query asks."""
    evidence = list(evidence)
    if mapped is None:
        mapped = (
            EvidenceCriterion.objects.filter(
                evidence__in=[item.pk for item in evidence], criterion=criterion
            ).values_list("evidence_id", flat=True)
            if evidence
            else []
        )
    ids = set(mapped)
    resting = [item for item in evidence if item.pk in ids]
    if not resting:
        return no_evidence_message(criterion, qualification)
    if method == EvidenceMethod.RPL and not any(is_rpl_basis(item) for item in resting):
        return rpl_message(criterion, qualification)
    return ""
