"""Rules about the repository itself: lint, migrations, assets, and the two-command set-up."""

from __future__ import annotations

import ast
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


# Writes of a "status" or "state" attribute that are no record's lifecycle, each with its reason.
NOT_A_LIFECYCLE_WRITE = {
    # A criterion's state in the portfolio's read model, worked out from the decision log.
    ("portfolios/progress.py", "row.state"),
    # Why a witness link cannot be used, carried on the exception.
    ("portfolios/witness.py", "self.state"),
    # The same, worked out for the page beside the request (WitnessRequest has no such field).
    ("portfolios/witness_views.py", "witness_request.state"),
}
LIFECYCLE_FIELDS = {"status", "state"}


def _lifecycle_writes(path: Path, tree: ast.AST) -> list[str]:
    """Every place in one module that writes a status or state other than through
    core.lifecycle: an assignment, setattr, or a QuerySet update / bulk_update /
    update_or_create naming the field."""
    where = path.relative_to(ROOT).as_posix()
    found = []

    def named(node: ast.AST) -> bool:
        return isinstance(node, ast.Constant) and node.value in LIFECYCLE_FIELDS

    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = [
                t
                for target in node.targets
                for t in ast.walk(target)
                if isinstance(t, ast.Attribute)
            ]
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr in LIFECYCLE_FIELDS
                and (where, ast.unparse(target)) not in NOT_A_LIFECYCLE_WRITE
            ):
                found.append(f"{where}:{node.lineno}: {ast.unparse(target)} = …")
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        if name == "setattr" and len(node.args) > 1 and named(node.args[1]):
            found.append(f"{where}:{node.lineno}: setattr(…, {node.args[1].value!r})")
        elif name in ("update", "update_or_create", "bulk_update"):
            keywords = {k.arg for k in node.keywords}
            # update(status=…), update(**{"status": …}), defaults={"status": …}, ["status"]
            values = [ast.walk(k.value) for k in node.keywords] + [ast.walk(a) for a in node.args]
            strings = any(named(n) for walk in values for n in walk)
            if (
                keywords & LIFECYCLE_FIELDS
                or (strings and name != "update")
                or (name == "update" and any(k.arg is None for k in node.keywords) and strings)
            ):
                found.append(f"{where}:{node.lineno}: .{name}(…) writes a status or state")
    return found


def test_no_status_or_state_is_written_outside_its_lifecycle() -> None:
    """Every change of state goes through core.lifecycle (the move checks it and writes its
    audit event); creating a row in its first state is no change. Tests set rows up as they
    need, and migrations are history."""
    skip = {"tests", "migrations", ".venv", "node_modules", "static"}
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if skip & set(path.relative_to(ROOT).parts) or path == ROOT / "core" / "lifecycle.py":
            continue
        found += _lifecycle_writes(path, ast.parse(path.read_text(), str(path)))
    assert found == []


def test_the_lifecycle_check_finds_each_kind_of_write() -> None:
    source = """
registration.status = "active"
sample.state, other = "agreed", 1
setattr(batch, "state", "exported")
Registration.objects.filter(pk=1).update(status="claimed")
Registration.objects.filter(pk=1).update(**{"status": "claimed"})
Evidence.objects.bulk_update(items, ["status"])
Sample.objects.update_or_create(pk=1, defaults={"state": "open"})
row.state = "met"
Registration.objects.create(status="active")
Registration.objects.filter(status="active").update(updated_at=now)
"""
    found = _lifecycle_writes(ROOT / "portfolios" / "progress.py", ast.parse(source))

    assert [line.split(":")[1] for line in found] == ["2", "3", "4", "5", "6", "7", "8"]
