"""Parse in a second process, and prepare the rows there, while this one stores.

Parsing and storing are both CPU work; in one Python process they take turns on
the interpreter lock. With the parser in its own process the two run side by side
on two cores, and an import or a harvest takes about as long as the slower of the
two instead of their sum. The parser process also builds each record's rows
(``prepare_record``), so what crosses between the processes is plain rows, cheap
to receive, and the storing process is left with little more than the inserts.

Small jobs stay in this process: starting a parser process (a new interpreter that
imports lxml and the models) costs more than it saves on them.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from evidence.errors import ParseError
from evidence.pubmed.records import ArticleRecord, Deletion
from evidence.services.citation_rows import PreparedRecord, prepare_record

Record = ArticleRecord | Deletion
Prepared = PreparedRecord | Deletion
BATCH = 500
QUEUED_BATCHES = 8  # bounds the memory held between the two processes
LARGE_FILE = 20_000_000  # bytes; below this, starting a process costs more than it saves
LARGE_HARVEST = 2_000  # records


def _spawn() -> Any:
    return multiprocessing.get_context("spawn")  # no inherited database connections


def prepare_all(records: Iterable[Record], record_format: str) -> Iterator[Prepared]:
    for record in records:
        yield prepare_record(record, record_format) if isinstance(record, ArticleRecord) else record


# -- files ---------------------------------------------------------------------------


def _reader(kind: str) -> Callable[[Path], Iterable[Record]]:
    if kind == "pubmed-xml":
        from evidence.pubmed.xml_parser import iter_pubmed_xml

        return iter_pubmed_xml
    if kind == "medline":
        from evidence.pubmed.medline import iter_medline

        return iter_medline
    from evidence.pubmed.ris import iter_ris

    return iter_ris


def _produce(kind: str, path: str, out: Any) -> None:
    """In the child: parse, send batches, then ``None``; a parse error is sent as text."""
    batch: list[Prepared] = []
    try:
        for record in prepare_all(_reader(kind)(Path(path)), kind):
            batch.append(record)
            if len(batch) == BATCH:
                out.put(batch)
                batch = []
        if batch:
            out.put(batch)
    except ParseError as error:
        out.put(("error", str(error)))
        return
    out.put(None)


def read_records(kind: str, path: Path) -> Iterator[Prepared]:
    """The records of ``path`` ready to store; parsed in a second process when it is large.

    ``kind`` is the file format (``pubmed-xml``, ``medline``, ``ris``), which is also
    the ``record_format`` the rows are stored with.
    """
    if path.stat().st_size < LARGE_FILE:
        yield from prepare_all(_reader(kind)(path), kind)
        return
    channel = _spawn().Queue(maxsize=QUEUED_BATCHES)
    worker = _spawn().Process(target=_produce, args=(kind, str(path), channel), daemon=True)
    worker.start()
    try:
        yield from _receive(channel, worker, path)
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()


def _receive(channel: Any, worker: Any, path: Path) -> Iterator[Prepared]:
    while True:
        try:
            item = channel.get(timeout=1.0)
        except queue.Empty:
            if not worker.is_alive():
                raise ParseError(f"{path}: the parser stopped unexpectedly") from None
            continue
        if item is None:
            return
        if isinstance(item, tuple):
            raise ParseError(item[1])
        yield from item


# -- efetch answers ------------------------------------------------------------------


def prepare_pubmed_xml(body: bytes) -> list[Prepared]:
    """One efetch answer, parsed and prepared (run in the parser process)."""
    from evidence.pubmed.xml_parser import parse_pubmed_xml

    return list(prepare_all(parse_pubmed_xml(body), "pubmed-xml"))


class AnswerParser:
    """Parses efetch answers, in a parser process when ``records`` makes it worth it.

    ``parse`` may be called from several threads; answers are parsed in the order
    they are handed in.
    """

    def __init__(self, records: int) -> None:
        large = records >= LARGE_HARVEST
        self._pool = ProcessPoolExecutor(1, mp_context=_spawn()) if large else None

    @property
    def in_parser_process(self) -> bool:
        """True when parsing happens in a parser process, not in the calling thread."""
        return self._pool is not None

    def parse(self, body: bytes) -> list[Prepared]:
        if self._pool is None:
            return prepare_pubmed_xml(body)
        answer: Future[list[Prepared]] = self._pool.submit(prepare_pubmed_xml, body)
        return answer.result()

    def __enter__(self) -> AnswerParser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
