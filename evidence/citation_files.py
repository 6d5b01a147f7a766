"""Write citation exports: JSON Lines, CSV for spreadsheets, and RIS for reference managers.

Pure functions: each takes an iterable of plain dicts with the keys of the JSONL
export contract (see :data:`CITATION_KEYS` and DESIGN.md, "Contracts other tools
rely on") and writes to an open text stream. Every row must hold every key; keys
beyond those are ignored. Each writer returns the number of rows it wrote.

The CSV and RIS writers put their own line ends (CRLF) into the text, so open a
file for them with ``newline=""`` (on Windows the default translation would make
that CR CR LF). The CSV writer also writes the UTF-8 BOM itself, so the stream
must be plain UTF-8 (not ``utf-8-sig``, which would add a second one).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Final, TextIO

CITATION_KEYS: Final = (
    "pmid",
    "doi",
    "pmcid",
    "title",
    "abstract",
    "journal",
    "journal_abbrev",
    "year",
    "volume",
    "issue",
    "pages",
    "language",
    "authors",
    "mesh_terms",
    "publication_types",
)
CSV_LIST_SEPARATOR: Final = "; "

# A spreadsheet runs a cell that starts with one of these as a formula ("=HYPERLINK(…)",
# "+cmd|…", "-2+3", "@SUM(…)"); tab and carriage return are in the OWASP list too.
# Titles and author names come from outside (PubMed, publishers), so such a cell is
# written with a leading apostrophe: Excel shows it as text, the apostrophe hidden.
# The cost: a real value starting with "-" or "+" gains a visible "'" in other tools.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_UTF8_BOM: Final = "\ufeff"
_CRLF: Final = "\r\n"

# "697-704" → SP 697, EP 704; anything else ("e123", "S1-S4, S7") goes whole into SP.
_PAGE_RANGE = re.compile(r"(?P<start>[^\s,-]+)-(?P<end>[^\s,-]+)")
# Only what a reader splits lines at (str.splitlines also splits at U+2028 and such).
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


Row = Mapping[str, object]


# ---------------------------------------------------------------- JSON Lines


def write_jsonl(rows: Iterable[Row], out: TextIO) -> int:
    """One JSON object per line: exactly :data:`CITATION_KEYS`, in that order, non-ASCII kept."""
    count = 0
    for row in rows:
        out.write(json.dumps(_contract(row), ensure_ascii=False))
        out.write("\n")
        count += 1
    return count


def _contract(row: Row) -> dict[str, object]:
    # row[key], not row.get(key): a missing key is a bug in the caller, not a null.
    return {key: row[key] for key in CITATION_KEYS}


# ---------------------------------------------------------------- CSV


def write_csv(rows: Iterable[Row], out: TextIO) -> int:
    """A header of :data:`CITATION_KEYS`, then one line per citation, ready for Excel.

    UTF-8 with BOM (without it Excel reads the file as the local code page) and
    CRLF line ends; lists joined by "; "; null as an empty cell; text cells that a
    spreadsheet would run as a formula are defused (see ``_FORMULA_STARTS``).
    """
    out.write(_UTF8_BOM)
    writer = csv.writer(out, dialect="excel", lineterminator=_CRLF)
    writer.writerow(CITATION_KEYS)
    count = 0
    for row in rows:
        writer.writerow([csv_cell(value) for value in _contract(row).values()])
        count += 1
    return count


def csv_cell(value: object) -> str:
    """One cell's text: lists joined, null empty, formula-like text prefixed with "'"."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)  # the year: Excel takes "-5" as a number, never as a formula
    if isinstance(value, list | tuple):
        text = CSV_LIST_SEPARATOR.join(str(item) for item in value)
    else:
        text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


# ---------------------------------------------------------------- RIS


def write_ris(rows: Iterable[Row], out: TextIO) -> int:
    """One ``TY  - JOUR`` … ``ER  - `` record per citation, CRLF line ends.

    ``TI`` is always written (empty when there is no title) so that every record
    reads back; the other tags only when there is a value. ``AN`` holds the PMID
    (as EndNote's PubMed import does) and ``KW`` the MeSH terms. Authors become
    "Last, Initials"; a collective name is written as it is.
    """
    count = 0
    for row in rows:
        for line in ris_lines(row):
            out.write(line + _CRLF)
        out.write(_CRLF)
        count += 1
    return count


def ris_lines(row: Row) -> Iterator[str]:
    """The lines of one RIS record, without line ends."""
    contract = _contract(row)
    yield "TY  - JOUR"
    yield _ris_line("TI", contract["title"]) if contract["title"] else "TI  - "
    for author in _strings(contract["authors"]):
        yield _ris_line("AU", ris_author(author))
    yield from _ris_paragraphs("AB", contract["abstract"])
    yield from _ris_optional(contract, ("T2", "journal"), ("J2", "journal_abbrev"))
    yield from _ris_optional(contract, ("PY", "year"), ("VL", "volume"), ("IS", "issue"))
    yield from _ris_pages(contract["pages"])
    yield from _ris_optional(contract, ("LA", "language"), ("DO", "doi"), ("AN", "pmid"))
    for term in _strings(contract["mesh_terms"]):
        yield _ris_line("KW", term)
    yield "ER  - "


def ris_author(author: str) -> str:
    """RIS's "Last, First" for a PubMed author string: "Zaidat OO" → "Zaidat, OO".

    A PubMed author string ends in one to four capitals, its initials ("Öztürk Ö"
    too); a group name such as "STRATIS Investigators" does not and stays as written.
    """
    last, _, initials = author.strip().rpartition(" ")
    if last and initials.isalpha() and initials.isupper() and len(initials) <= 4:
        return f"{last}, {initials}"
    return author


def _ris_line(tag: str, value: object) -> str:
    # A line break inside a value would start an untagged line, which RIS readers
    # take as more of the field (or, for lists, as another item): keep it on one
    # line. Other whitespace stays as it is, double spaces included.
    return f"{tag}  - {_LINE_BREAKS.sub(' ', str(value))}"


def _ris_optional(row: Mapping[str, object], *tags: tuple[str, str]) -> Iterator[str]:
    for tag, key in tags:
        if row[key] not in (None, ""):
            yield _ris_line(tag, row[key])


def _ris_paragraphs(tag: str, value: object) -> Iterator[str]:
    """An abstract keeps its line breaks: its further lines follow untagged."""
    if value in (None, ""):
        return
    first, *more = _LINE_BREAKS.split(str(value))
    yield f"{tag}  - {first}"
    yield from more


def _ris_pages(pages: object) -> Iterator[str]:
    if pages in (None, ""):
        return
    match = _PAGE_RANGE.fullmatch(str(pages))
    if match:
        yield _ris_line("SP", match["start"])
        yield _ris_line("EP", match["end"])
    else:
        yield _ris_line("SP", pages)


def _strings(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return [str(item) for item in value if item not in (None, "")]
