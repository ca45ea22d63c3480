"""The production shape: docker-compose.yml, the Dockerfile and the production settings.

No Docker engine runs here, so these tests read the files and check that everything they name
(commands, modules, settings, files copied) exists in the project.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 20 + "production-test-key-" + "7f3a9c1e5b2d8f4a6c0e" * 2,
    "DJANGO_ALLOWED_HOSTS": "portfolio.example.org",
    "DATABASE_URL": "sqlite:////tmp/eportfolio-deploy-check.sqlite3",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "SITE_URL": "https://portfolio.example.org",
    "FIELD_ENCRYPTION_KEYS": "u3Xr2-7dPq0bV1w9yJ5kZs8mN4cT6hL0aE2fG3iK5oQ=",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def _module_exists(dotted: str) -> bool:
    module, _, attribute = dotted.partition(":")
    imported = importlib.import_module(module)
    return not attribute or hasattr(imported, attribute)


def test_compose_has_the_production_services(compose: dict[str, Any]) -> None:
    assert {"web", "worker", "db", "redis", "minio"} <= set(compose["services"])
    for name in ("web", "worker", "db", "redis", "minio"):
        assert "healthcheck" in compose["services"][name], f"{name} has no health check"
    assert {"postgres-data", "redis-data", "minio-data"} <= set(compose["volumes"])


def test_the_web_service_runs_gunicorn_on_the_project_wsgi_app(compose: dict[str, Any]) -> None:
    web = compose["services"]["web"]
    words = _command(web)
    script = " ".join(words)
    match = re.search(r"gunicorn (\S+)", script)
    assert match, script
    assert _module_exists(match.group(1))
    assert "manage.py migrate" in script
    assert (ROOT / "manage.py").exists()
    # Its health check asks the project's own /health/ endpoint.
    assert "/health/" in " ".join(web["healthcheck"]["test"])


def test_the_worker_service_runs_the_project_celery_app(compose: dict[str, Any]) -> None:
    words = _command(compose["services"]["worker"])
    assert words[:2] == ["celery", "-A"]
    app_module = words[2]
    module = importlib.import_module(app_module)
    assert hasattr(module, "app")
    assert "worker" in words
    assert "celery -A " + app_module in compose["services"]["worker"]["healthcheck"]["test"][1]


def test_every_settings_module_named_exists(compose: dict[str, Any]) -> None:
    named = set()
    for service in compose["services"].values():
        environment = service.get("environment") or {}
        if "DJANGO_SETTINGS_MODULE" in environment:
            named.add(environment["DJANGO_SETTINGS_MODULE"])
    dockerfile = (ROOT / "Dockerfile").read_text()
    named.update(re.findall(r"DJANGO_SETTINGS_MODULE=(\S+)", dockerfile))
    assert named == {"config.settings.production"}
    for module in named:
        assert (ROOT / (module.replace(".", "/") + ".py")).exists()


def test_the_app_services_get_every_variable_production_requires(compose: dict[str, Any]) -> None:
    environment = compose["services"]["web"]["environment"]
    for required in (
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "SITE_URL",
        "FIELD_ENCRYPTION_KEYS",
    ):
        assert required in environment
    # Media goes to MinIO through django-storages.
    assert environment["AWS_S3_ENDPOINT_URL"].startswith("http://minio:")
    assert environment["CELERY_BROKER_URL"].startswith("redis://redis:")
    assert compose["services"]["worker"]["environment"] == environment


def test_the_dockerfile_copies_only_what_exists_and_serves_with_gunicorn() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            *sources, _destination = line.split()[1:]
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
    assert cmd
    assert "gunicorn" in cmd.group(1)
    assert "config.wsgi:application" in cmd.group(1)
    # Every package `pip install .` installs is in the image (pip finds none it is not given).
    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = [pattern.rstrip("*") for pattern in found["packages"]["find"]["include"]]
    assert {"config", "core", "assessments", "home", "demo", "api"} <= set(packages)
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile


def _instructions(dockerfile: str) -> list[str]:
    """The Dockerfile's instructions, each on one line (continuations joined), comments out."""
    lines = [line for line in dockerfile.splitlines() if not line.lstrip().startswith("#")]
    return [" ".join(i.split()) for i in "\n".join(lines).replace("\\\n", " ").splitlines() if i]


