"""Run a search strategy against PubMed and store what it finds, completely and resumably.

Network work happens between short transactions, never inside one:

1. start (or resume) the run;
2. esearch, splitting the Entrez-date range until every slice is under PubMed's
   9,999-record ceiling, then write all PMIDs as pending hits;
3. efetch the pending PMIDs in batches (POST), check that each batch returned what
   was asked, ask again for the missing ones, and store each batch in its own
   transaction;
4. finish, with counts, missing PMIDs and timings.

A run that is killed keeps what it committed; running the strategy again resumes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import Bio

from evidence.errors import HarvestError
from evidence.pubmed.entrez import EntrezClient, SearchResult
from evidence.pubmed.records import ArticleRecord, Deletion
from evidence.pubmed.xml_parser import parse_pubmed_xml
from evidence.runtime import Runtime
from evidence.services.search_runs import (
    RunPlan,
    finish_search_run,
    pending_pmids,
    record_search_results,
    start_search_run,
    store_fetched_batch,
)

ESEARCH_CEILING = 9_999
ESEARCH_PAGE = 5_000
EARLIEST = date(1800, 1, 1)
MISSING_RETRIES = 2

Progress = Callable[[int, int], None]


@dataclass
class Collected:
    count: int
    translation: str | None
    pmids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HarvestSummary:
    run_id: int
    outcome: str
    count: int | None
    retrieved: int | None
    new: int | None
    missing: list[str]
    resumed: bool


def _day(value: date) -> str:
    return value.strftime("%Y/%m/%d")


class PmidCollector:
    """All PMIDs of a query, by Entrez-date slices small enough for esearch to list."""

    def __init__(self, client: EntrezClient) -> None:
        self.client = client

    def collect(self, query: str, window: tuple[date, date] | None) -> Collected:
        first = self._search(query, window, retmax=0)
        collected = Collected(first.count, first.query_translation)
        collected.warnings += first.warnings
        collected.errors += first.errors
        if first.count <= ESEARCH_CEILING:
            collected.pmids = self._page(query, window, first.count)
        else:
            start, end = window or (EARLIEST, date.today() + timedelta(days=1))
            collected.pmids = list(self._split(query, start, end, collected))
        collected.pmids = list(dict.fromkeys(collected.pmids))  # one hit per PMID, first rank
        return collected

    def _search(
        self, query: str, window: tuple[date, date] | None, *, retstart: int = 0, retmax: int
    ) -> SearchResult:
        if window is None:
            return self.client.esearch(query, retstart=retstart, retmax=retmax)
        return self.client.esearch(
            query,
            retstart=retstart,
            retmax=retmax,
            mindate=_day(window[0]),
            maxdate=_day(window[1]),
            datetype="edat",
        )

    def _page(self, query: str, window: tuple[date, date] | None, count: int) -> list[str]:
        pmids: list[str] = []
        for start in range(0, min(count, ESEARCH_CEILING), ESEARCH_PAGE):
            size = min(ESEARCH_PAGE, ESEARCH_CEILING - start)
            pmids += self._search(query, window, retstart=start, retmax=size).ids
        return pmids

    def _split(self, query: str, start: date, end: date, collected: Collected) -> Iterator[str]:
        """Newest slice first, halving the date range until each slice fits."""
        count = self._search(query, (start, end), retmax=0).count
        if count <= ESEARCH_CEILING:
            yield from self._page(query, (start, end), count)
            return
        if start >= end:
            collected.warnings.append(
                f"{count} records share the Entrez date {start}: only the first "
                f"{ESEARCH_CEILING} can be listed"
            )
            yield from self._page(query, (start, end), count)
            return
        middle = start + (end - start) // 2
        yield from self._split(query, middle + timedelta(days=1), end, collected)
        yield from self._split(query, start, middle, collected)


class Harvester:
    """Runs strategies through ``runtime``'s database and ``client``'s E-utilities."""

    def __init__(
        self,
        runtime: Runtime,
        client: EntrezClient | None = None,
        *,
        batch_size: int = 200,
        on_progress: Progress | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.runtime = runtime
        self.client = client or EntrezClient(runtime.settings)
        self.batch_size = batch_size
        self.on_progress = on_progress or (lambda done, total: None)
        self.today = today

    def run(self, strategy_id: int, *, since_last: bool = False) -> HarvestSummary:
        timings: dict[str, float] = {}
        with self.runtime.transaction() as session:
            plan = start_search_run(
                session,
                strategy_id=strategy_id,
                actor=self.runtime.actor,
                since_last=since_last,
                biopython_version=Bio.__version__,
                today=self.today(),
            )
        error = None
        try:
            if plan.needs_search:
                started = time.monotonic()
                self._search(plan)
                timings["search_s"] = round(time.monotonic() - started, 3)
            started = time.monotonic()
            self._fetch(plan)
            timings["fetch_s"] = round(time.monotonic() - started, 3)
        except HarvestError as failure:
            error = str(failure)
        except BaseException:
            # Interrupted (Ctrl-C) or a bug: close the run as incomplete, so that the
            # next run of the strategy resumes it, and let the interruption through.
            self._finish(plan.run_id, timings, "interrupted")
            raise
        summary = self._finish(plan.run_id, timings, error)
        if error is not None:
            raise HarvestError(f"run {plan.run_id} stopped and can be resumed: {error}")
        return replace(summary, resumed=plan.resumed)

    def _finish(self, run_id: int, timings: dict[str, float], error: str | None) -> HarvestSummary:
        with self.runtime.transaction() as session:
            run = finish_search_run(
                session, run_id=run_id, actor=self.runtime.actor, timings=timings, error=error
            )
            return HarvestSummary(
                run_id=run.id,
                outcome=run.outcome.value,
                count=run.result_count,
                retrieved=run.retrieved_count,
                new=run.new_count,
                missing=list(run.missing_pmids),
                resumed=False,
            )

    def _search(self, plan: RunPlan) -> None:
        collected = PmidCollector(self.client).collect(plan.query, plan.window)
        if len(collected.pmids) != collected.count:
            collected.warnings.append(
                f"PubMed reported {collected.count} records; {len(collected.pmids)} were listed"
            )
        with self.runtime.transaction() as session:
            record_search_results(
                session,
                run_id=plan.run_id,
                pmids=collected.pmids,
                count=collected.count,
                translation=collected.translation,
                warnings=collected.warnings,
                errors=collected.errors,
                actor=self.runtime.actor,
            )

    def _fetch(self, plan: RunPlan) -> None:
        """Fetch batch n+1 (network and parsing, in a worker) while batch n is stored."""
        with self.runtime.transaction() as session:
            pending = pending_pmids(session, run_id=plan.run_id)
        batches = [
            pending[i : i + self.batch_size] for i in range(0, len(pending), self.batch_size)
        ]
        total, done = len(pending), 0
        self.on_progress(0, total)
        if not batches:
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="efetch") as worker:
            upcoming = worker.submit(self._fetch_batch, batches[0])
            for index, batch in enumerate(batches):
                records, missing = upcoming.result()
                if index + 1 < len(batches):
                    upcoming = worker.submit(self._fetch_batch, batches[index + 1])
                with self.runtime.transaction() as session:
                    store_fetched_batch(
                        session,
                        run_id=plan.run_id,
                        records=records,
                        missing=missing,
                        actor=self.runtime.actor,
                    )
                done += len(batch)
                self.on_progress(done, total)

    def _fetch_batch(self, batch: list[str]) -> tuple[list[ArticleRecord | Deletion], list[str]]:
        """Fetch, then ask again for what did not come; what never comes is 'missing'."""
        records: list[ArticleRecord | Deletion] = []
        wanted = list(batch)
        for _attempt in range(1 + MISSING_RETRIES):
            if not wanted:
                break
            received = parse_pubmed_xml(self.client.efetch_xml(wanted))
            records += received
            got = {r.pmid for r in received if isinstance(r, ArticleRecord)}
            wanted = [pmid for pmid in wanted if pmid not in got]
        return records, wanted
