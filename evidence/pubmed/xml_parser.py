"""Stream PubMed XML into plain records.

Reads EFetch answers (``PubmedArticleSet``), baseline and update files (plain, gzip
or xz) and the pre-2017 ``MedlineCitationSet`` format with ``lxml.etree.iterparse``.
Each record element becomes an :class:`ArticleRecord` (or one :class:`Deletion` per
PMID of a ``<DeleteCitation>``); the element is then cleared and unlinked from the
tree together with everything before it, so memory stays flat for a 1 GB file.

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
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, NamedTuple, TypeAlias

from lxml import etree

from evidence.errors import ParseError
from evidence.pubmed.records import (
    AbstractSection,
    ArticleRecord,
    Author,
    CommentCorrection,
    Deletion,
    MeshHeading,
    MeshQualifier,
    PublicationType,
)

Element: TypeAlias = etree._Element
Source: TypeAlias = str | os.PathLike[str] | bytes | IO[bytes]
_Stream: TypeAlias = IO[bytes] | io.BufferedIOBase
Record: TypeAlias = ArticleRecord | Deletion

# MedlineCitation is a record only at the top of a legacy MedlineCitationSet (or of
# a re-parsed raw_xml); inside a PubmedArticle it is skipped and left intact.
_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation", "MedlineCitation")
_PUBMED_ROOTS = frozenset({"PubmedArticleSet", "MedlineCitationSet", *_RECORD_TAGS})
_GZIP_MAGIC = b"\x1f\x8b"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_DECOMPRESSION_ERRORS = (EOFError, gzip.BadGzipFile, lzma.LZMAError, zlib.error)
_YEAR = re.compile(r"\d{4}")
_ORCID_URL = re.compile(r"^\s*https?://(?:www\.)?orcid\.org/", re.IGNORECASE)
_LXML_POSITION = re.compile(r",? line \d+, column \d+$")

# Stands in for a missing container so that lookups on it simply find nothing.
_NOTHING = etree.Element("nothing")


class _RecordError(Exception):
    """A well-formed element that cannot be a record (no PMID)."""


class JournalInfo(NamedTuple):
    """What ``parse_journal`` reads from ``Article/Journal``."""

    title: str | None
    abbrev: str | None
    issn: str | None
    volume: str | None
    issue: str | None
    year: int | None
    pub_date_text: str | None


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
    try:
        for element in _record_elements(stream, label):
            for record in _records(element):
                last_pmid = record.pmid
                yield record
    except etree.XMLSyntaxError as exc:
        raise ParseError(_syntax_message(label, exc, last_pmid)) from exc
    except _DECOMPRESSION_ERRORS as exc:
        message = f"{label}: corrupt or truncated compressed data ({exc}){_after(last_pmid)}"
        raise ParseError(message) from exc
    except _RecordError as exc:
        raise ParseError(f"{label}: {exc}{_after(last_pmid)}") from exc


def _record_elements(stream: _Stream, label: str) -> Iterator[Element]:
    """Each record element in turn, released (cleared, unlinked) once the next is asked for."""
    events = etree.iterparse(
        stream,
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


def _records(element: Element) -> list[Record]:
    if element.tag == "DeleteCitation":
        return [Deletion(pmid) for pmid in parse_deleted_pmids(element)]
    if element.tag == "PubmedBookArticle":
        return [parse_book_article(element)]
    return [parse_article(element)]


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
    error = _text(root.find("ERROR"))
    detail = f": {error}" if error else ""
    raise ParseError(
        f"{label}: not PubMed XML (root element <{etree.QName(root).localname}>){detail}"
    )


# ---------------------------------------------------------------- record assembly
#
# Each container is indexed once ({tag: child}) and every field is then read from
# its own element: one pass over the children is several times cheaper than an
# ElementPath find() per field, and this code runs for every record of a 1 GB file.


def parse_article(element: Element) -> ArticleRecord:
    """Read a ``PubmedArticle`` or a legacy top-level ``MedlineCitation``."""
    if element.tag == "MedlineCitation":
        citation, pubmed_data = element, None
    else:
        top = _children(element)
        citation, pubmed_data = top.get("MedlineCitation", _NOTHING), top.get("PubmedData")
    parts = _children(citation)
    article = parts.get("Article", _NOTHING)
    fields = _children(article)
    journal = parse_journal(fields.get("Journal"))
    ids = parse_article_ids(_first(pubmed_data, "ArticleIdList"))
    languages = parse_languages(article)
    return ArticleRecord(
        pmid=_require_pmid(parts.get("PMID"), element),
        pmid_version=parse_pmid_version(parts.get("PMID")),
        doi=ids.get("doi") or parse_elocation_doi(article),
        pmcid=ids.get("pmc") or parse_other_pmcid(citation),
        pii=ids.get("pii"),
        title=_text(fields.get("ArticleTitle")),
        vernacular_title=_text(fields.get("VernacularTitle")),
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
        publication_types=parse_publication_types(fields.get("PublicationTypeList", _NOTHING)),
        mesh_headings=parse_mesh_headings(parts.get("MeshHeadingList")),
        keywords=parse_keywords(citation),
        comments_corrections=parse_comments_corrections(parts.get("CommentsCorrectionsList")),
        status=citation.get("Status") or None,
        raw_xml=_serialise(element),
    )


def parse_book_article(element: Element) -> ArticleRecord:
    """Read a ``PubmedBookArticle``: a book or a chapter (GeneReviews and the like).

    The ``BookDocument`` holds what an ``Article`` holds and the ``Book`` stands in
    for the journal. A record for a whole book has no ArticleTitle: its title is
    the book title.
    """
    document = _first(element, "BookDocument")
    if document is None:
        document = _NOTHING
    parts = _children(document)
    book_element = parts.get("Book", _NOTHING)
    book = _children(book_element)
    book_title = _text(book.get("BookTitle"))
    ids = parse_article_ids(parts.get("ArticleIdList"))
    year, date_text = parse_pub_date(book.get("PubDate"))
    languages = parse_languages(document)
    return ArticleRecord(
        pmid=_require_pmid(parts.get("PMID"), element),
        pmid_version=parse_pmid_version(parts.get("PMID")),
        doi=ids.get("doi") or parse_elocation_doi(book_element),
        pmcid=ids.get("pmc"),
        pii=ids.get("pii"),
        title=_text(parts.get("ArticleTitle")) or book_title,
        vernacular_title=_text(parts.get("VernacularTitle")),
        abstract_sections=parse_abstract_sections(parts.get("Abstract")),
        authors=parse_authors(document),
        journal=book_title,
        volume=_text(book.get("Volume")),
        pages=parse_pages(parts.get("Pagination")),
        elocation=parse_elocation(book_element),
        year=year,
        pub_date_text=date_text,
        language=languages[0] if languages else None,
        languages=languages,
        publication_types=parse_publication_types(document),
        keywords=parse_keywords(document),
        is_book=True,
        raw_xml=_serialise(element),
    )


def _serialise(element: Element) -> bytes:
    # UTF-8 rather than lxml's ASCII default: shorter for non-English records, and
    # faster. No declaration and no tail, so the bytes are the element alone.
    return etree.tostring(element, encoding="utf-8", xml_declaration=False, with_tail=False)


def _require_pmid(pmid: Element | None, record: Element) -> str:
    value = _text(pmid)
    if value is None:
        tag = etree.QName(record).localname
        raise _RecordError(f"<{tag}> without a PMID at line {record.sourceline}")
    return value.strip()


# ---------------------------------------------------------------- small helpers


def _children(element: Element) -> dict[object, Element]:
    """The element's children by tag (the last one where a tag repeats)."""
    return {child.tag: child for child in element}


