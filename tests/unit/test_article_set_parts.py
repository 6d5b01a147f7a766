"""A PubmedArticleSet cut into whole documents whose records, parsed part by part and
put together, are the set's own: the same fields, the same raw bytes, the same order."""

from __future__ import annotations

import lzma
import os
from pathlib import Path

import pytest

from evidence.pubmed.article_set_parts import article_set_parts
from evidence.pubmed.records import Deletion
from evidence.pubmed.xml_parser import parse_pubmed_xml

PUBMED_XML = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "pubmed-xml"
BULK = PUBMED_XML / "bulk" / "pubmed21n1298.xml.xz"

pytestmark = pytest.mark.skipif(
    not PUBMED_XML.is_dir() and not os.environ.get("CI"), reason=f"no fixtures at {PUBMED_XML}"
)


def _article_sets() -> list[Path]:
    """Every fixture that is a PubmedArticleSet of two records or more."""
    if not PUBMED_XML.is_dir():
        return []
    return sorted(
        path
        for path in PUBMED_XML.rglob("*.xml")
        if b"<PubmedArticleSet" in (data := path.read_bytes())
        and data.count(b"</PubmedArticle>") + data.count(b"</PubmedBookArticle>") > 1
    )


ARTICLE_SETS = _article_sets()


def _parsed_in_parts(parts: list[bytes]) -> list[object]:
    return [record for part in parts for record in parse_pubmed_xml(part)]


@pytest.mark.parametrize(
    "path", ARTICLE_SETS, ids=[str(p.relative_to(PUBMED_XML)) for p in ARTICLE_SETS]
)
def test_every_fixture_set_parses_the_same_in_two_parts(path: Path) -> None:
    body = path.read_bytes()
    parts = article_set_parts(body, 2)
    assert parts is not None and len(parts) == 2
    assert _parsed_in_parts(parts) == parse_pubmed_xml(body)


@pytest.fixture(scope="module")
def update_file_sample() -> bytes:
    """The update file's first 600 records and its deletions, which come last."""
    data = lzma.decompress(BULK.read_bytes())
    first = data.index(b"<PubmedArticle>")
    cut = first
    for _ in range(600):
        cut = data.index(b"</PubmedArticle>", cut) + len(b"</PubmedArticle>")
    return data[:cut] + data[data.rindex(b"</PubmedArticle>") + len(b"</PubmedArticle>") :]


@pytest.mark.parametrize("count", [2, 3, 8])
def test_the_update_file_parses_the_same_in_parts_of_about_equal_size(
    update_file_sample: bytes, count: int
) -> None:
    body = update_file_sample
    whole = parse_pubmed_xml(body)
    assert isinstance(whole[-1], Deletion) and len(whole) > 600
    parts = article_set_parts(body, count)
    assert parts is not None and len(parts) == count
    assert _parsed_in_parts(parts) == whole
    sizes = [len(part) for part in parts]
    assert max(sizes) - min(sizes) < 0.05 * len(body)


HEAD = b'<?xml version="1.0" ?>\n<PubmedArticleSet>\n'
ONE = b"<PubmedArticle>one</PubmedArticle>\n"
TWO = b"<PubmedArticle>two</PubmedArticle>\n"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(HEAD + ONE + b"</PubmedArticleSet>\n", id="one-record"),
        pytest.param(b'<?xml version="1.0" ?>\n<PubmedArticleSet/>\n', id="an-empty-set"),
        pytest.param(HEAD + ONE + TWO, id="cut-short"),
        pytest.param(b"<eSearchResult><Count>2</Count></eSearchResult>", id="not-a-set"),
    ],
)
def test_what_cannot_be_cut_in_two_is_left_whole(body: bytes) -> None:
    assert article_set_parts(body, 2) is None


def test_a_part_repeats_the_head_and_ends_the_set() -> None:
    body = HEAD + ONE + TWO + b"</PubmedArticleSet>\n"
    assert article_set_parts(body, 2) == [
        HEAD + ONE.rstrip() + b"</PubmedArticleSet>",
        HEAD + TWO + b"</PubmedArticleSet>\n",
    ]


def test_more_parts_than_records_gives_one_part_a_record() -> None:
    body = HEAD + ONE + TWO + b"</PubmedArticleSet>\n"
    parts = article_set_parts(body, 5)
    assert parts is not None and [part.count(b"</PubmedArticle>") for part in parts] == [1, 1]
