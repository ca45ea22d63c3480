"""The assessor's caseload of 200 learners: the home page through the test client, its SQL, and
the hand-written SQL that returns exactly the rows it shows.

Suite: `bench(ctx)` (bench/run.py) measures seed_scale's `assessor@scale.example`. Standalone
(`python bench/pages_caseload.py --database-url postgres://...`) it measures the same assessor
when the database holds the scale centre, and otherwise builds a centre of 200 learners of its
own through the project's services once (a minute or two; kept for the next run).

Two floors are measured in the same run, both returning the page's 25 rows (learner,
qualification, status, dates, criteria met of required, units signed off, evidence waiting,
pace, overdue plan actions) and the caseload's count:
- "log": recounted from the decision log, sign-offs, evidence and units (what the figures cost
  without a read model; the issue's 30-45 ms);
- "read model": the same rows from portfolios_registrationprogress.
The goal "SQL <= 3x floor" is judged against the read model's floor, the stricter one.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Context, Row, sql_floor, within  # noqa: E402

CENTRE_NUMBER = "90150"
LEARNERS = 200
QUALIFICATION = "601/3456/2"  # IMI Level 2 Diploma: 9 mandatory units
PASSWORD = "bench-password"  # noqa: S105 - the bench's own throwaway users
ASSESSOR = "assessor@caseload-bench.example"
SCALE_ASSESSOR = "assessor@scale.example"  # seed_scale's, when the scale centre is seeded
PAGE_GOAL_MS = 200.0
SQL_RATIO = 3.0


def build_caseload() -> Any:
    """An assessor with 200 learners on the IMI diploma, each somewhere along the way: up to
    20 criteria met, some evidence waiting, start dates spread over a year. Through the
    services, so every read model is kept as it is in use. Returns the assessor."""
    from accounts.models import Centre, LearnerProfile, Membership, Role, User
    from assessments.services import record_decision
    from portfolios import evidence as evidence_services
    from portfolios.services import register_learner
    from qualifications.combination import mandatory_units
    from qualifications.models import AssessmentCriterion, Qualification
    from qualifications.queries import combination_rules

    existing = User.objects.filter(email=ASSESSOR).first()
    if existing is not None:
        return existing
    rng = random.Random(15)  # noqa: S311 - repeatable test data, not secrets
    qualification = Qualification.objects.get(number=QUALIFICATION)
    centre = Centre.objects.create(name="Caseload Bench Centre", number=CENTRE_NUMBER)
    centre.qualifications.add(qualification)

    def person(email: str, role: str, full_name: str) -> User:
        user = User.objects.create_user(email, PASSWORD, full_name=full_name)
        Membership.objects.create(user=user, centre=centre, role=role)
        return user

    admin = person("admin@caseload-bench.example", Role.CENTRE_ADMIN, "Ada Admin")
    assessor = person(ASSESSOR, Role.ASSESSOR, "Sam Assessor")
    units = sorted(mandatory_units(combination_rules(qualification)))
    criteria = list(
        AssessmentCriterion.objects.filter(unit__key__in=units).order_by("unit__key", "position")
    )
    today = datetime.date.today()
    for n in range(LEARNERS):
        learner = person(
            f"learner{n:03}@caseload-bench.example", Role.LEARNER, f"Learner {n:03} Bench"
        )
        LearnerProfile.objects.create(
            user=learner,
            centre=centre,
            uln=f"9{n:09}",
            date_of_birth=datetime.date(1995, 5, 17),
        )
        start = today - datetime.timedelta(days=rng.randint(20, 330))
        registration = register_learner(
            actor=admin,
            learner=learner,
            centre=centre,
            qualification=qualification,
            start_date=start,
            planned_end_date=start + datetime.timedelta(days=365),
            unit_keys=units,
            assessors=[assessor],
        )
        evidence = evidence_services.evidence_create(
            actor=learner,
            registration=registration,
            title="Workplace log",
            description="What I did at work this month.",
            evidence_date=today,
            method="product",
            context="real_work_paid",
        )
        met = rng.randint(0, 20)
        evidence_services.map_criteria(
            actor=learner, evidence=evidence, criteria=criteria[: max(met, 1) + 2]
        )
        evidence_services.submit(
            actor=learner, evidence=evidence, typed_name=learner.full_name, confirmed=True
        )
        for criterion in criteria[:met]:
            record_decision(
                assessor=assessor,
                registration=registration,
                criterion=criterion,
                outcome="met",
                method="product",
                assessed_on=today,
                evidence=[evidence],
            )
    from django.db import connection

    if connection.vendor == "postgresql":
        # As autovacuum would soon: plans from the tables' real sizes, not empty-table guesses.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return assessor


def _tables() -> dict[str, str]:
    from django.apps import apps

    names = {
        "registration": "portfolios.Registration",
        "assessors": None,
        "user": "accounts.User",
        "qualification": "qualifications.Qualification",
        "registration_unit": "portfolios.RegistrationUnit",
        "criterion": "qualifications.AssessmentCriterion",
        "decision": "assessments.Decision",
        "sign_off": "assessments.UnitSignOff",
        "evidence": "portfolios.Evidence",
        "plan": "assessments.AssessmentPlan",
        "activity": "assessments.PlanActivity",
        "progress": "portfolios.RegistrationProgress",
    }
    tables = {}
    for key, label in names.items():
        if label is None:
            continue
        with contextlib.suppress(LookupError):  # the read model, before its migration
            tables[key] = apps.get_model(label)._meta.db_table
    registration = apps.get_model("portfolios.Registration")
    tables["assessors"] = registration.assessors.through._meta.db_table
    return tables


# Overdue plan actions, by hand: open activities past their date in the plan in force (the
# latest agreed). Shared by both floors: the read model keeps only the date the first falls due.
OVERDUE = """
    (SELECT count(*) FROM {activity} a JOIN {plan} p ON p.id = a.plan_id
      WHERE p.registration_id = m.id AND a.completed_at IS NULL AND a.target_date < %s
        AND p.assessor_signed_at IS NOT NULL AND p.learner_signed_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM {plan} later WHERE later.registration_id = p.registration_id
              AND later.assessor_signed_at IS NOT NULL AND later.learner_signed_at IS NOT NULL
              AND later.learner_signed_at > p.learner_signed_at))
