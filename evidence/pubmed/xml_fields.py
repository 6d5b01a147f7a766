"""One small function per field of a PubMed record: element in, plain value out.

Used by ``evidence.pubmed.xml_parser``, which streams the records and assembles
them; every function here returns ``None`` (or an empty tuple) for a missing value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, TypeAlias

from lxml import etree

from evidence.pubmed.records import (
    AbstractSection,
    Author,
    CommentCorrection,
    MeshHeading,
    MeshQualifier,
    PublicationType,
)

Element: TypeAlias = etree._Element

_YEAR = re.compile(r"\d{4}")
_ORCID_URL = re.compile(r"^\s*https?://(?:www\.)?orcid\.org/", re.IGNORECASE)

# Stands in for a missing container so that lookups on it simply find nothing.
NOTHING = etree.Element("nothing")


class JournalInfo(NamedTuple):
    """What ``parse_journal`` reads from ``Article/Journal``."""

    title: str | None
    abbrev: str | None
    issn: str | None
    volume: str | None
    issue: str | None
    year: int | None
    pub_date_text: str | None


# ---------------------------------------------------------------- small helpers


def child_map(element: Element) -> dict[object, Element]:
    """The element's children by tag (the last one where a tag repeats)."""
    return {child.tag: child for child in element}


def first_child(element: Element | None, tag: str) -> Element | None:
    if element is not None:
        for child in element.iterchildren(tag):
            return child
    return None


def element_text(element: Element | None) -> str | None:
    """The text content with inline markup (``<i>``, ``<sup>``, MathML) reduced to text.

    Whitespace is kept as PubMed has it; an empty or blank value is ``None``.
    """
    if element is None:
        return None
    text = element.text if len(element) == 0 else "".join(element.itertext())
    return text if text and not text.isspace() else None


def _texts(elements: Iterable[Element]) -> tuple[str, ...]:
    return tuple(text for text in map(element_text, elements) if text is not None)


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
            value = element_text(location)
            if value is not None:
                return value.strip()
    return None


def parse_elocation(container: Element) -> str | None:
    """The electronic location standing for pages (``e0123456``); DOIs have their field."""
    for location in container.iterchildren("ELocationID"):
        if location.get("EIdType") != "doi":
            value = element_text(location)
            if value is not None:
                return value.strip()
    return None


def parse_other_pmcid(citation: Element) -> str | None:
    """The PMCID that legacy MEDLINE files give as ``OtherID Source="NLM"``.

    The value may carry a note ("PMC4567890 [Available on 2017-01-01]").
    """
    for other in citation.iterchildren("OtherID"):
        value = element_text(other)
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
            text=element_text(part),
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
            if (affiliation := element_text(node)) is not None:
                draft.affiliations.append(affiliation)
        elif tag == "CollectiveName":
            draft.collective_name = element_text(node)
        # an Identifier; an ORCID misfiled under AffiliationInfo is still this author's
        elif draft.orcid is None and node.get("Source") == "ORCID":
            draft.orcid = parse_orcid(node)
    return drafts


def parse_orcid(identifier: Element) -> str | None:
    """The bare ORCID iD; PubMed gives it with or without the orcid.org URL."""
    value = element_text(identifier)
    if value is None:
        return None
    return _ORCID_URL.sub("", value).strip() or None


def parse_journal(journal: Element | None) -> JournalInfo:
    """Title, ISO abbreviation, ISSN, volume, issue and date of ``Article/Journal``."""
    if journal is None:
        return JournalInfo(None, None, None, None, None, None, None)
    parts = child_map(journal)
    issue = child_map(parts.get("JournalIssue", NOTHING))
    year, date_text = parse_pub_date(issue.get("PubDate"))
    return JournalInfo(
        title=element_text(parts.get("Title")),
        abbrev=element_text(parts.get("ISOAbbreviation")),
        issn=element_text(parts.get("ISSN")),
        volume=element_text(issue.get("Volume")),
        issue=element_text(issue.get("Issue")),
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
    parts = child_map(pagination)
    medline_pages = element_text(parts.get("MedlinePgn"))
    if medline_pages is not None:
        return medline_pages
    start, end = element_text(parts.get("StartPage")), element_text(parts.get("EndPage"))
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
            parts = child_map(link)
            pmid = element_text(parts.get("PMID"))
            source = element_text(parts.get("RefSource"))
            found.append(CommentCorrection(ref_type, pmid.strip() if pmid else None, source))
    return tuple(found)


def parse_deleted_pmids(delete_citation: Element) -> tuple[str, ...]:
    """The PMIDs a ``DeleteCitation`` withdraws."""
    return tuple(pmid.strip() for pmid in _texts(delete_citation.iterchildren("PMID")))
