"""Parse an awarding body's specification (text from PDF) and write its catalogue fixture."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualifications.catalogue import fixture_path
from qualifications.importers.base import ParseError, read_document
from qualifications.importers.fixture import dumps, specification_to_fixture
from qualifications.importers.registry import FORMATS, parser_for


class Command(BaseCommand):
    help = "Parse a specification document and write its fixture (fixtures/catalogue/FORMAT.json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", required=True, choices=sorted(FORMATS))
        parser.add_argument(
            "--output", type=Path, help="Where to write the fixture (default: the catalogue's own)."
        )

    def handle(self, *args: Any, file: Path, format: str, output: Path | None, **options: Any):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            document = read_document(file, format)
            specification = parser_for(format)(document)
        except ParseError as exc:
            raise CommandError(f"{file.name}: {exc} (nothing written)") from exc
        text = dumps(specification_to_fixture(specification))
        target = output or fixture_path(format)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename: a failure never leaves half a fixture behind.
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        units = len(specification.units)
        criteria = sum(len(o.criteria) for u in specification.units for o in u.outcomes)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {target}: {len(specification.qualifications)} qualification(s), "
                f"{units} unit(s), {criteria} criteria, {len(specification.standards)} standard(s)."
            )
        )