def _assignments(words: list[str]) -> dict[str, str]:
    """The leading NAME=value words of a command (or all of an ENV instruction's)."""
    found = {}
    for word in words:
        name, equals, value = word.partition("=")
        if not equals or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
            break
        found[name] = value
    return found


def _collectstatic_step(dockerfile: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """The image's ENV, the collectstatic RUN line's own variables, and its command."""
    image_env: dict[str, str] = {}
    for instruction in _instructions(dockerfile):
        keyword, _, rest = instruction.partition(" ")
        if keyword == "ENV":
            image_env.update(_assignments(shlex.split(rest)))
        elif keyword == "RUN" and "collectstatic" in rest:
            words = shlex.split(rest)
            step_env = _assignments(words)
            return image_env, step_env, words[len(step_env) :]
    raise AssertionError("The Dockerfile runs no collectstatic")


def test_the_dockerfiles_collectstatic_runs_with_only_the_environment_the_dockerfile_gives(
    tmp_path: Path,
) -> None:
    """`docker build` runs collectstatic under the production settings, which refuse to load
    without each variable they require. No Docker engine here: the files the Dockerfile copies
    are copied into a folder, and its command is run there with nothing but the variables its
    ENV and that RUN line set (and PATH), never this checkout's own packages."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    image_env, step_env, command = _collectstatic_step(dockerfile)
    assert command == ["python", "manage.py", "collectstatic", "--noinput"]
    # The build-only values are on the RUN line, so none stays in the image for run time.
    assert image_env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert not set(step_env) & set(image_env)
    assert set(PRODUCTION_ENV) - {"DJANGO_SETTINGS_MODULE"} <= set(step_env)
    app = tmp_path / "app"
    app.mkdir()
    for instruction in _instructions(dockerfile):
        if instruction.startswith("COPY "):
            *sources, _destination = instruction.split()[1:]
            for source in sources:
                if (ROOT / source).is_dir():
                    ignore = shutil.ignore_patterns("__pycache__", "staticfiles")
                    shutil.copytree(ROOT / source, app / source, ignore=ignore)
                else:
                    shutil.copy2(ROOT / source, app / source)
    # The image has the project's packages only from what was copied: this checkout's own
    # (an editable install, or a path entry) are taken off the path before manage.py runs.
    run_manage = (
        "import runpy, sys\n"
        f"checkout = {str(ROOT)!r}\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in repr(f)]\n"
        # The checkout's own packages, not the virtualenv's (which may live inside it).
        "sys.path[:] = [p for p in sys.path\n"
        "               if not p.startswith(checkout) or p.startswith(sys.prefix)]\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_path('manage.py', run_name='__main__')\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", run_manage, *command[1:]],
        cwd=app,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **image_env, **step_env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "static files copied" in result.stdout
    assert (app / "staticfiles" / "staticfiles.json").exists()  # the hashed manifest


def _clean_environ() -> dict[str, str]:
    """This process's environment without the settings a subprocess must take from the test."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "SITE_URL"))
    }


def _run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = _clean_environ()
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_reports_nothing_with_the_documented_environment() -> None:
    result = _run_manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}

    result = _run_manage("check", env=env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CELERY_BROKER_URL", None),
        ("CELERY_BROKER_URL", ""),
        ("SITE_URL", None),
        ("SITE_URL", "  "),
        # Client secrets would be encrypted with a key derived from DJANGO_SECRET_KEY, lost
        # with it.
        ("FIELD_ENCRYPTION_KEYS", None),
        ("FIELD_ENCRYPTION_KEYS", ""),
    ],
)
def test_production_refuses_to_start_without_a_broker_or_a_site_url(
    variable: str, value: str | None
) -> None:
    # Without a broker PDFs would be built inside web requests; without SITE_URL a record
    # built by a worker would print localhost in its QR code.
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != variable}
    if value is not None:
        env[variable] = value

    result = _run_manage("check", env=env)

    assert result.returncode != 0
    assert f"Set the {variable} environment variable" in result.stderr


