"""Parse in a second process, and prepare the rows there, while this one stores.

Parsing and storing are both CPU work; in one Python process they take turns on
the interpreter lock. With the parser in its own process the two run side by side
on two cores, and an import or a harvest takes about as long as the slower of the
two instead of their sum. The parser process also builds each record's rows
(``prepare_record``), so what crosses between the processes is plain rows, cheap
to receive, and the storing process is left with little more than the inserts.

The parser process is ``python -m evidence.parser_process``, fed through its
standard input and answering on its standard output (length-prefixed pickles). It
is started as a program of its own rather than with ``multiprocessing``, whose
``spawn`` first re-runs the parent's main script in the child: that script may be
a Streamlit page or a test runner, which must not run twice. The child inherits no
database connection, and ignores Ctrl-C: the parent stops it by closing its input.

A large file import uses one parser process (``read_records``); a large harvest
uses several (``evidence.answer_parser``), through the message functions here.

Small jobs stay in this process: starting a parser process (a new interpreter that
imports lxml and the parsers, about 0.14 s) costs more than it saves on them.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, cast

from evidence.errors import MalformedXml, ParseError
from evidence.pubmed.record_rows import PreparedRecord, prepare_all
from evidence.pubmed.records import ArticleRecord, Deletion
from evidence.pubmed.xml_parser import iter_pubmed_xml, parse_pubmed_xml

Record = ArticleRecord | Deletion
Prepared = PreparedRecord | Deletion
BATCH = 500  # records per message of a file import
QUEUED_MESSAGES = 4  # messages the child holds while the parent does not read: memory bound
LARGE_FILE = 20_000_000  # bytes; below this, starting a process costs more than it saves
_LENGTH = struct.Struct("!Q")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])


def prepare_pubmed_xml(body: bytes) -> list[Prepared]:
    """One efetch answer, parsed and prepared."""
    return list(prepare_all(parse_pubmed_xml(body), "pubmed-xml"))


def _reader(kind: str) -> Callable[[Path], Iterable[Record]]:
    if kind == "pubmed-xml":
        return iter_pubmed_xml
    if kind == "medline":
        from evidence.pubmed.medline import iter_medline

        return iter_medline
    from evidence.pubmed.ris import iter_ris

    return iter_ris


# -- messages ------------------------------------------------------------------------


def _pickled(message: Any) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def send_message(stream: IO[bytes], message: Any) -> None:
    _write(stream, _pickled(message))


def _write(stream: IO[bytes], data: bytes) -> None:
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def receive_message(stream: IO[bytes]) -> Any:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    # Only ever from the child this module started, over its own pipe.
    return pickle.loads(data)  # noqa: S301


class _Outbox:
    """The child's messages, written by a thread of their own: a pipe holds only 64 kB,
    and the child must go on parsing while the parent is busy storing, not reading."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED_MESSAGES)
        self._writer = threading.Thread(target=self._write, args=(stream,), name="outbox")
        self._writer.start()

    def send(self, message: Any) -> None:
        self._queue.put(_pickled(message))

    def close(self) -> None:
        self._queue.put(None)
        self._writer.join()

    def _write(self, stream: IO[bytes]) -> None:
        while (data := self._queue.get()) is not None:
            try:
                _write(stream, data)
            except BrokenPipeError:
                # The parent stopped listening (its import failed, or it was stopped):
                # nothing is left to do. Ended at once, so no one flushes into the pipe.
                os._exit(0)


def _failure(error: ParseError) -> tuple[str, str, str]:
    return ("error", type(error).__name__, str(error))


def error_from(name: str, message: str) -> ParseError:
    return MalformedXml(message) if name == MalformedXml.__name__ else ParseError(message)


def start_child(*args: str) -> tuple[subprocess.Popen[bytes], IO[bytes], IO[bytes]]:
    """The parser process, its input and its output."""
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, path]))}
    command = [sys.executable, "-m", "evidence.parser_process", *args]
    # This interpreter running this module, with arguments made here: no shell, no input.
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)  # noqa: S603
    return child, cast(IO[bytes], child.stdin), cast(IO[bytes], child.stdout)


def close_stream(stream: IO[bytes] | None) -> None:
    if stream is not None:
        try:
            stream.close()
        except OSError:
            pass  # the child is gone already: what was left to flush has nowhere to go


def stop_child(child: subprocess.Popen[bytes]) -> int:
    close_stream(child.stdin)
    close_stream(child.stdout)
    try:
        return child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait()


# -- files ---------------------------------------------------------------------------


def read_records(kind: str, path: Path) -> Iterator[Prepared]:
    """The records of ``path`` ready to store; parsed in a second process when it is large.

    ``kind`` is the file format (``pubmed-xml``, ``medline``, ``ris``), which is also
    the ``record_format`` the rows are stored with.
    """
    if path.stat().st_size < LARGE_FILE:
        yield from prepare_all(_reader(kind)(path), kind)
        return
    child, _, output = start_child("file", kind, str(path))
    try:
        while True:
            try:
                message = receive_message(output)
            except EOFError:
                status = stop_child(child)
                raise ParseError(
                    f"{path}: the parser process stopped unexpectedly (exit status {status})"
                ) from None
            if message[0] == "batch":
                yield from message[1]
            elif message[0] == "end":
                return
            else:
                raise error_from(*message[1:])
    finally:
        stop_child(child)


def _serve_file(kind: str, path: str, out: _Outbox) -> None:
    batch: list[Prepared] = []
    try:
        for record in prepare_all(_reader(kind)(Path(path)), kind):
            batch.append(record)
            if len(batch) == BATCH:
                out.send(("batch", batch))
                batch = []
        if batch:
            out.send(("batch", batch))
    except ParseError as error:
        out.send(_failure(error))
        return
    out.send(("end", None))


def _serve_answers(source: IO[bytes], out: _Outbox) -> None:
    while True:
        try:
            body = receive_message(source)
        except EOFError:
            return
        try:
            answer: tuple[Any, ...] = ("ok", prepare_pubmed_xml(body))
        except ParseError as error:
            answer = _failure(error)
        out.send(answer)


def main(arguments: list[str]) -> None:
    """The parser process: ``file KIND PATH`` or ``answers``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    out = _Outbox(sys.stdout.buffer)
    try:
        if arguments[:1] == ["file"]:
            _serve_file(arguments[1], arguments[2], out)
        else:
            _serve_answers(sys.stdin.buffer, out)
    finally:
        out.close()


if __name__ == "__main__":
    main(sys.argv[1:])
    # All is written and flushed, and nothing else is held: ending here skips the
    # interpreter's teardown (10-20 ms), which the harvest or import would wait for.
    os._exit(0)
