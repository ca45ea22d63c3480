"""Parser for Ascentis QCF qualification specifications (Award/Certificate, text from PDF).

The document's shape, as Ascentis prints it:

* a title block ("Ascentis ... Specification"), the Ofqual numbers as "<label>: 600/1686/3"
  lines and the Ofqual dates as a label line followed by a DD/MM/YYYY line;
* a "Rules of Combination" section: one TAB table holding, per qualification, a title row, a
  "Minimum credits" row, group rows whose heading and rule prose are fused into one cell, unit
  rows (Title, Level, Credit Value, GLH, Unit ref), a shared optional-group list, then the
  barred-combinations table;
* headed paragraphs for GLH, TQT, age range and so on;
* one page per unit (title heading, "Credit Value/GLH/Level of Unit" lines, Introduction, a
  Learning Outcomes / Assessment Criteria table, Indicative Content). Unit pages carry no
  unit reference: references are joined from the Rules of Combination tables by exact title;
* Appendix 1 (Summary Record of Achievement) and Appendix 2 (one tracking sheet per unit,
  a second printed copy of every assessment criterion).

Conversion damage handled generically: markdown/HTML markup, headings at arbitrary levels,
running "UNIT SPECIFICATIONS" headers and page-break blank lines inside tables, rule lines,
four different encodings of the outcome/criteria table (numbers in their own cells or fused
to the text, criteria of one outcome fused into one cell), wrapped cells, stray glyphs.
The unit tables are the authority for criteria; differences from the tracking sheets are
recorded in the qualifications' notes, never merged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qualifications.importers.base import ParseError, SourceDocument
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
    code="ASCENTIS",
    name="Ascentis",
    retention_weeks=4,
    retention_rule=(
        'Ascentis specification L279: "Centres are required to retain all evidence from all '
        "learners for external verification and for 4 weeks afterwards should any appeal be "
        'made."'
    ),
    registration_days=49,
    registration_rule=(
        'Ascentis specification L249: "All learners must normally be registered with Ascentis '
        'within seven weeks of commencement of a course"'
    ),
    credit_transfer_rule=(
        'Ascentis specification L193: "Credits from equivalent units: Please contact the '
        'Ascentis office to request equivalences" - Ascentis agrees them, not the centre.'
    ),
)

# ---------------------------------------------------------------------------------------------
# Text cleaning

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SUP = re.compile(r"<sup>.*?</sup>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})(?:\s+|$)(.*?)\s*#*\s*$")
_SPACES = re.compile(r"\s+")
_BULLET = re.compile(r"^[-•▪●◦‣∙·*]\s+")
_LETTER_ITEM = re.compile(r"^[a-z][.)]\s")


def _keep_char(ch: str) -> bool:
    if ch in "\t\n":
        return True
    category = unicodedata.category(ch)
    # Control characters, format characters (zero-width, soft hyphen, BOM), private-use
    # glyphs (PDF symbol-font bullets) and unassigned code points are conversion debris.
    return category not in ("Cc", "Cf", "Co", "Cn")


def clean(text: str) -> str:
    """The printed words of one cell or line: markup, stray glyphs and extra spaces removed."""
    text = "".join(ch for ch in text if _keep_char(ch)).replace("\u00a0", " ")
    heading = _HEADING.match(text)
    if heading:
        text = heading.group(2)
    text = _LINK.sub(r"\1", text)
    text = _SUP.sub("", text)
    text = _TAG.sub("", text)
    text = text.replace("**", "").replace("__", "")
    text = _ITALIC.sub(r"\1", text)
    text = _ESCAPE.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def _cells(raw: str) -> list[str]:
    """Cells of a table row (TAB-separated, or markdown pipes), cleaned; empty cells kept."""
    if "\t" in raw:
        parts = raw.split("\t")
    elif raw.strip().startswith("|"):
        parts = raw.strip().strip("|").split("|")
        if all(re.fullmatch(r"\s*:?-{3,}:?\s*", p) for p in parts):
            return []
    else:
        parts = [raw]
    return [clean(p) for p in parts]


def _filled(raw: str) -> list[str]:
    return [c for c in _cells(raw) if c]


def _is_heading(raw: str) -> bool:
    return bool(_HEADING.match(raw))


def _is_rule(raw: str) -> bool:
    return bool(re.fullmatch(r"\s*([-*_])(\s*\1){2,}\s*", raw))


def _is_structural_heading(raw: str) -> bool:
    """Running page headers and part titles: all-capital headings ("## UNIT SPECIFICATIONS")."""
    if not _is_heading(raw):
        return False
    text = clean(raw)
    return bool(text) and text.upper() == text and any(ch.isalpha() for ch in text)


def _norm_title(text: str) -> str:
    text = re.sub(r"\s*\((?:Entry(?: Level)?|Level)\s*\d\)\s*$", "", clean(text))
    return text.casefold()


def _level(text: str) -> str | None:
    m = re.fullmatch(r"\s*(?:(Entry)(?: Level)?\s*([1-3])|Level\s*([1-8]))\s*", clean(text))
    if not m:
        return None
    return f"E{m.group(2)}" if m.group(1) else m.group(3)


def _join_parts(parts: list[str]) -> str:
    """Wrapped pieces of one cell: joined with a space; list items kept one per line."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if _BULLET.match(part):
            out += ("\n" if out else "") + _BULLET.sub("", part)
        elif _LETTER_ITEM.match(part):
            out += ("\n" if out else "") + part
        else:
            out += (" " if out else "") + part
    return out.strip()


