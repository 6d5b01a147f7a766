"""Stream PubMed XML into plain records.

Reads EFetch answers (``PubmedArticleSet``), baseline and update files (plain, gzip
or xz) and the pre-2017 ``MedlineCitationSet`` format with ``lxml.etree.iterparse``.
Each record element becomes an :class:`ArticleRecord` (or one :class:`Deletion` per
PMID of a ``<DeleteCitation>``); the element is then cleared and unlinked from the
tree together with everything before it, so memory stays flat for a 1 GB file.
Each record's ``raw_xml`` is its bytes as they were read (``evidence.pubmed.xml_raw``).
Reference lists, which no field is read from, are left out of what lxml parses
(``evidence.pubmed.reference_lists``).

The parser never touches the network and never loads a DTD: PubMed's DTDs add no
entities we need, and a file from NCBI must not make us fetch anything.

Example::

    for record in iter_pubmed_xml("pubmed25n0001.xml.gz"):
        if isinstance(record, Deletion):
            ...
"""

from __future__ import annotations

import gzip
import io
import lzma
import os
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import IO, TypeAlias

from lxml import etree

from evidence.errors import MalformedXml, ParseError
from evidence.pubmed.records import (
    ArticleRecord,
    Deletion,
)
from evidence.pubmed.reference_lists import WithoutReferenceLists
from evidence.pubmed.xml_fields import (
    NOTHING,
    child_map,
    element_text,
    first_child,
    parse_abstract_sections,
    parse_article_ids,
    parse_authors,
    parse_comments_corrections,
    parse_deleted_pmids,
    parse_elocation,
    parse_elocation_doi,
    parse_journal,
    parse_keywords,
    parse_languages,
    parse_mesh_headings,
    parse_other_pmcid,
    parse_pages,
    parse_pmid_version,
    parse_pub_date,
    parse_publication_types,
)
from evidence.pubmed.xml_raw import RecordBytes

Element: TypeAlias = etree._Element
Source: TypeAlias = str | os.PathLike[str] | bytes | IO[bytes]
_Stream: TypeAlias = IO[bytes] | io.BufferedIOBase
Record: TypeAlias = ArticleRecord | Deletion
RawCut: TypeAlias = Callable[[str, str], bytes | None]

# MedlineCitation is a record only at the top of a legacy MedlineCitationSet (or of
# a re-parsed raw_xml); inside a PubmedArticle it is skipped and left intact.
_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation", "MedlineCitation")
_PUBMED_ROOTS = frozenset({"PubmedArticleSet", "MedlineCitationSet", *_RECORD_TAGS})
_GZIP_MAGIC = b"\x1f\x8b"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_DECOMPRESSION_ERRORS = (EOFError, gzip.BadGzipFile, lzma.LZMAError, zlib.error)
_LXML_POSITION = re.compile(r",? line \d+, column \d+$")


class _RecordError(Exception):
    """A well-formed element that cannot be a record (no PMID)."""


# ---------------------------------------------------------------- entry points


def iter_pubmed_xml(source: Source, *, name: str | None = None) -> Iterator[Record]:
    """Yield an ArticleRecord or Deletion for each record of a PubMed XML document.

    ``source`` is a path (plain, ``.gz`` or ``.xz``; compression is recognised by its
    magic bytes), a binary file object or the bytes themselves. ``name`` is used in
    error messages instead of the path. Raises :class:`ParseError` for XML that is
    malformed, truncated or not PubMed XML; records before the fault are yielded first.
    """
    label = name or _describe(source)
    with ExitStack() as stack:
        stream = _open_stream(source, stack)
        yield from _parse_stream(stream, label)


def parse_pubmed_xml(data: bytes, *, name: str | None = None) -> list[Record]:
    """Parse a whole document held in memory (an EFetch answer, a stored raw_xml)."""
    return list(iter_pubmed_xml(data, name=name))


# ---------------------------------------------------------------- streaming


def _describe(source: Source) -> str:
    if isinstance(source, bytes):
        return "<bytes>"
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


