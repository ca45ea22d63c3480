"""Rules about the repository itself: lint, migrations, assets, and the two-command set-up."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent


def test_ruff_finds_nothing() -> None:
    lint = subprocess.run(
        [BIN / "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True, check=False
    )
    fmt = subprocess.run(
        [BIN / "ruff", "format", "--check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert lint.returncode == 0, lint.stdout
    assert fmt.returncode == 0, fmt.stdout


def test_every_model_change_has_a_migration(db: None) -> None:
    # Raises SystemExit(1) when makemigrations would write something.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_no_page_loads_anything_from_another_site() -> None:
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(
            r"<(?:script|link|img)\b[^>]*(?:src|href)=[\"'](?:https?:)?//", text
        ):
            offenders.append(f"{template.relative_to(ROOT)}: {match.group(0)}")
    assert offenders == []


def test_the_readme_and_makefile_agree_on_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()

    assert "make run" in readme
    assert "make test" in readme
    assert readme.index("make run") < readme.index("## What you see after `make run`")
    for target in ("run", "test", "lint", "migrations-check", "worker"):
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), target
        assert f"make {target}" in readme, target
    run_recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "migrate" in run_recipe
    assert "load_catalogue" in run_recipe
    assert "seed_demo" in run_recipe
    assert run_recipe.index("load_catalogue") < run_recipe.index("seed_demo")
    assert "runserver $(HOST):$(PORT)" in run_recipe
    assert re.search(r"^HOST \?= 127\.0\.0\.1$", makefile, re.M)
    assert re.search(r"^PORT \?= 8000$", makefile, re.M)


def test_the_readme_sections_come_in_the_promised_order() -> None:
    readme = (ROOT / "README.md").read_text()
    headings = re.findall(r"^## (.+)$", readme, re.M)

    assert headings == [
        "Two commands",
        "What you see after `make run`",
        "Running with PostgreSQL, Redis and a Celery worker",
        "docker-compose",
        "Security",
        "Project layout",
    ]


def test_every_command_the_security_section_names_exists() -> None:
    from django.core.management import get_commands

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Security", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"manage\.py (\w+)", section))

    assert {"verify_audit_chain", "audit_checkpoint", "check", "axes_reset", "seed_demo"} <= named
    assert named <= set(get_commands())


def test_the_design_card_layout_is_in_place() -> None:
    for path in (
        "manage.py",
        "config",
        "qualifications",
        "portfolios",
        "assessments",
        "verification",
        "accounts",
        "core",
        "templates",
        "static",
        "fixtures",
        "tests",
        "pyproject.toml",
        "docker-compose.yml",
        "Dockerfile",
        "README.md",
        "Makefile",
        ".ci/run",
        ".env.example",
        "config/celery_app.py",
        "config/settings/base.py",
        "config/settings/local.py",
        "config/settings/test.py",
        "config/settings/production.py",
    ):
        assert (ROOT / path).exists(), path


def test_dependencies_are_pinned_exactly() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["dev"]

    unpinned = [r for r in requirements if "==" not in r]
    assert unpinned == []
    assert any(r.startswith("Django==5.2.") for r in requirements)


_ERROR_NAMES = {"errors", "non_field_errors", "non_form_errors", "form_errors", "row_errors"}


def _errors_put_in_messages(source: str) -> list[int]:
    """Lines where a call to messages.* is given a form's errors: those belong beside their
    fields, with the page's error summary (templates/core/_error_summary.html) counting them."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "messages"
        ):
            continue
        for inner in ast.walk(node):
            name = (
                inner.attr
                if isinstance(inner, ast.Attribute)
                else inner.id
                if isinstance(inner, ast.Name)
                else None
            )
            if name in _ERROR_NAMES:
                found.append(node.lineno)
                break
    return found


def test_the_message_check_finds_errors_put_in_messages() -> None:
    assert _errors_put_in_messages("messages.error(request, form_errors(form))") == [1]
    assert _errors_put_in_messages(
        'messages.error(request, " ".join(str(e) for e in form.errors.values()))'
    ) == [1]
    assert _errors_put_in_messages("messages.error(request, str(error))") == []


def test_no_view_puts_form_errors_into_messages() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if (
            relative.parts[0] in {".venv", "tests", "node_modules"}
            or "migrations" in relative.parts
        ):
            continue
        for line in _errors_put_in_messages(path.read_text()):
            offenders.append(f"{relative}:{line}")
    assert offenders == [], offenders
