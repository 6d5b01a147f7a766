"""Rows for a parsed record, and the bulk writers that store them.

Builds the citation row and its child rows (abstract, authors, publication types,
comments and corrections, MeSH) from an ``ArticleRecord``, and writes them with
executemany, through the driver where the values allow it.
"""

from __future__ import annotations

import hashlib
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
from evidence.models.base import utcnow
from evidence.pubmed.records import ArticleRecord
from evidence.services.catalog import title_key

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


def record_hash(record: ArticleRecord) -> str:
    return hashlib.sha256(record.raw_xml).hexdigest()


def citation_row(record: ArticleRecord, record_format: str) -> dict[str, Any]:
    title = record.title or record.vernacular_title or f"[no title given: PMID {record.pmid}]"
    first = record.authors[0] if record.authors else None
    return {
        "pmid": record.pmid or None,
        "doi": record.doi.lower() if record.doi else None,
        "pmcid": record.pmcid,
        "title": title,
        "vernacular_title": record.vernacular_title,
        "journal": record.journal,
        "journal_abbrev": record.journal_abbrev,
        "issn": record.issn,
        "year": record.year,
        "pub_date_text": record.pub_date_text,
        "volume": record.volume,
        "issue": record.issue,
        "pages": record.pages,
        "elocation": record.elocation,
        "language": record.language,
        "pmid_version": record.pmid_version,
        "pii": record.pii,
        "medline_status": record.status,
        "is_book": record.is_book,
        "keywords": list(record.keywords),
        "retracted": record.is_retracted,
        "author_list_complete": True,
        "title_key": title_key(title),
        "record_format": record_format,
        "raw_record": record.raw_xml.decode("utf-8", errors="replace") or None,
        "record_hash": record_hash(record) if record.raw_xml else None,
        "updated_at": utcnow(),
        "_first_author": (first.last_name or first.collective_name) if first else None,
    }


def children(citation_id: int, record: ArticleRecord) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {
        "abstract_section": [
            {
                "citation_id": citation_id,
                "position": i,
                "label": s.label,
                "nlm_category": s.nlm_category,
                "text": s.text or "",
            }
            for i, s in enumerate(record.abstract_sections)
        ],
        "citation_author": [
            {
                "citation_id": citation_id,
                "position": i,
                "last_name": a.last_name,
                "fore_name": a.fore_name,
                "initials": a.initials,
                "collective_name": a.collective_name,
                "affiliation": "; ".join(a.affiliations) or None,
                "orcid": a.orcid,
            }
            for i, a in enumerate(record.authors)
            if a.last_name or a.collective_name
        ],
        "citation_publication_type": [
            {"citation_id": citation_id, "position": i, "name": p.name, "ui": p.ui}
            for i, p in enumerate(record.publication_types)
        ],
        "comment_correction": [
            {
                "citation_id": citation_id,
                "position": i,
                "ref_type": c.ref_type,
                "pmid": c.pmid,
                "source": c.source,
            }
            for i, c in enumerate(record.comments_corrections)
        ],
    }
    return rows


def write_children(session: Session, pairs: Sequence[tuple[int, ArticleRecord]]) -> None:
    grouped: dict[str, list[dict[str, Any]]] = {}
    headings: list[dict[str, Any]] = []
    qualifiers_by_heading: list[list[dict[str, Any]]] = []
    for citation_id, record in pairs:
        for table, rows in children(citation_id, record).items():
            grouped.setdefault(table, []).extend(rows)
        for position, heading in enumerate(record.mesh_headings):
            headings.append(
                {
                    "citation_id": citation_id,
                    "position": position,
                    "descriptor": heading.descriptor,
                    "descriptor_ui": heading.descriptor_ui,
                    "major_topic": heading.major_topic,
                }
            )
            qualifiers_by_heading.append(
                [
                    {"position": i, "name": q.name, "ui": q.ui, "major_topic": q.major_topic}
                    for i, q in enumerate(heading.qualifiers)
                ]
            )
    tables = {table.name: table for table in CHILD_TABLES}
    for name, rows in grouped.items():
        _driver_insert(session, tables[name], rows)
    if headings:
        _write_mesh(session, headings, qualifiers_by_heading)


def _write_mesh(
    session: Session,
    headings: list[dict[str, Any]],
    qualifiers_by_heading: list[list[dict[str, Any]]],
) -> None:
    """Headings, then their qualifiers, which need the headings' ids."""
    ids = insert_ids(session, HEADING_TABLE, headings, key=("citation_id", "position"))
    qualifier_rows = [
        {"heading_id": heading_id, **qualifier}
        for heading_id, qualifiers in zip(ids, qualifiers_by_heading, strict=True)
        for qualifier in qualifiers
    ]
    _driver_insert(session, QUALIFIER_TABLE, qualifier_rows)


def insert_ids(
    session: Session, table: sa.Table, rows: list[dict[str, Any]], *, key: str | tuple[str, str]
) -> list[int]:
    """Insert ``rows`` and return their new ids, in order.

    Mostly a bulk insert, then the ids read back by the rows' unique key: SQLite
    cannot promise the order of RETURNING rows (SQLAlchemy would insert row by row),
    and on PostgreSQL a plain executemany of wide citation rows beats RETURNING. For
    MeSH headings on PostgreSQL, ordered RETURNING is cheaper than the read-back,
    which the planner, without statistics for rows added in this transaction, may
    turn into a scan.
    """
    if session.get_bind().dialect.name == "postgresql" and table is HEADING_TABLE:
        returning = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(returning, rows).all())
    if table is HEADING_TABLE:
        _driver_insert(session, table, rows)  # plain values only: the driver's own path
    else:
        session.execute(sa.insert(table), rows)
    columns = [key] if isinstance(key, str) else list(key)
    wanted = [tuple(row[column] for column in columns) for row in rows]
    found: dict[tuple[Any, ...], int] = {}
    first = columns[0]
    firsts = sorted({value[0] for value in wanted})
    for start in range(0, len(firsts), CHUNK):
        query = sa.select(table.c.id, *(table.c[column] for column in columns)).where(
            table.c[first].in_(firsts[start : start + CHUNK])
        )
        found.update({tuple(row[1:]): row[0] for row in session.execute(query)})
    return [found[value] for value in wanted]


def _driver_insert(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """An executemany straight through the driver, for the plain child rows.

    These rows hold only integers, text and booleans, which every driver takes as they
    are, so SQLAlchemy's per-row parameter processing (most of the cost of a bulk
    insert) is skipped. The statement is built from the table's own column names.
    """
    if not rows:
        return
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    columns = list(rows[0])
    unknown = set(columns) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"not columns of {table.name}: {sorted(unknown)}")
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(quote(column) for column in columns)
    markers = ", ".join([marker] * len(columns))
    # Identifiers are the table's own (checked above) and quoted; values are bound.
    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({markers})"  # noqa: S608
    connection.exec_driver_sql(statement, [tuple(row[c] for c in columns) for row in rows])
