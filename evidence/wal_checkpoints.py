"""SQLite checkpoints taken by a thread of their own while a long job writes.

In WAL mode a commit only appends to the write-ahead log; copying the log into the
database file (a checkpoint) falls to whichever connection commits once the log holds
``CHECKPOINT_PAGES`` more pages, and with ``synchronous = NORMAL`` that commit waits
for an fsync of the log and one of the database. During a harvest that was the thread
that stores the batches: 250-300 ms a checkpoint for 40 MB on a 2-core virtual machine,
five times in a 10,000-record harvest, while no new request could be made. Fetching
stalled for 400-500 ms each time.

While a harvest or an import runs (``checkpoints_aside``), the connections an engine
hands out leave checkpoints alone (``wal_autocheckpoint = 0``), and a thread with a
connection of its own makes a passive checkpoint each ``INTERVAL_SECONDS`` in which
the log was written to (about as much as ``CHECKPOINT_PAGES`` in a harvest): the copy
and the fsyncs happen beside the job, which never waits for them. A passive
checkpoint blocks no writer, but the log only starts again from its beginning when a
transaction begins while the whole log is copied, which a job writing every tenth of a
second hardly ever leaves time for: the file would grow by about 100 MB a second of a
harvest, and the longer the log the slower each read of a page. So once the file is
past ``RESTART_BYTES`` the thread follows its passive checkpoint with a restarting one.
That one holds the write lock, but only while it copies what was committed since the
passive one (0.05-0.4 s in a harvest of 50,000 records); if it cannot get the lock within
``RESTART_WAIT_MS`` it gives up and tries again at the next interval, so that the
pages to copy under the lock never pile up.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine

# Pages the WAL may hold before a commit copies them into the database (SQLite's
# default is 1,000, 4 MB). A harvest commits 2-3 MB per batch, so the default made
# every other commit a checkpoint that rewrote the same index pages again.
CHECKPOINT_PAGES = 10_000
INTERVAL_SECONDS = 1.0  # between the thread's checkpoints while the log is written to
RESTART_BYTES = 256 * 1024 * 1024  # a log file this large is made to start again
RESTART_WAIT_MS = 200  # for the write lock, before a restart is left for the next interval


class _Checkpoints:
    """One engine's jobs under way and its checkpointing thread."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.jobs = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()  # the running thread's; a new one each start

    def start(self) -> None:
        self.stop = threading.Event()
        threading.Thread(
            target=_checkpoint_until, args=(self.database, self.stop), name="wal-checkpoints"
        ).start()


_engines: WeakKeyDictionary[Engine, _Checkpoints] = WeakKeyDictionary()


def watch_checkouts(engine: Engine) -> None:
    """Give each connection ``engine`` (of a SQLite file) hands out the checkpoint
    setting of the moment."""
    _engines[engine] = checkpoints = _Checkpoints(Path(str(engine.url.database)).absolute())

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        pages = 0 if checkpoints.jobs else CHECKPOINT_PAGES
        if record.info.get("wal_autocheckpoint") != pages:
            dbapi_connection.execute(f"PRAGMA wal_autocheckpoint = {pages}")
            record.info["wal_autocheckpoint"] = pages


@contextmanager
def checkpoints_aside(engine: Engine) -> Iterator[None]:
    """For the ``with`` block, checkpoint ``engine``'s SQLite file from a thread of its
    own; other databases are left as they are."""
    checkpoints = _engines.get(engine)
    if checkpoints is None:
        yield
        return
    with checkpoints.lock:
        checkpoints.jobs += 1
        if checkpoints.jobs == 1:
            checkpoints.start()
    try:
        yield
    finally:
        with checkpoints.lock:
            checkpoints.jobs -= 1
            if checkpoints.jobs == 0:
                # Not waited for: the last checkpoint is made after the job, by the
                # thread, which the interpreter waits for before it exits.
                checkpoints.stop.set()


def _checkpoint_until(database: Path, stop: threading.Event) -> None:
    wal = database.with_name(database.name + "-wal")
    connection = sqlite3.connect(
        database, isolation_level=None, check_same_thread=False, timeout=RESTART_WAIT_MS / 1000
    )
    try:
        seen = _stamp(wal)
        while not stop.wait(INTERVAL_SECONDS):
            if (stamp := _stamp(wal)) != seen:
                seen = stamp if _checkpoint(connection, restart=stamp[0] > RESTART_BYTES) else seen
        _checkpoint(connection)
    finally:
        connection.close()


def _checkpoint(connection: sqlite3.Connection, *, restart: bool = False) -> bool:
    """Copy the log into the database without blocking a writer; with ``restart``, then
    copy the little committed since under the write lock and have the log start again.
    False when that could not be done now."""
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        if restart:
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            return not busy
    except sqlite3.OperationalError:
        return False  # busy past the timeout: next time
    return True


def _stamp(path: Path) -> tuple[int, int]:
    """The file's size and the time it was last written to."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return (0, 0)
    return (status.st_size, status.st_mtime_ns)
