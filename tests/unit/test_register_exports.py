"""The register writers: CSV for Excel, JSON for programs, XLSX; no database."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl

from evidence.exports import (
    REGISTER_COLUMNS,
    write_register_csv,
    write_register_json,
    write_register_xlsx,
)
from evidence.services.register import RegisterEntry

AS_OF = date(2021, 6, 30)
DECIDED = RegisterEntry(
    reference="7097",
    title="Veneuze trombo-embolie: immunoglobuline, normaal",
    substance="immunoglobuline, normaal",
    condition="Veneuze trombo-embolie",
    decision_id=2,
    contraindication=False,
    action_needed=True,
    severity="D",
    decided_on=date(2021, 3, 1),
    rationale='=HYPERLINK("http://x") looks like a formula; ïñ kept',
    decided_by="werkgroep praktijkdeskundigen",
    signer="Anna Chair",
    signed_at=datetime(2021, 3, 2, 9, 30, 5, tzinfo=UTC),
    signature_meaning="approved",
    supersedes_id=1,
)
UNDECIDED = RegisterEntry(
    reference="iloprost-hartfalen",
    title="Hartfalen: iloprost",
    substance="iloprost",
    condition="Hartfalen",
)


def test_csv_opens_in_excel() -> None:
    out = io.StringIO(newline="")
    assert write_register_csv([DECIDED, UNDECIDED], out, as_of=AS_OF) == 2
    text = out.getvalue()
    assert text.startswith("\ufeffas_of,reference,")
    assert text.count("\r\n") == 3 and "\n" not in text.replace("\r\n", "")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert list(rows[0]) == list(REGISTER_COLUMNS)
    decided, undecided = rows
    assert (decided["contraindication"], decided["action_needed"], decided["warns"]) == (
        "no",
        "yes",
        "yes",
    )
    assert decided["decided_on"] == "2021-03-01" and decided["as_of"] == "2021-06-30"
    assert decided["signed_at"] == "2021-03-02T09:30:05+00:00"
    assert decided["rationale"].startswith("'=HYPERLINK(")  # defused, shown as text
    assert decided["rationale"].endswith("ïñ kept")
    assert (decided["decision_id"], decided["supersedes_id"]) == ("2", "1")
    assert undecided["decision_id"] == "" and undecided["contraindication"] == ""
    assert undecided["title"] == "Hartfalen: iloprost"


def test_json_keeps_types() -> None:
    out = io.StringIO()
    write_register_json([DECIDED, UNDECIDED], out, as_of=AS_OF)
    document = json.loads(out.getvalue())
    assert document["as_of"] == "2021-06-30"
    decided, undecided = document["dossiers"]
    assert list(decided) == list(REGISTER_COLUMNS)
    assert (decided["contraindication"], decided["action_needed"], decided["warns"]) == (
        False,
        True,
        True,
    )
    assert decided["decision_id"] == 2 and decided["signed_at"] == "2021-03-02T09:30:05+00:00"
    assert decided["rationale"] == DECIDED.rationale  # JSON needs no defusing
    assert undecided["decision_id"] is None and undecided["warns"] is None
    assert "ïñ" in out.getvalue()  # not escaped


def test_xlsx_reads_back(tmp_path: Path) -> None:
    target = tmp_path / "register.xlsx"
    assert write_register_xlsx([DECIDED, UNDECIDED], target, as_of=AS_OF) == 2
    book = openpyxl.load_workbook(target)
    sheet = book["register"]
    assert sheet.freeze_panes == "A2"
    header, decided, undecided = list(sheet.iter_rows(values_only=True))
    columns = list(header)
    assert columns == ["signed_at_utc" if c == "signed_at" else c for c in REGISTER_COLUMNS]
    row = dict(zip(columns, decided, strict=True))
    assert row["decided_on"] == datetime(2021, 3, 1)  # a real date cell
    assert row["signed_at_utc"] == datetime(2021, 3, 2, 9, 30, 5)
    assert (row["contraindication"], row["action_needed"]) == ("no", "yes")
    assert row["decision_id"] == 2
    assert row["rationale"] == DECIDED.rationale  # text, not a formula
    rationale_cell = sheet.cell(row=2, column=columns.index("rationale") + 1)
    assert rationale_cell.data_type == "s"
    empty = dict(zip(columns, undecided, strict=True))
    assert empty["decision_id"] is None and empty["reference"] == "iloprost-hartfalen"


def test_xlsx_to_a_binary_stream() -> None:
    out = io.BytesIO()
    write_register_xlsx([UNDECIDED], out, as_of=AS_OF)
    assert out.getvalue()[:2] == b"PK"  # a zip container
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["register"]
    assert sheet.max_row == 2


def test_empty_register() -> None:
    out = io.StringIO(newline="")
    assert write_register_csv([], out, as_of=AS_OF) == 0
    assert out.getvalue() == "\ufeff" + ",".join(REGISTER_COLUMNS) + "\r\n"
    as_json = io.StringIO()
    write_register_json([], as_json, as_of=AS_OF)
    assert json.loads(as_json.getvalue()) == {"as_of": "2021-06-30", "dossiers": []}
