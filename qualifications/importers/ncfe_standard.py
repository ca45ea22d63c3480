"""Parser for NCFE's mapping of an apprenticeship standard's KSBs to a qualification's criteria.

The source is a PDF converted to Markdown pipe tables with embedded HTML (seed notes, section
4 and 5.2). Title lines name the standard ("<Title> Apprenticeship Standard") and the
qualification ("NCFE Level 2 Diploma in ... (nnn/nnnn/n)"); then three 3-column tables open
with "| Knowledge | | Unit and assessment criteria |", "| Skills | ..." and "| Behaviours | ...".
Column 1 is a theme heading (first row of a theme only), column 2 a statement, column 3 either
"No mapping" or "Unit N <title>" groups followed by "n.m <criterion text>" items.

Every PDF page starts a new pipe table (an empty header row and a separator row); cells, and
words inside one criterion, continue across those breaks in rows whose first two cells are
empty. The parser merges the page tables, joins the fragments of a cell, and splits run-on
criteria on their numbers.

The document names units by NCFE ordinal only ("Unit 17", once "Unit 07"). Which unit that is
(the IMI unit's Ofqual reference) is inferred, not printed: the reviewed table lives in the
corrections facts ("Unit N": {value: <Ofqual ref>, line, why}). The qualification's units are
those of the IMI specification; this parser defines no units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qualifications.importers.base import ParseError, SourceDocument
from qualifications.importers.schema import (
    NOT_GIVEN,
    AwardingBody,
    CriterionLink,
    Group,
    Membership,
    Qualification,
    Specification,
    Standard,
    Statement,
)

BODY = AwardingBody(
    "NCFE",
    "NCFE",
    retention_rule=(
        "NCFE standard mapping: no retention period is stated - the centre must enter its own "
        "period."
    ),
    credit_transfer_rule="NCFE standard mapping: credit transfer is not stated.",
)
CATEGORIES = {"Knowledge": "K", "Skills": "S", "Behaviours": "B"}
MAPPING_HEADER = "Unit and assessment criteria"
NO_MAPPING = "No mapping"

STANDARD_RE = re.compile(r"^(?P<title>.+?)\s+Apprenticeship Standard$")
QUALIFICATION_RE = re.compile(
    r"^(?P<title>NCFE (?P<level>Level (?:\d|Entry \d)) (?P<kind>Award|Certificate|Diploma)\b.*?)"
    r"\s*\((?P<number>\d{3}/\d{4}/\d)\)$"
)
SEPARATOR_RE = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+\s*$")
TAG_RE = re.compile(r"<[^>]+>")
# A unit marker or a criterion number, each followed by white space.
MARKER_RE = re.compile(r"(?<![\w.])(?:Unit\s+(?P<unit>\d{1,2})|(?P<ac>\d{1,2}\.\d{1,2}))(?=\s)")
FACT_KEY_RE = re.compile(r"^Unit (\d+)$")


def _plain(text: str) -> str:
    text = TAG_RE.sub(" ", text).replace("**", "")
    return re.sub(r"\s+", " ", text).strip()


def _statement_text(cell: str) -> str:
    """Statement cell: bullets and flattened '- ' sub-bullets become one item per line."""
    text = _plain(cell)
    items: list[str] = []
    for part in text.split("\u2022"):
        items.extend(p.strip() for p in re.split(r"(?:^|\s)-\s+", part))
    return "\n".join(item for item in items if item)


def _compare(text: str) -> str:
    text = text.casefold()
    text = re.sub(r"[\u2018\u2019\u201c\u201d'\"]", "", text)
    text = re.sub(r"[-\u2013/]", " ", text)
    text = re.sub(r"[^\w\s]", "", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class _Row:
    category: str
    heading: str
    text: str
    line: int
    mapping: list[tuple[int, str]] = field(default_factory=list)  # (line, cell text)


def _cells(line: str, number: int) -> list[str]:
    stripped = line.strip()
    if not (stripped.startswith("|") and stripped.endswith("|")):
        raise ParseError(number, "a table row that does not start and end with '|'")
    cells = [cell.strip() for cell in stripped[1:-1].split("|")]
    if len(cells) != 3:
        raise ParseError(number, f"a table row with {len(cells)} cells; the mapping has 3")
    return cells


def _title_lines(document: SourceDocument) -> tuple[int, re.Match[str], int, re.Match[str]]:
    head = [(n, _plain(document.line(n))) for n in range(1, min(len(document.lines), 20) + 1)]
    standard = next(((n, m) for n, t in head if (m := STANDARD_RE.match(t))), None)
    qualification = next(((n, m) for n, t in head if (m := QUALIFICATION_RE.match(t))), None)
    table = next((n for n, t in head if t.startswith("|")), None)
    if standard is None or qualification is None or table is None:
        first = next((n for n, t in head if t), 1)
        raise ParseError(
            first,
            "not an NCFE standard mapping (expected '<title> Apprenticeship Standard', "
            "'NCFE Level N ... (nnn/nnnn/n)' and pipe tables at the top)",
        )
    return standard[0], standard[1], qualification[0], qualification[1]


def _rows(document: SourceDocument, start: int) -> list[_Row]:
    rows: list[_Row] = []
    category = ""
    heading = ""
    seen: list[str] = []
    for number in range(start, len(document.lines) + 1):
        line = document.line(number)
        if not line.strip() or SEPARATOR_RE.match(line.strip()):
            continue
        c1, c2, c3 = (_plain(cell) for cell in _cells(line, number))
        if c3 == MAPPING_HEADER and not c2:
            if c1 not in CATEGORIES:
                raise ParseError(number, f"unknown KSB category {c1!r}")
            if CATEGORIES[c1] in seen:
                raise ParseError(number, f"a second {c1} table")
            category, heading = CATEGORIES[c1], ""
            seen.append(category)
            continue
        if not (c1 or c2 or c3):
            continue  # the empty header row each page table starts with
        if not category:
            raise ParseError(number, "a mapping row before the Knowledge table's header")
        if c2:
            if c1:
                heading = c1
            if not heading:
                raise ParseError(number, "a statement without a theme heading")
            rows.append(_Row(category, heading, _statement_text(_cells(line, number)[1]), number))
        elif c1:
            raise ParseError(number, "a theme heading without a statement")
        elif not rows or rows[-1].category != category:
            raise ParseError(number, "a continuation row with no statement to continue")
        if c3:
            rows[-1].mapping.append((number, _cells(line, number)[2]))
    missing = [name for name, code in CATEGORIES.items() if code not in seen]
    if missing:
        raise ParseError(
            len(document.lines), f"document ends before the {missing[0]} table: truncated?"
        )
    for row in rows:
        if not row.mapping:
            raise ParseError(row.line, "a statement with neither criteria nor 'No mapping'")
    return rows


def _unit_keys(document: SourceDocument) -> dict[int, str]:
    keys: dict[int, str] = {}
    for key, fact in document.facts.items():
        if m := FACT_KEY_RE.match(key):
            keys[int(m.group(1))] = fact["value"]
    return keys


def _links(
    row: _Row,
    keys: dict[int, str],
    titles: dict[int, tuple[str, int]],
    padded: list[tuple[int, str]],
) -> list[CriterionLink]:
    """Split a statement's mapping fragments into criterion links, carrying the unit."""
    text_parts: list[str] = []
    offsets: list[tuple[int, int]] = []  # (offset in joined text, source line)
    position = 0
    for line, cell in row.mapping:
        plain = _plain(cell)
        offsets.append((position, line))
        text_parts.append(plain)
        position += len(plain) + 1
    joined = " ".join(text_parts) + " "

    def line_at(offset: int) -> int:
        return max(line for start, line in offsets if start <= offset)

    links: list[CriterionLink] = []
    unit: int | None = None
    markers = list(MARKER_RE.finditer(joined))
    if markers and joined[: markers[0].start()].strip():
        raise ParseError(row.mapping[0][0], "mapping text before any unit or criterion")
    for index, marker in enumerate(markers):
        end = markers[index + 1].start() if index + 1 < len(markers) else len(joined)
        body = joined[marker.end() : end].strip()
        line = line_at(marker.start())
        if marker.group("unit"):
            unit = int(marker.group("unit"))
            if marker.group("unit").startswith("0"):
                padded.append((line, marker.group("unit")))
            if unit not in keys:
                raise ParseError(
                    line,
                    f"Unit {unit} has no reviewed unit reference in the ncfe-standard "
                    "corrections facts",
                )
            title = body
            if not title:
                raise ParseError(line, f"Unit {unit} without a title")
            known = titles.setdefault(unit, (title, line))
            if _compare(known[0]) != _compare(title):
                raise ParseError(
                    line,
                    f"Unit {unit} is titled {title!r} here but {known[0]!r} on line {known[1]}",
                )
            continue
        if unit is None:
            raise ParseError(line, f"criterion {marker.group('ac')} before any unit")
        if not body:
            raise ParseError(line, f"criterion {marker.group('ac')} without text")
        links.append(CriterionLink(keys[unit], marker.group("ac"), body, line))
    return links


