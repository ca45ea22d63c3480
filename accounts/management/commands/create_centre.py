"""Set up a centre and invite its first centre admin, for the site administrator.

    manage.py create_centre --name "Southfield College" --number 80123 \\
        --admin-email head@southfield.example [--admin-name "Pat Head"] \\
        (--qualification 601/3456/2 [--qualification ...] | --all-qualifications)

The acceptance link is printed (from SITE_URL, or http://127.0.0.1:8000) as well as e-mailed,
so it works where no e-mail is sent. Running it again with the same number creates nothing
new: the centre gains any further qualifications, and a pending invitation is sent again
with a new link (the old one stops working); someone already admin there is left as they are.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import Membership, Role
from accounts.services import (
    AccessError,
    InvitationError,
    centre_create,
    invitation_create,
    invitation_link,
    normalise_email,
)
from qualifications.models import Qualification


class Command(BaseCommand):
    help = "Create a centre (idempotent on its number) and invite its first centre admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The centre's name.")
        parser.add_argument("--number", required=True, help="The awarding body's centre number.")
        parser.add_argument("--admin-email", required=True, help="Its first centre admin.")
        parser.add_argument("--admin-name", default="", help="The admin's name, if known.")
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--qualification",
            action="append",
            default=[],
            metavar="NUMBER",
            help="A qualification the centre is approved for (Ofqual number); repeatable.",
        )
        which.add_argument(
            "--all-qualifications",
            action="store_true",
            help="Approve the centre for every qualification in the catalogue.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = normalise_email(options["admin_email"])
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{options['admin_email']!r} is not an e-mail address.") from None
        if options["all_qualifications"]:
            qualifications = list(Qualification.objects.order_by("number"))
        else:
            numbers = options["qualification"]
            qualifications = list(Qualification.objects.filter(number__in=numbers))
            unknown = sorted(set(numbers) - {q.number for q in qualifications})
            if unknown:
                raise CommandError(f"Not in the catalogue: {', '.join(unknown)}.")
        try:
            with transaction.atomic():
                centre, created = centre_create(
                    actor=None,
                    name=options["name"],
                    number=options["number"],
                    qualifications=qualifications,
                )
                already_admin = Membership.objects.filter(
                    centre=centre, role=Role.CENTRE_ADMIN, user__email=email, is_active=True
                ).exists()
                invitation = None
                if not already_admin:
                    invitation = invitation_create(
                        actor=None,
                        centre=centre,
                        email=email,
                        full_name=options["admin_name"] or email,
                        role=Role.CENTRE_ADMIN,
                    )
        except (AccessError, InvitationError) as error:
            raise CommandError(str(error)) from None

        approved = centre.qualifications.count()
        verb = "Created" if created else "Found"
        self.stdout.write(f"{verb} {centre} ({approved} qualifications approved).")
        if invitation is None:
            self.stdout.write(f"{email} is already a centre admin there: nothing to send.")
            return
        self.stdout.write(
            f"Invitation for {email} to be its centre admin (until "
            f"{invitation.expires_at:%Y-%m-%d %H:%M}):\n"
            # The token invitation_create left on the instance (never stored).
            f"  {invitation_link(invitation.token)}"  # type: ignore[attr-defined]
        )
