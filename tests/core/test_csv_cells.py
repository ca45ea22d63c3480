"""core.csv_cells: the one rule every CSV export follows against formula injection."""

from __future__ import annotations

import pytest

from core.csv_cells import line_writer, safe_cell


@pytest.mark.parametrize("value", ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx"])
def test_a_cell_a_spreadsheet_would_run_is_made_text(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Ana Lima", "601/3973/0", "", "a=b"])
def test_other_cells_are_left_alone(value: str) -> None:
    assert safe_cell(value) == value


def test_numbers_and_other_values_are_written_as_text() -> None:
    assert safe_cell(-3) == "'-3"
    assert safe_cell(7.5) == "7.5"


def test_the_line_writer_hands_back_each_line() -> None:
    writer = line_writer()

    assert writer.writerow(["a", "b, c"]) == 'a,"b, c"\r\n'
