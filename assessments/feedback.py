"""What feedback on a decision may say, where the specification rules on it.

Pearson BTEC Level 3 Certificate and Diploma for Customer Service Specialists, section 8
"Issuing assessment decisions and feedback" (lines 447-452 of the specification): "The
information given to the learner: - must show the formal decision and how it has been reached,
indicating how or where criteria have been met - may show why attainment against criteria has
not been demonstrated - must not provide feedback on how to improve evidence - must be validated
by an Internal Verifier before it is given to the learner." (The last is assessments.release.)

So on a Pearson decision, and on evidence returned to a Pearson learner, the forms ask how or
where the criteria are met and why attainment has not been shown, and the services refuse text
that tells the learner how to improve the evidence. Telling the two apart from free text is a
judgement: the words refused are the plain forms of advice ("you should", "next time", "to
improve"...), named in the refusal so the assessor can rephrase.
"""

from __future__ import annotations

import re

from qualifications.models import Qualification

FEEDBACK_RULE = (
    'Pearson BTEC specification, section 8 "Issuing assessment decisions and feedback": the '
    'information given to the learner "must show the formal decision and how it has been '
    'reached, indicating how or where criteria have been met", "may show why attainment against '
    'criteria has not been demonstrated" and "must not provide feedback on how to improve '
    'evidence"'
)

# Instructions and advice to the learner, in the words assessors write them.
ADVICE = re.compile(
    r"\b(?:"
    # Not "improve" alone: the units are about improving customer service, and feedback quotes
    # their criteria ("used to improve the customer journey").
    r"(?:to )?improve (?:your|this|on your) (?:evidence|work|answer|report|guide|presentation)|"
    r"next time|"
    r"you (?:should|need to|must|could|might|may want to|will need to|have to)|"
    r"try (?:to|adding|including)|make sure|remember to|consider (?:adding|including)|"
    r"(?:add|include|expand|develop) (?:more|a|an|some|further)|"
    r"it would be better|to pass,? |in order to pass|resubmit with"
    r")\b",
    re.IGNORECASE,
)


def rules_feedback(qualification: Qualification) -> bool:
    """Whether the qualification's specification rules on what feedback may say (Pearson's)."""
    return qualification.awarding_body.code == "PEARSON"


def qualification_rules_feedback(qualification_id: int) -> bool:
    """The same, in one query, for a caller holding only the id."""
    return Qualification.objects.filter(pk=qualification_id, awarding_body__code="PEARSON").exists()


def advice_in(text: str) -> str:
    """The first words of advice on improving the evidence in `text`, or ""."""
    found = ADVICE.search(text or "")
    return found.group(0).strip(" ,") if found else ""


def refusal(text: str) -> str:
    """The message refusing `text` as feedback on a Pearson decision, or "" if it may stand."""
    words = advice_in(text)
    if not words:
        return ""
    return (
        f'{FEEDBACK_RULE}. "{words}" tells the learner how to improve the evidence: say instead '
        "how or where the criteria are met, or why attainment has not been demonstrated."
    )


# What the forms ask instead of "what the learner should change", for a Pearson learner.
RETURN_LABEL = "Why attainment against the criteria has not been demonstrated"
DECISION_HELP = (
    "Pearson BTEC: say how or where the criteria are met, or why attainment has not been "
    "demonstrated. The specification does not allow feedback on how to improve the evidence."
)
