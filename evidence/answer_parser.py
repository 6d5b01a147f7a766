"""The parser processes of a large harvest, and the efetch answers they parse.

A harvest has several efetch requests on their way at once, and their answers come
faster than one process parses them on a busy machine. ``PARSER_PROCESSES`` parser
processes (``evidence.parser_process``) take them, each answer going to the least
busy, while the harvesting process stores; the last two answers, which the harvest
waits for, are cut between them (``article_set_parts``).

A small harvest is parsed in this process: starting the parser processes (about
0.14 s) costs more than they save on it.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from types import TracebackType
from typing import IO

from evidence.errors import MalformedXml, ParseError
from evidence.parser_process import (
    Prepared,
    close_stream,
    error_from,
    prepare_pubmed_xml,
    receive_message,
    send_message,
    start_child,
    stop_child,
)
from evidence.pubmed.article_set_parts import article_set_parts

LARGE_HARVEST = 2_000  # records
PARSER_PROCESSES = 2
# The last answers, cut between idle parser processes. The one before the last arrives
# before the last request is made; parsed in halves it is stored before the last answer
# comes, which then has the cores to itself. The only request its parse can delay is
# the last, and a late last request cannot crowd the rate limit's window: none follows.
CUT_ANSWERS = 2


class _AnswerProcess:
    """One parser process serving efetch answers, the answers it owes in order, and
    threads of this process that write to it and read from it: a body written to a
    busy child waits in the pipe, and no caller should wait with it."""

    def __init__(self, on_end: Callable[[str], None]) -> None:
        self.child, self.input, output = start_child("answers")
        self.waiting: deque[Future[list[Prepared]]] = deque()  # in the order sent
        self._inbox: queue.Queue[bytes | None] = queue.Queue()
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
        return len(self.waiting)

    def send(self, body: bytes) -> Future[list[Prepared]]:
        answer: Future[list[Prepared]] = Future()
        with self._lock:
            if self._ended is not None:
                answer.set_exception(ParseError(self._ended))
                return answer
            # Both under the lock: the answers come back in the order the bodies go.
            self.waiting.append(answer)
            self._inbox.put(body)
        return answer

    def _write_bodies(self) -> None:
        while (body := self._inbox.get()) is not None:
            try:
                send_message(self.input, body)
            except OSError:
                pass  # the child is gone: the answers thread fails what waits

    def _read_answers(self, output: IO[bytes]) -> None:
        while True:
            try:
                message = receive_message(output)
            except (EOFError, OSError):
                break
            with self._lock:
                answer = self.waiting.popleft()
            if message[0] == "ok":
                answer.set_result(message[1])
            else:
                answer.set_exception(error_from(*message[1:]))
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
        close_stream(self.input)

    def close(self) -> None:
        """After ``end_input``: wait for the last answers and for the child to end."""
        self._reader.join()
        stop_child(self.child)


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
        self._answers = 0  # given to ``parse`` so far
        self._last: int | None = None  # the number of the last answer, once known
        self.answers_cut = 0  # answers cut into parts, parsed side by side

    def expect(self, records: int) -> None:
        """``records`` are to be parsed: start the parser processes now if they are
        many, so they are ready when the first answer comes."""
        if not self._processes and records >= LARGE_HARVEST:
            self._processes = [_AnswerProcess(self._end) for _ in range(PARSER_PROCESSES)]

    def expect_answers(self, count: int) -> None:
        """``count`` answers are to come. Each of the last ``CUT_ANSWERS`` is cut between
        the parser processes if they are all idle when it comes: the harvest waits for
        these, and at most the last request is left to make."""
        self._last = count

    def parse(self, body: bytes) -> list[Prepared]:
        if not self._processes:
            return prepare_pubmed_xml(body)
        with self._lock:
            if self._ended is not None:
                raise ParseError(self._ended)
            self._answers += 1
            parts = self._parts(body)
            if parts is None:
                answers = [self._send(body)]
            else:
                self.answers_cut += 1
                answers = [p.send(part) for p, part in zip(self._processes, parts, strict=False)]
        try:
            return [record for answer in answers for record in answer.result()]
        except MalformedXml:
            if parts is None:
                raise
            return self._send(body).result()  # whole, for the error to name the answer

    def _parts(self, body: bytes) -> list[bytes] | None:
        processes = self._processes
        at_the_end = self._last is not None and self._answers > self._last - CUT_ANSWERS
        if not at_the_end or any(process.load for process in processes):
            return None
        return article_set_parts(body, len(processes))

    def _send(self, body: bytes) -> Future[list[Prepared]]:
        return min(self._processes, key=lambda p: p.load).send(body)

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
