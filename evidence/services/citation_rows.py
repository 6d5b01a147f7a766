"""The bulk writers of prepared records (``evidence.pubmed.record_rows``): executemany,
through the driver where the values allow it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.models import (
    AbstractSection,
    Citation,
    CitationAuthor,
    CitationPublicationType,
    CommentCorrection,
    MeshHeading,
    MeshQualifier,
)
from evidence.pubmed.record_rows import (
    CHILD_COLUMNS,
    HEADING_COLUMNS,
    QUALIFIER_COLUMNS,
    PreparedRecord,
    Row,
)
from evidence.services.driver_rows import bound_rows, driver_insert

CHUNK = 500  # IDs per IN (...) lookup: well under every driver's parameter limit
CHILD_TABLES: tuple[sa.Table, ...] = tuple(
    cast(sa.Table, model.__table__)
    for model in (
        AbstractSection,
        CitationAuthor,
        CitationPublicationType,
        CommentCorrection,
        MeshHeading,
    )
)
CITATION_TABLE = cast(sa.Table, Citation.__table__)
HEADING_TABLE = cast(sa.Table, MeshHeading.__table__)
QUALIFIER_TABLE = cast(sa.Table, MeshQualifier.__table__)


def write_children(session: Session, pairs: Sequence[tuple[int, PreparedRecord]]) -> None:
    grouped: dict[str, list[Row]] = {table: [] for table in CHILD_COLUMNS}
    headings: list[Row] = []
    qualifiers_by_heading: list[list[Row]] = []
    for citation_id, prepared in pairs:
        for table, rows in prepared.children.items():
            grouped[table] += [(citation_id, *row) for row in rows]
        for heading, qualifiers in prepared.mesh:
            headings.append((citation_id, *heading))
            qualifiers_by_heading.append(qualifiers)
    tables = {table.name: table for table in CHILD_TABLES}
    for name, rows in grouped.items():
        driver_insert(session, tables[name], ("citation_id", *CHILD_COLUMNS[name]), rows)
    if headings:
        _write_mesh(session, headings, qualifiers_by_heading)


def _write_mesh(
    session: Session, headings: list[Row], qualifiers_by_heading: list[list[Row]]
) -> None:
    """Headings, then their qualifiers, which need the headings' ids."""
    ids = _insert_headings(session, headings)
    qualifier_rows = [
        (heading_id, *qualifier)
        for heading_id, qualifiers in zip(ids, qualifiers_by_heading, strict=True)
        for qualifier in qualifiers
    ]
    driver_insert(session, QUALIFIER_TABLE, QUALIFIER_COLUMNS, qualifier_rows)


def insert_citations(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert citation rows (all with the same keys) and return their new ids, in order.

    A bulk insert through the driver, then the ids read back by PMID: SQLite cannot
    promise the order of RETURNING rows (SQLAlchemy would insert row by row), and on
    PostgreSQL a plain executemany of wide citation rows beats RETURNING.
    """
    if rows:
        columns = tuple(rows[0])
        driver_insert(
            session, CITATION_TABLE, columns, bound_rows(session, CITATION_TABLE, columns, rows)
        )
    return _ids_by_key(session, CITATION_TABLE, ("pmid",), [(row["pmid"],) for row in rows])


def _insert_headings(session: Session, rows: list[Row]) -> list[int]:
    """Insert MeSH heading rows (HEADING_COLUMNS) and return their new ids, in order.

    On PostgreSQL ordered RETURNING is cheaper than reading the ids back, which the
    planner, without statistics for rows added in this transaction, may turn into a
    scan.
    """
    if session.get_bind().dialect.name == "postgresql":
        returning = sa.insert(HEADING_TABLE).returning(
            HEADING_TABLE.c.id, sort_by_parameter_order=True
        )
        values = [dict(zip(HEADING_COLUMNS, row, strict=True)) for row in rows]
        return list(session.scalars(returning, values).all())
    driver_insert(session, HEADING_TABLE, HEADING_COLUMNS, rows)
    return _ids_by_key(session, HEADING_TABLE, ("citation_id", "position"), [r[:2] for r in rows])


def _ids_by_key(
    session: Session, table: sa.Table, columns: tuple[str, ...], wanted: list[Row]
) -> list[int]:
    found: dict[Row, int] = {}
    firsts = sorted({value[0] for value in wanted})
    for start in range(0, len(firsts), CHUNK):
        query = sa.select(table.c.id, *(table.c[column] for column in columns)).where(
            table.c[columns[0]].in_(firsts[start : start + CHUNK])
        )
        found.update({tuple(row[1:]): row[0] for row in session.execute(query)})
    return [found[value] for value in wanted]