# ---------------------------------------------------------------------------------------------
# Unit references

_REF = re.compile(r"^([A-Z])\s*/?\s*(\d{3})\s*/?\s*(\d{4})$")
_CHECK_LETTERS = "ADFHJKLMRTY"


def _normalise_ref(text: str) -> str | None:
    m = _REF.match(clean(text))
    return f"{m.group(1)}/{m.group(2)}/{m.group(3)}" if m else None


def _check_letter_ok(ref: str) -> bool:
    """QCF unit-reference check letter (weights 8..2 over the digits, mod 11).

    Derived from this document's references, not documented: used for warnings only.
    """
    digits = ref[2:].replace("/", "")
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True))
    return _CHECK_LETTERS[total % 11] == ref[0]


# ---------------------------------------------------------------------------------------------
# Working structures


@dataclass
class _QualDraft:
    label: str  # "Level 1 Award"
    number: str
    title: str = ""
    title_line: int | None = None
    min_credits: int | None = None
    groups: list[Group] = field(default_factory=list)
    level_rules: list[LevelRule] = field(default_factory=list)
    rule_lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _RocUnit:
    title: str
    level: str
    credit: int
    glh: int
    ref: str
    line: int


@dataclass
class _Barred:
    line: int
    left: tuple[str, str]  # (title as printed, normalised ref)
    right: tuple[str, str]


def _find_heading(doc: SourceDocument, text: str, start: int = 1) -> int | None:
    want = text.casefold()
    for n in range(start, len(doc.lines) + 1):
        raw = doc.line(n)
        if _is_heading(raw) and clean(raw).casefold() == want:
            return n
    return None


def _next_heading(doc: SourceDocument, after: int) -> int:
    for n in range(after + 1, len(doc.lines) + 1):
        if _is_heading(doc.line(n)):
            return n
    return len(doc.lines) + 1


def _paragraphs(doc: SourceDocument, start: int, end: int) -> list[tuple[int, str]]:
    out = []
    for n in range(start, end):
        raw = doc.line(n)
        if _is_rule(raw):
            continue
        text = clean(raw)
        if text:
            out.append((n, text))
    return out


def _section(doc: SourceDocument, title: str, near: int) -> tuple[int, list[tuple[int, str]]]:
    at = _find_heading(doc, title)
    if at is None:
        raise ParseError(near, f"no '{title}' section after this line")
    return at, _paragraphs(doc, at + 1, _next_heading(doc, at))


# ---------------------------------------------------------------------------------------------
# Front matter


def _check_kind(doc: SourceDocument) -> tuple[str, int]:
    first = next((n for n in range(1, len(doc.lines) + 1) if clean(doc.line(n))), None)
    if first is None:
        raise ParseError(1, f"{doc.name} is empty, not an Ascentis specification")
    block: list[str] = []
    n = first
    while n <= len(doc.lines) and clean(doc.line(n)) and len(block) < 6:
        block.append(clean(doc.line(n)))
        n += 1
    title = " ".join(block)
    if not re.fullmatch(r"Ascentis .+ Specification", title):
        raise ParseError(
            first,
            f"expected an Ascentis qualification specification titled 'Ascentis ... "
            f"Specification', found {title[:80]!r}",
        )
    if _find_heading(doc, "Rules of Combination") is None:
        raise ParseError(first, "no 'Rules of Combination' section: not a full specification")
    return title, first


def _qualification_numbers(doc: SourceDocument) -> tuple[list[tuple[str, str, int]], int]:
    """[(label, number, line)] from the first "Ofqual Number:" block."""
    label_line = None
    for n in range(1, len(doc.lines) + 1):
        if re.fullmatch(r"Ofqual Number:?", clean(doc.line(n)), re.IGNORECASE):
            label_line = n
            break
    if label_line is None:
        raise ParseError(None, "no 'Ofqual Number:' label in the front matter")
    found: list[tuple[str, str, int]] = []
    for n in range(label_line + 1, len(doc.lines) + 1):
        text = clean(doc.line(n))
        if not text:
            continue
        m = re.fullmatch(r"(.+?):\s*(\d{3}/\d{4}/[0-9X])", text)
        if not m:
            break
        found.append((m.group(1), m.group(2), n))
    if not found:
        raise ParseError(label_line, "no qualification numbers under 'Ofqual Number:'")
    return found, label_line


def _labelled_date(doc: SourceDocument, label: str) -> tuple[date | None, int | None]:
    for n in range(1, len(doc.lines) + 1):
        if clean(doc.line(n)).casefold() != f"{label}:".casefold():
            continue
        for m_line in range(n + 1, min(n + 4, len(doc.lines)) + 1):
            text = clean(doc.line(m_line))
            if not text:
                continue
            m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
            if not m:
                raise ParseError(m_line, f"'{label}' is not followed by a DD/MM/YYYY date")
            day, month, year = (int(g) for g in m.groups())
            try:
                return date(year, month, day), m_line
            except ValueError as exc:
                raise ParseError(m_line, f"'{label}' is not a valid date ({exc})") from exc
        raise ParseError(n, f"'{label}' has no date")
    return None, None


