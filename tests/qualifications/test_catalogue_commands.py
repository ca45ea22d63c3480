"""The catalogue's commands: import, load, validate, report."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from spellchecker import SpellChecker

from qualifications.catalogue import DOCUMENTS, SOURCES_DIR, fixture_path
from qualifications.importers.base import read_document
from qualifications.importers.fixture import dumps, specification_to_fixture
from qualifications.importers.registry import parser_for
from qualifications.models import AssessmentCriterion, Qualification, Unit
from qualifications.spelling import ALLOWED, Text, unknown_words
from qualifications.validation import (
    qualification_check_character,
    unit_reference_check_letter,
    validate_catalogue,
)

# The reference counts, from ../shared/notes: (units, learning outcomes, assessment criteria).
EXPECTED_COUNTS = {
    "601/1109/4": (59, 205, 1232),  # SFJ L3 NVQ Diploma
    "601/3456/2": (39, 109, 535),  # IMI L2 Diploma
    "600/1686/3": (17, 54, 152),  # Ascentis L1 Award: R/601/6071 + the 16 Group B units
    "600/1684/X": (18, 58, 162),  # Ascentis L1 Certificate
    "603/5449/5": (4, 19, 88),  # Pearson BTEC L3 Certificate: Units 1-4
    "603/5450/1": (8, 33, 149),  # Pearson BTEC L3 Diploma: Units 1-8
    "601/3973/0": (14, 39, 198),  # NCFE L2 Diploma: the 14 units the mapping names
}


@pytest.mark.parametrize(("fmt", "source"), DOCUMENTS)
def test_reimporting_each_source_reproduces_the_committed_fixture(fmt: str, source: str) -> None:
    specification = parser_for(fmt)(read_document(SOURCES_DIR / source, fmt))

    assert dumps(specification_to_fixture(specification)) == fixture_path(fmt).read_text(
        encoding="utf-8"
    )


def test_the_import_command_writes_the_fixture(tmp_path: Path) -> None:
    output = tmp_path / "ascentis.json"
    out = StringIO()

    call_command(
        "import_specification",
        str(SOURCES_DIR / "ascentis-600-1686-3-600-1684-x.txt"),
        "--format",
        "ascentis",
        "--output",
        str(output),
        stdout=out,
    )

    assert output.read_text(encoding="utf-8") == fixture_path("ascentis").read_text("utf-8")
    assert "2 qualification(s), 20 unit(s), 181 criteria" in out.getvalue()


@pytest.mark.parametrize(("fmt", "source"), DOCUMENTS)
def test_a_document_of_another_kind_fails_naming_a_line_and_writes_nothing(
    fmt: str, source: str, tmp_path: Path
) -> None:
    others = [s for f, s in DOCUMENTS if s != source]
    output = tmp_path / "out.json"

    with pytest.raises(CommandError, match=r"line \d+") as error:
        call_command(
            "import_specification",
            str(SOURCES_DIR / others[0]),
            "--format",
            fmt,
            "--output",
            str(output),
        )

    assert "nothing written" in str(error.value)
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_truncated_document_fails_naming_a_line(tmp_path: Path) -> None:
    original = (SOURCES_DIR / "imi-601-3456-2.txt").read_text(encoding="utf-8").split("\n")
    truncated = tmp_path / "imi-truncated.txt"
    # Cut in the middle of a unit's criteria table.
    truncated.write_text("\n".join(original[:160]), encoding="utf-8")

    with pytest.raises(CommandError, match=r"line \d+"):
        call_command(
            "import_specification",
            str(truncated),
            "--format",
            "imi",
            "--output",
            str(tmp_path / "out.json"),
        )
    assert not (tmp_path / "out.json").exists()


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_specification", str(tmp_path / "nope.txt"), "--format", "sfj")


def test_the_summary_matches_the_notes_counts(catalogue: None) -> None:
    out = StringIO()
    call_command("catalogue_report", "--summary", stdout=out)

    lines = {line.split()[0]: line for line in out.getvalue().splitlines()}
    assert set(lines) == set(EXPECTED_COUNTS)
    for number, (units, outcomes, criteria) in EXPECTED_COUNTS.items():
        line = lines[number]
        assert f"units {units:>3}" in line, line
        assert f"outcomes {outcomes:>4}" in line, line
        assert f"criteria {criteria:>5}" in line, line


def test_the_json_report_holds_every_criterion(catalogue: None) -> None:
    out = StringIO()
    call_command("catalogue_report", "--json", stdout=out)

    report = {q["number"]: q for q in json.loads(out.getvalue())}
    imi = report["601/3456/2"]
    assert imi["awarding_body"] == "Institute of the Motor Industry"
    cs7 = imi["units"][0]
    assert {k: cs7[k] for k in ("reference", "code", "level", "credit", "glh", "group")} == {
        "reference": "A/506/2130",
        "code": "CS 7",
        "level": "2",
        "credit": 5,
        "glh": 27,
        "group": "A",
    }
    assert [len(o["criteria"]) for o in cs7["outcomes"]] == [6, 4, 2, 6, 2]
    for number, (units, outcomes, criteria) in EXPECTED_COUNTS.items():
        qualification = report[number]
        assert len(qualification["units"]) == units
        assert sum(len(u["outcomes"]) for u in qualification["units"]) == outcomes
        assert (
            sum(len(o["criteria"]) for u in qualification["units"] for o in u["outcomes"])
            == criteria
        )


def test_the_catalogue_is_valid(catalogue: None) -> None:
    assert validate_catalogue() == []
    out = StringIO()
    call_command("validate_catalogue", stdout=out)
    assert "The catalogue is valid." in out.getvalue()


def test_validation_lists_what_is_wrong_and_fails(catalogue: None) -> None:
    unit = Unit.objects.get(key="A/506/2130")
    AssessmentCriterion.objects.filter(unit=unit, number="1.2").update(number="1.9")
    Unit.objects.filter(key="F/506/2131").update(reference="A/506/2131")
    Qualification.objects.filter(number="601/3456/2").update(min_credits=200)
    err = StringIO()

    with pytest.raises(CommandError, match="catalogue check"):
        call_command("validate_catalogue", stderr=err)

    listed = err.getvalue()
    assert "Unit A/506/2130 outcome 1: criteria numbered" in listed
    assert "check letter A should be F" in listed
    assert "601/3456/2: no combination of units satisfies the rules" in listed


def test_the_loaded_catalogue_reads_the_corrected_k_601_1605_1_7(catalogue: None) -> None:
    criterion = AssessmentCriterion.objects.get(unit__key="K/601/1605", number="1.7")
    assert criterion.text == "Compare customer service performance with quality monitoring results."


def test_validation_flags_a_word_in_no_dictionary(catalogue: None) -> None:
    # As SFJ's handbook was converted (sfj-601-1109-4.txt line 1110): "1.7. Compare customer
    # service performance rouslity monitoring results."
    AssessmentCriterion.objects.filter(unit__key="K/601/1605", number="1.7").update(
        text="Compare customer service performance rouslity monitoring results."
    )
    Unit.objects.filter(key="A/506/2130").update(title="Deliver custmer service")
    err = StringIO()

    with pytest.raises(CommandError, match="catalogue check"):
        call_command("validate_catalogue", stderr=err)

    listed = err.getvalue()
    assert "Unit K/601/1605 criterion 1.7: 'rouslity' is in no dictionary" in listed
    assert "Unit A/506/2130 title: 'custmer' is in no dictionary" in listed
    assert listed.count("in no dictionary") == 2


def test_british_spellings_acronyms_and_reviewed_words_are_not_flagged() -> None:
    texts = [
        Text("a", "Analyse the organisation's programme of behaviours at the centre"),
        Text("b", "Set SMART targets, minimise offence and keep records upto-date"),
    ]
    assert unknown_words(texts) == {}
    assert unknown_words([Text("c", "Compare performance rouslity and organisatoin")]) == {
        "rouslity": ["c"],
        "organisatoin": ["c"],
    }


def test_every_reviewed_word_is_outside_the_dictionary_and_has_its_reason() -> None:
    # An entry the dictionary already knows is dead weight in a reviewed list.
    for word, reason in ALLOWED.items():
        assert reason
        assert word not in SpellChecker(language="en"), word


def test_check_letters_follow_the_published_references() -> None:
    assert unit_reference_check_letter("A/506/2130") == "A"
    assert unit_reference_check_letter("M/601/6076") == "M"
    assert unit_reference_check_letter("T/601/6076") == "M"  # the barred table's misprint
    assert qualification_check_character("600/1684/X") == "X"
    assert qualification_check_character("601/1109/4") == "4"


def test_loading_twice_changes_nothing(catalogue: None) -> None:
    before = {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Qualification, Unit, AssessmentCriterion)
    }

    call_command("load_catalogue", stdout=StringIO())

    after = {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Qualification, Unit, AssessmentCriterion)
    }
    assert after == before


def test_a_malformed_fixture_loads_nothing_and_says_which(
    catalogue: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    changes = tmp_path / "a-changes.json"
    changes.write_text(
        json.dumps(
            [
                {
                    "model": "qualifications.awardingbody",
                    "fields": {"code": "SFJ", "name": "Renamed by a half-loaded fixture"},
                }
            ]
        ),
        encoding="utf-8",
    )
    broken = tmp_path / "b-broken.json"
    broken.write_text('[{"model": "qualifications.unit", "fields": {"key": ', encoding="utf-8")
    monkeypatch.setattr(
        "qualifications.management.commands.load_catalogue.catalogue_fixtures",
        lambda: [changes, broken],
    )

    with pytest.raises(CommandError, match=r"Could not load b-broken\.json.*Nothing was loaded"):
        call_command("load_catalogue")

    assert Qualification.objects.get(number="601/1109/4").awarding_body.name == "SFJ Awards"


def test_real_work_only_units_are_sfj_level_3_and_4_and_pearson_unit_8(catalogue: None) -> None:
    flagged = set(Unit.objects.filter(real_work_only=True).values_list("key", flat=True))
    sfj_high = set(
        Unit.objects.filter(
            memberships__qualification__number="601/1109/4", level__in=["3", "4"]
        ).values_list("key", flat=True)
    )

    assert len(sfj_high) == 33
    assert flagged == sfj_high | {"PEARSON:Unit 8"}
