"""Read-side queries the interfaces share (no writes here)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.orm import Session, selectinload

from evidence.models import (
    Appraisal,
    Base,
    Citation,
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
    # Appraised sources that PubMed has since marked retracted or withdrawn.
    flagged_sources: int
    decided_on: date | None
    contraindication: bool | None
    action_needed: bool | None


def list_dossiers(session: Session) -> list[DossierSummary]:
    """Every dossier with its current decision (the one not superseded), by reference."""
    current = _current_decisions()
    included = _appraisals_per_dossier("included", Appraisal.screening == ScreeningOutcome.INCLUDED)
    flagged = _appraisals_per_dossier(
        "flagged", sa.or_(Citation.retracted, Citation.withdrawn_at.is_not(None))
    )
    rows = session.execute(
        sa.select(
            Dossier,
            current.c.decided_on,
            current.c.contraindication,
            current.c.action_needed,
            included.c.n,
            flagged.c.n,
        )
        .outerjoin(current, current.c.dossier_id == Dossier.id)
        .outerjoin(included, included.c.dossier_id == Dossier.id)
        .outerjoin(flagged, flagged.c.dossier_id == Dossier.id)
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
            flagged_sources=n_flagged or 0,
            decided_on=decided_on,
            contraindication=contraindication,
            action_needed=action_needed,
        )
        for dossier, decided_on, contraindication, action_needed, n, n_flagged in rows
    ]


def _current_decisions() -> sa.Subquery:
    """Each dossier's decision that no later one supersedes."""
    later = sa.orm.aliased(Decision)
    return (
        sa.select(Decision)
        .where(~sa.exists().where(later.supersedes_id == Decision.id))
        .subquery("current_decision")
    )


def _appraisals_per_dossier(name: str, condition: sa.ColumnElement[bool]) -> sa.Subquery:
    """How many appraisals of each dossier (``dossier_id``, ``n``) meet ``condition``,
    which may name the appraised citation."""
    return (
        sa.select(Appraisal.dossier_id, sa.func.count().label("n"))
        .join(Citation, Citation.id == Appraisal.citation_id)
        .where(condition)
        .group_by(Appraisal.dossier_id)
        .subquery(name)
    )


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


def citation_export_rows(
    session: Session, *, dossier_reference: str | None = None, batch: int = 1_000
) -> Iterator[dict[str, Any]]:
    """Citations in the JSONL contract's shape (DESIGN.md), streamed in id order."""
    query = sa.select(Citation).order_by(Citation.id)
    if dossier_reference is not None:
        cited = (
            sa.select(Appraisal.citation_id)
            .join(Dossier, Dossier.id == Appraisal.dossier_id)
            .where(Dossier.reference == dossier_reference)
        )
        query = query.where(Citation.id.in_(cited))
    query = query.options(
        selectinload(Citation.authors),
        selectinload(Citation.abstract_sections),
        selectinload(Citation.mesh_headings),
        selectinload(Citation.publication_types),
    ).execution_options(yield_per=batch)
    for citation in session.scalars(query):
        yield {
            "pmid": citation.pmid,
            "doi": citation.doi,
            "pmcid": citation.pmcid,
            "title": citation.title,
            "abstract": citation.abstract,
            "journal": citation.journal,
            "journal_abbrev": citation.journal_abbrev,
            "year": citation.year,
            "volume": citation.volume,
            "issue": citation.issue,
            "pages": citation.pages,
            "language": citation.language,
            "authors": [author.display_name for author in citation.authors],
            "mesh_terms": [heading.descriptor for heading in citation.mesh_headings],
            "publication_types": [kind.name for kind in citation.publication_types],
        }
