"""Citation export writers: golden outputs, the CSV formula guard, the RIS round trip."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TextIO

import pytest

from evidence.citation_files import (
    CITATION_KEYS,
    csv_cell,
    ris_author,
    write_csv,
    write_jsonl,
    write_ris,
)
from evidence.pubmed.medline import iter_medline
from evidence.pubmed.records import ArticleRecord
from evidence.pubmed.ris import iter_ris

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"

STROKE: dict[str, object] = {
    "pmid": "30776994",
    "doi": "10.1161/STROKEAHA.118.021126",
    "pmcid": None,
    "title": "Impact of Balloon Guide Catheter Use.",
    "abstract": "BACKGROUND: Ça va.\n\nRESULTS: n ≥ 2.",
    "journal": "Stroke",
    "journal_abbrev": "Stroke",
    "year": 2019,
    "volume": "50",
    "issue": "3",
    "pages": "697-704",
    "language": "eng",
    "authors": ["Zaidat OO", "Öztürk Ö", "STRATIS Investigators"],
    "mesh_terms": ["Stroke", "Thrombectomy"],
    "publication_types": ["Journal Article", "Multicenter Study"],
}
NO_PMID: dict[str, object] = {
    "pmid": None,
    "doi": None,
    "pmcid": "PMC123",
    "title": '=HYPERLINK("http://evil.example","x")',
    "abstract": None,
    "journal": "J Test",
    "journal_abbrev": None,
    "year": None,
    "volume": None,
    "issue": None,
    "pages": "e16881",
    "language": None,
    "authors": [],
    "mesh_terms": [],
    "publication_types": [],
    "extra": "not exported",
}

# RIS has no place for these two.
RIS_KEYS = tuple(key for key in CITATION_KEYS if key not in ("pmcid", "publication_types"))


Writer = Callable[[Iterable[Mapping[str, object]], TextIO], int]


def _written(writer: Writer, rows: Iterable[Mapping[str, object]]) -> str:
    out = io.StringIO(newline="")
    writer(rows, out)
    return out.getvalue()


# ---------------------------------------------------------------- JSON Lines


def test_jsonl_golden() -> None:
    assert _written(write_jsonl, [STROKE, NO_PMID]) == (
        '{"pmid": "30776994", "doi": "10.1161/STROKEAHA.118.021126", "pmcid": null, '
        '"title": "Impact of Balloon Guide Catheter Use.", '
        '"abstract": "BACKGROUND: Ça va.\\n\\nRESULTS: n ≥ 2.", "journal": "Stroke", '
        '"journal_abbrev": "Stroke", "year": 2019, "volume": "50", "issue": "3", '
        '"pages": "697-704", "language": "eng", '
        '"authors": ["Zaidat OO", "Öztürk Ö", "STRATIS Investigators"], '
        '"mesh_terms": ["Stroke", "Thrombectomy"], '
        '"publication_types": ["Journal Article", "Multicenter Study"]}\n'
        '{"pmid": null, "doi": null, "pmcid": "PMC123", '
        '"title": "=HYPERLINK(\\"http://evil.example\\",\\"x\\")", "abstract": null, '
        '"journal": "J Test", "journal_abbrev": null, "year": null, "volume": null, '
        '"issue": null, "pages": "e16881", "language": null, "authors": [], '
        '"mesh_terms": [], "publication_types": []}\n'
    )


def test_jsonl_has_exactly_the_contract_keys_in_order() -> None:
    lines = _written(write_jsonl, [NO_PMID]).splitlines()

    assert list(json.loads(lines[0])) == list(CITATION_KEYS)


def test_a_row_missing_a_contract_key_is_refused() -> None:
    row = {key: value for key, value in STROKE.items() if key != "language"}

    with pytest.raises(KeyError, match="language"):
        _written(write_jsonl, [row])


def test_writers_return_the_row_count() -> None:
    rows: list[dict[str, object]] = [STROKE, NO_PMID, STROKE]
    for writer in (write_jsonl, write_csv, write_ris):
        assert writer(rows, io.StringIO()) == 3


# ---------------------------------------------------------------- CSV


def test_csv_golden() -> None:
    assert _written(write_csv, [STROKE, NO_PMID]) == (
        "\ufeffpmid,doi,pmcid,title,abstract,journal,journal_abbrev,year,volume,issue,"
        "pages,language,authors,mesh_terms,publication_types\r\n"
        "30776994,10.1161/STROKEAHA.118.021126,,Impact of Balloon Guide Catheter Use.,"
        '"BACKGROUND: Ça va.\n\nRESULTS: n ≥ 2.",Stroke,Stroke,2019,50,3,697-704,eng,'
        "Zaidat OO; Öztürk Ö; STRATIS Investigators,Stroke; Thrombectomy,"
        "Journal Article; Multicenter Study\r\n"
        ',,PMC123,"\'=HYPERLINK(""http://evil.example"",""x"")",,J Test,,,,,e16881,,,,\r\n'
    )


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        (["=cmd|' /C calc'!A0", "Doe J"], "'=cmd|' /C calc'!A0; Doe J"),
        # Harmless: the character is not first, or the cell is not text.
        ("a=b", "a=b"),
        ("Zaidat OO", "Zaidat OO"),
        (["Doe J", "=x"], "Doe J; =x"),
        ("", ""),
        (None, ""),
        ([], ""),
        (2019, "2019"),
    ],
)
def test_csv_formula_guard(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


def test_csv_file_opens_as_utf8_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "citations.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        write_csv([STROKE], out)

    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfpmid,doi,")
    assert data.count(b"\r\n") == 2 and data.count(b"\n") == 4  # two in the quoted abstract
    with path.open(encoding="utf-8-sig", newline="") as back:
        header, row = list(csv.reader(back))
    assert header == list(CITATION_KEYS)
    assert row[CITATION_KEYS.index("abstract")] == STROKE["abstract"]
    assert row[CITATION_KEYS.index("authors")] == "Zaidat OO; Öztürk Ö; STRATIS Investigators"


# ---------------------------------------------------------------- RIS


def test_ris_golden() -> None:
    assert _written(write_ris, [STROKE, NO_PMID]) == (
        "TY  - JOUR\r\n"
        "TI  - Impact of Balloon Guide Catheter Use.\r\n"
        "AU  - Zaidat, OO\r\n"
        "AU  - Öztürk, Ö\r\n"
        "AU  - STRATIS Investigators\r\n"
        "AB  - BACKGROUND: Ça va.\r\n"
        "\r\n"
        "RESULTS: n ≥ 2.\r\n"
        "T2  - Stroke\r\n"
        "J2  - Stroke\r\n"
        "PY  - 2019\r\n"
        "VL  - 50\r\n"
        "IS  - 3\r\n"
        "SP  - 697\r\n"
        "EP  - 704\r\n"
        "LA  - eng\r\n"
        "DO  - 10.1161/STROKEAHA.118.021126\r\n"
        "AN  - 30776994\r\n"
        "KW  - Stroke\r\n"
        "KW  - Thrombectomy\r\n"
        "ER  - \r\n"
        "\r\n"
        "TY  - JOUR\r\n"
        """TI  - =HYPERLINK("http://evil.example","x")\r\n"""
        "T2  - J Test\r\n"
        "SP  - e16881\r\n"
        "ER  - \r\n"
        "\r\n"
    )


@pytest.mark.parametrize(
    ("author", "written"),
    [
        ("Zaidat OO", "Zaidat, OO"),
        ("Ali Aziz-Sultan M", "Ali Aziz-Sultan, M"),
        ("Öztürk Ö", "Öztürk, Ö"),
        ("STRATIS Investigators", "STRATIS Investigators"),
        ("WHO", "WHO"),
        ("Hellinger FR Jr", "Hellinger FR Jr"),
    ],
)
def test_ris_author(author: str, written: str) -> None:
    assert ris_author(author) == written


def _row(record: ArticleRecord, mesh_terms: Iterable[str]) -> dict[str, object]:
    """What the export service makes of a record: the JSONL contract's plain dict."""
    return {
        "pmid": record.pmid or None,
        "doi": record.doi,
        "pmcid": record.pmcid,
        "title": record.title,
        "abstract": record.abstract,
        "journal": record.journal,
        "journal_abbrev": record.journal_abbrev,
        "year": record.year,
        "volume": record.volume,
        "issue": record.issue,
        "pages": record.pages,
        "language": record.language,
        "authors": [
            author.collective_name or " ".join(filter(None, (author.last_name, author.initials)))
            for author in record.authors
        ],
        "mesh_terms": list(mesh_terms),
        "publication_types": [pt.name for pt in record.publication_types],
    }


