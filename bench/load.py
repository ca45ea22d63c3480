"""Load: 50 people at once against gunicorn and PostgreSQL, as production runs (issue 15, point 7).

    .venv/bin/python bench/load.py [--database-url URL] [--users 50] [--run-time 110]
                                   [--workers 4] [--threads 1] [--sweep]

Learners, assessors, internal verifiers and centre admins in a realistic mix (30/10/6/4 of 50)
each sign in THROUGH THE FORM, then open their role's main pages with a pause of 1-3 s between
them (locust, headless, `bench/locustfile.py`), for a bounded time. It prints, per page, the
p50/p95/max and failures, the overall p95 of the pages once everyone has signed in (the goal:
under 300 ms, no errors), the requests a second, and the machine's load beside them: the load
average before and after and the CPU that gunicorn, PostgreSQL, locust and everything else
(other people's work on a shared machine) used during the run.

Sign-in is reported on its own row: the POST of the form costs the deliberate password hasher
(PBKDF2, Django's default), and a person signs in once a session, not once a page.

The database. As a suite of `make bench` (`bench/run.py --load`): a copy of the large centre's
bench database (`<name>_load`, made from it as a template, so the load's sessions and extra staff
never touch the data the other suites time), and the people are Scale Centre's
(`seed_scale`): learners of the 200-learner caseload, assessor@ and claims.assessor@, iv@ and
claims.iv@, admin@, and, where 50 distinct sign-ins need more staff than it has, extra
assessors (co-assessors of the same caseload of 200), internal verifiers (each verifying a slice
of it) and admins added through the services (`people.load.example`). The copy is made again
when the bench database is seeded again. Standalone (`--demo`, the default when run alone):
the demo centres (`seed_demo --second-centre`) in a database of its own, with the same kind of
extra staff. Running again finds them.

The server: gunicorn with `config.settings.production` (DEBUG off, the real password hasher,
CONN_MAX_AGE 60, hashed static files served by whitenoise after collectstatic, WARNING logs),
so the numbers are the production shape's. Locust stands where the TLS proxy would: it sends
X-Forwarded-Proto: https (no redirect; secure cookies; the https origin CSRF checks).
`--sweep` measures 2, 3, 4 and 5 sync workers and gthread, one after another.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import Context, Row  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/i15_load"
# Who is at work at once, of 50: mostly learners; then assessors with their caseloads; fewer
# internal verifiers and centre admins. Other numbers of users keep the proportions.
MIX = {"learner": 30, "assessor": 10, "iv": 6, "admin": 4}
# Staff the demo lacks for 50 distinct sign-ins, added at each demo centre.
EXTRA_DOMAIN = "people.load.example"
EXTRA_STAFF = {"assessor": 4, "internal_verifier": 1, "centre_admin": 1}
DEMO_CENTRES = ("70421", "70422")
# Scale Centre has two of each staff role and one admin: 50 sign-ins need 10/6/4.
SCALE_EXTRA_STAFF = {"assessor": 8, "internal_verifier": 4, "centre_admin": 3}
GOAL_P95_MS = 300.0
SIGN_IN = "sign-in (POST)"
# One page kind's URLs per person at most: enough variety, a plan that stays small.
PER_KIND = 8
# The service's shape on this 2-core machine (config/gunicorn.py says why).
DEFAULT_WORKERS = 2 * (os.cpu_count() or 1)
DEFAULT_THREADS = 4


# ---------------------------------------------------------------------------- the database


def setup_django(database_url: str) -> None:
    """Standalone: Django against the load database (bench/run.py has done this itself)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    ensure_database(database_url)
    import django

    django.setup()


def ensure_database(database_url: str) -> None:
    """Create the PostgreSQL database if it does not exist yet."""
    import environ

    config = environ.Env.db_url_config(database_url)
    if "postgresql" not in config["ENGINE"]:
        return
    import psycopg2

    connection = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or "postgres",
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or "127.0.0.1",
        port=config.get("PORT") or 5432,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    connection.close()


def prepare() -> None:
    """Migrate, load the catalogue and the demo once, and the staff 50 sign-ins need."""
    from io import StringIO

    from django.core.management import call_command

    from accounts.models import Centre
    from qualifications.models import Qualification

    call_command("migrate", verbosity=0)
    if not Qualification.objects.exists():
        call_command("load_catalogue", verbosity=0, stdout=StringIO())
    if Centre.objects.filter(number__in=["70421", "70422"]).count() < 2:
        call_command(
            "seed_demo",
            second_centre=True,
            allow_without_debug=True,
            as_json=True,
            stdout=StringIO(),
            stderr=StringIO(),
        )
    add_extra_staff()


