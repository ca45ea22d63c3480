"""Parser for a Pearson BTEC Specialist specification (text converted from PDF).

The document describes one or more qualifications that share a pool of numbered units
("Unit 1: Title"). It is read in this order:

- the cover (title, "Specification", "BTEC Specialist qualification", "First teaching ...");
- section "Qualification summary and key information": one tab-separated key/value table per
  qualification, each starting with "Qualification title";
- section "Qualification structures": per qualification, its minimum units / GLH and a table
  of units under a "Mandatory units" (or "Optional units") column;
- section "Units": per unit a header (Level, Unit type, Guided learning hours), the unit
  introduction, the learning outcome / assessment criteria table, the unit content ("What
  needs to be learned", topics 1A, 1B ...) and "Essential information for tutors and
  assessors" with its "Assessment" subsection;
- "Annexe A": the mapping of the apprenticeship standard's KSB groups to the units.

Conversion damage handled generically: tables split at page breaks (repeated header rows,
continuation rows with an empty outcome cell), running headers repeated in the unit content
("What needs to be learned", "Learning outcome N: ... (continued)"), "Learning aim" for
"Learning outcome", inconsistent header labels, markdown and HTML markup (including whole
topics printed as raw HTML with bullet glyphs), lists broken by page-break blank lines, topic
codes with the letter I read as the digit 1, ticks printed as "#", and Annexe A bullet
statements run together.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from qualifications.importers.base import ParseError, SourceDocument
from qualifications.importers.schema import (
    NOT_GIVEN,
    AwardingBody,
    Criterion,
    Group,
    Membership,
    Outcome,
    Qualification,
    Specification,
    Standard,
    Statement,
    Unit,
)

BODY = AwardingBody(
    code="PEARSON",
    name="Pearson",
    retention_rule=(
        'Pearson specification L460: records of assessment must be "retained as specified"; '
        "the period is in Pearson's UK Information Manual, not in the specification - the "
        "centre must enter its own period."
    ),
    credit_transfer_rule=(
        "Pearson specification: credit transfer is not stated (recognition of prior learning, "
        "L520-530, is a method of assessment, not a transfer)."
    ),
)

# --------------------------------------------------------------------------------------------
# Text cleaning
# --------------------------------------------------------------------------------------------

_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_INLINE_TAG_BEFORE_PUNCT = re.compile(r"(</(?:i|em|b|strong|u|span)>)\s+(?=[.,;:)])", re.I)
_INLINE_TAG = re.compile(r"</?(?:i|em|b|strong|u|span)(?:\s[^>]*)?>", re.I)
_TAG = re.compile(r"<[^>]+>")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_STRAY = re.compile("[\x00-\x08\x0b-\x1f\x7f\u00ad\u200b-\u200f\u2060\ufeff\ue000-\uf8ff\ufffd]")
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")


def clean(text: str) -> str:
    """Remove markup, stray glyphs and runs of spaces; keep the words and punctuation."""
    text = _STRAY.sub("", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _INLINE_TAG_BEFORE_PUNCT.sub(r"\1", text)
    text = _INLINE_TAG.sub("", text)
    text = _TAG.sub(" ", text)
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    text = text.replace("**", "")
    return _SPACES.sub(" ", text).strip()


def clean_item(text: str) -> str:
    """Clean one list line, keeping its nesting: "- item" or " - item" (second level)."""
    match = re.match(r"^(\s*)[-\u2022\u25cb\u25aa\u25e6\u2013]\s+(.*)$", text)
    if not match:
        return clean(text)
    indent = " " if match.group(1) else ""
    return f"{indent}- {clean(match.group(2))}"


def expand_html(line: str) -> list[str]:
    """Turn a line of raw HTML list markup into logical lines ("- item", " - sub-item").

    The converter printed some blocks as one line of HTML in which the bullet glyphs (the
    filled bullet for the first level, the hollow one for the second) are glued to the end
    of the previous sentence.
    """
    text = re.sub(r"</p>|<p(?:\s[^>]*)?>|<br\s*/?>|</?li(?:\s[^>]*)?>", "\n", line, flags=re.I)
    text = text.replace("\u2022", "\n- ").replace("\u25cb", "\n  - ")
    text = re.sub(r"</?ul(?:\s[^>]*)?>", "\n", text, flags=re.I)
    out = []
    for part in text.split("\n"):
        if not part.strip():
            continue
        out.append(clean_item(part) if re.match(r"^\s*- ", part) else clean(part))
    return [o for o in out if o and o not in ("-", " -")]


def has_html(line: str) -> bool:
    return bool(re.search(r"<(?:p|ul|li|br)(?:\s[^>]*)?/?>|</(?:p|ul|li)>", line, re.I))


def paragraphs(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join runs of non-blank lines into paragraphs (a blank line ends a paragraph)."""
    out: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, raw in lines:
        if not raw.strip():
            if current:
                out.append((start, clean(" ".join(current))))
                current = []
            continue
        if not current:
            start = number
        current.append(raw)
    if current:
        out.append((start, clean(" ".join(current))))
    return [(n, p) for n, p in out if p]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def parse_date(text: str, line: int) -> date:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError as exc:
        raise ParseError(line, f"expected a date dd/mm/yyyy, found {text.strip()!r}") from exc


