"""Try the portfolio transfer (issue 20) on the demo: `python manage.py demo_transfer`.

Jamal Okafor moves from Northgate to Southfield (seed_demo --second-centre first): Southfield
takes him on, and his Northgate portfolio's ZIP is written where you can upload it on
/centre/transfer/ as Southfield's admin. --import imports it straight away.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import pluralize
from django.urls import reverse

from assessments.transfer import TransferRefused
from demo.centres import DEMO_PASSWORD
from demo.transfer import DemoTransferError, import_demo_transfer, prepare_transfer

SITE = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = "Write a demo learner's portfolio ZIP for Southfield College to import (issue 20)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--folder", default="demo-transfer", help="Where to write the ZIP (demo-transfer/)."
        )
        parser.add_argument(
            "--import",
            action="store_true",
            dest="do_import",
            help="Import it at Southfield College now, as its centre admin.",
        )

    def handle(self, *args: Any, folder: str, do_import: bool, **options: Any) -> None:
        try:
            demo = prepare_transfer(folder=Path(folder))
        except DemoTransferError as error:
            raise CommandError(str(error)) from None
        name = demo.learner.get_full_name()
        self.stdout.write(f"{name} moved to {demo.southfield.name}; his portfolio from Northgate:")
        self.stdout.write(f"  {demo.archive.resolve()}")
        if not do_import:
            self.stdout.write(
                f"Sign in at {SITE}/ as {demo.admin.email} / {DEMO_PASSWORD}, open "
                f"{SITE}{reverse('transfer:import')} and upload it (the e-mail field may stay "
                "blank). Or run this again with --import."
            )
            return
        try:
            result = import_demo_transfer(demo)
        except TransferRefused as refused:
            raise CommandError(str(refused)) from None
        if result is None:
            self.stdout.write(
                f"{name}'s portfolio was imported at {demo.southfield.name} before, and nothing "
                "is new at Northgate since."
            )
            return
        url = reverse("evidence:portfolio", args=[result.registration.pk])
        already = (
            f" ({result.already_evidence} piece{pluralize(result.already_evidence)} imported "
            f"on {result.already_on} left as they were)"
            if result.already_on
            else ""
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported at {demo.southfield.name}: {result.evidence} "
                f"piece{pluralize(result.evidence)} of evidence, "
                f"{result.files} files, {result.decisions} of Northgate's decisions{already}."
            )
        )
        self.stdout.write(f"  See it as {demo.admin.email}: {SITE}{url}")
