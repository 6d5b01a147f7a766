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
# NCBI counts requests on arrival, per second, so no window of ``headroom`` seconds
# may hold more than ``rate`` starts: the extra time is room for jitter between our
# clock and theirs. Without a key this is Biopython's 0.37 s a request (it found 1/3 s
# too tight in practice). With a key, eleven requests can arrive within one second
# only if the network shifts them by over 50 ms in all; 20 ms was not enough against
# the stand-in on a busy 2-core machine.
HEADROOM_WITHOUT_KEY = 1.11
HEADROOM_WITH_KEY = 1.05


class RateLimiter:
    """At most ``per_second`` request starts in any ``headroom`` seconds, across threads.

    A request waits until ``headroom / per_second`` has passed since the start before
    it, and until the one ``per_second`` starts before it is ``headroom`` seconds old:
    a sliding window, as NCBI counts (its 429 answer says how many requests it counted
    against the limit). Starts are spaced evenly, not let through in bursts: requests
    sent together queue at the server, and the last may be counted over 50 ms after
    it was sent, within a second of a later one. Against the stand-in, bursts drew a
    429 in one harvest of 50,000 records out of two, and half the spacing in one of
    about ten harvests.

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
        self.window = headroom
        self.interval = headroom / per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # The last starts, each [reserved or actual time]: a late one is moved.
        self._starts: deque[list[float]] = deque(maxlen=max(1, int(per_second)))

    def acquire(self) -> None:
        with self._lock:
            now = start = self._clock()
            if self._starts:
                start = max(start, self._starts[-1][0] + self.interval)
            if len(self._starts) == self._starts.maxlen:
                start = max(start, self._starts[0][0] + self.window)
            slot = [start]
            self._starts.append(slot)
        if start > now:
            self._sleep(start - now)
        with self._lock:
            slot[0] = max(slot[0], self._clock())


# NCBI counts requests with a key against the key and the rest against the
# address, so a process has one budget of each kind, shared by every client.
_SHARED_LIMITERS = {
    False: RateLimiter(RATE_WITHOUT_KEY, headroom=HEADROOM_WITHOUT_KEY),
    True: RateLimiter(RATE_WITH_KEY, headroom=HEADROOM_WITH_KEY),
}


def shared_limiter(*, with_api_key: bool) -> RateLimiter:
    """The process-wide limiter for requests with or without an API key."""
    return _SHARED_LIMITERS[with_api_key]
