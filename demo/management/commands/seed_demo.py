"""`manage.py seed_demo`: a lived-in demo centre (demo/seed.py tells its stories), every login
printed.

`make run` calls this after loading the catalogue. Every login's password is printed (or, with
--json, a JSON list of {"role", "email", "password"}). Running it again changes nothing: people,
roles and registrations are found, not added twice, and the output is the same. Like
setup_demo (which makes the site superuser, and which this command runs first), it refuses to
run with DEBUG off unless told otherwise.

With --second-centre it also builds Southfield College, Northgate's twin with other people (no
one belongs to both), for trying the walls between centres; its logins print after Northgate's.
"""

from __future__ import annotations

import contextlib
import json
import sys
from io import StringIO
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.hashers import hashing_once
from demo.api import demo_api_token
from demo.centres import (
    CENTRE_NAME,
    CENTRE_NUMBER,
    NORTHGATE,
    SOUTHFIELD,
    DemoCentre,
    demo_logins,
)
from demo.seed import seed_centre
from demo.sso import DEMO_ISSUER, DEMO_SIGN_INS, provider_name


class Command(BaseCommand):
    help = "Create (or find) the demo centre, its staff and learners, and print every login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Run even though DEBUG is off (e.g. a public demo server).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help='Print only a JSON list of {"role", "email", "password"}.',
        )
        parser.add_argument(
            "--second-centre",
            action="store_true",
            help=f"Also build {SOUTHFIELD.name}, a second centre with its own people, "
            "for trying the walls between centres.",
        )

    def handle(
        self,
        *args: Any,
        allow_without_debug: bool,
        as_json: bool,
        second_centre: bool,
        **options: Any,
    ) -> None:
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "Refusing to create demo users with known passwords while DEBUG is off. "
                "Pass --allow-without-debug if this really is a demo site."
            )
        # The demo's e-mails (the console backend prints them to standard output in `make
        # run`) go to standard error under --json, so standard output is the JSON alone. The
        # backend picks its stream when a message is sent, inside this block; self.stdout was
        # bound to the real standard output before it.
        quiet_mail = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
        demos = (NORTHGATE, SOUTHFIELD) if second_centre else (NORTHGATE,)
        with quiet_mail, transaction.atomic(), hashing_once():
            call_command("setup_demo", allow_without_debug=True, stdout=StringIO())
            for demo in demos:
                seed_centre(demo)
        self.print_logins(as_json=as_json, second_centre=second_centre)

    def print_api_token(self, demo: DemoCentre) -> None:
        token = demo_api_token(demo)
        self.stdout.write(f"  API token of {demo.name} (reads as its centre admin): {token}")
        self.stdout.write(
            f'    try: curl -H "Authorization: Bearer {token}" '
            "http://127.0.0.1:8000/api/v1/registrations"
        )

    def print_single_sign_on(self) -> None:
        self.stdout.write(
            f"  Single sign-on: start the demo OpenID provider ({DEMO_ISSUER}) with `make "
            f'oidc-provider`, then "Sign in with {provider_name(NORTHGATE)}" as (any password):'
        )
        for email, outcome in DEMO_SIGN_INS:
            self.stdout.write(f"    {email}  ({outcome})")

    def print_logins(self, *, as_json: bool, second_centre: bool) -> None:
        logins = demo_logins(second_centre=second_centre)
        if as_json:
            self.stdout.write(json.dumps(logins, indent=2))
            return
        # One column width for both centres, so the second block lines up with the first.
        width = max(len(login["role"]) for login in logins)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS("Demo sign-in details (all on http://127.0.0.1:8000/):")
        )
        for login in demo_logins():
            self.stdout.write(
                f"  {login['role']:<{width}}  {login['email']}  /  {login['password']}"
            )
        self.stdout.write(f"  (the demo centre is {CENTRE_NAME}, centre number {CENTRE_NUMBER})")
        self.print_api_token(NORTHGATE)
        self.print_single_sign_on()
        self.stdout.write("")
        if second_centre:
            self.stdout.write(self.style.SUCCESS(f"The second centre, {SOUTHFIELD.name}:"))
            for login in SOUTHFIELD.logins():
                self.stdout.write(
                    f"  {login['role']:<{width}}  {login['email']}  /  {login['password']}"
                )
            self.stdout.write(
                f"  (the second centre is {SOUTHFIELD.name}, centre number {SOUTHFIELD.number}; "
                "no one works or learns at both)"
            )
            self.print_api_token(SOUTHFIELD)
            self.stdout.write("")
