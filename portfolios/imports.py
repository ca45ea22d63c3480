"""Importing learners and their registrations from a CSV file, all or nothing.

The file needs a header row. Its columns (in any order; optional ones may be left out):

    email               required  the learner's e-mail address (their login)
    full_name           required  the learner's name
    uln                 optional  unique learner number, 10 digits
    date_of_birth       optional  YYYY-MM-DD (needed for qualifications with a minimum age)
    qualification       required  the Ofqual number, e.g. 601/3456/2
    start_date          required  YYYY-MM-DD
    planned_end_date    optional  YYYY-MM-DD, not before the start date
    awarding_body_number optional the awarding body's registration number
    optional_units      optional  unit keys separated by ';' (mandatory units are always added)
    assessor_email      optional  an assessor at this centre (several separated by ';')
    iv_email            optional  an internal verifier at this centre

Every row is checked before anything is saved; if any row has a problem, nothing is imported and
each problem is reported with its line number. A good file is imported in one transaction
through the same services the registration pages use, so importing it again is refused line by
line (the learners are already registered) rather than duplicating anyone.

Only people who are already learners at this centre are registered at once. Any other address
is invited (one learner invitation per address, whether or not it has an account elsewhere),
and the invitation carries its rows' checked registrations, made when the person accepts: an
import must not attach someone's account to a centre they never agreed to join.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.models import Centre, Invitation, LearnerProfile, Membership, Role, User
from accounts.services import (
    InvitationError,
    invitation_create,
    learner_profile_update,
    role_grant,
)
from core.audit import record_event
from portfolios.models import Registration, RegistrationStatus
from portfolios.services import (
    RegistrationError,
    check_eligibility,
    register_learner,
    registration_entry,
)
from qualifications.combination import CombinationRules, check, mandatory_units
from qualifications.models import Qualification
from qualifications.queries import combination_rules

MAX_BYTES = 2 * 1024 * 1024

# (column, required, what it holds): shown on the upload page too.
COLUMNS: tuple[tuple[str, bool, str], ...] = (
    ("email", True, "The learner's e-mail address; it becomes their login."),
    ("full_name", True, "The learner's name."),
    ("uln", False, "Unique learner number: 10 digits."),
    ("date_of_birth", False, "YYYY-MM-DD. Needed where the qualification has a minimum age."),
    ("qualification", True, "The Ofqual number, e.g. 601/3456/2."),
    ("start_date", True, "YYYY-MM-DD."),
    ("planned_end_date", False, "YYYY-MM-DD, not before the start date."),
    ("awarding_body_number", False, "The awarding body's registration number."),
    (
        "optional_units",
        False,
        "Unit keys separated by ';', e.g. D/506/2119;H/506/2154. Mandatory units are added.",
    ),
    ("assessor_email", False, "An assessor at this centre (several separated by ';')."),
    ("iv_email", False, "An internal verifier at this centre."),
)
COLUMN_NAMES = tuple(name for name, _, _ in COLUMNS)
REQUIRED = tuple(name for name, required, _ in COLUMNS if required)


class ImportRejected(ValueError):
    """The file cannot be imported; `problems` says why, line by line. Nothing was saved."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file")
        self.problems = problems


@dataclass
class ImportRow:
    line: int
    email: str
    full_name: str
    qualification: Qualification
    start_date: date
    uln: str = ""
    date_of_birth: date | None = None
    planned_end_date: date | None = None
    awarding_body_number: str = ""
    unit_keys: list[str] = field(default_factory=list)
    assessors: list[User] = field(default_factory=list)
    internal_verifier: User | None = None


def decode_upload(data: bytes) -> str:
    """The file's text, or ValueError with a message for the person who uploaded it."""
    if not data.strip():
        raise ValueError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise ValueError("The file is larger than 2 MB: split it into smaller files.")
    if b"\x00" in data:
        raise ValueError("This is not a CSV file: save the spreadsheet as CSV (UTF-8) first.")
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(
            'The file is not UTF-8 text: save it as "CSV UTF-8 (comma delimited)".'
        ) from None


def _parse_date(value: str) -> date:
    # strptime, not fromisoformat: that also accepts 20240131 and 2024-W05-3.
    return datetime.strptime(value, "%Y-%m-%d").date()


