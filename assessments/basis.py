"""What a decision rests on: evidence for a criterion judged met, and the assessor's authenticity
declaration at a unit's sign-off. Each rule is named with its source, so a refusal says both.

- Decisions rest on evidence. A criterion is judged met only on this learner's submitted
  evidence mapped to that criterion: their own evidence, an assessor's record (observation,
  professional discussion, questioning; a record is evidence, assessments.records) or a record
  of prior learning. Pearson: "The assessor needs to make a judgement against each criterion
  that evidence is present and sufficiently comprehensive."
- Recognition of prior learning. A criterion judged met by RPL rests on evidence of the prior
  learning (method RPL) mapped to it that says why it meets the criterion: the assessor's RPL
  record carries the reason in its account, the learner's own in its description.
- Authenticity of learner work. The assessor signs a unit off only with Pearson's assessor
  declaration that the evidence is the learner's own; its words are kept with the signature.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def _label(criterion: AssessmentCriterion) -> str:
    return f"{criterion.unit.reference or criterion.unit.key} {criterion.number}"


def no_evidence_message(criterion: AssessmentCriterion) -> str:
    return (
        f"{EVIDENCE_RULE}: {_label(criterion)} cannot be judged met without this learner's "
        "submitted evidence, an assessor's record or a record of prior learning mapped to it; "
        f"cite what the judgement rests on ({EVIDENCE_SOURCE})"
    )


def rpl_message(criterion: AssessmentCriterion) -> str:
    return (
        f"{RPL_RULE}: {_label(criterion)} can be judged met by RPL only on evidence of the "
        "prior learning (method: recognition of prior learning) mapped to it and saying why it "
        f"meets the criterion, such as the assessor's RPL record ({RPL_SOURCE})"
    )


def is_rpl_basis(item: Evidence) -> bool:
    """Evidence of prior learning that gives its reason (a record's account is its description)."""
    return item.method == EvidenceMethod.RPL and bool(item.description.strip())


def met_basis_refusal(
    *,
    criterion: AssessmentCriterion,
    method: str,
    evidence: Iterable[Evidence],
    mapped: Iterable[int] | None = None,
) -> str:
    """Why `criterion` may not be judged met by `method` on `evidence` ("" if it may).

    `evidence` is already this registration's submitted evidence (the callers check that).
    `mapped`: the ids among it mapped to the criterion, where the caller knows them already
    (the judging form); otherwise one query asks."""
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
        return no_evidence_message(criterion)
    if method == EvidenceMethod.RPL and not any(is_rpl_basis(item) for item in resting):
        return rpl_message(criterion)
    return ""
