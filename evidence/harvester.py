"""Run a search strategy against PubMed and store what it finds, completely and resumably.

Network work happens between short transactions, never inside one:

1. start (or resume) the run;
2. esearch with the history server, peeling a search over PubMed's 9,999-record
   ceiling by Entrez date (the last batch of each answer over it is fetched then, to
   read where the next search starts), then write all PMIDs as pending hits
   (``evidence.pubmed.retrieval``), while the first efetch requests of step 3 are
   already on their way (no batch is stored before the hits are);
3. efetch the pending PMIDs in batches from the history server (stored anew with
   epost when NCBI has lost them, or when resuming), parse each answer (in parser
   processes when the harvest is large; an answer that does not parse whole is asked
   for again), check that each batch returned what was asked, ask again by ID (POST)
   for the missing ones, and store each batch in its own transaction;
4. finish, with counts, missing PMIDs and timings.

A run that is killed keeps what it committed; running the strategy again resumes it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date

import Bio

from evidence.answer_parser import AnswerParser
from evidence.errors import HarvestError
from evidence.gc_pauses import shorter_gc_pauses
from evidence.parser_process import Prepared
from evidence.pubmed.entrez import EntrezClient
from evidence.pubmed.entrez_answers import article_set_reader
from evidence.pubmed.history_reader import BatchTicket, HistoryReader, HistorySet, sets_to_read
from evidence.pubmed.records import Deletion
from evidence.pubmed.retrieval import BATCH_SIZE, PmidCollector
from evidence.runtime import Runtime
from evidence.services.search_run_batches import pending_pmids, store_fetched_batch
from evidence.services.search_runs import (
    RunPlan,
    finish_search_run,
    record_search_results,
    start_search_run,
)
from evidence.wal_checkpoints import checkpoints_aside

MISSING_RETRIES = 2
# efetch requests on their way at once. NCBI takes about a second to answer a batch,
# so with one at a time a harvest would use a tenth of the rate limit; the limiter,
# shared by all of them, still spaces their starts.
IN_FLIGHT = 4
# Batches fetched ahead, per request in flight, while a new run's hits are written.
HEAD_START = 4

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Batch:
    wanted: list[str]
    records: list[Prepared]
    missing: list[str]
    renewed: int  # history sets NCBI had lost and that were stored anew


@dataclass(frozen=True)
class _Work:
    """What a run has to fetch: PMIDs in rank order, the history sets that hold them
    (none when resuming), and for a new run the step that stores them as hits."""

    pending: list[str]
    sets: Sequence[HistorySet]
    record_hits: Callable[[], None] | None


@dataclass(frozen=True)
class HarvestSummary:
    run_id: int
    outcome: str
    count: int | None
    retrieved: int | None
    new: int | None
    missing: list[str]
    resumed: bool


class Harvester:
    """Runs strategies through ``runtime``'s database and ``client``'s E-utilities."""

    def __init__(
        self,
        runtime: Runtime,
        client: EntrezClient | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        in_flight: int = IN_FLIGHT,
        on_progress: Progress | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.runtime = runtime
        self.client = client or EntrezClient(runtime.settings)
        self.batch_size = batch_size
        self.in_flight = max(1, in_flight)
        self.on_progress = on_progress or (lambda done, total: None)
        self.today = today

    def run(self, strategy_id: int, *, since_last: bool = False) -> HarvestSummary:
        with shorter_gc_pauses(), checkpoints_aside(self.runtime.engine):
            return self._run(strategy_id, since_last=since_last)

    def _run(self, strategy_id: int, *, since_last: bool) -> HarvestSummary:
        timings: dict[str, float] = {}
        with self.runtime.transaction(immediate=True) as session:
            plan = start_search_run(
                session,
                strategy_id=strategy_id,
                actor=self.runtime.actor,
                since_last=since_last,
                biopython_version=Bio.__version__,
                today=self.today(),
            )
        error = None
        with AnswerParser() as answers:
            try:
                started = time.monotonic()
                work = self._search(plan, answers) if plan.needs_search else self._resume(plan)
                if plan.needs_search:
                    timings["search_s"] = round(time.monotonic() - started, 3)
                started = time.monotonic()
                self._fetch(plan, work, answers)
                timings["fetch_s"] = round(time.monotonic() - started, 3)
            except HarvestError as failure:
                error = str(failure)
            except BaseException:
                # Interrupted (Ctrl-C) or a bug: close the run as incomplete, so that the
                # next run of the strategy resumes it, and let the interruption through.
                self._finish(plan.run_id, timings, "interrupted")
                raise
            # The parser processes end while the run is closed, not before.
            answers.end_input()
            summary = self._finish(plan.run_id, timings, error)
        if error is not None:
            raise HarvestError(f"run {plan.run_id} stopped and can be resumed: {error}")
        return replace(summary, resumed=plan.resumed)

    def _finish(self, run_id: int, timings: dict[str, float], error: str | None) -> HarvestSummary:
        with self.runtime.transaction(immediate=True) as session:
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

    def _search(self, plan: RunPlan, answers: AnswerParser) -> _Work:
        """List every hit; the parser processes start as soon as the first count says
        the harvest is large, and the hits are stored once the first batches are on
        their way."""
        collector = PmidCollector(self.client, today=self.today(), batch_size=self.batch_size)
        collected = collector.collect(plan.query, plan.window, on_count=answers.expect)
        if len(collected.pmids) != collected.count:
            collected.warnings.append(
                f"PubMed reported {collected.count} records; {len(collected.pmids)} were listed"
            )

        def record_hits() -> None:
            with self.runtime.transaction(immediate=True) as session:
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

        return _Work(collected.pmids, collected.sets, record_hits)

    def _resume(self, plan: RunPlan) -> _Work:
        """The hits a run stored earlier and has not fetched yet; no history sets."""
        with self.runtime.transaction(immediate=True) as session:
            return _Work(pending_pmids(session, run_id=plan.run_id), [], None)

    def _fetch(self, plan: RunPlan, work: _Work, answers: AnswerParser) -> None:
        """A pipeline: ``in_flight`` threads each fetch a batch and wait for it to be
        parsed (the parse is the check that the answer came whole, so a cut answer is
        asked for again), while this thread stores the batch before. A large harvest
        is parsed in parser processes, so parsing and storing run side by side.

        The first batches are fetched while this thread stores a new run's hits, which
        the batches' own transactions then mark fetched."""
        total, done = len(work.pending), 0
        self.on_progress(0, total)
        answers.expect(total)
        read = article_set_reader(answers.parse)
        reader = HistoryReader(self.client, self.batch_size, sets_to_read(work.pending, work.sets))
        planned = reader.tickets()
        answers.expect_answers(len(planned))
        tickets = iter(planned)
        fetching: deque[Future[Batch]] = deque()
        with ThreadPoolExecutor(self.in_flight, thread_name_prefix="efetch") as network:

            def fill(ahead: int = 2 * self.in_flight) -> None:
                # Twice the threads: a thread that is done finds the next one waiting.
                while len(fetching) < ahead and (ticket := next(tickets, None)):
                    fetching.append(network.submit(self._fetch_batch, reader, ticket, read))

            try:
                if work.record_hits is None:
                    fill()
                else:
                    # No batch is stored while the hits are written (0.3-0.5 s for
                    # 50,000 on two busy cores): enough are fetched ahead to fill it.
                    fill(HEAD_START * self.in_flight)
                    work.record_hits()
                while fetching:
                    batch = fetching.popleft().result()
                    with self.runtime.transaction(immediate=True) as session:
                        store_fetched_batch(
                            session,
                            run_id=plan.run_id,
                            records=batch.records,
                            missing=batch.missing,
                            renewed_sets=batch.renewed,
                            actor=self.runtime.actor,
                        )
                    done += len(batch.wanted)
                    self.on_progress(done, total)
                    fill()
            except BaseException:
                for upcoming in fetching:
                    upcoming.cancel()  # what is already on its way is waited for
                raise

    def _fetch_batch(
        self, reader: HistoryReader, ticket: BatchTicket, read: Callable[[bytes], list[Prepared]]
    ) -> Batch:
        fetched = reader.fetch(ticket, read)
        records, missing = self._complete(read, fetched.wanted, fetched.answer)
        return Batch(fetched.wanted, records, missing, fetched.renewed)

    def _complete(
        self, read: Callable[[bytes], list[Prepared]], wanted: list[str], received: list[Prepared]
    ) -> tuple[list[Prepared], list[str]]:
        """Keep what was asked for; ask again by ID for what did not come. What never
        comes is 'missing'."""
        records: list[Prepared] = []
        missing = wanted
        for attempt in range(1 + MISSING_RETRIES):
            if attempt:
                received = self.client.efetch(missing, read=read)
            asked = set(missing)
            kept = [r for r in received if isinstance(r, Deletion) or r.pmid in asked]
            records += kept
            got = {r.pmid for r in kept if not isinstance(r, Deletion)}
            missing = [pmid for pmid in missing if pmid not in got]
            if not missing:
                break
        return records, missing
