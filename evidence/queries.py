"""Read-side queries the interfaces share (no writes here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from evidence.models import (
    Appraisal,
    Base,
    Decision,
    Dossier,
    SpcStatement,
    SpcStatementProduct,
    Substance,
)
from evidence.models.vocabulary import ScreeningOutcome


@dataclass(frozen=True)
class DossierSummary:
    reference: str
    title: str
    substance: str
    condition: str
    status: str
    included_sources: int
    decided_on: date | None
    contraindication: bool | None
    action_needed: bool | None


def list_dossiers(session: Session) -> list[DossierSummary]:
    """Every dossier with its current decision (the one not superseded), by reference."""
    current = (
        sa.select(Decision).where(Decision.superseded_by_id.is_(None)).subquery("current_decision")
    )
    included = (
        sa.select(Appraisal.dossier_id, sa.func.count().label("n"))
        .where(Appraisal.screening == ScreeningOutcome.INCLUDED)
        .group_by(Appraisal.dossier_id)
        .subquery("included")
    )
    rows = session.execute(
        sa.select(
            Dossier,
            current.c.decided_on,
            current.c.contraindication,
            current.c.action_needed,
            included.c.n,
        )
        .outerjoin(current, current.c.dossier_id == Dossier.id)
        .outerjoin(included, included.c.dossier_id == Dossier.id)
        .options(selectinload(Dossier.substance), selectinload(Dossier.condition))
        .order_by(Dossier.reference)
    )
    return [
        DossierSummary(
            reference=dossier.reference,
            title=dossier.title,
            substance=dossier.substance.name,
            condition=dossier.condition.name,
            status=dossier.status.value,
            included_sources=n or 0,
            decided_on=decided_on,
            contraindication=contraindication,
            action_needed=action_needed,
        )
        for dossier, decided_on, contraindication, action_needed, n in rows
    ]


def spc_statements_of(session: Session, substance: Substance) -> list[SpcStatement]:
    """The SPC statements of a substance's products, in their stored order."""
    return list(
        session.scalars(
            sa.select(SpcStatement)
            .where(SpcStatement.substance_id == substance.id)
            .options(selectinload(SpcStatement.products).selectinload(SpcStatementProduct.product))
            .order_by(SpcStatement.position)
        )
    )


def table_row_counts(session: Session) -> dict[str, int]:
    """Rows per table of the evidence store (for reports and tests)."""
    return {
        name: session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for name, table in sorted(Base.metadata.tables.items())
    }
