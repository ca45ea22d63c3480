"""The bulk writer's COPY text format (no database)."""

from __future__ import annotations

from datetime import date

from portfolios.models import RegistrationStatus
from verification.scale_bulk import _copy_value


def test_copy_text_escapes_what_would_end_a_field_or_a_row() -> None:
    assert _copy_value("a\tb\nc\\d\re", False) == "a\\tb\\nc\\\\d\\re"
    assert _copy_value(None, False) == r"\N"
    assert _copy_value(None, True) == r"\N"
    assert _copy_value(True, False) == "t"
    assert _copy_value(12, False) == "12"
    assert _copy_value(date(2026, 1, 2), False) == "2026-01-02"
    assert _copy_value({"note": "line\nbreak"}, True) == '{"note": "line\\\\nbreak"}'
    assert _copy_value(RegistrationStatus.COMPLETE, False) == "complete"
