"""The fetched batches of a search run: which hits are still to read, and storing a
batch (its records, its hits, the run's warnings) in one short transaction."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.models import SearchHit
from evidence.models.base import utcnow
from evidence.models.vocabulary import HitState
from evidence.services.audit import Actor, record_event
from evidence.services.citation_ingest import IngestReport, Parsed, ingest_pubmed_records
from evidence.services.search_runs import HIT_TABLE, get_search_run


def pending_pmids(session: Session, *, run_id: int) -> list[str]:
    return [
        pmid
        for pmid in session.scalars(
            sa.select(SearchHit.pmid)
            .where(SearchHit.run_id == run_id, SearchHit.state == HitState.PENDING)
            .order_by(SearchHit.rank)
        )
        if pmid is not None
    ]


def store_fetched_batch(
    session: Session,
    *,
    run_id: int,
    records: Sequence[Parsed],
    missing: Sequence[str] = (),
    renewed_sets: int = 0,
    actor: Actor,
) -> None:
    """Store one efetch batch and mark its hits fetched (or missing), in one transaction.

    ``renewed_sets``: how many times NCBI's history server had lost the batch's set
    and it was stored anew (epost) before the batch could be read."""
    report = ingest_pubmed_records(session, records)
    record_event(
        session,
        actor=actor,
        action="store_batch",
        entity_type="search_run",
        entity_id=str(run_id),
        after={
            "created": len(report.created),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
            "withdrawn": report.withdrawn,
            "missing": list(missing),
        },
    )
    _mark_hits(session, run_id, report, missing)
    run = get_search_run(session, run_id=run_id)
    run.heartbeat_at = utcnow()
    run.warnings = [*run.warnings, *_batch_warnings(report, renewed_sets)]


def _mark_hits(session: Session, run_id: int, report: IngestReport, missing: Sequence[str]) -> None:
    """The batch's hits fetched (linked to their citations) or missing."""
    updated = set(report.updated)
    fetched = [
        {
            "the_run": run_id,
            "the_pmid": pmid,
            "citation_id": citation_id,
            "state": HitState.FETCHED.value,
            "updated": pmid in updated,
        }
        for pmid, citation_id in report.citation_ids.items()
    ]
    if fetched:
        # One executemany for the whole batch, not a statement per hit.
        session.execute(
            sa.update(HIT_TABLE).where(
                HIT_TABLE.c.run_id == sa.bindparam("the_run"),
                HIT_TABLE.c.pmid == sa.bindparam("the_pmid"),
            ),
            fetched,
        )
    if missing:
        session.execute(
            sa.update(HIT_TABLE)
            .where(HIT_TABLE.c.run_id == run_id, HIT_TABLE.c.pmid.in_(list(missing)))
            .values(state=HitState.MISSING.value)
        )


def _batch_warnings(report: IngestReport, renewed_sets: int) -> list[str]:
    warnings = []
    if report.withdrawn:
        warnings.append(f"withdrawn by PubMed: {', '.join(report.withdrawn)}")
    warnings += report.notes
    if renewed_sets:
        warnings.append(
            "NCBI's history server had lost the set being read; the unread PMIDs were "
            f"stored anew with epost ({renewed_sets}x)"
        )
    return warnings
