"""Settings read from the environment, with working defaults.

Every interface (CLI, dashboard, tests) reads configuration through
:func:`load_settings`, so one environment variable means the same thing
everywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
DEFAULT_TOOL = "evidence-review"


def default_database_url() -> str:
    """A SQLite file ``evidence.db`` in the working directory."""
    return f"sqlite:///{Path.cwd() / 'evidence.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    eutils_url: str
    ncbi_email: str | None
    ncbi_api_key: str | None
    ncbi_tool: str
    # EVIDENCE_USER: the application user the CLI acts as (their role applies). Unset,
    # the CLI acts as the installation's operator, named after the operating-system user.
    user: str | None
    operator: str


def _operator_from_environment() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def load_settings(database_url: str | None = None) -> Settings:
    """Read the settings; an explicit ``database_url`` (``--db``) wins over the environment."""
    eutils_url = os.environ.get("EVIDENCE_EUTILS_URL") or DEFAULT_EUTILS_URL
    if not eutils_url.endswith("/"):
        eutils_url += "/"
    return Settings(
        database_url=database_url
        or os.environ.get("EVIDENCE_DATABASE_URL")
        or default_database_url(),
        eutils_url=eutils_url,
        ncbi_email=os.environ.get("NCBI_EMAIL") or None,
        ncbi_api_key=os.environ.get("NCBI_API_KEY") or None,
        ncbi_tool=os.environ.get("NCBI_TOOL") or DEFAULT_TOOL,
        user=os.environ.get("EVIDENCE_USER") or None,
        operator=_operator_from_environment(),
    )
