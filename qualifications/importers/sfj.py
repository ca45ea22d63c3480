"""Parser for the SFJ Awards NVQ qualification handbook (text converted from PDF).

The handbook has front matter with the qualification facts, the rules of combination with
one table per unit group (section 2.3), and section 5 with one block per unit: a header
(Title / Level / Credit value / GLH) and a two-column table of learning outcomes and
assessment criteria, read row by row by the PDF converter.

The unit blocks carry no unit reference numbers; they are linked to the group tables by
position within their group (the orders are the same), checked on level, credits and title.

Conversion damage handled here, generically:
- tabs, trailing cells, bullets ("- 3.5."), stray glyphs, page footers, repeated or merged
  table header rows, the "Additional information" boilerplate glued to the last row;
- rows where the outcome cell and the criteria cell are interleaved word-run by word-run
  (the knowledge outcome of most units): separated with the unit title as an anchor;
- criterion numbers glued to the previous word, printed before the outcome text, or
  missing (unnumbered criteria are numbered from the gap they leave);
- wrapped criteria continued on following lines, duplicated partial rows, stray numbers.
One-off damage no parser can recover is fixed in corrections/sfj.yaml.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from .base import ParseError, SourceDocument, matched
from .schema import (
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
    code="SFJ",
    name="SFJ Awards",
    retention_rule=(
        "SFJ Awards specification: no retention period is stated - the centre must enter its "
        "own period."
    ),
    credit_transfer=True,
    credit_transfer_rule=(
        'SFJ Awards specification section 2.8 (L227): "Credits from identical units that have '
        'already been achieved by the learner may be transferred."'
    ),
)

URN = re.compile(r"^([A-Z])/(\d{3})/(\d{4})$")
AC_NUMBER = re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(?!\d)")
LO_NUMBER = re.compile(r"^(\d{1,2})\.\s+(?=\S)")
FOOTER = re.compile(r"^Version \d+ \d+ © SFJ Awards$")
HEADER_WORDS = re.compile(
    r"^(?:\s|Learning outcomes|Assessment criteria|The learner will:|The learner can:)+"
)
BOILERPLATE = "Additional in"
BOILERPLATE_LINE = re.compile(r"^Ad+i*t*i*tional information")
UNIT_REQUIREMENT = (
    "The assessment and quality assurance requirement for this unit provides evidence "
    "towards A and V units."
)
STRAY_GLYPHS = re.compile(r"[•·▪●■◦]")
BULLET = re.compile(r"^\s*-\s+")
SENTENCE = re.compile(r"(?<=\.)\s+(?=[A-Z])")
KNOWLEDGE_LO = re.compile(r"\b((?:Know|Understand)(?: and understand)? how to [^.]*\.)")
GROUP_HEADING = re.compile(r"^(Mandatory|Optional) group\b", re.IGNORECASE)
MONTHS = "%d %B %Y"
WORDS = {"two": 2, "three": 3, "four": 4, "one": 1}
# Word forms that the outcome wording swaps for those of the unit title.
EQUIVALENT = {"their": "your", "themselves": "yourself", "themself": "yourself"}


def clean(text: str) -> str:
    """Remove markup, tabs and stray glyphs; collapse spaces."""
    text = re.sub(r"\*\*|<br\s*/?>|<[^>]+>", " ", text)
    text = STRAY_GLYPHS.sub(" ", text.replace("\t", " "))
    return re.sub(r"\s+", " ", text).strip()


def letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def norm_word(word: str) -> str:
    word = word.lower().strip(".,;:()")
    return EQUIVALENT.get(word, word)


# --------------------------------------------------------------------------------------
# Front matter


def _find(doc: SourceDocument, pattern: str, start: int = 1, end: int | None = None):
    rx = re.compile(pattern)
    last = len(doc.lines) if end is None else end
    for number in range(start, last + 1):
        match = rx.search(doc.line(number))
        if match:
            return number, match
    return None, None


def _section_heading(doc: SourceDocument, line: int) -> str:
    """The numbered section ("4.7 Use of Simulation") a line sits in, footnote marks removed."""
    for number in range(line, 0, -1):
        text = doc.line(number).strip()
        if re.match(r"^\d+\.\d+ [A-Z]", text):
            return re.sub(r"[\u00b9\u00b2\u00b3\u2070-\u2079]+$", "", text)
    return ""


def _list_items(doc: SourceDocument, start: int, end: int, item: str) -> list[str]:
    """The items of a printed list between two lines, markers kept, page-break noise and
    footnotes (lines starting with a superscript) skipped."""
    rx = re.compile(item)
    return [
        clean(doc.line(n)).lstrip("- ").strip()
        for n in range(start, end + 1)
        if rx.match(doc.line(n).strip().lstrip("- "))
    ]


def _simulation_rule(doc: SourceDocument) -> str:
    """Section 4.7: simulation only in the stated circumstances, agreed with SFJ Awards before
    use. "" if the handbook does not say so."""
    circumstances, _ = _find(doc, r"simulated environment should only be used in the following")
    agreed, _ = _find(doc, r"^Simulations must be agreed between .* prior to use")
    if circumstances is None or agreed is None:
        return ""
    items = "; ".join(
        item.rstrip(".") for item in _list_items(doc, circumstances + 1, agreed - 1, r"^\d+\. ")
    )
    return (
        f'{doc.name}, section "{_section_heading(doc, circumstances)}" (lines '
        f'{circumstances}-{agreed}): "{clean(doc.line(circumstances))} {items}. '
        f'{clean(doc.line(agreed))}"'
    )


def _rwe_guidelines(doc: SourceDocument) -> str:
    """Section 4.6: where a realistic working environment is allowed and the guidelines it
    must meet, a) to i). "" if the handbook has none."""
    start, _ = _find(doc, r"the following guidelines must be met:")
    allowed, _ = _find(doc, r"allow for the use of a Realistic Working Environment")
    if start is None or allowed is None:
        return ""
    end, _ = _find(doc, r"^-?\s*i\) ", start)
    if end is None:
        return ""
    items = _list_items(doc, start + 1, end, r"^[a-i]\) ")
    return (
        f'{doc.name}, section "{_section_heading(doc, start)}" (lines {allowed}-{end}): '
        f'"{clean(doc.line(allowed))} ... {clean(doc.line(start))}"\n' + "\n".join(items)
    )


def _require(doc: SourceDocument, pattern: str, what: str, start: int = 1, end: int | None = None):
    number, match = _find(doc, pattern, start, end)
    if match is None:
        raise ParseError(start, f"{what} not found in the handbook")
    return number, match


def _date(text: str, line: int) -> date:
    try:
        return datetime.strptime(text.strip(), MONTHS).date()
    except ValueError as exc:
        raise ParseError(line, f"cannot read the date {text!r}") from exc


def check_kind(doc: SourceDocument) -> None:
    head = [doc.line(n) for n in range(1, min(len(doc.lines), 30) + 1)]
    if not any(re.match(r"^SFJ Awards Level \d NVQ ", line) for line in head):
        raise ParseError(1, "not an SFJ Awards NVQ qualification handbook (no SFJ title)")
    if not any(line.strip() == "Qualification Handbook" for line in head):
        raise ParseError(
            1, "not an SFJ Awards qualification handbook (no 'Qualification Handbook')"
        )
    if not any(line.startswith("Qualification Number:") for line in head):
        raise ParseError(1, "not an SFJ Awards qualification handbook (no qualification number)")


# --------------------------------------------------------------------------------------
# Group tables (section 2.3)


@dataclass
class TableRow:
    reference: str
    title: str
    level: str | None
    credit: int
    line: int


@dataclass
class TableGroup:
    name: str
    mandatory: bool
    line: int
    rows: list[TableRow] = field(default_factory=list)


def parse_group_tables(doc: SourceDocument, start: int, end: int) -> list[TableGroup]:
    groups: list[TableGroup] = []
    for number in range(start, end):
        raw = doc.line(number)
        cells = [clean(cell) for cell in raw.split("\t")]
        first = cells[0] if cells else ""
        if re.match(r"^(Mandatory|Optional) Group\b", first):
            named = [cell for cell in cells if cell]
            # "Optional Group 4<TAB>Optional Group 4 – Development..." names it twice.
            if len(named) > 1 and named[1].startswith(named[0]):
                named = named[1:]
            groups.append(TableGroup(" ".join(named), first.startswith("Mandatory"), number))
            continue
        match = URN.match(first)
        if not match:
            continue
        if not groups:
            raise ParseError(number, "unit row before any group heading")
        # Columns: reference, title, level, credit (the level cell may be empty).
        padded = [*cells, "", "", "", ""][:4]
        _, title, level, credit = padded
        if not title or not credit.isdigit():
            raise ParseError(number, f"cannot read the unit row {raw.strip()!r}")
        if level and not re.fullmatch(r"[1-8]|E[1-3]", level):
            raise ParseError(number, f"unreadable level {level!r}")
        groups[-1].rows.append(
            TableRow("/".join(match.groups()), title, level or None, int(credit), number)
        )
    if not groups or not groups[0].mandatory:
        raise ParseError(start, "no mandatory group table in section 2.3")
    for group in groups:
        if not group.rows:
            raise ParseError(group.line, f"group {group.name!r} lists no units")
    return groups


# --------------------------------------------------------------------------------------
# Unit blocks (section 5)


@dataclass
class UnitBlock:
    line: int
    group_index: int
    title: str
    level: str | None = None
    credit: int | None = None
    glh: int | None = None
    glh_line: int | None = None
    body: list[int] = field(default_factory=list)  # line numbers of the LO/AC table


def split_unit_blocks(doc: SourceDocument, start: int) -> list[UnitBlock]:
    blocks: list[UnitBlock] = []
    group_index = -1
    in_header = False
    for number in range(start, len(doc.lines) + 1):
        raw = doc.line(number)
        text = clean(raw)
        if not text or FOOTER.match(text):
            continue
        if GROUP_HEADING.match(text):
            group_index += 1
            in_header = False
            continue
        if text.startswith("Copyright"):
            break
        if raw.startswith("Title:"):
            if group_index < 0:
                raise ParseError(number, "unit before any group heading in section 5")
            blocks.append(UnitBlock(number, group_index, clean(raw[len("Title:") :])))
            in_header = True
            continue
        if not blocks:
            continue
        block = blocks[-1]
        if in_header:
            label = re.match(r"^(Level|Credit value|GLH):\s*(\S*)", text)
            if label:
                name, value = label.groups()
                if not value.isdigit():
                    raise ParseError(number, f"unreadable {name} {value!r}")
                if name == "Level" and block.level is None:
                    block.level = value
                elif name == "Credit value" and block.credit is None:
                    block.credit = int(value)
                elif name == "GLH":
                    if block.glh is not None and block.glh != int(value):
                        raise ParseError(number, "GLH printed twice with different values")
                    block.glh = int(value)
                    block.glh_line = block.glh_line or number
                continue
            if re.fullmatch(r"\d+( \d+)*", text):
                # A header row whose label was lost ("5<TAB>5" where "Credit value:" was).
                if block.credit is None and block.level is not None and block.glh is None:
                    block.credit = int(text.split()[0])
                    continue
                raise ParseError(number, f"unlabelled number {text!r} in the unit header")
            if not re.search(r"[A-Za-z0-9]", text):
                continue  # a stray glyph line
            in_header = False
        block.body.append(number)
    return blocks


# --------------------------------------------------------------------------------------
# Learning outcome / assessment criteria table


@dataclass
class Body:
    unit: str  # reference, for messages
    title: str  # unit title from the group table: anchor for interleaved outcomes
    vocabulary: set[str]  # words of the unit texts, to mend words split at a tab
    outcomes: dict[int, str] = field(default_factory=dict)
    outcome_lines: dict[int, int] = field(default_factory=dict)
    criteria: dict[tuple[int, int], str] = field(default_factory=dict)
    criterion_lines: dict[tuple[int, int], int] = field(default_factory=dict)
    unnumbered: dict[int, str] = field(default_factory=dict)
    current: tuple[int, int] | None = None
    major: int | None = None


def _outcome_text(text: str) -> str:
    return clean(LO_NUMBER.sub("", clean(BULLET.sub("", text))))


def _set_outcome(body: Body, major: int, text: str, line: int) -> None:
    text = _outcome_text(text)
    if not text:
        return
    old = body.outcomes.get(major)
    if old is not None and old != text:
        # A page-break repeat of the row is identical (or a truncated copy); nothing else is.
        if not (old.startswith(text) or text.startswith(old)):
            raise ParseError(line, f"{body.unit}: outcome {major} printed twice differently")
        text = max(text, old, key=len)
    body.outcomes[major] = text
    body.outcome_lines.setdefault(major, line)


def _extend_outcome(body: Body, text: str, line: int) -> None:
    """Outcome column continued on a following row (a wrapped title)."""
    major = body.major
    if major is None:
        raise ParseError(line, f"{body.unit}: outcome text before any outcome: {text[:40]!r}")
    old = body.outcomes.get(major, "")
    if old.endswith("."):
        raise ParseError(line, f"{body.unit}: unexpected text in the outcome column: {text!r}")
    body.outcomes[major] = _join_words(body, old, text)
    body.outcome_lines.setdefault(major, line)


def _join_words(body: Body, left: str, right: str) -> str:
    """Join two pieces of one cell that the converter split at a tab.

    'cust' + 'omers.' is one word when neither piece is a word of the document and
    their concatenation is; otherwise the pieces are joined with a space.
    """
    left, right = clean(left), clean(right)
    if not left or not right:
        return left or right
    last, first = left.split()[-1], right.split()[0]
    joined = norm_word(last + first)
    if (
        norm_word(last) not in body.vocabulary
        and norm_word(first) not in body.vocabulary
        and joined in body.vocabulary
    ):
        return left + right
    return left + " " + right


def _split_outcome_cell(text: str) -> list[tuple[int | None, str]]:
    """One cell may hold several outcomes: 'Solve ... problems. 2. Identify ...'."""
    parts = re.split(r"(?:(?<=\.)|^)\s*(\d{1,2})\.\s+(?=[A-Za-z])", text.strip())
    result: list[tuple[int | None, str]] = []
    if clean(parts[0]):
        result.append((None, parts[0]))
    for index in range(1, len(parts), 2):
        result.append((int(parts[index]), parts[index + 1]))
    return result


def _append(body: Body, text: str, line: int) -> None:
    """Continuation text: belongs to the criterion being read, else is unnumbered."""
    text = clean(BULLET.sub("", text))
    if not text:
        return
    if body.current is not None and body.current[0] == body.major:
        key = body.current
        before = body.criteria[key]
        # A word hyphenated at the end of a line: 'non-' + 'random samples.'
        space = "" if re.search(r"[a-z]-$", before) else " "
        body.criteria[key] = clean(before + space + text)
    elif body.major is not None:
        body.unnumbered[body.major] = clean(body.unnumbered.get(body.major, "") + " " + text)
    else:
        raise ParseError(line, f"{body.unit}: criterion text before any outcome: {text[:40]!r}")


def _separate_interleaved(body: Body, start: str, region: str, line: int) -> tuple[str, str]:
    """Split an outcome title that the converter interleaved with its first criterion.

    `start` is the outcome text before the number N.1 (its first column line, no full stop);
    `region` is the text of N.1. The rest of the outcome is a run of words ending with a
    full stop inside `region`; it is found by aligning with the unit title, which the
    knowledge outcomes repeat ("Understand how to" + title). Returns (outcome, criterion).
    """
    title = [norm_word(word) for word in body.title.split()]
    head = [norm_word(word) for word in start.split()]
    remaining = title  # title words not yet used by the outcome's first line
    for size in range(min(len(head), len(title)), 0, -1):
        tail = head[-size:]
        found = [j for j in range(len(title) - size + 1) if title[j : j + size] == tail]
        if found:
            remaining = title[found[-1] + size :]
            break
    tokens = region.split()
    for anchor, token in enumerate(tokens):
        if anchor == 0 or not token.endswith(".") or not remaining:
            continue
        if norm_word(token) != remaining[-1]:
            continue
        first, position = anchor, len(remaining) - 2
        while first - 1 > 0 and position >= 0:
            word = norm_word(tokens[first - 1])
            if word not in remaining[: position + 1]:
                break
            while remaining[position] != word:
                position -= 1
            first -= 1
            position -= 1
        outcome = clean(start + " " + " ".join(tokens[first : anchor + 1]))
        criterion = clean(" ".join(tokens[:first] + tokens[anchor + 1 :]))
        return outcome, criterion
    raise ParseError(
        line,
        f"{body.unit}: cannot separate outcome text {start!r} from criterion text "
        f"{region[:40]!r} (needs a correction)",
    )


def _outcome_in_tail(body: Body, major: int) -> str:
    """The next outcome printed at the end of the previous criterion.

    '... plans for improvement. Understand how to monitor the quality of 4.1. Review ...'
    Returns the outcome's text (its first column line when interleaved) or "".
    """
    if body.current is None:
        return ""
    previous = body.criteria[body.current]
    numbered = re.search(rf"(?<=\.)\s+{major}\.\s+([A-Z][^.]*\.?)$", previous)
    plain = re.search(r"(?<=\.)\s+((?:Understand|Know)\b[^.]*)$", previous)
    found = numbered or plain
    if not found:
        return ""
    body.criteria[body.current] = clean(previous[: found.start()])
    return found.group(1)


def _criteria_run(body: Body, text: str, line: int, lead: str = "") -> None:
    """Read text that starts with a criterion number N.k (continuation already taken)."""
    matches = list(AC_NUMBER.finditer(text))
    for index, match in enumerate(matches):
        major, minor = int(match.group(1)), int(match.group(2))
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        chunk = clean(BULLET.sub("", text[match.end() : end]))
        chunk = re.sub(r"\s+-$", "", chunk)
        if major != body.major:
            if index > 0 and (minor != 1 or major != (body.major or 0) + 1):
                raise ParseError(
                    line,
                    f"{body.unit}: criterion {major}.{minor} is numbered outside outcome "
                    f"{body.major} in whose text it stands",
                )
            if minor == 1 and major not in body.outcomes:
                lead = lead or _outcome_in_tail(body, major)
                if lead and not lead.endswith("."):
                    outcome, chunk = _separate_interleaved(body, lead, chunk, line)
                    _set_outcome(body, major, outcome, line)
                elif lead:
                    _set_outcome(body, major, lead, line)
                else:
                    # '4.1. Describe ... Know how to deliver reliable customer service. or ...'
                    found = KNOWLEDGE_LO.search(chunk)
                    if found and found.start() > 0:
                        _set_outcome(body, major, found.group(1), line)
                        chunk = clean(chunk[: found.start()] + " " + chunk[found.end() :])
            lead = ""
            body.major = major
        key = (major, minor)
        if key in body.criteria:
            old = body.criteria[key]
            # A page-break repeat of a partial row: keep the complete one.
            if not (old.startswith(chunk) or chunk.startswith(old)):
                raise ParseError(line, f"{body.unit}: criterion {major}.{minor} printed twice")
            chunk = max(old, chunk, key=len)
        body.criteria[key] = chunk
        body.criterion_lines.setdefault(key, line)
        body.current = key


def _new_outcomes(body: Body, text: str, first_major: int | None, line: int) -> list[int]:
    parts = _split_outcome_cell(text)
    expected = (body.major or 0) + 1
    numbers: list[int] = []
    for position, (number, part) in enumerate(parts):
        if number is None:
            number = first_major if first_major is not None else expected
            if position == 0 and first_major is None and body.major in body.outcomes:
                number = expected
        _set_outcome(body, number, part, line)
        body.major = number
        numbers.append(number)
    body.current = None
    return numbers


def read_row(body: Body, raw: str, line: int) -> None:
    cells = [clean(HEADER_WORDS.sub("", BULLET.sub("", cell))) for cell in raw.split("\t")]
    # A number without its full stop, alone in a cell, is a stray ("4.0").
    cells = [cell for cell in cells if cell and not re.fullmatch(r"\d+\.\d+", cell)]
    if not cells:
        return
    first_ac = next((i for i, cell in enumerate(cells) if AC_NUMBER.search(cell)), None)
    if first_ac is None:
        outcome_number = LO_NUMBER.match(cells[0])
        starts_outcome = (
            outcome_number is not None and int(outcome_number.group(1)) == (body.major or 0) + 1
        )
        if starts_outcome or body.major is None:
            # An outcome row whose criteria lost their numbers (or come on later rows).
            _new_outcomes(body, cells[0], None, line)
            for cell in cells[1:]:
                _append(body, cell, line)
        elif len(cells) >= 2:
            _extend_outcome(body, " ".join(cells[:-1]), line)
            _append(body, cells[-1], line)
        else:
            _append(body, cells[0], line)
        return
    outcome_cells = cells[:first_ac]
    text = " ".join(cells[first_ac:])
    match = matched(AC_NUMBER, text, line)  # cells[first_ac] holds one
    lead, rest = clean(text[: match.start()]), text[match.start() :]
    major, minor = int(match.group(1)), int(match.group(2))
    if outcome_cells:
        outcome = outcome_cells[0]
        for fragment in outcome_cells[1:]:
            outcome = _join_words(body, outcome, fragment)
        if lead:
            # A continuation row: both columns continue the previous row.
            _extend_outcome(body, outcome, line)
            _append(body, lead, line)
        else:
            numbers = _new_outcomes(body, outcome, major, line)
            if numbers[0] != major:
                raise ParseError(
                    line,
                    f"{body.unit}: criterion {major}.{minor} is numbered outside outcome "
                    f"{numbers[0]} on its row",
                )
            body.major = major
        _criteria_run(body, rest, line)
        return
    if lead and minor == 1 and major == (body.major or 0) + 1:
        # The outcome stands in the criteria text before N.1: complete, or interleaved.
        _criteria_run(body, rest, line, lead=_outcome_text(lead) or lead)
        return
    if lead:
        _append(body, lead, line)
    _criteria_run(body, rest, line)


def read_body(doc: SourceDocument, block: UnitBlock, body: Body) -> Body:
    for number in block.body:
        raw = doc.line(number)
        text = clean(raw)
        if FOOTER.match(text):
            continue
        if BOILERPLATE_LINE.match(raw.replace("\t", "")) or text.startswith("Assessment requ"):
            break
        cut = raw.find(BOILERPLATE)
        ended = False
        if cut >= 0:
            cell_end = raw.find("\t", cut)
            if cell_end < 0 or not AC_NUMBER.search(raw[cell_end:]):
                raw, ended = raw[:cut], True
            else:
                # Glued to an outcome cell; the criteria cell follows.
                raw = raw[:cut] + raw[cell_end:]
        read_row(body, raw, number)
        if ended:
            break
    return body


def _split_unnumbered(text: str, count: int, line: int, where: str) -> list[str]:
    sentences = [clean(s) for s in SENTENCE.split(text) if clean(s)]
    if len(sentences) != count:
        raise ParseError(line, f"{where}: {len(sentences)} unnumbered criteria, expected {count}")
    return sentences


def build_outcomes(doc: SourceDocument, body: Body, block: UnitBlock) -> list[Outcome]:
    facts = doc.facts
    if not body.criteria and not body.unnumbered:
        raise ParseError(block.line, f"{body.unit}: the unit has no assessment criteria")
    majors = sorted(set(body.outcomes) | {k[0] for k in body.criteria} | set(body.unnumbered))
    if majors != list(range(1, len(majors) + 1)):
        line = min(body.criterion_lines.values(), default=block.line)
        raise ParseError(line, f"{body.unit}: outcome numbers {majors} are not 1..n")
    # Unnumbered criteria of outcomes that print no numbered ones, where the document
    # does not show which outcome they belong to, are shared out by a reviewed fact.
    split = facts.get(f"unnumbered_split {body.unit}")
    if split:
        shared = " ".join(body.unnumbered.pop(m, "") for m in sorted(body.unnumbered))
        sentences = _split_unnumbered(shared, sum(split["value"]), split["line"], body.unit)
        offset = 0
        for major, count in enumerate(split["value"], start=1):
            for minor in range(1, count + 1):
                body.criteria[(major, minor)] = sentences[offset]
                body.criterion_lines[(major, minor)] = split["line"]
                offset += 1
    outcomes: list[Outcome] = []
    for major in majors:
        numbers = sorted(minor for m, minor in body.criteria if m == major)
        line = body.outcome_lines.get(major) or block.line
        if major in body.unnumbered:
            # Unnumbered criteria before the first numbered one.
            first = numbers[0] if numbers else None
            sentences = [clean(s) for s in SENTENCE.split(body.unnumbered[major]) if clean(s)]
            if first is not None and len(sentences) != first - 1:
                raise ParseError(line, f"{body.unit}: unnumbered text in outcome {major}")
            for minor, sentence in enumerate(sentences, start=1):
                body.criteria[(major, minor)] = sentence
                body.criterion_lines[(major, minor)] = line
            numbers = sorted(minor for m, minor in body.criteria if m == major)
        # A gap in the numbering: the unnumbered criteria were read as the tail of the
        # criterion before the gap ("... implications. Describe the types of ...").
        for minor in range(1, max(numbers, default=0) + 1):
            if (major, minor) in body.criteria:
                continue
            before = minor - 1
            while before > 0 and (major, before) not in body.criteria:
                before -= 1
            gap_end = minor
            while (major, gap_end) not in body.criteria:
                gap_end += 1
            missing = gap_end - before - 1
            where = body.criterion_lines.get((major, before), line)
            if before == 0:
                raise ParseError(where, f"{body.unit}: criterion {major}.1 is missing")
            sentences = [clean(s) for s in SENTENCE.split(body.criteria[(major, before)])]
            if len(sentences) < missing + 1:
                raise ParseError(
                    where,
                    f"{body.unit}: criteria {major}.{before + 1}..{major}.{gap_end - 1} missing",
                )
            keep = sentences[: len(sentences) - missing]
            body.criteria[(major, before)] = " ".join(keep)
            for offset, sentence in enumerate(sentences[len(keep) :], start=1):
                body.criteria[(major, before + offset)] = sentence
                body.criterion_lines[(major, before + offset)] = where
        numbers = sorted(minor for m, minor in body.criteria if m == major)
        if not numbers:
            raise ParseError(line, f"{body.unit}: outcome {major} has no criteria")
        # A number printed in the middle of its sentence: 'State the limits of their own
        # authority 3.3. and who else ...' leaves the sentence's start on the criterion before.
        for minor in numbers[:-1]:
            text, after = body.criteria[(major, minor)], body.criteria.get((major, minor + 1), "")
            parts = SENTENCE.split(text)
            if len(parts) > 1 and not re.search(r"[.?!:]$", parts[-1]) and after[:1].islower():
                body.criteria[(major, minor)] = clean(text[: -len(parts[-1])])
                body.criteria[(major, minor + 1)] = clean(parts[-1] + " " + after)
        if numbers != list(range(1, len(numbers) + 1)):
            raise ParseError(line, f"{body.unit}: criteria of outcome {major} are not contiguous")
        title = body.outcomes.get(major, NOT_GIVEN)
        if facts.get(f"outcome {body.unit} {major}"):
            fact = facts[f"outcome {body.unit} {major}"]
            title = fact["value"]
        criteria = []
        for minor in numbers:
            text = body.criteria[(major, minor)]
            if not text:
                raise ParseError(
                    body.criterion_lines[(major, minor)],
                    f"{body.unit}: criterion {major}.{minor} has no text",
                )
            criteria.append(Criterion(f"{major}.{minor}", text))
        outcomes.append(Outcome(str(major), title or NOT_GIVEN, criteria))
    return outcomes


# --------------------------------------------------------------------------------------
# Whole document


def _section_line(doc: SourceDocument, pattern: str, what: str, start: int = 1) -> int:
    number, _ = _require(doc, pattern, what, start)
    return number


def parse(document: SourceDocument) -> Specification:
    doc = document
    check_kind(doc)
    title_line, title_match = _require(
        doc, r"^(SFJ Awards Level (\d) (NVQ) Diploma in .+?)\s*$", "qualification title"
    )
    title, level, qtype = title_match.group(1), title_match.group(2), title_match.group(3)
    number_line, number_match = _require(
        doc, r"^Qualification Number:\s*(\d{3}/\d{4}/\d)\s*$", "qualification number"
    )
    op_line, op_match = _require(doc, r"^Operational End Date:\s*(.+)$", "operational end date")
    cert_line, cert_match = _require(
        doc, r"^Certification End Date:\s*(.+)$", "certification end date"
    )
    version_line, _ = _require(doc, r"^Version\tDate of issue", "version table")
    version_cells = [clean(c) for c in doc.line(version_line + 1).split("\t")]
    if len(version_cells) < 2 or not re.fullmatch(r"V\d+", version_cells[0]):
        raise ParseError(version_line + 1, "cannot read the latest version row")
    version, issued = version_cells[0], version_cells[1]

    rules_line = _section_line(doc, r"^2\.3\.1 ", "rules of combination (2.3.1)")
    tables_line = _section_line(doc, r"^Mandatory Group\b", "group tables", rules_line)
    tqt_line = _section_line(doc, r"^2\.4 Total Qualification Time", "section 2.4", tables_line)
    rules_lines = [
        clean(doc.line(n)) for n in range(rules_line + 1, tables_line) if clean(doc.line(n))
    ]
    rules_text = "\n".join(rules_lines)
    joined = " ".join(rules_lines)
    total = re.search(r"must successfully complete (\d+) credits", joined)
    mandatory = re.search(
        r"(\w+) mandatory units in Group ([A-Z]) which provide a total of (\d+) credits", joined
    )
    pooled = re.search(r"total of (\d+) credits from Groups ([A-Z]) to ([A-Z])", joined)
    minimums = re.findall(r"A minimum of (\d+) credits from Group ([A-Z])", joined)
    level_rule = re.search(
        r"A minimum of (\d+) of the credits from Groups ([A-Z]) to ([A-Z]) must be at Level (\d)",
        joined,
    )
    if not (total and mandatory and pooled and minimums and level_rule):
        raise ParseError(rules_line, "cannot read the rules of combination")

    tables = parse_group_tables(doc, tables_line, tqt_line)
    letters_in_rules = [mandatory.group(2)] + [letter for _, letter in minimums]
    if len(letters_in_rules) != len(tables):
        raise ParseError(
            tables_line,
            f"the rules name {len(letters_in_rules)} groups but {len(tables)} tables follow",
        )
    if int(WORDS.get(mandatory.group(1).lower(), 0) or 0) not in (0, len(tables[0].rows)):
        raise ParseError(tables_line, "the mandatory group does not hold the stated units")

    tqt_row_line, tqt_match = _require(
        doc, r"^" + re.escape(title) + r"\t(\d+)\t(\d+)\s*$", "TQT/GLH row", tqt_line
    )
    age_line, age_match = _require(
        doc, r"available to learners aged (\d+) years and over", "age restriction", tqt_line
    )
    units_line = _section_line(doc, r"^5\. Qualification Units\s*$", "section 5", age_line)

    blocks = split_unit_blocks(doc, units_line + 1)
    rows = [(gi, row) for gi, group in enumerate(tables) for row in group.rows]
    if len(blocks) != len(rows):
        last = blocks[-1].line if blocks else units_line
        raise ParseError(
            last,
            f"the group tables list {len(rows)} units but section 5 has {len(blocks)} "
            "unit specifications (truncated?)",
        )
    notes: list[str] = [
        f"The rules (lines {rules_line + 2}-{tables_line - 2}) name Groups A-E; the tables "
        f"(lines {tables[0].line}-{tables[-1].line}) are headed Mandatory Group and Optional "
        "Groups 1-4. Letters A-E are assigned in table order (inferred; the document never "
        "pairs them).",
        f"Every unit's 'Assessment requirements specified by a sector or regulatory body' box "
        f"(e.g. line {units_line + 32}) reads '{UNIT_REQUIREMENT}', apparently copied from "
        "assessor/verifier qualifications; stored as printed.",
        "Line 363 says 'Skills SFA Assessment Strategy'; everywhere else it is Skills CFA "
        "(source typo, kept).",
    ]
    real_work_line, _ = _find(doc, r"^All Level 3 and Level 4 units must be achieved in a real")
    real_work = clean(doc.line(real_work_line)) if real_work_line else ""
    simulation_rule = _simulation_rule(doc)
    rwe_guidelines = _rwe_guidelines(doc)

    # Words of the criteria cells (from the first criterion number of a row on), which
    # the converter did not split at column boundaries.
    vocabulary = {
        norm_word(word)
        for block in blocks
        for number in block.body
        for match in [AC_NUMBER.search(doc.line(number))]
        if match
        for word in clean(doc.line(number)[match.start() :]).split()
    }
    units: list[Unit] = []
    memberships: list[list[Membership]] = [[] for _ in tables]
    for block, (group_index, row) in zip(blocks, rows, strict=True):
        if block.group_index != group_index:
            raise ParseError(
                block.line, f"unit specification for {row.reference} is under the wrong group"
            )
        similarity = difflib.SequenceMatcher(None, letters(block.title), letters(row.title))
        if similarity.ratio() < 0.6:
            raise ParseError(
                block.line,
                f"unit specification {block.title!r} does not match table row {row.title!r} "
                f"(line {row.line})",
            )
        if block.level is None or block.credit is None or block.glh is None:
            raise ParseError(block.line, f"{row.reference}: level, credit or GLH missing")
        if block.credit != row.credit or (row.level and row.level != block.level):
            raise ParseError(
                block.line,
                f"{row.reference}: level/credit {block.level}/{block.credit} differ from the "
                f"group table ({row.level}/{row.credit}, line {row.line})",
            )
        level_value = row.level or block.level
        if row.level is None:
            notes.append(
                f"{row.reference} has no level in the group table (line {row.line}); "
                f"Level {block.level} taken from its specification (line {block.line + 1})."
            )
        glh = block.glh
        glh_fact = doc.facts.get(f"glh {row.reference}")
        if glh_fact:
            notes.append(
                f"{row.reference}: GLH printed as {glh} (line {glh_fact['line']}); "
                f"corrected to {glh_fact['value']}: {glh_fact['why']}"
            )
            glh = glh_fact["value"]
        elif glh != round(row.credit * 20 / 3):
            notes.append(
                f"{row.reference}: GLH {glh} for {row.credit} credits (line {block.glh_line}) "
                f"breaks the handbook's pattern (GLH = credits x 20/3 gives "
                f"{round(row.credit * 20 / 3)}); kept as printed."
            )
        body = read_body(doc, block, Body(row.reference, row.title, vocabulary))
        outcomes = build_outcomes(doc, body, block)
        requirements = UNIT_REQUIREMENT
        if real_work and level_value in ("3", "4"):
            requirements += f"\n{real_work} (line {real_work_line})"
        units.append(
            Unit(
                key=row.reference,
                reference=row.reference,
                title=row.title,
                level=level_value,
                credit=row.credit,
                glh=glh,
                kind="competence",
                assessment_requirements=requirements,
                real_work_only=bool(real_work) and level_value in ("3", "4"),
                outcomes=outcomes,
                source_line=block.line,
            )
        )
        memberships[group_index].append(Membership(unit=row.reference, code=""))

    for key, fact in doc.facts.items():
        if key.startswith("note"):
            notes.append(f"{fact['why']} (line {fact['line']})")

    groups: list[Group] = []
    minimum_by_letter = {letter: int(value) for value, letter in minimums}
    for index, (table, letter) in enumerate(zip(tables, letters_in_rules, strict=True)):
        if index == 0:
            rule = next((line for line in rules_lines if "mandatory units in Group" in line), "")
            rule = next((s for s in SENTENCE.split(rule) if "mandatory units" in s), rule)
            group = Group(
                letter,
                table.name,
                True,
                memberships[index],
                min_credits=int(mandatory.group(3)),
                min_units=len(table.rows),
                rule_text=rule,
            )
        else:
            rule = next(
                (
                    clean(BULLET.sub("", line))
                    for line in rules_lines
                    if re.search(rf"credits from Group {letter}$", line)
                ),
                "",
            )
            group = Group(
                letter,
                table.name,
                False,
                memberships[index],
                min_credits=minimum_by_letter[letter],
                rule_text=rule,
            )
        groups.append(group)

    rule_groups = [
        letter
        for letter in letters_in_rules
        if level_rule.group(2) <= letter <= level_rule.group(3)
    ]
    level_rule_text = next(line for line in rules_lines if "must be at Level" in line)
    # "must be at Level 3" does not say whether Level 4 credits count. The parser does not
    # choose: the reviewed corrections record the reading and the reason, shown to everyone on
    # the qualification's page.
    reading = doc.facts.get("reading level rule 1")
    if not reading or "at_or_above" not in (reading.get("value") or {}):
        raise ParseError(
            rules_line,
            f"'{level_rule_text}' can be read as exactly Level {level_rule.group(4)} or as "
            f"Level {level_rule.group(4)} or above: record the reading and why as the fact "
            "'reading level rule 1' in corrections/sfj.yaml",
        )
    qualification = Qualification(
        number=number_match.group(1),
        title=title,
        level=level,
        qualification_type=qtype,
        source=f"{doc.name} ({title} Qualification Handbook, {version}, {issued})",
        credit_value=int(total.group(1)),
        glh=int(tqt_match.group(2)),
        tqt=int(tqt_match.group(1)),
        minimum_age=int(age_match.group(1)),
        age_note=clean(doc.line(age_line)),
        operational_end=_date(op_match.group(1), op_line),
        certification_end=_date(cert_match.group(1), cert_line),
        grading="pass",
        min_credits=int(total.group(1)),
        groups=groups,
        level_rules=[
            LevelRule(
                min_credits=int(level_rule.group(1)),
                level=level_rule.group(4),
                at_or_above=bool(reading["value"]["at_or_above"]),
                groups=rule_groups,
                rule_text=level_rule_text,
                reading=" ".join(str(reading["why"]).split()),
            )
        ],
        rules_text=rules_text,
        simulation_rule=simulation_rule,
        rwe_guidelines=rwe_guidelines,
        notes=notes,
    )
    del title_line, number_line, tqt_row_line
    return Specification(
        source=doc.name, awarding_body=BODY, qualifications=[qualification], units=units
    )