def _per_label_numbers(
    paragraphs: list[tuple[int, str]], labels: list[str], pattern: str
) -> dict[str, tuple[int, int]]:
    """{label: (value, line)} where `pattern` (with {label}) matches in the paragraphs."""
    out: dict[str, tuple[int, int]] = {}
    for line, text in paragraphs:
        for label in labels:
            m = re.search(pattern.format(label=re.escape(label)), text, re.IGNORECASE)
            if m and label not in out:
                out[label] = (int(m.group(1)), line)
    return out


# ---------------------------------------------------------------------------------------------
# Rules of combination

_GROUP_HEAD = re.compile(r"^Group ([A-Z0-9]+)\s*[-–—]\s*((?:Mandatory|Optional) Units)\b\s*(.*)$")
_MIN_CREDITS = re.compile(r"^Minimum credits:\s*(.+?):\s*(\d+)$", re.IGNORECASE)
_AT_LEVEL = re.compile(
    r"(\d+) credits? (?:are |is )?required which must be at ((?:Entry|Level)\s*\d)", re.IGNORECASE
)
_FURTHER = re.compile(r"a further (\d+) credits? (?:can|may) be taken at any level", re.IGNORECASE)


def _rules(
    doc: SourceDocument, labels: dict[str, str]
) -> tuple[dict[str, _QualDraft], dict[str, _RocUnit], list[_Barred], list[str], int]:
    start = _find_heading(doc, "Rules of Combination")
    if start is None:
        raise ParseError(None, "no 'Rules of Combination' section")
    end = _next_heading(doc, start)
    drafts: dict[str, _QualDraft] = {}
    units: dict[str, _RocUnit] = {}  # normalised title -> row
    barred: list[_Barred] = []
    shared_rows: list[str] = []  # rows applying to every qualification (equivalents...)
    current: _QualDraft | None = None
    target: Group | None = None
    shared_group: str | None = None  # group code of a shared list ("Group B – Optional Units")
    in_barred = False

    def unit_row(cells: list[str], n: int) -> _RocUnit:
        title, level_text, credit, glh, ref_text = cells[:5]
        level = _level(level_text)
        ref = _normalise_ref(ref_text)
        if level is None or ref is None or not credit.isdigit() or not glh.isdigit():
            raise ParseError(n, f"unreadable unit row in the Rules of Combination: {cells}")
        row = _RocUnit(title, level, int(credit), int(glh), ref, n)
        known = units.get(_norm_title(title))
        if known and (known.ref, known.level, known.credit, known.glh) != (
            ref,
            level,
            row.credit,
            row.glh,
        ):
            raise ParseError(
                n, f"unit {title!r} is listed at line {known.line} with different details"
            )
        units[_norm_title(title)] = row
        return row

    for n in range(start + 1, end):
        raw = doc.line(n)
        cells = _filled(raw)
        if not cells or _is_rule(raw):
            continue
        first = cells[0]
        if in_barred:
            if len(cells) == 5 and re.fullmatch(r"may not be taken with", cells[2], re.I):
                left = (cells[0], _barred_ref(cells[1], n))
                barred.append(_Barred(n, left, (cells[3], _barred_ref(cells[4], n))))
                continue
            if [c.casefold() for c in cells] == ["unit title", "reference"] * 2:
                continue
            if "\t" not in raw:  # prose after the table ("Unit certification is available...")
                shared_rows.append(first)
                continue
            raise ParseError(n, f"unreadable row in the barred combinations table: {cells}")
        if len(cells) == 1:
            text = first
            m_title = re.fullmatch(r"Ascentis (.+?) for .+", text)
            label = next((lab for lab in labels if m_title and lab in m_title.group(1)), None)
            if m_title and label:
                current = drafts.setdefault(label, _QualDraft(label, labels[label]))
                current.title, current.title_line = text, n
                current.rule_lines.append(text)
                target, shared_group = None, None
                continue
            m_min = _MIN_CREDITS.match(text)
            if m_min:
                if current is None or m_min.group(1) != current.label:
                    raise ParseError(n, f"minimum credits for {m_min.group(1)!r} out of place")
                current.min_credits = int(m_min.group(2))
                current.rule_lines.append(text)
                continue
            m_group = _GROUP_HEAD.match(text)
            if m_group:
                if current is None:
                    raise ParseError(n, "a group of the rules of combination before any title")
                target = _group(current, m_group, n)
                shared_group = None
                current.rule_lines.append(text)
                continue
            if re.match(r"barred combinations", text, re.I):
                in_barred = True
                continue
            if re.match(r"credits from (equivalent units|exemptions)", text, re.I):
                shared_rows.append(text)
                continue
            if "\t" not in raw:  # a prose paragraph between the tables
                shared_rows.append(text)
                continue
            raise ParseError(n, f"unexpected row in the Rules of Combination: {text[:80]!r}")
        header = [c.casefold() for c in cells[1:]]
        if header == ["level", "credit value", "glh", "unit ref"]:
            m_group = _GROUP_HEAD.match(first)
            if m_group:  # a list shared by every qualification that declared this group
                shared_group, target, current = m_group.group(1), None, None
            elif first.casefold() != "title":
                raise ParseError(n, f"unexpected table header {cells}")
            continue
        if len(cells) == 5:
            row = unit_row(cells, n)
            if shared_group is not None:
                holders = [g for d in drafts.values() for g in d.groups if g.code == shared_group]
                if not holders:
                    raise ParseError(n, f"unit list for Group {shared_group}, which no rule names")
                for group in holders:
                    group.units.append(Membership(unit=row.ref))
            elif target is not None:
                target.units.append(Membership(unit=row.ref))
            else:
                raise ParseError(n, f"unit {row.title!r} listed outside any group")
            continue
        raise ParseError(n, f"unreadable row in the Rules of Combination: {cells}")

    for label, number in labels.items():
        draft = drafts.get(label)
        if draft is None:
            raise ParseError(start, f"no rules of combination for the {label} ({number})")
        if draft.min_credits is None:
            raise ParseError(draft.title_line, f"no minimum credits for the {label}")
        for group in draft.groups:
            if not group.units:
                raise ParseError(draft.title_line, f"{label}: {group.name} lists no units")
    if not barred:
        raise ParseError(start, "no barred combinations table in the Rules of Combination")
    return drafts, units, barred, shared_rows, start


