"""Store parsed bibliographic records: insert new ones, update revised ones, in bulk.

Records are matched by PMID, then by DOI, then (without either) by normalised
title + year + first author, so a citation exists once whatever brought it in.
Rows are written with executemany through SQLAlchemy Core: a harvest or file
import of 100,000 records must cost little more than the inserts themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.models import Citation
from evidence.models.base import utcnow
from evidence.pubmed.record_rows import PreparedRecord, prepare_all
from evidence.pubmed.records import ArticleRecord, Deletion
from evidence.services.catalog import find_citation
from evidence.services.citation_rows import (
    CHILD_TABLES,
    CHUNK,
    CITATION_TABLE,
    insert_citations,
    write_children,
)

Parsed = ArticleRecord | PreparedRecord | Deletion


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


def _latest_per_pmid(records: Iterable[PreparedRecord]) -> dict[str, PreparedRecord]:
    """One record per PMID: the highest version, and of equal versions the last seen."""
    latest: dict[str, PreparedRecord] = {}
    for record in records:
        kept = latest.get(record.pmid)
        if kept is None or record.pmid_version >= kept.pmid_version:
            latest[record.pmid] = record
    return latest


def prepared(records: Iterable[Parsed], record_format: str) -> list[PreparedRecord]:
    """The records as rows, deletions left out."""
    return [r for r in prepare_all(records, record_format) if isinstance(r, PreparedRecord)]


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
    records: Sequence[Parsed],
    *,
    record_format: str = "pubmed-xml",
) -> IngestReport:
    """Upsert a batch of records with PMIDs; mark ``Deletion`` PMIDs as withdrawn."""
    report = IngestReport()
    deletions = [r.pmid for r in records if isinstance(r, Deletion)]
    latest = _latest_per_pmid(r for r in prepared(records, record_format) if r.pmid)
    # A copy: the DOI of a row may be dropped below, and the caller's records stay as given.
    rows = {pmid: dict(record.citation) for pmid, record in latest.items()}
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


def _flag_retracted(session: Session, records: Iterable[PreparedRecord]) -> None:
    """A retraction notice names what it retracts (RetractionOf): flag those citations too."""
    retracted = sorted({pmid for record in records for pmid in record.retracts})
    for start in range(0, len(retracted), CHUNK):
        session.execute(
            sa.update(CITATION_TABLE)
            .where(CITATION_TABLE.c.pmid.in_(retracted[start : start + CHUNK]))
            .values(retracted=True)
        )


def _update(
    session: Session,
    updates: list[tuple[int, dict[str, Any]]],
    latest: dict[str, PreparedRecord],
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
    now = utcnow()
    for citation_id, row in updates:
        session.execute(
            sa.update(citation).where(citation.c.id == citation_id).values(**row, updated_at=now)
        )
    write_children(session, [(cid, latest[row["pmid"]]) for cid, row in updates])


def _insert(
    session: Session,
    rows: list[dict[str, Any]],
    latest: dict[str, PreparedRecord],
    report: IngestReport,
) -> None:
    if not rows:
        return
    now = utcnow()
    ids = insert_citations(session, [{**row, "created_at": now, "updated_at": now} for row in rows])
    pairs = []
    for citation_id, row in zip(ids, rows, strict=True):
        report.citation_ids[row["pmid"]] = citation_id
        report.created.append(row["pmid"])
        pairs.append((citation_id, latest[row["pmid"]]))
    write_children(session, pairs)


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
    session: Session, records: Sequence[ArticleRecord | PreparedRecord], *, record_format: str
) -> IngestReport:
    """Records from other databases (RIS): match by DOI, then title + year + first author."""
    report = IngestReport()
    for record in prepared(records, record_format):
        row = record.citation
        found = find_citation(
            session,
            pmid=None,
            doi=row["doi"],
            title=row["title"],
            year=row["year"],
            first_author=record.first_author,
        )
        report.without_pmid += 1
        if found is not None:
            report.unchanged.append(found.pmid or f"citation {found.id}")
            continue
        _insert_one(session, record, report)
    return report


def _insert_one(session: Session, record: PreparedRecord, report: IngestReport) -> None:
    now = utcnow()
    values = {**record.citation, "created_at": now, "updated_at": now}
    citation_id = session.execute(sa.insert(Citation).returning(Citation.id), values).scalar_one()
    report.created.append(record.pmid or f"citation {citation_id}")
    write_children(session, [(citation_id, record)])
