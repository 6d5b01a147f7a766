"""Parse a large file in a second process while this one stores what it has parsed.

Parsing and storing are both CPU work; in one Python process they take turns. With
the parser in its own process the two run side by side on two cores, and a file
import takes about as long as the slower of the two instead of their sum.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from evidence.errors import ParseError
from evidence.pubmed.records import ArticleRecord, Deletion

Record = ArticleRecord | Deletion
BATCH = 500
QUEUED_BATCHES = 8  # bounds the memory held between the two processes
LARGE_FILE = 20_000_000  # bytes; below this, starting a process costs more than it saves


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
    batch: list[Record] = []
    try:
        for record in _reader(kind)(Path(path)):
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


def read_records(kind: str, path: Path) -> Iterator[Record]:
    """The records of ``path``; parsed in a second process when the file is large."""
    if path.stat().st_size < LARGE_FILE:
        yield from _reader(kind)(path)
        return
    context = multiprocessing.get_context("spawn")  # no inherited database connections
    channel = context.Queue(maxsize=QUEUED_BATCHES)
    worker = context.Process(target=_produce, args=(kind, str(path), channel), daemon=True)
    worker.start()
    try:
        yield from _receive(channel, worker, path)
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()


def _receive(channel: Any, worker: Any, path: Path) -> Iterator[Record]:
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