"""

MINE = """
    SELECT r.id, r.start_date, r.planned_end_date, r.status, u.full_name, u.email,
           q.number, q.title
      FROM {registration} r
      JOIN {assessors} ra ON ra.registration_id = r.id AND ra.user_id = %s
      JOIN {user} u ON u.id = r.learner_id
      JOIN {qualification} q ON q.id = r.qualification_id
     WHERE r.centre_id = %s
"""


# What every signed-in page reads besides its own rows, by hand: the session, the user, their
# roles (the header), invitations waiting for them; and the rest of the caseload page: the
# filter's qualifications and the internal verifier's open referrals of this assessor.
AROUND = [
    (
        "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > now()",
        ["session_key"],
    ),
    (
        "SELECT id, password, email, full_name, is_active, is_superuser FROM {user} WHERE id = %s",
        ["assessor"],
    ),
    (
        "SELECT m.id, m.role, m.centre_id, c.name FROM accounts_membership m "
        "JOIN accounts_centre c ON c.id = m.centre_id WHERE m.user_id = %s AND m.is_active "
        "AND (m.expires_on IS NULL OR m.expires_on >= current_date)",
        ["assessor"],
    ),
    (
        "SELECT DISTINCT q.id, q.number, q.title FROM {qualification} q "
        "JOIN {registration} r ON r.qualification_id = q.id "
        "JOIN {assessors} ra ON ra.registration_id = r.id AND ra.user_id = %s "
        "WHERE r.centre_id = %s ORDER BY q.number",
        ["assessor", "centre"],
    ),
    (
        "SELECT o.id, o.deadline, o.actions, s.registration_id FROM verification_sampleoutcome o "
        "JOIN verification_sample s ON s.id = o.sample_id "
        "JOIN {registration} r ON r.id = s.registration_id "
        "WHERE o.outcome = 'referred' AND s.state = 'referred' AND r.centre_id = %s "
        "AND NOT EXISTS (SELECT 1 FROM verification_sampleoutcome l "
        "                 WHERE l.sample_id = o.sample_id AND l.id > o.id) "
        "AND EXISTS (SELECT 1 FROM verification_sampleoutcome_decisions od "
        "            JOIN {decision} d ON d.id = od.decision_id "
        "            WHERE od.sampleoutcome_id = o.id AND d.assessor_id = %s) "
        "ORDER BY o.deadline, o.id",
        ["centre", "assessor"],
    ),
    (
        "SELECT id, centre_id, role, expires_at FROM accounts_invitation WHERE email = %s "
        "AND status = 'pending' AND expires_at > now() ORDER BY expires_at",
        ["email"],
    ),
]

LOG_ROWS = """
    WITH m AS ({mine} ORDER BY u.full_name, u.email, r.id LIMIT 25)
    SELECT m.*,
      (SELECT count(*) FROM {registration_unit} ru
         JOIN {criterion} c ON c.unit_id = ru.unit_id WHERE ru.registration_id = m.id),
      (SELECT count(*) FROM {decision} d WHERE d.registration_id = m.id AND d.outcome = 'met'
         AND NOT EXISTS (SELECT 1 FROM {decision} s WHERE s.supersedes_id = d.id)),
      (SELECT count(*) FROM {sign_off} s WHERE s.registration_id = m.id
         AND s.unlocked_at IS NULL),
      (SELECT count(*) FROM {evidence} e WHERE e.registration_id = m.id
         AND e.status = 'submitted'),
      {overdue}
    FROM m ORDER BY m.full_name, m.email, m.id
