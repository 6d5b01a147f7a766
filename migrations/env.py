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


def run_migrations_online() -> None:
    # A caller (the CLI, a test) may hand over its own connection.
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.attributes.get("database_url") or load_settings().database_url
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
