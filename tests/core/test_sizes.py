"""Issue 18: sizes read true ("666 bytes", "26 KB", "1.2 MB"), not "(1 MB)" for everything."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from core.sizes import human_size


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (666, "666 bytes"),
        (1023, "1,023 bytes"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (1280, "1.3 KB"),  # halves round up, as in static/js/upload.js
        (10_752, "11 KB"),
        (26_000, "25 KB"),
        (26 * 1024, "26 KB"),
        (1_048_575, "1 MB"),
        (1_048_576, "1 MB"),
        (int(1.2 * 1_048_576), "1.2 MB"),
        (25 * 1_048_576, "25 MB"),
        (3 * 1024**3, "3 GB"),
    ],
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


def test_filter() -> None:
    template = Template("{% load sizes %}{{ a|filesize }}|{{ b|filesize }}|{{ c|filesize }}")
    assert template.render(Context({"a": 666, "b": 26 * 1024, "c": None})) == "666 bytes|26 KB|"
