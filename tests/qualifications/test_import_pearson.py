"""The Pearson parser reads the BTEC Level 3 Certificate and Diploma for Customer Service
Specialists specification (603/5449/5 and 603/5450/1) as the reviewed notes describe it."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from qualifications.importers.base import ParseError, SourceDocument, read_document
from qualifications.importers.pearson import parse
from qualifications.importers.schema import NOT_GIVEN, Qualification, Specification, Unit

SOURCES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"
SOURCE = SOURCES / "pearson-603-5449-5-603-5450-1.txt"

CERTIFICATE = "603/5449/5"
DIPLOMA = "603/5450/1"

# Notes section 2.1 and 2.2: (title, GLH, kind, ACs per LO).
UNITS = {
    1: ("Understanding the Customer Service Environment", 28, "knowledge", [3, 5, 3, 4, 5]),
    2: (
        "Understanding Customer Loyalty, Retention and Satisfaction",
        28,
        "knowledge",
        [5, 6, 5, 5, 5],
    ),
    3: ("Understanding Continuous Improvement in Customer Service", 42, "knowledge", [5, 4, 5, 5]),
    4: (
        "Understanding Personal Effectiveness in a Customer Service Work Environment",
        45,
        "knowledge",
        [3, 10, 3, 2, 5],
    ),
    5: ("Delivering Solution-focused Customer Service", 24, "skills", [3, 6, 5]),
    6: ("Managing Challenging Customers and Situations", 24, "skills", [5, 8]),
    7: ("Influencing Change and Improvement in Customer Service", 28, "skills", [2, 4, 3, 4]),
    8: (
        "Managing Personal Effectiveness in a Customer Service Specialist Job Role",
        24,
        "skills",
        [4, 3, 3, 6, 5],
    ),
}

# Notes section 2.2: content topic codes per unit.
TOPICS = {
    1: ["1A", "1B", "2A", "2B", "3A", "3B", "4A", "4B", "4C", "4D", "4E", "5A", "5B", "5C"],
    2: ["1A", "1B", "2A", "2B", "3A", "3B", "3C", "4A", "4B", "4C", "5A", "5B", "5C", "5D"],
    3: ["1A", "1B", "1C", "2A", "2B", "2C", "2D", "3A", "3B", "3C", "3D", "4A", "4B", "4C"],
    4: ["1A", "1B", "1C", "1D"]
    + [f"2{c}" for c in "ABCDEFGHI"]
    + ["3A", "3B", "4A", "4B", "5A", "5B", "5C", "5D"],
    5: ["1A", "1B", "1C", "2A", "2B", "2C", "2D", "3A", "3B", "3C", "3D"],
    6: ["1A", "1B", "1C", "1D", "1E", "2A", "2B", "2C", "2D", "2E"],
    7: ["1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "4A", "4B", "4C", "4D"],
    8: ["1A", "1B", "2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B", "4C", "4D", "5A", "5B", "5C"],
}


@cache
def spec() -> Specification:
    return parse(read_document(SOURCE, "pearson"))


def qualification(number: str) -> Qualification:
    return next(q for q in spec().qualifications if q.number == number)


def unit(number: int) -> Unit:
    return next(u for u in spec().units if u.key == f"PEARSON:Unit {number}")


def criterion(unit_number: int, number: str) -> str:
    return next(
        c.text for o in unit(unit_number).outcomes for c in o.criteria if c.number == number
    )


def guidance(unit_number: int, number: str) -> str:
    return next(
        c.guidance for o in unit(unit_number).outcomes for c in o.criteria if c.number == number
    )


def raw_lines() -> list[str]:
    return list(read_document(SOURCE, "pearson").lines)


def parse_lines(lines: list[str], name: str = SOURCE.name) -> Specification:
    return parse(SourceDocument(name=name, lines=lines, facts={}))


# ------------------------------------------------------------------------------ qualifications


def test_it_names_pearson_as_the_awarding_body_and_the_file_as_the_source() -> None:
    assert spec().awarding_body.code == "PEARSON"
    assert spec().awarding_body.name == "Pearson"
    assert spec().source == SOURCE.name
    assert [q.number for q in spec().qualifications] == [CERTIFICATE, DIPLOMA]


def test_it_reads_the_certificates_key_facts() -> None:
    q = qualification(CERTIFICATE)
    assert q.title == "Pearson BTEC Level 3 Certificate for Customer Service Specialists"
    assert q.level == "3"
    assert q.qualification_type == "BTEC Specialist"
    assert q.source == (
        "pearson-603-5449-5-603-5450-1.txt (Pearson BTEC Level 3 Certificate and Diploma for "
        "Customer Service Specialists, Specification, First teaching February 2020)"
    )
    assert (q.tqt, q.glh, q.glh_max, q.credit_value) == (221, 143, None, None)
    assert q.operational_start == date(2020, 2, 1)
    assert q.operational_end is None
    assert q.certification_end is None
    assert q.grading == "pass"
    assert q.minimum_age == 16
    assert q.age_note.startswith("16–18 18+ 19+ Please note that sector-specific requirements")
    assert q.age_note.endswith("Please see Section 6 Access and recruitment.")


def test_it_reads_the_diplomas_key_facts() -> None:
    q = qualification(DIPLOMA)
    assert q.title == "Pearson BTEC Level 3 Diploma for Customer Service Specialists"
    assert q.level == "3"
    assert q.qualification_type == "BTEC Specialist"
    assert (q.tqt, q.glh, q.glh_max, q.credit_value) == (402, 243, None, None)
    assert q.operational_start == date(2020, 2, 1)
    assert q.grading == "pass"
    assert q.minimum_age == 16
    assert q.source == qualification(CERTIFICATE).source


@pytest.mark.parametrize(
    ("number", "units", "min_glh"),
    [(CERTIFICATE, [1, 2, 3, 4], 143), (DIPLOMA, [1, 2, 3, 4, 5, 6, 7, 8], 243)],
)
def test_each_qualification_has_one_mandatory_group_holding_its_units(
    number: str, units: list[int], min_glh: int
) -> None:
    q = qualification(number)
    assert q.rules_given
    assert (q.min_units, q.min_glh, q.min_credits, q.max_credits) == (
        len(units),
        min_glh,
        None,
        None,
    )
    assert len(q.groups) == 1
    group = q.groups[0]
    assert (group.code, group.name, group.mandatory) == ("M", "Mandatory units", True)
    assert [m.unit for m in group.units] == [f"PEARSON:Unit {n}" for n in units]
    assert [m.code for m in group.units] == [f"Unit {n}" for n in units]
    assert q.level_rules == []
    assert q.barred == []
    assert sum(unit(n).glh or 0 for n in units) == min_glh
    assert f"Minimum number of units that must be achieved\t{len(units)}" in q.rules_text
    assert f"Minimum number of guided learning hours that must be achieved\t{min_glh}" in (
        q.rules_text
    )


def test_the_notes_record_source_errors_with_their_lines() -> None:
    certificate = "\n".join(qualification(CERTIFICATE).notes)
    diploma = "\n".join(qualification(DIPLOMA).notes)
    for line in ("line 1695", "line 2017", "line 320", "line 381", "line 506", "line 1600"):
        assert line in certificate
        assert line in diploma
    # Units 5-8 belong to the Diploma only.
    for line in ("line 2372", "line 2730", "line 2681", "line 2682"):
        assert line in diploma
        assert line not in certificate


# ------------------------------------------------------------------------------ units


def test_it_reads_every_unit_with_its_key_title_level_and_hours() -> None:
    assert [u.key for u in spec().units] == [f"PEARSON:Unit {n}" for n in range(1, 9)]
    for number, (title, glh, kind, _acs) in UNITS.items():
        u = unit(number)
        assert u.reference == ""
        assert u.title == title
        assert u.level == "3"
        assert u.credit is None
        assert u.glh == glh
        assert u.kind == kind
        assert u.nos == []


def test_unit_four_is_knowledge_although_its_header_says_assessment_type() -> None:
    assert unit(4).kind == "knowledge"
    assert unit(8).glh == 24  # "Guided Learning Hours:" with capitals


def test_units_start_at_their_heading_lines() -> None:
    lines = [u.source_line for u in spec().units]
    assert lines == [635, 938, 1328, 1619, 2191, 2411, 2617, 2812]


def test_every_unit_has_the_outcomes_and_criteria_counted_in_the_notes() -> None:
    for number, (_title, _glh, _kind, acs) in UNITS.items():
        u = unit(number)
        assert [len(o.criteria) for o in u.outcomes] == acs, number
    assert sum(len(u.outcomes) for u in spec().units) == 33
    assert sum(len(o.criteria) for u in spec().units for o in u.outcomes) == 149


def test_outcomes_and_criteria_are_numbered_contiguously() -> None:
    for u in spec().units:
        assert [o.number for o in u.outcomes] == [str(n) for n in range(1, len(u.outcomes) + 1)]
        for outcome in u.outcomes:
            expected = [f"{outcome.number}.{n}" for n in range(1, len(outcome.criteria) + 1)]
            assert [c.number for c in outcome.criteria] == expected


def test_no_text_keeps_tabs_markup_or_headers() -> None:
    for u in spec().units:
        texts = [u.title, u.aim, u.guidance] + [o.text for o in u.outcomes]
        texts += [c.text for o in u.outcomes for c in o.criteria]
        texts += [c.guidance for o in u.outcomes for c in o.criteria]
        texts += [o.content for o in u.outcomes]
        for text in texts:
            assert "\t" not in text
            assert "**" not in text
            assert not re.search(r"</?[a-z]+[ >]", text), text[:80]
            assert "•" not in text
            assert "○" not in text
            assert "  -" not in text
        for outcome in u.outcomes:
            assert "What needs to be learned" not in outcome.content
            assert "(continued)" not in outcome.content
            assert "Learning outcome" not in outcome.content
            assert outcome.text != NOT_GIVEN


def test_it_reads_the_outcome_titles_from_the_table_not_the_content_headings() -> None:
    assert unit(4).outcomes[0].text == (
        "Understand professionalism and its importance in a customer service work environment"
    )
    assert unit(5).outcomes[2].text == (
        "Be able to take ownership and responsibility to resolve customer issues, problems "
        "and/or complaints"
    )
    assert unit(7).outcomes[2].text == (
        "Be able to identify and present recommendations for customer service delivery improvement"
    )
    assert unit(8).outcomes[0].text == "Understand own role and value within the organisation"
    assert unit(8).outcomes[1].text == "Be able to maintain organisational brand standards"


def test_it_reads_criteria_continued_after_a_page_break_with_no_outcome_cell() -> None:
    assert criterion(4, "2.7") == (
        "Explain how to self-manage in the workplace and the benefits of effective "
        "self-management for self and others"
    )
    assert criterion(4, "2.8") == (
        "Explain how to work effectively in a team and the impact of poor team working on an "
        "organisation"
    )
    assert criterion(4, "2.10") == (
        "Evaluate the suitability of different influencing strategies in a specific work situation"
    )
    assert criterion(1, "3.1") == (
        "Explain how the impact of internal and external factors can influence organisational "
        "customer service delivery"
    )


def test_it_keeps_the_awarding_bodys_spacing_punctuation_and_quotes() -> None:
    assert criterion(1, "2.2") == (
        "Describe the roles different departments/ functions play in delivering customer service"
    )
    assert criterion(1, "3.2") == "Describe what is meant by 'customer service culture'"
    assert criterion(6, "1.5") == (
        "Demonstrate a range of techniques to manage challenging and complicated situations "
        "and, escalate within lines of authority where necessary"
    )
    assert criterion(2, "2.4") == "Explain techniques for analysing the 'customer journey'"
    assert criterion(7, "4.1") == (
        "Develop a customer service delivery improvement plan that includes specific, "
        "measurable, achievable, realistic and time-bound (SMART) objectives and resources"
    )
    assert criterion(8, "5.5") == (
        "Review progress against agreed objectives and amend the personal development plan "
        "accordingly"
    )


def test_the_unit_aim_is_the_introduction_without_markup() -> None:
    aim = unit(2).aim
    assert aim.startswith("To be successful, organisations need to know how to provide")
    assert aim.split("\n")[-1] == (
        "This unit links with Unit 5: Delivering Solution-focused Customer Service, Unit 6: "
        "Managing Challenging Customers and Situations and Unit 7: Influencing Change and "
        "Improvement in Customer Service. Consideration should be given to delivering the "
        "related content together. There may also be opportunity to use the same evidence "
        "across these units."
    )
    assert len(unit(1).aim.split("\n")) == 5
    assert unit(8).aim.startswith("In this unit, you will apply your transferable skills")


# ------------------------------------------------------------------------------ unit content


def test_every_unit_has_its_content_topics_in_order() -> None:
    for number, codes in TOPICS.items():
        found = [
            m.group(1)
            for o in unit(number).outcomes
            for m in re.finditer(r"(?m)^(\d+[A-Z]) ", o.content)
        ]
        assert found == codes, number
        for outcome in unit(number).outcomes:
            for code in re.findall(r"(?m)^(\d+)[A-Z] ", outcome.content):
                assert code == outcome.number
    assert sum(len(c) for c in TOPICS.values()) == 111


def test_topic_2i_printed_as_21_is_read_as_2i() -> None:
    content = unit(4).outcomes[1].content
    assert "\n2I Negotiating and Influencing others\n" in content
    assert "\n21 " not in content


def test_the_content_keeps_topics_and_both_bullet_levels_one_per_line() -> None:
    content = unit(1).outcomes[0].content.split("\n")
    assert content[:4] == [
        "1A Business aims and objectives",
        "- Business goals:",
        " - purpose, including the benefits of having business goals",
        " - how the business goals are linked to the sector the company works in, e.g. public, "
        "private, voluntary sector.",
    ]
    # 1B continues over a page break, after a repeated "(continued)" heading.
    assert content[-1] == (
        " - brand advocacy, e.g. positively and activity promoting the organisation through "
        "communications and behaviours."
    )


def test_the_raw_html_topics_of_unit_seven_are_read_as_bullets() -> None:
    content = unit(7).outcomes[0].content.split("\n")
    assert content[:10] == [
        "1A Continuous improvement in customer service",
        "- Definition of continuous improvement, including links to quality assurance and "
        "quality control.",
        "- Types of continuous improvement in customer service, including improving existing "
        "processes, using innovation to improve products and services, changes to procedures, "
        "staff training, solving problems for customers.",
        "- Specific areas for continuous improvement, e.g. timeliness, consistency, "
        "accessibility, accuracy, responsiveness, cost.",
        "- Process of carrying out continuous improvement:",
        " - plan – current status, aims and objectives, success factors, legal requirements",
        " - do – implementing the plan, including activities to deliver the plan, tools and "
        "equipment, human resources, training",
        " - check – checking performance and assessing risks",
        " - act – reviewing performance, acting on lessons learned.",
        "1B Methods for collecting customer service information and feedback",
    ]
    assert "- primary research: new research carried out directly with potential customers." in (
        content
    )


def test_the_sub_list_broken_by_a_page_break_in_unit_three_is_restored() -> None:
    content = unit(3).outcomes[2].content.split("\n")
    start = content.index("- Issues relating to data analysis:")
    assert content[start + 1 : start + 9] == [
        " - purpose, scope and size of sample",
        " - validity and reliability of data",
        " - collection of data, limited or unrepresentative samples",
        " - validation of data",
        " - presentation of information",
        " - bias",
        " - errors in methodology used, e.g. insufficient statistical power, ignoring "
        "measurement error, performing multiple comparisons",
        " - interpretation problems, e.g. confusion over significance, precision and accuracy, "
        "causality, graphical representation.",
    ]
    assert content[start + 9] == "3C Interpreting customer feedback"


def test_content_under_a_learning_aim_heading_belongs_to_outcome_four() -> None:
    content = unit(4).outcomes[3].content
    assert content.startswith("4A Managing personal performance in the workplace\n")
    assert "\n4B Importance of managing personal performance in the workplace\n" in content
    assert content.endswith(" - support staff planning and training.")


def test_a_heading_with_no_running_header_still_starts_its_outcome() -> None:
    assert unit(2).outcomes[4].content.startswith("5A Challenges and issues\n")
    assert unit(2).outcomes[3].content.endswith("dealing with complaints.")


# ------------------------------------------------------------------------------ assessment


def test_assessment_tasks_become_the_guidance_of_the_criteria_they_name() -> None:
    assert guidance(1, "1.1") == (
        "1. state the organisation's mission statement (AC1.1)\n"
        "2. outline the purpose of the organisation's mission statement and give three reasons "
        "why having a mission statement benefits the organisation (AC1.1)"
    )
    assert guidance(4, "2.3") == (
        "5. analyse the possible ways forward to solve the identified problem, examining the "
        "following as part of the analysis:\n"
        "a. the features, advantages and disadvantages of two decision-making techniques\n"
        "b. two factors they would need to consider (AC2.3)"
    )
    assert guidance(4, "2.10") == (
        "17. examine the features, benefits and limitations of two different influencing "
        "strategies that could be used to strengthen their negotiation position. Learners must "
        "use the information they have presented to draw a conclusion on which of the "
        "strategies would be more suitable in the specific negotiating situation (2.10)."
    )
    # A task after a page-break blank line is still part of the list.
    assert guidance(1, "5.4").startswith("4. outline three ways that policies and procedures")
    assert guidance(4, "5.3").count("\n") == 1


def test_every_knowledge_criterion_has_guidance_and_no_skills_criterion_has() -> None:
    for number in (1, 2, 3, 4):
        for outcome in unit(number).outcomes:
            for c in outcome.criteria:
                assert c.guidance, (number, c.number)
    for number in (5, 6, 7, 8):
        assert all(not c.guidance for o in unit(number).outcomes for c in o.criteria)


def test_the_unit_guidance_keeps_the_general_text_and_not_the_tasks() -> None:
    text = unit(1).guidance
    assert text.startswith(
        "This section must be read in conjunction with Section 8 Assessment and the glossary "
        "in Annexe B."
    )
    assert (
        "\nLearning outcome 1\nTo satisfy the assessment criteria for this learning outcome,"
        in (text)
    )
    assert "(AC" not in text
    assert "\nLearning outcomes 4 and 5\n" in unit(4).guidance
    assert "- the time and duration of the assessment." in unit(5).guidance


def test_skills_units_say_where_they_must_be_assessed() -> None:
    for number in (5, 6, 7):
        assert unit(number).assessment_requirements == (
            "It is expected that this unit will be assessed in a real or simulated working "
            "environment, where evidence is naturally occurring and collected over a period of "
            "time."
        )
    assert unit(8).assessment_requirements == (
        "This unit is expected to be assessed in a real working environment, where the "
        "evidence is naturally occurring and is collected over a period of time."
    )
    assert all(unit(n).assessment_requirements == "" for n in (1, 2, 3, 4))


# ------------------------------------------------------------------------------ Annexe A


def test_annexe_a_is_one_standard_scoped_to_the_diploma() -> None:
    assert len(spec().standards) == 1
    standard = spec().standards[0]
    assert standard.code == "customer-service-specialist"
    assert standard.title == "Customer Service Specialist"
    assert standard.reference == NOT_GIVEN
    assert standard.qualification == DIPLOMA


def test_annexe_a_has_one_statement_per_ksb_group_mapped_to_units() -> None:
    statements = spec().standards[0].statements
    expected = [
        ("K1", "Business knowledge and understanding", 5, [1, 3, 4, 8]),
        ("K2", "Customer journey knowledge", 4, [2]),
        ("K3", "Knowing your customers and their needs/customer insight", 5, [2]),
        ("K4", "Customer service culture and environment awareness", 3, [1, 4]),
        ("S1", "Business focused service delivery", 3, [6, 7]),
        ("S2", "Providing a positive customer experience", 7, [5, 6, 7]),
        ("S3", "Working with your customers/customer insights", 3, [7]),
        ("S4", "Customer service performance", 2, [5, 6]),
        ("S5", "Service improvement", 3, [7]),
        ("B1", "Develop self", 2, [8]),
        ("B2", "Ownership/ responsibility", 3, [5]),
        ("B3", "Team working", 3, [8]),
        ("B4", "Equality", 2, [8]),
        ("B5", "Presentation", 2, [8]),
    ]
    assert [
        (s.code, s.heading, len(s.text.split("\n")), [int(k.split()[-1]) for k in s.units])
        for s in statements
    ] == expected
    assert [s.category for s in statements] == ["K"] * 4 + ["S"] * 5 + ["B"] * 5
    assert all(not s.criteria and not s.no_mapping for s in statements)


def test_the_certificate_reaches_annexe_a_through_units_1_to_4_as_its_notes_say() -> None:
    # Annexe A (l.3163-3167): "The grid below maps the knowledge, skills and behaviours (KSBs)
    # of the Customer Service Specialist Apprenticeship Standard to the content covered in the
    # Pearson BTEC Level 3 Certificate and Diploma for Customer Service Specialists. Please
    # note: only Units 1–4 are part of the Certificate structure."
    certificate = qualification(CERTIFICATE)
    [note] = [n for n in certificate.notes if n.startswith("Annexe A (line 3161)")]
    # Notes seed-003 section 2.4, restricted to Units 1-4: K1 (Units 1, 3, 4, 8), K2 (2),
    # K3 (2), K4 (1, 4); the skills and behaviours groups map only to Units 5-8.
    assert "'only Units 1–4 are part of the Certificate structure' (line 3167)" in note
    assert "the Certificate reaches 4 of its 14 KSB groups: " in note
    assert (
        "K1 Business knowledge and understanding (Units 1, 3, 4); K2 Customer journey "
        "knowledge (Unit 2); K3 Knowing your customers and their needs/customer insight "
        "(Unit 2); K4 Customer service culture and environment awareness (Units 1, 4). The "
        "other 10 map only to units it does not hold."
    ) in note
    assert not [n for n in qualification(DIPLOMA).notes if n.startswith("Annexe A (line")]


def test_an_annexe_note_that_disagrees_with_the_certificate_structure_is_refused() -> None:
    document = read_document(SOURCE, "pearson")
    [index] = [i for i, line in enumerate(document.lines) if "only Units 1–4 are part" in line]
    document.lines[index] = document.lines[index].replace("Units 1–4", "Units 1–3")

    with pytest.raises(ParseError, match="Annexe A says Units 1-3 make up the Certificate"):
        parse(document)


def test_annexe_a_statements_run_together_are_split_one_per_line() -> None:
    statements = {s.code: s for s in spec().standards[0].statements}
    assert statements["K1"].text.split("\n")[0] == (
        "Understand what continuous improvement means in a service environment and how your "
        "recommendations for change impact your organisation"
    )
    assert statements["S3"].text.split("\n") == [
        "Proactively gather customer feedback, through a variety of methods.",
        "Critically analyse, and evaluate the meaning, implication and facts and act upon it",
        "Analyse your customer types, to identify or anticipate their potential needs and "
        "expectations when providing your service",
    ]
    assert statements["B4"].text.split("\n") == [
        "Adopt a positive and enthusiastic attitude being open minded and able to tailor your "
        "service to each customer",
        "Be adaptable and flexible to your customer needs whilst continuing to work within the "
        "agreed customer service environment",
    ]


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("name", ["sfj-601-1109-4.txt", "imi-601-3456-2.txt"])
def test_a_document_of_another_kind_is_refused_naming_a_line(name: str) -> None:
    text = (SOURCES / name).read_text(encoding="utf-8")
    with pytest.raises(ParseError) as error:
        parse_lines(text.split("\n"), name=name)
    assert error.value.line is not None
    assert "not a Pearson BTEC Specialist specification" in error.value.message


def test_an_empty_document_is_refused() -> None:
    with pytest.raises(ParseError):
        parse_lines(["", ""])


@pytest.mark.parametrize("cut", [2900, 3100, 3195, 1700])
def test_a_truncated_copy_is_refused_naming_a_line(cut: int) -> None:
    with pytest.raises(ParseError) as error:
        parse_lines(raw_lines()[:cut])
    assert error.value.line is not None
    assert 1 <= error.value.line <= cut


def test_a_criterion_numbered_outside_its_outcome_is_refused() -> None:
    lines = raw_lines()
    assert lines[1651].startswith("\t\t2.8\t")
    lines[1651] = lines[1651].replace("2.8", "3.8", 1)
    with pytest.raises(ParseError) as error:
        parse_lines(lines)
    assert error.value.line == 1652
    assert "outside its learning outcome" in error.value.message


def test_a_gap_in_criterion_numbering_is_refused() -> None:
    lines = raw_lines()
    assert lines[661].startswith("\t\t2.2\t")
    del lines[661]  # Unit 1 AC2.2: AC2.3 moves up to line 662
    with pytest.raises(ParseError) as error:
        parse_lines(lines)
    assert error.value.line == 662
    assert "criterion 2.3 where 2.2 was expected" in error.value.message


def test_an_outcome_without_criteria_is_refused() -> None:
    lines = raw_lines()
    # Unit 6: drop every criterion row of outcome 2 except the outcome's own first row.
    assert lines[2444].startswith("2\tBe able to manage referrals")
    lines[2444] = "2\tBe able to manage referrals and escalations to achieve a positive outcome"
    del lines[2445:2452]
    with pytest.raises(ParseError) as error:
        parse_lines(lines)
    assert error.value.line == 2445


def test_a_unit_listed_in_a_structure_but_not_defined_is_refused() -> None:
    lines = raw_lines()
    lines[219] = "9\tAn undefined unit\t3\t24"
    with pytest.raises(ParseError) as error:
        parse_lines(lines)
    assert error.value.line == 220


def test_a_content_topic_out_of_sequence_is_refused() -> None:
    lines = raw_lines()
    assert lines[1941] == "21 Negotiating and Influencing others"
    lines[1941] = "2K Negotiating and Influencing others"
    with pytest.raises(ParseError) as error:
        parse_lines(lines)
    assert error.value.line == 1942
