"""The database steps of a search run, each its own short transaction.

The harvester (``evidence.harvester``) calls these between network requests:
start (or resume) a run, record the PMIDs the search found, store fetched
records batch by batch (``search_run_batches``), finish. Whatever was committed
survives a kill, and the next run of the same strategy picks up the pending hits.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence import __version__
from evidence.errors import Conflict, InvalidInput, NotFound
from evidence.models import SearchHit, SearchRun, SearchStrategy
from evidence.models.base import utcnow
from evidence.models.vocabulary import HitState, SearchRunOutcome
from evidence.permissions import Permission, require
from evidence.services.audit import Actor, record_event
from evidence.services.driver_rows import bound_rows, driver_insert
from evidence.services.search_strategies import (
    get_search_strategy,
    strategy_query,
    strategy_versions,
)

# A --since-last window starts this many days before the previous run, because
# PubMed assigns Entrez dates in batches and a record may appear late.
SINCE_LAST_OVERLAP_DAYS = 3
# A run on another machine whose heartbeat is older than this is taken to have died.
STALE_AFTER = timedelta(minutes=10)
HIT_TABLE = cast(sa.Table, SearchHit.__table__)


def this_runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _runner_alive(run: SearchRun, now: datetime) -> bool:
    """Whether the process that owns ``run`` still lives (asked directly on this host)."""
    host, _, pid = (run.runner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    beat = run.heartbeat_at or run.started_at or now
    return now - beat < STALE_AFTER


@dataclass(frozen=True)
class RunPlan:
    run_id: int
    query: str
    window: tuple[date, date] | None
    resumed: bool
    needs_search: bool


def _previous_run(session: Session, strategy: SearchStrategy) -> SearchRun | None:
    versions = [version.id for version in strategy_versions(session, strategy)]
    return session.scalar(
        sa.select(SearchRun)
        .where(
            SearchRun.strategy_id.in_(versions),
            SearchRun.outcome.in_([SearchRunOutcome.COMPLETED, SearchRunOutcome.RECORDED]),
        )
        .order_by(SearchRun.run_date.desc(), SearchRun.id.desc())
        .limit(1)
    )


def _unfinished_run(session: Session, strategy_id: int) -> SearchRun | None:
    return session.scalar(
        sa.select(SearchRun)
        .where(
            SearchRun.strategy_id == strategy_id,
            SearchRun.outcome.in_([SearchRunOutcome.RUNNING, SearchRunOutcome.INCOMPLETE]),
        )
        .order_by(SearchRun.id.desc())
        .limit(1)
    )


def _plan(run: SearchRun, *, resumed: bool) -> RunPlan:
    window = (run.window_from, run.window_to) if run.window_from and run.window_to else None
    return RunPlan(
        run_id=run.id,
        query=run.query_sent or "",
        window=window,
        resumed=resumed,
        needs_search=run.result_count is None,
    )


def start_search_run(
    session: Session,
    *,
    strategy_id: int,
    actor: Actor,
    since_last: bool = False,
    biopython_version: str | None = None,
    today: date | None = None,
) -> RunPlan:
    """Begin a run of this strategy version, or resume the one a kill left unfinished."""
    require(actor, Permission.RUN_SEARCH)
    strategy = get_search_strategy(session, strategy_id=strategy_id)
    unfinished = _unfinished_run(session, strategy_id)
    now = utcnow()
    if unfinished is not None:
        return _resume(unfinished, now)
    today = today or now.date()
    run = SearchRun(
        strategy=strategy,
        run_date=today,
        started_at=now,
        heartbeat_at=now,
        runner=this_runner(),
        executed_by=actor.name,
        query_sent=strategy_query(strategy),
        outcome=SearchRunOutcome.RUNNING,
        biopython_version=biopython_version,
        tool_version=__version__,
    )
    session.add(run)
    if since_last:
        _continue_from_previous(session, run, strategy, today)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="start",
        entity_type="search_run",
        entity_id=str(run.id),
        after={"strategy_id": strategy_id, "query": run.query_sent, "since_last": since_last},
    )
    return _plan(run, resumed=False)


def _resume(unfinished: SearchRun, now: datetime) -> RunPlan:
    """Take over a run a kill left unfinished, unless its process is still alive."""
    if unfinished.outcome == SearchRunOutcome.RUNNING and _runner_alive(unfinished, now):
        raise Conflict(
            f"run {unfinished.id} of this strategy is still running ({unfinished.runner})"
        )
    unfinished.outcome, unfinished.heartbeat_at = SearchRunOutcome.RUNNING, now
    unfinished.runner = this_runner()
    return _plan(unfinished, resumed=True)


def _continue_from_previous(
    session: Session, run: SearchRun, strategy: SearchStrategy, today: date
) -> None:
    """--since-last: the Entrez-date window from the previous run (with overlap) to today."""
    previous = _previous_run(session, strategy)
    if previous is None:
        raise InvalidInput(f"strategy {strategy.id} has no earlier completed run to continue from")
    run.since_run_id = previous.id
    run.window_from = previous.run_date - timedelta(days=SINCE_LAST_OVERLAP_DAYS)
    run.window_to = today


def _seen_before(session: Session, run: SearchRun, pmids: Sequence[str]) -> set[str]:
    """PMIDs that any earlier run of the strategy's lineage already retrieved."""
    versions = [version.id for version in strategy_versions(session, run.strategy)]
    earlier = sa.select(SearchRun.id).where(
        SearchRun.strategy_id.in_(versions), SearchRun.id < run.id
    )
    seen: set[str] = set()
    if session.scalar(earlier.limit(1)) is None:
        return seen  # a first run: every hit is new, and 50,000 need no lookup
    for start in range(0, len(pmids), 500):
        chunk = pmids[start : start + 500]
        seen.update(
            pmid
            for pmid in session.scalars(
                sa.select(SearchHit.pmid).where(
                    SearchHit.run_id.in_(earlier), SearchHit.pmid.in_(chunk)
                )
            )
            if pmid is not None
        )
    return seen


