"""Complete retrieval from PubMed through NCBI's history server; no database here.

:class:`PmidCollector` lists every PMID of a query. Each esearch keeps its result
on the history server (``usehistory=y``, all in one WebEnv) and lists up to 9,999
PMIDs in the same answer; a query with more hits than that is split by Entrez date
until every slice fits, newest slice first.

:class:`HistoryReader` then reads the records of those sets with efetch by
``WebEnv``/``query_key`` and ``retstart``, batch by batch; the short last batches of
a split search's sets are gathered and asked for by ID. A set NCBI no longer
holds (WebEnvs live for hours, and a resumed run has none) is stored anew with
epost, whole and in the same order, so every batch keeps its offset.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Generic, TypeVar

from evidence.errors import HarvestError, HistorySessionLost
from evidence.pubmed.entrez import EntrezClient
from evidence.pubmed.entrez_answers import SearchResult, article_set_reader
from evidence.pubmed.entry_dates import entrez_dates

T = TypeVar("T")

ESEARCH_CEILING = 9_999
EARLIEST = date(1800, 1, 1)
# An epost set this large is one request of about 90 kB; a lost session costs at
# most the re-posting of one such set.
POSTED_SET_SIZE = 10_000
# A date slice is cut to hold about this share of the ceiling: enough below it that a
# cut placed somewhat too far back still fits, the slice then kept as it is.
SLICE_TARGET = 0.8
# The first slice is cut at the Entrez date of the hits at this rank of the first
# answer, which lists the newest hits first (PMIDs descending in every recorded
# answer): about this many hits lie from that day on, and the date of the newest hits
# gives their number a day. Searching blind for the first cut took up to six esearch
# requests; this takes one efetch of a few records, by PMID.
PROBED_RANK = round(SLICE_TARGET * ESEARCH_CEILING)
PROBED_RECORDS = 3  # of each group: the newest, and those at the rank
# Sessions re-created in a row without a batch read in between before giving up.
MAX_RENEWALS = 3


@dataclass(frozen=True)
class HistorySet:
    """PMIDs in the order NCBI holds them as one set; ``webenv`` None: not posted yet."""

    pmids: tuple[str, ...]
    webenv: str | None = None
    query_key: str | None = None


@dataclass(frozen=True)
class FetchedBatch(Generic[T]):
    """efetch's answer for ``wanted``, as read; ``renewed``: sets stored anew to get it."""

    wanted: list[str]
    answer: T
    renewed: int


@dataclass
class Collected:
    count: int
    translation: str | None
    pmids: list[str] = field(default_factory=list)
    sets: list[HistorySet] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _day(value: date) -> str:
    return value.strftime("%Y/%m/%d")


class PmidCollector:
    """All PMIDs of a query, by Entrez-date slices small enough for esearch to list."""

    def __init__(self, client: EntrezClient, *, today: date | None = None) -> None:
        self.client = client
        self.webenv: str | None = None
        self.today = today or date.today()

    def collect(
        self,
        query: str,
        window: tuple[date, date] | None,
        *,
        on_count: Callable[[int], None] | None = None,
    ) -> Collected:
        """Every PMID of ``query``; ``on_count`` hears PubMed's count as soon as the
        first answer gives it, before any split."""
        first = self.search(query, window)
        if on_count is not None:
            on_count(first.count)
        collected = Collected(first.count, first.query_translation)
        collected.warnings += first.warnings
        collected.errors += first.errors
        if first.count <= ESEARCH_CEILING:
            _keep(first, collected)
        else:
            span = window or (EARLIEST, self.today + timedelta(days=1))
            _DateSplit(self, query, collected).run(span, first.count, self._probe(first))
        collected.pmids = list(dict.fromkeys(collected.pmids))  # one hit per PMID, first rank
        return collected

    def search(self, query: str, window: tuple[date, date] | None) -> SearchResult:
        """esearch in this collector's WebEnv, kept on the history server, listing up to
        the ceiling."""
        result = self.client.esearch(
            query,
            usehistory=True,
            webenv=self.webenv,
            retmax=ESEARCH_CEILING,
            mindate=_day(window[0]) if window else None,
            maxdate=_day(window[1]) if window else None,
            datetype="edat" if window else None,
        )
        self.webenv = result.webenv or self.webenv
        return result

    def _probe(self, first: SearchResult) -> Probe | None:
        """The Entrez dates of the newest hits and of those at rank ``PROBED_RANK`` of
        the first answer, read with one small efetch; None when the answer lists too
        few PMIDs or the dates make no sense (newest before the rank's)."""
        if len(first.ids) < PROBED_RANK + PROBED_RECORDS:
            return None
        newest_ids = first.ids[:PROBED_RECORDS]
        ranked_ids = first.ids[PROBED_RANK : PROBED_RANK + PROBED_RECORDS]
        days = self.client.efetch([*newest_ids, *ranked_ids], read=article_set_reader(entrez_dates))
        # The newest of each group: a record that entered PubMed late has an old date.
        newest = max((days[pmid] for pmid in newest_ids if pmid in days), default=None)
        ranked = max((days[pmid] for pmid in ranked_ids if pmid in days), default=None)
        if newest is None or ranked is None or ranked > newest:
            return None
        return Probe(newest, ranked)