def _open_stream(source: Source, stack: ExitStack) -> _Stream:
    if isinstance(source, bytes):
        return _decompressed(io.BytesIO(source), stack)
    if isinstance(source, (str, os.PathLike)):
        return _decompressed(stack.enter_context(open(source, "rb")), stack)
    return _decompressed(source, stack)


def _decompressed(raw: IO[bytes], stack: ExitStack) -> _Stream:
    # A stream we cannot rewind (an HTTP body) is taken to be plain XML.
    if not raw.seekable():
        return raw
    start = raw.tell()
    head = raw.read(len(_XZ_MAGIC))
    raw.seek(start)
    if head.startswith(_GZIP_MAGIC):
        return stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
    if head.startswith(_XZ_MAGIC):
        return stack.enter_context(lzma.LZMAFile(raw))
    return raw


def _parse_stream(stream: _Stream, label: str) -> Iterator[Record]:
    last_pmid: str | None = None
    tee = RecordBytes(stream)
    try:
        for element in _record_elements(tee, label):
            for record in _records(element, tee.cut):
                last_pmid = record.pmid
                yield record
    except etree.XMLSyntaxError as exc:
        raise MalformedXml(_syntax_message(label, exc, last_pmid)) from exc
    except _DECOMPRESSION_ERRORS as exc:
        message = f"{label}: corrupt or truncated compressed data ({exc}){_after(last_pmid)}"
        raise ParseError(message) from exc
    except _RecordError as exc:
        raise ParseError(f"{label}: {exc}{_after(last_pmid)}") from exc


def _record_elements(stream: RecordBytes, label: str) -> Iterator[Element]:
    """Each record element in turn, released (cleared, unlinked) once the next is asked for."""
    events = etree.iterparse(
        WithoutReferenceLists(stream),
        events=("end",),
        tag=_RECORD_TAGS,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )
    for _, element in events:
        if element.tag == "MedlineCitation" and _inside_article(element):
            continue
        yield element
        _release(element)
    _check_root(events.root, label)


def _inside_article(element: Element) -> bool:
    parent = element.getparent()
    return parent is not None and parent.tag == "PubmedArticle"


def _records(element: Element, cut: RawCut | None) -> list[Record]:
    if element.tag == "DeleteCitation":
        return [Deletion(pmid) for pmid in parse_deleted_pmids(element)]
    if element.tag == "PubmedBookArticle":
        return [parse_book_article(element, cut)]
    return [parse_article(element, cut)]


def _release(element: Element) -> None:
    # clear() empties the record; deleting the earlier siblings drops the empty
    # shells the root would otherwise keep, one per record.
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _after(last_pmid: str | None) -> str:
    return f"; last good record: PMID {last_pmid}" if last_pmid else "; before the first record"


def _syntax_message(label: str, exc: etree.XMLSyntaxError, last_pmid: str | None) -> str:
    reason = _LXML_POSITION.sub("", (exc.msg or "malformed XML").replace("\n", " ").strip())
    return f"{label}: not well-formed XML at line {exc.lineno}: {reason}{_after(last_pmid)}"


def _check_root(root: Element | None, label: str) -> None:
    if root is None or root.tag in _PUBMED_ROOTS:
        return
    error = element_text(root.find("ERROR"))
    detail = f": {error}" if error else ""
    raise ParseError(
        f"{label}: not PubMed XML (root element <{etree.QName(root).localname}>){detail}"
    )


# ---------------------------------------------------------------- record assembly
#
# Each container is indexed once ({tag: child}) and every field is then read from
# its own element: one pass over the children is several times cheaper than an
# ElementPath find() per field, and this code runs for every record of a 1 GB file.


