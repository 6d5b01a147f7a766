"""Search strategies (the PubMed query of a dossier) and their runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.models.base import Base, UTCDateTime, enum_type, utcnow
from evidence.models.vocabulary import HitState, SearchRunOutcome, TextAvailability

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
    """One execution of a strategy version: when, what was sent, what came back.

    A run is written in steps (hits first, then the records batch by batch), so a
    run that was interrupted can be resumed: its pending hits are still listed.
    """

    __tablename__ = "search_run"
    __table_args__ = (
        sa.CheckConstraint("result_count IS NULL OR result_count >= 0", name="count_positive"),
        sa.CheckConstraint(
            "window_from IS NULL OR window_to IS NULL OR window_from <= window_to",
            name="window_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        sa.ForeignKey("search_strategy.id", ondelete="RESTRICT"), index=True
    )
    run_date: Mapped[date]
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "host:pid" of the process running it, to tell a live run from one that was killed.
    runner: Mapped[str | None] = mapped_column(sa.String(300))
    executed_by: Mapped[str | None] = mapped_column(sa.String(200))
    query_sent: Mapped[str | None] = mapped_column(sa.Text)
    query_translation: Mapped[str | None] = mapped_column(sa.Text)
    # --since-last: the Entrez-date window searched, and the run it continues from.
    since_run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("search_run.id", ondelete="RESTRICT")
    )
    window_from: Mapped[date | None]
    window_to: Mapped[date | None]
    result_count: Mapped[int | None]
    # result_count minus the PMIDs collected over all date slices (0 when complete).
    count_discrepancy: Mapped[int | None]
    retrieved_count: Mapped[int | None]
    new_count: Mapped[int | None]
    updated_count: Mapped[int | None]
    warnings: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    errors: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    missing_pmids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    timings: Mapped[dict[str, float]] = mapped_column(sa.JSON, default=dict)
    biopython_version: Mapped[str | None] = mapped_column(sa.String(50))
    tool_version: Mapped[str | None] = mapped_column(sa.String(50))
    outcome: Mapped[SearchRunOutcome] = mapped_column(enum_type(SearchRunOutcome, "outcome"))
    note: Mapped[str | None] = mapped_column(sa.Text)

    strategy: Mapped[SearchStrategy] = relationship(back_populates="runs")
    hits: Mapped[list[SearchHit]] = relationship(
        order_by="SearchHit.rank", cascade="all, delete-orphan", passive_deletes=True
    )


class SearchHit(Base):
    """A PMID retrieved by a run, at its rank, and the citation stored for it."""

    __tablename__ = "search_hit"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "rank"),
        sa.UniqueConstraint("run_id", "pmid"),
        sa.CheckConstraint("rank >= 1", name="rank_positive"),
        sa.CheckConstraint(
            "state <> 'fetched' OR citation_id IS NOT NULL", name="fetched_has_citation"
        ),
        sa.Index("ix_search_hit_run_id_state", "run_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("search_run.id", ondelete="CASCADE"))
    rank: Mapped[int]
    pmid: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    citation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("citation.id", ondelete="RESTRICT"), index=True
    )
    state: Mapped[HitState] = mapped_column(enum_type(HitState, "state"), default=HitState.FETCHED)
    is_new: Mapped[bool] = mapped_column(default=False)
    # The stored record was replaced by a newer revision during this run.
    updated: Mapped[bool] = mapped_column(default=False)

    citation: Mapped[Citation | None] = relationship()
