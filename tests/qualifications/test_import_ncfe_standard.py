"""The NCFE standard-mapping parser, checked against the seed notes (section 4) and the source."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path

import pytest

from qualifications.importers import imi
from qualifications.importers.base import ParseError, SourceDocument, read_document
from qualifications.importers.ncfe_standard import parse
from qualifications.importers.schema import NOT_GIVEN, Specification, Statement

SOURCES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"
SOURCE = SOURCES / "ncfe-601-3973-0-standard-mapping.txt"
IMI = SOURCES / "imi-601-3456-2.txt"

NCFE_UNITS = {
    1: "A/506/2130",
    2: "F/506/2131",
    3: "J/506/2132",
    5: "L/506/1788",
    6: "D/506/2119",
    7: "T/506/2126",
    8: "H/506/2154",
    12: "Y/506/2135",
    15: "A/506/2158",
    16: "F/506/2159",
    17: "Y/506/2149",
    25: "T/505/4673",
    31: "R/506/1789",
    32: "J/506/1806",
}

# (code, heading, mapping as NCFE unit: criteria), copied from the notes' table in section 4.3
EXPECTED = [
    ("K1", "Knowing your customers", "No mapping"),
    ("K2", "Knowing your customers", ("U2: 1.1; U17: 1.7")),
    (
        "K3",
        "Knowing your customers",
        (
            "U1: 1.1, 1.3, 1.4, 1.6; "
            "U2: 1.2; "
            "U3: 2.3, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6; "
            "U7: 1.1; "
            "U15: 1.2, 1.3; "
            "U16: 1.1, 1.2; "
            "U17: 1.1, 1.3, 1.7"
        ),
    ),
    ("K4", "Understanding the organisation", "U1: 2.1, 2.2, 2.3, 2.4"),
    ("K5", "Understanding the organisation", "No mapping"),
    ("K6", "Understanding the organisation", ("U15: 1.1; U16: 1.2, 1.6; U25: 1.1, 1.2")),
    (
        "K7",
        "Meeting regulations and legislation",
        ("U3: 2.1, 2.2, 2.3, 2.4, 2.5; U7: 1.4; U12: 1.2; U25: 1.1, 1.2; U32: 1.2, 1.3, 1.4, 1.5"),
    ),
    ("K8", "Meeting regulations and legislation", ("U12: 1.4; U25: 1.3, 1.4; U32: 2.1, 2.2, 2.3")),
    ("K9", "Systems and resources", "U15: 1.1, 1.6"),
    ("K10", "Systems and resources", ("U15: 1.1, 1.5, 1.6; U17: 1.4")),
    ("K11", "Your role and responsibility", ("U5: 1.1; U16: 1.6; U17: 1.5; U31: 1.1, 1.4, 1.5")),
    ("K12", "Your role and responsibility", "U5: 1.1, 1.2"),
    (
        "K13",
        "Customer experience",
        ("U3: 3.1, 3.2, 3.6; U6: 1.1, 1.3, 1.4, 1.5, 1.6; U15: 1.2, 1.5"),
    ),
    (
        "K14",
        "Customer experience",
        ("U2: 2.4, 2.5; U3: 3.3, 3.4, 3.5, 3.6; U17: 1.1, 1.2, 1.3, 1.7"),
    ),
    ("K15", "Product and service knowledge", ("U1: 3.1; U16: 2.3, 2.4, 2.5")),
    (
        "S1",
        "Interpersonal skills",
        (
            "U1: 4.1, 4.2, 4.3, 4.4, 4.5; "
            "U6: 2.2, 2.3, 2.4, 2.5, 2.6, 2.9; "
            "U8: 2.1, 2.2, 2.3, 2.4, 2.5, 3.1, 3.2, 3.4, 3.5; "
            "U12: 2.1, 2.2, 2.3, 2.4, 2.5; "
            "U15: 2.3, 2.4, 2.5; "
            "U16: 2.1, 2.2, 2.3, 2.4, 2.5; "
            "U17: 2.1, 2.2, 2.4, 2.5"
        ),
    ),
    (
        "S2",
        "Communication",
        (
            "U6: 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.9; "
            "U7: 3.1, 3.2, 3.3, 3.4; "
            "U8: 2.2, 2.3, 2.4, 2.5, 2.6, 3.1, 3.2, 3.4, 3.5; "
            "U12: 2.2, 2.6; "
            "U15: 2.3; "
            "U16: 2.2, 2.3, 2.4, 2.5; "
            "U17: 2.1, 2.2, 2.4, 2.5"
        ),
    ),
    ("S3", "Communication", ("U6: 2.8, 2.10; U7: 2.3, 3.1, 3.4; U12: 2.2; U15: 2.8")),
    (
        "S4",
        "Influencing skills",
        (
            "U6: 2.1, 2.3, 2.7; "
            "U7: 2.3, 3.1, 3.2; "
            "U8: 3.1, 3.2, 3.4; "
            "U12: 2.2, 2.3, 2.4, 2.5; "
            "U15: 2.2, 2.3, 2.4; "
            "U16: 2.3, 2.4, 2.5; "
            "U17: 2.1, 2.2, 2.4, 2.5"
        ),
    ),
    ("S5", "Personal organisation", ("U5: 1.3, 2.1, 2.2; U31: 2.3, 3.4")),
    (
        "S6",
        "Dealing with customer conflict and challenge",
        ("U6: 2.2, 2.3, 2.4, 2.6, 2.8; U8: 2.2, 2.3; U15: 2.3"),
    ),
    (
        "S7",
        "Dealing with customer conflict and challenge",
        (
            "U6: 2.2, 2.4, 2.5, 2.6, 2.8, 2.10; "
            "U7: 3.1; "
            "U8: 2.4, 2.5; "
            "U15: 2.1, 2.2, 2.3, 2.4, 2.5; "
            "U16: 2.2; "
            "U17: 2.2, 2.4, 2.5"
        ),
    ),
    (
        "S8",
        "Dealing with customer conflict and challenge",
        (
            "U6: 2.4, 2.6, 2.7, 2.9, 2.10; "
            "U7: 3.2, 3.3; "
            "U8: 3.1, 3.2, 3.4, 3.5; "
            "U15: 2.5, 2.6, 3.1, 3.2; "
            "U16: 2.3, 2.4, 2.5, 2.6; "
            "U17: 2.1, 2.2, 2.4, 2.5"
        ),
    ),
    (
        "S9",
        "Dealing with customer conflict and challenge",
        (
            "U6: 2.1, 2.3, 2.6, 2.7, 2.9; "
            "U7: 2.3, 3.1, 3.2, 3.3, 3.4; "
            "U8: 3.2, 3.4, 3.5; "
            "U15: 2.3, 2.5, 2.6; "
            "U16: 2.2, 2.3, 2.4, 2.5, 2.7; "
            "U17: 2.1, 2.2, 2.4, 2.5"
        ),
    ),
    ("B1", "Developing self", ("U5: 4.2, 4.3; U31: 3.1")),
    ("B2", "Developing self", "U5: 3.1, 3.4, 3.5, 3.7, 4.1, 4.2, 4.3, 4.4"),
    ("B3", "Being open to feedback", ("U5: 3.2, 3.6; U31: 3.1")),
    ("B4", "Team working", ("U1: 5.1; U15: 2.7, 3.2; U17: 2.3, 2.4; U31: 2.1, 2.2, 2.3, 2.4, 3.1")),
    ("B5", "Team working", ("U1: 5.2; U15: 2.7; U17: 2.3; U31: 2.4, 3.1")),
    (
        "B6",
        "Equality \u2013 treating all customers as individuals",
        ("U1: 4.2; U6: 2.1, 2.2, 2.6, 2.7; U7: 3.1, 3.2; U8: 2.3, 3.1"),
    ),
    (
        "B7",
        "Equality \u2013 treating all customers as individuals",
        ("U1: 4.1, 4.3; U6: 2.10; U7: 3.4; U8: 2.1, 2.6; U16: 2.7"),
    ),
    (
        "B8",
        "Presentation \u2013 dress code, professional language",
        ("U1: 4.1; U6: 2.3, 2.8; U7: 3.1, 3.2; U8: 2.2, 2.3; U15: 2.3, 2.5, 2.6; U31: 3.2"),
    ),
    (
        "B9",
        "'Right first time'",
        (
            "U6: 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.9; "
            "U7: 3.1, 3.2; "
            "U8: 2.3, 2.4, 2.5, 2.6, 3.4; "
            "U12: 2.1, 2.2, 2.6; "
            "U15: 2.3, 2.5, 2.8; "
            "U16: 2.2, 2.3, 2.4; "
            "U17: 2.1, 2.2"
        ),
    ),
    ("B10", "'Right first time'", ("U7: 3.3; U8: 3.4, 3.5; U12: 2.4; U15: 2.6; U31: 3.2, 3.4")),
]


@cache
def spec() -> Specification:
    return parse(read_document(SOURCE, "ncfe-standard"))


@cache
def imi_spec() -> Specification:
    return imi.parse(read_document(IMI, "imi"))


def statements() -> dict[str, Statement]:
    return {s.code: s for s in spec().standards[0].statements}


def expected_links(mapping: str) -> list[tuple[str, str]]:
    if mapping == "No mapping":
        return []
    links = []
    for part in mapping.split("; "):
        unit, numbers = part.split(": ")
        links += [(NCFE_UNITS[int(unit[1:])], n) for n in numbers.split(", ")]
    return links


def test_it_reads_the_qualification_the_mapping_is_scoped_to() -> None:
    s = spec()
    assert s.source == "ncfe-601-3973-0-standard-mapping.txt"
    assert (s.awarding_body.code, s.awarding_body.name) == ("NCFE", "NCFE")
    assert s.units == []
    (q,) = s.qualifications
    assert q.number == "601/3973/0"
    assert q.title == "NCFE Level 2 Diploma in Customer Service"
    assert q.level == "2"
    assert q.qualification_type == "Diploma"
    assert q.source.startswith("ncfe-601-3973-0-standard-mapping.txt (Customer Service")
    assert q.rules_given is False
    assert (q.min_credits, q.credit_value, q.glh, q.glh_max) == (None, None, None, None)
    assert q.level_rules == []
    assert q.barred == []


def test_it_lists_the_named_units_in_one_group_with_ncfe_numbers() -> None:
    (q,) = spec().qualifications
    (group,) = q.groups
    assert (group.code, group.name, group.mandatory) == (
        "U",
        "Units named in the mapping document",
        False,
    )
    assert (group.min_credits, group.max_credits, group.min_units, group.max_units) == (
        None,
        None,
        None,
        None,
    )
    assert [(m.code, m.unit) for m in group.units] == [
        (f"Unit {n}", key) for n, key in NCFE_UNITS.items()
    ]


def test_it_notes_that_the_unit_identity_is_inferred() -> None:
    notes = spec().qualifications[0].notes
    assert any("inferred" in note and "corrections facts" in note for note in notes)
    assert any(note.startswith("line 15: 'Unit 07'") for note in notes)


def test_every_unit_fact_cites_a_line_naming_that_unit_and_an_imi_row() -> None:
    document = read_document(SOURCE, "ncfe-standard")
    imi_lines = read_document(IMI, "imi").lines
    assert len(document.facts) == 14
    for key, fact in document.facts.items():
        number = int(key.split()[1])
        assert re.search(rf"Unit 0?{number} ", document.line(fact["line"])), key
        imi_line = int(re.search(r"\(line (\d+)\)", fact["why"]).group(1))
        assert fact["value"].replace("/", "")[-1] in imi_lines[imi_line - 1]
        assert fact["value"][:-1] in imi_lines[imi_line - 1], key


def test_it_reads_the_standard() -> None:
    (standard,) = spec().standards
    assert standard.code == "customer-service-practitioner"
    assert standard.title == "Customer Service Practitioner"
    assert standard.reference == NOT_GIVEN
    assert standard.qualification == "601/3973/0"
    assert len(standard.statements) == 34


def test_it_generates_codes_per_category_and_keeps_headings_as_printed() -> None:
    got = [(s.code, s.category, s.heading) for s in spec().standards[0].statements]
    assert got == [(code, code[0], heading) for code, heading, _ in EXPECTED]


@pytest.mark.parametrize(("code", "heading", "mapping"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_it_links_each_statement_to_the_criteria_in_the_notes(
    code: str, heading: str, mapping: str
) -> None:
    statement = statements()[code]
    assert [(link.unit, link.criterion) for link in statement.criteria] == expected_links(mapping)
    assert statement.no_mapping is (mapping == "No mapping")


def test_it_counts_355_links_88_178_89() -> None:
    counts = Counter()
    for statement in spec().standards[0].statements:
        counts[statement.category] += len(statement.criteria)
    assert counts == {"K": 88, "S": 178, "B": 89}
    assert [s.code for s in spec().standards[0].statements if s.no_mapping] == ["K1", "K5"]


def test_it_reads_statement_texts_as_printed() -> None:
    s = statements()
    assert s["K1"].text == "Understand who customers are."
    assert s["K4"].text == "Know the purpose of the business and what 'brand promise' means."
    # wrapped in <p> at line 47, no full stop
    assert (
        s["K14"].text == "Understand how to build trust with a customer and why this is important"
    )
    # bullet glyph dropped (line 93)
    assert s["S6"].text == "Demonstrate patience and calmness."
    # sub-bullets flattened to " - " (line 70) are one item per line
    assert s["S2"].text == (
        "Depending on your job role and work environment:\n"
        "Use appropriate verbal and non-verbal communication skills, along with summarising "
        "language during face-to-face communications; and/or\n"
        "Use appropriate communication skills, along with reinforcement techniques (to confirm "
        "understanding) during non-facing customer interactions."
    )
    assert s["B7"].text == (
        "Uphold the organisations core values and service culture through your actions."
    )


def test_it_joins_criteria_split_across_page_tables() -> None:
    k13 = {(link.unit, link.criterion): link for link in statements()["K13"].criteria}
    link = k13[("J/506/2132", "3.2")]
    assert link.printed_text == "Explain how to identify customers' needs and expectations"
    assert link.line == 42
    assert k13[("J/506/2132", "3.6")].line == 46
    k7 = {(link.unit, link.criterion): link for link in statements()["K7"].criteria}
    assert k7[("J/506/1806", "1.5")].printed_text == (
        "Explain the potential consequences for an organisation of failing to comply with "
        "equality legislation"
    )
    s4 = {(link.unit, link.criterion): link for link in statements()["S4"].criteria}
    assert s4[("F/506/2159", "2.3")].printed_text == (
        "Explain to customers the limits of the service they can offer"
    )
    b3 = {(link.unit, link.criterion): link for link in statements()["B3"].criteria}
    assert b3[("L/506/1788", "3.6")].printed_text == (
        "Use feedback from others to identify their own development needs"
    )


def test_it_keeps_printed_wording_variants() -> None:
    k6 = {(link.unit, link.criterion): link for link in statements()["K6"].criteria}
    assert k6[("A/506/2158", "1.1")].printed_text == (
        "Describe an organisation's customer service and complaints procedures"
    )
    assert k6[("T/505/4673", "1.1")].printed_text == (
        "Define the main responsibilities for health and safety in the workplace of the "
        "following: employers employees"
    )
    assert k6[("T/505/4673", "1.2")].printed_text == (
        "Describe two health and safety laws affecting the workplace"
    )
    k13 = {(link.unit, link.criterion): link for link in statements()["K13"].criteria}
    assert (
        k13[("D/506/2119", "1.3")].printed_text == "Explain why 'customer service language' is used"
    )


def test_it_flags_the_unit_17_link_printed_with_the_text_of_1_4() -> None:
    k14 = statements()["K14"]
    link = next(c for c in k14.criteria if c.unit == "Y/506/2149" and c.criterion == "1.3")
    assert link.line == 51
    assert link.printed_text == (
        "Explain the use of customer feedback as a means of developing customer relationships"
    )
    assert link.note.startswith("printed text matches 1.4, not 1.3: source error")
    flagged = [link for s in spec().standards[0].statements for link in s.criteria if link.note]
    assert flagged == [link]
    assert any(note.startswith("line 51:") for note in spec().qualifications[0].notes)


def test_every_link_resolves_to_an_imi_criterion_with_nearly_the_same_text() -> None:
    imi_text = {
        (u.key, c.number): c.text for u in imi_spec().units for o in u.outcomes for c in o.criteria
    }

    def normal(text: str) -> str:
        text = re.sub(r"[\u2018\u2019\u201c\u201d'\"]", "", text.casefold())
        return re.sub(r"[^\w]+", " ", text.replace("-", " ")).strip()

    for statement in spec().standards[0].statements:
        for link in statement.criteria:
            canonical = imi_text[(link.unit, link.criterion)]
            ratio = SequenceMatcher(None, normal(link.printed_text), normal(canonical)).ratio()
            if link.note:
                assert ratio < 0.8, link
            else:
                assert ratio > 0.85, (link, canonical)


# --- malformed input -------------------------------------------------------------------------


def document(lines: list[str]) -> SourceDocument:
    return replace(read_document(SOURCE, "ncfe-standard"), lines=lines)


def source_lines() -> list[str]:
    return list(read_document(SOURCE, "ncfe-standard").lines)


def test_it_refuses_a_document_of_another_kind() -> None:
    other = read_document(IMI, "imi")
    with pytest.raises(ParseError) as error:
        parse(SourceDocument(other.name, other.lines, read_document(SOURCE, "ncfe-standard").facts))
    assert error.value.line == 5
    assert "not an NCFE standard mapping" in error.value.message


def test_it_refuses_a_truncated_copy_naming_the_last_line() -> None:
    with pytest.raises(ParseError) as error:
        parse(document(source_lines()[:100]))
    assert error.value.line == 100
    assert "Behaviours" in error.value.message


def test_it_refuses_a_unit_without_a_reviewed_reference() -> None:
    lines = source_lines()
    lines[10 - 1] = lines[10 - 1].replace("Unit 2 Understand", "Unit 4 Understand")
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert error.value.line == 10
    assert "Unit 4" in error.value.message


def test_it_refuses_a_mangled_table_row() -> None:
    lines = source_lines()
    lines[41 - 1] = lines[41 - 1].replace(" | <p>Unit 5", " <p>Unit 5")
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert error.value.line == 41


def test_it_refuses_a_criterion_before_any_unit() -> None:
    lines = source_lines()
    lines[21 - 1] = lines[21 - 1].replace("<p>Unit 1 Deliver Customer Service</p>", "")
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert error.value.line == 21


def test_it_refuses_a_statement_with_an_empty_mapping() -> None:
    lines = source_lines()
    lines[9 - 1] = lines[9 - 1].replace("No mapping", "")
    with pytest.raises(ParseError) as error:
        parse(document(lines))
    assert error.value.line == 9