def test_production_refuses_a_site_url_that_is_not_public_https() -> None:
    result = _run_manage("check", env={**PRODUCTION_ENV, "SITE_URL": "http://localhost:8000"})

    assert result.returncode != 0
    assert "SITE_URL must be the site's public https:// address" in result.stderr


def test_production_sends_tasks_to_the_broker_never_eagerly() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL, settings.SITE_URL)"
    )
    clean = _clean_environ()
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "redis://redis.internal:6379/0",
        "https://portfolio.example.org",
    ]


def test_production_keeps_media_in_object_storage_when_a_bucket_is_set() -> None:
    env = {
        **PRODUCTION_ENV,
        "AWS_STORAGE_BUCKET_NAME": "eportfolio-media",
        "AWS_S3_ENDPOINT_URL": "http://minio:9000",
    }
    code = (
        "import django; django.setup();"
        'from django.core.files.storage import storages;s=storages["default"];'
        "from django.conf import settings as c;"
        "print(type(s).__name__, c.STORAGES['staticfiles']['BACKEND'],"
        " c.CELERY_TASK_ALWAYS_EAGER)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env, "CELERY_BROKER_URL": "redis://redis:6379/0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "S3Storage",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "False",
    ]


def test_production_serves_every_response_under_the_strict_policy() -> None:
    code = (
        "import json, django; django.setup();"
        "from django.conf import settings as c;"
        "print(json.dumps(['csp.middleware.CSPMiddleware' in c.MIDDLEWARE,"
        " c.CONTENT_SECURITY_POLICY['DIRECTIVES']]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    middleware, directives = json.loads(result.stdout)
    assert middleware is True
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in directives.values() for source in sources)


def test_the_local_defaults_are_the_embedded_setup() -> None:
    code = (
        "import django; django.setup();"
        'from django.core.files.storage import storages;s=storages["default"];'
        "from django.conf import settings as c;"
        "print(c.DATABASES['default']['ENGINE'], type(s).__name__,"
        " c.CELERY_TASK_ALWAYS_EAGER, c.EMAIL_BACKEND, c.DEBUG)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "AWS_", "EMAIL_"))
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.local"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "FileSystemStorage",
        "True",
        "django.core.mail.backends.console.EmailBackend",
        "True",
    ]


def test_env_example_documents_every_variable_the_settings_read() -> None:
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    read = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        read.update(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", path.read_text()))
    for path in (ROOT / "tests").rglob("*.py"):
        read.update(re.findall(r"os\.environ\.get\(\"([A-Z][A-Z0-9_]+)\"", path.read_text()))
    assert read, "found no variables: the pattern is broken"
    assert read - documented == set()


def test_the_beat_service_schedules_the_project_tasks(compose: dict[str, Any]) -> None:
    from django.conf import settings as django_settings

    from config.celery_app import app

    words = _command(compose["services"]["beat"])
    assert words[:4] == ["celery", "-A", "config.celery_app", "beat"]
    app.loader.import_default_modules()
    for entry in django_settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_a_lost_task_comes_back_after_the_longest_task_and_well_within_the_hour() -> None:
    # Late acknowledgement: Redis gives a dead worker's task to another after the visibility
    # timeout. Shorter than a task may run would start live tasks twice; Redis's default hour
    # would leave a learner's record queued that long after a worker dies.
    from django.conf import settings

    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.CELERY_TASK_TIME_LIMIT + 60 < timeout < 60 * 60
