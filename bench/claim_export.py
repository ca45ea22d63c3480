"""Benchmark: streaming a 10,000-learner claim file (target: under 5 s).

    .venv/bin/python bench/claim_export.py [--learners N] [--database-url URL]

Builds a throwaway SQLite database (or uses the URL given, e.g. an empty PostgreSQL database),
bulk-creates N learners with complete registrations and one exported claim batch holding a line
for each, then times consuming the download view's streamed response through the test client
(the same path a browser takes: session, role check, one query read in chunks, CSV writing).
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="claim-bench-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import Centre, LearnerProfile, Membership, Role, User
    from portfolios.models import Registration, RegistrationStatus
    from qualifications.models import AwardingBody, Qualification
    from verification.claim_models import BatchState, ClaimBatch, ClaimLine

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    centre = Centre.objects.create(name="Bench Centre", number="99999")
    body, _ = AwardingBody.objects.get_or_create(code="PEARSON", defaults={"name": "Pearson"})
    qualification = Qualification.objects.create(
        number="BENCH/0001/1",
        awarding_body=body,
        title="Benchmark qualification",
        level="3",
        source="bench",
    )
    admin = User.objects.create_user("admin@bench.example", "bench-password", full_name="Ada")
    Membership.objects.create(user=admin, centre=centre, role=Role.CENTRE_ADMIN)
    learners = User.objects.bulk_create(
        User(email=f"learner{n}@bench.example", full_name=f"Léa Müller-{n} O'Neil")
        for n in range(args.learners)
    )
    LearnerProfile.objects.bulk_create(
        LearnerProfile(
            user=u, centre=centre, uln=f"{n:010d}", date_of_birth=datetime.date(2000, 1, 1)
        )
        for n, u in enumerate(learners)
    )
    registrations = Registration.objects.bulk_create(
        Registration(
            learner=u,
            centre=centre,
            qualification=qualification,
            awarding_body_number=f"P{n:07d}",
            start_date=datetime.date(2025, 1, 6),
            status=RegistrationStatus.COMPLETE,
        )
        for n, u in enumerate(learners)
    )
    batch = ClaimBatch.objects.create(
        centre=centre,
        awarding_body=body,
        created_by=admin,
        state=BatchState.EXPORTED,
        exported_at=timezone.now(),
        exported_by=admin,
    )
    ClaimLine.objects.bulk_create(
        (
            ClaimLine(
                batch=batch,
                registration=r,
                unit_references=["A/123/4567", "B/123/4568", "C/123/4569"],
                achievement_date=datetime.date(2025, 6, 30),
                added_by=admin,
            )
            for r in registrations
        ),
        batch_size=2000,
    )
    print(f"set up {args.learners} learners in {time.perf_counter() - started:.1f} s")

    # Exporting copies each learner's details onto the lines in one UPDATE (the eligibility
    # re-check before it is left out: these bench learners have no sign-offs to check).
    from verification.claims import _freeze_learner_details

    started = time.perf_counter()
    _freeze_learner_details(batch)
    elapsed = time.perf_counter() - started
    print(f"froze the learners' details on {args.learners} lines in {elapsed:.2f} s")

    client = Client()
    client.force_login(admin)
    url = reverse("verification:claim_batch_download", args=[batch.pk])
    started = time.perf_counter()
    response = client.get(url)
    size = rows = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    verdict = "met" if elapsed < TARGET_SECONDS else "MISSED"
    print(
        f"streamed {rows - 1} claim rows ({size / 1e6:.1f} MB) in {elapsed:.2f} s "
        f"(target < {TARGET_SECONDS:.0f} s: {verdict})"
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