def _group(draft: _QualDraft, m: re.Match[str], n: int) -> Group:
    code, kind, rule = m.group(1), m.group(2), m.group(3).strip()
    name = m.group(0)[: m.start(3)].strip() if rule else m.group(0).strip()
    group = Group(code=code, name=name, mandatory=kind.startswith("Mandatory"), rule_text=rule)
    # The rule names the qualification it belongs to; printing another one is a source slip.
    for label in re.findall(r"Level \d+ (?:Award|Certificate|Diploma)", rule):
        if label != draft.label:
            draft.notes.append(
                f"Line {n}: the {name} rule printed under the {draft.label} says "
                f"'{label}' (\"{rule}\"); a copy-paste error in the source. The rule is read "
                f"as the {draft.label}'s."
            )
            break
    if not group.mandatory:
        at_level = _AT_LEVEL.search(rule)
        further = _FURTHER.search(rule)
        if not at_level and not further:
            raise ParseError(n, f"cannot read the credit rule of {name}: {rule[:80]!r}")
        total = 0
        if at_level:
            level = _level(at_level.group(2))
            if level is None:
                raise ParseError(n, f"unknown level {at_level.group(2)!r} in {name}")
            total += int(at_level.group(1))
            draft.level_rules.append(
                LevelRule(
                    min_credits=int(at_level.group(1)),
                    level=level,
                    at_or_above=False,
                    groups=[code],
                    rule_text=rule,
                )
            )
        if further:
            total += int(further.group(1))
        group.min_credits = total
        for other in re.findall(r"from Group (\S+) optional units", rule):
            if other != code:
                draft.notes.append(
                    f"Line {n}: {name} says 'Credits from Group {other} optional units'; "
                    f"there is no Group {other}, so this is read as Group {code} (source error)."
                )
    draft.groups.append(group)
    return group


def _barred_ref(cell: str, n: int) -> str:
    ref = _normalise_ref(cell)
    if ref is None:
        raise ParseError(n, f"{cell!r} is not a unit reference")
    return ref


# ---------------------------------------------------------------------------------------------
# Unit pages

_UNIT_FIELD = re.compile(r"^(Credit Value|GLH|Level) of Unit:\s*(.+)$", re.IGNORECASE)
_LO_AC_HEADER = ["learning outcomes", "assessment criteria"]
_STEM_ROW = ["the learner will be able to", "the learner can"]
_AC_CELL = re.compile(r"^(\d+)\.(\d+)\.?(?:\s+(.*))?$")
_LO_CELL = re.compile(r"^(\d+)\.?(?:\s+(\D.*))?$")
_AC_LIKE = re.compile(r"(?:^|\s)(\d+)\.(\d+)\s+(?=[A-Z])")


@dataclass
class _Page:
    unit: Unit
    first: int
    table_lines: tuple[int, int] = (0, 0)
    criterion_lines: dict[str, int] = field(default_factory=dict)


def _unit_pages(doc: SourceDocument, start: int, end: int) -> list[_Page]:
    credit_lines = [
        n
        for n in range(start, end)
        if (m := _UNIT_FIELD.match(clean(doc.line(n)))) and m.group(1).lower() == "credit value"
    ]
    if not credit_lines:
        raise ParseError(start, "no unit specifications (no 'Credit Value of Unit' line)")
    titles = [_unit_title_line(doc, n) for n in credit_lines]
    pages = []
    for i, (title_line, credit_line) in enumerate(zip(titles, credit_lines, strict=True)):
        stop = titles[i + 1] if i + 1 < len(titles) else end
        pages.append(_unit_page(doc, title_line, credit_line, stop))
    return pages


def _unit_title_line(doc: SourceDocument, credit_line: int) -> int:
    n = credit_line - 1
    while n > 0 and (not clean(doc.line(n)) or _is_rule(doc.line(n))):
        n -= 1
    if n == 0 or _is_structural_heading(doc.line(n)) or _UNIT_FIELD.match(clean(doc.line(n))):
        raise ParseError(credit_line, "unit details without a unit title above them")
    return n