def first_int(text: str, line: int, what: str) -> int:
    match = re.search(r"\d+", text)
    if not match:
        raise ParseError(line, f"expected a number for {what}, found {text.strip()!r}")
    return int(match.group())


# --------------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------------

TITLE_RE = re.compile(r"^Pearson BTEC Level (E?\d) .+$")
SECTION_RE = re.compile(r"^(\d{1,2}) ([A-Z][^\t]*)$")
UNIT_RE = re.compile(r"^Unit (\d+):\s*([^\t]+?)\s*$")
HEADER_FIELD_RE = re.compile(r"^([A-Za-z][A-Za-z ]*?):\s*\t?\s*(\S.*)$")
AC_ROW_RE = re.compile(r"^(\d+)?\t([^\t]*)\t(\d+)\.(\d+)\t(.*)$")
AC_CONT_RE = re.compile(r"^\t([^\t]*)\t\t(.*)$")
CONTENT_LO_RE = re.compile(r"^Learning (outcome|aim) (\d+)\s*:\s*(.+?)\s*$", re.I)
TOPIC_RE = re.compile(r"^(\d{1,2}?)([A-Z]|[1l])\s+(\S.*)$")
GUIDE_LO_RE = re.compile(r"^Learning outcomes? (\d+)(?:\s*(?:and|&|,)\s*(\d+))*\s*$", re.I)
TASK_RE = re.compile(r"^(\d+)\.\s+(.*)$")
# The rule that decisions are validated before the learner sees them (see _Parser.run).
VALIDATION_RE = re.compile(
    r"validated by an Internal Verifier before it is given to the learner", re.I
)
SUBITEM_RE = re.compile(r"^\s*-?\s*([a-z])\.\s+(.*)$")
AC_REF_RE = re.compile(r"\((?:AC\s?)?(\d+)\.(\d+)\)")
KSB_RE = re.compile(r"^\s*(?:<p>)?\s*(\d+)\.\s*(.*)$", re.S)
TICKS = {"#", "\u2713", "\u2714", "\u221a", "x", "X", "\uf0fc", "\uf0fe"}
CATEGORIES = {"knowledge": "K", "skills": "S", "skill": "S", "behaviours": "B", "behaviour": "B"}


@dataclass
class _Row:
    line: int
    cells: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


