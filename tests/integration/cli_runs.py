"""Running the real CLI against a test database, and counting what it stored."""

from __future__ import annotations

from click.testing import CliRunner, Result

from evidence.cli import cli
from evidence.db import make_engine, make_session_factory
from evidence.queries import table_row_counts


def run(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", database_url, *args], catch_exceptions=False)


def row_counts(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            return table_row_counts(session)
    finally:
        engine.dispose()