class _Validator:
    """Checks rows against the centre, the catalogue and each other, caching look-ups."""

    def __init__(self, centre: Centre) -> None:
        self.centre = centre
        self.qualifications: dict[str, Qualification | None] = {}
        self.rules: dict[int, CombinationRules] = {}
        self.staff: dict[tuple[str, str], User | None] = {}
        self.seen: dict[tuple[str, str], int] = {}

    def qualification(self, number: str) -> Qualification | None:
        if number not in self.qualifications:
            self.qualifications[number] = Qualification.objects.filter(number=number).first()
        return self.qualifications[number]

    def rules_for(self, qualification: Qualification) -> CombinationRules:
        if qualification.pk not in self.rules:
            self.rules[qualification.pk] = combination_rules(qualification)
        return self.rules[qualification.pk]

    def staff_member(self, email: str, role: str) -> User | None:
        key = (email.lower(), role)
        if key not in self.staff:
            membership = (
                Membership.objects.current()
                .filter(user__email__iexact=email, centre=self.centre, role=role)
                .select_related("user")
                .first()
            )
            self.staff[key] = membership.user if membership else None
        return self.staff[key]

    def row(self, line: int, values: dict[str, str]) -> tuple[ImportRow | None, list[str]]:
        problems: list[str] = []

        def problem(text: str) -> None:
            problems.append(f"Line {line}: {text}")

        for name in REQUIRED:
            if not values.get(name):
                problem(f"{name} is missing.")
        email = values.get("email", "").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                problem(f"{email!r} is not an e-mail address.")
        uln = values.get("uln", "")
        if uln and not (uln.isdigit() and len(uln) == 10):
            problem(f"the ULN {uln!r} is not 10 digits.")

        dates: dict[str, date | None] = {}
        for name in ("date_of_birth", "start_date", "planned_end_date"):
            dates[name] = None
            if values.get(name):
                try:
                    dates[name] = _parse_date(values[name])
                except ValueError:
                    problem(f"{name} {values[name]!r} is not a date written YYYY-MM-DD.")
        start, end = dates["start_date"], dates["planned_end_date"]
        if start and end and end < start:
            problem("the planned end date is before the start date.")

        qualification = None
        number = values.get("qualification", "")
        if number:
            qualification = self.qualification(number)
            if qualification is None:
                problem(f"there is no qualification {number} in the catalogue.")

        unit_keys = [key.strip() for key in values.get("optional_units", "").split(";")]
        unit_keys = [key for key in unit_keys if key]
        if qualification is not None:
            rules = self.rules_for(qualification)
            result = check(rules, set(unit_keys) | mandatory_units(rules))
            for p in result.problems:
                if p.code in ("barred", "not_in_qualification"):
                    problem(p.message)

        assessors = []
        for assessor_email in filter(
            None, (e.strip() for e in values.get("assessor_email", "").split(";"))
        ):
            assessor = self.staff_member(assessor_email, Role.ASSESSOR)
            if assessor is None:
                problem(f"{assessor_email} is not an assessor at {self.centre.name}.")
            elif assessor_email.lower() == email:
                problem("a learner cannot assess their own portfolio.")
            else:
                assessors.append(assessor)
        internal_verifier = None
        iv_email = values.get("iv_email", "")
        if iv_email:
            internal_verifier = self.staff_member(iv_email, Role.INTERNAL_VERIFIER)
            if internal_verifier is None:
                problem(f"{iv_email} is not an internal verifier at {self.centre.name}.")
            elif iv_email.lower() == email:
                problem("a learner cannot verify their own portfolio.")

        learner = User.objects.filter(email__iexact=email).first() if email else None
        # Only this centre's record counts: another centre's details are not ours to compare
        # with (the messages would tell them to whoever uploads the file).
        profile = (
            LearnerProfile.objects.at(self.centre).filter(user=learner).first() if learner else None
        )
        born = dates["date_of_birth"]
        if profile and profile.date_of_birth and born and profile.date_of_birth != born:
            # An import never overwrites what the learner's record already says.
            problem(f"{email} is already recorded here with a different date of birth.")
        if profile and profile.uln and uln and profile.uln != uln:
            problem(f"{email} is already recorded here with a different ULN.")

        if email and qualification is not None:
            key = (email, qualification.number)
            if key in self.seen:
                problem(f"{email} on {qualification.number} is already on line {self.seen[key]}.")
            else:
                self.seen[key] = line
            if (
                learner is not None
                and Registration.objects.filter(
                    learner=learner,
                    centre=self.centre,
                    qualification=qualification,
                    status=RegistrationStatus.ACTIVE,
                ).exists()
            ):
                problem(f"{email} is already registered on {qualification.number} here.")

        if qualification is not None and start is not None:
            # Eligibility as it will stand after the import: the row's date of birth counts.
            candidate = learner or User(email=email)
            known_birth = profile.date_of_birth if profile else None
            for text in check_eligibility(
                learner=candidate,
                centre=self.centre,
                qualification=qualification,
                start_date=start,
                profile=LearnerProfile(
                    user=candidate, centre=self.centre, date_of_birth=born or known_birth
                ),
            ):
                problem(text)

        if problems or qualification is None or start is None:
            return None, problems
        return (
            ImportRow(
                line=line,
                email=email,
                full_name=values["full_name"],
                qualification=qualification,
                start_date=start,
                uln=uln,
                date_of_birth=born,
                planned_end_date=end,
                awarding_body_number=values.get("awarding_body_number", ""),
                unit_keys=unit_keys,
                assessors=assessors,
                internal_verifier=internal_verifier,
            ),
            [],
        )