"""

MODEL_ROWS = """
    WITH m AS ({mine} ORDER BY u.full_name, u.email, r.id LIMIT 25)
    SELECT m.*, p.criteria_required, p.criteria_met, p.units_signed_off,
           p.evidence_waiting, p.paced, p.behind_from, {overdue}
      FROM m JOIN {progress} p ON p.registration_id = m.id
     ORDER BY m.full_name, m.email, m.id
"""


def page_floor(rows: str, names: dict[str, Any]) -> list[tuple[str, list]]:
    """The whole page's data by hand, `rows` (LOG_ROWS or MODEL_ROWS) for the caseload: the
    same number of statements as the page, each returning what the page shows."""
    t = _tables()
    values = {**t, "mine": MINE.format(**t), "overdue": OVERDUE.format(**t)}
    statements = [(sql.format(**t), [names[p] for p in params]) for sql, params in AROUND]
    count = "SELECT count(*) FROM ({mine}) m".format(**values)  # noqa: S608 - model tables
    page = rows.format(**values)
    mine = [names["assessor"], names["centre"]]
    return [*statements, (count, mine), (page, [*mine, names["today"]])]


class SqlTimer:
    """Adds up the time the database takes over every query run through Django."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


class Recorder(SqlTimer):
    """SqlTimer that also keeps each statement, for EXPLAIN afterwards."""

    def __init__(self) -> None:
        super().__init__()
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements.append((sql, params))
        return super().__call__(execute, sql, params, many, context)


def database_ms(statements: list[tuple[str, Any]]) -> float:
    """Planning plus execution time as PostgreSQL reports it (EXPLAIN ANALYZE), summed: the
    database's own work, without the round trips and scheduling a loaded machine adds."""
    from django.db import connection

    total = 0.0
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else plan
            total += plan["Planning Time"] + plan["Execution Time"]
    return total


def _median(values: list[float]) -> float:
    return statistics.median(values) * 1000