def _unit_page(doc: SourceDocument, title_line: int, credit_line: int, stop: int) -> _Page:
    title = clean(doc.line(title_line))
    values: dict[str, tuple[str, int]] = {}
    n = credit_line
    while n < stop:
        raw = doc.line(n)
        text = clean(raw)
        m = _UNIT_FIELD.match(text)
        if m:
            values[m.group(1).lower()] = (m.group(2).strip(), n)
        elif text and not _is_rule(raw):
            break
        n += 1
    for key in ("credit value", "glh", "level"):
        if key not in values:
            raise ParseError(title_line, f"unit {title!r} has no '{key} of unit' line")
    credit_text, credit_at = values["credit value"]
    glh_text, glh_at = values["glh"]
    level_text, level_at = values["level"]
    if not credit_text.isdigit():
        raise ParseError(credit_at, f"credit value {credit_text!r} is not a number")
    if not glh_text.isdigit():
        raise ParseError(glh_at, f"GLH {glh_text!r} is not a number")
    level = _level(level_text)
    if level is None:
        raise ParseError(level_at, f"unknown unit level {level_text!r}")
    unit = Unit(
        key="",
        reference="",
        title=title,
        level=level,
        credit=int(credit_text),
        glh=int(glh_text),
        source_line=title_line,
    )
    page = _Page(unit=unit, first=title_line)

    header = None
    for k in range(n, stop):
        if [c.casefold() for c in _filled(doc.line(k))] == _LO_AC_HEADER:
            header = k
            break
    if header is None:
        raise ParseError(title_line, f"unit {title!r} has no learning outcomes table")
    unit.aim = _aim(doc, n, header)
    table_end = _read_table(doc, page, header, stop)
    unit.guidance = _indicative_content(doc, table_end, stop)
    return page


def _aim(doc: SourceDocument, start: int, stop: int) -> str:
    texts = []
    for n in range(start, stop):
        raw = doc.line(n)
        if _is_heading(raw) or _is_rule(raw):
            continue
        text = clean(raw)
        if text:
            texts.append(text)
    return "\n".join(texts)


def _indicative_content(doc: SourceDocument, start: int, stop: int) -> str:
    texts = []
    for n in range(start, stop):
        raw = doc.line(n)
        if _is_rule(raw) or _is_structural_heading(raw):
            continue
        text = _BULLET.sub("", clean(raw))
        if text:
            texts.append(text)
    if texts and texts[0].casefold() == "indicative content":
        texts = texts[1:]
    return "\n".join(texts)


def _read_table(doc: SourceDocument, page: _Page, header: int, stop: int) -> int:
    """Read the outcomes/criteria rows after `header`; return the first line after the table."""
    unit = page.unit
    outcomes: list[Outcome] = []
    outcome_parts: dict[int, list[str]] = {}
    criterion_parts: dict[tuple[int, int], list[str]] = {}
    open_field: tuple[str, Any] | None = None  # ("lo", index) or ("ac", (lo, ac))
    previous_blank = False
    last_row = header
    n = header + 1
    while n < stop:
        raw = doc.line(n)
        cells = _filled(raw)
        if not cells or _is_rule(raw):
            previous_blank = True
            n += 1
            continue
        lowered = [c.casefold() for c in cells]
        if _is_structural_heading(raw) or lowered in (_LO_AC_HEADER, _STEM_ROW):
            n += 1  # running header or a header repeated after a page break
            continue
        if _is_heading(raw):
            break
        if len(cells) == 1 and "\t" not in raw and re.fullmatch(r"\d{1,3}", cells[0]):
            n += 1  # a page number
            continue
        starts_numbered = bool(_AC_CELL.match(cells[0]) or _LO_CELL.match(cells[0]))
        if "\t" not in raw and previous_blank and not starts_numbered:
            break  # prose after the table
        previous_blank = False
        last_row = n
        if "\t" not in raw and not starts_numbered:
            tokens: list[tuple[str, Any]] = [("text", cells[0])]  # a wrapped cell
        else:
            tokens = _row_tokens(cells, n)
        for kind, value in tokens:
            if kind == "lo":
                number, text = value
                if number != len(outcomes) + 1:
                    raise ParseError(
                        n,
                        f"learning outcome {number} follows outcome {len(outcomes)} "
                        f"in {unit.title!r}",
                    )
                if outcomes and not outcomes[-1].criteria:
                    raise ParseError(n, f"learning outcome {len(outcomes)} has no criteria")
                outcomes.append(Outcome(number=str(number), text=""))
                outcome_parts[number] = [text] if text else []
                open_field = ("lo", number)
            elif kind == "ac":
                lo_number, ac_number, text = value
                if not outcomes or lo_number != len(outcomes):
                    raise ParseError(
                        n,
                        f"criterion {lo_number}.{ac_number} numbered outside its learning "
                        f"outcome {len(outcomes) or 'none'} in {unit.title!r}",
                    )
                criteria = outcomes[-1].criteria
                if ac_number != len(criteria) + 1:
                    raise ParseError(
                        n,
                        f"criterion {lo_number}.{ac_number} follows {lo_number}.{len(criteria)}"
                        f" in {unit.title!r}: numbering not contiguous",
                    )
                for k, piece in _split_fused(lo_number, ac_number, text, n):
                    if k != len(criteria) + 1:
                        raise ParseError(n, f"criterion {lo_number}.{k} out of sequence")
                    criteria.append(Criterion(number=f"{lo_number}.{k}", text=""))
                    criterion_parts[(lo_number, k)] = [piece] if piece else []
                    page.criterion_lines[f"{lo_number}.{k}"] = n
                    open_field = ("ac", (lo_number, k))
            else:
                if open_field is None:
                    raise ParseError(n, f"text outside any learning outcome: {value[:60]!r}")
                where, key = open_field
                (outcome_parts[key] if where == "lo" else criterion_parts[key]).append(value)
        n += 1

    if not outcomes:
        raise ParseError(header, f"unit {unit.title!r} has no learning outcomes")
    for outcome in outcomes:
        number = int(outcome.number)
        outcome.text = _join_parts(outcome_parts[number]) or NOT_GIVEN
        if not outcome.criteria:
            raise ParseError(header, f"learning outcome {number} of {unit.title!r} has no criteria")
        for criterion in outcome.criteria:
            lo, ac = (int(p) for p in criterion.number.split("."))
            criterion.text = _join_parts(criterion_parts[(lo, ac)])
            if not criterion.text:
                raise ParseError(
                    page.criterion_lines[criterion.number],
                    f"criterion {criterion.number} of {unit.title!r} has no text",
                )
    unit.outcomes = outcomes
    page.table_lines = (header, last_row)
    return n


