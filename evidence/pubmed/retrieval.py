"""Complete retrieval from PubMed through NCBI's history server; no database here.

:class:`PmidCollector` lists every PMID of a query. Each esearch keeps its result
on the history server (``usehistory=y``, all in one WebEnv) and lists up to 9,999
PMIDs in the same answer. A query with more hits than that is peeled by Entrez
date: the first answer's 9,999 newest hits are kept as they are, the last batch of
them is fetched at once (it is a batch the harvest needs anyway) and its Entrez
dates say from which day on the rest must be searched; and so on until an answer
lists all that is left. Should the answers not be in date order after all, the
range is split blind by Entrez date until every slice fits.

``evidence.pubmed.history_reader`` then reads the records of those sets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from evidence.pubmed.entrez import EntrezClient
from evidence.pubmed.entrez_answers import SearchResult, article_set_reader
from evidence.pubmed.entry_dates import entrez_dates
from evidence.pubmed.history_reader import HistorySet

ESEARCH_CEILING = 9_999
EARLIEST = date(1800, 1, 1)
# Records a harvest asks for in one efetch, unless told otherwise.
BATCH_SIZE = 200
# A blind date slice is cut to hold about this share of the ceiling: enough below it
# that a cut placed somewhat too far back still fits, the slice then kept as it is.
SLICE_TARGET = 0.8


@dataclass
class Collected:
    count: int
    translation: str | None
    pmids: list[str] = field(default_factory=list)
    sets: list[HistorySet] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _listed: set[str] = field(default_factory=set)

    def keep(
        self,
        ids: Sequence[str],
        webenv: str | None = None,
        query_key: str | None = None,
        *,
        answer: bytes | None = None,
    ) -> None:
        """Add the hits of ``ids`` not listed yet, NCBI's set (``webenv``,
        ``query_key``) holding them in that order. Slices cut at a day overlap on
        that day; its hits listed already lead the later answer, which is then read
        from the first new one. Should they not lead it, the new ones are posted.
        With ``answer``, efetch's answer for ``ids`` is here already."""
        fresh = tuple(pmid for pmid in ids if pmid not in self._listed)
        if not fresh:
            return
        skip = len(ids) - len(fresh)
        if answer is not None:
            skip = 0  # not read from NCBI's set
        elif fresh != tuple(ids[skip:]):
            webenv, query_key, skip = None, None, 0
        self.pmids += fresh
        self._listed.update(fresh)
        self.sets.append(HistorySet(fresh, webenv, query_key, skip, answer))


def _day(value: date) -> str:
    return value.strftime("%Y/%m/%d")


class PmidCollector:
    """All PMIDs of a query, by Entrez-date slices small enough for esearch to list."""

    def __init__(
        self, client: EntrezClient, *, today: date | None = None, batch_size: int = BATCH_SIZE
    ) -> None:
        self.client = client
        self.webenv: str | None = None
        self.today = today or date.today()
        self.batch_size = batch_size

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
        span = window or (EARLIEST, self.today + timedelta(days=1))
        self._peel(query, span, first, collected)
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

    def _peel(
        self, query: str, span: tuple[date, date], answer: SearchResult, collected: Collected
    ) -> None:
        """Keep ``answer``'s hits, and those of ``span`` it cannot list.

        Every recorded real answer lists the newest hits first (PMIDs descending), so
        the hits an answer over the ceiling leaves out are older than those it lists:
        from the Entrez date of its last listed hits back, the search goes on. Their
        records are the last batch of the answer, fetched here by ID with no request
        lost. The day of the cut is searched again; its hits listed already are not
        read twice. The counts check the order: every hit after the cut must have
        been listed, or the range is split blind instead.
        """
        low, high = span
        while answer.count > ESEARCH_CEILING:
            last = answer.ids[-self.batch_size :]
            body, days = self.client.efetch(last, read=article_set_reader(_with_entrez_dates))
            cut = min((days[pmid] for pmid in last if pmid in days), default=None)
            if cut is None or not low <= cut < high:
                break  # no dates, or all on the newest day left: no progress by peeling
            rest = self.search(query, (low, cut))
            listed = set(answer.ids)
            listed_again = sum(1 for pmid in rest.ids if pmid in listed)
            if answer.count - rest.count > len(answer.ids) - listed_again:
                break  # a hit after the cut was not listed: not in date order
            collected.keep(answer.ids[: -len(last)], answer.webenv, answer.query_key)
            collected.keep(last, answer=body)
            answer, high = rest, cut
        else:
            collected.keep(answer.ids, answer.webenv, answer.query_key)
            return
        _DateSplit(self, query, collected).run((low, high), answer.count)


def _with_entrez_dates(body: bytes) -> tuple[bytes, dict[str, date]]:
    return body, entrez_dates(body)


class _DateSplit:
    """One query's search cut by Entrez date into slices that each fit under the ceiling,
    newest slice first, for answers not in date order (see ``PmidCollector._peel``).

    Each cut is placed where about ``SLICE_TARGET`` of the ceiling's hits should lie,
    by interpolating the hits counted so far over the logarithm of their age: hits
    crowd into recent years, and on that scale they spread out evenly enough that a
    cut usually lands right the first time. A slice that fits is kept whatever its
    size (its PMIDs are listed in the same answer), one that does not narrows the
    interpolation; after two misses in a row the cut halves the range instead. Once a
    slice with a fair number of hits is kept, the next is cut from its hits a day.

    What is left once the rest would fit is searched as one slice.
    """

    def __init__(self, collector: PmidCollector, query: str, collected: Collected) -> None:
        self.collector = collector
        self.query = query
        self.collected = collected

    def run(self, span: tuple[date, date], count: int) -> None:
        """List the hits of ``span`` (``count`` of them)."""
        start, end = span
        newer = 0  # hits after ``upper`` (listed already)
        upper = end  # the newest day not yet listed
        # Known counts: hits on or after a day. Beyond ``end`` there are none.
        known: dict[date, int] = {start: count, end + timedelta(days=1): 0}
        density: float | None = None  # hits a day in the slice kept last
        misses = smalls = 0
        while count - newer > ESEARCH_CEILING:
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
                self._keep(found)
                small = found.count < SLICE_TARGET * ESEARCH_CEILING / 2
                if found.count >= SLICE_TARGET * ESEARCH_CEILING / 10:
                    density = found.count / ((upper - cut).days + 1)
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
            self._keep(self._search((start, upper)))

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

    def _keep(self, found: SearchResult) -> None:
        self.collected.keep(found.ids, found.webenv, found.query_key)