@dataclass(frozen=True)
class Probe:
    """Entrez dates read from the first answer: its newest hits', and those of the hits
    at rank ``PROBED_RANK``."""

    newest: date
    ranked: date


def _keep(result: SearchResult, collected: Collected) -> None:
    collected.pmids += result.ids
    if result.ids:
        collected.sets.append(HistorySet(result.ids, result.webenv, result.query_key))


class _DateSplit:
    """One query's search cut by Entrez date into slices that each fit under the ceiling,
    newest slice first.

    With a :class:`Probe`, the first cut is at the Entrez date of the first answer's
    hits at rank ``PROBED_RANK``, and the hits a day of that slice are counted from
    its newest hits' date. Every other cut is placed where about ``SLICE_TARGET`` of
    the ceiling's hits should lie, by interpolating the hits counted so far over the
    logarithm of their age: hits crowd into recent years, and on that scale they
    spread out evenly enough that a cut usually lands right the first time. A slice
    that fits is kept whatever its size (its PMIDs are listed in the same answer), one
    that does not narrows the interpolation; after two misses in a row the cut halves
    the range instead. Once a slice with a fair number of hits is kept, the next is
    cut from its hits a day.

    What is left once the rest would fit is searched as one slice.
    """

    def __init__(self, collector: PmidCollector, query: str, collected: Collected) -> None:
        self.collector = collector
        self.query = query
        self.collected = collected

    def run(self, span: tuple[date, date], count: int, probe: Probe | None = None) -> None:
        """List the hits of ``span`` (``count`` of them); with a ``probe``, the first
        slice is cut at its ranked hits' date, and its hits a day counted from its
        newest hits' date."""
        start, end = span
        first_cut = probe.ranked if probe else None
        top = min(probe.newest, end) if probe else end  # the newest day with hits, as known
        newer = 0  # hits after ``upper`` (listed already)
        upper = end  # the newest day not yet listed
        # Known counts: hits on or after a day. Beyond ``end`` there are none.
        known: dict[date, int] = {start: count, end + timedelta(days=1): 0}
        density: float | None = None  # hits a day in the slice kept last
        misses = smalls = 0
        while count - newer > ESEARCH_CEILING:
            if first_cut is not None and start < first_cut <= upper:
                cut, first_cut = first_cut, None
            else:
                cut = min(self._cut(known, newer, upper, end, density, misses, smalls), upper)
            found = self._search((cut, upper))
            known[cut] = newer + found.count
            density = None
            if found.count <= ESEARCH_CEILING or cut == upper:
                if found.count > ESEARCH_CEILING:
                    self.collected.warnings.append(
                        f"{found.count} records share the Entrez date {cut}: only the first "
                        f"{ESEARCH_CEILING} can be listed"
                    )
                _keep(found, self.collected)
                small = found.count < SLICE_TARGET * ESEARCH_CEILING / 2
                if found.count >= SLICE_TARGET * ESEARCH_CEILING / 10:
                    density = found.count / ((max(min(upper, top), cut) - cut).days + 1)
                newer += found.count
                upper = cut - timedelta(days=1)
                misses = 0
                smalls = smalls + 1 if small else 0
            else:
                misses += 1
                smalls = 0
        if start <= upper:
            # Searched even when subtraction says it is empty: PubMed may have added
            # records there since the first count.
            _keep(self._search((start, upper)), self.collected)

    @staticmethod
    def _cut(
        known: dict[date, int],
        newer: int,
        upper: date,
        end: date,
        density: float | None,
        misses: int,
        smalls: int,
    ) -> date:
        """The day from which on to ``upper`` about ``SLICE_TARGET`` x ceiling hits lie.

        Right after a slice that was kept with a fair number of hits, from its hits a
        day: the stretch of time next to it holds about as many. Otherwise by the counts
        known so far, over the logarithm of the age, each cut after a slice far smaller
        than aimed at reaching twice as far (a stretch without hits, as in a narrow
        query's recent past). Two misses in a row: halfway, on the log scale.
        """
        target = newer + SLICE_TARGET * ESEARCH_CEILING
        older = max((day for day, hits in known.items() if hits > target), default=None)
        recent = min(day for day, hits in known.items() if hits <= target)
        if older is None or recent - older <= timedelta(days=1):
            return recent - timedelta(days=1)

        def age(day: date) -> float:
            return math.log((end - day).days + 2)  # 1 for the day after ``end``

        x_old, x_new = age(older), age(recent)
        if misses >= 2:
            day = end + timedelta(days=1) - timedelta(days=round(math.exp((x_old + x_new) / 2)) - 1)
        elif density:
            day = upper - timedelta(days=round(SLICE_TARGET * ESEARCH_CEILING / density) - 1)
        else:
            share = (target - known[recent]) / (known[older] - known[recent])
            x = x_new + (x_old - x_new) * min(1.0, share * 2**smalls)
            day = end + timedelta(days=1) - timedelta(days=round(math.exp(x)) - 1)
        return min(max(day, older + timedelta(days=1)), recent - timedelta(days=1))

    def _search(self, span: tuple[date, date]) -> SearchResult:
        return self.collector.search(self.query, span)