def _row_tokens(cells: list[str], n: int) -> list[tuple[str, Any]]:
    """Tokens of one table row: ("lo", (n, text)), ("ac", (lo, ac, text)), ("text", text)."""
    tokens: list[tuple[str, Any]] = []
    pending: str | None = None  # a number cell waiting for its text cell
    for cell in cells:
        m_ac = _AC_CELL.match(cell)
        m_lo = _LO_CELL.match(cell)
        if m_ac:
            tokens.append(("ac", [int(m_ac.group(1)), int(m_ac.group(2)), m_ac.group(3) or ""]))
            pending = None if m_ac.group(3) else "ac"
        elif m_lo:
            tokens.append(("lo", [int(m_lo.group(1)), m_lo.group(2) or ""]))
            pending = None if m_lo.group(2) else "lo"
        elif pending is not None:
            tokens[-1][1][-1] = cell
            pending = None
        else:
            tokens.append(("text", cell))
    return [(kind, tuple(v) if isinstance(v, list) else v) for kind, v in tokens]


def _split_fused(lo: int, ac: int, text: str, n: int) -> list[tuple[int, str]]:
    """Split "1.1 A 1.2 B 1.3 C" (all criteria of an outcome in one cell) on the numbering."""
    pieces: list[tuple[int, str]] = []
    k, rest = ac, text
    while True:
        m = re.search(rf"(?:^|\s){lo}\.{k + 1}\.?\s+", rest)
        if not m:
            pieces.append((k, rest.strip()))
            break
        pieces.append((k, rest[: m.start()].strip()))
        rest, k = rest[m.end() :], k + 1
    for _, piece in pieces:
        stray = _AC_LIKE.search(piece)
        if stray:
            raise ParseError(
                n,
                f"criterion number {stray.group(1)}.{stray.group(2)} inside the text of "
                f"outcome {lo}'s criteria, out of sequence",
            )
    return pieces


# ---------------------------------------------------------------------------------------------
# Appendices


@dataclass
class _Sheet:
    title: str
    line: int
    rows: dict[str, tuple[str, int]] = field(default_factory=dict)
    closed: bool = False


def _tracking_sheets(doc: SourceDocument, start: int) -> list[_Sheet]:
    sheets: list[_Sheet] = []
    expect_title = False
    for n in range(start, len(doc.lines) + 1):
        raw = doc.line(n)
        text = clean(raw)
        if not text or _is_rule(raw):
            continue
        if text.casefold() == "tracking sheet":
            if sheets and not sheets[-1].closed:
                raise ParseError(n, f"tracking sheet for {sheets[-1].title!r} ends unsigned")
            expect_title = True
            continue
        if expect_title:
            sheets.append(_Sheet(title=text, line=n))
            expect_title = False
            continue
        if not sheets:
            continue
        sheet = sheets[-1]
        cells = _filled(raw)
        if cells and cells[0].casefold() == "criteria":
            continue
        m = _AC_CELL.match(cells[0]) if cells else None
        if m and m.group(3):
            sheet.rows[f"{m.group(1)}.{m.group(2)}"] = (m.group(3), n)
        elif text.casefold().startswith("internal verifier"):
            sheet.closed = True
    if expect_title:
        raise ParseError(len(doc.lines), "the document ends after a 'Tracking Sheet' heading")
    if sheets and not sheets[-1].closed:
        raise ParseError(
            len(doc.lines),
            f"the document ends inside the tracking sheet for {sheets[-1].title!r} (truncated?)",
        )
    return sheets


def _summary_record(doc: SourceDocument, start: int, stop: int) -> dict[str, tuple[str, int, int]]:
    """{normalised title: (level, credit, line)} from the Summary Record of Achievement."""
    rows: dict[str, tuple[str, int, int]] = {}
    for n in range(start, stop):
        cells = _cells(doc.line(n))
        if len(cells) >= 3 and cells[0] and cells[2].isdigit():
            level = _level(cells[1])
            if level is None:
                raise ParseError(n, f"unknown level {cells[1]!r} in the Summary Record")
            rows[_norm_title(cells[0])] = (level, int(cells[2]), n)
    return rows


# ---------------------------------------------------------------------------------------------
# The whole document


def _facts_by_prefix(doc: SourceDocument, prefix: str) -> dict[int, dict[str, Any]]:
    out = {}
    for key, fact in doc.facts.items():
        if key.startswith(prefix):
            out[int(fact["line"])] = {"key": key, **fact}
    return out


