"""Achievement records built by a real Celery worker, in its own process, over Redis.

The test process asks for a record as a user would (the portfolio page's form, with tasks sent
to Redis instead of run eagerly); a worker started as docker-compose starts it, against this
test's own database and media folder, builds it; the test then downloads the PDF, reads it back
and checks the public verify page. Also: a worker killed mid-build (the task is acknowledged
late, so Redis gives it to another worker), and the issue's "done when", the demo learner's
record.

The worker opens the same database as the test, so these tests commit (transaction=True): the
test database is a file on SQLite (config/settings/test.py) and a real database on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import User
from assessments import achievements
from assessments.models import Decision, UnitSignOff
from assessments.models.achievement import AchievementRecord
from config.celery_app import app
from core.models import AuditEvent
from demo.centres import learner_email
from portfolios.models import Registration
from tests.assessments.test_achievement_records import Case, make_case, sign
from tests.services import redis_url
from tests.support.stalling_worker import STALLING

ROOT = Path(settings.BASE_DIR)
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Generous: a worker on a busy CI machine renders a many-page PDF.
DEADLINE = 120
# Short, so a task held by a killed worker comes back within the test (production: an hour).
VISIBILITY_TIMEOUT = 5
NOAH = "Noah Williams"
NOAH_QUALIFICATION = "600/1684/X"


# ---------------------------------------------------------------- the worker processes


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def signal_group(self, signum: int) -> None:
        # Each worker leads its own process group: the prefork pool's children go with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a lost machine would: no clean-up at all."""
        self.signal_group(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        # Whatever is left (the main process, or a pool process mid-task) goes now.
        self.signal_group(signal.SIGKILL)
        self.process.wait(timeout=30)


def _redis_db(worker_id: str) -> int:
    """A Redis database of this test process's own, so parallel runs never take each other's
    tasks: 15 alone, 10 + N for xdist's worker gwN (Redis has 16 by default)."""
    if worker_id == "master":
        return 15
    return 10 + int(worker_id.removeprefix("gw")) % 5


def _database_url() -> str:
    """The test database, as a URL the worker's settings (DATABASE_URL) understand."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = Path(db["NAME"])
        assert name.is_file(), f"the worker cannot open an in-memory SQLite database: {name}"
        return f"sqlite:///{name}"
    assert connection.vendor == "postgresql", connection.vendor
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'])}"


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> str:
    # What xdist's worker_id fixture gives, without needing xdist loaded.
    worker_id = getattr(request.config, "workerinput", {}).get("workerid", "master")
    parts = urlsplit(redis_url())
    url = urlunsplit(parts._replace(path=f"/{_redis_db(worker_id)}"))
    # Emptied first: no task or unacknowledged message left by an earlier test.
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """One media folder for this test and its workers: the PDFs land here."""
    folder = tmp_path / "media"
    folder.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
    return folder


def _reset_connections() -> None:
    # The app caches its broker connections, and kombu keeps pools by URL: close them all so
    # the next task is sent with the broker URL now configured.
    app._pool = None
    app.amqp._producer_pool = None
    kombu.pools.reset()


@pytest.fixture
def queue_on(broker: str) -> Iterator[None]:
    """This process sends tasks to Redis, as the web process does, instead of running them
    eagerly as the test settings say."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=broker, task_always_eager=False)
    _reset_connections()
    try:
        yield
    finally:
        app.conf.update(saved)
        _reset_connections()


StartWorker = Callable[..., Worker]


@pytest.fixture
def worker_storage_env(media: Path) -> dict[str, str]:
    """Where the workers keep files, as environment variables: this test's media folder.
    (tests/core/test_s3_storage.py overrides it with a bucket.)"""
    return {"DJANGO_MEDIA_ROOT": str(media), "AWS_STORAGE_BUCKET_NAME": ""}


@pytest.fixture
def start_worker(
    broker: str, worker_storage_env: dict[str, str], tmp_path: Path, transactional_db: None
) -> Iterator[StartWorker]:
    """Start worker processes on this test's database, media and Redis; all are stopped at the
    end whatever happens, and their logs printed (pytest shows them when a test fails)."""
    started: list[Worker] = []
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": _database_url(),
        "DJANGO_CONN_MAX_AGE": "0",
        **worker_storage_env,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "PYTHONUNBUFFERED": "1",
    }

    def start(name: str, *, stalling: bool = False) -> Worker:
        """A solo worker as docker-compose runs, or a prefork one whose builds stall."""
        if stalling:
            command = [sys.executable, "-m", "tests.support.stalling_worker", "worker"]
            pool = ["--pool=prefork", "--concurrency=1"]
        else:
            command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker"]
            pool = ["--pool=solo"]
        log = tmp_path / f"{name}.log"
        with log.open("wb") as log_fh:
            process = subprocess.Popen(
                [
                    *command,
                    *pool,
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=INFO",
                    "-n",
                    f"{name}-{uuid.uuid4().hex[:8]}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(name, process, log)
        started.append(worker)
        wait_for(lambda: "ready." in worker.text(), f"{name} to start", [worker])
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        for worker in started:
            print(f"\n---------------- {worker.name}'s log ----------------\n{worker.text()}")


def wait_for(done: Callable[[], Any], what: str, workers: list[Worker]) -> Any:
    """Poll until `done()` is truthy; fail (with the workers' logs) at the deadline, or as soon
    as a worker that should be running has exited."""
    deadline = time.monotonic() + DEADLINE
    while True:
        result = done()
        if result:
            return result
        exited = [worker.name for worker in workers if worker.process.poll() is not None]
        if exited or time.monotonic() > deadline:
            logs = "\n".join(f"--- {w.name}:\n{w.text()}" for w in workers)
            reason = f"{', '.join(exited)} exited" if exited else f"no result in {DEADLINE} s"
            pytest.fail(f"Waiting for {what}: {reason}\n{logs}")
        time.sleep(0.25)


# ---------------------------------------------------------------- asking, reading back


def ask_through_the_page(client: Client, registration: Registration) -> AchievementRecord:
    page = client.get(reverse("assessments:achievements", args=[registration.pk]))
    assert page.status_code == 200
    action = reverse("assessments:achievement_request", args=[registration.pk])
    assert f'action="{action}"' in page.content.decode()

    response = client.post(action, {"kind": "full"})

    assert response.status_code == 302
    return AchievementRecord.objects.get(registration=registration, kind="full")


def wait_until_ready(client: Client, record: AchievementRecord, workers: list[Worker]) -> None:
    """Poll the status fragment, as the page does with htmx every 2 s."""
    url = reverse("assessments:achievement_status", args=[record.pk])

    def ready() -> bool:
        html = client.get(url).content.decode()
        assert "could not be built" not in html, html
        return "Download the PDF" in html

    wait_for(ready, f"record {record.pk} to be built", workers)


def download_text(client: Client, record: AchievementRecord) -> str:
    response = client.get(reverse("assessments:achievement_download", args=[record.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    record.refresh_from_db()
    assert hashlib.sha256(data).hexdigest() == record.pdf_sha256
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def assert_verifies(record: AchievementRecord) -> None:
    # Anyone holding the code, signed in or not, at the address printed on the PDF.
    assert record.verify_url.endswith(record.verify_path)
    response = Client().get(record.verify_path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "This is a genuine record, and it is current." in html
    assert "Current" in html
    assert record.pdf_sha256 in html


def assert_prints_what_was_signed_off(text: str, registration: Registration) -> None:
    """Each signed-off unit's reference and title, each criterion's number, and the date each
    was met, as the database has them."""
    flat = " ".join(text.split())
    sign_offs = UnitSignOff.objects.active().filter(registration=registration)
    units = [sign_off.unit for sign_off in sign_offs.select_related("unit")]
    assert units
    for unit in units:
        if unit.reference:
            assert unit.reference in flat
        assert " ".join(unit.title.split())[:30] in flat
        for number in unit.criteria.values_list("number", flat=True):
            assert number in flat
    met_on = set(
        Decision.objects.current()
        .filter(registration=registration, outcome="met", criterion__unit__in=units)
        .values_list("assessed_on", flat=True)
    )
    assert met_on
    for day in met_on:
        assert f"{day.day} {day:%B} {day.year}" in flat


# ---------------------------------------------------------------- the tests


@pytest.fixture
def done(catalogue: None) -> Case:
    case = make_case(name="Ada Worker")
    for unit in case.units:
        sign(case, unit)
    return case


def test_a_learner_asks_a_worker_builds_and_the_pdf_downloads_reads_and_verifies(
    done: Case, queue_on: None, start_worker: StartWorker, client: Client
) -> None:
    worker = start_worker("worker")
    client.force_login(done.learner)

    record = ask_through_the_page(client, done.registration)
    wait_until_ready(client, record, [worker])

    record.refresh_from_db()
    assert record.status == "ready"
    assert record.attempts == 1
    text = download_text(client, record)
    assert "Ada Worker" in text
    assert done.registration.qualification.number in text
    assert_prints_what_was_signed_off(text, done.registration)
    assert_verifies(record)
    # It was the worker, not this process, that built it: the task went through Redis.
    assert "Task assessments.build_achievement_record[" in worker.text()
    assert AuditEvent.objects.filter(action="achievement.built").count() == 1


def test_a_worker_killed_mid_build_leaves_the_task_to_another_which_builds_it_once(
    done: Case, queue_on: None, start_worker: StartWorker, broker: str, media: Path
) -> None:
    stalled = start_worker("stalled", stalling=True)
    record, queued = achievements.request_record(
        actor=done.learner, registration=done.registration, kind="full"
    )
    assert queued

    def building() -> bool:
        record.refresh_from_db()
        return record.status == "building" and f"{STALLING} {record.pk}" in stalled.text()

    wait_for(building, "the stalled worker to start building", [stalled])
    assert record.attempts == 1
    # Acknowledged late: while it is being built, Redis holds the message as unacknowledged.
    # (kombu's Redis transport keeps them in the "unacked" hash, scored in "unacked_index".)
    client = redis.Redis.from_url(broker)
    assert client.hlen("unacked") == 1
    [(_tag, taken_at)] = client.zrange("unacked_index", 0, -1, withscores=True)

    stalled.kill()

    assert client.hlen("unacked") == 1
    # A worker gives back abandoned messages when it starts (then every 100 s): start the next
    # once this one is older than the visibility timeout, so it is given back at once.
    time.sleep(max(0.0, taken_at + VISIBILITY_TIMEOUT + 1 - time.time()))
    rescuer = start_worker("rescuer")

    def ready() -> bool:
        record.refresh_from_db()
        assert record.status != "failed", record.error
        return record.status == "ready"

    wait_for(ready, "the second worker to build the record", [rescuer])
    wait_for(lambda: client.hlen("unacked") == 0, "the task to be acknowledged", [rescuer])

    assert record.attempts >= 2
    assert record.state == "current"
    same = AchievementRecord.objects.filter(
        registration=done.registration, kind="full", content_hash=record.content_hash
    )
    assert same.count() == 1
    files = [path for path in media.rglob("*") if path.is_file()]
    assert [path.relative_to(media).as_posix() for path in files] == [record.file.name]
    assert hashlib.sha256(files[0].read_bytes()).hexdigest() == record.pdf_sha256
    assert AuditEvent.objects.filter(action="achievement.built").count() == 1
    assert "received" in rescuer.text()


def test_done_when_the_demo_learner_noah_williams_record_is_built_by_the_worker(
    catalogue: None, queue_on: None, start_worker: StartWorker, client: Client
) -> None:
    call_command("seed_demo", allow_without_debug=True, stdout=StringIO())
    noah = User.objects.get(email=learner_email(NOAH))
    registration = Registration.objects.get(learner=noah, qualification__number=NOAH_QUALIFICATION)
    worker = start_worker("worker")
    client.force_login(noah)

    record = ask_through_the_page(client, registration)
    wait_until_ready(client, record, [worker])

    text = download_text(client, record)
    flat = " ".join(text.split())
    assert NOAH in flat
    assert NOAH_QUALIFICATION in flat
    assert registration.qualification.title[:30] in flat
    assert_prints_what_was_signed_off(text, registration)
    assert record.verification_code in flat
    assert_verifies(record)
