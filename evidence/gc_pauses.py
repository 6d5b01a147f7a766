"""Shorter garbage-collector pauses during a long job: a harvest, a file import.

CPython's full collections scan every container object of the process. Once
SQLAlchemy, Biopython and the models are imported that is some 150,000 objects,
70-120 ms a pass on a 2-core machine, and a bulk job triggers a pass every second or
so: its batches of parsed records outlive the young generations, then die. A
30,000-record import spent 1.3 s in 11 full passes, a 10,000-record harvest 75 ms at
the end, where the harvest waits for its last batches.

The objects that exist when a job starts are the modules, classes and functions the
process keeps until it ends. While the job runs they are left out of the collector's
passes (``gc.freeze``), so that a pass scans the job's own objects only; afterwards
they are handed back (``gc.unfreeze``), and garbage among them is collected again. A
process that froze objects itself (before forking, say) is left as it was.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0  # jobs under way in this process (threads of a server, say)
_frozen_here = False  # whether the first of them froze the heap


@contextmanager
def shorter_gc_pauses() -> Iterator[None]:
    """Freeze the objects alive now for the duration of the ``with`` block."""
    global _running, _frozen_here
    with _lock:
        if _running == 0 and gc.get_freeze_count() == 0:
            gc.freeze()
            _frozen_here = True
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _frozen_here:
                gc.unfreeze()
                _frozen_here = False