def parse(document: SourceDocument) -> Specification:
    doc = document
    doc_title, _ = _check_kind(doc)
    numbers, _ = _qualification_numbers(doc)
    labels = {label: number for label, number, _ in numbers}
    source = f"{doc.name} ({doc_title})"

    # Front-matter facts.
    start_date, _ = _labelled_date(doc, "Ofqual Start Date")
    review, review_line = _labelled_date(doc, "Ofqual Review Date")
    cert_review, cert_review_line = _labelled_date(doc, "Ofqual Certification Review Date")
    roc_heading = _find_heading(doc, "Rules of Combination") or 1
    glh_at, glh_paras = _section(doc, "Recommended Guided Learning Hours", roc_heading)
    glh = _per_label_numbers(glh_paras, list(labels), r"{label}:\s*(\d+)")
    tqt_at, tqt_paras = _section(doc, "Total Qualification Time", roc_heading)
    tqt = _per_label_numbers(tqt_paras, list(labels), r"time for {label}\b.*?\bis (\d+)")
    age_at = _find_heading(doc, "Age Range of Qualification")
    age_paras = _paragraphs(doc, age_at + 1, _next_heading(doc, age_at)) if age_at else []
    age_note = " ".join(text for _, text in age_paras)
    m_age = re.search(r"aged (\d+)\s*(?:[-–+]|and over|or over)", age_note)
    for label in labels:
        if label not in glh:
            raise ParseError(glh_at, f"no recommended GLH for the {label}")
        if label not in tqt:
            raise ParseError(tqt_at, f"no total qualification time for the {label}")

    drafts, roc_units, barred_rows, shared_rows, roc_at = _rules(doc, labels)

    # Unit pages run from the first unit to the first appendix.
    appendix1 = _find_heading(doc, "APPENDIX 1")
    appendix2 = _find_heading(doc, "APPENDIX 2")
    if appendix1 is None or appendix2 is None:
        raise ParseError(
            len(doc.lines), "no Appendix 1/Appendix 2 (summary record, tracking sheets): truncated?"
        )
    pages = _unit_pages(doc, roc_at + 1, appendix1)
    by_title: dict[str, _Page] = {}
    page: _Page | None  # each unit's page, then the one a table row names, if any
    for page in pages:
        key = _norm_title(page.unit.title)
        if key in by_title:
            raise ParseError(page.first, f"unit {page.unit.title!r} printed twice")
        by_title[key] = page

    notes: list[str] = []  # notes for every qualification of the document

    # References: from the rules-of-combination tables, then from the barred table.
    for title_key, row in roc_units.items():
        page = by_title.get(title_key)
        if page is None:
            raise ParseError(row.line, f"unit {row.title!r} has no unit specification page")
        unit = page.unit
        if (unit.level, unit.credit, unit.glh) != (row.level, row.credit, row.glh):
            raise ParseError(
                row.line,
                f"unit {row.title!r}: level/credit/GLH differ from its page (line {page.first})",
            )
        unit.reference = row.ref

    corrections = _facts_by_prefix(doc, "barred_ref")
    used: set[int] = set()
    pairs: list[tuple[str, str]] = []
    for barred in barred_rows:
        keys = []
        for title, printed in (barred.left, barred.right):
            ref = printed
            raw_cell = next(
                c for c in _filled(doc.line(barred.line)) if _normalise_ref(c) == printed
            )
            if raw_cell != printed:
                notes.append(
                    f"Line {barred.line}: barred-combinations reference printed as '{raw_cell}', "
                    f"read as {printed}."
                )
            fix = corrections.get(barred.line)
            if fix and fix["value"]["find"] == printed:
                ref = fix["value"]["replace"]
                used.add(barred.line)
                notes.append(
                    f"Line {barred.line}: barred-combinations table gives {printed} for "
                    f"'{clean(title)}'; corrected to {ref}. {fix['why']}"
                )
            page = by_title.get(_norm_title(title))
            if page is None:
                raise ParseError(
                    barred.line, f"barred unit {title!r} has no unit specification page"
                )
            m_level = re.search(r"\(([^)]*)\)\s*$", title)
            if m_level and _level(m_level.group(1)) not in (None, page.unit.level):
                raise ParseError(barred.line, f"barred unit {title!r} is not at its page's level")
            if page.unit.reference and page.unit.reference != ref:
                raise ParseError(
                    barred.line,
                    f"barred-combinations table gives {ref} for {title!r}, but the rules of "
                    f"combination give {page.unit.reference} (line "
                    f"{roc_units[_norm_title(title)].line}); needs a reviewed correction",
                )
            if not page.unit.reference:
                if not _check_letter_ok(ref):
                    notes.append(
                        f"Line {barred.line}: {ref} fails the unit-reference check letter; "
                        "kept as printed, please review."
                    )
                page.unit.reference = ref
            keys.append(ref)
        pairs.append((keys[0], keys[1]))
    for line, fix in corrections.items():
        if line not in used:
            raise ParseError(
                line, f"correction {fix['key']} expects {fix['value']['find']} on this line"
            )

    units: list[Unit] = []
    for page in pages:
        unit = page.unit
        if unit.reference:
            unit.key = unit.reference
        else:
            unit.key = f"{BODY.code}:{unit.title}"
            notes.append(
                f"Line {page.first}: unit {unit.title!r} has no unit reference anywhere in "
                "the document."
            )
        units.append(unit)
    in_roc = {row.ref for row in roc_units.values()}
    for unit in units:
        if unit.reference not in in_roc:
            part = _part_title(doc, unit.source_line or 1)
            where = f" (printed under '{part}')" if part else ""
            notes.append(
                f"Line {unit.source_line}: unit {unit.key} '{unit.title}' ({unit.level}) has a "
                f"unit specification{where} but is in neither qualification's rules of "
                "combination; loaded, attached to no qualification."
            )

    # Appendix 1: the summary record must agree with the unit pages.
    for title_key, (level, credit, line) in _summary_record(doc, appendix1, appendix2).items():
        page = by_title.get(title_key)
        if page is None or (page.unit.level, page.unit.credit) != (level, credit):
            notes.append(
                f"Line {line}: the Summary Record of Achievement row "
                f"'{clean(doc.line(line).split(chr(9))[0])}' ({level}, {credit} credits) does "
                "not match any unit page."
            )

    # Appendix 2: tracking sheets, a second copy of the criteria. The unit tables win.
    sheets = _tracking_sheets(doc, appendix2)
    sheet_by_title = {_norm_title(s.title): s for s in sheets}
    differences: dict[str, list[str]] = {}
    for page in pages:
        sheet = sheet_by_title.get(_norm_title(page.unit.title))
        if sheet is None:
            raise ParseError(
                len(doc.lines), f"no tracking sheet for unit {page.unit.title!r}: truncated?"
            )
        differences[page.unit.key] = _compare(page, sheet)

    qualifications = []
    for label, number in labels.items():
        draft = drafts[label]
        members = {m.unit for g in draft.groups for m in g.units}
        q_notes = list(draft.notes)
        printed_tqt, tqt_line = tqt[label]
        value = printed_tqt
        fix = doc.facts.get("tqt")
        if fix is not None:
            if number not in fix["value"]:
                raise ParseError(int(fix["line"]), f"TQT correction does not name {number}")
            value = int(fix["value"][number])
            if value != printed_tqt:
                q_notes.append(
                    f"Line {tqt_line}: TQT printed as {printed_tqt} for the {label}; "
                    f"corrected to {value}. {fix['why']}"
                )
        if value < glh[label][0]:
            q_notes.append(
                f"Line {tqt_line}: TQT {value} is less than the GLH {glh[label][0]} (line "
                f"{glh[label][1]}); please review."
            )
        if review is not None:
            q_notes.append(
                f"Line {review_line}: Ofqual Review Date {review:%d/%m/%Y} and line "
                f"{cert_review_line}: Ofqual Certification Review Date "
                f"{cert_review:%d/%m/%Y} are review dates, not an operational or "
                "certification end; no end date is recorded."
                if cert_review
                else f"Line {review_line}: Ofqual Review Date {review:%d/%m/%Y} is a review "
                "date, not an operational end."
            )
        q_notes.extend(notes)
        for unit in units:
            if unit.key in members:
                q_notes.extend(differences[unit.key])
        rules_text = "\n".join(draft.rule_lines + shared_rows)
        qualifications.append(
            Qualification(
                number=number,
                title=draft.title,
                level=_label_level(label, draft.title_line),
                qualification_type=label.split()[-1],
                source=source,
                credit_value=draft.min_credits,
                glh=glh[label][0],
                tqt=value,
                minimum_age=int(m_age.group(1)) if m_age else None,
                age_note=age_note or NOT_GIVEN,
                operational_start=start_date,
                min_credits=draft.min_credits,
                groups=draft.groups,
                level_rules=draft.level_rules,
                barred=list(pairs),
                rules_text=rules_text,
                notes=q_notes,
            )
        )
    return Specification(
        source=doc.name, awarding_body=BODY, qualifications=qualifications, units=units
    )


