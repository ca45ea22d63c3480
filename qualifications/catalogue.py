"""Where the catalogue's fixtures live and in which order they load."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

CATALOGUE_DIR = Path(settings.BASE_DIR) / "fixtures" / "catalogue"
SOURCES_DIR = Path(settings.BASE_DIR) / "fixtures" / "sources"

# (format, source document). Order matters: NCFE's mapping names IMI's units.
DOCUMENTS: list[tuple[str, str]] = [
    ("sfj", "sfj-601-1109-4.txt"),
    ("imi", "imi-601-3456-2.txt"),
    ("ascentis", "ascentis-600-1686-3-600-1684-x.txt"),
    ("pearson", "pearson-603-5449-5-603-5450-1.txt"),
    ("ncfe-standard", "ncfe-601-3973-0-standard-mapping.txt"),
]


def fixture_path(fmt: str) -> Path:
    return CATALOGUE_DIR / f"{fmt}.json"


def catalogue_fixtures() -> list[Path]:
    return [fixture_path(fmt) for fmt, _source in DOCUMENTS if fixture_path(fmt).exists()]