def _first(element: Element | None, tag: str) -> Element | None:
    if element is not None:
        for child in element.iterchildren(tag):
            return child
    return None


def _text(element: Element | None) -> str | None:
    """The text content with inline markup (``<i>``, ``<sup>``, MathML) reduced to text.

    Whitespace is kept as PubMed has it; an empty or blank value is ``None``.
    """
    if element is None:
        return None
    text = element.text if len(element) == 0 else "".join(element.itertext())
    return text if text and not text.isspace() else None


def _texts(elements: Iterable[Element]) -> tuple[str, ...]:
    return tuple(text for text in map(_text, elements) if text is not None)


def _child_texts(element: Element) -> list[str]:
    return [text for child in element if (text := child.text) and not text.isspace()]


def _is_major(element: Element) -> bool:
    return element.get("MajorTopicYN") == "Y"


# ---------------------------------------------------------------- one function per field


def parse_pmid_version(pmid: Element | None) -> int:
    """``PMID/@Version``: above 1 when a publisher replaced a record it had sent."""
    version = pmid.get("Version") if pmid is not None else None
    return int(version) if version and version.isdigit() else 1


def parse_article_ids(id_list: Element | None) -> dict[str, str]:
    """``ArticleIdList`` as ``{IdType: value}`` (doi, pmc, pii, ...), first of each type."""
    ids: dict[str, str] = {}
    if id_list is None:
        return ids
    for article_id in id_list.iterchildren("ArticleId"):
        id_type = article_id.get("IdType")
        value = article_id.text  # identifiers carry no markup
        if id_type and id_type not in ids and value and not value.isspace():
            ids[id_type] = value.strip()
    return ids


