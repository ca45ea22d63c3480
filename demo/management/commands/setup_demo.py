"""Create (or reset) the demo accounts and print how to sign in as each.

`make run` calls this after migrating. Passwords are fixed and printed, so the command refuses
to run with DEBUG off unless told otherwise: it must never seed a production site by accident.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from demo.centres import DEMO_ADMIN


class Command(BaseCommand):
    help = "Create or reset the demo users and print their sign-in details."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Run even though DEBUG is off (e.g. a public demo server).",
        )

    @transaction.atomic
    def handle(self, *args: Any, allow_without_debug: bool, **options: Any) -> None:
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "Refusing to create demo users with known passwords while DEBUG is off. "
                "Pass --allow-without-debug if this really is a demo site."
            )
        logins = [DEMO_ADMIN]
        admin, _ = User.objects.get_or_create(
            email=DEMO_ADMIN.email,
            defaults={"full_name": DEMO_ADMIN.full_name},
        )
        admin.full_name = DEMO_ADMIN.full_name
        admin.is_staff = True
        admin.is_superuser = True
        admin.is_active = True
        # Reset every run, so the printed password always works.
        admin.set_password(DEMO_ADMIN.password)
        admin.save()

        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS("Demo sign-in details (all on http://127.0.0.1:8000/):")
        )
        width = max(len(login.role) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.role:<{width}}  {login.email}  /  {login.password}")
        self.stdout.write("")
