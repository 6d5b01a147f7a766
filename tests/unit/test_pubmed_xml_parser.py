"""The streaming PubMed XML parser, checked against Biopython on real NCBI files.

Every fixture under ``shared/fixtures/pubmed-xml`` (except the bulk file, which is
too big for ``Bio.Entrez.read``) is parsed twice, by us and by ``Bio.Entrez.read``,
and the fields the database relies on must agree record by record.
"""

from __future__ import annotations

import gzip
import io
import lzma
import os
import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from evidence.errors import MalformedXml, ParseError
from evidence.pubmed.entry_dates import entrez_dates
from evidence.pubmed.records import (
    AbstractSection,
    ArticleRecord,
    CommentCorrection,
    Deletion,
    PublicationType,
)
from evidence.pubmed.xml_fields import parse_pub_date
from evidence.pubmed.xml_parser import (
    _record_elements,
    iter_pubmed_xml,
    parse_pubmed_xml,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PUBMED_XML = SHARED / "fixtures" / "pubmed-xml"
ERRORS = SHARED / "fixtures" / "errors"
BULK = PUBMED_XML / "bulk" / "pubmed21n1298.xml.xz"
LEGACY = PUBMED_XML / "legacy-medlinecitationset" / "medline16n0902.xml.gz"

# Skipped on a checkout without shared/ beside it, but never in CI, where it must be there.
pytestmark = pytest.mark.skipif(
    not PUBMED_XML.is_dir() and not os.environ.get("CI"), reason=f"no fixtures at {SHARED}"
)


def _fixture_files() -> list[Path]:
    if not PUBMED_XML.is_dir():
        return []
    return sorted(
        path
        for path in PUBMED_XML.rglob("*")
        if path.is_file() and path.relative_to(PUBMED_XML).parts[0] != "bulk"
    )


FIXTURE_FILES = _fixture_files()
FIXTURE_IDS = [str(path.relative_to(PUBMED_XML)) for path in FIXTURE_FILES]


def _fixture(relative: str) -> Path:
    return PUBMED_XML / relative


def _xml_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _articles(records: list[ArticleRecord | Deletion]) -> list[ArticleRecord]:
    return [record for record in records if isinstance(record, ArticleRecord)]


# ---------------------------------------------------------------- Biopython side

# Bio.Entrez needs a DTD it ships: the re-serialised metapub files have no DOCTYPE,
# old files name theirs over http (which Bio refuses) and the 2016 MedlineCitationSet
# DTD is not shipped. Only the DOCTYPE line is changed; the records are untouched.
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>]*>")
_PUBMED_DOCTYPE = (
    b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
    b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)
_MEDLINE_DOCTYPE = (
    b'<!DOCTYPE MedlineCitationSet PUBLIC "-//NLM//DTD Medline Citation, 1st January, 2015//EN"'
    b' "https://www.nlm.nih.gov/databases/dtd/nlmmedlinecitationset_150101.dtd">'
)
# Bio keeps inline markup (and MathML) as tags inside the text; we keep its text.
_MARKUP = re.compile(
    r"</?(?:[A-Za-z]+:)?(?:i|b|u|sub|sup|math|m[a-z]+|none|semantics|annotation)"
    r"(?:\s[^<>]*)?/?>"
)


def _for_biopython(data: bytes) -> bytes:
    if b"<MedlineCitationSet" in data:
        return _DOCTYPE.sub(_MEDLINE_DOCTYPE, data, count=1)
    doctype = _DOCTYPE.search(data)
    if doctype is None:
        declaration_end = data.index(b"?>") + 2 if data.lstrip().startswith(b"<?xml") else 0
        return data[:declaration_end] + b"\n" + _PUBMED_DOCTYPE + data[declaration_end:]
    secure = doctype.group().replace(b'"http://', b'"https://')
    return data[: doctype.start()] + secure + data[doctype.end() :]


