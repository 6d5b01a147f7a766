"""The RIS parser, on the real Zotero and EndNote exports under ``shared/fixtures/ris``."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest

from evidence.errors import ParseError
from evidence.pubmed.records import ArticleRecord, Author
from evidence.pubmed.ris import initials_of, iter_ris, parse_author

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
RIS = FIXTURES / "ris"
ZOTERO = RIS / "asreview" / "pubmed_zotero.ris"
ENDNOTE = RIS / "asreview" / "pubmed_endnote.txt"

pytestmark = pytest.mark.skipif(not RIS.is_dir(), reason=f"no fixtures at {RIS}")

RIS_FILES = sorted(path for path in RIS.rglob("*") if path.is_file())
RIS_IDS = [str(path.relative_to(RIS)) for path in RIS_FILES]


def _records(source: Path | bytes, name: str | None = None) -> list[ArticleRecord]:
    return list(iter_ris(source, name=name))


def _text(text: str) -> list[ArticleRecord]:
    return _records(text.encode("utf-8"), "test.ris")


def _error(data: str | bytes, name: str = "test.ris") -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with pytest.raises(ParseError) as caught:
        list(iter_ris(raw, name=name))
    return str(caught.value)


def _without_raw(records: list[ArticleRecord]) -> list[ArticleRecord]:
    return [replace(record, raw_xml=b"") for record in records]


# ---------------------------------------------------------------- every fixture


@pytest.mark.parametrize("path", RIS_FILES, ids=RIS_IDS)
def test_every_file_gives_one_record_per_ty_line(path: Path) -> None:
    records = _records(path)
    type_lines = [
        line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("TY  -")
    ]

    assert len(records) == len(type_lines) == 6
    assert all(record.title and record.doi and record.year for record in records)
    assert all(record.raw_xml.startswith(b"TY  - JOUR\r\n") for record in records)
    assert all(record.raw_xml.rstrip().endswith(b"ER  -") for record in records)


@pytest.mark.parametrize("path", RIS_FILES, ids=RIS_IDS)
def test_raw_text_reads_back_the_same(path: Path) -> None:
    for record in _records(path):
        assert _records(record.raw_xml) == [record]


# ---------------------------------------------------------------- Zotero


def test_zotero_record_fields() -> None:
    first = _records(ZOTERO)[0]

    assert first.title is not None
    assert first.title.startswith("The importance of cognitive flexibility")
    assert first.authors == (
        Author(last_name="Rudnik", fore_name="Agata", initials="A"),
        Author(last_name="Piotrowicz", fore_name="Grazyna", initials="G"),
        Author(last_name="Basinska", fore_name="Malgorzata A.", initials="MA"),
        Author(last_name="Rashedi", fore_name="Vahid", initials="V"),
    )
    assert (first.journal, first.journal_abbrev) == (
        "Przeglad gastroenterologiczny",
        "Prz Gastroenterol",
    )
    assert first.issn == "1895-5770"  # "SN  - 1895-5770 1895-5770"
    assert (first.volume, first.issue, first.pages) == ("14", "2", "121-128")
    assert (first.year, first.pub_date_text) == (2019, "2019")
    assert first.doi == "10.5114/pg.2018.81081"
    assert first.languages == ("eng",)
    assert first.keywords[:2] == ("biological treatment", "Crohn's disease")
    assert first.pmid == ""  # Zotero wrote no PMID
    assert first.abstract is not None and first.abstract.startswith("Introduction: There are")


def test_zotero_keeps_mesh_keywords_and_double_spaces_as_written() -> None:
    records = _records(ZOTERO)

    assert "Colitis, Ulcerative/*therapy" in records[2].keywords
    assert records[2].pages == "e16881"  # SP without EP
    assert records[1].authors[2] == Author(
        last_name="Slesser", fore_name="A. A. P.", initials="AAP"
    )
    assert records[3].title is not None and "Bowel  Disease" in records[3].title


# ---------------------------------------------------------------- EndNote


def test_endnote_untagged_lines_continue_the_field_above() -> None:
    first = _records(ENDNOTE)[0]

    assert first.pmid == "21553931"  # AN
    assert first.keywords == (
        "Animals",
        "Anti-Inflammatory Agents/adverse effects/pharmacokinetics/*pharmacology",
        "Boswellia/*chemistry",
        "Clinical Trials as Topic",
        "Disease Models, Animal",
        "Drug Evaluation, Preclinical",
        "Humans",
        "Inflammation/drug therapy/physiopathology",
        "Medicine, Ayurvedic",
        "Plant Extracts/adverse effects/pharmacokinetics/*pharmacology",
    )
    assert first.pages == "349-69"  # EndNote puts the range in SP
    assert first.journal == "Clin Pharmacokinet"
    assert [a.last_name for a in first.authors] == ["Abdel-Tawab", "Werz", "Schubert-Zsilavecz"]
    # N1 ("1179-1926", full names, "Journal Article", the citation) feeds no field.
    assert first.issn == "0312-5963"


def test_endnote_pmids_come_from_an() -> None:
    assert [r.pmid for r in _records(ENDNOTE)] == [
        "21553931",
        "29459515",
        "27626602",
        "27452660",
        "24407360",
        "28482341",
    ]


# ---------------------------------------------------------------- hand-written records


def test_alternative_tags_and_identifiers_from_notes_and_links() -> None:
    text = (
        "TY  - CHAP\n"
        "T1  - A chapter\n"
        "A1  - Öztürk, Ö\n"
        "A1  - WHO Working Group\n"
        "N2  - First paragraph.\n"
        "\n"
        "Second paragraph.\n"
        "JF  - Full Journal\n"
        "JA  - Full J\n"
        "Y1  - 2001/05/03/\n"
        "N1  - PMID: 11111111\n"
        "N1  - PMCID: PMC222\n"
        "UR  - https://doi.org/10.1000/XYZ\n"
        "PB  - A Publisher\n"
        "ER  - \n"
    )
    (record,) = _text(text)

    assert (record.title, record.is_book) == ("A chapter", True)
    assert record.authors == (
        Author(last_name="Öztürk", fore_name="Ö", initials="Ö"),
        Author(collective_name="WHO Working Group"),
    )
    assert record.abstract == "First paragraph.\n\nSecond paragraph."
    assert (record.journal, record.journal_abbrev) == ("Full Journal", "Full J")
    assert (record.year, record.pub_date_text) == (2001, "2001/05/03")
    assert (record.pmid, record.pmcid, record.doi) == ("11111111", "PMC222", "10.1000/XYZ")


def test_pubmed_link_gives_the_pmid_and_doi_prefix_is_dropped() -> None:
    text = (
        "TY  - JOUR\nTI  - T\nUR  - https://pubmed.ncbi.nlm.nih.gov/30776994/\n"
        "DO  - https://doi.org/10.1161/STROKEAHA.118.021126\nDA  - 2019/10//undefined\nER  -\n"
    )
    (record,) = _text(text)

    assert (record.pmid, record.doi) == ("30776994", "10.1161/STROKEAHA.118.021126")
    assert (record.year, record.pub_date_text) == (2019, "2019/10")


@pytest.mark.parametrize(
    ("fore", "initials"),
    [
        ("Agata", "A"),
        ("Malgorzata A.", "MA"),
        ("A. A. P.", "AAP"),
        ("Jean-Pierre", "JP"),
        ("OO", "OO"),
        (None, None),
    ],
)
def test_initials(fore: str | None, initials: str | None) -> None:
    assert initials_of(fore) == initials


def test_author_suffix_is_not_a_name() -> None:
    assert parse_author("Hellinger, Frank R, Jr") == Author(
        last_name="Hellinger", fore_name="Frank R", initials="FR"
    )


# ---------------------------------------------------------------- encodings and sources


def test_bom_and_crlf_read_like_plain_utf8() -> None:
    text = ZOTERO.read_bytes().decode("utf-8").replace("\r\n", "\n")
    plain = _records(text.encode("utf-8"))
    with_bom_crlf = _records(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))

    assert _without_raw(with_bom_crlf) == _without_raw(plain) == _without_raw(_records(ZOTERO))
    assert with_bom_crlf[0].raw_xml.startswith(b"TY  - JOUR\r\nTI  - ")
    assert plain[0].raw_xml.startswith(b"TY  - JOUR\nTI  - ")


def test_text_stream_with_bom_character() -> None:
    stream = io.StringIO("\ufeffTY  - JOUR\nTI  - Ça va\nER  - \n")

    (record,) = iter_ris(stream)
    assert record.title == "Ça va"


# ---------------------------------------------------------------- errors


def test_unknown_tag_names_file_record_line_and_tag() -> None:
    text = "TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two\nXX  - what\nER  - \n"

    assert _error(text) == "test.ris: record 2, line 7: unknown RIS tag 'XX'"


def test_record_without_title() -> None:
    assert _error("TY  - JOUR\nAU  - Doe, J\nER  - \n") == (
        "test.ris: record 1, line 1: record without a title (TI or T1)"
    )


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"\xef\xbb\xbf"])
def test_a_file_without_records(data: bytes) -> None:
    assert _error(data, "empty.ris") == "empty.ris: no records"


def test_text_outside_a_record() -> None:
    assert _error("\nPMID- 123\n") == "test.ris: line 2: expected 'TY  - ', found 'PMID- 123'"


def test_a_record_left_open() -> None:
    assert _error("TY  - JOUR\nTI  - One\n") == (
        "test.ris: record 1, line 1: no 'ER' before the end of the file"
    )
    assert _error("TY  - JOUR\nTI  - One\nTY  - JOUR\n") == (
        "test.ris: record 1, line 3: 'TY' before the record's 'ER'"
    )


def test_records_before_a_fault_are_yielded_first() -> None:
    records = iter_ris(b"TY  - JOUR\nTI  - One\nER  - \nTY  - JOUR\nZZ  - x\n", name="f")

    assert next(records).title == "One"
    with pytest.raises(ParseError, match=r"^f: record 2, line 5: unknown RIS tag 'ZZ'$"):
        next(records)
