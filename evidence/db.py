"""Engines and sessions: made once per database URL, with SQLite brought up to par.

SQLite gets WAL (readers do not block the writer), enforced foreign keys and a
busy timeout on every connection, and the pysqlite workaround that lets
SQLAlchemy, not the driver, decide when a transaction begins (needed for
SAVEPOINT and for transactional DDL in migrations).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from evidence.wal_checkpoints import watch_checkouts

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_CACHE_KIB = 64 * 1024  # per connection, allocated only as pages are used
SQLITE_WAL_KEPT_BYTES = 64 * 1024 * 1024  # what a checkpointed WAL file is cut back to
# An execution option: a SQLite transaction begun on a connection carrying it takes the
# write lock at once (BEGIN IMMEDIATE), waiting for the busy timeout if another has it.
BEGIN_IMMEDIATE = "evidence_begin_immediate"


def _prepare_sqlite(engine: Engine) -> None:
    in_a_file = engine.url.database not in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if in_a_file:
            cursor.execute("PRAGMA journal_mode = WAL")
            # With WAL, NORMAL keeps the database consistent through crashes and
            # skips an fsync per commit (a harvest commits once per batch).
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA journal_size_limit = {SQLITE_WAL_KEPT_BYTES}")
            # A harvest or import adds to several large indexes at once (PMID, DOI,
            # title key, each child table's citation_id); SQLite's default 2 MiB page
            # cache makes every batch read those index pages back from disk.
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.close()

    if in_a_file:
        watch_checkouts(engine)

    @event.listens_for(engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get(BEGIN_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """An engine for ``database_url``; ``postgresql://`` URLs use the psycopg 3 driver."""
    url = make_url(database_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _prepare_sqlite(engine)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: interfaces render what a service returned after
    # the transaction has been committed.
    return sessionmaker(bind=engine, expire_on_commit=False)
