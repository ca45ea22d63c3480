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
        "certification",
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
