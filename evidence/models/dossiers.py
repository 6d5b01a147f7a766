"""A dossier: one evidence review of one substance against one condition."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.models.base import Base, UTCDateTime, enum_type, utcnow
from evidence.models.vocabulary import DossierStatus, ScreeningMode

if TYPE_CHECKING:
    from evidence.models.appraisals import Appraisal
    from evidence.models.citations import Citation
    from evidence.models.decisions import Decision
    from evidence.models.screening import ScreeningReason
    from evidence.models.searches import SearchStrategy
    from evidence.models.substances import Condition, Substance


class Dossier(Base):
    __tablename__ = "dossier"
    __table_args__ = (
        sa.UniqueConstraint("substance_id", "condition_id"),
        sa.CheckConstraint("re_search_interval_days > 0", name="interval_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # An external number (e.g. KNMP's 7097): opaque, leading zeros kept, never arithmetic.
    reference: Mapped[str] = mapped_column(sa.String(50), unique=True)
    reference_scheme: Mapped[str | None] = mapped_column(sa.String(100))
    title: Mapped[str] = mapped_column(sa.String(500))
    language: Mapped[str] = mapped_column(sa.String(10), default="nl")
    substance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("substance.id", ondelete="RESTRICT"), index=True
    )
    condition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("condition.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[DossierStatus] = mapped_column(
        enum_type(DossierStatus, "status"), default=DossierStatus.DRAFT, index=True
    )
    conclusion: Mapped[str | None] = mapped_column(sa.Text)
    additional_remarks: Mapped[str | None] = mapped_column(sa.Text)
    screening_mode: Mapped[ScreeningMode] = mapped_column(
        enum_type(ScreeningMode, "screening_mode"), default=ScreeningMode.SINGLE
    )
    # Living surveillance: searches are re-run this long after the previous run.
    re_search_interval_days: Mapped[int] = mapped_column(default=365)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Optimistic locking: an UPDATE names the version it read; a stale one changes nothing.
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}  # noqa: RUF012 - SQLAlchemy's API

    substance: Mapped[Substance] = relationship()
    condition: Mapped[Condition] = relationship(back_populates="dossiers")
    abbreviations: Mapped[list[DossierAbbreviation]] = relationship(
        order_by="DossierAbbreviation.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    pico: Mapped[Pico | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )
    search_strategies: Mapped[list[SearchStrategy]] = relationship(
        back_populates="dossier", order_by="(SearchStrategy.name, SearchStrategy.version)"
    )
    appraisals: Mapped[list[Appraisal]] = relationship(
        back_populates="dossier", order_by="Appraisal.position"
    )
    risk_factors: Mapped[list[RiskFactor]] = relationship(
        order_by="RiskFactor.position", cascade="all, delete-orphan", passive_deletes=True
    )
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="dossier", order_by="(Decision.decided_on, Decision.id)"
    )
    screening_reasons: Mapped[list[ScreeningReason]] = relationship(
        order_by="ScreeningReason.code", cascade="all, delete-orphan", passive_deletes=True
    )


class DossierAbbreviation(Base):
    __tablename__ = "dossier_abbreviation"
    __table_args__ = (sa.UniqueConstraint("dossier_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossier.id", ondelete="CASCADE"))
    position: Mapped[int]
    abbreviation: Mapped[str] = mapped_column(sa.String(50))
    meaning: Mapped[str] = mapped_column(sa.Text)


class Pico(Base):
    """Population, intervention, comparison and outcome of a dossier's question."""

    __tablename__ = "pico"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), unique=True
    )
    population: Mapped[str] = mapped_column(sa.Text)
    intervention: Mapped[str] = mapped_column(sa.Text)
    comparison: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.Text)


risk_factor_source = sa.Table(
    "risk_factor_source",
    Base.metadata,
    sa.Column(
        "risk_factor_id", sa.ForeignKey("risk_factor.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "citation_id",
        sa.ForeignKey("citation.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


class RiskFactor(Base):
    """A patient factor that raises the risk, with the sources that name it."""

    __tablename__ = "risk_factor"
    __table_args__ = (sa.UniqueConstraint("dossier_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossier.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)

    sources: Mapped[list[Citation]] = relationship(
        secondary=risk_factor_source, order_by="Citation.id"
    )