def _ris_round_trip(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    out = io.StringIO(newline="")
    write_ris(rows, out)
    records = iter_ris(out.getvalue().encode("utf-8"), name="round-trip.ris")
    return [_row(record, record.keywords) for record in records]


def _ris_values(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{key: row[key] for key in RIS_KEYS} for row in rows]


def test_ris_round_trip_of_written_rows() -> None:
    empty_title: dict[str, object] = {
        **NO_PMID,
        "title": None,
        "pages": "616-7",
        "authors": ["Doe"],
    }
    rows = [STROKE, NO_PMID, empty_title]

    assert _ris_values(_ris_round_trip(rows)) == _ris_values(rows)


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"no fixtures at {FIXTURES}")
def test_ris_round_trip_of_every_medline_fixture_record() -> None:
    rows = [
        _row(record, [heading.descriptor for heading in record.mesh_headings])
        for path in sorted((FIXTURES / "medline").rglob("*"))
        if path.is_file()
        for record in iter_medline(path)
    ]

    assert len(rows) == 96
    assert _ris_values(_ris_round_trip(rows)) == _ris_values(rows)


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"no fixtures at {FIXTURES}")
def test_ris_round_trip_of_every_ris_fixture_record() -> None:
    rows = [
        _row(record, record.keywords)
        for path in sorted((FIXTURES / "ris").rglob("*"))
        if path.is_file()
        for record in iter_ris(path)
    ]

    assert len(rows) == 12
    assert _ris_values(_ris_round_trip(rows)) == _ris_values(rows)
