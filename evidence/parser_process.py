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
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType
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
LARGE_HARVEST = 2_000  # records
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


def _write(stream: IO[bytes], data: bytes) -> None:
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
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


def _error(name: str, message: str) -> ParseError:
    return MalformedXml(message) if name == MalformedXml.__name__ else ParseError(message)


def _start(*args: str) -> tuple[subprocess.Popen[bytes], IO[bytes], IO[bytes]]:
    """The parser process, its input and its output."""
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, path]))}
    command = [sys.executable, "-m", "evidence.parser_process", *args]
    # This interpreter running this module, with arguments made here: no shell, no input.
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)  # noqa: S603
    return child, cast(IO[bytes], child.stdin), cast(IO[bytes], child.stdout)


def _close(stream: IO[bytes] | None) -> None:
    if stream is not None:
        try:
            stream.close()
        except OSError:
            pass  # the child is gone already: what was left to flush has nowhere to go


def _stop(child: subprocess.Popen[bytes]) -> int:
    _close(child.stdin)
    _close(child.stdout)
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
    child, _, output = _start("file", kind, str(path))
    try:
        while True:
            try:
                message = _receive(output)
            except EOFError:
                status = _stop(child)
                raise ParseError(
                    f"{path}: the parser process stopped unexpectedly (exit status {status})"
                ) from None
            if message[0] == "batch":
                yield from message[1]
            elif message[0] == "end":
                return
            else:
                raise _error(*message[1:])
    finally:
        _stop(child)


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


# -- efetch answers ------------------------------------------------------------------


class AnswerParser:
    """Parses efetch answers: in this process, or in a parser process once a harvest
    is expected to be large enough to make it pay.

    ``parse`` may be called from several threads at once; the parser process takes
    the answers in the order they are handed in, and a thread of this process reads
    what it sends back.
    """

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        self._input: IO[bytes] | None = None
        self._answers: threading.Thread | None = None
        self._lock = threading.Lock()  # keeps the order of requests and of futures one
        self._waiting: deque[Future[list[Prepared]]] = deque()
        self._ended: str | None = None  # why the parser process can answer no more

    def expect(self, records: int) -> None:
        """``records`` are to be parsed: start the parser process now if they are many,
        so it is ready when the first answer comes."""
        if self._child is None and records >= LARGE_HARVEST:
            self._child, self._input, output = _start("answers")
            self._answers = threading.Thread(
                target=self._read_answers, args=(self._child, output), name="parser-answers"
            )
            self._answers.start()

    def parse(self, body: bytes) -> list[Prepared]:
        if self._input is None:
            return prepare_pubmed_xml(body)
        answer: Future[list[Prepared]] = Future()
        with self._lock:
            if self._ended is not None:
                raise ParseError(self._ended)
            self._waiting.append(answer)
            try:
                _write(self._input, _pickled(body))
            except OSError:
                pass  # the child is gone: the answers thread fails what waits
        return answer.result()

    def _read_answers(self, child: subprocess.Popen[bytes], output: IO[bytes]) -> None:
        while True:
            try:
                message = _receive(output)
            except (EOFError, OSError):
                break
            answer = self._waiting.popleft()
            if message[0] == "ok":
                answer.set_result(message[1])
            else:
                answer.set_exception(_error(*message[1:]))
        with self._lock:
            self._ended = f"the parser process stopped unexpectedly (exit status {child.wait()})"
            while self._waiting:
                self._waiting.popleft().set_exception(ParseError(self._ended))

    def __enter__(self) -> AnswerParser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._child is not None and self._input is not None:
            _close(self._input)  # the child ends when its input does
            if self._answers is not None:
                self._answers.join()
            _stop(self._child)


def _serve_answers(source: IO[bytes], out: _Outbox) -> None:
    while True:
        try:
            body = _receive(source)
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
