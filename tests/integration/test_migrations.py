"""Every migration runs up and down on both databases, and head matches the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner

from evidence.cli import cli
from evidence.db import make_engine
from evidence.models import Base
from evidence.schema_migrations import current_revision, downgrade, head_revision, upgrade


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)],
)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        yield request.getfixturevalue("fresh_postgres_url")


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_up_down_up_and_head_matches_models(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    assert _differences(empty_database_url) == []
    assert _tables(empty_database_url) == set(Base.metadata.tables) | {"alembic_version"}

    downgrade(empty_database_url, "base")
    assert _tables(empty_database_url) == {"alembic_version"}

    upgrade(empty_database_url)
    assert _differences(empty_database_url) == []
    engine = make_engine(empty_database_url)
    assert current_revision(engine) == head_revision(empty_database_url)
    engine.dispose()


def test_each_revision_steps_down_and_up(empty_database_url: str) -> None:
    """Walk the history one revision at a time, so a later migration is checked too."""
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    revisions = []
    while (revision := current_revision(engine)) is not None:
        revisions.append(revision)
        downgrade(empty_database_url, "-1")
    for revision in reversed(revisions):
        upgrade(empty_database_url, "+1")
        assert current_revision(engine) == revision
    engine.dispose()


def test_sqlite_connections_use_wal_foreign_keys_busy_timeout_and_checkpoints(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000
        assert connection.exec_driver_sql("PRAGMA journal_size_limit").scalar() == 64 << 20
    engine.dispose()


def test_cli_db_commands(empty_database_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", empty_database_url, "db", "current"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("base")

    result = runner.invoke(cli, ["--db", empty_database_url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["--db", empty_database_url, "db", "current"])
    assert "up to date" in result.output

    result = runner.invoke(cli, ["--db", empty_database_url, "db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "database at base"


def test_commands_refuse_an_uninitialised_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(cli, ["--db", url, "dossier", "list"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: the database is not initialised, this version needs "
        f"{head_revision(url)}: run `evidence db upgrade`"
    )


def test_stepping_down_and_up_keeps_the_dossiers(database_url: str) -> None:
    """Migrations that rebuild tables carry the rows across, both ways."""
    from importlib import resources

    from tests.integration.cli_runs import run

    assert run(database_url, "demo").exit_code == 0
    before = run(database_url, "dossier", "export", "7097").output
    downgrade(database_url, "0001")
    upgrade(database_url)
    assert run(database_url, "dossier", "export", "7097").output == before
    shipped = resources.files("evidence").joinpath("reference_dossiers", "7097-ivig-vte.yaml")
    assert before == shipped.read_text("utf-8")


def _declared_checks() -> dict[str, set[str]]:
    """Named CHECK constraints per table, as the models declare them (enums included)."""
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    found = {
        name: {c["name"] for c in sa.inspect(engine).get_check_constraints(name)}
        for name in Base.metadata.tables
    }
    engine.dispose()
    return found


def test_migrated_check_constraints_match_the_models(empty_database_url: str) -> None:
    """Alembic's comparison skips CHECK constraints; this compares them by name."""
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    inspector = sa.inspect(engine)
    migrated = {
        name: {c["name"] for c in inspector.get_check_constraints(name)}
        for name in Base.metadata.tables
    }
    engine.dispose()
    assert migrated == _declared_checks()
