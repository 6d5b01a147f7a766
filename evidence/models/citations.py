"""Bibliographic records. A citation exists once, whatever found it or cites it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.models.base import Base, UTCDateTime, utcnow


class Citation(Base):
    __tablename__ = "citation"
    __table_args__ = (
        sa.CheckConstraint("year IS NULL OR (year >= 1500 AND year <= 2200)", name="year_range"),
        sa.CheckConstraint("doi IS NULL OR doi = lower(doi)", name="doi_lowercase"),
        sa.Index("ix_citation_title_key_year", "title_key", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Several NULLs are allowed by a UNIQUE constraint on both databases, so a
    # citation without a PMID or DOI needs no partial index.
    pmid: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    doi: Mapped[str | None] = mapped_column(sa.String(500), unique=True)
    pmcid: Mapped[str | None] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.Text)
    vernacular_title: Mapped[str | None] = mapped_column(sa.Text)
    # Free text as PubMed gives it: unbounded, so one long value never stops a harvest.
    journal: Mapped[str | None] = mapped_column(sa.Text)
    journal_abbrev: Mapped[str | None] = mapped_column(sa.Text)
    issn: Mapped[str | None] = mapped_column(sa.String(20))
    publisher: Mapped[str | None] = mapped_column(sa.Text)
    year: Mapped[int | None] = mapped_column(index=True)
    pub_date_text: Mapped[str | None] = mapped_column(sa.Text)
    volume: Mapped[str | None] = mapped_column(sa.Text)
    issue: Mapped[str | None] = mapped_column(sa.Text)
    pages: Mapped[str | None] = mapped_column(sa.Text)
    elocation: Mapped[str | None] = mapped_column(sa.Text)
    language: Mapped[str | None] = mapped_column(sa.String(10))
    url: Mapped[str | None] = mapped_column(sa.Text)
    pmid_version: Mapped[int | None]
    pii: Mapped[str | None] = mapped_column(sa.Text)
    medline_status: Mapped[str | None] = mapped_column(sa.String(50))
    is_book: Mapped[bool] = mapped_column(default=False)
    keywords: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    retracted: Mapped[bool] = mapped_column(default=False, index=True)
    # Set when PubMed lists the PMID in a DeleteCitation; the row and its appraisals stay.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Normalised title (see services.catalog.normalise_title): the key for matching
    # sources that have no PMID or DOI.
    title_key: Mapped[str | None] = mapped_column(sa.String(255))
    # The record as received (PubMed XML, MEDLINE or RIS text), to parse again later.
    record_format: Mapped[str | None] = mapped_column(sa.String(20))
    raw_record: Mapped[str | None] = mapped_column(sa.Text)
    record_hash: Mapped[str | None] = mapped_column(sa.String(64))
    author_list_complete: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    authors: Mapped[list[CitationAuthor]] = relationship(
        order_by="CitationAuthor.position", cascade="all, delete-orphan", passive_deletes=True
    )
    abstract_sections: Mapped[list[AbstractSection]] = relationship(
        order_by="AbstractSection.position", cascade="all, delete-orphan", passive_deletes=True
    )
    mesh_headings: Mapped[list[MeshHeading]] = relationship(
        order_by="MeshHeading.position", cascade="all, delete-orphan", passive_deletes=True
    )
    publication_types: Mapped[list[CitationPublicationType]] = relationship(
        order_by="CitationPublicationType.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    comments_corrections: Mapped[list[CommentCorrection]] = relationship(
        order_by="CommentCorrection.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def abstract(self) -> str | None:
        """The sections joined by a blank line, labels kept as ``LABEL: text``."""
        if not self.abstract_sections:
            return None
        return "\n\n".join(
            f"{s.label}: {s.text}" if s.label else s.text for s in self.abstract_sections
        )

    @property
    def first_author(self) -> str | None:
        return self.authors[0].display_name if self.authors else None

    def short_reference(self) -> str:
        """``Paran D et al. Blood Coagul Fibrinolysis 2005;16:313-8``, as dossiers cite."""
        names = self.first_author or ""
        if len(self.authors) > 1 or not self.author_list_complete:
            names += " et al."
        journal = self.journal_abbrev or self.journal or self.publisher or ""
        where = f"{journal} {self.year}" if self.year else journal
        if self.volume:
            where += f";{self.volume}"
            if self.issue:
                where += f"({self.issue})"
        if self.pages:
            where += f":{self.pages}"
        return ". ".join(part for part in (names.rstrip("."), where.strip()) if part)


class CitationAuthor(Base):
    __tablename__ = "citation_author"
    __table_args__ = (
        sa.UniqueConstraint("citation_id", "position"),
        sa.CheckConstraint("last_name IS NOT NULL OR collective_name IS NOT NULL", name="named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    citation_id: Mapped[int] = mapped_column(sa.ForeignKey("citation.id", ondelete="CASCADE"))
    position: Mapped[int]
    last_name: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    fore_name: Mapped[str | None] = mapped_column(sa.String(200))
    initials: Mapped[str | None] = mapped_column(sa.String(50))
    collective_name: Mapped[str | None] = mapped_column(sa.Text)
    affiliation: Mapped[str | None] = mapped_column(sa.Text)
    orcid: Mapped[str | None] = mapped_column(sa.String(50))

    @property
    def display_name(self) -> str:
        """``Lastname Initials``, or the collective name as written."""
        if self.collective_name:
            return self.collective_name
        return " ".join(part for part in (self.last_name, self.initials) if part)


class AbstractSection(Base):
    __tablename__ = "abstract_section"
    __table_args__ = (sa.UniqueConstraint("citation_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    citation_id: Mapped[int] = mapped_column(sa.ForeignKey("citation.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str | None] = mapped_column(sa.String(200))
    nlm_category: Mapped[str | None] = mapped_column(sa.String(50))
    text: Mapped[str] = mapped_column(sa.Text)


class MeshHeading(Base):
    __tablename__ = "mesh_heading"
    __table_args__ = (sa.UniqueConstraint("citation_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    citation_id: Mapped[int] = mapped_column(sa.ForeignKey("citation.id", ondelete="CASCADE"))
    position: Mapped[int]
    descriptor: Mapped[str] = mapped_column(sa.String(300), index=True)
    descriptor_ui: Mapped[str | None] = mapped_column(sa.String(20))
    major_topic: Mapped[bool] = mapped_column(default=False)

    qualifiers: Mapped[list[MeshQualifier]] = relationship(
        order_by="MeshQualifier.position", cascade="all, delete-orphan", passive_deletes=True
    )


class MeshQualifier(Base):
    __tablename__ = "mesh_qualifier"
    __table_args__ = (sa.UniqueConstraint("heading_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    heading_id: Mapped[int] = mapped_column(sa.ForeignKey("mesh_heading.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(300))
    ui: Mapped[str | None] = mapped_column(sa.String(20))
    major_topic: Mapped[bool] = mapped_column(default=False)


class CitationPublicationType(Base):
    __tablename__ = "citation_publication_type"
    __table_args__ = (sa.UniqueConstraint("citation_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    citation_id: Mapped[int] = mapped_column(sa.ForeignKey("citation.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    ui: Mapped[str | None] = mapped_column(sa.String(20))


class CommentCorrection(Base):
    """A link PubMed records to another publication: erratum, retraction, comment."""

    __tablename__ = "comment_correction"
    __table_args__ = (sa.UniqueConstraint("citation_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    citation_id: Mapped[int] = mapped_column(sa.ForeignKey("citation.id", ondelete="CASCADE"))
    position: Mapped[int]
    ref_type: Mapped[str] = mapped_column(sa.String(50))
    pmid: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    source: Mapped[str | None] = mapped_column(sa.Text)
