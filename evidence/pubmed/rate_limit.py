"""The E-utilities rate limit, as NCBI requires: request starts spaced, thread-safely.

NCBI allows 3 requests a second without an API key and 10 with one, counted per
address or per key; every :class:`~evidence.pubmed.entrez.EntrezClient` in a
process shares one :class:`RateLimiter` of each kind (:func:`shared_limiter`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

RATE_WITHOUT_KEY = 3.0
RATE_WITH_KEY = 10.0
# NCBI counts requests on arrival, per second, so no second may see more than ``rate``
# of them arrive. When that is judged from the starts alone, ``headroom`` seconds is
# the window, and the time beyond a second is room for the requests' unknown travel.
# Without a key, three in 1.11 s is Biopython's 0.37 s a request (it found 1/3 s too
# tight in practice, judging from starts alone). With a key, eleven requests can
# arrive within one second only if the network shifts them by over 50 ms in all; 20 ms
# was not enough against the stand-in on a busy 2-core machine.
HEADROOM_WITHOUT_KEY = 1.11
HEADROOM_WITH_KEY = 1.05
# A request whose answer has begun has arrived: a second and this much after that, no
# window can hold it and the one started then (a margin for the clocks' resolution).
ANSWERED_MARGIN = 0.002


class Ticket:
    """One request's place in the limiter: when it started, when its answer began."""

    __slots__ = ("answered", "started")

    def __init__(self, started: float) -> None:
        self.started = started
        self.answered: float | None = None


class RateLimiter:
    """At most ``per_second`` request arrivals in any second, across threads.

    A request waits until a little over ``1 / per_second`` has passed since the start
    before it, and until the one ``per_second`` starts before it is out of its window:
    a sliding window, as NCBI counts (its 429 answer says how many requests it counted
    against the limit).

    That earlier request's arrival is known to lie before its answer began
    (:meth:`answered`), so once that is heard a window of one second from then is
    enough, whatever the request's travel; till then, or if the answer comes later
    still, ``headroom`` seconds from its start. Against the stand-in an answer begins a
    few milliseconds after its request, so a harvest keeps nearly the full rate; with
    NCBI's second or so the starts rule, as before. Starts are spaced, never let through
    in bursts, so the requests do not queue at the server.

    Each caller reserves its start time under the lock and sleeps outside it, so
    waiting threads queue in order without holding the lock. A start that comes later
    than reserved (a busy machine may wake a thread tens of milliseconds after its
    turn) is noted, and the window of the starts after it counts from the actual time:
    lateness of one must not crowd eleven requests into a second.
    """

    def __init__(
        self,
        per_second: float,
        *,
        headroom: float = HEADROOM_WITHOUT_KEY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.headroom = headroom
        self.interval = (1.0 + ANSWERED_MARGIN) / per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tickets: deque[Ticket] = deque(maxlen=max(1, int(per_second)))

    def acquire(self) -> Ticket:
        """Wait for this request's turn; hand the ticket to :meth:`answered` later."""
        with self._lock:
            now = start = self._clock()
            if self._tickets:
                start = max(start, self._tickets[-1].started + self.interval)
            if len(self._tickets) == self._tickets.maxlen:
                start = max(start, self._clear_of(self._tickets[0]))
            ticket = Ticket(start)
            self._tickets.append(ticket)
        if start > now:
            self._sleep(start - now)
        with self._lock:
            ticket.started = max(ticket.started, self._clock())
        return ticket

    def answered(self, ticket: Ticket) -> None:
        """The request's answer (a refusal too) has begun to arrive; the first call counts.

        Not for a request given up on before any answer: it may still be on its way."""
        with self._lock:
            if ticket.answered is None:
                ticket.answered = self._clock()

    def _clear_of(self, earlier: Ticket) -> float:
        """When a start can no longer share a second's window with ``earlier``."""
        by_start = earlier.started + self.headroom
        if earlier.answered is None:
            return by_start
        return min(by_start, earlier.answered + 1.0 + ANSWERED_MARGIN)


# NCBI counts requests with a key against the key and the rest against the
# address, so a process has one budget of each kind, shared by every client.
_SHARED_LIMITERS = {
    False: RateLimiter(RATE_WITHOUT_KEY, headroom=HEADROOM_WITHOUT_KEY),
    True: RateLimiter(RATE_WITH_KEY, headroom=HEADROOM_WITH_KEY),
}


def shared_limiter(*, with_api_key: bool) -> RateLimiter:
    """The process-wide limiter for requests with or without an API key."""
    return _SHARED_LIMITERS[with_api_key]
