"""The SFJ Awards Level 3 NVQ Diploma in Customer Service handbook importer."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import pytest

from qualifications.importers.base import ParseError, SourceDocument, read_document
from qualifications.importers.schema import NOT_GIVEN, Specification, Unit
from qualifications.importers.sfj import parse

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "fixtures" / "sources" / "sfj-601-1109-4.txt"
OTHER_SOURCES = ROOT / "fixtures" / "sources"

# (reference, group, title as in the group table, level, credit, GLH, ACs per LO)
# from the notes' tables 2 and 3c (seed-000-sfj-l3-nvq-diploma.md).
UNITS = [
    ("K/601/1622", "A", "Demonstrate understanding of customer service", "3", 6, 40, [3, 3, 19]),
    (
        "J/601/1627",
        "A",
        "Demonstrate understanding of the rules that impact on improvements in customer service",
        "3",
        6,
        40,
        [3, 3, 11],
    ),
    ("D/601/1228", "B", "Use customer service as a competitive tool", "3", 8, 53, [4, 8, 8]),
    (
        "D/601/1231",
        "B",
        "Organise the promotion of additional services or products to customers",
        "3",
        7,
        47,
        [4, 4, 4, 5],
    ),
    ("K/601/1233", "B", "Build a customer service knowledge set", "3", 7, 47, [8, 6, 8]),
    (
        "R/601/1226",
        "B",
        "Deal with customers in writing or electronically",
        "3",
        6,
        40,
        [5, 7, 5, 8],
    ),
    (
        "D/601/0936",
        "B",
        "Promote additional services or products to customers",
        "2",
        6,
        40,
        [4, 4, 5, 6],
    ),
    (
        "F/601/1223",
        "B",
        "Deal with incoming telephone calls from customers",
        "2",
        5,
        33,
        [5, 4, 11, 12],
    ),
    (
        "F/601/1237",
        "B",
        "Make customer service environmentally friendly and sustainable",
        "4",
        11,
        73,
        [6, 7, 9],
    ),
    ("H/601/1215", "B", "Process information about customers", "2", 5, 33, [3, 2, 3, 7]),
    ("J/601/1224", "B", "Make telephone calls to customers", "2", 6, 40, [4, 5, 6, 9]),
    (
        "L/601/0933",
        "B",
        "Give customers a positive impression of yourself and your organisation",
        "2",
        5,
        33,
        [7, 5, 4, 5],
    ),
    ("M/601/1217", "B", "Live up to the customer service promise", "2", 6, 40, [7, 5, 5]),
    ("M/601/1220", "B", "Go the extra mile in customer service", "2", 6, 40, [5, 5, 5, 7]),
    ("R/601/1212", "B", "Communicate effectively with customers", "2", 5, 33, [10, 12]),
    ("T/601/1218", "B", "Make customer service personal", "2", 6, 40, [7, 6, 7]),
    ("T/601/1221", "B", "Deal with customers face to face", "2", 5, 33, [8, 6, 9]),
    ("T/601/1235", "B", "Champion customer service", "4", 10, 67, [5, 7, 9]),
    (
        "H/601/1229",
        "C",
        "Deliver customer service using service partnerships",
        "3",
        6,
        40,
        [6, 6, 6],
    ),
    ("H/601/1232", "C", "Improve the customer relationship", "3", 7, 47, [3, 6, 4, 4]),
    (
        "Y/601/1230",
        "C",
        "Organise the delivery of reliable customer service",
        "3",
        6,
        40,
        [3, 8, 4, 8],
    ),
    (
        "M/601/1234",
        "C",
        "Maintain and develop a healthy and safe customer service environment",
        "4",
        8,
        53,
        [5, 8, 8],
    ),
    ("A/601/1219", "C", "Deal with customers across a language divide", "2", 8, 53, [6, 9, 6]),
    (
        "A/601/1222",
        "C",
        "Use questioning techniques when delivering customer service",
        "2",
        4,
        27,
        [6, 7, 8],
    ),
    (
        "A/601/1236",
        "C",
        "Plan, organise and control customer service operations",
        "4",
        10,
        67,
        [4, 8, 5, 10],
    ),
    ("F/601/1240", "C", "Deliver seamless customer service with a team", "4", 8, 53, [5, 6, 6]),
    ("J/601/1210", "C", "Deliver reliable customer service", "2", 5, 35, [3, 6, 3, 5]),
    ("J/601/1238", "C", "Review the quality of customer service", "4", 8, 53, [3, 6, 8]),
    (
        "K/601/1216",
        "C",
        "Recognise diversity when delivering customer service",
        "2",
        5,
        33,
        [6, 4, 8],
    ),
    ("L/601/1225", "C", "Deal with customers using bespoke software", "2", 5, 33, [5, 9, 9]),
    ("L/601/1239", "C", "Build and maintain effective customer relations", "4", 8, 53, [4, 5, 9]),
    (
        "Y/601/1213",
        "C",
        "Deliver customer service on your customer's premises",
        "2",
        5,
        33,
        [9, 11, 5],
    ),
    (
        "Y/601/1227",
        "C",
        "Maintain customer service through effective handover",
        "2",
        4,
        27,
        [5, 5, 6],
    ),
    ("D/601/1519", "D", "Apply risk assessment to customer service", "3", 10, 67, [7, 5, 5]),
    ("D/601/1522", "D", "Process customer service complaints", "3", 6, 40, [3, 8, 12]),
    ("J/601/1515", "D", "Monitor and solve customer service problems", "3", 6, 40, [7, 3, 4, 4]),
    ("K/601/1524", "D", "Handle referred customer complaints", "4", 10, 67, [4, 4, 6, 11]),
    ("M/601/1511", "D", "Resolve customer service problems", "2", 6, 40, [5, 5, 6, 5]),
    ("T/601/1512", "D", "Deliver customer service to difficult customers", "2", 6, 40, [7, 10, 10]),
    ("D/601/1553", "E", "Work with others to improve customer service", "3", 8, 53, [6, 2, 4, 5]),
    ("H/601/1568", "E", "Lead a team to improve customer service", "3", 7, 47, [5, 4, 3, 8]),
    (
        "H/601/1571",
        "E",
        "Gather, analyse and interpret customer feedback",
        "3",
        10,
        67,
        [6, 5, 6, 10],
    ),
    (
        "K/601/1555",
        "E",
        "Develop your own and others' customer service skills",
        "3",
        8,
        53,
        [5, 3, 5, 9],
    ),
    (
        "T/601/1574",
        "E",
        "Monitor the quality of customer service transactions",
        "3",
        7,
        4,  # printed "4" (line 1057), probably a truncated 47: kept as printed, with a note
        [5, 6, 5, 10],
    ),
    ("A/601/1530", "E", "Support customer service improvements", "2", 5, 33, [5, 6, 2, 4]),
    ("A/601/1592", "E", "Manage a customer service award programme", "4", 7, 47, [6, 6, 3]),
    ("H/601/1540", "E", "Support customers using on-line customer services", "2", 5, 33, [5, 6, 7]),
    ("K/601/1605", "E", "Manage customer service performance", "4", 7, 47, [8, 6, 7]),
    (
        "L/601/1578",
        "E",
        "Implement quality improvements to customer service",
        "4",
        10,
        67,
        [5, 4, 3, 10],
    ),
    (
        "L/601/1581",
        "E",
        "Plan and organise the development of customer service staff",
        "4",
        9,
        60,
        [5, 6, 8],
    ),
    (
        "M/601/1542",
        "E",
        "Buddy a colleague to develop their customer service skills",
        "2",
        5,
        33,
        [5, 8, 5, 8],
    ),
    (
        "M/601/1587",
        "E",
        "Develop a customer service strategy for a part of an organisation",
        "4",
        11,
        73,
        [6, 6, 5, 7],
    ),
    (
        "R/601/1534",
        "E",
        "Develop personal performance through delivering customer service",
        "2",
        6,
        40,
        [4, 3, 4, 8],
    ),
    (
        "R/601/1548",
        "E",
        "Develop your own customer service skills through self-study",
        "2",
        6,
        40,
        [6, 7, 7],
    ),
    (
        "R/601/1601",
        "E",
        "Review and re-engineer customer service processes",
        "4",
        11,
        47,
        [4, 6, 5, 7],
    ),
    ("T/601/1526", "E", "Develop customer relationships", "2", 6, 40, [3, 3, 5, 10]),
    ("Y/601/1549", "E", "Support customers using self-service technology", "2", 5, 33, [4, 9, 8]),
    (
        "Y/601/1597",
        "E",
        "Apply technology or other resources to improve customer service",
        "4",
        11,
        73,
        [5, 7, 5, 7],
    ),
    ("H/601/1554", "E", "Promote continuous improvement", "3", 7, 47, [4, 4, 5, 4]),
]


@lru_cache(maxsize=1)
def spec() -> Specification:
    return parse(read_document(SOURCE, "sfj"))


def unit(reference: str) -> Unit:
    return next(u for u in spec().units if u.key == reference)


def criterion(reference: str, number: str) -> str:
    major = number.split(".")[0]
    outcome = next(o for o in unit(reference).outcomes if o.number == major)
    return next(c.text for c in outcome.criteria if c.number == number)


def outcome(reference: str, number: str) -> str:
    return next(o.text for o in unit(reference).outcomes if o.number == number)


def damaged_copy(edit) -> SourceDocument:
    document = read_document(SOURCE, "sfj")
    lines = list(document.lines)
    edit(lines)
    return SourceDocument(document.name, lines, document.facts)


# ---------------------------------------------------------------- qualification facts


def test_it_reads_the_qualification_facts() -> None:
    result = spec()
    assert result.source == "sfj-601-1109-4.txt"
    assert (result.awarding_body.code, result.awarding_body.name) == ("SFJ", "SFJ Awards")
    [q] = result.qualifications
    assert q.number == "601/1109/4"
    assert q.title == "SFJ Awards Level 3 NVQ Diploma in Customer Service"
    assert (q.level, q.qualification_type) == ("3", "NVQ")
    assert q.source == (
        "sfj-601-1109-4.txt (SFJ Awards Level 3 NVQ Diploma in Customer Service "
        "Qualification Handbook, V6, 07.01.21)"
    )
    assert (q.credit_value, q.min_credits, q.max_credits) == (42, 42, None)
    assert (q.tqt, q.glh, q.glh_max) == (420, 279, None)
    assert q.minimum_age == 18
    assert q.age_note == "This qualification is available to learners aged 18 years and over."
    assert q.operational_end == date(2021, 3, 31)
    assert q.certification_end == date(2023, 3, 31)
    assert q.operational_start is None
    assert q.grading == "pass"
    assert q.rules_given is True
    assert q.barred == []


def test_it_reads_the_rules_of_combination() -> None:
    [q] = spec().qualifications
    assert [(g.code, g.mandatory, g.min_credits) for g in q.groups] == [
        ("A", True, 12),
        ("B", False, 5),
        ("C", False, 5),
        ("D", False, 6),
        ("E", False, 5),
    ]
    assert [g.name for g in q.groups] == [
        "Mandatory Group – Customer Service Foundations",
        "Optional Group 1 - Impression and Image",
        "Optional Group 2 - Delivery",
        "Optional Group 3 - Handling Problems",
        "Optional Group 4 – Development and Improvement",
    ]
    assert q.groups[0].min_units == 2
    assert q.groups[3].rule_text == "A minimum of 6 credits from Group D"
    assert "Learners must successfully complete 42 credits" in q.rules_text
    assert "A minimum of 5 credits from Group E" in q.rules_text
    [rule] = q.level_rules
    assert (rule.min_credits, rule.level, rule.at_or_above) == (10, "3", False)
    assert rule.groups == ["B", "C", "D", "E"]
    assert rule.rule_text == "A minimum of 10 of the credits from Groups B to E must be at Level 3."


def test_the_reading_of_the_ambiguous_level_rule_comes_from_the_reviewed_corrections() -> None:
    # Handbook line 113: "A minimum of 10 of the credits from Groups B to E must be at Level 3."
    # It does not say whether Level 4 credits count; corrections/sfj.yaml records the reading.
    [rule] = spec().qualifications[0].level_rules
    assert rule.at_or_above is False
    assert rule.reading.startswith('The handbook says "A minimum of 10 of the credits')
    assert "exactly Level 3, so Level 4 credits do not count" in rule.reading
    assert "stricter reading" in rule.reading


def test_it_refuses_to_choose_a_reading_of_the_level_rule_itself() -> None:
    document = read_document(SOURCE, "sfj")
    del document.facts["reading level rule 1"]

    with pytest.raises(ParseError, match="can be read as exactly Level 3 or as Level 3 or above"):
        parse(document)


def test_it_records_source_errors_in_the_notes_with_lines() -> None:
    [q] = spec().qualifications
    notes = "\n".join(q.notes)
    assert "K/601/1605 has no level in the group table (line 179)" in notes
    # Probably a truncated 47, but nothing is invented: kept as printed, with a note.
    assert (
        "T/601/1574: GLH 4 for 7 credits (line 1057) breaks the handbook's pattern "
        "(GLH = credits x 20/3 gives 47); kept as printed." in notes
    )
    assert "Letters A-E are assigned in table order" in notes
    assert "J/601/1210: GLH 35 for 5 credits (line 824)" in notes
    assert "R/601/1601: GLH 47 for 11 credits (line 1221)" in notes


# ---------------------------------------------------------------- unit list


def test_it_reads_every_unit_in_table_order_with_its_facts() -> None:
    units = spec().units
    assert len(units) == 59
    got = [(u.key, u.reference, u.title, u.level, u.credit, u.glh) for u in units]
    assert got == [(r, r, t, lvl, cr, glh) for r, _, t, lvl, cr, glh, _ in UNITS]
    assert sum(u.credit for u in units) == 408


@pytest.mark.parametrize("group", ["A", "B", "C", "D", "E"])
def test_it_puts_every_unit_in_its_group(group: str) -> None:
    [q] = spec().qualifications
    found = next(g for g in q.groups if g.code == group)
    assert [m.unit for m in found.units] == [r for r, g, *_ in UNITS if g == group]
    assert all(m.code == "" for m in found.units)


def test_it_takes_the_missing_table_level_from_the_unit_specification() -> None:
    assert unit("K/601/1605").level == "4"


def test_it_attaches_the_assessment_requirements_to_the_units() -> None:
    boxed = (
        "The assessment and quality assurance requirement for this unit provides evidence "
        "towards A and V units."
    )
    real_work = "All Level 3 and Level 4 units must be achieved in a real working situation"
    assert unit("R/601/1212").assessment_requirements == boxed
    assert unit("K/601/1622").assessment_requirements.startswith(boxed + "\n" + real_work)
    assert real_work in unit("T/601/1235").assessment_requirements
    assert all(u.nos == [] for u in spec().units)
    assert unit("K/601/1622").source_line == 438


# ---------------------------------------------------------------- outcomes and criteria


@pytest.mark.parametrize(("reference", "counts"), [(u[0], u[6]) for u in UNITS])
def test_it_reads_every_outcome_and_criterion_of_each_unit(
    reference: str, counts: list[int]
) -> None:
    found = unit(reference)
    assert [o.number for o in found.outcomes] == [str(n) for n in range(1, len(counts) + 1)]
    assert [len(o.criteria) for o in found.outcomes] == counts
    for o in found.outcomes:
        assert [c.number for c in o.criteria] == [
            f"{o.number}.{n}" for n in range(1, len(o.criteria) + 1)
        ]
        assert o.text
        assert all(c.text and "\t" not in c.text and "  " not in c.text for c in o.criteria)


def test_it_reads_205_outcomes_and_1232_criteria_in_all() -> None:
    outcomes = [o for u in spec().units for o in u.outcomes]
    assert len(outcomes) == 205
    assert sum(len(o.criteria) for o in outcomes) == 1232


def test_it_separates_interleaved_knowledge_outcomes_from_their_first_criterion() -> None:
    assert (
        outcome("D/601/1228", "3")
        == "Understand how to use customer service as a competitive tool."
    )
    assert criterion("D/601/1228", "3.1") == (
        "Identify the factors that lead to customers' belief that they are enjoying value for "
        "money."
    )
    assert (
        outcome("J/601/1627", "3")
        == "Understand the rules that impact on improvements in customer service."
    )
    assert (
        outcome("H/601/1540", "3") == "Understand how to support customers using on-line services."
    )
    assert criterion("H/601/1540", "3.1") == (
        "Explain how their organisation's system for on-line service delivery works."
    )
    assert (
        outcome("D/601/1519", "3") == "Understand how to apply risk assessment to customer service."
    )
    assert criterion("D/601/1519", "3.1") == "Describe risk assessment techniques."
    assert outcome("M/601/1220", "4") == "Know how to go the extra mile in customer service."
    assert criterion("M/601/1220", "4.1") == "Describe their organisation's service offer."
    assert outcome("T/601/1574", "4") == (
        "Understand how to monitor the quality of customer service transactions."
    )
    assert criterion("T/601/1574", "3.5") == (
        "Maintain records of customer service quality monitoring and action plans for improvement."
    )


def test_it_reads_outcomes_printed_inside_their_first_criterion() -> None:
    assert outcome("J/601/1210", "4") == "Know how to deliver reliable customer service."
    assert criterion("J/601/1210", "4.1") == "Describe their organisation's services or products."
    assert (
        outcome("D/601/1553", "4")
        == "Understand how to work with others to improve customer service."
    )
    assert criterion("D/601/1553", "4.1") == (
        "Describe who else is involved wither directly or indirectly in the delivery of customer "
        "service."
    )


def test_it_moves_numbers_printed_mid_sentence_back_to_the_sentence_start() -> None:
    assert criterion("J/601/1627", "3.3") == (
        "State the limits of their own authority and who else in the organisation needs to be "
        "involved if they cannot authorise improvements alone."
    )
    assert criterion("J/601/1627", "3.4") == (
        "Explain how they would involve colleagues or service partners in the implementation of "
        "improvements."
    )
    assert criterion("K/601/1524", "4.8") == (
        "Explain why it may be necessary sometimes to adapt organisational policies and procedures "
        "to provide a solution acceptable to their customer and how they could justify this."
    )


def test_it_numbers_criteria_printed_without_numbers() -> None:
    assert criterion("K/601/1622", "3.15") == (
        "Outline the service offer of competitors of their organisation or any organisations "
        "offering similar services or products."
    )
    assert criterion("K/601/1524", "4.4") == (
        "Describe the types of complaints that could have wider implications for their "
        "organisation."
    )
    assert (
        criterion("H/601/1571", "1.1")
        == "Identify the options available for collecting customer service feedback."
    )
    assert criterion("H/601/1571", "1.6") == (
        "Plan in detail how they will collect information from customers using their chosen method."
    )
    assert criterion("H/601/1571", "4.9") == (
        "Describe organisational procedures for recommending changes in the service offer or "
        "customer service procedures."
    )
    assert criterion("R/601/1534", "1.4") == (
        "Agree their strengths, weaknesses and development needs with an appropriate person."
    )
    assert criterion("R/601/1534", "2.3") == (
        "Regularly review their progress towards their objectives with an appropriate person."
    )


def test_it_joins_wrapped_criteria_and_drops_page_damage() -> None:
    assert criterion("H/601/1215", "2.2") == (
        "Select and retrieve relevant information for customers or colleagues following the "
        "organisation's guidelines."
    )
    assert criterion("T/601/1512", "1.7") == (
        "Identify things that they may do or say that will provoke difficult responses from their "
        "customer."
    )
    assert criterion("H/601/1571", "4.1") == (
        "Explain random sampling techniques and how to evaluate bias in non-random samples."
    )
    assert criterion("L/601/1578", "4.2") == (
        "Evaluate the types of factors that may help or hinder the process of change and how to "
        "identify and plan for these."
    )
    assert (
        outcome("L/601/1578", "4")
        == "Understand how to implement quality improvements to customer service."
    )
    assert criterion("A/601/1236", "2.8") == (
        "Modify their plans for customer service operations in the light of their evaluation."
    )
    assert criterion("K/601/1605", "1.1") == (
        "Collect regular statistics on customer service operations performance."
    )
    assert outcome("K/601/1605", "1") == "Monitor performance in customer service operations."
    assert (
        criterion("F/601/1223", "1.1")
        == "Operate telecommunication equipment efficiently and effectively."
    )
    assert outcome("F/601/1223", "3") == "Deal effectively with customer questions and requests."
    assert outcome("M/601/1217", "3") == "Know how to live up to the customer service promise."
    assert criterion("T/601/1221", "2.5") == (
        "Observe all customers and the total customer service situation whilst maintaining "
        "rapport with their current customer."
    )


def test_it_mends_outcome_titles_split_at_a_tab() -> None:
    assert outcome("L/601/0933", "1") == "Establish rapport with customers."
    assert outcome("L/601/0933", "3") == "Communicate information to customers."
    assert outcome("H/601/1554", "2") == "implement changes in customer service."
    assert (
        outcome("A/601/1219", "1")
        == "Prepare to deal with customers with a different first language."
    )
    assert (
        outcome("T/601/1235", "2") == "Provide advice and information on customer service issues."
    )


def test_it_keeps_the_awarding_bodys_typos_and_truncations() -> None:
    assert criterion("H/601/1215", "3.1") == (
        "Supply accurate and sufficient information about customers to meet their customers' of "
        "colleagues' expectations."
    )
    assert (
        outcome("M/601/1587", "1")
        == "Research and evaluate the organisation's business an service strategy."
    )
    assert outcome("H/601/1568", "2") == "Provide support for team members,"
    assert criterion("T/601/1512", "3.3").endswith("in a way that is difficult to deal")
    assert criterion("Y/601/1230", "4.4") == (
        "Evaluate the organisational procedures and systems for delivering customer service"
    )


def test_it_corrects_the_garbled_word_of_k_601_1605_1_7_through_the_reviewed_corrections() -> None:
    # The handbook as converted (line 1110) reads: "1.7. Compare customer service performance
    # rouslity monitoring results." The correction is in corrections/sfj.yaml with its reason.
    assert "performance rouslity monitoring" in SOURCE.read_text(encoding="utf-8").split("\n")[1109]
    assert (
        criterion("K/601/1605", "1.7")
        == "Compare customer service performance with quality monitoring results."
    )
    assert any(
        "rouslity" in note and "(line 1110)" in note for note in spec().qualifications[0].notes
    )


def test_it_gives_no_title_where_the_source_lost_it() -> None:
    lost = [
        ("R/601/1212", "1"),
        ("Y/601/1213", "1"),
        ("Y/601/1213", "2"),
        ("Y/601/1213", "3"),
        ("F/601/1237", "1"),
        ("R/601/1601", "3"),
        ("Y/601/1597", "2"),
    ]
    assert all(outcome(r, n) == NOT_GIVEN for r, n in lost)


def test_it_restores_the_scrambled_criteria_of_y_601_1213() -> None:
    assert criterion("Y/601/1213", "2.3") == (
        "Take time to give their customer confidence in their knowledge and skills."
    )
    assert criterion("Y/601/1213", "3.5") == (
        "Describe the organisational procedures they would take if they cause any accidental "
        "damage on their customer's premises."
    )


# ---------------------------------------------------------------- refusing other documents


def test_it_refuses_a_document_of_another_kind() -> None:
    others = [p for p in OTHER_SOURCES.glob("*.txt") if p.name != SOURCE.name]
    document = (
        read_document(others[0], "none")
        if others
        else SourceDocument("other.txt", ["Pearson BTEC Level 3", "Unit 1"], {})
    )
    with pytest.raises(ParseError) as error:
        parse(document)
    assert error.value.line == 1


def test_it_refuses_a_truncated_copy_naming_a_line() -> None:
    def cut(lines: list[str]) -> None:
        del lines[900:]

    with pytest.raises(ParseError) as error:
        parse(damaged_copy(cut))
    assert error.value.line is not None
    assert "section 5 has 33 unit specifications" in error.value.message


def test_it_refuses_a_criterion_numbered_outside_its_outcome() -> None:
    def renumber(lines: list[str]) -> None:
        lines[444] = lines[444].replace(" 2.2. Demonstrate", " 3.2. Demonstrate")

    with pytest.raises(ParseError) as error:
        parse(damaged_copy(renumber))
    assert error.value.line == 445


def test_it_refuses_a_unit_without_criteria() -> None:
    def empty(lines: list[str]) -> None:
        for index in range(1094, 1103):  # H/601/1540's table, lines 1095-1103
            if not lines[index].startswith(("Title:", "Level:", "Credit value:", "GLH:")):
                lines[index] = ""

    with pytest.raises(ParseError) as error:
        parse(damaged_copy(empty))
    assert error.value.line == 1095
    assert "no assessment criteria" in error.value.message


def test_it_refuses_a_unit_whose_level_disagrees_with_the_group_table() -> None:
    def relevel(lines: list[str]) -> None:
        lines[438] = "Level:\t2\t\t"

    with pytest.raises(ParseError) as error:
        parse(damaged_copy(relevel))
    assert error.value.line == 438
