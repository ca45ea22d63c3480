"""Words in the catalogue that are in no dictionary: what conversion damage leaves behind.

The PDF-to-text conversion of a specification can merge or overprint words ("rouslity" in SFJ
K/601/1605 1.7). Such damage is fixed through the reviewed corrections
(qualifications/importers/corrections/); this check finds what is left, so a new import cannot
slip a garbled word into what learners and assessors read.

The dictionary is pyspellchecker's English word list (pinned in pyproject.toml). It spells the
American way, so a word is also accepted when a British spelling rule below turns it into a
dictionary word ("organisation" -> "organization"); the rules only ever turn a word into a real
word, so a garbled word does not pass through them. What remains is a short, reviewed list of
the specifications' own words, each with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from spellchecker import SpellChecker

# Letters, with inner apostrophes ("organisation's"); hyphens and slashes split words.
WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")

# British -> American spelling rules: (pattern, replacement, why).
BRITISH_SPELLINGS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"isa(tion|tions|tional)$"), r"iza\1", "-isation is British for -ization"),
    (re.compile(r"is(e|es|ed|ing|er|ers)$"), r"iz\1", "-ise is British for -ize"),
    (re.compile(r"ys(e|es|ed|ing)$"), r"yz\1", "analyse is British for analyze"),
    (re.compile(r"our(s|al)?$"), r"or\1", "behaviour is British for behavior"),
    (re.compile(r"tre(s)?$"), r"ter\1", "centre is British for center"),
    (re.compile(r"mme(s)?$"), r"m\1", "programme is British for program"),
    (re.compile(r"ence$"), "ense", "offence is British for offense"),
)

# Words of the specifications that no dictionary holds, reviewed one by one.
ALLOWED: dict[str, str] = {
    # Hyphens lost in the source where a line broke (notes seed-000 E17: "keep them as
    # printed"); SFJ prints them joined, so the catalogue keeps them joined.
    "upto": "SFJ 'upto-date' (l.753, 827): lost hyphen, kept as printed (notes E17)",
    "twoway": "SFJ 'twoway' (l.872): lost hyphen, kept as printed (notes E17)",
    "reengineering": "SFJ 'reengineering' (l.1224, 1226): kept as printed (notes E17)",
    "selfservice": "SFJ 'selfservice' (l.1253): lost hyphen, kept as printed (notes E17)",
    "selfstudy": "SFJ 'selfstudy' (l.1216): lost hyphen, kept as printed (notes E17)",
    # Prefixes left when a hyphenated word is split into words.
    "pre": "'pre-planned' (SFJ A/601/1222 2.6) splits at its hyphen",
    # Sound English the dictionary lacks.
    "themself": "singular 'themself' (SFJ T/601/1512 1.4), as printed",
    "buddying": "'buddying' (SFJ M/601/1542): workplace mentoring, a real word",
    "reputational": "'reputational risks' (SFJ D/601/1519 1.3)",
    "underperformance": "'issues of underperformance' (SFJ H/601/1568 4.8)",
    "touchpoints": "customer-journey term (Pearson Unit 2 2.2)",
    "timeframe": "'timeframe' (IMI D/506/2170 2.3)",
    "accountabilities": "'roles, responsibilities and accountabilities' (IMI L/506/1869 1.1)",
    "anonymising": "'anonymising comments' (IMI D/506/2170 1.9); the dictionary lacks -izing too",
}


@dataclass(frozen=True)
class Text:
    where: str  # e.g. "K/601/1605 1.7" or "unit K/601/1605 title"
    text: str


@cache
def _dictionary() -> SpellChecker:
    # Loading the word list takes a fraction of a second; keep one per process.
    return SpellChecker(language="en")


def _base(word: str) -> str:
    """The word without its possessive ("customers'" -> "customers", "organisation's")."""
    word = word.lower()
    if word.endswith("'s"):
        return word[:-2]
    return word.rstrip("'")


def is_known(word: str) -> bool:
    """Is the word in the dictionary, British spelling or the reviewed list?"""
    base = _base(word)
    if len(base) > 1 and word.replace("'", "").rstrip("s").isupper():
        return True  # an acronym (SMART, NOS, CFA): not a dictionary word by nature
    known = _dictionary()
    if base in ALLOWED or base in known:
        return True
    for pattern, replacement, _why in BRITISH_SPELLINGS:
        american = pattern.sub(replacement, base)
        if american != base and american in known:
            return True
    return False


def unknown_words(texts: Iterable[Text]) -> dict[str, list[str]]:
    """Each word in no dictionary, with where it occurs (in the order first seen)."""
    found: dict[str, list[str]] = {}
    verdict: dict[str, bool] = {}
    for item in texts:
        for word in WORD.findall(item.text.replace("\u2019", "'")):
            if word not in verdict:
                verdict[word] = is_known(word)
            if not verdict[word]:
                found.setdefault(_base(word), []).append(item.where)
    return found
