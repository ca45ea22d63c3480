"""Writing CSV for people to open in a spreadsheet: the claim file, the staff competence report,
the off-the-job log. One rule for every export, kept here beneath the apps that write them."""

from __future__ import annotations

import csv
from typing import Any

# Cells a spreadsheet would run as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A leading apostrophe makes a spreadsheet show the cell as text, never run it."""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file that hands back what is written: csv.writer then yields each line as a string,
    so a StreamingHttpResponse can send the rows as they are read."""

    def write(self, value: str) -> str:
        return value


def line_writer() -> Any:
    """A csv.writer whose writerow returns the line instead of writing it anywhere."""
    return csv.writer(_Echo())
