"""Rows for a parsed record, and the bulk writers that store them.

``prepare_record`` turns an ``ArticleRecord`` into the citation row and its child
rows (abstract, authors, publication types, comments and corrections, MeSH): a pure
function, so a parser process can run it next to the parser. The writers store
prepared records with executemany, through the driver where the values allow it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple, cast

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
from evidence.pubmed.records import RETRACTION_OF, ArticleRecord, Deletion
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


# Column order of each child table's rows after ``citation_id``, as prepared below.
CHILD_COLUMNS: dict[str, tuple[str, ...]] = {
    "abstract_section": ("position", "label", "nlm_category", "text"),
    "citation_author": (
        "position",
        "last_name",
        "fore_name",
        "initials",
        "collective_name",
        "affiliation",
        "orcid",
    ),
    "citation_publication_type": ("position", "name", "ui"),
    "comment_correction": ("position", "ref_type", "pmid", "source"),
}
HEADING_COLUMNS = ("citation_id", "position", "descriptor", "descriptor_ui", "major_topic")
QUALIFIER_COLUMNS = ("heading_id", "position", "name", "ui", "major_topic")

Row = tuple[Any, ...]


class PreparedRecord(NamedTuple):
    """A parsed record as the rows it will be stored as, but for ids and timestamps.

    Built where the record was parsed, which may be a parser process: plain values
    only, so it crosses to the storing process cheaply, and the storing process has
    nothing left to do per record but add ids and write.
    """

    pmid: str
    pmid_version: int
    citation: dict[str, Any]  # the citation row without id, created_at, updated_at
    first_author: str | None  # for matching records without PMID
    children: dict[str, list[Row]]  # by table (CHILD_COLUMNS), citation_id left out
    mesh: list[tuple[Row, list[Row]]]  # each heading without citation_id, its qualifiers
    retracts: tuple[str, ...]  # the PMIDs this record is the retraction notice of


def prepare_all(
    records: Iterable[ArticleRecord | PreparedRecord | Deletion], record_format: str
) -> Iterator[PreparedRecord | Deletion]:
    """Each record as rows; records prepared already (by a parser process) and
    deletions pass as they are."""
    for record in records:
        yield prepare_record(record, record_format) if isinstance(record, ArticleRecord) else record


def record_hash(record: ArticleRecord) -> str:
    return hashlib.sha256(record.raw_xml).hexdigest()


def prepare_record(record: ArticleRecord, record_format: str) -> PreparedRecord:
    title = record.title or record.vernacular_title or f"[no title given: PMID {record.pmid}]"
    first = record.authors[0] if record.authors else None
    citation = {
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
    }
    return PreparedRecord(
        pmid=record.pmid,
        pmid_version=record.pmid_version,
        citation=citation,
        first_author=(first.last_name or first.collective_name) if first else None,
        children=_children(record),
        mesh=[
            (
                (position, h.descriptor, h.descriptor_ui, h.major_topic),
                [(i, q.name, q.ui, q.major_topic) for i, q in enumerate(h.qualifiers)],
            )
            for position, h in enumerate(record.mesh_headings)
        ],
        retracts=tuple(
            link.pmid
            for link in record.comments_corrections
            if link.ref_type == RETRACTION_OF and link.pmid
        ),
    )


def _children(record: ArticleRecord) -> dict[str, list[Row]]:
    return {
        "abstract_section": [
            (i, s.label, s.nlm_category, s.text or "")
            for i, s in enumerate(record.abstract_sections)
        ],
        "citation_author": [
            (
                i,
                a.last_name,
                a.fore_name,
                a.initials,
                a.collective_name,
                "; ".join(a.affiliations) or None,
                a.orcid,
            )
            for i, a in enumerate(record.authors)
            if a.last_name or a.collective_name
        ],
        "citation_publication_type": [
            (i, p.name, p.ui) for i, p in enumerate(record.publication_types)
        ],
        "comment_correction": [
            (i, c.ref_type, c.pmid, c.source) for i, c in enumerate(record.comments_corrections)
        ],
    }


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
        _driver_insert(session, tables[name], ("citation_id", *CHILD_COLUMNS[name]), rows)
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
    _driver_insert(session, QUALIFIER_TABLE, QUALIFIER_COLUMNS, qualifier_rows)


def insert_citations(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert citation rows and return their new ids, in order.

    A bulk insert, then the ids read back by PMID: SQLite cannot promise the order
    of RETURNING rows (SQLAlchemy would insert row by row), and on PostgreSQL a
    plain executemany of wide citation rows beats RETURNING.
    """
    session.execute(sa.insert(CITATION_TABLE), rows)
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
    _driver_insert(session, HEADING_TABLE, HEADING_COLUMNS, rows)
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


def _driver_insert(
    session: Session, table: sa.Table, columns: tuple[str, ...], rows: list[Row]
) -> None:
    """An executemany straight through the driver, for the plain child rows.

    These rows hold only integers, text and booleans, which every driver takes as they
    are, so SQLAlchemy's per-row parameter processing (most of the cost of a bulk
    insert) is skipped. The statement is built from the table's own column names.
    """
    if not rows:
        return
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    unknown = set(columns) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"not columns of {table.name}: {sorted(unknown)}")
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(quote(column) for column in columns)
    markers = ", ".join([marker] * len(columns))
    # Identifiers are the table's own (checked above) and quoted; values are bound.
    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({markers})"  # noqa: S608
    connection.exec_driver_sql(statement, rows)
