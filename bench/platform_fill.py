"""The platform around Scale Centre, in bulk, for bench/pages_platform.py: a stand-in.

    .venv/bin/python bench/platform_fill.py --database-url URL [--centres 99] [--learners 20000]
        [--decisions 1000000]

`manage.py seed_scale --platform` (issue 15, point 1) is meant to build this; until it lands,
this writes the same shape into a database already seeded by `seed_scale`: 99 more centres
(90101 onwards), each with an admin, an assessor and an IV made through the services, and
20,000 learners between them, written by verification/scale_bulk.write_learners (the bulk
writer seed_scale uses for its claimable registrations: every row and audit event the
services would have written), with about a million decisions. A tenth of the learners are
complete and IV-signed-off, the rest part-way. Kept apart from the page suite so that it can
be swapped for `seed_scale --platform` without touching the measurements.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Qualifications the platform's learners are on, in turn (the caseload's and the claim's).
QUALIFICATIONS = ("601/3456/2", "601/3973/0", "600/1686/3", "600/1684/X")


def fill(
    *,
    centres: int = 99,
    learners: int = 20_000,
    decisions: int = 1_000_000,
    only: range | None = None,
    say: Callable[[str], None] = print,
) -> dict[str, int]:
    """Write the platform into the current database (seeded by seed_scale). Returns counts."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.management.commands.seed_demo import a_valid_choice
    from accounts.models import Centre, Role, User
    from accounts.services import person_create
    from qualifications.combination import mandatory_units
    from qualifications.models import Qualification
    from qualifications.queries import combination_rules
    from verification import scale
    from verification.scale_bulk import Learner, RowWriter, Staff, chunks, write_learners

    started = time.perf_counter()
    password = make_password(scale.PASSWORD)
    name, size, digest = scale._stored_workbook()
    # Each qualification's units (a valid choice), nothing decided yet.
    plans: dict[str, tuple[Any, list[Any]]] = {}
    for number in QUALIFICATIONS:
        qualification = Qualification.objects.get(number=number)
        rules = combination_rules(qualification)
        keys = a_valid_choice(rules, 0) | set(mandatory_units(rules))
        plans[number] = (qualification, scale._criteria_rows(keys))
    per_learner = decisions / learners
    today = timezone.localdate()
    writer = RowWriter()
    totals = {"centres": 0, "learners": 0, "decisions": 0, "evidence": 0, "events": 0}
    per_centre = [
        learners // centres + (1 if i < learners % centres else 0) for i in range(centres)
    ]
    for c in only if only is not None else range(centres):
        number = str(scale.PLATFORM_CENTRE_NUMBER + 1 + c)
        # A centre already written is kept: the fill can be resumed, or split between
        # processes by centre (`--only`), each centre its own transaction.
        if Centre.objects.filter(number=number).exists():
            continue
        index = sum(per_centre[:c])
        # A centre at a time, in one transaction: the audit chain's bulk append needs one.
        with transaction.atomic():
            centre = Centre.objects.create(name=f"Platform Centre {number}", number=number)
            centre.qualifications.add(*(q for q, _ in plans.values()))
            admin, _ = person_create(
                actor=None,
                centre=centre,
                email=f"admin.{number}@platform.example",
                full_name=f"Admin {number}",
                role=Role.CENTRE_ADMIN,
            )
            assessor, _ = person_create(
                actor=admin,
                centre=centre,
                email=f"assessor.{number}@platform.example",
                full_name=f"Assessor {number}",
                role=Role.ASSESSOR,
            )
            verifier, _ = person_create(
                actor=admin,
                centre=centre,
                email=f"iv.{number}@platform.example",
                full_name=f"Verifier {number}",
                role=Role.INTERNAL_VERIFIER,
            )
            User.objects.filter(pk__in=[admin.pk, assessor.pk, verifier.pk]).update(
                password=password
            )
            qualification, units = plans[QUALIFICATIONS[c % len(QUALIFICATIONS)]]
            staff = Staff(
                centre_id=centre.pk,
                qualification_id=qualification.pk,
                qualification_number=qualification.number,
                admin_id=admin.pk,
                assessor_id=assessor.pk,
                assessor_name=assessor.get_full_name(),
                verifier_id=verifier.pk,
                password_hash=password,
                file_name=name,
                file_size=size,
                file_sha256=digest,
            )
            people = []
            for _ in range(per_centre[c]):
                complete = index % 10 == 0
                people.append(
                    Learner(
                        email=f"learner{index:05d}.{number}@platform.example",
                        full_name=f"Platform Learner {index:05d}",
                        uln=f"{6_100_000_000 + index * 7_919}"[:10],
                        born=date(1980 + index % 25, 1 + index % 12, 1 + index % 28),
                        employer=scale.EMPLOYERS[index % len(scale.EMPLOYERS)],
                        awarding_body_number=f"PLT{index:06d}",
                        start_date=today - timedelta(days=30 + index % 400),
                        units=_progress(units, complete=complete, target=per_learner, index=index),
                        complete=complete,
                    )
                )
                index += 1
            for batch in chunks(people, 1_000):
                made = write_learners(writer, staff, batch)
                for key in ("learners", "decisions", "evidence", "events"):
                    totals[key] += made[key]
            totals["centres"] += 1
            if (c + 1) % 10 == 0 or c + 1 == centres:
                say(
                    f"  {c + 1} centres, {totals['learners']:,} learners, "
                    f"{totals['decisions']:,} decisions, {time.perf_counter() - started:.0f} s"
                )
    return totals


def _progress(units: list[Any], *, complete: bool, target: float, index: int) -> list[Any]:
    """The learner's units with about `target` criteria decided, spread over the units in
    order (or everything decided and signed off for a complete learner)."""
    if complete:
        return [replace(u, decided=len(u.criteria), signed_off=True) for u in units]
    # Vary round the target so that caseloads show a spread of progress.
    left = int(target * (0.5 + (index % 11) / 10))
    out = []
    for unit in units:
        decided = min(len(unit.criteria), max(left, 0))
        left -= decided
        out.append(
            replace(
                unit,
                decided=decided,
                signed_off=decided == len(unit.criteria) and index % 3 != 0,
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--centres", type=int, default=99)
    parser.add_argument("--learners", type=int, default=20_000)
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument(
        "--only", default="", help="FIRST:END, the centres (0-based) this process writes"
    )
    args = parser.parse_args(argv)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.db import connection
    from django.test import override_settings

    # Mail queued by the services goes nowhere.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        first, _, end = args.only.partition(":")
        only = range(int(first), int(end)) if args.only else None
        totals = fill(
            centres=args.centres, learners=args.learners, decisions=args.decisions, only=only
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(totals)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
