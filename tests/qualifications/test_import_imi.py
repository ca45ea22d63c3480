"""The IMI Learner Assessment Record parser, checked against the seed notes and the source text."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from qualifications.importers.base import ParseError, SourceDocument, read_document
from qualifications.importers.imi import parse
from qualifications.importers.schema import NOT_GIVEN, Criterion, LevelRule, Specification, Unit

SOURCE = Path(__file__).resolve().parents[2] / "fixtures" / "sources" / "imi-601-3456-2.txt"
OTHER = SOURCE.parent / "ncfe-601-3973-0-standard-mapping.txt"

# group | CFA ref | Ofqual ref | title (table) | credit | level | GLH | ACs per LO (notes, 1.3)
UNITS = """
A|CS 7|A/506/2130|Deliver customer service|5|2|27|6/4/2/6/2
A|CS 8|F/506/2131|Understand customers|2|2|17|4/5
A|CS 9|J/506/2132|Principles of customer service|4|2|34|7/5/6/5
A|B&A 38|A/506/1964|Understand employer organisations|4|2|40|3/3
A|M&L 1|L/506/1788|Manage personal performance and development|4|2|18|5/3/7/5
B|CS 5|D/506/2119|Communicate verbally with customers|3|2|14|6/10
B|CS 6|T/506/2126|Communicate with customers in writing|3|2|20|4/3/4
C|CS 10|H/506/2154|Deal with incoming telephone calls from customers|3|2|16|7/6/5
C|CS 11|K/506/2155|Make telephone calls to customers|3|2|16|8/4/9
C|CS 12|L/506/2133|Promote additional products and/or services to customers|2|2|14|4/4
C|CS 13|R/506/2134|Process information about customers|3|2|14|5/6
C|CS 14|Y/506/2135|Exceed customer expectations|3|2|15|4/6
C|CS 15|T/506/2143|Deliver customer service whilst working on customer's premises|4|2|20|6/7
C|CS 16|T/506/2157|Carry out customer service handovers|3|2|15|4/3/5
C|CS 17|A/506/2158|Resolve customer service problems|5|2|22|6/8/2
C|CS 18|F/506/2159|Deliver customer service to challenging customers|3|2|16|7/7
C|CS 19|Y/506/2149|Develop customer relationships|3|2|18|7/5
C|CS 20|T/506/2160|Support customer service improvements|3|2|12|3/3/3
C|CS 21|A/506/2161|Support customers through real-time online customer service|3|2|15|4/3/4
C|CS 22|H/506/2977|Support customers using self-service equipment|3|2|18|4/2/4
C|CS 23|J/506/2163|Use social media to deliver customer service|3|2|18|7/4
C|CS 24|K/506/2978|Provide post-transaction customer service|5|2|22|5/6
C|CS 31|R/506/2151|Resolve customers' complaints|4|3|22|8/9
C|CS 32|D/506/2170|Gather, analyse and interpret customer feedback|5|3|24|9/3/3/4
D|HSPW2|T/505/4673|Health and safety procedures in the workplace|2|2|16|4/4
D|B&A 13|L/506/1807|Manage diary systems|2|2|12|4/6
D|B&A 19|H/506/1814|Provide reception services|3|2|15|5/7
D|B&A 27|L/506/1869|Contribute to the organisation of an event|3|2|23|6/5/3/2
D|B&A 35|M/506/1895|Buddy a colleague to develop their skills|3|2|19|3/4/6
D|B&A 39|L/506/1905|Employee rights and responsibilities|2|2|16|6/4
D|M&L 2|R/506/1789|Develop working relationships with colleagues|3|2|19|5/4/4
D|M&L 7|J/506/1806|Principles of equality and diversity in the workplace|2|2|10|5/3
D|SAL2-7|M/502/8587|Processing sales orders|2|2|17|7/9/3
D|SAL2-13|R/502/8601|Meeting customers' after sales needs|3|2|14|2/5/3
D|SAL2-14|M/502/8606|Handling objections and closing sales|3|2|22|10/5/6/3
D|CC38|K/503/0421|Deal with incidents through a contact centre|7|2|40|7/3/8
D|CC19|L/503/0394|Carry out direct sales activities in a contact centre|5|2|15|4/7/2/2/8
D|B&A 42|H/506/1912|Negotiate in a business environment|4|3|18|4/6/4
D|BS2|F/502/4396|Bespoke software|3|2|20|3/3/3
"""
ROWS = [line.split("|") for line in UNITS.strip().splitlines()]


@cache
def spec() -> Specification:
    return parse(read_document(SOURCE, "imi"))


def unit(key: str) -> Unit:
    return next(u for u in spec().units if u.key == key)


def criterion(key: str, number: str) -> Criterion:
    return next(c for o in unit(key).outcomes for c in o.criteria if c.number == number)


def test_it_reads_the_qualification_facts() -> None:
    s = spec()
    assert s.source == "imi-601-3456-2.txt"
    assert (s.awarding_body.code, s.awarding_body.name) == (
        "IMI",
        "Institute of the Motor Industry",
    )
    assert s.standards == []
    (q,) = s.qualifications
    assert q.number == "601/3456/2"
    assert q.title == "IMI Level 2 Diploma in Customer Service"
    assert q.level == "2"
    assert q.qualification_type == "Diploma"
    assert q.source == (
        "imi-601-3456-2.txt (IMI Level 2 Diploma in Customer Service, QUALIFICATION "
        "SPECIFICATION PART B LEARNER ASSESSMENT RECORD, Version 1: September 2014)"
    )
    assert (q.credit_value, q.min_credits, q.max_credits) == (45, 45, None)
    assert (q.glh, q.glh_max, q.tqt) == (245, 305, None)
    assert q.grading == "pass"
    assert q.rules_given is True
    assert q.barred == []


def test_it_reads_the_rules_of_combination() -> None:
    (q,) = spec().qualifications
    assert q.rules_text.startswith("To achieve a Level 2 Diploma in Customer Service, learners")
    assert q.rules_text.endswith("Minimum GLH: 245\nMaximum GLH: 305")
    assert [(r.min_credits, r.level, r.at_or_above, r.groups) for r in q.level_rules] == [
        (45, "2", True, [])
    ]
    assert isinstance(q.level_rules[0], LevelRule)
    assert q.level_rules[0].rule_text == (
        "A minimum of 45 credits must be achieved through the completion of units at Level 2 "
        "or above."
    )
    got = [(g.code, g.name, g.mandatory, g.min_credits, g.max_credits) for g in q.groups]
    assert got == [
        ("A", "Mandatory Group A", True, 19, 19),
        ("B", "Optional Group B", False, 3, None),
        ("C", "Optional Group C", False, 16, None),
        ("D", "Optional Group D", False, None, 7),
    ]
    assert [g.rule_text for g in q.groups] == [
        "Group A: 19 credits must be achieved",
        "Group B: A minimum of 3 credits must be achieved",
        "Group C: A minimum of 16 credits must be achieved",
        "Group D: A maximum of 7 credits may be achieved",
    ]
    assert all(g.min_units is None and g.max_units is None for g in q.groups)


def test_it_puts_every_unit_in_its_group_with_its_cfa_code() -> None:
    (q,) = spec().qualifications
    got = [(g.code, m.code, m.unit) for g in q.groups for m in g.units]
    assert got == [(row[0], row[1], row[2]) for row in ROWS]
    assert [len(g.units) for g in q.groups] == [5, 2, 17, 15]
    credits = {u.key: u.credit for u in spec().units}
    assert sum(credits[m.unit] for m in q.groups[0].units) == 19


def test_it_reads_every_unit_with_key_title_level_credit_and_glh() -> None:
    got = [(u.key, u.reference, u.title, u.credit, u.level, u.glh, u.kind) for u in spec().units]
    assert got == [(r[2], r[2], r[3], int(r[4]), r[5], int(r[6]), "") for r in ROWS]


@pytest.mark.parametrize("row", ROWS, ids=[row[1] for row in ROWS])
def test_it_reads_the_outcomes_and_criteria_of_each_unit_as_counted_in_the_notes(
    row: list[str],
) -> None:
    u = unit(row[2])
    per_lo = [int(n) for n in row[7].split("/")]
    assert [o.number for o in u.outcomes] == [str(n) for n in range(1, len(per_lo) + 1)]
    assert [len(o.criteria) for o in u.outcomes] == per_lo
    for outcome in u.outcomes:
        numbers = [c.number for c in outcome.criteria]
        assert numbers == [f"{outcome.number}.{i}" for i in range(1, len(numbers) + 1)]
        assert outcome.text
        assert outcome.text != NOT_GIVEN
        for c in outcome.criteria:
            assert c.text
            assert not re.search(r"<|\t|  |\*\*", c.text)


def test_it_counts_39_units_109_outcomes_and_535_criteria() -> None:
    units = spec().units
    assert len(units) == 39
    assert sum(len(u.outcomes) for u in units) == 109
    assert sum(len(o.criteria) for u in units for o in u.outcomes) == 535


def test_it_records_where_each_unit_starts() -> None:
    lines = {u.key: u.source_line for u in spec().units}
    assert lines["A/506/2130"] == 144
    assert lines["F/502/4396"] == 1600
    assert lines["K/503/0421"] == 1476


def test_it_reads_mapping_codes_and_treats_none_and_na_as_empty() -> None:
    assert unit("A/506/2130").nos == [
        "CFACSA1",
        "CFACSA2",
        "CFACSA4",
        "CFACSA7",
        "CFACSA8",
        "CFACSB1",
        "CFACSB2",
        "CFACSF2",
    ]
    assert unit("F/506/2131").nos == ["CFACSF3", "CFACSB15"]
    assert unit("L/506/1788").nos == ["CFAM&LAA1"]
    assert unit("M/506/1895").nos == ["CFACSD5249"]
    assert unit("K/506/2978").nos == []  # "None"
    assert unit("K/503/0421").nos == []  # "N/A"


def test_it_reads_the_rationale_as_printed() -> None:
    assert unit("A/506/2130").aim.startswith("This unit aims to develop the knowledge and skills")
    # wrapped in <p> in the source (line 226)
    assert unit("J/506/2132").aim.startswith("This unit aims to develop knowledge and")
    assert unit("J/506/2132").aim.endswith("management of customer service information.")
    # "Rationale. :" (line 435)
    assert unit("H/506/2154").aim.startswith("This unit aims to develop the knowledge")
    # "Rationale: None" (lines 1086, 1605)
    assert unit("T/505/4673").aim == NOT_GIVEN
    assert unit("F/502/4396").aim == NOT_GIVEN
    # copied from the social-media unit, kept as printed and noted (line 311)
    assert "through social media" in unit("L/506/1788").aim
    assert unit("L/506/2133").aim.endswith(
        "promote additional products and/or services to customers."
    )


def test_it_copies_criterion_and_outcome_texts_exactly() -> None:
    cs7 = unit("A/506/2130")
    assert cs7.outcomes[0].text == "Understand customer service delivery"
    assert cs7.outcomes[4].text == "Be able to support improvements to customer service delivery"
    assert criterion("A/506/2130", "4.6").text == (
        "Adhere to organisational policies and procedures, legal and ethical requirements "
        "when providing customer service"
    )
    # curly quotes stay curly (lines 360, 365, 369)
    assert (
        criterion("D/506/2119", "1.3").text
        == "Explain why \u201ccustomer service language\u201d is used"
    )
    assert (
        criterion("D/506/2119", "2.2").text
        == "Listen \u201cactively\u201d to what customers are saying"
    )
    assert criterion("D/506/2119", "2.6").text == (
        "Adapt their response in accordance with customers\u2019 changing behaviour"
    )
    assert criterion("D/506/2119", "2.10").text.startswith("Adhere to organisational policies")
    assert criterion("M/502/8606", "1.10").text == (
        "State who to go to when in need of support to overcome objections"
    )


def test_it_survives_numbering_anomalies() -> None:
    # LO without a dot (lines 1491, 1538)
    assert unit("K/503/0421").outcomes[1].text == (
        "Be able to use contact centre communications systems to deploy incident management "
        "resources"
    )
    assert unit("L/503/0394").outcomes[2].text == (
        "Be able to keep direct sales records within a contact centre"
    )
    # AC with an extra dot (lines 930, 1048)
    assert criterion("J/506/2163", "1.5").text == (
        "Explain the etiquette of communication within different social media platforms"
    )
    assert criterion("D/506/2170", "1.9").text.startswith("Explain the importance of anonymising")


def test_it_merges_outcomes_across_repeated_grid_headers_and_page_breaks() -> None:
    # one-row header repeated at line 332, two-row header at lines 1525-1526 and 1545
    assert unit("L/506/1788").outcomes[3].text == "Be able to fulfil a personal development plan"
    assert len(unit("L/506/1788").outcomes[3].criteria) == 5
    assert unit("L/503/0394").outcomes[4].criteria[7].text == (
        "Describe the organisational procedures for ensuring compliance with relevant "
        "regulation and legislation that have an impact on direct selling"
    )


def test_it_keeps_a_lettered_list_inside_a_criterion_one_item_per_line() -> None:
    hspw2 = unit("T/505/4673")
    assert hspw2.outcomes[0].text == "Know health and safety procedures in the workplace."
    assert criterion("T/505/4673", "1.1").text == (
        "Define the main responsibilities for health and safety in the workplace of the "
        "following:\na. employers\nb. employees"
    )
    # the source's typo and full stop are kept
    assert criterion("T/505/4673", "1.2").text == (
        "Describe two health and safety laws affecting affecting the workplace."
    )


def test_it_attaches_guidance_to_the_right_criterion() -> None:
    assert criterion("A/506/2130", "1.6").guidance == (
        "Methods of measuring their own effectiveness may include, but are not limited to:\n"
        "customer feedback\npeer feedback\nreviewing performance against targets"
    )
    assert criterion("A/506/2130", "1.1").guidance == ""
    # continuation row with an empty first cell (lines 385-386)
    assert criterion("D/506/2119", "1.5").guidance == (
        "A verbal signal is a phrase or statement said by the customer.\n"
        "A non-verbal signal is the body language of the customer"
    )
    # spaces before punctuation removed (lines 580-581)
    assert criterion("R/506/2134", "2.3").guidance == (
        "The learner should be able to differentiate between authorised and unauthorised "
        "people.\nTimely manner, in line with organisational procedures"
    )
    # <i> markup dropped (line 583)
    assert criterion("R/506/2134", "2.6").guidance == (
        "Learners should also have an understanding of which legal requirements affect their "
        "activities"
    )
    # stray '#' removed by the reviewed correction (line 467)
    assert criterion("H/506/2154", "2.4").guidance.splitlines()[3] == (
        "Avoiding distractions, assumptions and interruptions"
    )


def test_it_keeps_nested_guidance_lists_readable() -> None:
    guidance = criterion("Y/506/2135", "1.2").guidance.splitlines()
    assert guidance[:5] == [
        "Legislation could include;",
        "Sale of goods Act 1979 (as amended)",
        "Age restrictive legislation covering for example the sale of:",
        "- Tobacco",
        "- Children and Young Persons (Protection from Tobacco) Act 1991 and Children and "
        "Young Person (Sale of Tobacco) Order 2007",
    ]
    assert "- Spray paint \u2013 Anti Social Behaviour Act 2003" in guidance
    assert guidance[-1] == "H&S at work implications of any offer, e.g., working hours"


def test_it_matches_misnumbered_guidance_rows_on_their_text() -> None:
    # row "2.4" at line 215 is AC 2.1's text
    assert criterion("F/506/2131", "2.1").guidance.startswith("Service offer is defined as")
    assert criterion("F/506/2131", "2.4").guidance == ""
    # row "2.4" at line 387 is AC 2.2's text
    assert criterion("D/506/2119", "2.2").guidance.startswith("Listening actively refers to:")
    assert criterion("D/506/2119", "2.4").guidance == ""
    # row "1.1" at line 653 is AC 1.5's text
    assert criterion("T/506/2143", "1.5").guidance.startswith("Risks are situations or hazards")
    assert criterion("T/506/2143", "1.1").guidance == ""
    # row "1.1" at line 1320 is AC 1.3's text
    assert criterion("R/506/1789", "1.3").guidance.startswith("Conflict management techniques")
    # B&A 27: row "3.1" at line 1212 is AC 3.2's text with an empty cell; 1.2's cell is empty
    assert criterion("L/506/1869", "3.1").guidance == (
        "The layout includes the arrangement of furniture and other environmental features"
    )
    assert criterion("L/506/1869", "3.2").guidance == ""
    assert criterion("L/506/1869", "1.2").guidance == ""


def test_it_counts_the_criteria_with_guidance() -> None:
    with_guidance = {
        u.key: sum(1 for o in u.outcomes for c in o.criteria if c.guidance) for u in spec().units
    }
    # 103 guidance rows (notes 1.3), two of them with an empty guidance cell
    assert sum(with_guidance.values()) == 101
    assert with_guidance["J/506/2132"] == 9
    assert with_guidance["R/506/2134"] == 8
    assert with_guidance["L/506/1869"] == 6


def test_it_marks_units_without_guidance() -> None:
    none = [u.key for u in spec().units if u.guidance]
    assert none == [
        "L/506/1788",
        "T/505/4673",
        "L/506/1905",
        "M/502/8587",
        "R/502/8601",
        "M/502/8606",
        "K/503/0421",
        "L/503/0394",
        "H/506/1912",
        "F/502/4396",
    ]
    assert unit("F/502/4396").guidance == "No assessment guidance available for this unit."


def test_it_records_source_errors_in_the_notes_with_lines() -> None:
    notes = spec().qualifications[0].notes
    for line in ("215", "387", "653", "1320", "1212", "1210", "511", "583", "625", "311"):
        assert any(re.match(rf"line {line}\b", note) for note in notes), line
    assert any("CUSTOMERS' PREMISES" in note for note in notes)


# --- malformed input -------------------------------------------------------------------------


def document(lines: list[str]) -> SourceDocument:
    real = read_document(SOURCE, "imi")
    return replace(real, lines=lines)


def source_lines() -> list[str]:
    return list(read_document(SOURCE, "imi").lines)


def test_it_refuses_a_document_of_another_kind() -> None:
    other = read_document(OTHER, "ncfe-standard")
    with pytest.raises(ParseError) as error:
        parse(SourceDocument(other.name, other.lines, {}))
    assert error.value.line == 3
    assert "not an IMI Learner Assessment Record" in error.value.message


def test_it_refuses_a_truncated_copy_naming_the_last_line() -> None:
    lines = source_lines()[:700]  # ends inside CS 17's grid
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert error.value.line == 700
    assert "CS 17" in error.value.message


def test_it_refuses_a_copy_cut_after_a_complete_unit() -> None:
    lines = source_lines()[:1625]  # the assessor comments sheet is missing
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert error.value.line == 1625
    assert "truncated" in error.value.message


def test_it_refuses_a_criterion_numbered_outside_its_outcome() -> None:
    lines = source_lines()
    assert lines[159 - 1].startswith("\t2.2 Explain how a brand")
    lines[159 - 1] = lines[159 - 1].replace("2.2 Explain", "3.2 Explain")
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert error.value.line == 159
    assert "outside its learning outcome 2" in error.value.message


def test_it_refuses_a_gap_in_criterion_numbering() -> None:
    lines = source_lines()
    lines[160 - 1] = lines[160 - 1].replace("2.3 Explain", "2.4 Explain")
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert error.value.line == 160


def test_it_refuses_a_unit_with_no_criteria() -> None:
    lines = source_lines()
    # blank out CS 8's whole grid (lines 198-206)
    for n in range(198, 207):
        lines[n - 1] = ""
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert "CS 8" in error.value.message
    assert "no learning outcomes" in error.value.message


def test_it_refuses_a_unit_record_that_is_not_in_the_tables() -> None:
    lines = source_lines()
    lines[87 - 1] = lines[87 - 1].replace("CS 8", "CS 98")
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert error.value.line == 190
    assert "unit CS 8 is not in the unit tables" in error.value.message


def test_it_refuses_a_guidance_table_of_another_unit() -> None:
    lines = source_lines()
    lines[211 - 1] = "Unit CS 9 Assessment Guidance table"
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert error.value.line == 211


def test_it_refuses_an_unreadable_ofqual_reference() -> None:
    lines = source_lines()
    lines[87 - 1] = lines[87 - 1].replace("F/506/213 1", "F/506/21")
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert error.value.line == 87


def test_it_refuses_a_guidance_row_that_matches_no_criterion() -> None:
    lines = source_lines()
    lines[183 - 1] = "2.1 Something quite unrelated to this unit\tSome guidance"
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert error.value.line == 183