def measure(assessor: Any, *, repeat: int, label: str = "caseload of 200") -> list[Row]:
    """Each round runs the page (timing it and its SQL at once) and then both floors, so a
    shared machine's load falls on all three alike; medians over the rounds."""
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import Membership

    centre_id = Membership.objects.filter(user=assessor, role="assessor").values_list(
        "centre_id", flat=True
    )[0]
    client = Client()
    client.force_login(assessor)
    names = {
        "assessor": assessor.pk,
        "centre": centre_id,
        "email": assessor.email.lower(),
        "session_key": client.cookies["sessionid"].value,
        "today": timezone.localdate(),
    }
    has_model = "progress" in _tables()
    log = sql_floor(page_floor(LOG_ROWS, names))
    model = sql_floor(page_floor(MODEL_ROWS, names)) if has_model else None
    rows: list[Row] = []
    for query, name in (("", "page"), ("?pace=behind", "filtered: behind")):
        url = f"/{query}"
        totals: list[float] = []
        sqls: list[float] = []
        logs: list[float] = []
        models: list[float] = []
        queries = 0
        explained: list[float] = []
        explained_floor: list[float] = []
        for round_ in range(repeat + 1):
            gc.collect()
            timer = Recorder()
            started = time.perf_counter()
            with connection.execute_wrapper(timer):
                response = client.get(url)
            total = time.perf_counter() - started
            if response.status_code != 200 or b"Learners you assess at" not in response.content:
                raise SystemExit(f"the caseload page failed: {response.status_code}")
            started = time.perf_counter()
            log()
            log_time = time.perf_counter() - started
            model_time = 0.0
            if model is not None:
                started = time.perf_counter()
                model()
                model_time = time.perf_counter() - started
            if round_ == 0:
                continue  # warm-up
            if connection.vendor == "postgresql":
                explained.append(database_ms(timer.statements))
                floor_statements = page_floor(MODEL_ROWS if has_model else LOG_ROWS, names)
                explained_floor.append(database_ms(floor_statements))
            totals.append(total)
            sqls.append(timer.seconds)
            logs.append(log_time)
            models.append(model_time)
            queries = timer.queries
        total, sql, log_floor_ms = _median(totals), _median(sqls), _median(logs)
        floor = _median(models) if has_model else log_floor_ms
        note = f"{queries} queries; floor from the log {log_floor_ms:.1f} ms"
        if has_model:
            note += f" (SQL {sql / log_floor_ms:.2f}x it); floor from the read model {floor:.1f} ms"
        rows.append(
            Row(
                f"{label}, {name}: total",
                round(total, 1),
                "ms",
                f"< {PAGE_GOAL_MS:.0f} ms",
                within(total, None, under=PAGE_GOAL_MS),
                floor=round(floor, 1),
            )
        )
        rows.append(
            Row(
                f"{label}, {name}: SQL",
                round(sql, 1),
                "ms",
                f"SQL <= {SQL_RATIO:.0f}x floor",
                within(sql, floor, ratio=SQL_RATIO),
                floor=round(floor, 1),
                note=note,
            )
        )
        if explained:
            db, db_floor = statistics.median(explained), statistics.median(explained_floor)
            rows.append(
                Row(
                    f"{label}, {name}: database time",
                    round(db, 2),
                    "ms",
                    f"<= {SQL_RATIO:.0f}x floor",
                    within(db, db_floor, ratio=SQL_RATIO),
                    floor=round(db_floor, 2),
                    note="EXPLAIN ANALYZE planning + execution, summed over the statements",
                )
            )
    return rows


def bench(ctx: Context) -> list[Row]:
    """seed_scale's assessor (by the manifest's id, else by address) when the scale centre is
    seeded; otherwise a caseload of 200 built here."""
    from accounts.models import User

    assessor = None
    if ctx.scale.get("assessor"):
        assessor = User.objects.filter(pk=ctx.scale["assessor"]).first()
    assessor = assessor or User.objects.filter(email=SCALE_ASSESSOR).first() or build_caseload()
    label = "caseload of 200" if assessor.email != ASSESSOR else "caseload of 200 (own)"
    return measure(assessor, repeat=ctx.repeat, label=label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="PostgreSQL, e.g. postgres://postgres@127.0.0.1/x")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-caseload-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from qualifications.models import Qualification

    if not Qualification.objects.filter(number=QUALIFICATION).exists():
        call_command("load_catalogue", verbosity=0)
    started = time.perf_counter()
    rows = bench(Context(database_url=os.environ["DATABASE_URL"], repeat=args.repeat))
    print(f"(set-up and runs: {time.perf_counter() - started:.0f} s)")
    for row in rows:
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "-"
        print(
            f"{row.measure:<40} {row.project:>8} {row.unit} floor {row.floor} ratio {ratio}"
            f"  goal {row.goal}: {'met' if row.met else 'NOT MET'}  {row.note}"
        )


if __name__ == "__main__":
    main()
