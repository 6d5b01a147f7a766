"""``raw_xml`` is the record's bytes as read, or, where those cannot be had safely,
the element serialised again; either way it parses back to the same record."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evidence.pubmed.records import ArticleRecord
from evidence.pubmed.xml_parser import iter_pubmed_xml, parse_pubmed_xml

PUBMED_XML = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "pubmed-xml"
TWO = PUBMED_XML / "klortho-eutils-json" / "efetch.pubmed.xml"  # an EFetch answer, 2 records
_RECORD = re.compile(rb"<(PubmedArticle|PubmedBookArticle)>.*?</\1>", re.DOTALL)


def _articles(data: bytes) -> list[ArticleRecord]:
    return [r for r in parse_pubmed_xml(data) if isinstance(r, ArticleRecord)]


def test_raw_xml_is_each_record_exactly_as_sent() -> None:
    data = TWO.read_bytes()
    sent = [match[0] for match in _RECORD.finditer(data)]
    records = _articles(data)
    assert len(sent) == len(records) > 1
    assert [record.raw_xml for record in records] == sent


def test_the_bytes_are_cut_from_a_stream_read_in_small_pieces(tmp_path: Path) -> None:
    """lxml reads ahead in blocks; records far from the block edges and across them
    come out whole (a file of many copies, read from disk)."""
    data = TWO.read_bytes()
    head, first = data.index(b"<PubmedArticle>"), _RECORD.search(data)
    assert first is not None
    body = first[0]
    copies = [body] * 400
    path = tmp_path / "many.xml"
    path.write_bytes(data[:head] + b"\n".join(copies) + b"\n</PubmedArticleSet>\n")
    records = [r for r in iter_pubmed_xml(path) if isinstance(r, ArticleRecord)]
    assert len(records) == 400
    assert all(record.raw_xml == body for record in records)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            (b"<PubmedArticleSet>", b'<PubmedArticleSet xmlns:x="urn:example">'),
            id="namespace-on-the-root",
        ),
        pytest.param(
            (b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="ISO-8859-1"?>'),
            id="not-utf8",
        ),
        pytest.param(
            (b"<PubmedArticleSet>", b"<PubmedArticleSet><!-- <PubmedArticle> -->"),
            id="a-comment-that-looks-like-a-record",
        ),
    ],
)
def test_where_the_bytes_cannot_be_trusted_the_element_is_serialised(
    change: tuple[bytes, bytes],
) -> None:
    data = TWO.read_bytes()
    assert change[0] in data
    changed = data.replace(change[0], change[1], 1)
    records, expected = _articles(changed), _articles(data)
    assert [r.pmid for r in records] == [r.pmid for r in expected]
    for record in records:
        assert b"<!--" not in record.raw_xml
        assert parse_pubmed_xml(record.raw_xml) == [record]


def test_processing_instructions_inside_records_are_kept() -> None:
    """PubMed puts ``<?pmcsd ?>`` into ordinary records (the bulk files have many)."""
    data = TWO.read_bytes().replace(b"</PubmedData>", b"<?pmcsd ?>\n</PubmedData>")
    sent = [match[0] for match in _RECORD.finditer(data)]
    assert all(b"<?pmcsd ?>" in record for record in sent)
    assert [record.raw_xml for record in _articles(data)] == sent
