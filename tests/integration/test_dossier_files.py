"""Dossier files through the CLI: exact round trips, and bad files refused whole."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from tests.integration.cli_runs import row_counts, run

REFERENCE_FILES = {"7097": "7097-ivig-vte.yaml", "iloprost-hartfalen": "iloprost-hartfalen.yaml"}


def _reference_text(name: str) -> str:
    return resources.files("evidence").joinpath("reference_dossiers", name).read_text("utf-8")


@pytest.mark.parametrize(("reference", "name"), REFERENCE_FILES.items())
def test_reference_dossier_round_trips_exactly(
    database_url: str, tmp_path: Path, reference: str, name: str
) -> None:
    source = tmp_path / name
    source.write_text(_reference_text(name), encoding="utf-8")
    imported = run(database_url, "dossier", "import", str(source))
    assert imported.exit_code == 0, imported.output

    exported = run(database_url, "dossier", "export", reference, "--format", "yaml")
    assert exported.exit_code == 0, exported.output
    assert exported.output == source.read_text(encoding="utf-8")


def test_json_export_imports_back_to_the_same_dossier(
    database_url: str, tmp_path: Path, fresh_database_url: str
) -> None:
    run(database_url, "demo")
    json_file = tmp_path / "7097.json"
    result = run(
        database_url, "dossier", "export", "7097", "--format", "json", "-o", str(json_file)
    )
    assert result.exit_code == 0, result.output

    assert run(fresh_database_url, "dossier", "import", str(json_file)).exit_code == 0
    again = run(fresh_database_url, "dossier", "export", "7097")
    assert again.output == _reference_text(REFERENCE_FILES["7097"])


@pytest.fixture
def fresh_database_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A second, empty SQLite database (to import what the first one exported)."""
    path = tmp_path / "second.db"
    path.write_bytes(_sqlite_template.read_bytes())
    return f"sqlite:///{path}"


BAD_FILES = [
    pytest.param(
        ("evidence_score: 2\n", "evidence_score: two\n"),
        "appraisals[0].evidence_score: 'two' is not of type 'integer', 'null' (line 209)",
        id="wrong-type",
    ),
    pytest.param(
        ("  outcome: Veneuze trombo-embolie\nsearch_strategies:", "search_strategies:"),
        "pico: 'outcome' is a required property (line 46)",
        id="missing-required-field",
    ),
    pytest.param(
        ("  mesh_terms_only: true\n", "  mesh_terms_only: true\n  mesh_terms: always\n"),
        "search_strategies[0]: unknown key: 'mesh_terms' was unexpected (line 51)",
        id="unknown-key",
    ),
    pytest.param(
        ("decided_on: '2019-11-14'", "decided_on: '2019-11-31'"),
        "decisions[0].decided_on: '2019-11-31' is not a valid date (line 473)",
        id="invalid-date",
    ),
    pytest.param(
        ("- citation: vucic-2004\n", "- citation: vucic-2005\n"),
        "appraisals[1].citation: unknown citation key 'vucic-2005' (not in citations) (line 245)",
        id="unknown-citation",
    ),
    pytest.param(
        ("evidence_score: 1\n", "evidence_score: 5\n"),
        "appraisals[2].evidence_score: 5 is greater than the maximum of 4 (line 273)",
        id="score-of-five",
    ),
    pytest.param(
        ("- section: '4.8'\n", "- section: '4.7'\n"),
        "spc_statements[2].section: '4.7' is not one of ['4.3', '4.4', '4.5', '4.6', '4.8'] "
        "(line 407)",
        id="unknown-spc-section",
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD_FILES)
def test_bad_file_is_refused_whole(
    database_url: str, tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    run(database_url, "demo")
    text = _reference_text(REFERENCE_FILES["7097"]).replace(
        "reference: '7097'", "reference: '7098'"
    )
    assert change[0] in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    before = row_counts(database_url)

    result = run(database_url, "dossier", "import", str(bad))

    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"Error: {bad}: {message}"
    assert row_counts(database_url) == before


def test_failure_inside_the_import_leaves_nothing_behind(database_url: str, tmp_path: Path) -> None:
    """Valid by the schema, refused by the database half-way: the transaction rolls back."""
    run(database_url, "demo")
    text = _reference_text(REFERENCE_FILES["7097"]).replace(
        "reference: '7097'", "reference: '7098'"
    )
    text = text.replace(
        "condition:\n  name: Veneuze trombo-embolie", "condition:\n  name: Longembolie"
    )
    text = text.replace("- citation: vucic-2004\n", "- citation: paran-2005\n")
    twice = tmp_path / "twice.yaml"
    twice.write_text(text, encoding="utf-8")
    before = row_counts(database_url)

    result = run(database_url, "dossier", "import", str(twice))

    assert result.exit_code == 1
    assert result.output == (
        "Error: refused by the database: this citation is already appraised in this dossier "
        "(uq_appraisal_dossier_id_citation_id)\n"
    )
    assert row_counts(database_url) == before


def test_importing_an_existing_dossier_is_refused(database_url: str, tmp_path: Path) -> None:
    run(database_url, "demo")
    again = tmp_path / "7097.yaml"
    again.write_text(_reference_text(REFERENCE_FILES["7097"]), encoding="utf-8")
    before = row_counts(database_url)
    result = run(database_url, "dossier", "import", str(again))
    assert result.exit_code == 1
    assert result.output == "Error: dossier 7097 already exists\n"
    assert row_counts(database_url) == before


def test_missing_file_is_a_clear_error(database_url: str, tmp_path: Path) -> None:
    result = run(database_url, "dossier", "import", str(tmp_path / "nowhere.yaml"))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / 'nowhere.yaml'}: cannot read the file:")


def test_every_problem_is_listed_below_the_error_line(database_url: str, tmp_path: Path) -> None:
    text = _reference_text(REFERENCE_FILES["7097"])
    text = text.replace("evidence_score: 1\n", "evidence_score: 5\n")
    text = text.replace("decided_on: '2019-11-14'", "decided_on: '2019-11-31'")
    bad = tmp_path / "two-problems.yaml"
    bad.write_text(text, encoding="utf-8")
    result = run(database_url, "dossier", "import", str(bad))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: {bad}: appraisals[2].evidence_score: 5 is greater than the maximum of 4 "
        "(line 273) (+1 more problem)",
        "  decisions[0].decided_on: '2019-11-31' is not a valid date (line 473)",
    ]