def parse_elocation_doi(container: Element) -> str | None:
    """A DOI given as ``ELocationID`` (legacy records have no ArticleIdList)."""
    for location in container.iterchildren("ELocationID"):
        if location.get("EIdType") == "doi" and location.get("ValidYN") != "N":
            value = _text(location)
            if value is not None:
                return value.strip()
    return None


def parse_elocation(container: Element) -> str | None:
    """The electronic location standing for pages (``e0123456``); DOIs have their field."""
    for location in container.iterchildren("ELocationID"):
        if location.get("EIdType") != "doi":
            value = _text(location)
            if value is not None:
                return value.strip()
    return None


def parse_other_pmcid(citation: Element) -> str | None:
    """The PMCID that legacy MEDLINE files give as ``OtherID Source="NLM"``.

    The value may carry a note ("PMC4567890 [Available on 2017-01-01]").
    """
    for other in citation.iterchildren("OtherID"):
        value = _text(other)
        if other.get("Source") == "NLM" and value and value.startswith("PMC"):
            return value.split()[0]
    return None


def parse_abstract_sections(abstract: Element | None) -> tuple[AbstractSection, ...]:
    """The ``AbstractText`` parts of ``Abstract`` (not OtherAbstract, not the copyright)."""
    if abstract is None:
        return ()
    return tuple(
        AbstractSection(
            label=part.get("Label") or None,
            nlm_category=part.get("NlmCategory") or None,
            text=_text(part),
        )
        for part in abstract.iterchildren("AbstractText")
    )


def parse_authors(container: Element) -> tuple[Author, ...]:
    """The authors, persons and groups, in order; a book's editors are left out."""
    drafts: list[_AuthorDraft] = []
    for author_list in container.iterchildren("AuthorList"):
        if author_list.get("Type", "authors") == "authors":
            drafts.extend(_author_drafts(author_list))
    return tuple(draft.freeze() for draft in drafts)


# Affiliation sits in AffiliationInfo since 2014 and directly in Author before.
_AUTHOR_NODES = (
    "Author",
    "LastName",
    "ForeName",
    "Initials",
    "CollectiveName",
    "Affiliation",
    "Identifier",
)


@dataclass(slots=True)
class _AuthorDraft:
    last_name: str | None = None
    fore_name: str | None = None
    initials: str | None = None
    collective_name: str | None = None
    affiliations: list[str] = field(default_factory=list)
    orcid: str | None = None

    def freeze(self) -> Author:
        return Author(
            self.last_name or None,
            self.fore_name or None,
            self.initials or None,
            self.collective_name,
            tuple(self.affiliations),
            self.orcid,
        )


def _author_drafts(author_list: Element) -> list[_AuthorDraft]:
    """Read a whole AuthorList in one filtered pass; each <Author> starts a new draft.

    This runs for every author of every record: one iterator per list rather than
    per author, and plain ``.text`` for the names, which the DTD keeps free of markup.
    """
    drafts: list[_AuthorDraft] = []
    draft = _AuthorDraft()
    for node in author_list.iter(_AUTHOR_NODES):
        tag = node.tag
        if tag == "Author":
            draft = _AuthorDraft()
            drafts.append(draft)
        elif tag == "LastName":
            draft.last_name = node.text
        elif tag == "ForeName":
            draft.fore_name = node.text
        elif tag == "Initials":
            draft.initials = node.text
        elif tag == "Affiliation":
            if (affiliation := _text(node)) is not None:
                draft.affiliations.append(affiliation)
        elif tag == "CollectiveName":
            draft.collective_name = _text(node)
        # an Identifier; an ORCID misfiled under AffiliationInfo is still this author's
        elif draft.orcid is None and node.get("Source") == "ORCID":
            draft.orcid = parse_orcid(node)
    return drafts


def parse_orcid(identifier: Element) -> str | None:
    """The bare ORCID iD; PubMed gives it with or without the orcid.org URL."""
    value = _text(identifier)
    if value is None:
        return None
    return _ORCID_URL.sub("", value).strip() or None


