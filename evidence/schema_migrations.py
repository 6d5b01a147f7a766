"""Run the Alembic migrations in ``migrations/`` against a database URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from evidence.errors import EvidenceError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def alembic_config(database_url: str) -> Config:
    script_location = PROJECT_ROOT / "migrations"
    if not (script_location / "env.py").is_file():
        raise EvidenceError(
            f"the migrations folder was not found at {script_location}; "
            "install the package from a checkout (pip install -e .)"
        )
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(script_location))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(engine: Engine, database_url: str) -> None:
    """Refuse to work on a database whose schema is not at the newest migration."""
    current, head = current_revision(engine), head_revision(database_url)
    if current != head:
        state = f"at revision {current}" if current else "not initialised"
        raise EvidenceError(
            f"the database is {state}, this version needs {head}: run `evidence db upgrade`"
        )