def _flag_misprinted(statements: list[Statement], keys: dict[int, str]) -> list[str]:
    """A number printed with another criterion's text (same unit) is flagged on the link."""
    texts: dict[tuple[str, str], set[str]] = {}
    for statement in statements:
        for link in statement.criteria:
            texts.setdefault((link.unit, link.criterion), set()).add(_compare(link.printed_text))
    ncfe = {key: number for number, key in keys.items()}
    notes: list[str] = []
    for statement in statements:
        for link in statement.criteria:
            if len(texts[(link.unit, link.criterion)]) < 2:
                continue
            printed = _compare(link.printed_text)
            other = sorted(
                number
                for (unit, number), variants in texts.items()
                if unit == link.unit and number != link.criterion and printed in variants
            )
            if not other:
                continue
            link.note = (
                f"printed text matches {other[0]}, not {link.criterion}: source error (the "
                f"document prints {other[0]}'s text under the number {link.criterion}; the "
                f"link is kept to {link.criterion} as printed)"
            )
            notes.append(
                f"line {link.line}: statement {statement.code} links Unit {ncfe[link.unit]} "
                f"{link.criterion} but prints the text of {other[0]} "
                f"({link.printed_text!r}); kept as {link.criterion}, flagged for review."
            )
    return notes


def parse(document: SourceDocument) -> Specification:
    standard_line, standard_match, qual_line, qual_match = _title_lines(document)
    keys = _unit_keys(document)
    rows = _rows(document, qual_line + 1)

    titles: dict[int, tuple[str, int]] = {}
    padded: list[tuple[int, str]] = []
    statements: list[Statement] = []
    counters = dict.fromkeys(CATEGORIES.values(), 0)
    for row in rows:
        counters[row.category] += 1
        statement = Statement(
            category=row.category,
            heading=row.heading,
            code=f"{row.category}{counters[row.category]}",
            text=row.text,
        )
        if len(row.mapping) == 1 and _plain(row.mapping[0][1]) == NO_MAPPING:
            statement.no_mapping = True
            statement.note = f"The document says 'No mapping' (line {row.mapping[0][0]})."
        else:
            links = _links(row, keys, titles, padded)
            seen: set[tuple[str, str]] = set()
            for link in links:
                if (link.unit, link.criterion) in seen:
                    raise ParseError(link.line, f"criterion {link.criterion} linked twice")
                seen.add((link.unit, link.criterion))
            statement.criteria = links
        statements.append(statement)

    notes = [
        'The document names units by NCFE number only ("Unit 1" ...); it prints no Ofqual '
        "unit references, groups or credits. The unit identity (NCFE Unit N = the IMI 601/3456/2 "
        "unit at row N of its unit tables, same Ofqual reference) is inferred: see the "
        "ncfe-standard corrections facts, each citing its evidence.",
        "The rules of combination are not stated in this document (rules_given is False); "
        "group U lists only the units the mapping names.",
    ]
    for line, printed in padded:
        notes.append(
            f"line {line}: 'Unit {printed}' is printed with a leading zero; read as Unit "
            f"{int(printed)}."
        )
    notes.extend(_flag_misprinted(statements, keys))

    number = qual_match.group("number")
    level = qual_match.group("level").replace("Level ", "").replace("Entry ", "E")
    qualification = Qualification(
        number=number,
        title=qual_match.group("title"),
        level=level,
        qualification_type=qual_match.group("kind"),
        source=(
            f"{document.name} ({_plain(document.line(standard_line))}; "
            f"{_plain(document.line(qual_line))}; no version or date printed)"
        ),
        rules_given=False,
        groups=[
            Group(
                code="U",
                name="Units named in the mapping document",
                mandatory=False,
                units=[Membership(unit=keys[n], code=f"Unit {n}") for n in sorted(titles)],
            )
        ],
        notes=notes,
    )
    title = standard_match.group("title")
    standard = Standard(
        code=re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
        title=title,
        qualification=number,
        reference=NOT_GIVEN,
        statements=statements,
    )
    return Specification(
        source=document.name,
        awarding_body=BODY,
        qualifications=[qualification],
        units=[],
        standards=[standard],
    )
