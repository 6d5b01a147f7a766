"""Write the audit trail for auditors: JSON lines, or CSV that opens in Excel. Pure."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from typing import TextIO

from evidence.citation_files import csv_cell


def _cell(value: object) -> str:
    if isinstance(value, dict | list):
        return csv_cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return csv_cell(value)


def write_audit(rows: Iterable[Mapping[str, object]], out: TextIO, fmt: str) -> int:
    """Every row as one JSON line, or as a CSV row (before/after as JSON text)."""
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            count += 1
        return count
    out.write("\ufeff")  # the BOM tells Excel the file is UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        if count == 0:
            writer.writerow(list(row))
        writer.writerow([_cell(value) for value in row.values()])
        count += 1
    return count
