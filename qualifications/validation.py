"""Checks over the loaded catalogue. `validate_catalogue` prints their failures."""

from __future__ import annotations

import re
from collections import defaultdict
from difflib import SequenceMatcher

from qualifications.combination import glh_range, optional_units
from qualifications.models import (
    AssessmentCriterion,
    LearningOutcome,
    Qualification,
    RuleGroup,
    StatementCriterion,
    Unit,
)
from qualifications.queries import combination_rules
from qualifications.spelling import Text, unknown_words

UNIT_REFERENCE = re.compile(r"^([A-Z])/(\d{3})/(\d{4})$")
QUALIFICATION_NUMBER = re.compile(r"^(\d{3})/(\d{4})/([\dX])$")
# The check letter of a QCF/RQF unit reference: weighted sum of the 7 digits mod 11, indexed
# into this alphabet (reproduces every correctly printed reference in the seeds).
CHECK_LETTERS = "ADFHJKLMRTY"
WEIGHTS = (8, 7, 6, 5, 4, 3, 2)

# Totals the specifications publish, which the rules must reproduce:
# (least GLH over valid combinations, most GLH over combinations of exactly the minimum credits).
KNOWN_GLH: dict[str, tuple[int, int | None]] = {
    "601/3456/2": (245, 305),  # IMI L2 Diploma: "Minimum GLH: 245", "Maximum GLH: 305"
    "600/1686/3": (57, None),  # Ascentis L1 Award: 57 GLH
    "600/1684/X": (109, None),  # Ascentis L1 Certificate: 109 GLH
}


def _weighted(digits: str) -> int:
    return sum(int(d) * w for d, w in zip(digits, WEIGHTS, strict=True))


def unit_reference_check_letter(reference: str) -> str | None:
    match = UNIT_REFERENCE.match(reference)
    if not match:
        return None
    return CHECK_LETTERS[_weighted(match.group(2) + match.group(3)) % 11]


def qualification_check_character(number: str) -> str | None:
    match = QUALIFICATION_NUMBER.match(number)
    if not match:
        return None
    remainder = _weighted(match.group(1) + match.group(2)) % 11
    return "X" if remainder == 10 else str(remainder)


def _number_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))


def _similar(a: str, b: str) -> float:
    def norm(text: str) -> str:
        text = text.translate(str.maketrans("‘’“”–-", "''\"\"  "))
        return re.sub(r"\s+", " ", text).strip().lower()

    return SequenceMatcher(None, norm(a), norm(b)).ratio()


def check_references() -> list[str]:
    failures = []
    for unit in Unit.objects.exclude(reference="").only("key", "reference"):
        expected = unit_reference_check_letter(unit.reference)
        if expected is None:
            failures.append(f"Unit {unit.key}: reference {unit.reference!r} is not like A/123/4567")
        elif unit.reference[0] != expected:
            failures.append(
                f"Unit {unit.key}: check letter {unit.reference[0]} should be {expected}"
            )
    for qualification in Qualification.objects.only("number"):
        expected = qualification_check_character(qualification.number)
        if expected is None or qualification.number[-1] != expected:
            failures.append(f"Qualification {qualification.number}: check character is wrong")
    return failures


def check_numbering() -> list[str]:
    failures = []
    outcomes: dict[str, list[str]] = defaultdict(list)
    for unit_key, number in LearningOutcome.objects.order_by("unit__key", "position").values_list(
        "unit__key", "number"
    ):
        outcomes[unit_key].append(number)
    criteria: dict[tuple[str, str], list[str]] = defaultdict(list)
    for unit_key, lo, number in AssessmentCriterion.objects.order_by(
        "unit__key", "position"
    ).values_list("unit__key", "outcome__number", "number"):
        criteria[(unit_key, lo)].append(number)

    for unit in Unit.objects.only("key"):
        numbers = outcomes.get(unit.key, [])
        if not numbers:
            failures.append(f"Unit {unit.key}: no learning outcomes")
            continue
        if numbers != [str(i) for i in range(1, len(numbers) + 1)]:
            failures.append(f"Unit {unit.key}: outcomes numbered {numbers}, expected 1..n")
        for lo in numbers:
            listed = criteria.get((unit.key, lo), [])
            expected = [f"{lo}.{i}" for i in range(1, len(listed) + 1)]
            if not listed:
                failures.append(f"Unit {unit.key} outcome {lo}: no assessment criteria")
            elif listed != expected:
                failures.append(
                    f"Unit {unit.key} outcome {lo}: criteria numbered {listed}, "
                    f"expected {expected[0]}..{expected[-1]}"
                )
    return failures


