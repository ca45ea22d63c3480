"""Rules about the repository itself: lint, migrations, assets, and the two-command set-up."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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
        "Screenshots",
        "Open to other systems",
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
        "home",
        "demo",
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


# ---------------------------------------------------------------- the apps' layers


def _import_contract() -> tuple[Any, Any]:
    """pyproject's layers contract and the import graph of the packages it names, as
    `lint-imports` (make lint) builds them; no cache, so nothing is written to the checkout."""
    import grimp
    from importlinter import api  # noqa: F401 (configures import-linter)
    from importlinter.application import use_cases
    from importlinter.contracts.layers import LayersContract

    options = use_cases.read_user_options(str(ROOT / "pyproject.toml"))
    (layers,) = [c for c in options.contracts_options if c["type"] == "layers"]
    contract = LayersContract(
        name=layers["name"], session_options=options.session_options, contract_options=layers
    )
    graph = grimp.build_graph(*options.session_options["root_packages"], cache_dir=None)
    return contract, graph


def _broken_imports(check: Any) -> list[str]:
    """Each import that breaks the contract, as `importer -> ... -> imported (l.N)`."""
    broken = []
    for dependency in check.metadata["invalid_dependencies"]:
        for route in dependency["routes"]:
            links = route["chain"]
            path = " -> ".join([link["importer"] for link in links] + [links[-1]["imported"]])
            lines = ", ".join(str(n) for n in links[0]["line_numbers"])
            broken.append(f"{path} (l.{lines})")
    return sorted(broken)


def test_every_app_imports_only_the_apps_beneath_it() -> None:
    contract, graph = _import_contract()

    check = contract.check(graph, verbose=False)

    assert _broken_imports(check) == []
    assert check.kept


def test_the_layers_contract_refuses_an_import_upward() -> None:
    """The contract is not kept vacuously: an import from a lower app into a higher one (here
    added to the graph, as a stray `from home.roles import link` in core would add it) breaks it."""
    contract, graph = _import_contract()
    graph.add_import(
        importer="core.models",
        imported="home.roles",
        line_number=7,
        line_contents="from home.roles import link",
    )
    graph.add_import(
        importer="accounts.views.centre",
        imported="portfolios.models",
        line_number=9,
        line_contents="from portfolios.models import Registration",
    )

    check = contract.check(graph, verbose=False)

    assert not check.kept
    assert _broken_imports(check) == [
        "accounts.views.centre -> portfolios.models (l.9)",
        "core.models -> home.roles (l.7)",
    ]


def test_every_app_of_the_project_is_in_the_layers() -> None:
    """A new app must be given its place, or lint-imports would not look at it."""
    contract, _ = _import_contract()
    packages = set(contract.session_options["root_packages"])
    layered = {tail.name for layer in contract.layers for tail in layer.module_tails}
    ours = {
        app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()
    }

    assert ours - packages == set()
    assert ours - layered == set()
    assert packages <= layered


def test_make_lint_checks_the_layers_after_ruff() -> None:
    makefile = (ROOT / "Makefile").read_text()
    lint_recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)

    assert "lint-imports" in lint_recipe
    assert lint_recipe.index("ruff") < lint_recipe.index("lint-imports")


# ---------------------------------------------------------------- types


def test_make_lint_checks_the_types_and_ci_runs_it() -> None:
    makefile = (ROOT / "Makefile").read_text()
    lint_recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    ci = (ROOT / ".ci" / "run").read_text()

    assert "$(BIN)/mypy" in lint_recipe
    assert lint_recipe.index("lint-imports") < lint_recipe.index("mypy")
    commands = re.findall(r"^make (\w+)", ci, re.M)
    assert "lint" in commands
    assert commands.index("lint") < commands.index("test")


def test_mypy_under_the_project_settings_reports_a_type_error(tmp_path: Path) -> None:
    """What make lint's mypy run would say of an app module with mistakes in it: a wrong return
    type, and (through django-stubs' plugin, so the settings are in force) a lookup of a field
    the model does not have. Its own cache, so nothing is written to the checkout."""
    from mypy import api

    module = tmp_path / "typo_check.py"
    module.write_text(
        "from accounts.models import Centre, User\n"
        "\n"
        "\n"
        "def name_length(user: User) -> int:\n"
        "    return user.email\n"
        "\n"
        "\n"
        "def centres_named(name: str) -> int:\n"
        "    return Centre.objects.filter(no_such_field=name).count()\n"
    )

    out, _, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            str(module),
        ]
    )

    assert status == 1, out
    assert (
        'typo_check.py:5: error: Incompatible return value type (got "str", expected "int")' in out
    )
    assert "typo_check.py:9: error: Cannot resolve keyword 'no_such_field' into field" in out


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


# Writes of a "status" or "state" attribute that are no record's lifecycle, each with its reason.
NOT_A_LIFECYCLE_WRITE = {
    # A criterion's state in the portfolio's read model, worked out from the decision log.
    ("portfolios/progress.py", "row.state"),
    # Why a witness link cannot be used, carried on the exception.
    ("portfolios/witness.py", "self.state"),
    # The same, worked out for the page beside the request (WitnessRequest has no such field).
    ("portfolios/views/witness.py", "witness_request.state"),
    # Why a progress review's one-time link cannot be used, carried on the exception.
    ("portfolios/reviews.py", "self.state"),
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


# ---------------------------------------------------------------- permissions live in rules.py
# Every permission is a django-rules predicate (each app's rules.py) or a visible_to QuerySet:
# views ask them (user.has_perm, rules.test_rule) and never decide from roles themselves.
ROLE_HELPERS = {"has_role_at", "eqa_may_read"}


def _is_view_module(relative: Path) -> bool:
    return (
        "views" in relative.name
        or "views" in relative.parts[:-1]
        or relative.name.endswith("_page.py")
        or relative.as_posix() == "home/views.py"
    )


def _role_comparisons(source: str) -> list[str]:
    """Each place a module decides from roles: a Role member, a comparison of a `.role`, a
    role helper of accounts.access, or a superuser test."""
    found = []
    for node in ast.walk(ast.parse(source)):
        is_role = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        if is_role and node.value.id == "Role":  # type: ignore[attr-defined]
            found.append(f"{node.lineno}: Role.{node.attr}")  # type: ignore[attr-defined]
        if isinstance(node, ast.Attribute) and node.attr == "is_superuser":
            found.append(f"{node.lineno}: .is_superuser")
        if isinstance(node, ast.Constant) and node.value == "is_superuser":
            found.append(f"{node.lineno}: 'is_superuser'")
        if isinstance(node, ast.Name) and node.id in ROLE_HELPERS:
            found.append(f"{node.lineno}: {node.id}")
        if isinstance(node, ast.ImportFrom):
            found += [f"{node.lineno}: {a.name}" for a in node.names if a.name in ROLE_HELPERS]
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(side, ast.Attribute) and side.attr == "role" for side in sides):
                found.append(f"{node.lineno}: .role compared")
    return sorted(found)


def test_the_role_check_finds_each_kind_of_role_comparison() -> None:
    assert _role_comparisons("ok = membership.role == Role.EQA") == [
        "1: .role compared",
        "1: Role.EQA",
    ]
    assert _role_comparisons("ok = membership.role not in roles") == ["1: .role compared"]
    assert _role_comparisons("ok = request.user.is_superuser") == ["1: .is_superuser"]
    assert _role_comparisons("ok = getattr(user, 'is_superuser', False)") == ["1: 'is_superuser'"]
    assert _role_comparisons("from accounts.access import has_role_at") == ["1: has_role_at"]
    assert _role_comparisons("ok = has_role_at(user, 1, 'iv')") == ["1: has_role_at"]
    assert _role_comparisons("ok = user.has_perm('portfolios.view_registration', r)") == []
    assert _role_comparisons("ok = rules.test_rule('accounts.work_as_eqa', user, m)") == []


def test_no_view_decides_from_roles() -> None:
    offenders = []
    checked = 0
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if (
            relative.parts[0] in {".venv", "tests", "node_modules", "bench"}
            or "migrations" in relative.parts
            or not _is_view_module(relative)
        ):
            continue
        checked += 1
        offenders += [f"{relative}:{where}" for where in _role_comparisons(path.read_text())]
    assert checked > 20  # the walk found the view modules (*views*.py, views/, *_page.py)
    assert offenders == [], offenders


# ---------------------------------------------------------------- tests read the clock as they run
# The suite runs for about twenty minutes. A module that reads "today" when it is imported keeps
# yesterday's date once the run crosses midnight, while the code under test has moved on (the
# run of 4-5 December failed thirty tests that way). Tests ask tests.support.clock inside the
# test or fixture instead.
CLOCK_CALLS = {
    "datetime.date.today",
    "datetime.datetime.now",
    "datetime.datetime.today",
    "datetime.datetime.utcnow",
    "django.utils.timezone.now",
    "django.utils.timezone.localdate",
    "django.utils.timezone.localtime",
    "time.time",
    "time.time_ns",
    "tests.support.clock.today",
    "tests.support.clock.now",
}
# The same calls as written when the import could not be followed (a name from a star import).
CLOCK_SUFFIXES = {
    "date.today",
    "datetime.now",
    "datetime.today",
    "timezone.now",
    "timezone.localdate",
    "timezone.localtime",
    "time.time",
    "clock.today",
    "clock.now",
}
# localtime(value) and localdate(value) only convert the value; without one they read the clock.
CONVERTERS = {"localtime", "localdate"}


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def _clock_reads_at_import(source: str) -> list[int]:
    """Lines where the clock is read while the module is imported: at module level, in a class
    body, in a decorator's arguments or in a default argument value. A function's or lambda's
    body runs later, when the test does, and is not looked into."""
    tree = ast.parse(source)
    imported: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                # `import a.b` binds `a`; `import a.b as c` binds `c` to a.b.
                imported[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def reads_clock(call: ast.Call) -> bool:
        written = _dotted(call.func)
        if written is None:
            return False
        head, _, rest = written.partition(".")
        full = imported.get(head, head) + (f".{rest}" if rest else "")
        last = full.rsplit(".", 1)[-1]
        if last in CONVERTERS and (call.args or call.keywords):
            return False
        return full in CLOCK_CALLS or any(
            written == suffix or written.endswith(f".{suffix}") for suffix in CLOCK_SUFFIXES
        )

    found: list[int] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            # Run now: decorators and default values. Run later: the body.
            for decorator in getattr(node, "decorator_list", []):
                visit(decorator)
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    visit(default)
            return
        if isinstance(node, ast.Call) and reads_clock(node):
            found.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return sorted(found)


def test_the_clock_check_finds_each_place_read_at_import() -> None:
    source = """\
import datetime
import time as clocks
from datetime import date, timedelta
from django.utils import timezone
from django.utils.timezone import localtime
from tests.support import clock
TODAY = datetime.date.today()
NOW = timezone.now() - timedelta(days=1)
class Factory:
    when = localtime()
    class Meta:
        started = clocks.time()
@pytest.mark.parametrize("day", [date.today(), clock.today()])
def test_a(day, when=datetime.datetime.now(), *, at=timezone.localdate()):
    fine = timezone.now(), date.today(), localtime(fine), clock.today()
    return lambda: timezone.now()
LATER = lambda now=timezone.now(): timezone.localdate()
FROM_A_VALUE = localtime(SOME_VALUE)
CASES = [timezone.localdate() + timedelta(days=n) for n in range(3)]
"""
    assert _clock_reads_at_import(source) == [7, 8, 10, 12, 13, 13, 14, 14, 17, 19]


def test_no_test_reads_the_clock_when_it_is_imported() -> None:
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for line in _clock_reads_at_import(path.read_text()):
            found.append(f"{path.relative_to(ROOT)}:{line}")
    assert not found, (
        "Read the clock inside the test or fixture (tests.support.clock):\n" + "\n".join(found)
    )
