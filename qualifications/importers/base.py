"""Reading a source document and applying its reviewed corrections."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CORRECTIONS_DIR = Path(__file__).resolve().parent / "corrections"


class ParseError(Exception):
    """The document is not of the expected format, or is malformed. Names the line."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        self.message = message
        where = f"line {line}: " if line else ""
        super().__init__(f"{where}{message}")


def matched(pattern: re.Pattern[str], text: str, line: int | None) -> re.Match[str]:
    """pattern's first match in text, where the text was chosen for holding one (so a
    ParseError only if the reader has gone wrong)."""
    match = pattern.search(text)
    if match is None:
        raise ParseError(line, f"expected {pattern.pattern!r} in {text!r}")
    return match


@dataclass
class SourceDocument:
    name: str  # file name, recorded as the qualification's source
    lines: list[str]  # 1-based access through line(); corrections already applied
    facts: dict[str, Any] = field(default_factory=dict)  # structured corrections, per format

    def line(self, number: int) -> str:
        return self.lines[number - 1]


def load_corrections(fmt: str) -> dict[str, Any]:
    path = CORRECTIONS_DIR / f"{fmt}.yaml"
    if not path.exists():
        return {"lines": [], "facts": {}}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {"lines": data.get("lines") or [], "facts": data.get("facts") or {}}


def read_document(path: Path, fmt: str) -> SourceDocument:
    """Read the file and apply the format's line corrections.

    A correction names a line, a text that must be on it and its replacement, and why. A
    correction whose text is not on its line is an error: the source changed, and the
    correction must be reviewed again rather than silently skipped.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(None, f"{path.name} is not UTF-8 text ({exc.reason})") from exc
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    corrections = load_corrections(fmt)
    for correction in corrections["lines"]:
        number = correction["line"]
        if not 1 <= number <= len(lines):
            raise ParseError(number, f"correction points past the end of {path.name}")
        find, replace = correction["find"], correction["replace"]
        if find not in lines[number - 1]:
            raise ParseError(
                number, f"correction expects {find!r} on this line of {path.name}; it is not there"
            )
        lines[number - 1] = lines[number - 1].replace(find, replace, 1)
    return SourceDocument(name=path.name, lines=lines, facts=corrections["facts"])