def extra_people(
    centre: Any, actor: Any, counts: dict[str, int], password: str, suffix: str = ""
) -> dict[str, list[Any]]:
    """`counts` people of each role at `centre` (role name -> how many), added by `actor`
    through the services, or found if an earlier run added them."""
    from accounts.models import Role, User
    from accounts.services import person_create

    made: dict[str, list[Any]] = {}
    for role, count in counts.items():
        for n in range(1, count + 1):
            email = f"{role.replace('_', '-')}{n}.{centre.number}@{EXTRA_DOMAIN}"
            if not User.objects.filter(email=email).exists():
                person_create(
                    actor=actor,
                    centre=centre,
                    email=email,
                    full_name=f"Load {role.replace('_', ' ').title()} {n}{suffix}",
                    role=getattr(Role, role.upper()),
                    password=password,
                )
            made.setdefault(role, []).append(User.objects.get(email=email))
    return made


def add_extra_staff() -> None:
    """At each demo centre: assessors who share the demo assessor's caseload, an internal
    verifier who takes over a third of the active learners, an admin. Through the services,
    so every change is audited as a centre admin's would be; found, not added twice."""
    from django.db import transaction

    from accounts.models import Centre, User
    from demo.centres import DEMO_PASSWORD, NORTHGATE, SOUTHFIELD
    from portfolios.models import Registration, RegistrationStatus
    from portfolios.services import assign_staff

    for demo in (NORTHGATE, SOUTHFIELD):
        centre = Centre.objects.get(number=demo.number)
        actor = User.objects.get(email=demo.centre_admin.email)
        with transaction.atomic():
            made = extra_people(centre, actor, EXTRA_STAFF, DEMO_PASSWORD, f" {demo.number}")
            active = list(
                Registration.objects.filter(centre=centre, status=RegistrationStatus.ACTIVE)
                .prefetch_related("assessors")
                .order_by("pk")
            )
            for index, registration in enumerate(active):
                assessors = list(registration.assessors.all())
                wanted = assessors + [a for a in made["assessor"] if a not in assessors]
                verifier = made["internal_verifier"][0] if index % 3 == 0 else None
                if wanted != assessors or (
                    verifier is not None and registration.internal_verifier_id != verifier.pk
                ):
                    assign_staff(
                        actor=actor,
                        registration=registration,
                        assessors=wanted,
                        internal_verifier=verifier,
                    )


def prepare_scale() -> None:
    """At Scale Centre (a copy of the bench database): the staff 50 distinct sign-ins need.
    Extra assessors join assessor@'s caseload of 200 as co-assessors, so each has the big
    caseload the issue measures; extra internal verifiers each take a slice of the caseload that
    iv@ does not sample (its IMI plan stays whole); extra admins are admins. Through the
    services, audited; found, not added twice."""
    from django.db import transaction

    from accounts.models import Centre, User
    from demo import scale
    from portfolios.models import Registration, RegistrationStatus
    from portfolios.services import assign_staff

    centre = Centre.objects.get(number=scale.CENTRE_NUMBER)
    actor = User.objects.get(email=scale.ADMIN)
    with transaction.atomic():
        made = extra_people(centre, actor, SCALE_EXTRA_STAFF, scale.PASSWORD)
        caseload = list(
            Registration.objects.filter(
                centre=centre, assessors__email=scale.ASSESSOR, status=RegistrationStatus.ACTIVE
            )
            .select_related("qualification")
            .prefetch_related("assessors")
            .order_by("pk")
        )
        verifiers = made["internal_verifier"]
        others = [r for r in caseload if r.qualification.number != scale.IMI]
        for registration in caseload:
            assessors = list(registration.assessors.all())
            wanted = assessors + [a for a in made["assessor"] if a not in assessors]
            verifier = None
            if registration in others:
                verifier = verifiers[others.index(registration) % len(verifiers)]
            if wanted != assessors or (
                verifier is not None and registration.internal_verifier_id != verifier.pk
            ):
                assign_staff(
                    actor=actor,
                    registration=registration,
                    assessors=wanted,
                    internal_verifier=verifier,
                )


