"""Committee decisions: superseded, never edited; signed, with the evidence frozen."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.models.base import Base, UTCDateTime, enum_type, utcnow
from evidence.models.vocabulary import Severity, SignatureMeaning

if TYPE_CHECKING:
    from evidence.models.dossiers import Dossier
    from evidence.models.users import User


class Decision(Base):
    """Contra-indication yes/no and action needed yes/no; only ``action_needed`` warns.

    A later decision names the one it supersedes (``supersedes_id``, unique), so no
    decision row is ever updated, and two chairs superseding the same decision at
    once cannot both succeed.
    """

    __tablename__ = "decision"
    __table_args__ = (
        sa.Index("ix_decision_dossier_id_decided_on", "dossier_id", "decided_on"),
        sa.CheckConstraint("supersedes_id IS NULL OR supersedes_id <> id", name="not_self"),
        sa.CheckConstraint(
            "(signed_by_id IS NULL) = (signed_at IS NULL)", name="signature_complete"
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
    supersedes_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="RESTRICT"), unique=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by: Mapped[str | None] = mapped_column(sa.String(200))
    # The chair's electronic signature: who, when, and what the signature means.
    signed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="RESTRICT")
    )
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signature_meaning: Mapped[SignatureMeaning | None] = mapped_column(
        enum_type(SignatureMeaning, "signature_meaning")
    )

    dossier: Mapped[Dossier] = relationship(back_populates="decisions")
    supersedes: Mapped[Decision | None] = relationship(remote_side=[id])
    signed_by: Mapped[User | None] = relationship()
    snapshot: Mapped[DecisionSnapshot | None] = relationship(uselist=False)

    @property
    def warns(self) -> bool:
        """A pharmacy system shows a warning for yes/yes and no/yes alike."""
        return self.action_needed


class DecisionSnapshot(Base):
    """The evidence as it stood when the decision was signed; never updated or deleted."""

    __tablename__ = "decision_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="RESTRICT"), unique=True
    )
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # SHA-256 of the canonical JSON of ``content``.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