def sets_to_read(pending: Sequence[str], searched: Sequence[HistorySet]) -> list[HistorySet]:
    """The search's own sets when they hold exactly the pending PMIDs, in order;
    otherwise (a resumed run, or a PMID listed twice) the pending PMIDs, to be posted."""
    if [pmid for held in searched for pmid in held.pmids] == list(pending):
        return list(searched)
    return [
        HistorySet(tuple(pending[i : i + POSTED_SET_SIZE]))
        for i in range(0, len(pending), POSTED_SET_SIZE)
    ]


@dataclass(frozen=True)
class BatchTicket:
    """One efetch: ``wanted`` are the PMIDs at ``offset`` of set ``set_index``, or, with
    ``set_index`` None, PMIDs asked for by ID."""

    set_index: int | None
    offset: int
    wanted: list[str]


@dataclass
class _HeldSet:
    """A set and NCBI's current key to it; ``generation`` counts the keys it had."""

    pmids: tuple[str, ...]
    webenv: str | None
    query_key: str | None
    generation: int = 0
    lost_in_a_row: int = 0


class HistoryReader:
    """Reads history sets in batches of ``batch_size`` PMIDs, from several threads at once.

    A set NCBI has lost is posted anew whole, in the same order, so every batch keeps
    its offset and batches already in flight simply ask again with the new key.
    """

    def __init__(self, client: EntrezClient, batch_size: int, sets: Sequence[HistorySet]) -> None:
        self.client = client
        self.batch_size = batch_size
        self._sets = [_HeldSet(s.pmids, s.webenv, s.query_key) for s in sets]
        self._webenv: str | None = None
        self._lock = threading.Lock()  # held while posting: the others need the key too

    def tickets(self) -> list[BatchTicket]:
        """Each set read batch by batch. The shorter last batches of a split search's
        sets are gathered into full batches asked for by ID, when that takes fewer
        requests: slices of 8,001 and 2,106 hits are 51 batches of 200, not 52."""
        size = self.batch_size
        full: list[BatchTicket] = []
        ends: list[BatchTicket] = []
        for index, held in enumerate(self._sets):
            whole = len(held.pmids) - len(held.pmids) % size
            full += [
                BatchTicket(index, offset, list(held.pmids[offset : offset + size]))
                for offset in range(0, whole, size)
            ]
            if whole < len(held.pmids):
                ends.append(BatchTicket(index, whole, list(held.pmids[whole:])))
        gathered = [pmid for end in ends for pmid in end.wanted]
        if -(-len(gathered) // size) >= len(ends):
            return full + ends
        return full + [
            BatchTicket(None, 0, gathered[start : start + size])
            for start in range(0, len(gathered), size)
        ]

    def fetch(self, ticket: BatchTicket, read: Callable[[bytes], T]) -> FetchedBatch[T]:
        """The ticket's batch, read by ``read`` (see ``EntrezClient.efetch``)."""
        if ticket.set_index is None:
            return FetchedBatch(ticket.wanted, self.client.efetch(ticket.wanted, read=read), 0)
        renewed = 0
        while True:
            webenv, query_key, generation = self._key(ticket.set_index)
            try:
                answer = self.client.efetch(
                    webenv=webenv,
                    query_key=query_key,
                    retstart=ticket.offset,
                    retmax=len(ticket.wanted),
                    read=read,
                )
            except HistorySessionLost as lost:
                renewed += self._renew(ticket.set_index, generation, lost)
                continue
            with self._lock:
                self._sets[ticket.set_index].lost_in_a_row = 0
            return FetchedBatch(ticket.wanted, answer, renewed)

    def _key(self, index: int) -> tuple[str, str, int]:
        with self._lock:
            held = self._sets[index]
            if held.webenv is None or held.query_key is None:
                key = self.client.epost(held.pmids, webenv=self._webenv)
                self._webenv = held.webenv = key.webenv
                held.query_key = key.query_key
            return held.webenv, held.query_key, held.generation

    def _renew(self, index: int, generation: int, lost: HistorySessionLost) -> int:
        """Forget the lost key (once, whichever thread saw it first); 1 if this call did."""
        with self._lock:
            held = self._sets[index]
            if held.generation != generation:
                return 0  # another batch of the set found it lost and renewed it
            held.lost_in_a_row += 1
            if held.lost_in_a_row > MAX_RENEWALS:
                raise HarvestError(
                    f"the history server lost the set {MAX_RENEWALS + 1} times in a row: {lost}",
                    request=lost.request,
                    status=lost.status,
                ) from lost
            held.webenv = held.query_key = None
            held.generation += 1
            self._webenv = None  # the whole session may be gone: start a new one
            return 1