def copy_database(source_url: str, *, stamp: str) -> str:
    """`<source>_load`, a copy of the seeded bench database, made anew when `stamp` (the
    source's seeding time) differs from the copy's. CREATE DATABASE ... TEMPLATE copies the
    files: seconds, where seeding takes many minutes; the source must have no other sessions
    for it, so this process's own are closed first."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2
    from django.db import connections
    from psycopg2 import sql

    parts = urlsplit(source_url)
    source = parts.path.lstrip("/")
    name = f"{source}_load"
    target_url = urlunsplit(parts._replace(path="/" + name))
    connections.close_all()
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [name],
            )
            found = cursor.fetchone()
            if found is not None and found[0] == stamp:
                return target_url
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            for attempt in range(10):
                try:
                    cursor.execute(
                        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                            sql.Identifier(name), sql.Identifier(source)
                        )
                    )
                    break
                except psycopg2.errors.ObjectInUse:
                    # Someone (a developer's shell, another tool) still reads the source.
                    if attempt == 9:
                        raise
                    time.sleep(3)
            # Settings belong to a database, not its files: the template's are not copied.
            cursor.execute(
                sql.SQL("ALTER DATABASE {} SET random_page_cost = 1.1").format(sql.Identifier(name))
            )
            cursor.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(name), sql.Literal(stamp)
                )
            )
    finally:
        admin.close()
    return target_url


def plan_in_child(database_url: str, users: int, out: Path) -> dict[str, Any]:
    """prepare_scale and build_plan against another database than this process's `default`:
    in a child process of this file (Django sets up one default database per process)."""
    env = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run(  # noqa: S603 (this file)
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--database-url",
            database_url,
            "--users",
            str(users),
            "--scale",
            "--plan-only",
            str(out),
        ],
        check=True,
        env=env,
    )
    return json.loads(out.read_text())


# ---------------------------------------------------------------------------- the plan


def mix_for(users: int) -> dict[str, int]:
    """MIX scaled to `users`, each role at least one, adding up to `users`."""
    total = sum(MIX.values())
    mix = {role: max(1, math.floor(users * n / total)) for role, n in MIX.items()}
    mix["learner"] += users - sum(mix.values())
    return mix


def build_plan(users: int, centres: Sequence[str] = DEMO_CENTRES) -> dict[str, Any]:
    """Who signs in (distinct logins of each role) and which pages each may open."""
    from django.db.models import Q
    from django.urls import reverse

    from accounts.context import ROLE_ORDER
    from accounts.models import Membership, Role
    from certification.models import ClaimBatch
    from demo import scale
    from demo.centres import DEMO_PASSWORD
    from portfolios.models import Evidence, EvidenceStatus, Registration, RegistrationStatus
    from verification.models import SamplingStrategy
    from verification.models.sample import Sample

    # The role each person lands in after signing in (accounts.context: the broadest first).
    # Learners: those with work under way (Scale Centre also holds 10,000 finished ones).
    first_role: dict[int, Membership] = {}
    active = Registration.objects.filter(
        centre__number__in=centres, status=RegistrationStatus.ACTIVE
    ).values("learner_id")
    for membership in (
        Membership.objects.current()
        .filter(centre__number__in=centres)
        .filter(~Q(role=Role.LEARNER) | Q(user_id__in=active))
        .select_related("user", "centre")
        .order_by("user__email")
    ):
        held = first_role.get(membership.user_id)
        if held is None or ROLE_ORDER.index(membership.role) < ROLE_ORDER.index(held.role):
            first_role[membership.user_id] = membership

    def some(urls: list[str]) -> list[str]:
        return urls[:PER_KIND]

    def registration_pages(registrations: list[Registration]) -> dict[str, list[str]]:
        return {
            "portfolio": some([reverse("evidence:portfolio", args=[r.pk]) for r in registrations]),
            "registration": some(
                [reverse("portfolios:registration", args=[r.pk]) for r in registrations]
            ),
            "plans": some([reverse("assessments:plans", args=[r.pk]) for r in registrations]),
            "witness": some([reverse("witness:list", args=[r.pk]) for r in registrations]),
        }

    password = scale.PASSWORD if scale.CENTRE_NUMBER in centres else DEMO_PASSWORD
    role_names = {
        Role.LEARNER: "learner",
        Role.ASSESSOR: "assessor",
        Role.INTERNAL_VERIFIER: "iv",
        Role.CENTRE_ADMIN: "admin",
    }
    people: dict[str, list[dict[str, Any]]] = {role: [] for role in MIX}
    mix = mix_for(users)
    for membership in first_role.values():
        role = role_names.get(membership.role)
        # Twice the logins a role needs is plenty of variety; a big centre has thousands.
        if role is None or len(people[role]) >= 2 * mix[role]:
            continue
        user, centre = membership.user, membership.centre
        mine = Registration.objects.visible_to(user).filter(centre=centre)
        pages: dict[str, list[str]] = {"home": ["/"]}
        if role == "learner":
            registrations = list(mine.filter(learner=user).order_by("status", "pk"))
            pages |= registration_pages(registrations)
            pages["evidence"] = some(
                [
                    reverse("evidence:detail", args=[pk])
                    for pk in Evidence.objects.filter(registration__in=registrations)
                    .order_by("-pk")
                    .values_list("pk", flat=True)
                ]
            )
        elif role == "assessor":
            registrations = list(
                mine.filter(assessors=user, status=RegistrationStatus.ACTIVE).order_by("pk")
            )
            pages |= registration_pages(registrations)
            pages["queue"] = [reverse("assessments:queue")]
            pages["assess"] = some(
                [
                    reverse("assessments:assess", args=[pk])
                    for pk in Evidence.objects.filter(
                        registration__in=registrations, status=EvidenceStatus.SUBMITTED
                    )
                    .order_by("pk")
                    .values_list("pk", flat=True)
                ]
            )
            pages["unit"] = some(
                [
                    reverse("assessments:unit", args=[r.pk, choice.unit_id])
                    for r in registrations
                    for choice in r.unit_choices.order_by("unit__key")[:2]
                ]
            )
        elif role == "iv":
            registrations = list(mine.filter(internal_verifier=user).order_by("pk"))
            pages["portfolio"] = registration_pages(registrations)["portfolio"]
            pages["validation"] = [reverse("assessments:validation_queue")]
            pages["strategies"] = [reverse("verification:strategies")]
            pages["ratings"] = [reverse("verification:ratings")]
            pages["plan"] = some(
                [
                    reverse("verification:plan", args=[pk])
                    for pk in SamplingStrategy.objects.visible_to(user)
                    .filter(centre=centre)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                ]
            )
            pages["sample"] = some(
                [
                    reverse("verification:sample", args=[pk])
                    for pk in Sample.objects.visible_to(user)
                    .filter(registration__centre=centre)
                    .order_by("-pk")
                    .values_list("pk", flat=True)
                ]
            )
        elif role == "admin":
            registrations = list(mine.order_by("-pk"))
            pages["registration"] = registration_pages(registrations)["registration"]
            pages["people"] = [reverse("centre:people")]
            pages["registrations"] = [reverse("centre:registrations")]
            pages["person"] = some(
                [
                    reverse("centre:person", args=[pk])
                    for pk in Membership.objects.current()
                    .filter(centre=centre)
                    .order_by("-pk")
                    .values_list("user_id", flat=True)
                    .distinct()
                ]
            )
            pages["claims"] = [reverse("certification:claims")]
            pages["holds"] = [reverse("certification:claim_holds")]
            pages["claim batch"] = some(
                [
                    reverse("certification:claim_batch", args=[pk])
                    for pk in ClaimBatch.objects.filter(centre=centre)
                    .order_by("-pk")
                    .values_list("pk", flat=True)
                ]
            )
        people[role].append(
            {
                "email": user.email,
                "password": password,
                "pages": pages,
                "centre": centre.number,
            }
        )
    for role, wanted in mix.items():
        # Alternate the centres, so both are busy.
        people[role].sort(key=lambda p: (p["email"].split("@")[1], p["email"]))
        if len(people[role]) < wanted:
            raise SystemExit(
                f"Only {len(people[role])} {role} sign-ins for {wanted} {role} users: "
                "seed more (bench/load.py prepare)."
            )
    return {"mix": mix, "people": people}


# ---------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(database_url: str, media_root: str) -> dict[str, str]:
    """config.settings.production's requirements, with throw-away values for the loopback."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "DATABASE_URL", "SITE_URL"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        # Nothing a page does queues a task; production refuses to start without a broker.
        "CELERY_BROKER_URL": os.environ.get("LOAD_BROKER_URL", "redis://127.0.0.1:6379/13"),
        "SITE_URL": "https://portfolio.load.example",
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DJANGO_MEDIA_ROOT": media_root,
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    return env


