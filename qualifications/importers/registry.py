"""The document formats `import_specification --format` accepts, and the module parsing each."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from qualifications.importers.base import SourceDocument
from qualifications.importers.schema import Specification

FORMATS: dict[str, str] = {
    "sfj": "qualifications.importers.sfj",
    "imi": "qualifications.importers.imi",
    "ascentis": "qualifications.importers.ascentis",
    "pearson": "qualifications.importers.pearson",
    "ncfe-standard": "qualifications.importers.ncfe_standard",
}


def parser_for(fmt: str) -> Callable[[SourceDocument], Specification]:
    return importlib.import_module(FORMATS[fmt]).parse
