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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Several NULLs are allowed by a UNIQUE constraint on both databases, so a
    # citation without a PMID or DOI needs no partial index.
    pmid: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    doi: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    pmcid: Mapped[str | None] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.Text)
    vernacular_title: Mapped[str | None] = mapped_column(sa.Text)
    journal: Mapped[str | None] = mapped_column(sa.String(500))
    journal_abbrev: Mapped[str | None] = mapped_column(sa.String(200))
    issn: Mapped[str | None] = mapped_column(sa.String(20))
    publisher: Mapped[str | None] = mapped_column(sa.String(300))
    year: Mapped[int | None] = mapped_column(index=True)
    pub_date_text: Mapped[str | None] = mapped_column(sa.String(100))
    volume: Mapped[str | None] = mapped_column(sa.String(50))
    issue: Mapped[str | None] = mapped_column(sa.String(50))
    pages: Mapped[str | None] = mapped_column(sa.String(100))
    language: Mapped[str | None] = mapped_column(sa.String(10))
    url: Mapped[str | None] = mapped_column(sa.String(1000))
    # PubMed's AuthorList CompleteYN: the source names only the first author(s) ("et al.").
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
    initials: Mapped[str | None] = mapped_column(sa.String(20))
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
