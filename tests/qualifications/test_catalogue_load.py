"""Loading the catalogue by difference: a reload that changes nothing writes nothing and costs
a number of queries bounded by the tables, not the rows; changes are written, and nothing else."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualifications.catalogue import catalogue_fixtures
from qualifications.models import (
    AssessmentCriterion,
    LearningOutcome,
    Statement,
    Unit,
)

# The catalogue's tables: twelve models and the statements' units link table.
TABLES = 13
WRITES = ("INSERT", "UPDATE", "DELETE")


def extra_unit(key: str, criteria: int) -> list[dict]:
    """A fixture of one unit with one outcome and `criteria` criteria."""
    return [
        {
            "model": "qualifications.unit",
            "fields": {
                "key": key,
                "title": "A unit only this test knows",
                "level": "2",
                "level_rank": 4,
                "source": "test",
            },
        },
        {
            "model": "qualifications.learningoutcome",
            "fields": {"unit": [key], "number": "1", "text": "Know things.", "position": 1},
        },
        *(
            {
                "model": "qualifications.assessmentcriterion",
                "fields": {
                    "unit": [key],
                    "outcome": [key, "1"],
                    "number": f"1.{n}",
                    "text": f"Criterion {n}.",
                    "position": n,
                },
            }
            for n in range(1, criteria + 1)
        ),
    ]


def write_fixture(path: Path, objects: list[dict]) -> Path:
    path.write_text(json.dumps(objects), encoding="utf-8")
    return path


def use_fixtures(monkeypatch: pytest.MonkeyPatch, paths: list[Path]) -> None:
    monkeypatch.setattr(
        "qualifications.management.commands.load_catalogue.catalogue_fixtures", lambda: paths
    )


def reload() -> tuple[list[str], str]:
    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("load_catalogue", stdout=out)
    return [q["sql"] for q in queries.captured_queries], out.getvalue()


def writes(sqls: list[str]) -> list[str]:
    return [sql for sql in sqls if sql.lstrip().upper().startswith(WRITES)]


def test_a_reload_that_changes_nothing_writes_nothing_in_a_query_or_two_per_table(
    catalogue: None,
) -> None:
    sqls, out = reload()

    assert writes(sqls) == []
    assert len(sqls) <= 2 * TABLES
    assert "nothing changed" in out


def test_the_reload_costs_the_same_queries_when_the_fixtures_hold_more_rows(
    catalogue: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain, _ = reload()
    extra = write_fixture(tmp_path / "extra.json", extra_unit("TEST:big", 200))
    use_fixtures(monkeypatch, [*catalogue_fixtures(), extra])
    call_command("load_catalogue", stdout=StringIO())
    assert AssessmentCriterion.objects.filter(unit__key="TEST:big").count() == 200

    larger, out = reload()

    assert writes(larger) == []
    assert len(larger) == len(plain)
    assert "nothing changed" in out


def test_a_changed_row_is_updated_and_nothing_else_is_written(
    catalogue: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixtures = catalogue_fixtures()
    imi = next(path for path in fixtures if path.name == "imi.json")
    objects = json.loads(imi.read_text(encoding="utf-8"))
    [criterion] = [
        o
        for o in objects
        if o["model"] == "qualifications.assessmentcriterion"
        and o["fields"]["unit"] == ["A/506/2130"]
        and o["fields"]["number"] == "1.2"
    ]
    criterion["fields"]["text"] = "Reworded by a corrected specification."
    changed = write_fixture(tmp_path / "imi.json", objects)
    use_fixtures(monkeypatch, [changed if path == imi else path for path in fixtures])
    before = AssessmentCriterion.objects.get(unit__key="A/506/2130", number="1.2")

    sqls, out = reload()

    after = AssessmentCriterion.objects.get(unit__key="A/506/2130", number="1.2")
    assert after.pk == before.pk
    assert after.text == "Reworded by a corrected specification."
    assert [sql.split()[0] for sql in writes(sqls)] == ["UPDATE"]
    assert "0 row(s) added, 1 updated" in out


def test_a_field_left_out_of_the_fixture_takes_the_models_default_as_loaddata_does(
    catalogue: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write_fixture(tmp_path / "extra.json", extra_unit("TEST:defaults", 1))
    use_fixtures(monkeypatch, [*catalogue_fixtures(), first])
    call_command("load_catalogue", stdout=StringIO())
    Unit.objects.filter(key="TEST:defaults").update(guidance="Typed in by hand.", credit=5)

    call_command("load_catalogue", stdout=StringIO())

    unit = Unit.objects.get(key="TEST:defaults")
    assert (unit.guidance, unit.credit) == ("", None)


def test_a_row_removed_from_the_fixtures_is_left_in_place_as_loaddata_leaves_it(
    catalogue: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = write_fixture(tmp_path / "extra.json", extra_unit("TEST:gone", 3))
    use_fixtures(monkeypatch, [*catalogue_fixtures(), extra])
    call_command("load_catalogue", stdout=StringIO())
    use_fixtures(monkeypatch, catalogue_fixtures())

    sqls, out = reload()

    assert writes(sqls) == []
    assert "nothing changed" in out
    assert LearningOutcome.objects.filter(unit__key="TEST:gone").count() == 1
    assert AssessmentCriterion.objects.filter(unit__key="TEST:gone").count() == 3


def test_a_statements_units_are_set_to_the_fixtures_list(
    catalogue: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixtures = catalogue_fixtures()
    pearson = next(path for path in fixtures if path.name == "pearson.json")
    objects = json.loads(pearson.read_text(encoding="utf-8"))
    statement = next(
        o for o in objects if o["model"] == "qualifications.statement" and o["fields"]["units"]
    )
    [standard] = statement["fields"]["standard"]
    named = {"standard__code": standard, "code": statement["fields"]["code"]}
    before = set(Statement.objects.get(**named).units.values_list("key", flat=True))
    assert before == {key for [key] in statement["fields"]["units"]}
    kept = statement["fields"]["units"][0]
    statement["fields"]["units"] = [kept, ["K/601/1622"]]
    changed = write_fixture(tmp_path / "pearson.json", objects)
    use_fixtures(monkeypatch, [changed if path == pearson else path for path in fixtures])

    call_command("load_catalogue", stdout=StringIO())

    after = set(Statement.objects.get(**named).units.values_list("key", flat=True))
    assert after == {kept[0], "K/601/1622"}


def test_a_fixture_naming_a_missing_row_loads_nothing_and_says_which(
    catalogue: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = extra_unit("TEST:orphan", 1)
    objects[-1]["fields"]["outcome"] = ["TEST:orphan", "9"]
    broken = write_fixture(tmp_path / "orphan.json", objects)
    use_fixtures(monkeypatch, [*catalogue_fixtures(), broken])

    with pytest.raises(Exception, match=r"Could not load orphan\.json.*Nothing was loaded"):
        call_command("load_catalogue", stdout=StringIO())

    assert not Unit.objects.filter(key="TEST:orphan").exists()
