"""Plain, immutable records read from PubMed XML.

They carry no database or XML objects, so the harvester can fetch and parse first
and write everything afterwards in one short transaction. A value PubMed does not
give is ``None`` (or an empty tuple), never ``""``.

The parts of a record (authors, MeSH headings, ...) are named tuples: a record has
dozens of them, and a named tuple is built in less than half the time of a frozen
dataclass, which matters at 100,000 records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

RETRACTED_PUBLICATION = "Retracted Publication"
RETRACTION_IN = "RetractionIn"
RETRACTION_OF = "RetractionOf"  # a retraction notice names what it retracts


class Author(NamedTuple):
    """One ``<Author>``: a person (names) or a group (``collective_name``)."""

    last_name: str | None = None
    fore_name: str | None = None
    initials: str | None = None
    collective_name: str | None = None
    affiliations: tuple[str, ...] = ()
    orcid: str | None = None


class AbstractSection(NamedTuple):
    """One ``<AbstractText>``; ``label`` is what PubMed shows, ``nlm_category`` its class."""

    label: str | None
    nlm_category: str | None
    text: str | None


class MeshQualifier(NamedTuple):
    name: str
    ui: str | None
    major_topic: bool


class MeshHeading(NamedTuple):
    descriptor: str
    descriptor_ui: str | None
    major_topic: bool
    qualifiers: tuple[MeshQualifier, ...] = ()


class PublicationType(NamedTuple):
    name: str
    ui: str | None = None


class CommentCorrection(NamedTuple):
    """A link to another record: ``CommentIn``, ``ErratumIn``, ``RetractionIn``, ..."""

    ref_type: str
    pmid: str | None
    source: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleRecord:
    """One ``PubmedArticle``, ``PubmedBookArticle`` or legacy ``MedlineCitation``.

    ``raw_xml`` is that one record serialised on its own, so it can be stored and
    parsed again later (``parse_pubmed_xml(record.raw_xml)``). For a book record
    ``journal`` holds the book title, the nearest thing to a journal it has.
    """

    pmid: str
    pmid_version: int = 1
    doi: str | None = None
    pmcid: str | None = None
    pii: str | None = None
    title: str | None = None
    vernacular_title: str | None = None
    abstract_sections: tuple[AbstractSection, ...] = ()
    authors: tuple[Author, ...] = ()
    journal: str | None = None
    journal_abbrev: str | None = None
    issn: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    elocation: str | None = None
    year: int | None = None
    pub_date_text: str | None = None
    language: str | None = None
    languages: tuple[str, ...] = ()
    publication_types: tuple[PublicationType, ...] = ()
    mesh_headings: tuple[MeshHeading, ...] = ()
    keywords: tuple[str, ...] = ()
    comments_corrections: tuple[CommentCorrection, ...] = ()
    is_book: bool = False
    status: str | None = None
    raw_xml: bytes = b""

    @property
    def abstract(self) -> str | None:
        """The sections joined by a blank line, each labelled section as ``LABEL: text``."""
        parts = [
            f"{section.label}: {section.text}" if section.label else section.text
            for section in self.abstract_sections
            if section.text is not None
        ]
        return "\n\n".join(parts) if parts else None

    @property
    def is_retracted(self) -> bool:
        """Flagged as retracted by its publication type or by a ``RetractionIn`` link."""
        return any(pt.name == RETRACTED_PUBLICATION for pt in self.publication_types) or any(
            link.ref_type == RETRACTION_IN for link in self.comments_corrections
        )


@dataclass(frozen=True, slots=True)
class Deletion:
    """A PMID listed in ``<DeleteCitation>``: the consumer must drop that record."""

    pmid: str
