"""Store parsed bibliographic records: insert new ones, update revised ones, in bulk.

Records are matched by PMID, then by DOI, then (without either) by normalised
title + year + first author, so a citation exists once whatever brought it in.
Rows are written with executemany through SQLAlchemy Core: a harvest or file
import of 100,000 records must cost little more than the inserts themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
from evidence.pubmed.records import ArticleRecord, Deletion
from evidence.services.catalog import find_citation, title_key

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


@dataclass
class IngestReport:
    """What one call stored; ``citation_ids`` maps each PMID given to its citation."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    without_pmid: int = 0
    citation_ids: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def merge(self, other: IngestReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.withdrawn += other.withdrawn
        self.without_pmid += other.without_pmid
        self.citation_ids |= other.citation_ids
        self.notes += other.notes


def record_hash(record: ArticleRecord) -> str:
    return hashlib.sha256(record.raw_xml).hexdigest()


def _citation_row(record: ArticleRecord, record_format: str) -> dict[str, Any]:
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


def _children(citation_id: int, record: ArticleRecord) -> dict[str, list[dict[str, Any]]]:
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


def _write_children(session: Session, pairs: Sequence[tuple[int, ArticleRecord]]) -> None:
    grouped: dict[str, list[dict[str, Any]]] = {}
    headings: list[dict[str, Any]] = []
    qualifiers_by_heading: list[list[dict[str, Any]]] = []
    for citation_id, record in pairs:
        for table, rows in _children(citation_id, record).items():
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
    ids = _insert_ids(session, HEADING_TABLE, headings, key=("citation_id", "position"))
    qualifier_rows = [
        {"heading_id": heading_id, **qualifier}
        for heading_id, qualifiers in zip(ids, qualifiers_by_heading, strict=True)
        for qualifier in qualifiers
    ]
    _driver_insert(session, QUALIFIER_TABLE, qualifier_rows)


def _insert_ids(
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


def _existing_by(session: Session, column: Any, values: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        query = sa.select(
            Citation.id, Citation.pmid, Citation.doi, Citation.record_hash, Citation.pmid_version
        ).where(column.in_(chunk))
        for row in session.execute(query):
            found[getattr(row, column.key)] = row
    return found


def _latest_per_pmid(records: Iterable[ArticleRecord]) -> dict[str, ArticleRecord]:
    """One record per PMID: the highest version, and of equal versions the last seen."""
    latest: dict[str, ArticleRecord] = {}
    for record in records:
        kept = latest.get(record.pmid)
        if kept is None or record.pmid_version >= kept.pmid_version:
            latest[record.pmid] = record
    return latest


def _free_dois(
    session: Session, rows: dict[str, dict[str, Any]], report: IngestReport
) -> dict[str, Any]:
    """DOIs already held by another PMID are dropped from the new row (PubMed has such pairs)."""
    wanted = {row["doi"]: pmid for pmid, row in rows.items() if row["doi"]}
    taken = _existing_by(session, Citation.doi, list(wanted))
    claimable = {}
    seen: set[str] = set()
    for pmid, row in rows.items():
        doi = row["doi"]
        if doi is None:
            continue
        holder = taken.get(doi)
        if holder is not None and holder.pmid is None and doi not in seen:
            claimable[pmid] = holder  # a source without PMID that this record completes
        elif (holder is not None and holder.pmid != pmid) or doi in seen:
            report.notes.append(f"PMID {pmid}: DOI {doi} already belongs to another record")
            row["doi"] = None
        seen.add(doi)
    return claimable


def ingest_pubmed_records(
    session: Session,
    records: Sequence[ArticleRecord | Deletion],
    *,
    record_format: str = "pubmed-xml",
) -> IngestReport:
    """Upsert a batch of records with PMIDs; mark ``Deletion`` PMIDs as withdrawn."""
    report = IngestReport()
    deletions = [r.pmid for r in records if isinstance(r, Deletion)]
    latest = _latest_per_pmid(r for r in records if isinstance(r, ArticleRecord) and r.pmid)
    rows = {pmid: _citation_row(record, record_format) for pmid, record in latest.items()}
    existing = _existing_by(session, Citation.pmid, list(rows))
    new_rows = {pmid: row for pmid, row in rows.items() if pmid not in existing}
    claimable = _free_dois(session, new_rows, report)
    updates: list[tuple[int, dict[str, Any]]] = []
    for pmid, row in rows.items():
        stored = existing.get(pmid) or claimable.get(pmid)
        if stored is None:
            continue
        report.citation_ids[pmid] = stored.id
        if pmid in existing and stored.record_hash == row["record_hash"]:
            report.unchanged.append(pmid)
        elif pmid in existing and (stored.pmid_version or 0) > latest[pmid].pmid_version:
            report.unchanged.append(pmid)  # never replace a newer version with an older one
        else:
            updates.append((stored.id, row))
            (report.updated if pmid in existing else report.created).append(pmid)
    _update(session, updates, latest)
    _insert(
        session, [row for pmid, row in new_rows.items() if pmid not in claimable], latest, report
    )
    _flag_retracted(session, latest.values())
    report.withdrawn = _withdraw(session, deletions)
    return report


def _flag_retracted(session: Session, records: Iterable[ArticleRecord]) -> None:
    """A retraction notice names what it retracts (RetractionOf): flag those citations too."""
    retracted = sorted(
        {
            link.pmid
            for record in records
            for link in record.comments_corrections
            if link.ref_type == "RetractionOf" and link.pmid
        }
    )
    for start in range(0, len(retracted), CHUNK):
        session.execute(
            sa.update(CITATION_TABLE)
            .where(CITATION_TABLE.c.pmid.in_(retracted[start : start + CHUNK]))
            .values(retracted=True)
        )


def _update(
    session: Session, updates: list[tuple[int, dict[str, Any]]], latest: dict[str, ArticleRecord]
) -> None:
    if not updates:
        return
    ids = [citation_id for citation_id, _ in updates]
    for table in CHILD_TABLES:
        for start in range(0, len(ids), CHUNK):
            session.execute(
                sa.delete(table).where(table.c.citation_id.in_(ids[start : start + CHUNK]))
            )
    citation = CITATION_TABLE
    for citation_id, row in updates:
        values = {k: v for k, v in row.items() if not k.startswith("_")}
        session.execute(sa.update(citation).where(citation.c.id == citation_id).values(**values))
    _write_children(session, [(cid, latest[row["pmid"]]) for cid, row in updates])


def _insert(
    session: Session,
    rows: list[dict[str, Any]],
    latest: dict[str, ArticleRecord],
    report: IngestReport,
) -> None:
    if not rows:
        return
    now = utcnow()
    values = [
        {**{k: v for k, v in row.items() if not k.startswith("_")}, "created_at": now}
        for row in rows
    ]
    ids = _insert_ids(session, CITATION_TABLE, values, key="pmid")
    pairs = []
    for citation_id, row in zip(ids, rows, strict=True):
        report.citation_ids[row["pmid"]] = citation_id
        report.created.append(row["pmid"])
        pairs.append((citation_id, latest[row["pmid"]]))
    _write_children(session, pairs)


def _withdraw(session: Session, pmids: list[str]) -> list[str]:
    """PubMed deleted these records: flag them, keep them (appraisals may cite them)."""
    withdrawn: list[str] = []
    for start in range(0, len(pmids), CHUNK):
        chunk = pmids[start : start + CHUNK]
        found = session.scalars(
            sa.update(Citation)
            .where(Citation.pmid.in_(chunk), Citation.withdrawn_at.is_(None))
            .values(withdrawn_at=utcnow())
            .returning(Citation.pmid)
        ).all()
        withdrawn.extend(pmid for pmid in found if pmid is not None)
    return withdrawn


def ingest_records_without_pmid(
    session: Session, records: Sequence[ArticleRecord], *, record_format: str
) -> IngestReport:
    """Records from other databases (RIS): match by DOI, then title + year + first author."""
    report = IngestReport()
    for record in records:
        row = _citation_row(record, record_format)
        found = find_citation(
            session,
            pmid=None,
            doi=row["doi"],
            title=row["title"],
            year=row["year"],
            first_author=row["_first_author"],
        )
        report.without_pmid += 1
        if found is not None:
            report.unchanged.append(found.pmid or f"citation {found.id}")
            continue
        _insert_one(session, row, record, report)
    return report


def _insert_one(
    session: Session, row: dict[str, Any], record: ArticleRecord, report: IngestReport
) -> None:
    values = {k: v for k, v in row.items() if not k.startswith("_")} | {"created_at": utcnow()}
    citation_id = session.execute(sa.insert(Citation).returning(Citation.id), values).scalar_one()
    report.created.append(row["pmid"] or f"citation {citation_id}")
    _write_children(session, [(citation_id, record)])
