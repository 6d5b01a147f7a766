"""Reference lists are left out of what lxml parses, and nothing else changes."""

from __future__ import annotations

import io

import pytest
from lxml import etree

from evidence.errors import MalformedXml
from evidence.pubmed.reference_lists import WithoutReferenceLists
from evidence.pubmed.xml_parser import iter_pubmed_xml, parse_pubmed_xml
from tests.conftest import SHARED

FIXTURES = SHARED / "fixtures" / "pubmed-xml"
WITH_REFERENCES = FIXTURES / "metapub-0.7.5" / "pmid_xml" / "38147649.xml"

DROPPED = [
    # one list over three lines
    b"<ReferenceList>\n<Reference><Citation>A.</Citation></Reference>\n</ReferenceList>",
    # a list holding another
    b"<ReferenceList><Title>x</Title><ReferenceList><Reference/></ReferenceList>"
    b"<Reference><Citation>B?</Citation></Reference></ReferenceList>",
]
KEPT = [
    b"<ReferenceList><!-- </ReferenceList> --></ReferenceList>",  # a comment could hide a tag
    b"<ReferenceList><Citation><?pi x?></Citation></ReferenceList>",  # so could a PI
    b"<ReferenceList><Citation><![CDATA[<x>]]></Citation></ReferenceList>",
    b"<ReferenceList><ReferenceList Type='cited'/></ReferenceList>",  # a tag not counted
    b"<ReferenceList><Citation>\xc3(</Citation></ReferenceList>",  # not UTF-8
    b"<ReferenceList/>",  # empty: nothing to gain
]


def _document() -> bytes:
    parts = [b"<?xml version='1.0'?>\n<PubmedArticleSet>\n"]
    for index, listed in enumerate(DROPPED + KEPT):
        parts.append(
            b"<PubmedArticle><MedlineCitation><PMID>%d</PMID></MedlineCitation>"
            b"<PubmedData>%s</PubmedData></PubmedArticle>\n" % (index, listed)
        )
    return b"".join(parts) + b"</PubmedArticleSet>\n"


class _Trickle(io.RawIOBase):
    """A stream that gives at most ``step`` bytes a read, as a socket may."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._step, self._at = data, step, 0

    def read(self, size: int = -1) -> bytes:
        end = self._at + (self._step if size < 0 else min(size, self._step))
        chunk, self._at = self._data[self._at : end], min(end, len(self._data))
        return chunk


def _read_all(stream: WithoutReferenceLists, size: int) -> bytes:
    parts = []
    while chunk := stream.read(size):
        parts.append(chunk)
    return b"".join(parts)


@pytest.mark.parametrize("step", [1, 5, 16, 17, 1000, 1 << 20])
@pytest.mark.parametrize("size", [1, 32768, -1])
def test_lists_are_dropped_whatever_the_reads_and_the_rest_is_handed_on_as_is(
    step: int, size: int
) -> None:
    document = _document()
    expected = document
    for listed in DROPPED:
        expected = expected.replace(listed, b"\n" * listed.count(b"\n"))

    filtered = WithoutReferenceLists(_Trickle(document, step))

    assert _read_all(filtered, size) == expected  # every list of KEPT as it was
    assert filtered.dropped == len(document) - len(expected)


def test_a_real_records_lists_are_left_out_of_the_parse_and_kept_in_raw_xml() -> None:
    data = WITH_REFERENCES.read_bytes()
    assert b"<ReferenceList>" in data
    filtered = WithoutReferenceLists(io.BytesIO(data))
    kept = _read_all(filtered, 32768)
    assert filtered.dropped > len(data) / 4
    assert b"<ReferenceList>" not in kept
    etree.fromstring(kept)  # still well-formed

    (record,) = parse_pubmed_xml(data)
    assert record.raw_xml.count(b"<ReferenceList>") == data.count(b"<ReferenceList>")


def test_an_answer_cut_inside_a_reference_list_is_refused() -> None:
    data = WITH_REFERENCES.read_bytes()
    cut = data[: data.index(b"</Reference>") + 3]
    with pytest.raises(MalformedXml, match=r"^efetch batch 2: not well-formed XML at line \d+"):
        parse_pubmed_xml(cut, name="efetch batch 2")


def test_errors_after_a_dropped_list_name_the_line_as_in_the_file() -> None:
    document = _document().replace(b"<PMID>1</PMID>", b"<PMID>1</PMID><Bad>\n</Worse>")
    assert DROPPED[0].count(b"\n") == 2  # record 0's list, dropped, spans lines
    line = document[: document.index(b"</Worse>")].count(b"\n") + 1
    with pytest.raises(MalformedXml, match=rf"at line {line}:"):
        list(iter_pubmed_xml(document))


@pytest.mark.parametrize("step", [1, 7, 1 << 20])
def test_from_markup_left_open_before_a_list_on_nothing_is_left_out(step: int) -> None:
    """A list tag inside a comment is no list: the comment is still open where the tag
    is, so that and every later list are handed on as they are."""
    document = (
        b"<PubmedArticleSet><!-- an old copy: <ReferenceList><Reference/></ReferenceList> -->"
        + b"".join(b"<X>%s</X>" % listed for listed in DROPPED)
        + b"</PubmedArticleSet>"
    )
    filtered = WithoutReferenceLists(_Trickle(document, step))
    assert _read_all(filtered, 32768) == document
    assert filtered.dropped == 0
