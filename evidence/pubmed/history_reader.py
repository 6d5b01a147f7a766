"""Reading history sets from NCBI in batches, from several threads at once.

:class:`HistoryReader` reads the sets :class:`~evidence.pubmed.retrieval.PmidCollector`
found with efetch by ``WebEnv``/``query_key`` and ``retstart``, batch by batch; the
short last batches of a split search's sets are gathered and asked for by ID. A set
NCBI no longer holds (WebEnvs live for hours, and a resumed run has none) is stored
anew with epost, whole and in the same order, so every batch keeps its offset.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from evidence.errors import HarvestError, HistorySessionLost
from evidence.pubmed.entrez import EntrezClient

T = TypeVar("T")

# An epost set this large is one request of about 90 kB; a lost session costs at
# most the re-posting of one such set.
POSTED_SET_SIZE = 10_000
# Sessions re-created in a row without a batch read in between before giving up.
MAX_RENEWALS = 3


@dataclass(frozen=True)
class HistorySet:
    """PMIDs in the order NCBI holds them as one set, from ``offset`` on (those before
    are listed in an earlier set); ``webenv`` None: not posted yet. With ``answer``,
    efetch's answer for all of them is already here."""

    pmids: tuple[str, ...]
    webenv: str | None = None
    query_key: str | None = None
    offset: int = 0
    answer: bytes | None = None


@dataclass(frozen=True)
class FetchedBatch(Generic[T]):
    """efetch's answer for ``wanted``, as read; ``renewed``: sets stored anew to get it."""

    wanted: list[str]
    answer: T
    renewed: int


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
    offset: int = 0
    answer: bytes | None = None
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
        self._sets = [_HeldSet(s.pmids, s.webenv, s.query_key, s.offset, s.answer) for s in sets]
        self._webenv: str | None = None
        self._lock = threading.Lock()  # held while posting: the others need the key too

    def tickets(self) -> list[BatchTicket]:
        """Each set read batch by batch. The shorter last batches of a split search's
        sets are gathered into full batches asked for by ID, when that takes fewer
        requests: slices of 8,001 and 2,106 hits are 51 batches of 200, not 52.

        Batches fetched already come first: they cost no request, and are parsed and
        stored while the first requests are on their way, not at the end, where the
        harvest waits for its last batches."""
        size = self.batch_size
        fetched: list[BatchTicket] = []
        full: list[BatchTicket] = []
        ends: list[BatchTicket] = []
        for index, held in enumerate(self._sets):
            if held.answer is not None:
                fetched.append(BatchTicket(index, 0, list(held.pmids)))
                continue
            whole = len(held.pmids) - len(held.pmids) % size
            full += [
                BatchTicket(index, offset, list(held.pmids[offset : offset + size]))
                for offset in range(0, whole, size)
            ]
            if whole < len(held.pmids):
                ends.append(BatchTicket(index, whole, list(held.pmids[whole:])))
        gathered = [pmid for end in ends for pmid in end.wanted]
        if -(-len(gathered) // size) < len(ends):
            ends = [
                BatchTicket(None, 0, gathered[start : start + size])
                for start in range(0, len(gathered), size)
            ]
        return fetched + full + ends

    def fetch(self, ticket: BatchTicket, read: Callable[[bytes], T]) -> FetchedBatch[T]:
        """The ticket's batch, read by ``read`` (see ``EntrezClient.efetch``)."""
        if ticket.set_index is None:
            return FetchedBatch(ticket.wanted, self.client.efetch(ticket.wanted, read=read), 0)
        if (fetched := self._take_answer(ticket.set_index)) is not None:
            return FetchedBatch(ticket.wanted, read(fetched), 0)
        renewed = 0
        while True:
            webenv, query_key, offset, generation = self._key(ticket.set_index)
            try:
                answer = self.client.efetch(
                    webenv=webenv,
                    query_key=query_key,
                    retstart=offset + ticket.offset,
                    retmax=len(ticket.wanted),
                    read=read,
                )
            except HistorySessionLost as lost:
                renewed += self._renew(ticket.set_index, generation, lost)
                continue
            with self._lock:
                self._sets[ticket.set_index].lost_in_a_row = 0
            return FetchedBatch(ticket.wanted, answer, renewed)

    def _take_answer(self, index: int) -> bytes | None:
        with self._lock:
            held = self._sets[index]
            answer, held.answer = held.answer, None  # read once: no need to keep it
            return answer

    def _key(self, index: int) -> tuple[str, str, int, int]:
        """The set's WebEnv, query_key, offset of its first PMID, and generation."""
        with self._lock:
            held = self._sets[index]
            if held.webenv is None or held.query_key is None:
                key = self.client.epost(held.pmids, webenv=self._webenv)
                self._webenv = held.webenv = key.webenv
                held.query_key = key.query_key
                held.offset = 0  # posted: the set holds these PMIDs only
            return held.webenv, held.query_key, held.offset, held.generation

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