def record_search_results(
    session: Session,
    *,
    run_id: int,
    pmids: Sequence[str],
    count: int,
    translation: str | None,
    warnings: Sequence[str],
    errors: Sequence[str],
    actor: Actor,
) -> int:
    """Write every PMID found as a pending hit, ranked, marking those new to the strategy."""
    run = get_search_run(session, run_id=run_id)
    if run.result_count is not None:
        raise Conflict(f"run {run_id} already has its search results")
    new = _write_hits(session, run, pmids)
    run.result_count = count
    run.count_discrepancy = count - len(pmids)
    run.query_translation = translation
    run.warnings = list(warnings)
    run.errors = list(errors)
    run.new_count = new
    run.heartbeat_at = utcnow()
    record_event(
        session,
        actor=actor,
        action="search",
        entity_type="search_run",
        entity_id=str(run_id),
        after={
            "count": count,
            "listed": len(pmids),
            "new": run.new_count,
            "translation": translation,
        },
    )
    return len(pmids)


def _write_hits(session: Session, run: SearchRun, pmids: Sequence[str]) -> int:
    """The PMIDs as pending hits in rank order; how many are new to the strategy."""
    seen = _seen_before(session, run, pmids)
    rows = [
        {
            "run_id": run.id,
            "rank": rank,
            "pmid": pmid,
            "state": HitState.PENDING.value,
            "is_new": pmid not in seen,
            "updated": False,
        }
        for rank, pmid in enumerate(pmids, 1)
    ]
    if rows:
        # Through the driver: SQLAlchemy's bulk insert took 0.5 s of Python for the
        # 50,000 hits of a large harvest, while its first efetch answers waited.
        columns = tuple(rows[0])
        driver_insert(session, HIT_TABLE, columns, bound_rows(session, HIT_TABLE, columns, rows))
    return sum(1 for row in rows if row["is_new"])


def finish_search_run(
    session: Session,
    *,
    run_id: int,
    actor: Actor,
    timings: dict[str, float],
    error: str | None = None,
) -> SearchRun:
    """Close the run: completed when every hit was fetched, otherwise incomplete."""
    run = get_search_run(session, run_id=run_id)
    states = _count_hits(session, run)
    run.timings = {**run.timings, **timings}
    if error is not None:
        run.errors = [*run.errors, error]
    pending = states.get(HitState.PENDING, 0)
    run.outcome = (
        SearchRunOutcome.INCOMPLETE if pending or error is not None else SearchRunOutcome.COMPLETED
    )
    run.finished_at = utcnow()
    record_event(
        session,
        actor=actor,
        action="finish",
        entity_type="search_run",
        entity_id=str(run.id),
        after={
            "outcome": run.outcome.value,
            "count": run.result_count,
            "retrieved": run.retrieved_count,
            "new": run.new_count,
            "missing": len(run.missing_pmids),
        },
    )
    return run


def _count_hits(session: Session, run: SearchRun) -> dict[HitState, int]:
    """Hits by state; the run's missing PMIDs, retrieved and updated counts set from them."""
    states = dict(
        session.execute(
            sa.select(SearchHit.state, sa.func.count())
            .where(SearchHit.run_id == run.id)
            .group_by(SearchHit.state)
        ).all()
    )
    run.missing_pmids = [
        pmid
        for pmid in session.scalars(
            sa.select(SearchHit.pmid).where(
                SearchHit.run_id == run.id, SearchHit.state == HitState.MISSING
            )
        )
        if pmid is not None
    ]
    run.retrieved_count = states.get(HitState.FETCHED, 0)
    run.updated_count = session.scalar(
        sa.select(sa.func.count()).where(SearchHit.run_id == run.id, SearchHit.updated)
    )
    return states


def get_search_run(session: Session, *, run_id: int) -> SearchRun:
    run = session.get(SearchRun, run_id)
    if run is None:
        raise NotFound(f"no search run with id {run_id}")
    return run


def strategy_runs(session: Session, *, strategy_id: int) -> list[SearchRun]:
    """Every run of the strategy's lineage (all versions), oldest first."""
    strategy = get_search_strategy(session, strategy_id=strategy_id)
    versions = [version.id for version in strategy_versions(session, strategy)]
    return list(
        session.scalars(
            sa.select(SearchRun).where(SearchRun.strategy_id.in_(versions)).order_by(SearchRun.id)
        )
    )


def run_hits(session: Session, *, run_id: int) -> list[SearchHit]:
    return list(
        session.scalars(
            sa.select(SearchHit).where(SearchHit.run_id == run_id).order_by(SearchHit.rank)
        )
    )