@pytest.fixture
def entrez(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Bio.Entrez with DTD downloads blocked: a test must never reach the network."""
    from Bio import Entrez
    from Bio.Entrez import Parser

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access blocked in tests")

    monkeypatch.setattr(Parser, "urlopen", refuse)
    return Entrez


def _bio_text(value: object) -> str | None:
    if value is None:
        return None
    text = _MARKUP.sub("", str(value))
    return text if text and not text.isspace() else None


def _bio_abstract(abstract: Any) -> str | None:
    parts = []
    sections = (abstract or {}).get("AbstractText", [])
    for section in [sections] if isinstance(sections, str) else sections:
        text = _bio_text(section)
        label = getattr(section, "attributes", {}).get("Label")
        if text is not None:
            parts.append(f"{label}: {text}" if label else text)
    return "\n\n".join(parts) or None


def _bio_authors(author_lists: Any) -> list[tuple[str | None, ...]]:
    if author_lists and not isinstance(author_lists[0], list):
        author_lists = [author_lists]  # an Article has one AuthorList, a book a list of them
    return [
        tuple(_bio_text(author.get(key)) for key in _NAME_KEYS)
        for author_list in author_lists or []
        if author_list.attributes.get("Type", "authors") == "authors"
        for author in author_list
    ]


_NAME_KEYS = ("LastName", "ForeName", "Initials", "CollectiveName")


def _bio_pages(pagination: Any) -> str | None:
    pagination = pagination or {}
    if _bio_text(pagination.get("MedlinePgn")):
        return _bio_text(pagination.get("MedlinePgn"))
    start, end = _bio_text(pagination.get("StartPage")), _bio_text(pagination.get("EndPage"))
    return f"{start}-{end}" if start and end else start


def _bio_id(id_list: Any, id_type: str) -> str | None:
    for article_id in id_list or []:
        if article_id.attributes.get("IdType") == id_type:
            return _bio_text(article_id)
    return None


def _bio_elocation_doi(locations: Any) -> str | None:
    for location in locations or []:
        attributes = location.attributes
        if attributes.get("EIdType") == "doi" and attributes.get("ValidYN") != "N":
            return _bio_text(location)
    return None


def _bio_other_pmcid(citation: Any) -> str | None:
    for other in citation.get("OtherID", []):
        if other.attributes.get("Source") == "NLM" and str(other).startswith("PMC"):
            return str(other).split()[0]
    return None


def _bio_publication_types(types: Any) -> list[tuple[str | None, str | None]]:
    return [(_bio_text(kind), kind.attributes.get("UI")) for kind in types or []]


def _bio_mesh(headings: Any) -> list[tuple[Any, ...]]:
    return [
        (
            _bio_text(heading["DescriptorName"]),
            heading["DescriptorName"].attributes.get("UI"),
            heading["DescriptorName"].attributes.get("MajorTopicYN") == "Y",
            [
                (_bio_text(q), q.attributes.get("UI"), q.attributes.get("MajorTopicYN") == "Y")
                for q in heading.get("QualifierName", [])
            ],
        )
        for heading in headings or []
    ]


def _bio_article(entry: Any) -> dict[str, object]:
    """The compared fields of a PubmedArticle (or a legacy MedlineCitation) from Bio."""
    citation = entry.get("MedlineCitation", entry)
    article = citation["Article"]
    journal = article.get("Journal", {})
    issue = journal.get("JournalIssue", {})
    id_list = entry.get("PubmedData", {}).get("ArticleIdList")
    return {
        "pmid": str(citation["PMID"]),
        "title": _bio_text(article.get("ArticleTitle")),
        "abstract": _bio_abstract(article.get("Abstract")),
        "authors": _bio_authors(article.get("AuthorList")),
        "journal": _bio_text(journal.get("Title")),
        "journal_abbrev": _bio_text(journal.get("ISOAbbreviation")),
        "volume": _bio_text(issue.get("Volume")),
        "issue": _bio_text(issue.get("Issue")),
        "pages": _bio_pages(article.get("Pagination")),
        "doi": _bio_id(id_list, "doi") or _bio_elocation_doi(article.get("ELocationID")),
        "pmcid": _bio_id(id_list, "pmc") or _bio_other_pmcid(citation),
        "language": _bio_text((article.get("Language") or [None])[0]),
        "publication_types": _bio_publication_types(article.get("PublicationTypeList")),
        "mesh": _bio_mesh(citation.get("MeshHeadingList")),
    }


def _bio_book(entry: Any) -> dict[str, object]:
    """The compared fields of a PubmedBookArticle from Bio."""
    document = entry["BookDocument"]
    book = document["Book"]
    return {
        "pmid": str(document["PMID"]),
        "title": _bio_text(document.get("ArticleTitle")) or _bio_text(book.get("BookTitle")),
        "abstract": _bio_abstract(document.get("Abstract")),
        "authors": _bio_authors(document.get("AuthorList")),
        "journal": _bio_text(book.get("BookTitle")),
        "journal_abbrev": None,
        "volume": _bio_text(book.get("Volume")),
        "issue": None,
        "pages": _bio_pages(document.get("Pagination")),
        "doi": _bio_id(document.get("ArticleIdList"), "doi")
        or _bio_elocation_doi(book.get("ELocationID")),
        "pmcid": _bio_id(document.get("ArticleIdList"), "pmc"),
        "language": _bio_text((document.get("Language") or [None])[0]),
        "publication_types": _bio_publication_types(document.get("PublicationType")),
        "mesh": [],
    }


def _ours(record: ArticleRecord) -> dict[str, object]:
    return {
        "pmid": record.pmid,
        "title": record.title,
        "abstract": record.abstract,
        "authors": [
            (a.last_name, a.fore_name, a.initials, a.collective_name) for a in record.authors
        ],
        "journal": record.journal,
        "journal_abbrev": record.journal_abbrev,
        "volume": record.volume,
        "issue": record.issue,
        "pages": record.pages,
        "doi": record.doi,
        "pmcid": record.pmcid,
        "language": record.language,
        "publication_types": [(kind.name, kind.ui) for kind in record.publication_types],
        "mesh": [
            (
                heading.descriptor,
                heading.descriptor_ui,
                heading.major_topic,
                [(q.name, q.ui, q.major_topic) for q in heading.qualifiers],
            )
            for heading in record.mesh_headings
        ],
    }


def _bio_records(entrez: Any, data: bytes) -> tuple[list[dict[str, object]], list[str]]:
    """(articles then books, deleted PMIDs) as Biopython reads them."""
    result = entrez.read(io.BytesIO(_for_biopython(data)), validate=False)
    if "MedlineCitation" in result:  # legacy MedlineCitationSet
        articles = [_bio_article(citation) for citation in result["MedlineCitation"]]
        return articles, [str(pmid) for pmid in result.get("DeleteCitation", [])]
    if isinstance(result, list):  # DTDs before 2010 make the set a plain list
        result = {
            "PubmedArticle": [entry for entry in result if "BookDocument" not in entry],
            "PubmedBookArticle": [entry for entry in result if "BookDocument" in entry],
        }
    articles = [_bio_article(entry) for entry in result.get("PubmedArticle", [])]
    books = [_bio_book(entry) for entry in result.get("PubmedBookArticle", [])]
    return articles + books, [str(pmid) for pmid in result.get("DeleteCitation", [])]


# ---------------------------------------------------------------- agreement with Biopython


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=FIXTURE_IDS)
def test_records_agree_with_biopython(path: Path, entrez: Any) -> None:
    data = _xml_bytes(path)
    records = parse_pubmed_xml(data, name=path.name)
    articles = _articles(records)
    ours = [_ours(r) for r in articles if not r.is_book] + [_ours(r) for r in articles if r.is_book]
    deleted = [record.pmid for record in records if isinstance(record, Deletion)]

    theirs, their_deleted = _bio_records(entrez, data)

    assert [record["pmid"] for record in ours] == [record["pmid"] for record in theirs]
    for mine, bio in zip(ours, theirs, strict=True):
        assert mine == bio, f"PMID {mine['pmid']}"
    assert deleted == their_deleted


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=FIXTURE_IDS)
def test_raw_xml_parses_back_to_the_same_record(path: Path) -> None:
    for record in _articles(list(iter_pubmed_xml(path))):
        assert parse_pubmed_xml(record.raw_xml) == [record]


_ANSWERS = [path for path in FIXTURE_FILES if b"<PubmedArticleSet" in _xml_bytes(path)]


def _bio_entrez_dates(entrez: Any, data: bytes) -> dict[str, date]:
    result = entrez.read(io.BytesIO(_for_biopython(data)), validate=False)
    entries = (
        result
        if isinstance(result, list)
        else [*result.get("PubmedArticle", []), *result.get("PubmedBookArticle", [])]
    )
    days = {}
    for entry in entries:
        record = entry.get("MedlineCitation") or entry.get("BookDocument")
        data_part = entry.get("PubmedData") or entry.get("PubmedBookData") or {}
        for day in data_part.get("History", []):
            if day.attributes.get("PubStatus") == "entrez":
                days[str(record["PMID"])] = date(
                    int(day["Year"]), int(day["Month"]), int(day["Day"])
                )
    return days


@pytest.mark.parametrize("path", _ANSWERS, ids=[p.name for p in _ANSWERS])
def test_entrez_dates_agree_with_biopython(path: Path, entrez: Any) -> None:
    """What a split search reads from a few records of its first answer."""
    data = _xml_bytes(path)
    assert entrez_dates(data) == _bio_entrez_dates(entrez, data)


def test_entrez_dates_of_a_cut_answer_are_refused() -> None:
    data = _xml_bytes(_fixture("biopython-1.88/pubmed1.xml"))
    with pytest.raises(MalformedXml):
        entrez_dates(data[: len(data) // 2])


# ---------------------------------------------------------------- fields and record kinds


@pytest.mark.parametrize(
    ("xml", "year", "text"),
    [
        (
            "<PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate>",
            1998,
            "1998 Dec-1999 Jan",
        ),
        (
            "<PubDate><MedlineDate>2021 3rd Quarter</MedlineDate></PubDate>",
            2021,
            "2021 3rd Quarter",
        ),
        (
            "<PubDate><Year>2004</Year><Month>Oct</Month><Day>12</Day></PubDate>",
            2004,
            "2004 Oct 12",
        ),
        ("<PubDate><Year>1990</Year><Season>Spring</Season></PubDate>", 1990, "1990 Spring"),
        ("<PubDate><MedlineDate>Winter</MedlineDate></PubDate>", None, "Winter"),
        ("<PubDate/>", None, None),
    ],
)
def test_pub_date_year_and_text(xml: str, year: int | None, text: str | None) -> None:
    assert parse_pub_date(etree.fromstring(xml)) == (year, text)


def test_medline_date_year_in_a_real_legacy_record() -> None:
    record = next(
        r for r in _articles(parse_pubmed_xml(LEGACY.read_bytes())) if r.pmid == "18621939"
    )
    assert (record.year, record.pub_date_text) == (2008, "2008 Jul-Aug")


def test_collective_name_author() -> None:
    (record,) = parse_pubmed_xml(_fixture("biopython-1.88/pubmed7.xml").read_bytes())
    assert isinstance(record, ArticleRecord)
    groups = [author for author in record.authors if author.collective_name]
    assert [group.collective_name for group in groups] == ["Canadian Respiratory Research Network"]
    assert groups[0].last_name is None and groups[0].fore_name is None
    assert record.authors[0].last_name == "Guo"
    assert any(author.orcid for author in record.authors)
    assert all(author.orcid is None or "orcid.org" not in author.orcid for author in record.authors)


def test_structured_abstract_keeps_labels() -> None:
    (record,) = parse_pubmed_xml(_fixture("biopython-1.88/pubmed4.xml").read_bytes())
    assert isinstance(record, ArticleRecord)
    labels = [section.label for section in record.abstract_sections]
    assert labels == ["OBJECTIVE", "DESIGN", "RESULTS", "CONCLUSIONS"]
    assert record.abstract is not None
    assert record.abstract.startswith("OBJECTIVE: Telomere shortening occurs")
    assert "\n\nDESIGN: We measured" in record.abstract
    # inline <i>, <sub>, <sup> reduced to their text
    assert "(TERT) gene region" in record.abstract and "r2<0.25" in record.abstract


def test_inline_markup_straddling_a_quote_keeps_its_text() -> None:
    (record,) = parse_pubmed_xml(_fixture("biopython-1.88/pubmed6.xml").read_bytes())
    assert isinstance(record, ArticleRecord)
    assert record.title is not None
    assert record.title.startswith('A "Blood Relationship" Between the Overlooked')


def test_journal_fields_and_identifiers() -> None:
    (record,) = parse_pubmed_xml(_fixture("biopython-1.88/pubmed4.xml").read_bytes())
    assert isinstance(record, ArticleRecord)
    assert (record.pmid, record.pmid_version, record.status) == ("27797938", 1, "MEDLINE")
    assert (record.journal, record.journal_abbrev, record.issn) == ("Gut", "Gut", "1468-3288")
    assert (record.volume, record.issue, record.pages) == ("66", "6", "1116-1122")
    assert (record.doi, record.pmcid, record.pii) == (
        "10.1136/gutjnl-2016-312510",
        "PMC5442267",
        "gutjnl-2016-312510",
    )
    assert (record.year, record.language, record.languages) == (2017, "eng", ("eng",))
    assert record.keywords == ("PANCREATIC CANCER",)
    assert record.comments_corrections[0].ref_type == "CommentIn"
    assert record.comments_corrections[0].pmid == "27920200"
    assert not record.is_retracted and not record.is_book


def test_electronic_location_stands_for_missing_pages() -> None:
    folder = "metapub-0.7.5/pmid_xml"
    (no_pages,) = parse_pubmed_xml(_fixture(f"{folder}/26568896.xml").read_bytes())
    (e_pages,) = parse_pubmed_xml(_fixture(f"{folder}/38147649.xml").read_bytes())
    assert isinstance(no_pages, ArticleRecord) and isinstance(e_pages, ArticleRecord)
    assert (no_pages.pages, no_pages.elocation) == (None, "239")
    assert (e_pages.pages, e_pages.elocation) == ("e2308706120", "e2308706120")
    assert e_pages.doi == "10.1073/pnas.2308706120"
    assert [link.ref_type for link in e_pages.comments_corrections] == ["ErratumIn"]


@pytest.mark.parametrize(
    ("types", "links", "retracted"),
    [
        (("Journal Article",), (), False),
        (("Journal Article", "Retracted Publication"), (), True),
        (("Journal Article",), ("CommentIn", "RetractionIn"), True),
        (("Retraction of Publication",), ("RetractionOf",), False),
    ],
)
def test_is_retracted(types: tuple[str, ...], links: tuple[str, ...], retracted: bool) -> None:
    record = ArticleRecord(
        pmid="1",
        publication_types=tuple(PublicationType(name) for name in types),
        comments_corrections=tuple(CommentCorrection(kind, "2", None) for kind in links),
    )
    assert record.is_retracted is retracted


def test_abstract_joins_sections_with_their_labels() -> None:
    sections = (
        AbstractSection("BACKGROUND", "BACKGROUND", "Why."),
        AbstractSection(None, None, "Unlabelled."),
        AbstractSection("EMPTY", None, None),
    )
    assert ArticleRecord(pmid="1", abstract_sections=sections).abstract == (
        "BACKGROUND: Why.\n\nUnlabelled."
    )
    assert ArticleRecord(pmid="1").abstract is None


def test_missing_values_are_none_not_empty_strings() -> None:
    for record in _articles(parse_pubmed_xml(_fixture("biopython-1.88/pubmed1.xml").read_bytes())):
        for name in ArticleRecord.__slots__:
            assert getattr(record, name) != "", f"PMID {record.pmid}: {name} is ''"


def test_delete_citation_yields_deletions() -> None:
    records = list(iter_pubmed_xml(LEGACY))
    assert records[-1] == Deletion("26432306")
    assert sum(isinstance(record, Deletion) for record in records) == 1


def test_pubmed_book_article() -> None:
    (record,) = parse_pubmed_xml(_fixture("metapub-repo/sample_article_20301577.xml").read_bytes())
    assert isinstance(record, ArticleRecord)
    assert record.is_book and record.pmid == "20301577" and record.status is None
    assert record.title == "CACNA1C-Related Disorders"
    assert record.journal == "GeneReviews®"
    # the book's editors are not the chapter's authors
    assert [author.last_name for author in record.authors] == ["Napolitano", "Priori"]
    assert record.abstract_sections[0].label == "CLINICAL CHARACTERISTICS"
    assert record.publication_types[0].name == "Review"
    assert record.mesh_headings == () and record.doi is None


def test_empty_pubmed_article_set() -> None:
    assert parse_pubmed_xml(_fixture("metapub-0.7.5/pmid_xml/37909814.xml").read_bytes()) == []


def test_legacy_medline_citation_set_from_gzip_path() -> None:
    records = list(iter_pubmed_xml(LEGACY))
    articles = _articles(records)
    assert len(articles) == 604 and len(records) == 605
    assert articles[0].pmid == "17942999" and articles[0].status == "MEDLINE"
    assert articles[0].abstract_sections[0].nlm_category == "OBJECTIVE"
    assert articles[0].abstract_sections[0].label == "PURPOSE"


def test_sources_path_file_object_and_bytes_agree(tmp_path: Path) -> None:
    data = _xml_bytes(_fixture("biopython-1.88/pubmed2.xml"))
    xz_path = tmp_path / "pubmed2.xml.xz"
    xz_path.write_bytes(lzma.compress(data))
    expected = parse_pubmed_xml(data)
    assert len(expected) == 2
    assert list(iter_pubmed_xml(xz_path)) == expected
    assert list(iter_pubmed_xml(str(xz_path))) == expected
    assert list(iter_pubmed_xml(io.BytesIO(gzip.compress(data)))) == expected
    with open(_fixture("biopython-1.88/pubmed2.xml"), "rb") as handle:
        assert list(iter_pubmed_xml(handle)) == expected


# ---------------------------------------------------------------- errors


ERROR_FILES = (
    sorted(path for path in ERRORS.rglob("*") if path.is_file()) if ERRORS.is_dir() else []
)


@pytest.mark.parametrize("path", ERROR_FILES, ids=[path.name for path in ERROR_FILES])
def test_error_responses_raise_parse_error_naming_the_source(path: Path) -> None:
    with pytest.raises(ParseError) as raised:
        list(iter_pubmed_xml(path))
    message = str(raised.value)
    assert message.startswith(str(path)) and "\n" not in message


def test_ncbi_error_element_is_quoted() -> None:
    path = ERRORS / "klortho-eutils-json" / "esearch.baderror.xml"
    with pytest.raises(ParseError, match=r"not PubMed XML .*Invalid db name specified: fleegle"):
        list(iter_pubmed_xml(path))


def test_truncated_file_yields_good_records_then_names_the_last_one() -> None:
    data = _xml_bytes(_fixture("biopython-1.88/pubmed2.xml"))
    cut = data[: data.index(b"<PubmedArticle>", data.index(b"</PubmedArticle>")) + 400]
    records: list[ArticleRecord | Deletion] = []
    with pytest.raises(ParseError) as raised:
        records.extend(iter_pubmed_xml(cut, name="efetch batch 7"))
    assert [record.pmid for record in records] == ["11748933"]
    message = str(raised.value)
    assert message.startswith("efetch batch 7: not well-formed XML at line ")
    assert message.endswith("last good record: PMID 11748933") and "\n" not in message


def test_truncated_compressed_file_raises_parse_error(tmp_path: Path) -> None:
    compressed = LEGACY.read_bytes()
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(ParseError, match=rf"^{re.escape(str(path))}: .*last good record: PMID"):
        list(iter_pubmed_xml(path))


def test_no_dtd_or_external_entity_is_loaded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        "<ArticleTitle>a &x; b</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        "</PubmedArticleSet>"
    ).encode()
    (record,) = parse_pubmed_xml(data)
    assert isinstance(record, ArticleRecord)
    assert "do not read me" not in (record.title or "")


# ---------------------------------------------------------------- memory and the bulk file


def _synthetic_set(copies: int) -> bytes:
    """Many real records with rewritten PMIDs, as one PubmedArticleSet."""
    sources = [_fixture(name) for name in FIXTURE_IDS if name.startswith("metapub-0.7.5")]
    raw = [r.raw_xml for path in sources for r in _articles(parse_pubmed_xml(path.read_bytes()))]
    pmid = re.compile(rb"<PMID Version=\"(\d+)\">\d+</PMID>")
    body = [
        pmid.sub(rb'<PMID Version="\1">%d</PMID>' % (90_000_000 + n), raw[n % len(raw)], count=1)
        for n in range(copies)
    ]
    return b"<PubmedArticleSet>\n" + b"\n".join(body) + b"\n</PubmedArticleSet>\n"


def test_earlier_records_are_released_while_streaming() -> None:
    data = _synthetic_set(600)
    count = 0
    for element in _record_elements(io.BytesIO(data), "synthetic"):
        # at most the one just released is left, as an empty shell
        earlier = list(element.itersiblings(preceding=True))
        assert len(earlier) <= 1 and all(len(shell) == 0 for shell in earlier)
        count += 1
    assert count == 600


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module")
def bulk_pass() -> Iterator[dict[str, Any]]:
    """One pass over the 233 MB bulk file: counts, PMIDs seen twice, memory, time."""
    if not BULK.is_file():
        pytest.skip(f"no bulk file at {BULK}")
    articles = deletions = 0
    rss: list[int] = []
    versions: dict[str, list[int]] = {}
    started = time.perf_counter()
    for record in iter_pubmed_xml(BULK):
        if isinstance(record, Deletion):
            deletions += 1
            continue
        articles += 1
        versions.setdefault(record.pmid, []).append(record.pmid_version)
        if articles % 2000 == 0 and os.path.exists("/proc/self/statm"):
            rss.append(_resident_bytes())
    yield {
        "articles": articles,
        "deletions": deletions,
        "versions": versions,
        "rss": rss,
        "seconds": time.perf_counter() - started,
    }


def test_bulk_file_record_count(bulk_pass: dict[str, Any]) -> None:
    assert (bulk_pass["articles"], bulk_pass["deletions"]) == (20788, 20)
    assert bulk_pass["versions"]["30271887"] == [1, 2, 3, 4]
    print(f"bulk file parsed in {bulk_pass['seconds']:.1f} s")


def test_bulk_file_memory_stays_flat(bulk_pass: dict[str, Any]) -> None:
    rss = bulk_pass["rss"]
    if len(rss) < 4:
        pytest.skip("resident memory not readable here")
    # The first few thousand records warm up lxml's and Python's pools; after that a
    # tree kept in memory would add ~80 MB per 2,000 records of this file.
    second_half = rss[len(rss) // 2 :]
    assert max(second_half) - second_half[0] < 32 * 2**20, [v // 2**20 for v in rss]
    assert max(rss) - rss[0] < 128 * 2**20, [v // 2**20 for v in rss]
