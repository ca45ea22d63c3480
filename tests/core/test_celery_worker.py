"""A real Celery worker, in its own process, takes tasks from Redis and answers.

These tests start `celery worker` exactly as docker-compose does and talk to it through the
broker, so they prove the production wiring (config.celery_app, settings, task discovery),
not an in-process stand-in.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.services import redis_url

ROOT = Path(settings.BASE_DIR)
pytestmark = pytest.mark.worker


def _worker_env(broker: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "PYTHONUNBUFFERED": "1",
    }
    return env


@pytest.fixture(scope="module")
def broker() -> str:
    url = redis_url()
    # A database of our own inside Redis, emptied first: no stale task from an earlier run.
    client = redis.Redis.from_url(url)
    client.flushdb()
    return url


@pytest.fixture(scope="module")
def worker(broker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start one worker process; yield its node name; stop it at the end of the module."""
    node = f"test-{uuid.uuid4().hex[:8]}@%h"
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with log.open("wb") as log_fh:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config.celery_app",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                "-n",
                node,
            ],
            cwd=ROOT,
            env=_worker_env(broker),
            stdout=log_fh,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while b"ready." not in log.read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the worker did not start:\n{log.read_text()}")
                time.sleep(0.2)
            yield node
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_a_task_sent_through_redis_runs_in_the_worker_process(broker: str, worker: str) -> None:
    # The worker_ping command is what operators run: it uses the project's own Celery app,
    # configured purely from the environment, to send core.ping and wait for the answer.
    result = subprocess.run(
        [sys.executable, "manage.py", "worker_ping", "--timeout", "60"],
        cwd=ROOT,
        env=_worker_env(broker),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Worker answered:" in result.stdout


def test_the_compose_health_check_command_finds_the_worker(broker: str, worker: str) -> None:
    # docker-compose.yml probes the worker with `celery inspect ping --destination celery@HOST`.
    node = worker.replace("%h", socket.gethostname())
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "inspect",
            "ping",
            "--destination",
            node,
            "--timeout",
            "10",
        ],
        cwd=ROOT,
        env=_worker_env(broker),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "pong" in result.stdout


def test_without_a_broker_the_command_says_no_worker_answered() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "worker_ping", "--timeout", "3"],
        cwd=ROOT,
        env=_worker_env("redis://127.0.0.1:1/0"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "No answer from a worker" in result.stderr