_COLLECTED: set[Path] = set()


def collectstatic(env: dict[str, str], code: Path = ROOT) -> None:
    """Once a run of this script per checkout (it compresses every file: minutes on a busy
    machine)."""
    if code in _COLLECTED:
        return
    _COLLECTED.add(code)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=code,
        env=env,
        check=True,
    )


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], *, port: int, workers: int, threads: int, log: Path, code: Path = ROOT
) -> Iterator[subprocess.Popen]:
    """gunicorn on the loopback, until the block ends; then stopped (TERM, then KILL)."""
    # The service's own settings (config/gunicorn.py), with the shape under test.
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(ROOT / "config" / "gunicorn.py"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    env = {**env, "WEB_CONCURRENCY": str(workers), "WEB_THREADS": str(threads)}
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=code, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        wait_until_up(port, server)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped before it answered (see its log)")
        with contextlib.suppress(OSError):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/health/", headers={"X-Forwarded-Proto": "https"}
            )
            with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer /health/ within {timeout:.0f} s")


# ---------------------------------------------------------------------------- the machine


@dataclass
class MachineLoad:
    """What the machine was doing during the run, so a number is read beside its load."""

    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    # CPU seconds used during the run, by whom.
    cpu: dict[str, float] = field(default_factory=dict)
    wall: float = 0.0

    def busy(self, who: str) -> float:
        """`who`'s share of the machine's cores during the run (1.0 = one core)."""
        return self.cpu.get(who, 0.0) / self.wall if self.wall else 0.0


