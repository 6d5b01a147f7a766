"""The ``evidence`` command line: thin commands over the services.

Each command parses its options, runs one use case in one transaction and
prints the result. Errors are translated once, in ``base.EvidenceGroup``.
"""

from evidence.cli import audit, dashboard, database, dossiers, searches  # noqa: F401 - registers commands
from evidence.cli.base import cli

__all__ = ["cli"]
