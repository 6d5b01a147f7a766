"""Shared fixtures: real databases on SQLite and PostgreSQL, built by the migrations.

Every database test runs once per backend. SQLite tests get a fresh file per
test (copied from one migrated template); PostgreSQL tests share one freshly
created database per test run, emptied after each test and dropped at the end.
Locally the PostgreSQL half is skipped, with the reason shown, when no server
answers; under CI=true it must run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from evidence import wal_checkpoints
from evidence.db import make_engine, make_session_factory
from evidence.models import Base
from evidence.schema_migrations import upgrade

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
POSTGRES_SERVER_URL = os.environ.get(
    "EVIDENCE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"the shared folder is missing beside the checkout: {SHARED}")
    return SHARED


def _server_engine() -> Engine:
    return sa.create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")


def postgres_unavailable() -> str | None:
    """Why the PostgreSQL server cannot be used, or None when it can."""
    engine = _server_engine()
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        return f"no PostgreSQL server at {POSTGRES_SERVER_URL}: {str(error.orig).strip()[:200]}"
    finally:
        engine.dispose()
    return None


def create_postgres_database() -> str:
    name = f"evidence_test_{uuid.uuid4().hex[:12]}"
    engine = _server_engine()
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(POSTGRES_SERVER_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    engine = _server_engine()
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def require_postgres() -> None:
    reason = postgres_unavailable()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"PostgreSQL tests must run under CI=true, but: {reason}")
    pytest.skip(reason)


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database of its own, dropped after the test."""
    require_postgres()
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="session")
def _postgres_run_database() -> Iterator[str]:
    require_postgres()
    url = create_postgres_database()
    upgrade(url)
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "evidence.db"
    upgrade(f"sqlite:///{path}")
    return path


def _empty_all_tables(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of the test's backend."""
    if request.param == "sqlite":
        path = tmp_path / "evidence.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("_postgres_run_database")
    yield url
    _empty_all_tables(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def restart_every_checkpoint(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Call it to have the checkpoint thread of the jobs after it restart the log at
    each pass, ``interval`` seconds apart: the write lock taken as often as can be."""

    def restart(interval: float) -> None:
        monkeypatch.setattr(wal_checkpoints, "RESTART_BYTES", 0)
        monkeypatch.setattr(wal_checkpoints, "INTERVAL_SECONDS", interval)

    return restart


@pytest.fixture(autouse=True)
def _quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id as in production, with small cost parameters: tests make many users.

    The algorithm, the hash format and the verification path stay the real ones.
    """
    from argon2 import PasswordHasher

    import evidence.services.users

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(evidence.services.users, "_HASHER", cheap)