def validate_rows(*, centre: Centre, text: str) -> list[ImportRow]:
    """Every row checked; ImportRejected listing every problem if any row has one."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRejected(["The file is empty."]) from None
    except csv.Error as exc:
        raise ImportRejected([f"Line 1: the file cannot be read as CSV ({exc})."]) from None
    header = [name.strip().lower() for name in header]
    problems = []
    unknown = [name for name in header if name not in COLUMN_NAMES]
    if unknown:
        problems.append(
            f"Line 1: unknown column(s) {', '.join(repr(n) for n in unknown)}; "
            f"the columns are {', '.join(COLUMN_NAMES)}."
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        problems.append(f"Line 1: column(s) given twice: {', '.join(repeated)}.")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        problems.append(
            f"Line 1: the header row has no {', '.join(missing)} column "
            "(the first row must name the columns)."
        )
    if problems:
        raise ImportRejected(problems)

    validator = _Validator(centre)
    rows: list[ImportRow] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                problems.append(f"Line {line}: {len(cells)} values for {len(header)} columns.")
                continue
            values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
            row, row_problems = validator.row(line, values)
            problems.extend(row_problems)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        problems.append(f"Line {reader.line_num}: the file cannot be read as CSV ({exc}).")
    if problems:
        raise ImportRejected(problems)
    if not rows:
        raise ImportRejected(["The file has a header row but no learners."])
    return rows


@dataclass
class ImportResult:
    """What an import did: learners already here are registered now; anyone else is invited,
    and registered when they accept."""

    registrations: list[Registration]
    invitations: list[Invitation]

    @property
    def invited_rows(self) -> int:
        return sum(len(invitation.registrations) for invitation in self.invitations)


def import_registrations(
    *,
    actor: User,
    centre: Centre,
    text: str,
    link_for: Callable[[str], str] | None = None,
) -> ImportResult:
    """Check every row, then register or invite every learner in one transaction, or none."""
    try:
        with transaction.atomic():
            # One import at a time per centre, so two uploads of one file cannot both pass.
            Centre.objects.select_for_update().filter(pk=centre.pk).first()
            rows = validate_rows(centre=centre, text=text)
            learners_here = _learners_here(centre, {row.email for row in rows})
            registrations = []
            to_invite: dict[str, list[ImportRow]] = {}
            for row in rows:
                if row.email not in learners_here:
                    to_invite.setdefault(row.email, []).append(row)
                    continue
                try:
                    registrations.append(
                        _import_row(
                            actor=actor, centre=centre, learner=learners_here[row.email], row=row
                        )
                    )
                except (RegistrationError, ValueError) as exc:
                    raise ImportRejected([f"Line {row.line}: {exc}"]) from exc
            # One invitation (and one e-mail) per address, carrying every row for it.
            invitations = [
                invitation_create(
                    actor=actor,
                    centre=centre,
                    email=email,
                    full_name=learner_rows[0].full_name,
                    role=Role.LEARNER,
                    registrations=[_stored(row) for row in learner_rows],
                    link_for=link_for,
                )
                for email, learner_rows in to_invite.items()
            ]
            record_event(
                actor=actor,
                action="registrations.imported",
                target=centre,
                centre_id=centre.pk,
                data={
                    "registrations": [r.pk for r in registrations],
                    "invitations": [i.pk for i in invitations],
                },
            )
    except IntegrityError:
        raise ImportRejected(
            ["Another change to these learners was saved at the same moment: try again."]
        ) from None
    except InvitationError as exc:
        raise ImportRejected([str(exc)]) from None
    return ImportResult(registrations=registrations, invitations=invitations)


def _learners_here(centre: Centre, emails: set[str]) -> dict[str, User]:
    """Addresses that hold a learner role at this centre (even one taken away), with their
    account. Everyone else is invited, whether or not the address has an account elsewhere."""
    memberships = Membership.objects.filter(
        centre=centre, role=Role.LEARNER, user__email__in=emails
    ).select_related("user")
    return {m.user.email: m.user for m in memberships}


def _stored(row: ImportRow) -> dict[str, object]:
    """A checked row as plain values, kept on the invitation until the learner accepts."""
    return {
        "line": row.line,
        **registration_entry(
            qualification=row.qualification,
            start_date=row.start_date,
            planned_end_date=row.planned_end_date,
            awarding_body_number=row.awarding_body_number,
            unit_keys=row.unit_keys,
            assessors=row.assessors,
            internal_verifier=row.internal_verifier,
            uln=row.uln,
            date_of_birth=row.date_of_birth,
        ),
    }


def _import_row(*, actor: User, centre: Centre, learner: User, row: ImportRow) -> Registration:
    # A learner role taken away is given back, as registering them again implies.
    role_grant(actor=actor, user=learner, centre=centre, role=Role.LEARNER)
    details: dict[str, object] = {}
    if row.uln:
        details["uln"] = row.uln
    if row.date_of_birth:
        details["date_of_birth"] = row.date_of_birth
    if details:
        learner_profile_update(actor=actor, user=learner, centre=centre, **details)
        learner.refresh_from_db()
    return register_learner(
        actor=actor,
        learner=learner,
        centre=centre,
        qualification=row.qualification,
        start_date=row.start_date,
        planned_end_date=row.planned_end_date,
        awarding_body_number=row.awarding_body_number,
        unit_keys=row.unit_keys,
        assessors=row.assessors,
        internal_verifier=row.internal_verifier,
    )
