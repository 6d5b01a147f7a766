"""Import a file of bibliographic records (PubMed XML, MEDLINE, RIS) as one use case."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice

from sqlalchemy.orm import Session

from evidence.permissions import Permission, require
from evidence.pubmed.records import Deletion
from evidence.services.audit import Actor, record_event
from evidence.services.citation_ingest import (
    IngestReport,
    Parsed,
    ingest_pubmed_records,
    ingest_records_without_pmid,
)

BATCH = 1_000


def import_citation_records(
    session: Session,
    *,
    records: Iterable[Parsed],
    record_format: str,
    source: str,
    actor: Actor,
    on_progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Store every record of one file; the caller's transaction makes it all or nothing."""
    require(actor, Permission.IMPORT_CITATIONS)
    report = IngestReport()
    iterator = iter(records)
    seen = 0
    while batch := list(islice(iterator, BATCH)):
        with_pmid = [r for r in batch if r.pmid]
        without = [r for r in batch if not r.pmid and not isinstance(r, Deletion)]
        report.merge(ingest_pubmed_records(session, with_pmid, record_format=record_format))
        if without:
            report.merge(ingest_records_without_pmid(session, without, record_format=record_format))
        seen += len(batch)
        if on_progress is not None:
            on_progress(seen)
    record_event(
        session,
        actor=actor,
        action="import",
        entity_type="citation_file",
        entity_id=source[-100:],
        after={
            "format": record_format,
            "created": len(report.created),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
            "withdrawn": len(report.withdrawn),
        },
    )
    return report
