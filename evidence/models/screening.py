"""Screening: each reviewer's vote on a citation for a dossier, and resolutions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.models.base import Base, UTCDateTime, enum_type, utcnow
from evidence.models.vocabulary import ScreeningOutcome

if TYPE_CHECKING:
    from evidence.models.citations import Citation
    from evidence.models.users import User


class ScreeningReason(Base):
    """A coded reason of one dossier ("wrong population", "no original data", ...)."""

    __tablename__ = "screening_reason"
    __table_args__ = (sa.UniqueConstraint("dossier_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossier.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(50))
    label: Mapped[str] = mapped_column(sa.Text)


class ScreeningVote(Base):
    """One reviewer's judgement of one citation for one dossier."""

    __tablename__ = "screening_vote"
    __table_args__ = (
        sa.UniqueConstraint("dossier_id", "citation_id", "reviewer_id"),
        sa.Index("ix_screening_vote_dossier_id_citation_id", "dossier_id", "citation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossier.id", ondelete="RESTRICT"))
    citation_id: Mapped[int] = mapped_column(sa.ForeignKey("citation.id", ondelete="RESTRICT"))
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="RESTRICT"))
    outcome: Mapped[ScreeningOutcome] = mapped_column(enum_type(ScreeningOutcome, "outcome"))
    reason_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("screening_reason.id", ondelete="RESTRICT")
    )
    note: Mapped[str | None] = mapped_column(sa.Text)
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    reviewer: Mapped[User] = relationship()
    citation: Mapped[Citation] = relationship()
    reason: Mapped[ScreeningReason | None] = relationship()


class ScreeningResolution(Base):
    """A third person's verdict where two reviewers disagreed."""

    __tablename__ = "screening_resolution"
    __table_args__ = (sa.UniqueConstraint("dossier_id", "citation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossier.id", ondelete="RESTRICT"))
    citation_id: Mapped[int] = mapped_column(sa.ForeignKey("citation.id", ondelete="RESTRICT"))
    resolved_by_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="RESTRICT"))
    outcome: Mapped[ScreeningOutcome] = mapped_column(enum_type(ScreeningOutcome, "outcome"))
    reason_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("screening_reason.id", ondelete="RESTRICT")
    )
    note: Mapped[str | None] = mapped_column(sa.Text)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    resolved_by: Mapped[User] = relationship()