class _Parser:
    def __init__(self, document: SourceDocument) -> None:
        self.doc = document
        self.lines = [_STRAY.sub("", raw).rstrip() for raw in document.lines]
        self.n = len(self.lines)
        self.unit_notes: dict[int, list[str]] = {}  # unit number -> source-error notes
        self.doc_notes: list[str] = []
        self._structure_rows: list[tuple[Qualification, int, list[str], int]] = []

    # ----------------------------------------------------------------------------- helpers

    def line(self, index: int) -> str:
        """Line by 0-based index."""
        return self.lines[index]

    def find(self, start: int, end: int, predicate: Callable[[str], object]) -> int | None:
        for index in range(start, end):
            if predicate(self.lines[index]):
                return index
        return None

    def note(self, unit: int | None, text: str) -> None:
        if unit is None:
            self.doc_notes.append(text)
        else:
            self.unit_notes.setdefault(unit, []).append(text)

    # ----------------------------------------------------------------------------- cover

    def cover(self) -> tuple[str, str]:
        first = next((i for i, raw in enumerate(self.lines) if raw.strip()), None)
        if first is None:
            raise ParseError(1, "the document is empty")
        head = range(first, min(self.n, first + 40))
        title = next((i for i in head if TITLE_RE.match(self.lines[i].strip())), None)
        spec = next((i for i in head if self.lines[i].strip() == "Specification"), None)
        kind = next(
            (i for i in head if self.lines[i].strip().startswith("BTEC Specialist qualification")),
            None,
        )
        if title is None or spec is None or kind is None:
            raise ParseError(
                first + 1,
                "not a Pearson BTEC Specialist specification: the cover must give a title "
                "'Pearson BTEC Level n ...', 'Specification' and 'BTEC Specialist qualification'",
            )
        version = ""
        for i in head:
            match = re.match(r"^First teaching (.+)$", self.lines[i].strip())
            if match:
                version = f"First teaching {match.group(1)}"
                break
        return clean(self.lines[title]), version

    # ----------------------------------------------------------------------------- sections

    def sections(self) -> dict[str, tuple[int, int, int]]:
        """Numbered top-level sections: title -> (number, heading index, end index)."""
        found: list[tuple[int, int, str]] = []
        expected = 1
        for index, raw in enumerate(self.lines):
            match = SECTION_RE.match(raw)
            if match and int(match.group(1)) == expected:
                found.append((expected, index, clean(match.group(2))))
                expected += 1
        annexe = self.find(found[-1][1] if found else 0, self.n, lambda s: s == "Annexe A")
        out: dict[str, tuple[int, int, int]] = {}
        for pos, (number, index, title) in enumerate(found):
            if pos + 1 < len(found):
                end = found[pos + 1][1]
            else:
                end = annexe if annexe is not None else self.n
            out[title.lower()] = (number, index, end)
        return out

    def section(self, sections: dict[str, tuple[int, int, int]], name: str) -> tuple[int, int]:
        for title, (_number, start, end) in sections.items():
            if title.startswith(name.lower()):
                return start, end
        last = self.n
        raise ParseError(last, f"no section '{name}' in the document (truncated or not a spec?)")

    # ----------------------------------------------------------------------------- summary

    def summary(self, start: int, end: int) -> list[_Row]:
        rows: list[_Row] = []
        for index in range(start + 1, end):
            raw = self.lines[index]
            if "\t" not in raw:
                continue
            key, _, value = raw.partition("\t")
            key = clean(key)
            if key.lower() == "qualification title":
                rows.append(_Row(line=index + 1))
            if rows:
                rows[-1].cells[key.lower()] = value
                rows[-1].lines[key.lower()] = index + 1
        if not rows:
            raise ParseError(
                start + 1, "the qualification summary has no 'Qualification title' row"
            )
        return rows

    def qualification(self, row: _Row, title_version: str) -> Qualification:
        def need(key: str) -> tuple[str, int]:
            for name, value in row.cells.items():
                if name.startswith(key):
                    return value, row.lines[name]
            raise ParseError(row.line, f"the qualification summary has no '{key}' row")

        def optional(key: str) -> tuple[str, int] | None:
            try:
                return need(key)
            except ParseError:
                return None

        title = clean(row.cells["qualification title"])
        level_match = re.search(r"\bLevel (E?\d)\b", title)
        if not level_match:
            raise ParseError(row.line, f"no level in the qualification title {title!r}")
        number_text, number_line = need("qualification number")
        number_match = re.search(r"\b(\d{3})\s*/\s*(\d{4})\s*/\s*([\dX])\b", number_text)
        if not number_match:
            raise ParseError(number_line, f"not a qualification number: {number_text.strip()!r}")
        qualification = Qualification(
            number="/".join(number_match.groups()),
            title=title,
            level=level_match.group(1),
            qualification_type=NOT_GIVEN,
            source=f"{self.doc.name} ({title_version})",
        )
        tqt = optional("total qualification time")
        if tqt:
            qualification.tqt = first_int(tqt[0], tqt[1], "TQT")
        glh = optional("guided learning hours")
        if glh:
            values = [int(v) for v in re.findall(r"\d+", glh[0])]
            if not values:
                raise ParseError(glh[1], f"expected GLH, found {glh[0].strip()!r}")
            qualification.glh = values[0]
            if len(values) > 1:
                qualification.glh_max = values[1]
        credit = optional("credit")
        if credit:
            qualification.credit_value = first_int(credit[0], credit[1], "credit value")
        start = optional("operational start date")
        if start:
            qualification.operational_start = parse_date(start[0], start[1])
        ages = optional("approved age ranges")
        if ages:
            qualification.age_note = clean(ages[0])
            bands = re.findall(r"\b(\d{2})(?:\s*[\u2013-]\s*\d{2}|\+)", ages[0])
            if bands:
                qualification.minimum_age = min(int(b) for b in bands)
        grading = optional("grading")
        if grading:
            text = grading[0]
            if re.search(r"\b(Merit|Distinction)\b", text):
                qualification.grading = "pass_merit_distinction"
            elif re.search(r"\bPass\b", text):
                qualification.grading = "pass"
            else:
                raise ParseError(grading[1], f"unrecognised grading {clean(text)!r}")
        return qualification

    # ----------------------------------------------------------------------------- structures

    def structures(self, start: int, end: int, qualifications: list[Qualification]) -> None:
        titles = {q.title: q for q in qualifications}
        starts = [
            (index, titles[clean(self.lines[index])])
            for index in range(start + 1, end)
            if clean(self.lines[index]) in titles
        ]
        for qualification in qualifications:
            if qualification not in [q for _i, q in starts]:
                raise ParseError(
                    start + 1,
                    f"the qualification structures give no structure for {qualification.title!r}",
                )
        for pos, (index, qualification) in enumerate(starts):
            stop = starts[pos + 1][0] if pos + 1 < len(starts) else end
            self.structure(index, stop, qualification)

    def structure(self, start: int, end: int, qualification: Qualification) -> None:
        rules: list[str] = []
        group: Group | None = None
        for index in range(start + 1, end):
            raw = self.lines[index]
            if not raw.strip():
                continue
            cells = [clean(c) for c in raw.split("\t")]
            rules.append("\t".join(cells))
            key = cells[0].lower()
            if len(cells) == 2 and key.startswith("minimum number of"):
                value = first_int(cells[1], index + 1, cells[0])
                if "unit" in key:
                    qualification.min_units = value
                elif "guided learning" in key:
                    qualification.min_glh = value
                elif "credit" in key:
                    qualification.min_credits = value
                continue
            if key == "unit number" and len(cells) >= 2:
                name = cells[1]
                mandatory = name.lower().startswith("mandatory")
                code = "M" if mandatory else "O"
                if any(g.code == code for g in qualification.groups):
                    code = f"{code}{len(qualification.groups) + 1}"
                group = Group(code=code, name=name, mandatory=mandatory)
                qualification.groups.append(group)
                continue
            match = re.match(r"^(\d+)$", cells[0])
            if match and group is not None and len(cells) >= 2:
                number = int(match.group(1))
                group.units.append(Membership(unit=f"PEARSON:Unit {number}", code=f"Unit {number}"))
                self._structure_rows.append((qualification, number, cells, index + 1))
                continue
        qualification.rules_text = "\n".join(rules)
        if not any(g.units for g in qualification.groups):
            raise ParseError(
                start + 1, f"no units listed in the structure of {qualification.title!r}"
            )

    # ----------------------------------------------------------------------------- units

    def units(self, start: int, end: int) -> list[Unit]:
        headings: list[int] = []
        for index in range(start + 1, end):
            if UNIT_RE.match(self.lines[index]):
                following = [
                    self.lines[i] for i in range(index + 1, min(end, index + 6)) if self.lines[i]
                ]
                if following and re.match(r"^Level\s*:", following[0]):
                    headings.append(index)
        if not headings:
            raise ParseError(start + 1, "the Units section defines no unit ('Unit N: Title')")
        units = []
        for pos, index in enumerate(headings):
            stop = headings[pos + 1] if pos + 1 < len(headings) else end
            units.append(self.unit(index, stop))
        numbers = [int(u.key.split(" ")[-1]) for u in units]
        if len(set(numbers)) != len(numbers):
            raise ParseError(headings[0] + 1, "a unit number is defined twice")
        return units

    def unit(self, start: int, end: int) -> Unit:
        match = UNIT_RE.match(self.lines[start])
        if match is None:
            raise ParseError(start + 1, "expected a unit heading 'Unit N: Title'")
        number = int(match.group(1))
        label = f"Unit {number}"

        def heading(name: str, after: int) -> int:
            index = self.find(after, end, lambda s: s.strip().lower() == name.lower())
            if index is None:
                raise ParseError(
                    end if end < self.n else self.n,
                    f"{label} (line {start + 1}) has no '{name}' section (truncated?)",
                )
            return index

        intro = heading("Unit introduction", start + 1)
        table = heading("Learning outcomes and assessment criteria", intro + 1)
        content = heading("Unit content", table + 1)
        essential = heading("Essential information for tutors and assessors", content + 1)
        assessment = heading("Assessment", essential + 1)

        header: dict[str, tuple[str, int]] = {}
        for index in range(start + 1, intro):
            field_match = HEADER_FIELD_RE.match(self.lines[index].strip())
            if field_match:
                header[field_match.group(1).strip().lower()] = (field_match.group(2), index + 1)
        if "level" not in header:
            raise ParseError(start + 1, f"{label} gives no level")
        level_text, level_line = header["level"]
        level_match = re.match(r"^(?:Entry\s*)?(E?\d)\b", clean(level_text))
        if not level_match:
            raise ParseError(level_line, f"{label}: unrecognised level {level_text!r}")
        level = level_match.group(1)
        if clean(level_text).lower().startswith("entry"):
            level = f"E{level.lstrip('E')}"
        kind = ""
        for key in ("unit type", "assessment type", "type"):
            if key in header:
                value = clean(header[key][0]).lower()
                kind = value if value in ("knowledge", "skills", "competence") else ""
                break
        glh = None
        for key, (value, line) in header.items():
            if key.startswith("guided learning hours") or key == "glh":
                glh = first_int(value, line, f"{label} GLH")
        credit = None
        for key, (value, line) in header.items():
            if key.startswith("credit"):
                credit = first_int(value, line, f"{label} credit")

        aim = "\n".join(p for _n, p in paragraphs(self._numbered(intro + 1, table)))
        outcomes = self.outcomes(label, table + 1, content)
        self.content(number, label, outcomes, content + 1, essential)
        guidance, requirements = self.assessment(number, label, outcomes, assessment + 1, end)
        return Unit(
            key=f"PEARSON:{label}",
            reference="",
            title=clean(match.group(2)),
            level=level,
            credit=credit,
            glh=glh,
            kind=kind,
            aim=aim,
            assessment_requirements=requirements,
            # "assessed in a real working environment" (Unit 8), not "real or simulated" (5-7).
            real_work_only="in a real working environment" in requirements,
            guidance=guidance,
            outcomes=outcomes,
            source_line=start + 1,
        )

    def _numbered(self, start: int, end: int) -> list[tuple[int, str]]:
        return [(index + 1, self.lines[index]) for index in range(start, end)]

    # ----------------------------------------------------------------------------- LO/AC table

    def outcomes(self, label: str, start: int, end: int) -> list[Outcome]:
        outcomes: list[Outcome] = []
        last: Criterion | None = None
        started = False
        for index in range(start, end):
            raw = self.lines[index]
            if not raw.strip():
                continue
            cells = [c.strip() for c in raw.split("\t")]
            if cells[0].lower().startswith("learning outcomes") and any(
                c.lower().startswith("assessment criteria") for c in cells
            ):
                started = True
                continue
            row = AC_ROW_RE.match(raw)
            if row:
                started = True
                lo_cell, lo_text, major, minor, text = row.groups()
                major_n, minor_n = int(major), int(minor)
                if lo_cell:
                    if int(lo_cell) != len(outcomes) + 1:
                        raise ParseError(
                            index + 1,
                            f"{label}: learning outcome {lo_cell} follows outcome "
                            f"{len(outcomes)}; outcomes must be numbered 1, 2, 3 ...",
                        )
                    if not clean(lo_text):
                        raise ParseError(index + 1, f"{label}: outcome {lo_cell} has no title")
                    outcomes.append(Outcome(number=lo_cell, text=clean(lo_text)))
                elif clean(lo_text) and outcomes:
                    outcomes[-1].text = clean(f"{outcomes[-1].text} {lo_text}")
                if not outcomes or major_n != int(outcomes[-1].number):
                    current = outcomes[-1].number if outcomes else "none"
                    raise ParseError(
                        index + 1,
                        f"{label}: criterion {major}.{minor} is numbered outside its learning "
                        f"outcome (current outcome: {current})",
                    )
                expected = len(outcomes[-1].criteria) + 1
                if minor_n != expected:
                    raise ParseError(
                        index + 1,
                        f"{label}: criterion {major}.{minor} where {major}.{expected} was "
                        "expected (criteria must be numbered contiguously)",
                    )
                if not clean(text):
                    raise ParseError(index + 1, f"{label}: criterion {major}.{minor} has no text")
                last = Criterion(number=f"{major_n}.{minor_n}", text=clean(text))
                outcomes[-1].criteria.append(last)
                continue
            if not started:
                continue  # the fixed sentence before the table
            cont = AC_CONT_RE.match(raw)
            if cont and outcomes and last is not None:
                if clean(cont.group(1)):
                    outcomes[-1].text = clean(f"{outcomes[-1].text} {cont.group(1)}")
                if clean(cont.group(2)):
                    last.text = clean(f"{last.text} {cont.group(2)}")
                continue
            if "\t" not in raw and last is not None:
                last.text = clean(f"{last.text} {raw}")  # a wrapped criterion line
                continue
            raise ParseError(index + 1, f"{label}: cannot read this row of the outcomes table")
        if not outcomes:
            raise ParseError(start, f"{label} has no learning outcomes and assessment criteria")
        for outcome in outcomes:
            if not outcome.criteria:
                raise ParseError(start, f"{label}: outcome {outcome.number} has no criteria")
        return outcomes

    # ----------------------------------------------------------------------------- content

    def content(self, unit: int, label: str, outcomes: list[Outcome], start: int, end: int) -> None:
        by_number = {o.number: o for o in outcomes}
        logical: list[tuple[int, str]] = []
        for index in range(start, end):
            raw = self.lines[index]
            if not raw.strip():
                continue
            if has_html(raw):
                logical.extend((index + 1, part) for part in expand_html(raw))
            else:
                logical.append((index + 1, raw))

        current: Outcome | None = None
        texts: dict[str, list[tuple[int, str]]] = {o.number: [] for o in outcomes}
        letters: dict[str, str] = {}
        for number, raw in logical:
            text = raw.rstrip()
            if clean(text).lower() == "what needs to be learned":
                continue
            heading = CONTENT_LO_RE.match(clean(text))
            if heading:
                lo = str(int(heading.group(2)))
                if lo not in by_number:
                    raise ParseError(number, f"{label}: unit content for unknown outcome {lo}")
                if current is not None and int(lo) < int(current.number):
                    raise ParseError(number, f"{label}: unit content goes back to outcome {lo}")
                current = by_number[lo]
                self._check_heading(unit, label, current, heading, number)
                continue
            if current is None:
                raise ParseError(number, f"{label}: unit content before any learning outcome")
            topic = TOPIC_RE.match(clean(text))
            if topic and not re.match(r"^\s*-", text):
                digits, letter, title = topic.groups()
                expected = chr(ord(letters.get(current.number, "@")) + 1)
                if digits == current.number and letter in ("1", "l") and expected == "I":
                    letter = "I"  # OCR-type damage: the letter I read as a digit 1
                if digits != current.number or letter != expected:
                    raise ParseError(
                        number,
                        f"{label}: content topic {digits}{letter} where "
                        f"{current.number}{expected} was expected",
                    )
                letters[current.number] = letter
                texts[current.number].append((number, f"{digits}{letter} {clean(title)}"))
                continue
            if re.match(r"^\s*[-\u2022\u25cb]\s", text):
                texts[current.number].append((number, clean_item(text)))
                continue
            lines = texts[current.number]
            if not lines:
                raise ParseError(number, f"{label}: unexpected text in the unit content")
            prev_number, prev = lines[-1]
            lines[-1] = (prev_number, f"{prev} {clean(text)}")  # a wrapped line
        for outcome in outcomes:
            outcome.content = "\n".join(t for _n, t in texts[outcome.number])
            self._check_duplicates(unit, label, outcome, texts[outcome.number])

    def _check_heading(
        self, unit: int, label: str, outcome: Outcome, heading: re.Match[str], line: int
    ) -> None:
        if heading.group(1).lower() == "aim":
            self.note(
                unit,
                f"{label} LO{outcome.number}: the unit content heading at line {line} says "
                "'Learning aim' instead of 'Learning outcome' (read as the outcome).",
            )
        title = re.sub(r"\s*\(\s*continued\s*\)\s*$", "", clean(heading.group(3)), flags=re.I)
        if title.rstrip(".") != outcome.text.rstrip("."):
            self.note(
                unit,
                f"{label} LO{outcome.number}: the unit content heading at line {line} reads "
                f"{title!r}, the outcomes table reads {outcome.text!r} (the table's wording "
                "is kept).",
            )

    def _check_duplicates(
        self, unit: int, label: str, outcome: Outcome, lines: list[tuple[int, str]]
    ) -> None:
        seen: dict[str, int] = {}
        for number, text in lines:
            key = text.strip()
            if len(key) > 30 and key in seen:
                self.note(
                    unit,
                    f"{label} LO{outcome.number}: the content item at line {number} repeats the "
                    f"one at line {seen[key]} ({key[:60]}...); kept as printed.",
                )
            seen.setdefault(key, number)

    # ----------------------------------------------------------------------------- assessment

    def assessment(
        self, unit: int, label: str, outcomes: list[Outcome], start: int, end: int
    ) -> tuple[str, str]:
        criteria = {c.number: c for o in outcomes for c in o.criteria}
        general: list[str] = []
        requirements: list[str] = []
        tasks: list[tuple[int, list[str], set[str]]] = []  # (line, lines, heading outcomes)
        paragraph: list[str] = []
        heading_los: set[str] = set()
        open_task: list[str] | None = None

        def flush() -> None:
            if paragraph:
                text = clean(" ".join(paragraph))
                general.append(text)
                if re.search(r"\bassessed in a real\b", text):
                    requirements.append(text)
                paragraph.clear()

        for index in range(start, end):
            raw = self.lines[index]
            number = index + 1
            if not raw.strip():
                flush()
                continue
            text = clean(raw)
            lo_heading = GUIDE_LO_RE.match(text)
            if lo_heading:
                flush()
                open_task = None
                heading_los = {str(int(n)) for n in re.findall(r"\d+", text)}
                general.append(text)
                continue
            task = TASK_RE.match(raw.strip())
            if task and heading_los:
                flush()
                open_task = [text]
                tasks.append((number, open_task, set(heading_los)))
                continue
            sub = SUBITEM_RE.match(raw)
            if sub and open_task is not None:
                open_task.append(f"{sub.group(1)}. {clean(sub.group(2))}")
                continue
            if re.match(r"^\s*-\s", raw):
                flush()
                open_task = None
                general.append(clean_item(raw))
                continue
            if open_task is not None and re.match(r"^[a-z(]", text):
                open_task[-1] = f"{open_task[-1]} {text}"  # a wrapped task line
                continue
            open_task = None
            paragraph.append(raw)
        flush()

        for number, task_lines, los in tasks:
            text = "\n".join(task_lines)
            refs = [f"{int(a)}.{int(b)}" for a, b in AC_REF_RE.findall(text)]
            refs = list(dict.fromkeys(refs))
            known = [r for r in refs if r in criteria]
            for ref in refs:
                if ref not in criteria:
                    self.note(
                        unit,
                        f"{label}: the assessment task at line {number} names AC{ref}, which "
                        "the unit does not have.",
                    )
                elif ref.split(".")[0] not in los:
                    self.note(
                        unit,
                        f"{label}: the assessment task at line {number} names AC{ref} under the "
                        f"guidance for learning outcome(s) {', '.join(sorted(los))}.",
                    )
            if not known:
                general.append(text)
            for ref in known:
                criterion = criteria[ref]
                criterion.guidance = f"{criterion.guidance}\n{text}" if criterion.guidance else text
        return "\n".join(general), "\n".join(requirements)

    # ----------------------------------------------------------------------------- Annexe A

    def annexe(self, start: int, units: dict[int, str]) -> Standard:
        end = self.find(
            start + 1,
            self.n,
            lambda s: s.strip() in ("Annexe B", "Glossary of terms used in assessment criteria"),
        )
        if end is None:
            raise ParseError(self.n, "the document ends inside Annexe A (truncated?)")
        title_index = self.find(start + 1, end, lambda s: bool(s.strip()))
        title_line = clean(self.lines[title_index]) if title_index is not None else ""
        match = re.search(r"Mapping of the (.+?) Apprenticeship Standard", title_line)
        if not match or title_index is None:
            raise ParseError(start + 1, "Annexe A does not map an apprenticeship standard")
        name = match.group(1)
        reference = NOT_GIVEN
        for index in range(start, end):
            ref = re.search(r"\b(ST\d{4})\b", self.lines[index])
            if ref:
                reference = ref.group(1)
                break
        standard = Standard(
            code=slug(name), title=name, qualification="", reference=reference, level=""
        )
        columns: dict[int, int] = {}
        category = ""
        counters: dict[str, int] = {}
        expected = 1
        for index in range(title_index + 1, end):
            raw = self.lines[index]
            cells = raw.split("\t")
            unit_cells = {
                i: int(m.group(1))
                for i, c in enumerate(cells)
                if (m := re.match(r"^Unit (\d+)$", c.strip()))
            }
            if len(unit_cells) >= 2:
                if columns and unit_cells != columns:
                    raise ParseError(index + 1, "Annexe A: the unit columns change between pages")
                columns = unit_cells
                continue
            if len(cells) < 2:
                continue
            row = KSB_RE.match(cells[1])
            if not row:
                continue
            if not columns:
                raise ParseError(index + 1, "Annexe A: a mapping row before the unit columns")
            label = re.sub(r"\(\s*continued\s*\)", "", clean(cells[0]), flags=re.I).strip()
            if label:
                word = re.split(r"[\s/]+", label.lower())[0]
                if word not in CATEGORIES:
                    raise ParseError(index + 1, f"Annexe A: unknown KSB category {label!r}")
                category = CATEGORIES[word]
            if not category:
                raise ParseError(index + 1, "Annexe A: a KSB row with no category")
            group = int(row.group(1))
            if group != expected:
                raise ParseError(
                    index + 1, f"Annexe A: KSB group {group} where {expected} was expected"
                )
            expected += 1
            heading, items = self._ksb_text(row.group(2), index + 1)
            counters[category] = counters.get(category, 0) + 1
            mapped = []
            for column, unit_number in sorted(columns.items()):
                if column < len(cells) and cells[column].strip() in TICKS:
                    if unit_number not in units:
                        raise ParseError(
                            index + 1, f"Annexe A maps to Unit {unit_number}, which is not defined"
                        )
                    mapped.append(units[unit_number])
            standard.statements.append(
                Statement(
                    category=category,
                    heading=heading,
                    code=f"{category}{counters[category]}",
                    text="\n".join(items),
                    units=mapped,
                )
            )
        if not standard.statements:
            raise ParseError(start + 1, "Annexe A has no KSB rows")
        return standard

    def _annexe_scope(
        self, start: int, standard: Standard, qualifications: list[Qualification]
    ) -> None:
        """Check and record which of the grid's units a smaller qualification holds.

        Annexe A maps the standard "to the content covered in the Pearson BTEC Level 3
        Certificate and Diploma" in one grid and says which units the smaller one has ("Please
        note: only Units 1–4 are part of the Certificate structure"). The standard is stored
        once, scoped to the qualification holding every mapped unit (the Diploma); the
        Certificate reaches it through the units it shares (qualifications.standards), the
        mapping being by unit. Here the note is checked against the Certificate's structure,
        and what the Certificate reaches is written into its notes.
        """
        mapped = {key for statement in standard.statements for key in statement.units}
        said, said_line = None, None
        for index in range(start, min(start + 20, self.n)):
            found = re.search(
                r"only Units (\d+)\s*[–-]\s*(\d+) are part of the (\w+) structure",
                self.lines[index],
            )
            if found:
                said, said_line = found, index + 1
                break
        for qualification in qualifications:
            members = {m.unit for g in qualification.groups for m in g.units}
            if qualification.number == standard.qualification or not members & mapped:
                continue
            if said is None or said.group(3) not in qualification.title:
                raise ParseError(
                    start + 1,
                    f"Annexe A maps units of {qualification.number} but does not say which of "
                    "the grid's units it holds",
                )
            first, last, word = int(said.group(1)), int(said.group(2)), said.group(3)
            if {f"PEARSON:Unit {n}" for n in range(first, last + 1)} != members:
                raise ParseError(
                    said_line,
                    f"Annexe A says Units {first}-{last} make up the {word}, but "
                    f"{qualification.number} has {', '.join(sorted(members))}",
                )
            reached = [
                f"{s.code} {s.heading} (Unit{'s' if len(units) > 1 else ''} {', '.join(units)})"
                for s in standard.statements
                if (units := [k.split(" ")[-1] for k in s.units if k in members])
            ]
            qualification.notes.append(
                f"Annexe A (line {start + 1}) maps the {standard.title} Apprenticeship Standard to "
                f"the Certificate and Diploma in one grid; 'only Units {first}–{last} are part "
                f"of the {word} structure' (line {said_line}). Through Units {first}-{last} the "
                f"{word} reaches {len(reached)} of its {len(standard.statements)} KSB groups: "
                f"{'; '.join(reached)}. The other "
                f"{len(standard.statements) - len(reached)} map only to units it does not hold."
            )

    def _ksb_text(self, cell: str, line: int) -> tuple[str, list[str]]:
        """Split a KSB cell into its group title and its bullet statements."""
        parts = re.split(r"<ul(?:\s[^>]*)?>", cell, maxsplit=1)
        head, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        heading = clean(head)
        if not heading:
            raise ParseError(line, "Annexe A: a KSB group with no title")
        body = clean(re.sub(r"</?(?:ul|li|p)(?:\s[^>]*)?>", " ", rest))
        if "\u2022" in body:
            items = [clean(part) for part in body.split("\u2022")]
        else:
            # The bullets were stripped: a statement starts at a capitalised word that
            # follows a word in lower case (the statements run "... organisation Understand").
            items = re.split(r"(?<=[a-z.,;)])\s+(?=[A-Z][a-z])", body)
        items = [clean(i) for i in items if clean(i)]
        if not items:
            raise ParseError(line, f"Annexe A: KSB group {heading!r} has no statements")
        return heading, items

    # ----------------------------------------------------------------------------- run

    def run(self) -> Specification:
        title, version = self.cover()
        title_version = f"{title}, Specification, {version}" if version else title
        kind_line = self.find(0, min(self.n, 60), lambda s: s.strip().startswith("BTEC Specialist"))
        qualification_type = "BTEC Specialist" if kind_line is not None else NOT_GIVEN

        sections = self.sections()
        summary = self.section(sections, "Qualification summary")
        structures = self.section(sections, "Qualification structures")
        units_range = self.section(sections, "Units")

        qualifications = [self.qualification(row, title_version) for row in self.summary(*summary)]
        for qualification in qualifications:
            qualification.qualification_type = qualification_type
        numbers = [q.number for q in qualifications]
        if len(set(numbers)) != len(numbers):
            raise ParseError(summary[0] + 1, "two qualifications share a qualification number")
        self.structures(*structures, qualifications)

        units = self.units(*units_range)
        by_number = {int(u.key.split(" ")[-1]): u for u in units}
        for qualification, number, cells, line in self._structure_rows:
            unit = by_number.get(number)
            if unit is None:
                raise ParseError(
                    line, f"{qualification.title} lists Unit {number}, which is not defined"
                )
            if len(cells) >= 2 and cells[1] != unit.title:
                self.note(
                    number,
                    f"Unit {number}: the structure table (line {line}) calls it {cells[1]!r}; "
                    f"the unit (line {unit.source_line}) is titled {unit.title!r}.",
                )
            if len(cells) >= 4 and cells[3].isdigit() and int(cells[3]) != unit.glh:
                self.note(
                    number,
                    f"Unit {number}: the structure table (line {line}) gives {cells[3]} GLH; "
                    f"the unit header gives {unit.glh}.",
                )

        for qualification in qualifications:
            members = [m.unit for g in qualification.groups for m in g.units]
            mandatory_glh = sum(
                by_number[int(k.split(" ")[-1])].glh or 0
                for g in qualification.groups
                if g.mandatory
                for k in (m.unit for m in g.units)
            )
            if qualification.min_glh is not None and mandatory_glh > qualification.min_glh:
                qualification.notes.append(
                    f"The mandatory units' GLH add up to {mandatory_glh}, more than the "
                    f"minimum of {qualification.min_glh} the structure states."
                )
            qualification.notes.extend(self.doc_notes)
            for key in members:
                qualification.notes.extend(self.unit_notes.get(int(key.split(" ")[-1]), []))

        standards = []
        annexe = self.find(units_range[1], self.n, lambda s: s.strip() == "Annexe A")
        if annexe is None:
            raise ParseError(self.n, "the document ends before Annexe A (truncated?)")
        standard = self.annexe(annexe, {n: u.key for n, u in by_number.items()})
        mapped = {k for s in standard.statements for k in s.units}
        scope = [q for q in qualifications if mapped <= {m.unit for g in q.groups for m in g.units}]
        if not scope:
            raise ParseError(annexe + 1, "Annexe A maps units no single qualification contains")
        standard.qualification = min(
            scope, key=lambda q: sum(len(g.units) for g in q.groups)
        ).number
        standards.append(standard)
        self._annexe_scope(annexe, standard, qualifications)

        self._apply_fact_notes(qualifications, by_number)
        # "Feedback and releasing decisions" (line 452 of the 603/5449/5 specification): the
        # information given to the learner "must be validated by an Internal Verifier before it
        # is given to the learner". Read from the text, so a specification without it does not
        # get the rule.
        found = self.find(0, self.n, VALIDATION_RE.search)
        if found is not None:
            rule = self._validation_rule(found)
            for qualification in qualifications:
                qualification.decisions_need_validation = True
                qualification.validation_rule = rule
        return Specification(
            source=self.doc.name,
            awarding_body=BODY,
            qualifications=qualifications,
            units=units,
            standards=standards,
        )

    def _validation_rule(self, index: int) -> str:
        """The rule in the specification's words: its section heading, the list it is in
        ("The information given to the learner:") and the item, with line numbers."""
        intro = next(
            (i for i in range(index - 1, max(index - 10, -1), -1) if self.line(i).endswith(":")),
            None,
        )
        heading = None
        if intro is not None:
            # The heading: the nearest line above the list's paragraph that is a short title.
            heading = next(
                (
                    i
                    for i in range(intro - 1, max(intro - 10, -1), -1)
                    if self.line(i).strip()
                    and len(self.line(i)) < 80
                    and not self.line(i).rstrip().endswith((".", ":"))
                ),
                None,
            )
        item = self.line(index).strip().lstrip("- ").strip()
        words = f'"{item}"'
        if intro is not None:
            words = f'"{self.line(intro).strip()} ... {item}" (line {index + 1})'
        where = f'section "{self.line(heading).strip()}"' if heading is not None else "text"
        return f"{self.doc.name}, {where}: {words}"

    def _apply_fact_notes(
        self, qualifications: list[Qualification], units: dict[int, Unit]
    ) -> None:
        """Reviewed source-error notes from the corrections file (facts "note_...")."""
        facts = []
        for key, fact in self.doc.facts.items():
            if not key.startswith("note_"):
                continue
            if not isinstance(fact, dict) or "value" not in fact or "line" not in fact:
                raise ParseError(None, f"correction fact {key} needs a value and a line")
            facts.append(fact)
        for fact in sorted(facts, key=lambda f: int(f["line"])):
            text = f"{fact['value']} (line {fact['line']})"
            unit = fact.get("unit")
            for qualification in qualifications:
                members = {m.unit for g in qualification.groups for m in g.units}
                if unit is None or f"PEARSON:Unit {unit}" in members:
                    qualification.notes.append(text)


def parse(document: SourceDocument) -> Specification:
    """Parse a Pearson BTEC Specialist specification."""
    return _Parser(document).run()