def _part_title(doc: SourceDocument, line: int) -> str:
    """The nearest top-level heading above `line` ("MANDATORY UNITS"), or ""."""
    for n in range(line - 1, 0, -1):
        m = _HEADING.match(doc.line(n))
        if m and len(m.group(1)) == 1:
            return clean(doc.line(n))
    return ""


def _label_level(label: str, line: int | None) -> str:
    m = re.match(r"(Entry(?: Level)?\s*\d|Level\s*\d)", label)
    level = _level(m.group(1)) if m else None
    if level is None:
        raise ParseError(line, f"cannot tell the level of the {label}")
    return level


def _compare(page: _Page, sheet: _Sheet) -> list[str]:
    unit = page.unit
    out = []
    spec = {c.number: c.text for o in unit.outcomes for c in o.criteria}
    for number, text in spec.items():
        if number not in sheet.rows:
            out.append(
                f"Line {page.criterion_lines[number]}: {unit.key} criterion {number} is "
                f"missing from the tracking sheet (line {sheet.line})."
            )
        elif sheet.rows[number][0] != text:
            out.append(
                f"Line {sheet.rows[number][1]}: the tracking sheet prints {unit.key} "
                f"{number} as '{sheet.rows[number][0]}'; the unit table (line "
                f"{page.criterion_lines[number]}) has '{text}', which is used."
            )
    for number, (text, line) in sheet.rows.items():
        if number not in spec:
            out.append(
                f"Line {line}: the tracking sheet has {unit.key} criterion {number} "
                f"'{text}', absent from the unit table (lines {page.table_lines[0]}-"
                f"{page.table_lines[1]}); not loaded, needs review."
            )
    return out
