"""The Ascentis Level 1 Award/Certificate for Introduction to Customer Service importer."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest

from qualifications.importers.ascentis import parse
from qualifications.importers.base import ParseError, read_document
from qualifications.importers.schema import NOT_GIVEN, LevelRule, Qualification, Specification, Unit

SOURCES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"
SOURCE = SOURCES / "ascentis-600-1686-3-600-1684-x.txt"

AWARD, CERTIFICATE = "600/1686/3", "600/1684/X"

# key, title, level, credit, GLH, criteria per learning outcome (the notes' table, §2).
UNITS = [
    ("J/601/6052", "Legislation, regulation and procedures to follow in customer service",
     "E3", 2, 20, [2, 2, 2, 3]),
    ("F/601/6065", "Introduction to customer service", "E3", 2, 20, [3, 5, 2]),
    ("R/601/6071",
     "Apply legislation, regulation and organisational procedures for customer service",
     "1", 3, 24, [2, 2, 2, 3]),
    ("M/601/6076", "Working in customer service", "1", 2, 18, [2, 2, 3, 3]),
    ("A/601/6047", "The importance of appearance and behaviour in customer service",
     "E3", 2, 15, [2, 2, 6]),
    ("R/601/6054", "Understand how to deal with queries and requests", "E3", 3, 20, [2, 2, 2, 2]),
    ("D/601/6056", "Communicate customers' problems with others", "E3", 2, 18, [2, 2, 2, 2]),
    ("K/601/6058", "The customer service job role", "E3", 2, 20, [4, 3, 3]),
    ("M/601/6059", "Handling telephone calls from customers", "E3", 2, 18, [2, 4, 2]),
    ("M/601/6062", "Communicate effectively with customers", "E3", 2, 18, [3, 2, 3]),
    ("A/601/6064", "Effective relationships with customers and colleagues", "E3", 2, 20,
     [3, 4, 4]),
    ("L/601/6067", "Working in a customer focused way", "E3", 2, 16, [3, 5]),
    ("R/601/6068", "Create a good impression to customers", "1", 2, 18, [3, 3, 3]),
    ("H/601/6074", "Deal with queries and requests", "1", 3, 22, [2, 2, 2, 2]),
    ("K/601/6075", "Record and communicate customer problems", "1", 2, 18, [2, 2, 3]),
    ("T/601/6077", "Answer telephone calls from customers", "1", 2, 18, [2, 3, 2]),
    ("A/601/6078", "Positive communication with customers", "1", 2, 20, [4, 3, 3]),
    ("F/601/6079", "Contribute to effective customer service", "1", 2, 20, [2, 3, 4]),
    ("T/601/6080", "The customer service experience", "1", 2, 20, [3, 3, 5]),
    ("A/601/6081", "Work in a customer-friendly way", "1", 2, 18, [5, 2, 4]),
]  # fmt: skip

GROUP_B = [
    "A/601/6047", "R/601/6054", "D/601/6056", "K/601/6058", "M/601/6059", "M/601/6062",
    "A/601/6064", "L/601/6067", "R/601/6068", "H/601/6074", "K/601/6075", "T/601/6077",
    "A/601/6078", "F/601/6079", "T/601/6080", "A/601/6081",
]  # fmt: skip

BARRED = [
    ("A/601/6047", "R/601/6068"),
    ("J/601/6052", "R/601/6071"),
    ("R/601/6054", "H/601/6074"),
    ("D/601/6056", "K/601/6075"),
    ("K/601/6058", "M/601/6076"),
    ("M/601/6059", "T/601/6077"),
    ("M/601/6062", "A/601/6078"),
    ("A/601/6064", "F/601/6079"),
    ("F/601/6065", "T/601/6080"),
    ("L/601/6067", "A/601/6081"),
]


@cache
def _spec() -> Specification:
    return parse(read_document(SOURCE, "ascentis"))


def _qualification(number: str) -> Qualification:
    return next(q for q in _spec().qualifications if q.number == number)


def _unit(key: str) -> Unit:
    return next(u for u in _spec().units if u.key == key)


def _criterion(key: str, number: str) -> str:
    return next(c.text for o in _unit(key).outcomes for c in o.criteria if c.number == number)


def _source_lines() -> list[str]:
    text = SOURCE.read_text(encoding="utf-8")
    return text.split("\n")


def _parse_lines(tmp_path: Path, lines: list[str]) -> Specification:
    path = tmp_path / SOURCE.name
    path.write_text("\n".join(lines), encoding="utf-8")
    return parse(read_document(path, "ascentis"))


# --- the document and its qualifications --------------------------------------------------


def test_it_reads_the_awarding_body_and_the_source() -> None:
    spec = _spec()
    assert spec.awarding_body.code == "ASCENTIS"
    assert spec.awarding_body.name == "Ascentis"
    assert spec.source == SOURCE.name
    assert [q.number for q in spec.qualifications] == [AWARD, CERTIFICATE]
    for q in spec.qualifications:
        assert q.source == (
            "ascentis-600-1686-3-600-1684-x.txt (Ascentis Level 1 Award and Certificate for "
            "Introduction to Customer Service Specification)"
        )


def test_it_reads_the_facts_of_the_award() -> None:
    q = _qualification(AWARD)
    assert q.title == "Ascentis Level 1 Award for Introduction to Customer Service"
    assert q.level == "1"
    assert q.qualification_type == "Award"
    assert q.glh == 57
    assert q.glh_max is None
    assert q.tqt == 70
    assert q.credit_value == 7
    assert q.minimum_age == 14
    assert (
        q.age_note
        == "These qualifications are suitable for young people aged 14-19 and adult learners."
    )
    assert q.operational_start == date(2011, 8, 1)
    assert q.operational_end is None
    assert q.certification_end is None
    assert q.grading == "pass"


def test_it_reads_the_facts_of_the_certificate() -> None:
    q = _qualification(CERTIFICATE)
    assert q.title == "Ascentis Level 1 Certificate for Introduction to Customer Service"
    assert q.level == "1"
    assert q.qualification_type == "Certificate"
    assert q.glh == 109
    assert q.tqt == 130
    assert q.credit_value == 13
    assert q.minimum_age == 14
    assert q.operational_start == date(2011, 8, 1)
    assert q.operational_end is None
    assert q.certification_end is None


def test_it_corrects_the_swapped_tqt_and_says_so_in_the_notes() -> None:
    award_notes = " ".join(_qualification(AWARD).notes)
    cert_notes = " ".join(_qualification(CERTIFICATE).notes)
    assert "Line 218: TQT printed as 130 for the Level 1 Award; corrected to 70." in award_notes
    assert (
        "Line 216: TQT printed as 70 for the Level 1 Certificate; corrected to 130." in cert_notes
    )


def test_it_records_the_review_dates_in_the_notes_not_as_an_end_date() -> None:
    for q in _spec().qualifications:
        note = next(n for n in q.notes if "Ofqual Review Date" in n)
        assert "31/07/2020" in note
        assert "31/07/2021" in note
        assert note.startswith("Line 20:")


def test_it_reads_the_rules_of_combination_of_the_award() -> None:
    q = _qualification(AWARD)
    assert q.min_credits == 7
    assert q.rules_given is True
    assert [g.code for g in q.groups] == ["A", "B"]
    group_a, group_b = q.groups
    assert group_a.name == "Group A - Mandatory Units"
    assert group_a.mandatory is True
    assert [m.unit for m in group_a.units] == ["R/601/6071"]
    assert group_b.name == "Group B – Optional Units"
    assert group_b.mandatory is False
    assert group_b.min_credits == 4
    assert [m.unit for m in group_b.units] == GROUP_B
    assert all(m.code == "" for g in q.groups for m in g.units)
    assert group_b.rule_text == (
        "Credits from Group 2 optional units for Level 1 Award: 2 credits required which must "
        "be at Level 1, a further 2 credits can be taken at any level"
    )
    assert [(r.min_credits, r.level, r.at_or_above, r.groups) for r in q.level_rules] == [
        (2, "1", False, ["B"])
    ]
    assert q.barred == BARRED


def test_it_reads_the_rules_of_combination_of_the_certificate() -> None:
    q = _qualification(CERTIFICATE)
    assert q.min_credits == 13
    group_a, group_b = q.groups
    assert group_a.mandatory is True
    assert [m.unit for m in group_a.units] == ["R/601/6071", "M/601/6076"]
    assert group_b.mandatory is False
    assert group_b.min_credits == 8
    assert [m.unit for m in group_b.units] == GROUP_B
    assert q.level_rules == [
        LevelRule(2, "1", at_or_above=False, groups=["B"], rule_text=group_b.rule_text)
    ]
    assert q.barred == BARRED
    assert "Minimum credits: Level 1 Certificate: 13" in q.rules_text


def test_it_records_the_source_slips_in_the_rules_of_combination() -> None:
    cert_notes = _qualification(CERTIFICATE).notes
    assert any(n.startswith("Line 169:") and "'Level 1 Award'" in n for n in cert_notes)
    assert any(n.startswith("Line 173:") and "Group 2" in n for n in cert_notes)
    assert any(n.startswith("Line 165:") and "Group 2" in n for n in _qualification(AWARD).notes)


def test_it_corrects_the_barred_references_and_records_each_correction() -> None:
    for q in _spec().qualifications:
        notes = " ".join(q.notes)
        assert "Line 200: barred-combinations table gives M/601/6075" in notes
        assert "corrected to K/601/6075" in notes
        assert "Line 201: barred-combinations table gives T/601/6076" in notes
        assert "corrected to M/601/6076" in notes
        assert "Line 202: barred-combinations reference printed as 'M601/6059'" in notes
        assert ("D/601/6056", "K/601/6075") in q.barred
        assert ("K/601/6058", "M/601/6076") in q.barred
        assert ("M/601/6059", "T/601/6077") in q.barred


def test_every_barred_and_grouped_unit_is_a_unit_of_the_document() -> None:
    keys = {u.key for u in _spec().units}
    for q in _spec().qualifications:
        assert {m.unit for g in q.groups for m in g.units} <= keys
        assert {k for pair in q.barred for k in pair} <= keys


# --- units --------------------------------------------------------------------------------


def test_it_reads_every_unit_with_its_reference_title_level_credit_and_glh() -> None:
    got = [(u.key, u.reference, u.title, u.level, u.credit, u.glh) for u in _spec().units]
    assert got == [(k, k, title, level, credit, glh) for k, title, level, credit, glh, _ in UNITS]


@pytest.mark.parametrize(("key", "per_outcome"), [(u[0], u[5]) for u in UNITS])
def test_it_reads_every_outcome_and_criterion_of_each_unit(key: str, per_outcome: list) -> None:
    unit = _unit(key)
    assert [len(o.criteria) for o in unit.outcomes] == per_outcome
    assert [o.number for o in unit.outcomes] == [str(i) for i in range(1, len(per_outcome) + 1)]
    for outcome in unit.outcomes:
        assert outcome.text
        assert outcome.text != NOT_GIVEN
        numbers = [c.number for c in outcome.criteria]
        assert numbers == [f"{outcome.number}.{k}" for k in range(1, len(numbers) + 1)]
        assert all(c.text for c in outcome.criteria)


def test_it_counts_65_outcomes_and_181_criteria_and_58_and_162_in_the_qualifications() -> None:
    units = _spec().units
    assert sum(len(u.outcomes) for u in units) == 65
    assert sum(len(o.criteria) for u in units for o in u.outcomes) == 181
    in_roc = {m.unit for q in _spec().qualifications for g in q.groups for m in g.units}
    assert len(in_roc) == 18
    roc_units = [u for u in units if u.key in in_roc]
    assert sum(len(u.outcomes) for u in roc_units) == 58
    assert sum(len(o.criteria) for u in roc_units for o in u.outcomes) == 162


def test_the_two_entry_3_units_belong_to_neither_qualification() -> None:
    for q in _spec().qualifications:
        members = {m.unit for g in q.groups for m in g.units}
        assert "J/601/6052" not in members
        assert "F/601/6065" not in members
        assert any(n.startswith("Line 339:") and "J/601/6052" in n for n in q.notes)
        assert any(n.startswith("Line 379:") and "F/601/6065" in n for n in q.notes)
    assert _unit("J/601/6052").source_line == 339


def test_it_reads_unit_metadata_printed_without_bold() -> None:
    unit = _unit("T/601/6080")
    assert (unit.credit, unit.glh, unit.level, unit.source_line) == (2, 20, "1", 1245)
    assert _unit("K/601/6058").glh == 20


def test_it_splits_criteria_fused_into_one_cell() -> None:
    assert _criterion("A/601/6064", "1.2") == (
        "Identify language to avoid because customers may consider it to be offensive"
    )
    assert _criterion("A/601/6064", "2.4") == (
        "State what help colleagues could reasonably expect to be given when carrying out "
        "routine customer service tasks"
    )
    assert _criterion("A/601/6064", "3.4") == (
        "State why it is important to use and react to body language when dealing with "
        "customers and colleagues"
    )
    assert _unit("A/601/6064").outcomes[2].text == (
        "Know the importance of positive body language when dealing with customers and colleagues"
    )


def test_it_reads_tables_with_numbers_fused_to_the_text() -> None:
    unit = _unit("A/601/6047")
    assert unit.outcomes[0].text == "Know the dress requirements in customer service roles"
    assert (
        _criterion("A/601/6047", "1.1") == "State the appropriate dress in a particular service job"
    )
    assert _criterion("A/601/6047", "3.6") == (
        "State the importance of thanking customers for their business or for information given"
    )
    assert _criterion("L/601/6067", "2.3") == "Identify what might annoy customers"
    assert _criterion("R/601/6068", "1.3") == (
        "Dress in a way that meets customer expectations in a particular job"
    )


def test_it_reads_the_hybrid_table_of_record_and_communicate_customer_problems() -> None:
    unit = _unit("K/601/6075")
    assert unit.outcomes[0].text == (
        "Be able to collect detailed information from a customer with a problem"
    )
    assert _criterion("K/601/6075", "3.1") == (
        "Select information about the customer and the problem that is sufficient for a "
        "colleague to understand it"
    )


def test_it_keeps_the_unit_table_wording_where_the_tracking_sheet_differs() -> None:
    assert _criterion("J/601/6052", "4.2") == (
        "List things that should be done in a customer service job because of regulation"
    )
    assert _criterion("R/601/6054", "1.2") == (
        "Describe the key features of the services or products a selected section or "
        "department offers"
    )
    assert _criterion("A/601/6078", "2.2") == (
        "Summarise information from customers to check they have heard correctly"
    )
    assert _criterion("D/601/6056", "1.1") == (
        "List the information to seek when asking a customer for details about a problem"
    )
    assert _unit("R/601/6071").outcomes[2].text == (
        "Know the health and safety requirements delivering customer service"
    )
    assert _unit("A/601/6081").outcomes[2].text == (
        "Be able to demonstrate consideration for customer"
    )


def test_it_records_each_tracking_sheet_difference_in_the_notes() -> None:
    cert = _qualification(CERTIFICATE).notes
    award = _qualification(AWARD).notes
    differences = [n for n in cert if "tracking sheet" in n]
    assert len(differences) == 17  # 22 in the document, 5 in J/601/6052 (no qualification)
    assert len([n for n in award if "tracking sheet" in n]) == 15  # no M/601/6076
    assert any(
        n.startswith("Line 1650:") and "L/601/6067 criterion 1.4" in n and "not loaded" in n
        for n in cert
    )
    assert any(n.startswith("Line 1555:") and "K/601/6058 1.4" in n for n in cert)
    assert len(_unit("L/601/6067").outcomes[0].criteria) == 3


def test_it_reads_the_unit_introduction_and_indicative_content() -> None:
    unit = _unit("K/601/6075")
    assert unit.aim == (
        "This unit is about being able to record, collect and communicate information about "
        "customer problems."
    )
    assert "Appropriate questioning skills to gain information – open questions" in unit.guidance
    assert "##" not in unit.guidance
    assert "COSSH" in _unit("R/601/6071").guidance  # the source's own spelling


def test_no_text_keeps_markup_tabs_or_double_spaces() -> None:
    for unit in _spec().units:
        texts = [unit.title, unit.aim] + [o.text for o in unit.outcomes]
        texts += [c.text for o in unit.outcomes for c in o.criteria]
        for text in texts:
            assert not any(bad in text for bad in ("**", "<", ">", "\t", "  ", "#", "|"))
            assert text == text.strip()


# --- conversion damage it survives ---------------------------------------------------------


def test_it_survives_wrapped_cells_page_breaks_and_stray_glyphs_inside_a_table(
    tmp_path: Path,
) -> None:
    lines = _source_lines()
    assert lines[353].startswith("\t\t1.2\tState the limits")  # line 354
    assert lines[356].startswith("3\tKnow the health")  # line 357
    damaged = [
        *lines[:353],
        "\t\t1.2\tState the limits of responsibility and authority \uf0b7",
        "for a particular job in customer service",
        *lines[354:356],
        "",
        "## UNIT SPECIFICATIONS",
        "",
        "14",
        "",
        "Learning Outcomes\t\tAssessment Criteria\t",
        "The learner will be able to\t\tThe learner can\t",
        "3\tKnow the health and\u200b safety rules that relate to a **customer service** job"
        + lines[356][
            len("3\tKnow the health and safety rules that relate to a customer service job") :
        ],
        *lines[357:],
    ]
    spec = _parse_lines(tmp_path, damaged)
    unit = next(u for u in spec.units if u.key == "J/601/6052")
    original = _unit("J/601/6052")
    assert unit.outcomes == original.outcomes
    assert [len(u.outcomes) for u in spec.units] == [len(u.outcomes) for u in _spec().units]


# --- what it refuses -------------------------------------------------------------------------


def test_a_document_of_another_kind_is_refused_naming_its_title_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse(read_document(SOURCES / "pearson-603-5449-5-603-5450-1.txt", "ascentis"))
    assert caught.value.line is not None
    assert "Ascentis" in caught.value.message


def test_an_empty_or_foreign_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError) as caught:
        _parse_lines(tmp_path, ["", "", "Minutes of the meeting", "", "Present: all"])
    assert caught.value.line == 3


def test_a_truncated_copy_is_refused_naming_the_last_line(tmp_path: Path) -> None:
    lines = _source_lines()
    with pytest.raises(ParseError) as caught:
        _parse_lines(tmp_path, lines[:1000])
    assert caught.value.line == 1000
    with pytest.raises(ParseError) as caught:
        _parse_lines(tmp_path, lines[:1838])  # inside the last tracking sheet
    assert caught.value.line == 1838
    assert "truncated" in caught.value.message
    with pytest.raises(ParseError) as caught:
        _parse_lines(tmp_path, lines[:1824])  # the last unit's tracking sheet is missing
    assert caught.value.line == 1824


def test_a_criterion_numbered_outside_its_outcome_is_refused(tmp_path: Path) -> None:
    lines = _source_lines()
    assert lines[357].startswith("\t\t3.2\t")  # line 358
    lines[357] = lines[357].replace("3.2", "4.2", 1)
    with pytest.raises(ParseError) as caught:
        _parse_lines(tmp_path, lines)
    assert caught.value.line == 358
    assert "outside its learning outcome" in caught.value.message


def test_a_gap_in_the_criteria_numbering_is_refused(tmp_path: Path) -> None:
    lines = _source_lines()
    lines[873] = lines[873].replace(" 2.3 State what help could", " 2.5 State what help could")
    with pytest.raises(ParseError) as caught:
        _parse_lines(tmp_path, lines)
    assert caught.value.line == 874


def test_a_unit_without_criteria_is_refused(tmp_path: Path) -> None:
    lines = _source_lines()
    del lines[392:402]  # the rows of 'Introduction to customer service' (lines 393-402)
    with pytest.raises(ParseError) as caught:
        _parse_lines(tmp_path, lines)
    assert caught.value.line == 391


def test_a_barred_reference_contradicting_the_unit_tables_needs_a_correction(
    tmp_path: Path,
) -> None:
    lines = _source_lines()
    lines[203] = lines[203].replace("F/601/6079", "F/601/6097")  # line 204
    with pytest.raises(ParseError) as caught:
        _parse_lines(tmp_path, lines)
    assert caught.value.line == 204
    assert "F/601/6079" in caught.value.message
