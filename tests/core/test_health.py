from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from core import health
from tests.services import redis_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_probe() -> None:
    health.reset_storage_probe()


def test_it_reports_every_check_as_json(client: Client) -> None:
    response = client.get(reverse("health"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage"}
    assert body["checks"]["database"]["ok"] is True
    # The test settings run tasks eagerly, as the embedded set-up does.
    assert body["checks"]["broker"] == {
        "ok": True,
        "mode": "eager",
        "detail": "no broker: tasks run in-process",
    }
    assert body["checks"]["storage"] == {"ok": True, "backend": "FileSystemStorage"}


def test_it_needs_no_sign_in_and_is_never_cached(client: Client) -> None:
    response = client.get("/health/")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_it_rejects_post(client: Client) -> None:
    assert client.post("/health/").status_code == 405


def test_it_leaves_no_probe_files_behind(client: Client) -> None:
    client.get("/health/")

    _directories, files = default_storage.listdir("health")
    assert files == []


def test_it_returns_503_when_the_broker_is_unreachable(client: Client, settings) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Port 1 on loopback: nothing listens, so the connection is refused at once.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["broker"]["ok"] is False
    # The error names the failure, not the URL (no credentials leak from a public endpoint).
    assert "127.0.0.1" not in response.content.decode()
    assert body["checks"]["database"]["ok"] is True


def test_it_returns_503_when_storage_cannot_be_written(client: Client, settings, tmp_path) -> None:
    # A location beneath a plain file can never be created, whoever runs the tests (even root).
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "media")},
        },
    }

    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["storage"] == {"ok": False, "error": "NotADirectoryError"}
    assert body["checks"]["database"]["ok"] is True


def test_it_reports_a_reachable_broker(client: Client, settings) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url()

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["ok"] is True
    assert response.json()["checks"]["broker"]["mode"] == "broker"


def _count_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    writes: list[str] = []
    save = default_storage.save

    def counting_save(name, content, *args, **kwargs):
        writes.append(name)
        return save(name, content, *args, **kwargs)

    monkeypatch.setattr(default_storage, "save", counting_save)
    return writes


def test_anonymous_requests_write_to_storage_at_most_once_a_minute(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = _count_writes(monkeypatch)
    clock = [1000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: clock[0])

    for _ in range(20):
        assert client.get("/health/").json()["checks"]["storage"]["ok"] is True
    assert len(writes) == 1

    clock[0] += health.STORAGE_PROBE_SECONDS - 1
    client.get("/health/")
    assert len(writes) == 1

    clock[0] += 2
    client.get("/health/")
    assert len(writes) == 2


def test_a_failing_probe_is_tried_again_at_once_so_recovery_shows(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    save = default_storage.save
    broken = [True]

    def flaky_save(name, content, *args, **kwargs):
        if broken[0]:
            raise PermissionError("bucket policy")
        return save(name, content, *args, **kwargs)

    monkeypatch.setattr(default_storage, "save", flaky_save)
    assert client.get("/health/").status_code == 503

    broken[0] = False

    assert client.get("/health/").status_code == 200
