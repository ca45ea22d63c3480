"""bench/run.py's table and JSON, with fake suites: no database, no timings."""

from __future__ import annotations

import json
from types import SimpleNamespace

from bench.harness import Context, Row
from bench.run import SUITES, format_table, results_json, run_suites, write_results


def fake_importer(name: str) -> SimpleNamespace:
    if name == "written":
        return SimpleNamespace(
            bench=lambda ctx: [
                Row("page", 120.0, "ms", "<= 3x floor", True, floor=60.0),
                Row("written: size", 140.0, "KB", "<= 150 KB", True),
            ]
        )
    if name == "broken":

        def bench(ctx: Context) -> list[Row]:
            raise RuntimeError("the page answered 500")

        return SimpleNamespace(bench=bench)
    raise ModuleNotFoundError(f"No module named 'bench.{name}'", name=f"bench.{name}")


def rows() -> list[Row]:
    ctx = Context(database_url="postgres://nowhere/none", repeat=1)
    return run_suites(["written", "missing", "broken"], ctx, importer=fake_importer, say=str)


def test_a_missing_or_failing_suite_is_a_row_not_met_and_the_run_goes_on() -> None:
    made = rows()
    assert [(r.measure, r.met) for r in made] == [
        ("written: page", True),
        ("written: size", True),
        ("missing", False),
        ("broken", False),
    ]
    assert made[2].note == "not yet written"
    assert "the page answered 500" in made[3].note


def test_the_table_has_one_line_a_row_with_ratio_and_verdict() -> None:
    table = format_table(rows()).splitlines()
    assert table[0].split() == ["measure", "project", "floor", "ratio", "goal", "met"]
    page = next(line for line in table if line.startswith("written: page"))
    assert "120 ms" in page
    assert "60.0 ms" in page
    assert "2.0x" in page
    assert page.endswith("yes")
    assert any(line.strip() == "not yet written" for line in table)
    assert table[-1] == "2 of 4 met"


def test_the_json_holds_every_row_and_the_run_facts(tmp_path) -> None:
    first, second = tmp_path / "results.json", tmp_path / "copy" / "also.json"
    write_results(results_json(rows(), meta={"database_url": "x"}), [first, second])
    data = json.loads(first.read_text())
    assert data == json.loads(second.read_text())
    assert data["database_url"] == "x"
    assert [row["measure"] for row in data["rows"]] == [
        "written: page",
        "written: size",
        "missing",
        "broken",
    ]
    assert data["rows"][0]["ratio"] == 2.0
    assert set(data["rows"][0]) >= {"measure", "project", "floor", "ratio", "goal", "met", "unit"}


def test_every_suite_the_issue_names_is_listed() -> None:
    named = {
        "pages_portfolio",
        "pages_caseload",
        "judging",
        "catalogue_load",
        "setup_time",
        "upload",
        "sampling_plan",
        "achievement_record",
        "claim_export",
        "import_parse",
    }
    assert named <= set(SUITES)


def test_a_new_migration_migrates_the_seeded_database_a_seed_change_seeds_it_again(
    tmp_path, monkeypatch
) -> None:
    """Seeding the large centre takes many minutes: a new index must not cost a reseed, but a
    change to what the seed builds must."""
    from bench import run

    (tmp_path / "demo").mkdir()
    (tmp_path / "portfolios" / "migrations").mkdir(parents=True)
    (tmp_path / "fixtures" / "catalogue").mkdir(parents=True)
    for name in run.SEED_SOURCES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("# seed\n")
    monkeypatch.setattr(run, "ROOT", tmp_path)
    before = run.code_version()
    (tmp_path / "portfolios" / "migrations" / "0099_an_index.py").write_text("# index\n")
    assert run.code_version() == before
    (tmp_path / "demo" / "scale.py").write_text("# seed, changed\n")
    assert run.code_version() != before

    calls: list[tuple[str, ...]] = []
    manifest = tmp_path / "scale.json"
    url = "postgres://postgres@127.0.0.1:5432/eportfolio_bench_test_fake"
    manifest.write_text(json.dumps({"code_version": run.code_version(), "database_url": url}))
    monkeypatch.setattr(run, "ensure_database", lambda url, drop=False: False)
    monkeypatch.setattr(run, "manage", lambda url, *args: calls.append(args))
    monkeypatch.setattr(run, "analyze", lambda url: calls.append(("analyze",)))

    found = run.ensure_seeded(url, manifest, reseed=False, platform=False)

    assert found["database_url"] == url
    assert calls == [("migrate", "--noinput", "-v0"), ("analyze",)]  # migrated, not seeded
