"""Search strategies (the PubMed query of a dossier) and their runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.models.base import Base, UTCDateTime, enum_type, utcnow
from evidence.models.vocabulary import SearchRunOutcome, TextAvailability

if TYPE_CHECKING:
    from evidence.models.citations import Citation
    from evidence.models.dossiers import Dossier


class SearchStrategy(Base):
    """Terms plus structured filters. Editing makes a new version; runs keep theirs."""

    __tablename__ = "search_strategy"
    __table_args__ = (
        sa.UniqueConstraint("dossier_id", "name", "version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint(
            "date_from IS NULL OR date_to IS NULL OR date_from <= date_to", name="date_order"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[int] = mapped_column(default=1)
    terms: Mapped[str] = mapped_column(sa.Text)
    # Terms searched as MeSH terms only ("MeSH terms" among the seed's filters).
    mesh_terms_only: Mapped[bool] = mapped_column(default=False)
    publication_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    species: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    text_availability: Mapped[TextAvailability | None] = mapped_column(
        enum_type(TextAvailability, "text_availability")
    )
    date_from: Mapped[date | None]
    date_to: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(sa.String(200))

    dossier: Mapped[Dossier | None] = relationship(back_populates="search_strategies")
    runs: Mapped[list[SearchRun]] = relationship(
        back_populates="strategy", order_by="(SearchRun.run_date, SearchRun.id)"
    )


class SearchRun(Base):
    """One execution of a strategy version: when, what was sent, what came back."""

    __tablename__ = "search_run"
    __table_args__ = (
        sa.CheckConstraint("result_count IS NULL OR result_count >= 0", name="count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        sa.ForeignKey("search_strategy.id", ondelete="RESTRICT"), index=True
    )
    run_date: Mapped[date]
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    executed_by: Mapped[str | None] = mapped_column(sa.String(200))
    query_sent: Mapped[str | None] = mapped_column(sa.Text)
    query_translation: Mapped[str | None] = mapped_column(sa.Text)
    result_count: Mapped[int | None]
    outcome: Mapped[SearchRunOutcome] = mapped_column(enum_type(SearchRunOutcome, "outcome"))
    note: Mapped[str | None] = mapped_column(sa.Text)

    strategy: Mapped[SearchStrategy] = relationship(back_populates="runs")
    hits: Mapped[list[SearchHit]] = relationship(
        order_by="SearchHit.rank", cascade="all, delete-orphan", passive_deletes=True
    )


class SearchHit(Base):
    """A citation retrieved by a run, at its rank; ``is_new`` if no earlier run had it."""

    __tablename__ = "search_hit"
    __table_args__ = (sa.CheckConstraint("rank >= 1", name="rank_positive"),)

    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("search_run.id", ondelete="CASCADE"), primary_key=True
    )
    citation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("citation.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    rank: Mapped[int]
    is_new: Mapped[bool] = mapped_column(default=False)

    citation: Mapped[Citation] = relationship()
