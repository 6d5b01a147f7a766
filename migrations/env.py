"""Alembic environment: the same database URL and engine setup as the application."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from evidence.config import load_settings
from evidence.db import make_engine
from evidence.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite can alter little in place; batch mode copies the table instead.
        render_as_batch=True,
        compare_type=True,
    )


def _run(connection: Connection) -> None:
    """Run the migrations; on SQLite with foreign keys off while tables are rebuilt.

    Batch mode rebuilds a SQLite table by copy, drop and rename; with enforcement on,
    dropping a referenced table would fail (or cascade). Enforcement is switched off
    on the driver connection outside any transaction (SQLite ignores it inside one),
    and every reference is checked before the migration is allowed to commit.
    """
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
    try:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration left broken references: {broken[:5]}")
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def run_migrations_online() -> None:
    # A caller (the CLI, a test) may hand over its own connection.
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.attributes.get("database_url") or load_settings().database_url
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
