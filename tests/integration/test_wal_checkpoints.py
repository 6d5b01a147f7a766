"""During a long job, a SQLite file is checkpointed by a thread of its own, not by the
connections that commit the job's writes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from evidence import wal_checkpoints
from evidence.db import BEGIN_IMMEDIATE, make_engine
from evidence.wal_checkpoints import CHECKPOINT_PAGES, checkpoints_aside


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'job.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE page (body BLOB)")
    yield engine
    engine.dispose()


def _autocheckpoint(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def _write(engine: Engine, megabytes: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO page VALUES (:body)"),
            [{"body": bytes(1024 * 1024)} for _ in range(megabytes)],
        )


def _checkpointers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "wal-checkpoints"]


def _join_checkpointers() -> None:
    for thread in _checkpointers():
        thread.join(timeout=5)


def _grows(path: Path, beyond: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.stat().st_size > beyond:
            return True
        time.sleep(0.02)
    return False


def test_the_jobs_connections_leave_checkpoints_to_the_thread(engine: Engine) -> None:
    assert _autocheckpoint(engine) == CHECKPOINT_PAGES
    with checkpoints_aside(engine):
        assert _autocheckpoint(engine) == 0
        assert len(_checkpointers()) == 1
        with checkpoints_aside(engine):  # a second job on the same database
            assert _autocheckpoint(engine) == 0
        assert _autocheckpoint(engine) == 0 and len(_checkpointers()) == 1
    assert _autocheckpoint(engine) == CHECKPOINT_PAGES


def test_the_thread_copies_the_log_into_the_database_while_the_job_writes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Path(str(engine.url.database))
    monkeypatch.setattr(wal_checkpoints, "CHECKPOINT_PAGES", 100)  # 400 kB, outside jobs
    monkeypatch.setattr(wal_checkpoints, "INTERVAL_SECONDS", 60.0)
    before = database.stat().st_size
    with checkpoints_aside(engine):
        _write(engine, 8)  # 2,000 pages
        # No commit checkpointed: in WAL mode only a checkpoint writes the database file.
        assert not _grows(database, before, within=0.5)
    _join_checkpointers()  # which make a last checkpoint
    monkeypatch.setattr(wal_checkpoints, "INTERVAL_SECONDS", 0.05)
    before = database.stat().st_size
    with checkpoints_aside(engine):
        _write(engine, 8)
        assert _grows(database, before + 7 * 1024 * 1024)  # while the job is on


def test_the_thread_ends_after_the_job_with_a_last_checkpoint(engine: Engine) -> None:
    database = Path(str(engine.url.database))
    before = database.stat().st_size
    with checkpoints_aside(engine):
        _write(engine, 4)
    assert _grows(database, before + 3 * 1024 * 1024)
    _join_checkpointers()
    assert _checkpointers() == []


def test_other_databases_are_left_as_they_are() -> None:
    server = make_engine("postgresql://postgres@127.0.0.1:5432/test")
    with checkpoints_aside(server):
        assert _checkpointers() == []
    server.dispose()


def test_a_job_that_reads_before_it_writes_waits_for_a_restarting_checkpoint(
    engine: Engine, restart_every_checkpoint: Callable[[float], None]
) -> None:
    # A restart holds the write lock while it waits for readers. A transaction that has
    # read cannot wait for the lock (SQLite refuses it at once: "database is locked");
    # one begun with BEGIN_IMMEDIATE takes the lock first, waiting for it if need be.
    restart_every_checkpoint(0.005)
    deadline = time.monotonic() + 2.0
    stores = 0
    with checkpoints_aside(engine), engine.connect() as plain:
        job = plain.execution_options(**{BEGIN_IMMEDIATE: True})
        while time.monotonic() < deadline:
            with job.begin():
                job.exec_driver_sql("SELECT count(*) FROM page").scalar_one()
                job.execute(sa.text("INSERT INTO page VALUES (:body)"), {"body": bytes(65536)})
            stores += 1
    _join_checkpointers()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM page").scalar_one() == stores
    assert stores > 10
