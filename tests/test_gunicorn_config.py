"""The web service's gunicorn settings (config/gunicorn.py): what bench/load.py measured."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "gunicorn.py"


def settings(monkeypatch: pytest.MonkeyPatch, **environment: str) -> dict:
    for name in ("WEB_CONCURRENCY", "WEB_THREADS", "WEB_TIMEOUT", "WEB_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_it_runs_two_threaded_workers_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)

    config = settings(monkeypatch)

    assert config["workers"] == 4
    assert config["threads"] == 4
    assert config["worker_class"] == "gthread"
    assert config["accesslog"] == "-"


def test_the_environment_chooses_another_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    config = settings(monkeypatch, WEB_CONCURRENCY="3", WEB_THREADS="1", WEB_ACCESS_LOG="")

    assert config["workers"] == 3
    assert config["worker_class"] == "sync"
    assert config["accesslog"] is None


def test_the_image_and_the_compose_file_use_it() -> None:
    assert '"--config", "config/gunicorn.py"' in (ROOT / "Dockerfile").read_text()
    assert "--config config/gunicorn.py" in (ROOT / "docker-compose.yml").read_text()
