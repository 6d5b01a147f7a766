"""Reading dossier files: every problem names its field and, in YAML, its line."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from evidence.dossier_files import dump_dossier, load_dossier_file, parse_dossier_text
from evidence.errors import InvalidDossierFile

MINIMAL = """\
format: evidence-dossier/1
reference: '0042'
title: 'Hartfalen: iloprost'
status: draft
substance:
  name: iloprost
condition:
  name: Hartfalen
"""


def _problems(text: str, fmt: str = "yaml") -> list[str]:
    with pytest.raises(InvalidDossierFile) as caught:
        parse_dossier_text(text, source="dossier.yaml", fmt=fmt)
    return caught.value.problems


def test_minimal_dossier_is_accepted() -> None:
    document = parse_dossier_text(MINIMAL, source="minimal.yaml")
    assert document["reference"] == "0042"  # kept as text, leading zeros and all


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("status: draft", "status: finished"),
            "status: 'finished' is not one of ['draft', 'in_review', 'decided', "
            "'re_evaluation_due'] (line 4)",
        ),
        (
            ("reference: '0042'\n", "reference: 42\n"),
            "reference: 42 is not of type 'string' (line 2)",
        ),
        (("title: 'Hartfalen: iloprost'\n", ""), "(document): 'title' is a required property"),
        (
            ("  name: iloprost\n", "  name: iloprost\n  colour: blue\n"),
            "substance: unknown key: 'colour' was unexpected (line 6)",
        ),
    ],
)
def test_problems_name_field_and_line(change: tuple[str, str], expected: str) -> None:
    assert _problems(MINIMAL.replace(*change)) == [expected]


def test_invalid_date_is_refused() -> None:
    text = MINIMAL + (
        "decisions:\n- contraindication: true\n  action_needed: true\n"
        "  decided_on: '2019-02-30'\n  rationale: r\n  decided_by: committee\n"
    )
    assert _problems(text) == [
        "decisions[0].decided_on: '2019-02-30' is not a valid date (line 12)"
    ]


def test_wrong_type_deep_in_the_file() -> None:
    text = MINIMAL + (
        "citations:\n- key: a-2000\n  title: T.\n"
        "appraisals:\n- citation: a-2000\n  screening: included\n  evidence_score: two\n"
    )
    assert _problems(text) == [
        "appraisals[0].evidence_score: 'two' is not of type 'integer', 'null' (line 15)"
    ]


def test_score_above_four_is_refused() -> None:
    text = MINIMAL + (
        "citations:\n- key: a-2000\n  title: T.\n"
        "appraisals:\n- citation: a-2000\n  screening: included\n  evidence_score: 5\n"
    )
    assert _problems(text) == [
        "appraisals[0].evidence_score: 5 is greater than the maximum of 4 (line 15)"
    ]


def test_unknown_citation_key_is_refused() -> None:
    text = MINIMAL + "appraisals:\n- citation: nobody-1999\n  screening: other\n"
    assert _problems(text) == [
        "appraisals[0].citation: unknown citation key 'nobody-1999' (not in citations) (line 10)"
    ]


def test_spc_product_must_be_listed() -> None:
    text = MINIMAL + (
        "spc_statements:\n- section: '4.3'\n  products:\n  - product: Ilomedine\n  text: t\n"
    )
    assert _problems(text) == [
        "spc_statements[0].products[0].product: unknown product 'Ilomedine' (not in products) "
        "(line 12)"
    ]


def test_broken_yaml_names_the_line() -> None:
    assert _problems(MINIMAL + "pico: [unclosed\n") == [
        "line 10: not valid YAML: expected ',' or ']', but got '<stream end>'"
    ]


def test_broken_json_names_the_line() -> None:
    assert _problems('{\n  "format": "evidence-dossier/1",\n  oops\n}', fmt="json") == [
        "line 3: not valid JSON: Expecting property name enclosed in double quotes"
    ]


def test_json_files_are_validated_too(tmp_path: Path) -> None:
    path = tmp_path / "dossier.json"
    path.write_text(json.dumps({"format": "evidence-dossier/1", "reference": "1"}))
    with pytest.raises(InvalidDossierFile) as caught:
        load_dossier_file(path)
    assert caught.value.problems[0] == "(document): 'title' is a required property"
    assert str(caught.value).startswith(f"{path}: (document): 'title' is a required property")


@pytest.mark.parametrize("name", ["7097-ivig-vte.yaml", "iloprost-hartfalen.yaml"])
def test_reference_files_are_in_normal_form(name: str) -> None:
    """Reading a shipped file and writing it back gives the same text."""
    text = resources.files("evidence").joinpath("reference_dossiers", name).read_text()
    document = parse_dossier_text(text, source=name)
    assert dump_dossier(document, "yaml") == text
