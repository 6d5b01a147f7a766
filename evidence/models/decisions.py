"""Committee decisions: superseded, never edited."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.models.base import Base, UTCDateTime, enum_type, utcnow
from evidence.models.vocabulary import Severity

if TYPE_CHECKING:
    from evidence.models.dossiers import Dossier


class Decision(Base):
    """Contra-indication yes/no and action needed yes/no; only ``action_needed`` warns."""

    __tablename__ = "decision"
    __table_args__ = (
        sa.Index("ix_decision_dossier_id_decided_on", "dossier_id", "decided_on"),
        sa.CheckConstraint(
            "superseded_by_id IS NULL OR superseded_by_id <> id", name="not_self_superseded"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossier.id", ondelete="RESTRICT"))
    contraindication: Mapped[bool]
    action_needed: Mapped[bool]
    decided_on: Mapped[date]
    rationale: Mapped[str] = mapped_column(sa.Text)
    decided_by: Mapped[str] = mapped_column(sa.String(200))
    severity: Mapped[Severity | None] = mapped_column(enum_type(Severity, "severity"))
    superseded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="RESTRICT"), unique=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by: Mapped[str | None] = mapped_column(sa.String(200))

    dossier: Mapped[Dossier] = relationship(back_populates="decisions")

    @property
    def warns(self) -> bool:
        """A pharmacy system shows a warning for yes/yes and no/yes alike."""
        return self.action_needed
