"""Write the decision register: CSV and XLSX for spreadsheets, JSON for programs.

Pure functions over ``RegisterEntry`` rows (``evidence.services.decisions``): no
database here. Every format has the same columns (:data:`REGISTER_COLUMNS`), and
each row states the day the register speaks for.

CSV: UTF-8 with BOM (without it Excel reads the local code page), CRLF line ends,
yes/no for the booleans, an empty cell for none, formula-like text defused; open
the file with ``newline=""``. XLSX: real dates, text never taken as a formula.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO, Final, TextIO

import pandas as pd

from evidence.citation_files import csv_cell
from evidence.services.register import RegisterEntry

REGISTER_COLUMNS: Final = (
    "as_of",
    "reference",
    "title",
    "substance",
    "condition",
    "decision_id",
    "decided_on",
    "contraindication",
    "action_needed",
    "warns",
    "severity",
    "rationale",
    "decided_by",
    "signed_by",
    "signed_at",
    "signature_meaning",
    "supersedes_id",
)
XLSX_SHEET: Final = "register"
_UTF8_BOM: Final = "\ufeff"
_CRLF: Final = "\r\n"

Cell = str | int | bool | date | datetime | None


def register_row(entry: RegisterEntry, as_of: date) -> dict[str, Cell]:
    """One row, keyed by :data:`REGISTER_COLUMNS`, with Python values."""
    return {
        "as_of": as_of,
        "reference": entry.reference,
        "title": entry.title,
        "substance": entry.substance,
        "condition": entry.condition,
        "decision_id": entry.decision_id,
        "decided_on": entry.decided_on,
        "contraindication": entry.contraindication,
        "action_needed": entry.action_needed,
        "warns": entry.warns,
        "severity": entry.severity,
        "rationale": entry.rationale,
        "decided_by": entry.decided_by,
        "signed_by": entry.signer,
        "signed_at": entry.signed_at,
        "signature_meaning": entry.signature_meaning,
        "supersedes_id": entry.supersedes_id,
    }


def _text(value: Cell) -> Cell:
    """Booleans as yes/no and dates as ISO text, for CSV and JSON readers alike."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return value


def write_register_csv(entries: Sequence[RegisterEntry], out: TextIO, *, as_of: date) -> int:
    """Header, then one line per dossier; returns the number of dossiers written."""
    out.write(_UTF8_BOM)
    writer = csv.writer(out, dialect="excel", lineterminator=_CRLF)
    writer.writerow(REGISTER_COLUMNS)
    for entry in entries:
        row = register_row(entry, as_of)
        writer.writerow([csv_cell(_text(row[column])) for column in REGISTER_COLUMNS])
    return len(entries)


def _json_value(value: Cell) -> Cell:
    return value.isoformat() if isinstance(value, date) else value


def write_register_json(entries: Sequence[RegisterEntry], out: TextIO, *, as_of: date) -> int:
    """``{"as_of": …, "dossiers": [row, …]}``: booleans true/false, none as null."""
    rows = []
    for entry in entries:
        row = register_row(entry, as_of)
        rows.append({column: _json_value(row[column]) for column in REGISTER_COLUMNS})
    document = {"as_of": as_of.isoformat(), "dossiers": rows}
    out.write(json.dumps(document, ensure_ascii=False, indent=2))
    out.write("\n")
    return len(entries)


def _xlsx_value(value: Cell) -> Cell:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        # Excel has no time zones: the signing time is written in UTC (see the header).
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def write_register_xlsx(
    entries: Sequence[RegisterEntry], out: Path | BinaryIO, *, as_of: date
) -> int:
    """One sheet, header frozen, dates as dates; the signing time in UTC."""
    header = ["signed_at_utc" if c == "signed_at" else c for c in REGISTER_COLUMNS]
    records = [
        [_xlsx_value(register_row(entry, as_of)[column]) for column in REGISTER_COLUMNS]
        for entry in entries
    ]
    frame = pd.DataFrame(records, columns=header, dtype=object)
    with pd.ExcelWriter(
        out, engine="openpyxl", date_format="YYYY-MM-DD", datetime_format="YYYY-MM-DD HH:MM:SS"
    ) as writer:
        frame.to_excel(writer, sheet_name=XLSX_SHEET, index=False)
        sheet = writer.sheets[XLSX_SHEET]
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                # openpyxl takes any text starting with "=" for a formula; ours is text.
                if cell.data_type == "f":
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
    return len(entries)
