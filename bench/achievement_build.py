"""Benchmark: building the largest achievement record (target: under 3 s), and throughput.

    .venv/bin/python bench/achievement_build.py [--runs N] [--database-url URL]
    .venv/bin/python bench/achievement_build.py --throughput [--records 100] [--workers 2]
        [--database-url postgres://...] [--redis-url redis://127.0.0.1:6379/15]

--throughput needs Redis and PostgreSQL on 127.0.0.1 (as `make test`'s worker tests do); without
--database-url it creates a throwaway database as the postgres user and drops it afterwards.

The learner is registered on the IMI diploma with its largest valid combination of units (the
most units, then the most criteria), every criterion met with evidence and every unit signed off.

Default mode renders that learner's full record N times in this process and prints the best and
median render time, pages, units and criteria. With --throughput it starts real Celery workers
(`--pool=solo`, one process each) against Redis and PostgreSQL, queues that many records (each a
different learner name, so none is deduplicated) and prints the wall time and records a minute.
Numbers are printed, never asserted.

Not a suite of bench/run.py: bench/achievement_record.py times the same record there, built as
the worker builds it, beside WeasyPrint alone on the same HTML (its docstring says why the two
used to disagree). This script keeps the learner's set-up (which that suite uses on a database
seed_scale did not fill) and the throughput mode, which needs Redis and workers.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 3.0
IMI_DIPLOMA = "601/3456/2"
PASSWORD = "bench-password"  # noqa: S105 - the bench's own throwaway users


def largest_combination(rules: Any, criteria: dict[str, int]) -> frozenset[str]:
    """qualifications.combination.largest_combination (seed_scale uses it too)."""
    from qualifications.combination import largest_combination as largest

    return largest(rules, criteria)


def set_up_learner(*, name: str = "Grace Bench-Learner", number: str = IMI_DIPLOMA) -> Any:
    """A centre, staff and one learner on the qualification's (by default the IMI diploma's)
    largest combination, all met and signed off. Returns the registration."""
    from accounts.models import Centre, LearnerProfile, Membership, Role, User
    from assessments.services import record_decision, sign_off_unit
    from portfolios.models import Evidence, EvidenceCriterion
    from portfolios.services import register_learner
    from qualifications.models import AssessmentCriterion, Qualification, Unit
    from qualifications.queries import combination_rules

    qualification = Qualification.objects.get(number=number)
    rules = combination_rules(qualification)
    criteria: dict[str, int] = {}
    for key in AssessmentCriterion.objects.filter(unit__key__in=rules.units).values_list(
        "unit__key", flat=True
    ):
        criteria[key] = criteria.get(key, 0) + 1
    unit_keys = largest_combination(rules, criteria)

    suffix = uuid.uuid4().hex[:8]
    centre = Centre.objects.create(name="Bench Motor College", number=f"B{suffix[:5]}")
    centre.qualifications.add(qualification)

    def person(role: str, full_name: str) -> User:
        user = User.objects.create_user(
            f"{role}-{suffix}@bench.example", PASSWORD, full_name=full_name
        )
        Membership.objects.create(user=user, centre=centre, role=role)
        return user

    admin = person(Role.CENTRE_ADMIN, "Ada Admin")
    assessor = person(Role.ASSESSOR, "Sam Assessor")
    # Issue 17: deciding needs a current credential and occupational competence.
    from demo.competence import give_competence

    give_competence(actor=admin, centre=centre, staff={assessor.email: Role.ASSESSOR})
    learner = person(Role.LEARNER, name)
    LearnerProfile.objects.create(
        user=learner,
        centre=centre,
        uln="9" + suffix[:9].translate(str.maketrans("abcdef", "123456")),
        date_of_birth=datetime.date(1995, 5, 17),
    )
    today = datetime.date.today()
    registration = register_learner(
        actor=admin,
        learner=learner,
        centre=centre,
        qualification=qualification,
        start_date=today,
        unit_keys=sorted(unit_keys),
        assessors=[assessor],
    )
    units = list(Unit.objects.filter(key__in=unit_keys).prefetch_related("criteria"))
    for unit in units:
        evidence = Evidence.objects.create(
            registration=registration,
            title=f"Workplace assignment: {unit.title[:60]}",
            evidence_date=today,
            method="assignment",
            context="real_work",
            status="submitted",
            created_by=learner,
        )
        # A criterion judged met rests on evidence mapped to it (assessments.basis).
        EvidenceCriterion.objects.bulk_create(
            [
                EvidenceCriterion(evidence=evidence, criterion=criterion, proposed_by=learner)
                for criterion in unit.criteria.all()
            ]
        )
        for criterion in unit.criteria.all():
            record_decision(
                assessor=assessor,
                registration=registration,
                criterion=criterion,
                outcome="met",
                method="assignment",
                assessed_on=today,
                evidence=[evidence],
            )
    # Sign-offs last: the one that meets the rules completes the registration, and a complete
    # registration takes no more decisions.
    for unit in units:
        sign_off_unit(
            assessor=assessor,
            registration=registration,
            unit=unit,
            password=PASSWORD,
            declared_authentic=True,
        )
    return registration


def setup_django(database_url: str | None, workdir: str) -> None:
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.STORAGES["default"]["OPTIONS"]["location"] = f"{workdir}/media"
    call_command("migrate", verbosity=0)
    from qualifications.models import Qualification

    if not Qualification.objects.filter(number=IMI_DIPLOMA).exists():
        call_command("load_catalogue", verbosity=0)


def count_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def render_times(runs: int) -> None:
    from assessments import achievements

    registration = set_up_learner()
    record, _ = achievements.request_record(
        actor=None, registration=registration, kind="full", check_access=False, queue=False
    )
    units = record.content["units"]
    criteria = sum(len(o["criteria"]) for u in units for o in u["outcomes"])
    times = []
    data = b""
    for _ in range(runs):
        started = time.perf_counter()
        data = achievements.render_achievement_pdf(record)
        times.append(time.perf_counter() - started)
    best, median = min(times), statistics.median(times)
    verdict = "met" if best < TARGET_SECONDS else "MISSED"
    print(
        f"IMI {IMI_DIPLOMA}, largest combination: {len(units)} units, {criteria} criteria, "
        f"{count_pages(data)} pages, {len(data) / 1e3:.0f} kB"
    )
    print(
        f"rendered {runs} times: first {times[0]:.2f} s, best {best:.2f} s, median {median:.2f} s "
        f"(target < {TARGET_SECONDS:.0f} s: {verdict})"
    )


def throughput(records: int, workers: int, database_url: str, redis_url: str, workdir: str) -> None:
    from django.db import connection

    from assessments import achievements
    from assessments.models.achievement import AchievementRecord, BuildStatus
    from config.celery_app import app

    # Test settings run tasks eagerly; this process only queues, to the real broker.
    app.conf.update(broker_url=redis_url, result_backend=None, task_always_eager=False)
    registration = set_up_learner()
    template, _ = achievements.request_record(
        actor=None, registration=registration, kind="full", check_access=False, queue=False
    )
    rows = []
    for n in range(records):
        content = {**template.content, "learner": {"name": f"Bench Learner {n + 1}"}}
        rows.append(
            AchievementRecord(
                registration=registration,
                kind="full",
                content=content,
                content_hash=achievements.content_hash(content),
                site_url="https://portfolio.example.ac.uk",
            )
        )
    template.delete()  # only the bench's own rows: records are never deleted in the app
    rows = AchievementRecord.objects.bulk_create(rows)
    connection.close()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": "",
        "DJANGO_MEDIA_ROOT": f"{workdir}/media",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    celery = str(Path(sys.executable).with_name("celery"))
    procs = [
        subprocess.Popen(  # noqa: S603 - a fixed command
            [
                celery,
                "-A",
                "config.celery_app",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "-n",
                f"bench{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=Path(workdir, f"worker{n}.log").open("w"),  # noqa: SIM115 - lives with it
        )
        for n in range(workers)
    ]
    try:
        # Let them boot (Django, WeasyPrint imports) before the clock starts.
        deadline = time.monotonic() + 60
        while len(app.control.ping(timeout=1)) < workers:
            if time.monotonic() > deadline:
                raise SystemExit(f"the workers did not start: see {workdir}/worker*.log")
        from assessments.tasks import build_achievement_record

        started = time.perf_counter()
        for row in rows:
            build_achievement_record.delay(record_id=row.pk)
        ids = [row.pk for row in rows]
        while True:
            left = AchievementRecord.objects.filter(pk__in=ids).exclude(
                status__in=[BuildStatus.READY, BuildStatus.FAILED]
            )
            if not left.exists():
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    ready = AchievementRecord.objects.filter(pk__in=ids, status=BuildStatus.READY).count()
    print(
        f"{workers} workers built {ready} of {records} records in {elapsed:.1f} s: "
        f"{records / elapsed * 60:.0f} records a minute"
    )


SERVER = "postgres://postgres@127.0.0.1:5432"


def server_database(statement: str, name: str) -> None:
    """CREATE or DROP the bench's own PostgreSQL database (outside a transaction)."""
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(f"{SERVER}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(statement).format(sql.Identifier(name)))
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--throughput", action="store_true")
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--database-url",
        help="default: SQLite; with --throughput a new "
        "PostgreSQL database on 127.0.0.1 that is dropped afterwards",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="achievement-bench-")
    created = ""
    database_url = args.database_url
    if args.throughput and not database_url:
        created = f"eportfolio_bench_{uuid.uuid4().hex[:8]}"
        server_database("CREATE DATABASE {}", created)
        database_url = f"{SERVER}/{created}"
    try:
        setup_django(database_url, workdir)
        if args.throughput:
            throughput(args.records, args.workers, database_url, args.redis_url, workdir)
        else:
            render_times(args.runs)
    finally:
        if created:
            from django.db import connections

            connections.close_all()
            server_database("DROP DATABASE IF EXISTS {}", created)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
