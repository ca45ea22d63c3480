"""Parser for IMI "Qualification Specification Part B: Learner Assessment Record" documents.

The source is a PDF converted to text. Its shape (see the seed notes, section 5.1):

* a cover (title, "Ofqual I.D: nnn/nnnn/n", "Version ..."), a contact sheet;
* the rules of combination in prose ("Group A: 19 credits must be achieved", ...) followed by
  tab-separated unit tables per group ("Mandatory Group A: 19 Credits", "... continued.");
* one record per unit: "UNIT REF: <code> <tab> UNIT TITLE: <TITLE>", Level/Credit/GLH, Mapping
  (NOS codes), Rationale, then a LO/AC grid closed by "ASSESSOR SIGNATURE:";
* one "Unit <code> Assessment Guidance table" per unit whose rows repeat an AC (number and
  text) and give guidance for it, or say "No assessment guidance available for this unit.";
* the assessor comments sheet.

Conversion damage handled here: page breaks (runs of blank lines), repeated grid headers in one-
and two-row forms, dash "underline" lines, padding tabs, HTML fragments (<p>, <ul ...>, <i>),
Markdown bold, bullets glued to words, nested lists flattened with hyphens, spaces before
punctuation, Ofqual references with a space before the last digit, LO numbers without a dot and AC
numbers with a trailing dot, wrapped cells (a line that does not start a new LO/AC continues the
previous one). Guidance rows are matched to criteria on their text, not only on the printed
number; mismatches are recorded in the qualification's notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from qualifications.importers.base import ParseError, SourceDocument, matched
from qualifications.importers.schema import (
    NOT_GIVEN,
    AwardingBody,
    Criterion,
    Group,
    LevelRule,
    Membership,
    Outcome,
    Qualification,
    Specification,
    Unit,
)

BODY = AwardingBody(
    "IMI",
    "Institute of the Motor Industry",
    retention_rule=(
        "IMI specification: no retention period is stated - the centre must enter its own period."
    ),
    credit_transfer_rule="IMI specification: credit transfer is not stated.",
)

NUMBER_RE = re.compile(r"Ofqual I\.?D\.?\s*:?\s*(\d{3}/\d{4}/\d)")
TITLE_RE = re.compile(r"^IMI (Level (\d|Entry \d)) .+$")
VERSION_RE = re.compile(r"^Version\s+\S.*$")
OFQUAL_REF_RE = re.compile(r"^([A-Z])\s*/\s*(\d{3})\s*/\s*(\d)\s*(\d)\s*(\d)\s*(\d)$")
GROUP_RULE_RE = re.compile(r"^Group ([A-Z]):\s*(.+)$")
GROUP_HEADING_RE = re.compile(
    r"^(?P<name>(?P<kind>Mandatory|Optional) Group (?P<code>[A-Z]))\b(?P<rest>.*)$"
)
UNIT_REF_RE = re.compile(r"^UNIT REF:\s*(?P<code>.+?)\s+UNIT TITLE:\s*(?P<title>.+)$")
META_RE = re.compile(
    r"^Level:\s*(?P<level>\d)\s+Credit Value:\s*(?P<credit>\d+)\s+GLH:\s*(?P<glh>\d+)$"
)
LO_RE = re.compile(r"^(\d{1,2})\.?\s+(\S.*)$")
AC_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?\s+(\S.*)$")
JOINED_ROW_RE = re.compile(r"^(\d{1,2})\.?\s+(\S.*?)\s+(\d{1,2})\.(\d{1,2})\.?\s+(\S.*)$")
GUIDANCE_HEADING_RE = re.compile(r"^Unit (?P<code>.+?) Assessment Guidance table$")
NO_GUIDANCE = "No assessment guidance available for this unit."
GUIDANCE_INTRO = "Assessment Guidance is provided below"
END_SHEET = "ASSESSOR COMMENTS AND FEEDBACK"

BLOCK_TAG_RE = re.compile(r"</?(?:p|ul|ol|li|br|div)\b[^>]*>", re.IGNORECASE)
INLINE_TAG_RE = re.compile(r"</?(?:i|b|em|strong|span|u)\b[^>]*>", re.IGNORECASE)
UL_RE = re.compile(r"<ul\b[^>]*>", re.IGNORECASE)
SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([,.;:])(?=\s|$)")
LETTER_ITEM_RE = re.compile(r"(?<=\s)([a-z])\.\s+(?=\S)")

# Similarity needed to accept a guidance row's AC text as a given criterion.
MATCH_THRESHOLD = 0.8


# --- text cleaning -------------------------------------------------------------------------


def _flat(text: str) -> str:
    """Drop markup and collapse whitespace: one line of plain text."""
    text = INLINE_TAG_RE.sub("", text)
    text = BLOCK_TAG_RE.sub(" ", text)
    text = text.replace("**", "")
    text = re.sub(r"\s+", " ", text).strip()
    return SPACE_BEFORE_PUNCT_RE.sub(r"\1", text)


def _split_letter_list(text: str) -> str:
    """'... the following: a. employers b. employees' -> one item per line, letters kept."""
    marks = list(LETTER_ITEM_RE.finditer(text))
    letters = [m.group(1) for m in marks]
    if len(marks) < 2 or letters[:2] != ["a", "b"]:
        return text
    # Keep the longest run a, b, c, ... in order.
    run = []
    for expected, mark in zip("abcdefghijklmnopqrstuvwxyz", marks, strict=False):
        if mark.group(1) != expected:
            break
        run.append(mark)
    parts, start = [], 0
    for mark in run:
        parts.append(text[start : mark.start()].strip())
        start = mark.start()
    parts.append(text[start:].strip())
    return "\n".join(p for p in parts if p)


def clean_text(text: str) -> str:
    """Criterion/outcome/title text: markup removed, genuine lists one item per line."""
    text = _flat(text)
    if "\u2022" in text:
        items = [_flat(item) for item in text.split("\u2022")]
        text = "\n".join(item for item in items if item)
    return "\n".join(_split_letter_list(line) for line in text.split("\n"))


def clean_guidance(text: str) -> str:
    """Guidance text: paragraphs and bullet items one per line, nested '- ' items kept as such."""
    text = INLINE_TAG_RE.sub("", text).replace("**", "")
    text = re.sub(r"</?p\b[^>]*>", "\n", text, flags=re.IGNORECASE)
    # A list opened directly by '- ' items is a nested list flattened with hyphens.
    text = re.sub(r"<ul\b[^>]*>\s*(?=-\s)", "\n\x00", text, flags=re.IGNORECASE)
    text = BLOCK_TAG_RE.sub("\n", text)
    text = text.replace("\u2022", "\n")
    lines: list[str] = []
    for raw in text.split("\n"):
        if raw.startswith("\x00"):
            items = re.split(r"(?:^|\s+)-\s+", raw[1:].strip())
            lines.extend(f"- {_flat(item)}" for item in items if _flat(item))
        elif _flat(raw):
            lines.append(_flat(raw))
    return "\n".join(lines)


def _normal(text: str) -> str:
    """Comparison form: case, quotes, hyphens and punctuation ignored."""
    text = _flat(text).casefold()
    text = re.sub(r"[\u2018\u2019\u201c\u201d'\"`]", "", text)
    text = re.sub(r"[-\u2013\u2014/]", " ", text)
    text = re.sub(r"[^\w\s]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def normalise_reference(raw: str, line: int) -> str:
    match = OFQUAL_REF_RE.match(raw.strip())
    if not match:
        raise ParseError(line, f"{raw.strip()!r} is not an Ofqual unit reference")
    letter, block, *digits = match.groups()
    return f"{letter}/{block}/{''.join(digits)}"


def _cells(line: str) -> list[str]:
    cells = [_flat(cell) for cell in line.split("\t")]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _is_rule_line(line: str) -> bool:
    """Dash 'underline' remnants of Markdown tables."""
    stripped = line.strip()
    return bool(stripped) and set(stripped) <= {"-", "\t", " ", "|"}


# --- intermediate records ------------------------------------------------------------------


@dataclass
class TableRow:
    group: str
    code: str
    reference: str
    title: str
    credit: int
    level: str
    glh: int
    line: int


@dataclass
class GuidanceRow:
    number: str
    text: str
    guidance: list[str]
    line: int


@dataclass
class UnitPage:
    code: str
    title: str
    line: int
    level: str = ""
    credit: int | None = None
    glh: int | None = None
    meta_line: int | None = None
    nos: list[str] = field(default_factory=list)
    aim: str = NOT_GIVEN
    outcomes: list[Outcome] = field(default_factory=list)
    outcome_lines: list[int] = field(default_factory=list)
    guidance_rows: list[GuidanceRow] = field(default_factory=list)
    no_guidance: bool = False
    guidance_seen: bool = False


# --- the parser ----------------------------------------------------------------------------


class _Parser:
    def __init__(self, document: SourceDocument) -> None:
        self.doc = document
        self.lines = document.lines
        self.count = len(document.lines)
        self.notes: list[str] = []

    def text(self, number: int) -> str:
        return self.lines[number - 1]

    def stripped(self, number: int) -> str:
        return _flat(self.lines[number - 1])

    # Cover -----------------------------------------------------------------------------------

    def cover(self) -> tuple[str, str, str, str, int]:
        head = range(1, min(self.count, 60) + 1)
        marker = next((n for n in head if "LEARNER ASSESSMENT RECORD" in self.stripped(n)), None)
        number_line = next((n for n in head if NUMBER_RE.search(self.stripped(n))), None)
        if (
            marker is None
            or number_line is None
            or not any("IMI" in self.stripped(n) for n in head)
        ):
            first = next((n for n in head if self.stripped(n)), 1)
            raise ParseError(
                first,
                "not an IMI Learner Assessment Record (expected 'IMI', 'LEARNER ASSESSMENT "
                "RECORD' and 'Ofqual I.D: nnn/nnnn/n' on the cover)",
            )
        number = matched(NUMBER_RE, self.stripped(number_line), number_line).group(1)
        title_line = next((n for n in head if TITLE_RE.match(self.stripped(n))), None)
        if title_line is None:
            raise ParseError(number_line, "no 'IMI Level N ...' qualification title on the cover")
        title = self.stripped(title_line)
        version = next((self.stripped(n) for n in head if VERSION_RE.match(self.stripped(n))), "")
        document_title = self.stripped(marker)
        printed = ", ".join(part for part in (title, document_title, version) if part)
        source = f"{self.doc.name} ({printed})"
        return number, title, source, document_title, number_line

    # Rules of combination and unit tables --------------------------------------------------

    def rules(self, number: str, after: int) -> tuple[Qualification, list[TableRow], int]:
        start = next(
            (
                n
                for n in range(after + 1, self.count + 1)
                if f"ID: {number}" in self.stripped(n) and "Ofqual" not in self.stripped(n)
            ),
            None,
        )
        if start is None:
            raise ParseError(after, f"no rules of combination section ('... ID: {number}')")
        rule_lines: list[tuple[int, str]] = []
        n = start + 1
        while n <= self.count and not GROUP_HEADING_RE.match(self.stripped(n)):
            if self.stripped(n):
                rule_lines.append((n, self.stripped(n)))
            n += 1
        if n > self.count:
            raise ParseError(self.count, "document ends before the unit tables")
        qualification = Qualification(
            number=number,
            title="",
            level="",
            qualification_type="",
            source="",
            rules_text="\n".join(text for _, text in rule_lines),
        )
        group_rules: dict[str, tuple[int, str]] = {}
        for line, text in rule_lines:
            if m := re.search(r"must complete a minimum of (\d+) credits", text):
                qualification.min_credits = int(m.group(1))
                qualification.credit_value = int(m.group(1))
            if m := re.search(
                r"(A minimum of (\d+) credits must be achieved through the completion of units "
                r"at Level (\d) or above\.?)",
                text,
            ):
                qualification.level_rules.append(
                    LevelRule(int(m.group(2)), m.group(3), True, [], m.group(1))
                )
            if m := GROUP_RULE_RE.match(text):
                group_rules[m.group(1)] = (line, text)
            if m := re.match(r"^Minimum GLH:\s*(\d+)$", text):
                qualification.glh = int(m.group(1))
            if m := re.match(r"^Maximum GLH:\s*(\d+)$", text):
                qualification.glh_max = int(m.group(1))
        if qualification.min_credits is None:
            raise ParseError(start, "the rules of combination give no minimum of credits")

        rows: list[TableRow] = []
        groups: dict[str, Group] = {}
        current: Group | None = None
        while n <= self.count:
            text = self.stripped(n)
            if not text or text.startswith("CFA Ref"):
                n += 1
                continue
            if text.startswith("Learner Name") or UNIT_REF_RE.match(text):
                break
            if m := GROUP_HEADING_RE.match(text):
                code = m.group("code")
                if code not in groups:
                    if "continued" in m.group("rest").lower():
                        raise ParseError(n, f"group {code} is continued before it starts")
                    groups[code] = Group(
                        code=code, name=m.group("name"), mandatory=m.group("kind") == "Mandatory"
                    )
                current = groups[code]
                n += 1
                continue
            cells = _cells(self.text(n))
            if current is None or len(cells) != 6:
                raise ParseError(n, f"unexpected line in the unit tables: {text[:60]!r}")
            code, ref, title, credit, level, glh = cells
            if not (credit.isdigit() and level.isdigit() and glh.isdigit()):
                raise ParseError(n, "unit table row without numeric credit, level and GLH")
            row = TableRow(
                current.code,
                code,
                normalise_reference(ref, n),
                title,
                int(credit),
                level,
                int(glh),
                n,
            )
            rows.append(row)
            current.units.append(Membership(unit=row.reference, code=code))
            n += 1
        for code, group in groups.items():
            if code not in group_rules:
                raise ParseError(start, f"the rules of combination say nothing of group {code}")
            line, text = group_rules.pop(code)
            group.rule_text = text
            if m := re.search(r"^Group [A-Z]:\s*(\d+) credits must be achieved", text):
                group.min_credits = group.max_credits = int(m.group(1))
            elif m := re.search(r"minimum of (\d+) credits", text, re.IGNORECASE):
                group.min_credits = int(m.group(1))
            elif m := re.search(r"maximum of (\d+) credits", text, re.IGNORECASE):
                group.max_credits = int(m.group(1))
            else:
                raise ParseError(line, f"cannot read the rule for group {code}")
            if not group.units:
                raise ParseError(line, f"group {code} lists no units")
        if group_rules:
            code, (line, _) = next(iter(group_rules.items()))
            raise ParseError(line, f"group {code} has a rule but no unit table")
        qualification.groups = list(groups.values())
        return qualification, rows, n

    # Unit records ------------------------------------------------------------------------------

    def units(self, start: int) -> tuple[list[UnitPage], int]:
        pages: list[UnitPage] = []
        n = start
        while n <= self.count:
            text = self.stripped(n)
            if text.startswith(END_SHEET):
                return pages, n
            if m := UNIT_REF_RE.match(text):
                page = UnitPage(code=m.group("code").strip(), title=m.group("title"), line=n)
                n = self.unit_head(page, n + 1)
                n = self.grid(page, n)
                n = self.guidance(page, n)
                pages.append(page)
                continue
            if text and not text.startswith("Learner Name") and not _is_rule_line(text):
                raise ParseError(n, f"unexpected line between unit records: {text[:60]!r}")
            n += 1
        where = f"inside unit {pages[-1].code}" if pages else "before the first unit"
        raise ParseError(
            self.count,
            f"document ends {where} without the '{END_SHEET}' sheet: truncated?",
        )

    def unit_head(self, page: UnitPage, n: int) -> int:
        rationale: list[str] | None = None
        while n <= self.count:
            text = self.stripped(n)
            if text.startswith("LEARNING OUTCOMES"):
                break
            if UNIT_REF_RE.match(text) or text.startswith("ASSESSOR SIGNATURE"):
                raise ParseError(n, f"unit {page.code} has no LEARNING OUTCOMES grid")
            if m := META_RE.match(text):
                page.level, page.credit, page.glh = (
                    m.group("level"),
                    int(m.group("credit")),
                    int(m.group("glh")),
                )
                page.meta_line = n
                rationale = None
            elif m := re.match(r"^Mapping\s*:\s*(.*)$", text):
                value = m.group(1).strip()
                if value.lower() not in ("none", "n/a", ""):
                    page.nos = [c.strip() for c in re.split(r",|\s&\s", value) if c.strip()]
                rationale = None
            elif m := re.match(r"^Rationale\W*:\s*(.*)$", text):
                rationale = [m.group(1)]
            elif rationale is not None and text and not _is_rule_line(text):
                rationale.append(text)  # a wrapped rationale
            if rationale is not None:
                value = _flat(" ".join(rationale))
                page.aim = NOT_GIVEN if value.lower() in ("none", "n/a", "") else value
            n += 1
        if n > self.count:
            raise ParseError(self.count, f"document ends inside unit {page.code}: truncated?")
        if page.meta_line is None:
            raise ParseError(page.line, f"unit {page.code} gives no Level / Credit Value / GLH")
        return n

    def grid(self, page: UnitPage, n: int) -> int:
        last: Criterion | Outcome | None = None
        while n <= self.count:
            raw = self.text(n)
            text = self.stripped(n)
            if text.startswith("ASSESSOR SIGNATURE"):
                break
            if (
                not text
                or _is_rule_line(text)
                or text.startswith(("LEARNING OUTCOMES", "Learner Name"))
                or re.match(r"^The Learner will:?\s*The Learner can:?$", text)
            ):
                n += 1
                continue
            if UNIT_REF_RE.match(text) or GUIDANCE_HEADING_RE.match(text) or END_SHEET in text:
                raise ParseError(
                    n, f"unit {page.code}'s grid is not closed by an ASSESSOR SIGNATURE line"
                )
            cells = _cells(raw)
            if len(cells) >= 2:
                lo_cell, ac_cell = cells[0], cells[1]
            elif m := JOINED_ROW_RE.match(text):  # LO and AC cells joined without a tab
                lo_cell = f"{m.group(1)}. {m.group(2)}"
                ac_cell = f"{m.group(3)}.{m.group(4)} {m.group(5)}"
                if m.group(1) != m.group(3):
                    lo_cell, ac_cell = "", text
            else:
                lo_cell, ac_cell = "", text
            if lo_cell:
                if m := LO_RE.match(lo_cell):
                    number = int(m.group(1))
                    if number != len(page.outcomes) + 1:
                        raise ParseError(
                            n,
                            f"unit {page.code}: learning outcome {number} follows "
                            f"outcome {len(page.outcomes)}",
                        )
                    last = Outcome(number=str(number), text=m.group(2))
                    page.outcomes.append(last)
                    page.outcome_lines.append(n)
                elif isinstance(last, Outcome):
                    last.text = f"{last.text} {lo_cell}"  # a wrapped outcome
                elif page.outcomes:
                    page.outcomes[-1].text = f"{page.outcomes[-1].text} {lo_cell}"
                else:
                    raise ParseError(n, f"unit {page.code}: text before the first outcome")
            if ac_cell:
                if m := AC_RE.match(ac_cell):
                    major, minor, body = int(m.group(1)), int(m.group(2)), m.group(3)
                    if not page.outcomes:
                        raise ParseError(
                            n, f"unit {page.code}: criterion {major}.{minor} before any outcome"
                        )
                    outcome = page.outcomes[-1]
                    if str(major) != outcome.number:
                        raise ParseError(
                            n,
                            f"unit {page.code}: criterion {major}.{minor} is numbered outside "
                            f"its learning outcome {outcome.number}",
                        )
                    if minor != len(outcome.criteria) + 1:
                        raise ParseError(
                            n,
                            f"unit {page.code}: criterion {major}.{minor} does not follow "
                            f"{major}.{len(outcome.criteria)} (numbering not contiguous)",
                        )
                    last = Criterion(number=f"{major}.{minor}", text=body)
                    outcome.criteria.append(last)
                elif isinstance(last, Criterion):
                    last.text = f"{last.text} {ac_cell}"  # a wrapped criterion
                else:
                    raise ParseError(n, f"unit {page.code}: unreadable grid row {text[:60]!r}")
            n += 1
        if n > self.count:
            raise ParseError(
                self.count, f"document ends inside unit {page.code}'s grid: truncated?"
            )
        if not page.outcomes:
            raise ParseError(n, f"unit {page.code} has no learning outcomes or criteria")
        for outcome, line in zip(page.outcomes, page.outcome_lines, strict=True):
            if not outcome.criteria:
                raise ParseError(
                    line, f"unit {page.code}: outcome {outcome.number} has no criteria"
                )
            outcome.text = clean_text(outcome.text)
            for criterion in outcome.criteria:
                criterion.text = clean_text(criterion.text)
        return n + 1

    def guidance(self, page: UnitPage, n: int) -> int:
        row: GuidanceRow | None = None
        while n <= self.count:
            raw = self.text(n)
            text = self.stripped(n)
            if UNIT_REF_RE.match(text) or text.startswith((END_SHEET, "Learner Name")):
                break
            if not text or _is_rule_line(text):
                n += 1
                continue
            if m := GUIDANCE_HEADING_RE.match(text):
                if m.group("code").strip() != page.code:
                    raise ParseError(
                        n, f"guidance table for {m.group('code')!r} inside unit {page.code}"
                    )
                page.guidance_seen = True
            elif not page.guidance_seen:
                raise ParseError(n, f"unit {page.code}: expected its Assessment Guidance table")
            elif text.startswith(GUIDANCE_INTRO):
                pass
            elif text == NO_GUIDANCE:
                page.no_guidance = True
            else:
                cells = raw.split("\t")
                first = _flat(cells[0])
                rest = "\t".join(cells[1:])
                if m := AC_RE.match(first):
                    row = GuidanceRow(f"{m.group(1)}.{m.group(2)}", m.group(3), [], n)
                    if rest.strip():
                        row.guidance.append(rest)
                    page.guidance_rows.append(row)
                elif row is not None:
                    row.guidance.append(raw)  # continuation row (empty first cell)
                else:
                    raise ParseError(n, f"unit {page.code}: unreadable guidance row")
            n += 1
        if not page.guidance_seen:
            raise ParseError(
                min(n, self.count), f"unit {page.code} has no Assessment Guidance table"
            )
        return n

    # Matching guidance rows to criteria ---------------------------------------------------------

    def attach_guidance(self, page: UnitPage) -> None:
        criteria = {c.number: c for o in page.outcomes for c in o.criteria}
        normal = {number: _normal(c.text) for number, c in criteria.items()}
        for row in page.guidance_rows:
            printed = _normal(row.text)
            scores = {number: _similarity(printed, text) for number, text in normal.items()}
            best = max(scores, key=lambda number: (scores[number], number == row.number))
            own = scores.get(row.number, 0.0)
            if own >= scores[best] - 1e-9 and own >= MATCH_THRESHOLD:
                target = row.number
            elif scores[best] >= MATCH_THRESHOLD:
                target = best
            else:
                raise ParseError(
                    row.line,
                    f"unit {page.code}: guidance row {row.number} {row.text[:50]!r} matches no "
                    "criterion of the unit",
                )
            criterion = criteria[target]
            guidance = clean_guidance("\n".join(row.guidance))
            where = f"line {row.line}, unit {page.code}"
            if target != row.number:
                self.notes.append(
                    f"{where}: guidance row numbered {row.number} repeats the text of AC "
                    f"{target} ({criterion.text!r}); attached to {target} (source error)."
                )
            elif _flat(row.text) != criterion.text:
                kind = "wording" if printed != normal[target] else "punctuation"
                self.notes.append(
                    f"{where}: guidance row {row.number} repeats the AC as {row.text!r}; the "
                    f"criterion reads {criterion.text!r} (source {kind} variant; attached to "
                    f"{target})."
                )
            if not guidance:
                self.notes.append(
                    f"{where}: guidance row {row.number} ({row.text!r}) has an empty guidance "
                    f"cell; AC {target} gets no guidance from it."
                )
                continue
            criterion.guidance = (
                f"{criterion.guidance}\n{guidance}" if criterion.guidance else guidance
            )

    # Assembly ------------------------------------------------------------------------------------

    def run(self) -> Specification:
        number, title, source, _, number_line = self.cover()
        qualification, rows, n = self.rules(number, number_line)
        level_match = matched(TITLE_RE, title, number_line)  # cover() chose the title for it
        level = level_match.group(2).replace("Entry ", "E")
        qualification.title = title
        qualification.level = level
        kind = re.search(r"\b(Award|Certificate|Diploma|Extended Diploma)\b", title)
        qualification.qualification_type = kind.group(1) if kind else ""
        qualification.source = source

        pages, _ = self.units(n)
        by_code: dict[str, UnitPage] = {}
        page: UnitPage | None  # each unit's record, then the one a table row names, if any
        for page in pages:
            if page.code in by_code:
                raise ParseError(page.line, f"unit {page.code} has two records")
            by_code[page.code] = page
        table_codes = {row.code for row in rows}
        for page in pages:
            if page.code not in table_codes:
                raise ParseError(page.line, f"unit {page.code} is not in the unit tables")

        units: list[Unit] = []
        for row in rows:
            page = by_code.get(row.code)
            if page is None:
                raise ParseError(row.line, f"unit {row.code} is listed here but has no unit record")
            if (page.level, page.credit, page.glh) != (row.level, row.credit, row.glh):
                self.notes.append(
                    f"line {page.meta_line}, unit {row.code}: the unit record gives Level "
                    f"{page.level}, {page.credit} credits, {page.glh} GLH; the table (line "
                    f"{row.line}) gives {row.level}, {row.credit}, {row.glh}; the table's "
                    "values are used."
                )
            if _flat(page.title).upper() != row.title.upper():
                self.notes.append(
                    f"line {page.line}, unit {row.code}: the unit record's title "
                    f"{page.title!r} differs from the table's {row.title!r} (line {row.line}); "
                    "the table's title is used."
                )
            self.attach_guidance(page)
            units.append(
                Unit(
                    key=row.reference,
                    reference=row.reference,
                    title=clean_text(row.title),
                    level=row.level,
                    credit=row.credit,
                    glh=row.glh,
                    aim=page.aim,
                    nos=page.nos,
                    guidance=NO_GUIDANCE if page.no_guidance else "",
                    outcomes=page.outcomes,
                    source_line=page.line,
                )
            )
        # Source errors no parser can see (reviewed, each citing its line) come from the facts.
        for key, fact in sorted(self.doc.facts.items()):
            if key.startswith("note_"):
                self.notes.append(f"line {fact['line']}: {fact['value']}")
        qualification.notes = self.notes
        return Specification(
            source=self.doc.name,
            awarding_body=BODY,
            qualifications=[qualification],
            units=units,
        )


def parse(document: SourceDocument) -> Specification:
    return _Parser(document).run()
