"""The MEDLINE/.nbib parser, on every real export under ``shared/fixtures/medline``.

Besides field-by-field checks on real records, two cross-checks use information
the parser does not read: the ``SO`` line (NLM's own rendering of journal, volume,
issue, pages and DOI) and, where a PMID is also among the PubMed XML fixtures, the
XML parser's reading of the same record.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from evidence.errors import ParseError
from evidence.pubmed.medline import iter_medline
from evidence.pubmed.medline_fields import COMMENT_CORRECTION_TAGS
from evidence.pubmed.records import ArticleRecord, Author, MeshHeading, MeshQualifier

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
MEDLINE = FIXTURES / "medline"
PUBMED_XML = FIXTURES / "pubmed-xml"
BALLOON = MEDLINE / "nbib" / "pubmed-balloongui-set.nbib"
PMC_MEDLARS = MEDLINE / "nbib" / "pmc_medlars.txt"
RISPY = MEDLINE / "rispy" / "example_pubmed.txt"
BIOPYTHON = MEDLINE / "biopython-1.88"

pytestmark = pytest.mark.skipif(not MEDLINE.is_dir(), reason=f"no fixtures at {MEDLINE}")

MEDLINE_FILES = sorted(path for path in MEDLINE.rglob("*") if path.is_file())
MEDLINE_IDS = [str(path.relative_to(MEDLINE)) for path in MEDLINE_FILES]


def _pmid_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line[5:].strip() for line in lines if line.startswith("PMID-")]


def _records(path: Path) -> list[ArticleRecord]:
    return list(iter_medline(path))


def _by_pmid(path: Path) -> dict[str, ArticleRecord]:
    return {record.pmid: record for record in iter_medline(path)}


def _parse_text(text: str, name: str = "test.nbib") -> list[ArticleRecord]:
    return list(iter_medline(text.encode("utf-8"), name=name))


def _names(record: ArticleRecord) -> list[str]:
    return [
        author.collective_name or f"{author.last_name} {author.initials}"
        for author in record.authors
    ]


# ---------------------------------------------------------------- every fixture


@pytest.mark.parametrize("path", MEDLINE_FILES, ids=MEDLINE_IDS)
def test_every_file_gives_one_record_per_pmid_line(path: Path) -> None:
    records = _records(path)

    assert [record.pmid for record in records] == _pmid_lines(path)
    assert all(record.title for record in records)


@pytest.mark.parametrize("path", MEDLINE_FILES, ids=MEDLINE_IDS)
def test_raw_text_is_the_record_and_reads_back_the_same(path: Path) -> None:
    for record in _records(path):
        assert record.raw_xml.startswith((b"PMID- ", b"PMC - "))
        assert list(iter_medline(record.raw_xml)) == [record]


@pytest.mark.parametrize("path", MEDLINE_FILES, ids=MEDLINE_IDS)
def test_fields_agree_with_nlms_source_line(path: Path) -> None:
    """``SO`` ("Stroke. 2019 Mar;50(3):697-704. doi: 10.1161/…") repeats TA, VI, IP, PG, DOI."""
    source_lines = _source_lines(path)
    for record in _records(path):
        source = source_lines[record.pmid]
        assert record.journal_abbrev and source.startswith(f"{record.journal_abbrev}. ")
        assert str(record.year) in source
        if record.volume:
            assert f";{record.volume}" in source
        if record.issue:
            assert f"({record.issue})" in source
        if record.pages:
            assert f":{record.pages}." in source
        if "doi:" in source:
            assert record.doi is not None
            assert re.sub(r"doi: ?", "doi:", source).count(f"doi:{record.doi}") == 1


def _source_lines(path: Path) -> dict[str, str]:
    """PMID → the ``SO`` value, read here with a few lines of our own."""
    sources: dict[str, str] = {}
    pmid, source, in_source = "", "", False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("PMID-"):
            pmid = line[5:].strip()
        in_source = line.startswith("SO  -") or (in_source and line.startswith("      "))
        if line.startswith("SO  -"):
            source = line[6:].strip()
        elif in_source:
            source = f"{source} {line.strip()}"
        if in_source:
            sources[pmid] = source
    return sources


# ---------------------------------------------------------------- against the XML parser


def _mesh(record: ArticleRecord) -> list[tuple[str, bool, list[tuple[str, bool]]]]:
    return [
        (h.descriptor, h.major_topic, [(q.name, q.major_topic) for q in h.qualifiers])
        for h in record.mesh_headings
    ]


# ---------------------------------------------------------------- fields of real records


def test_modern_nbib_record_maps_every_field() -> None:
    record = _by_pmid(BALLOON)["30776994"]

    assert record.title == (
        "Impact of Balloon Guide Catheter Use on Clinical and Angiographic Outcomes "
        "in the STRATIS Stroke Thrombectomy Registry."
    )
    assert (record.journal, record.journal_abbrev) == ("Stroke", "Stroke")
    assert record.issn == "1524-4628"  # the first IS line; "(Linking)" is not the journal's
    assert (record.volume, record.issue, record.pages) == ("50", "3", "697-704")
    assert (record.year, record.pub_date_text) == (2019, "2019 Mar")
    assert record.doi == "10.1161/STROKEAHA.118.021126"
    assert record.languages == ("eng",) and record.language == "eng"
    assert record.status == "MEDLINE"
    assert [pt.name for pt in record.publication_types] == [
        "Journal Article",
        "Multicenter Study",
        "Research Support, Non-U.S. Gov't",
    ]
    assert record.keywords == ("animals", "brain ischemia", "humans", "stroke", "thrombectomy")
    assert record.abstract is not None
    assert record.abstract.startswith("Background and Purpose- Mechanical thrombectomy")
    assert record.abstract.endswith("Unique identifier: NCT02239640.")
    assert "\r" not in record.abstract and "  " not in record.abstract


def test_authors_keep_their_own_affiliations_and_the_group_its_place() -> None:
    authors = _by_pmid(BALLOON)["30776994"].authors

    assert authors[0] == Author(
        last_name="Zaidat",
        fore_name="Osama O",
        initials="OO",
        affiliations=("From the Mercy Health St. Vincent Mercy Hospital, Toledo, OH (O.O.Z.).",),
    )
    assert authors[3].affiliations == (
        "Emory University School of Medicine, Atlanta, GA (D.C.H.).",
        "Grady Memorial Hospital, Atlanta, GA (D.C.H., R.G.N.).",
    )
    # "FAU - Hellinger, Frank R Jr" / "AU - Hellinger FR Jr": the suffix is not a name.
    assert (authors[10].last_name, authors[10].fore_name, authors[10].initials) == (
        "Hellinger",
        "Frank R",
        "FR",
    )
    assert (authors[7].last_name, authors[7].initials) == ("Ali Aziz-Sultan", "M")
    assert authors[-1] == Author(collective_name="STRATIS Investigators")


def test_orcid_and_wrapped_affiliation_belong_to_the_author_above() -> None:
    zaidat = _by_pmid(BALLOON)["30712011"].authors[-1]

    assert zaidat.orcid == "0000-0003-4881-4698"
    assert zaidat.affiliations == (
        "Departments of Endovascular Neurosurgery and Stroke, St Vincent Mercy Medical "
        "Center, Toledo, Ohio, USA.",
    )


def test_mesh_headings_with_major_descriptors_and_qualifiers() -> None:
    by_name = {h.descriptor: h for h in _by_pmid(BALLOON)["30712011"].mesh_headings}

    assert by_name["Stroke"] == MeshHeading(
        descriptor="Stroke",
        descriptor_ui=None,
        major_topic=False,
        qualifiers=(
            MeshQualifier("diagnostic imaging", None, False),
            MeshQualifier("surgery", None, True),
        ),
    )
    assert by_name["Humans"].qualifiers == ()
    computational = _records(BIOPYTHON / "pubmed_result1.txt")[0].mesh_headings[0]
    assert (computational.descriptor, computational.major_topic) == ("Computational Biology", True)


def test_comments_and_corrections_with_their_pmid_and_source() -> None:
    records = _by_pmid(BALLOON)

    assert [(c.ref_type, c.pmid, c.source) for c in records["26789499"].comments_corrections] == [
        ("CommentIn", "28723284", "Radiology. 2017 Aug;284(2):607-608")
    ]
    assert [(c.ref_type, c.pmid) for c in records["28723284"].comments_corrections] == [
        ("CommentOn", "26789499")
    ]


def test_a_link_whose_pmid_is_on_a_continuation_line() -> None:
    # "EIN - Nat Commun. ... PMID:" / "      34294709": Bio.Medline alone would make
    # that two list items; the parser folds the line first.
    erratum = _by_pmid(RISPY)["33990610"].comments_corrections

    assert [(c.ref_type, c.pmid, c.source) for c in erratum] == [
        (
            "ErratumIn",
            "34294709",
            "Nat Commun. 2021 Jul 22;12(1):4591. doi: 10.1038/s41467-021-24593-9",
        )
    ]


def test_location_ids_pmc_and_issn() -> None:
    record = _by_pmid(RISPY)["30922926"]

    assert record.doi == "10.1016/j.ejmg.2019.03.004"
    assert record.pii == "S1769-7212(19)30059-X"
    assert record.elocation == "S1769-7212(19)30059-X"
    assert record.pmcid == "PMC7026692"
    assert record.issn == "1878-0849"


def test_transliterated_title_is_the_vernacular_title() -> None:
    record = _by_pmid(BALLOON)["31514211"]

    assert record.vernacular_title is not None
    assert record.vernacular_title.startswith("Einfluss der Thrombus-Zusammensetzung")
    assert record.title is not None and record.title.startswith("Influence of Thrombus")


def test_pmc_export_with_empty_abstract_and_no_status() -> None:
    records = _by_pmid(PMC_MEDLARS)

    first = records["30042925"]
    assert first.abstract_sections == ()
    assert (first.pmcid, first.status) == ("PMC6055010", None)
    assert first.raw_xml.startswith(b"PMC - PMC6055010\nPMID- 30042925\n")
    assert records["30123504"].elocation == "18"
    assert "Tokyo Women’s Medical University" in first.authors[0].affiliations[0]


def test_a_lone_affiliation_before_the_authors_goes_to_the_first() -> None:
    (record,) = _records(BIOPYTHON / "pubmed_result1.txt")

    assert record.authors == (
        Author(
            last_name="Mangalam",
            fore_name="Harry",
            initials="H",
            affiliations=("tacg Informatics, Irvine, CA 92612, USA. hjm@tacgi.com",),
        ),
    )


# ---------------------------------------------------------------- hand-written records


@pytest.mark.parametrize(
    ("tag", "ref_type"),
    [
        ("CIN", "CommentIn"),
        ("CON", "CommentOn"),
        ("EIN", "ErratumIn"),
        ("EFR", "ErratumFor"),
        ("RIN", "RetractionIn"),
        ("ROF", "RetractionOf"),
        ("UIN", "UpdateIn"),
        ("UOF", "UpdateOf"),
        ("ECI", "ExpressionOfConcernIn"),
        ("CRI", "CorrectedandRepublishedIn"),
        ("SPIN", "SummaryForPatientsIn"),
    ],
)
def test_comment_correction_tags_carry_the_xml_ref_type(tag: str, ref_type: str) -> None:
    (record,) = _parse_text(f"PMID- 1\nTI  - T.\n{tag:<4}- J Foo. 2020;1:2. PMID: 99\n")

    assert COMMENT_CORRECTION_TAGS[tag] == ref_type
    assert [(c.ref_type, c.pmid, c.source) for c in record.comments_corrections] == [
        (ref_type, "99", "J Foo. 2020;1:2")
    ]
    assert record.is_retracted is (tag == "RIN")


def test_pmid_version_old_style_authors_and_book() -> None:
    text = (
        "PMID- 30271887.3\n"
        "TI  - A chapter.\n"
        "BTI - A book\n"
        "AU  - van der Berg JA\n"
        "AU  - Smith J Jr\n"
        "CN  - The Group\n"
        "AD  - Group address\n"
        "DP  - 1998 Dec-1999 Jan\n"
    )
    (record,) = _parse_text(text)

    assert (record.pmid, record.pmid_version) == ("30271887", 3)
    assert (record.is_book, record.journal, record.title) == (True, "A book", "A chapter.")
    assert _names(record) == ["van der Berg JA", "Smith J", "The Group"]
    assert record.authors[2].affiliations == ("Group address",)
    assert (record.year, record.pub_date_text) == (1998, "1998 Dec-1999 Jan")


def test_a_blank_continuation_line_does_not_end_the_record() -> None:
    text = "PMID- 1\nAB  - First part\n      \n      second part.\nTI  - T.\n\nPMID- 2\nTI  - U.\n"
    records = _parse_text(text)

    assert [r.pmid for r in records] == ["1", "2"]
    assert records[0].abstract == "First part second part."


# ---------------------------------------------------------------- sources


def test_every_kind_of_source_gives_the_same_records(tmp_path: Path) -> None:
    expected = _records(BIOPYTHON / "pubmed_result2.txt")
    data = (BIOPYTHON / "pubmed_result2.txt").read_bytes()

    assert list(iter_medline(str(BIOPYTHON / "pubmed_result2.txt"))) == expected
    assert list(iter_medline(data)) == expected
    assert list(iter_medline(io.BytesIO(data))) == expected
    with (BIOPYTHON / "pubmed_result2.txt").open(encoding="utf-8", newline="") as text:
        assert list(iter_medline(text)) == expected


def test_crlf_and_bom_are_read_like_plain_lf() -> None:
    text = (BIOPYTHON / "pubmed_result2.txt").read_text(encoding="utf-8")
    plain = list(iter_medline(text.encode("utf-8")))
    crlf_bom = list(iter_medline(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")))

    assert [_without_raw(r) for r in crlf_bom] == [_without_raw(r) for r in plain]
    assert crlf_bom[0].raw_xml.startswith(b"PMID- 16403221\r\n")


def _without_raw(record: ArticleRecord) -> ArticleRecord:
    from dataclasses import replace

    return replace(record, raw_xml=b"")


# ---------------------------------------------------------------- errors


def _error(text: str | bytes, name: str = "test.nbib") -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(ParseError) as caught:
        list(iter_medline(data, name=name))
    return str(caught.value)


def test_continuation_line_without_a_tag_names_file_record_and_line() -> None:
    text = "PMID- 1\nTI  - One.\n\n      stray words\nPMID- 2\nTI  - Two.\n"

    assert _error(text) == (
        "test.nbib: record 2 (PMID 2), line 4: continuation line without a preceding tag"
    )


def test_records_before_a_broken_one_are_yielded_first() -> None:
    records = iter_medline(b"PMID- 1\nTI  - One.\n\nPMID- 2\nTI  - Two.\nnot medline\n", name="x")

    assert next(records).pmid == "1"
    with pytest.raises(ParseError, match=r"^x: record 2 \(PMID 2\), line 6: not a MEDLINE"):
        next(records)


def test_a_line_that_is_neither_tag_nor_continuation() -> None:
    assert _error("PMID- 7\nTI  - T.\n  two-space indent\n") == (
        "test.nbib: record 1 (PMID 7), line 3: not a MEDLINE tag line: '  two-space indent'"
    )


def test_xml_given_as_medline_is_refused_at_its_first_line() -> None:
    message = _error((PUBMED_XML / "biopython-1.88" / "pubmed1.xml").read_bytes(), "p.xml")

    assert message.startswith("p.xml: record 1, line 1: not a MEDLINE tag line: '<?xml")


def test_record_without_pmid() -> None:
    assert _error("PMID- 1\nTI  - One.\n\nTI  - Two.\nAU  - Doe J\n") == (
        "test.nbib: record 2, line 4: record without a PMID"
    )


def test_pmid_that_is_not_a_number() -> None:
    assert _error("PMID- 12a\nTI  - One.\n") == (
        "test.nbib: record 1 (PMID 12a), line 1: PMID '12a' is not a number"
    )


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf\r\n   \r\n"])
def test_a_file_without_records(data: bytes) -> None:
    assert _error(data, "empty.nbib") == "empty.nbib: no records"


def test_an_empty_file_is_named_by_its_path(tmp_path: Path) -> None:
    path = tmp_path / "empty.nbib"
    path.write_bytes(b"")

    with pytest.raises(ParseError, match=r"empty\.nbib: no records$") as caught:
        list(iter_medline(path))
    assert str(caught.value) == f"{path}: no records"


def test_bytes_that_are_not_utf8_are_named_by_line() -> None:
    assert _error(b"PMID- 1\nTI  - caf\xe9\n") == (
        "test.nbib: line 2: not UTF-8 text (invalid continuation byte)"
    )