def check_rules() -> list[str]:
    failures = []
    for group in RuleGroup.objects.filter(memberships__isnull=True).select_related("qualification"):
        failures.append(f"{group.qualification.number} Group {group.code}: has no units")
    for qualification in Qualification.objects.all():
        if not qualification.rules_given:
            continue
        rules = combination_rules(qualification)
        for pair in qualification.barred_pairs.select_related("unit_a", "unit_b"):
            if pair.unit_a.key not in rules.units and pair.unit_b.key not in rules.units:
                failures.append(
                    f"{qualification.number}: barred pair {pair.unit_a.key} / {pair.unit_b.key} "
                    "names no unit of the qualification"
                )
        least = glh_range(rules).least
        if least is None:
            failures.append(f"{qualification.number}: no combination of units satisfies the rules")
            continue
        if (
            qualification.tqt is not None
            and qualification.glh is not None
            and qualification.tqt < qualification.glh
        ):
            failures.append(
                f"{qualification.number}: TQT {qualification.tqt} is less than GLH "
                f"{qualification.glh}"
            )
        known = KNOWN_GLH.get(qualification.number)
        if known:
            want_least, want_most = known
            if least != want_least:
                failures.append(
                    f"{qualification.number}: least GLH over valid combinations is {least}, "
                    f"the specification says {want_least}"
                )
            if want_most is not None:
                most = glh_range(rules, exact_credits=qualification.min_credits).most
                if most != want_most:
                    failures.append(
                        f"{qualification.number}: most GLH over {qualification.min_credits}-credit "
                        f"combinations is {most}, the specification says {want_most}"
                    )
        if not optional_units(rules) and qualification.min_glh is not None:
            total = sum(unit.glh or 0 for unit in rules.units.values())
            if total != qualification.min_glh:
                failures.append(
                    f"{qualification.number}: mandatory units total {total} GLH, the rules say "
                    f"{qualification.min_glh}"
                )
    return failures


def check_standard_links() -> list[str]:
    """A mapping's printed criterion text must match the criterion it links to, or say why not."""
    failures = []
    links = StatementCriterion.objects.select_related(
        "statement__standard", "criterion__unit"
    ).order_by("statement__standard__code", "statement__position", "position")
    for link in links:
        if (
            link.printed_text
            and not link.note
            and _similar(link.printed_text, link.criterion.text) < 0.85
        ):
            failures.append(
                f"{link.statement.standard.code} {link.statement.code}: the mapping prints "
                f"{link.printed_text!r} for {link.criterion.unit.key} {link.criterion.number}, "
                f"which reads {link.criterion.text!r}"
            )
    return failures


def check_spelling() -> list[str]:
    """Words in no dictionary in unit titles, outcomes and criteria: conversion damage.

    Fix each through the reviewed corrections (qualifications/importers/corrections/), or, for
    a real word the dictionary lacks, add it with its reason to qualifications/spelling.py.
    """
    texts = [
        Text(f"Unit {key} title", title) for key, title in Unit.objects.values_list("key", "title")
    ]
    texts += [
        Text(f"Unit {key} outcome {number}", text)
        for key, number, text in LearningOutcome.objects.values_list("unit__key", "number", "text")
    ]
    texts += [
        Text(f"Unit {key} criterion {number}", text)
        for key, number, text in AssessmentCriterion.objects.values_list(
            "unit__key", "number", "text"
        )
    ]
    return [
        f"{places[0]}: {word!r} is in no dictionary"
        + (f" (and {len(places) - 1} more place(s))" if len(places) > 1 else "")
        for word, places in unknown_words(texts).items()
    ]


def validate_catalogue() -> list[str]:
    if not Qualification.objects.exists():
        return ["The catalogue is empty: run `python manage.py load_catalogue`."]
    return (
        check_references()
        + check_numbering()
        + check_rules()
        + check_standard_links()
        + check_spelling()
    )