def _cpu_by_kind(server_pid: int, locust_pid: int, database: str) -> dict[str, float]:
    """CPU seconds so far, by process id: gunicorn's processes, locust's, PostgreSQL's backends
    serving the load database; and the whole machine's (key "machine")."""
    import psutil

    seconds: dict[str, float] = {}
    for pid, kind in ((server_pid, "gunicorn"), (locust_pid, "locust")):
        with contextlib.suppress(psutil.Error):
            parent = psutil.Process(pid)
            for process in [parent, *parent.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    seconds[f"{kind}:{process.pid}"] = times.user + times.system
    for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
        # A backend's title: "postgres: USER DATABASE 127.0.0.1(port) idle".
        title = " ".join(process.info["cmdline"] or [])
        if title.startswith("postgres:") and f" {database} " in title:
            times = process.info["cpu_times"]
            if times is not None:
                seconds[f"postgres:{process.pid}"] = times.user + times.system
    machine = psutil.cpu_times()
    seconds["machine"] = sum(
        getattr(machine, name, 0.0) for name in ("user", "system", "nice", "irq", "softirq")
    )
    return seconds


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each kind used between two readings (a process new since `before` counts
    from zero; one gone before `after` is lost, so `after` is read while everything runs)."""
    used = {"gunicorn": 0.0, "locust": 0.0, "postgres": 0.0}
    for key, value in after.items():
        if key == "machine":
            continue
        used[key.split(":")[0]] += value - before.get(key, 0.0)
    used["machine"] = after["machine"] - before["machine"]
    used["others"] = max(
        0.0, used["machine"] - used["gunicorn"] - used["locust"] - used["postgres"]
    )
    return used


# ---------------------------------------------------------------------------- the run


@dataclass
class Result:
    users: int
    workers: int
    threads: int
    run_time: int
    pages: dict[str, dict[str, float]]
    overall: dict[str, float]
    overall_all: dict[str, float]
    sign_in: dict[str, float]
    failures: int
    failure_examples: list[str]
    rps: float
    machine: MachineLoad
    requests: int = 0

    def cpu_per_request(self, who: str) -> float:
        """CPU ms `who` spent per request of the whole run (sign-ins and static included):
        what the load costs, whatever else the machine was doing."""
        return 1000 * self.machine.cpu.get(who, 0.0) / max(self.requests, 1)

    @property
    def label(self) -> str:
        threads = f" x {self.threads} threads (gthread)" if self.threads > 1 else " (sync)"
        return f"{self.users} users, {self.workers} workers{threads}"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (what locust reports too)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def stats(times: list[float], failed: int = 0) -> dict[str, float]:
    return {
        "count": len(times),
        "p50": percentile(times, 0.50),
        "p95": percentile(times, 0.95),
        "max": max(times, default=0.0),
        "failures": failed,
    }


def run_load(
    *,
    database_url: str,
    users: int = 50,
    workers: int = DEFAULT_WORKERS,
    threads: int = DEFAULT_THREADS,
    run_time: int = 110,
    spawn_rate: float = 1.0,
    plan: dict[str, Any] | None = None,
    workdir: Path | None = None,
    profile: Path | None = None,
    code: Path = ROOT,
) -> Result:
    """Start gunicorn, run locust headless for `run_time` s, stop both, read every sample."""

    workdir = workdir or Path(tempfile.mkdtemp(prefix="load-"))
    plan = plan or build_plan(users)
    plan_path = workdir / "plan.json"
    plan_path.write_text(json.dumps(plan))
    samples_path = workdir / f"samples-{users}-{workers}-{threads}.json"
    from django.conf import settings

    env = server_environment(database_url, str(settings.MEDIA_ROOT))
    collectstatic(env, code)
    port = free_port()
    machine = MachineLoad()
    with gunicorn(
        env,
        port=port,
        workers=workers,
        threads=threads,
        log=workdir / f"gunicorn-{workers}-{threads}.log",
        code=code,
    ) as server:
        machine.load_before = os.getloadavg()
        locust_env = {**os.environ, "LOAD_PLAN": str(plan_path), "LOAD_SAMPLES": str(samples_path)}
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--only-summary",
            "--users",
            str(users),
            "--spawn-rate",
            str(spawn_rate),
            "--run-time",
            f"{run_time}s",
            "--stop-timeout",
            "5",
            "--host",
            f"http://127.0.0.1:{port}",
            "--loglevel",
            "WARNING",
        ]
        spy = None
        if profile is not None:
            # py-spy (PyPI) samples every gunicorn worker; collapsed stacks, for flame graphs.
            spy = subprocess.Popen(  # noqa: S603
                [
                    str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--pid",
                    str(server.pid),
                    "--subprocesses",
                    "--nonblocking",
                    "--rate",
                    "50",
                    "--format",
                    "raw",
                    "--output",
                    str(profile),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        started = time.monotonic()
        with (workdir / "locust.log").open("w") as out:
            swarm = subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, env=locust_env, stdout=out, stderr=subprocess.STDOUT
            )
            # The backends serving the load's database (its name is the URL's path).
            database = database_url.rsplit("/", 1)[-1].split("?")[0]
            before = _cpu_by_kind(server.pid, swarm.pid, database)
            # Sampled just before locust ends (its process tree is gone after).
            after = before
            while swarm.poll() is None:
                time.sleep(1)
                if swarm.poll() is None:
                    after = _cpu_by_kind(server.pid, swarm.pid, database)
            machine.wall = time.monotonic() - started
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        machine.load_after = os.getloadavg()
    if swarm.returncode not in (0, 1):  # 1: locust saw failures, which the table shows
        raise RuntimeError(f"locust ended with {swarm.returncode}: see {workdir / 'locust.log'}")
    machine.cpu = cpu_used(before, after)
    return summarise(
        json.loads(samples_path.read_text()), users, workers, threads, run_time, machine
    )


def summarise(
    data: dict[str, Any],
    users: int,
    workers: int,
    threads: int,
    run_time: int,
    machine: MachineLoad,
) -> Result:
    """Per page: its samples once everyone had signed in (steady load); sign-in over the run."""
    spawned_at = data.get("spawned_at") or 0.0
    by_name: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    steady: list[float] = []
    everything: list[float] = []
    sign_in: list[float] = []
    sign_in_failed = 0
    examples: list[str] = []
    failures = 0
    first = min((s[3] for s in data["samples"]), default=0.0)
    last = max((s[3] for s in data["samples"]), default=0.0)
    for name, ms, ok, at in data["samples"]:
        if not ok:
            failures += 1
            if len(examples) < 5:
                examples.append(name)
        if name == SIGN_IN:
            sign_in.append(ms)
            sign_in_failed += not ok
            continue
        if name in ("static", "sign-in page"):
            continue
        everything.append(ms)
        if at >= spawned_at:
            by_name.setdefault(name, []).append(ms)
            failed[name] = failed.get(name, 0) + (not ok)
            steady.append(ms)
    steady_seconds = max(last - spawned_at, 1e-9) if spawned_at else max(last - first, 1e-9)
    return Result(
        users=users,
        workers=workers,
        threads=threads,
        run_time=run_time,
        pages={name: stats(times, failed[name]) for name, times in sorted(by_name.items())},
        overall=stats(steady, sum(failed.values())),
        overall_all=stats(everything),
        sign_in=stats(sign_in, sign_in_failed),
        failures=failures,
        failure_examples=examples,
        rps=len(steady) / steady_seconds,
        machine=machine,
        requests=len(data["samples"]),
    )


def report(result: Result) -> str:
    m = result.machine
    lines = [
        f"== {result.label}, {result.run_time} s (ramp-up 1 user/s), 1-3 s between pages",
        f"{'page (once everyone is signed in)':<34} {'count':>6} {'p50':>7} {'p95':>7} "
        f"{'max':>7} {'fail':>5}",
    ]
    for name, row in result.pages.items():
        lines.append(
            f"{name:<34} {row['count']:>6.0f} {row['p50']:>7.0f} {row['p95']:>7.0f} "
            f"{row['max']:>7.0f} {row['failures']:>5.0f}"
        )
    o, s = result.overall, result.sign_in
    lines += [
        f"{'ALL PAGES (steady)':<34} {o['count']:>6.0f} {o['p50']:>7.0f} {o['p95']:>7.0f} "
        f"{o['max']:>7.0f} {o['failures']:>5.0f}   goal p95 < {GOAL_P95_MS:.0f} ms, 0 errors",
        f"{'all pages (incl. ramp-up)':<34} {result.overall_all['count']:>6.0f} "
        f"{result.overall_all['p50']:>7.0f} {result.overall_all['p95']:>7.0f} "
        f"{result.overall_all['max']:>7.0f}",
        f"{SIGN_IN + ' (hasher)':<34} {s['count']:>6.0f} {s['p50']:>7.0f} {s['p95']:>7.0f} "
        f"{s['max']:>7.0f} {s['failures']:>5.0f}",
        f"pages a second (steady): {result.rps:.1f}; failures in all: {result.failures}"
        + (f" (e.g. {', '.join(result.failure_examples)})" if result.failures else ""),
        f"machine: {m.cpus} CPUs; load average before {m.load_before[0]:.2f}, after "
        f"{m.load_after[0]:.2f} (1 min); cores busy during the run: gunicorn "
        f"{m.busy('gunicorn'):.2f}, PostgreSQL {m.busy('postgres'):.2f}, locust "
        f"{m.busy('locust'):.2f}, everything else {m.busy('others'):.2f} "
        f"(machine {m.busy('machine'):.2f} of {m.cpus})",
        f"CPU per request (all {result.requests}, sign-ins included): gunicorn "
        f"{result.cpu_per_request('gunicorn'):.0f} ms, PostgreSQL "
        f"{result.cpu_per_request('postgres'):.0f} ms",
    ]
    return "\n".join(lines)


def hasher_ms(repeat: int = 3) -> float:
    """The password hasher alone checking one password (median ms): the sign-in's floor."""
    import statistics

    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password("load-test-password")
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        check_password("load-test-password", encoded)
        samples.append(1000 * (time.perf_counter() - started))
    return statistics.median(samples)


def rows(result: Result, *, floor: Result | None = None, hasher: float | None = None) -> list[Row]:
    """The suite's rows. A page's floor under load is the same pages with fewer people at once
    (`floor`, 10 users, run just before); the sign-in's is the password hasher alone."""
    m = result.machine
    note = (
        f"{result.label}; {result.rps:.1f} pages/s; load {m.load_before[0]:.2f}->"
        f"{m.load_after[0]:.2f} on {m.cpus} CPUs; others used {m.busy('others'):.2f} cores; "
        f"CPU/request gunicorn {result.cpu_per_request('gunicorn'):.0f} ms, PostgreSQL "
        f"{result.cpu_per_request('postgres'):.0f} ms"
    )
    return [
        Row(
            measure=f"load: p95 of pages, {result.users} users (floor: {floor.users} users)"
            if floor
            else f"load: p95 of pages, {result.users} users",
            project=round(result.overall["p95"], 1),
            unit="ms",
            goal=f"< {GOAL_P95_MS:.0f} ms",
            met=result.overall["p95"] < GOAL_P95_MS,
            floor=round(floor.overall["p95"], 1) if floor else None,
            note=note,
        ),
        Row(
            measure=f"load: errors, {result.users} users",
            project=float(result.failures + (floor.failures if floor else 0)),
            unit="errors",
            goal="0",
            met=result.failures == 0 and (floor is None or floor.failures == 0),
            note=", ".join(result.failure_examples),
        ),
        Row(
            measure=f"load: sign-in POST p50, {result.users} users (floor: the hasher alone)",
            project=round(result.sign_in["p50"], 1),
            unit="ms",
            goal="hasher's cost, reported apart",
            met=True,
            floor=round(hasher, 1) if hasher else None,
            note="PBKDF2 on purpose; a person signs in once a session, not once a page",
        ),
    ]


def bench(ctx: Context) -> list[Row]:
    """For `bench/run.py --load`: on a copy of the large centre's database, 10 users for a
    minute as the floor, then 50 for the measure, on the default worker shape."""
    workdir = Path(tempfile.mkdtemp(prefix="load-"))
    url = copy_database(ctx.database_url, stamp=str(ctx.scale.get("seeded_at", "")))
    print(f"load: on {url} (a copy of the bench database), Scale Centre's people")
    few = run_load(
        database_url=url,
        users=10,
        run_time=60,
        spawn_rate=2,
        workdir=workdir,
        plan=plan_in_child(url, 10, workdir / "plan-10.json"),
    )
    print(report(few))
    many = run_load(
        database_url=url,
        users=50,
        workdir=workdir,
        plan=plan_in_child(url, 50, workdir / "plan-50.json"),
    )
    print(report(many))
    return rows(many, floor=few, hasher=hasher_ms())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--run-time", type=int, default=110, help="seconds, ramp-up included")
    parser.add_argument("--spawn-rate", type=float, default=1.0, help="people arriving a second")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument(
        "--sweep", action="store_true", help="2, 3, 4, 5 sync workers, then 2 and 3 x 4 gthread"
    )
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--profile", type=Path, help="py-spy's collapsed stacks of gunicorn, here")
    parser.add_argument(
        "--code",
        type=Path,
        default=ROOT,
        help="serve the project from this checkout (a copy of another commit: before/after)",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="Scale Centre's people (a database seed_scale built; bench/run.py --load copies one)",
    )
    parser.add_argument("--plan-only", type=Path, help="write the plan here and stop")
    args = parser.parse_args()
    setup_django(args.database_url)
    if args.scale:
        from django.core.management import call_command

        from demo import scale

        # The copy is kept while the seeded database is the same: bring it to the code's
        # migrations (a new index, say), as bench/run.py does the database it copies.
        call_command("migrate", verbosity=0)
        prepare_scale()
        plan = build_plan(args.users, centres=(scale.CENTRE_NUMBER,))
    else:
        prepare()
        plan = build_plan(args.users)
    if args.plan_only:
        args.plan_only.write_text(json.dumps(plan))
        return
    workdir = Path(tempfile.mkdtemp(prefix="load-"))
    shapes = [(args.workers, args.threads)]
    if args.sweep:
        shapes = [(2, 1), (3, 1), (4, 1), (5, 1), (2, 4), (4, 4)]
    results = []
    for workers, threads in shapes:
        result = run_load(
            database_url=args.database_url,
            users=args.users,
            workers=workers,
            threads=threads,
            run_time=args.run_time,
            spawn_rate=args.spawn_rate,
            plan=plan,
            workdir=workdir,
            profile=args.profile,
            code=args.code,
        )
        results.append(result)
        print(report(result), flush=True)
        print(flush=True)
    if len(results) > 1:
        print("== sweep: steady p95 / pages a second / others' cores")
        for result in results:
            print(
                f"  {result.label:<40} p95 {result.overall['p95']:>6.0f} ms  "
                f"{result.rps:>5.1f}/s  failures {result.failures}  "
                f"others {result.machine.busy('others'):.2f} cores, load "
                f"{result.machine.load_before[0]:.1f}, CPU/request gunicorn "
                f"{result.cpu_per_request('gunicorn'):.0f} ms + PostgreSQL "
                f"{result.cpu_per_request('postgres'):.0f} ms"
            )
    for row in rows(results[-1], hasher=hasher_ms()):
        print(row.as_dict())
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [
                    {
                        "label": r.label,
                        "pages": r.pages,
                        "overall": r.overall,
                        "sign_in": r.sign_in,
                        "rps": r.rps,
                        "requests": r.requests,
                        "failures": r.failures,
                        "machine": r.machine.__dict__,
                    }
                    for r in results
                ],
                indent=2,
                default=list,
            )
        )


if __name__ == "__main__":
    main()