def parse_journal(journal: Element | None) -> JournalInfo:
    """Title, ISO abbreviation, ISSN, volume, issue and date of ``Article/Journal``."""
    if journal is None:
        return JournalInfo(None, None, None, None, None, None, None)
    parts = _children(journal)
    issue = _children(parts.get("JournalIssue", _NOTHING))
    year, date_text = parse_pub_date(issue.get("PubDate"))
    return JournalInfo(
        title=_text(parts.get("Title")),
        abbrev=_text(parts.get("ISOAbbreviation")),
        issn=_text(parts.get("ISSN")),
        volume=_text(issue.get("Volume")),
        issue=_text(issue.get("Issue")),
        year=year,
        pub_date_text=date_text,
    )


def parse_pub_date(pub_date: Element | None) -> tuple[int | None, str | None]:
    """The year and the date as written: "2004 Oct 12", "1990 Spring", "1998 Dec-1999 Jan".

    A ``MedlineDate`` is free text, so its year is the first four-digit number in it.
    """
    if pub_date is None:
        return None, None
    # Year Month Day, Year Season, or a single MedlineDate: never markup inside
    parts = [part.strip() for part in _child_texts(pub_date)]
    if not parts:
        return None, None
    text = " ".join(parts)
    if parts[0][:4].isdigit():  # Year, or a MedlineDate that starts with one
        return int(parts[0][:4]), text
    year = _YEAR.search(text)
    return (int(year.group()) if year else None), text


def parse_pages(pagination: Element | None) -> str | None:
    """``MedlinePgn`` ("1116-1122"), or StartPage-EndPage where only those are given."""
    if pagination is None:
        return None
    parts = _children(pagination)
    medline_pages = _text(parts.get("MedlinePgn"))
    if medline_pages is not None:
        return medline_pages
    start, end = _text(parts.get("StartPage")), _text(parts.get("EndPage"))
    return f"{start}-{end}" if start and end else start


def parse_languages(container: Element) -> tuple[str, ...]:
    """The ``Language`` codes in order; the first is the main one."""
    return tuple(language.strip() for language in _texts(container.iterchildren("Language")))


def parse_publication_types(container: Element) -> tuple[PublicationType, ...]:
    """The ``PublicationType`` children of a PublicationTypeList or a BookDocument."""
    return tuple(
        PublicationType(name, element.get("UI"))
        for element in container.iterchildren("PublicationType")
        if (name := element.text)
    )


def parse_mesh_headings(mesh_list: Element | None) -> tuple[MeshHeading, ...]:
    """``MeshHeadingList``: each descriptor with its qualifiers and major-topic flags."""
    if mesh_list is None:
        return ()
    headings = map(parse_mesh_heading, mesh_list.iterchildren("MeshHeading"))
    return tuple(heading for heading in headings if heading is not None)


def parse_mesh_heading(heading: Element) -> MeshHeading | None:
    """One ``MeshHeading``, in one pass over its children (names are never marked up)."""
    descriptor = None
    qualifiers: list[MeshQualifier] = []
    for child in heading:
        if child.tag == "QualifierName":
            if name := child.text:
                qualifiers.append(MeshQualifier(name, child.get("UI"), _is_major(child)))
        elif child.tag == "DescriptorName":
            descriptor = child
    if descriptor is None or not (name := descriptor.text):
        return None
    return MeshHeading(name, descriptor.get("UI"), _is_major(descriptor), tuple(qualifiers))


def parse_keywords(container: Element) -> tuple[str, ...]:
    """Every ``Keyword`` of every ``KeywordList`` (the author's and NLM's), in order."""
    return _texts(
        keyword
        for keyword_list in container.iterchildren("KeywordList")
        for keyword in keyword_list.iterchildren("Keyword")
    )


def parse_comments_corrections(links: Element | None) -> tuple[CommentCorrection, ...]:
    """``CommentsCorrectionsList``: comments, errata, retractions, updates."""
    if links is None:
        return ()
    found: list[CommentCorrection] = []
    for link in links.iterchildren("CommentsCorrections"):
        ref_type = link.get("RefType")
        if ref_type:
            parts = _children(link)
            pmid = _text(parts.get("PMID"))
            source = _text(parts.get("RefSource"))
            found.append(CommentCorrection(ref_type, pmid.strip() if pmid else None, source))
    return tuple(found)


def parse_deleted_pmids(delete_citation: Element) -> tuple[str, ...]:
    """The PMIDs a ``DeleteCitation`` withdraws."""
    return tuple(pmid.strip() for pmid in _texts(delete_citation.iterchildren("PMID")))