def parse_article(element: Element, cut: RawCut | None = None) -> ArticleRecord:
    """Read a ``PubmedArticle`` or a legacy top-level ``MedlineCitation``.

    ``cut(tag, pmid)`` gives the record's bytes as read (see ``xml_raw``); without
    it, or when it gives None, ``raw_xml`` is the element serialised again."""
    if element.tag == "MedlineCitation":
        citation, pubmed_data = element, None
    else:
        top = child_map(element)
        citation, pubmed_data = top.get("MedlineCitation", NOTHING), top.get("PubmedData")
    parts = child_map(citation)
    article = parts.get("Article", NOTHING)
    fields = child_map(article)
    journal = parse_journal(fields.get("Journal"))
    ids = parse_article_ids(first_child(pubmed_data, "ArticleIdList"))
    languages = parse_languages(article)
    pmid = _require_pmid(parts.get("PMID"), element)
    return ArticleRecord(
        pmid=pmid,
        pmid_version=parse_pmid_version(parts.get("PMID")),
        doi=ids.get("doi") or parse_elocation_doi(article),
        pmcid=ids.get("pmc") or parse_other_pmcid(citation),
        pii=ids.get("pii"),
        title=element_text(fields.get("ArticleTitle")),
        vernacular_title=element_text(fields.get("VernacularTitle")),
        abstract_sections=parse_abstract_sections(fields.get("Abstract")),
        authors=parse_authors(article),
        journal=journal.title,
        journal_abbrev=journal.abbrev,
        issn=journal.issn,
        volume=journal.volume,
        issue=journal.issue,
        pages=parse_pages(fields.get("Pagination")),
        elocation=parse_elocation(article),
        year=journal.year,
        pub_date_text=journal.pub_date_text,
        language=languages[0] if languages else None,
        languages=languages,
        publication_types=parse_publication_types(fields.get("PublicationTypeList", NOTHING)),
        mesh_headings=parse_mesh_headings(parts.get("MeshHeadingList")),
        keywords=parse_keywords(citation),
        comments_corrections=parse_comments_corrections(parts.get("CommentsCorrectionsList")),
        status=citation.get("Status") or None,
        raw_xml=_raw(element, pmid, cut),
    )


def parse_book_article(element: Element, cut: RawCut | None = None) -> ArticleRecord:
    """Read a ``PubmedBookArticle``: a book or a chapter (GeneReviews and the like).

    The ``BookDocument`` holds what an ``Article`` holds and the ``Book`` stands in
    for the journal. A record for a whole book has no ArticleTitle: its title is
    the book title.
    """
    document = first_child(element, "BookDocument")
    if document is None:
        document = NOTHING
    parts = child_map(document)
    book_element = parts.get("Book", NOTHING)
    book = child_map(book_element)
    book_title = element_text(book.get("BookTitle"))
    ids = parse_article_ids(parts.get("ArticleIdList"))
    year, date_text = parse_pub_date(book.get("PubDate"))
    languages = parse_languages(document)
    pmid = _require_pmid(parts.get("PMID"), element)
    return ArticleRecord(
        pmid=pmid,
        pmid_version=parse_pmid_version(parts.get("PMID")),
        doi=ids.get("doi") or parse_elocation_doi(book_element),
        pmcid=ids.get("pmc"),
        pii=ids.get("pii"),
        title=element_text(parts.get("ArticleTitle")) or book_title,
        vernacular_title=element_text(parts.get("VernacularTitle")),
        abstract_sections=parse_abstract_sections(parts.get("Abstract")),
        authors=parse_authors(document),
        journal=book_title,
        volume=element_text(book.get("Volume")),
        pages=parse_pages(parts.get("Pagination")),
        elocation=parse_elocation(book_element),
        year=year,
        pub_date_text=date_text,
        language=languages[0] if languages else None,
        languages=languages,
        publication_types=parse_publication_types(document),
        keywords=parse_keywords(document),
        is_book=True,
        raw_xml=_raw(element, pmid, cut),
    )


def _raw(element: Element, pmid: str, cut: RawCut | None) -> bytes:
    raw = cut(str(element.tag), pmid) if cut is not None else None
    return raw if raw is not None else _serialise(element)


def _serialise(element: Element) -> bytes:
    # UTF-8 rather than lxml's ASCII default: shorter for non-English records, and
    # faster. No declaration and no tail, so the bytes are the element alone.
    return etree.tostring(element, encoding="utf-8", xml_declaration=False, with_tail=False)


def _require_pmid(pmid: Element | None, record: Element) -> str:
    value = element_text(pmid)
    if value is None:
        tag = etree.QName(record).localname
        raise _RecordError(f"<{tag}> without a PMID at line {record.sourceline}")
    return value.strip()
