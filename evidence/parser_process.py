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

A large file import uses one parser process; a large harvest uses
``PARSER_PROCESSES``, each answer going to the least busy.

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
PARSER_PROCESSES = 2  # for a harvest
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


class _AnswerProcess:
    """One parser process serving efetch answers, the answers it owes in order, and
    threads of this process that write to it and read from it: a body written to a
    busy child waits in the pipe, and no caller should wait with it."""

    def __init__(self, on_end: Callable[[str], None]) -> None:
        self.child, self.input, output = _start("answers")
        self.waiting: deque[Future[list[Prepared]]] = deque()
        self._inbox: queue.Queue[tuple[Future[list[Prepared]], bytes] | None] = queue.Queue()
        self._lock = threading.Lock()  # guards ``waiting`` and ``_ended``
        self._ended: str | None = None
        self._on_end = on_end
        self._writer = threading.Thread(target=self._write_bodies, name="parser-bodies")
        self._reader = threading.Thread(
            target=self._read_answers, args=(output,), name="parser-answers"
        )
        self._writer.start()
        self._reader.start()

    @property
    def load(self) -> int:
        """Answers handed to this process and not answered yet."""
        return len(self.waiting) + self._inbox.qsize()

    def send(self, body: bytes) -> Future[list[Prepared]]:
        answer: Future[list[Prepared]] = Future()
        self._inbox.put((answer, body))
        return answer

    def _write_bodies(self) -> None:
        while (item := self._inbox.get()) is not None:
            answer, body = item
            with self._lock:
                if self._ended is not None:
                    answer.set_exception(ParseError(self._ended))
                    continue
                self.waiting.append(answer)
            try:
                _write(self.input, _pickled(body))
            except OSError:
                pass  # the child is gone: the answers thread fails what waits

    def _read_answers(self, output: IO[bytes]) -> None:
        while True:
            try:
                message = _receive(output)
            except (EOFError, OSError):
                break
            answer = self.waiting.popleft()
            if message[0] == "ok":
                answer.set_result(message[1])
            else:
                answer.set_exception(_error(*message[1:]))
        ended = f"the parser process stopped unexpectedly (exit status {self.child.wait()})"
        self._on_end(ended)
        with self._lock:
            self._ended = ended
            while self.waiting:
                self.waiting.popleft().set_exception(ParseError(ended))

    def end_input(self) -> None:
        """No more bodies: the child ends once it has answered what it has."""
        if self._writer.is_alive():
            self._inbox.put(None)
            self._writer.join()
        _close(self.input)

    def close(self) -> None:
        """After ``end_input``: wait for the last answers and for the child to end."""
        self._reader.join()
        _stop(self.child)


class AnswerParser:
    """Parses efetch answers: in this process, or in ``PARSER_PROCESSES`` parser
    processes once a harvest is expected to be large enough to make it pay.

    ``parse`` may be called from several threads at once; each answer goes to the
    parser process with the fewest answers waiting, and a thread of this process
    reads what each one sends back. Two of them parse a burst of answers (the first
    batches, and the last ones, which a harvest waits for) in about half the time.
    """

    def __init__(self) -> None:
        self._processes: list[_AnswerProcess] = []
        self._lock = threading.Lock()
        self._ended: str | None = None  # why the parser processes can answer no more

    def expect(self, records: int) -> None:
        """``records`` are to be parsed: start the parser processes now if they are
        many, so they are ready when the first answer comes."""
        if not self._processes and records >= LARGE_HARVEST:
            self._processes = [_AnswerProcess(self._end) for _ in range(PARSER_PROCESSES)]

    def parse(self, body: bytes) -> list[Prepared]:
        if not self._processes:
            return prepare_pubmed_xml(body)
        with self._lock:
            if self._ended is not None:
                raise ParseError(self._ended)
            answer = min(self._processes, key=lambda p: p.load).send(body)
        return answer.result()

    def _end(self, reason: str) -> None:
        """One parser process has stopped: no answer goes to any of them any more."""
        with self._lock:
            self._ended = self._ended or reason

    def end_input(self) -> None:
        """No more answers: the parser processes end once they have answered what they
        have, without anyone waiting (leaving the ``with`` block waits for them)."""
        with self._lock:
            self._ended = self._ended or "the parser processes take no more answers"
        for process in self._processes:
            process.end_input()  # all of them first: they wind down side by side

    def __enter__(self) -> AnswerParser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.end_input()
        for process in self._processes:
            process.close()


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
    # All is written and flushed, and nothing else is held: ending here skips the
    # interpreter's teardown (10-20 ms), which the harvest or import would wait for.
    os._exit(0)
