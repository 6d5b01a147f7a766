"""The ``evidence`` command line: thin commands over the services.

Each command parses its options, runs one use case in one transaction and
prints the result. Errors are translated once, in ``base.EvidenceGroup``.
"""

from evidence.cli import (  # noqa: F401 - importing registers the commands
    appraisals,
    audit,
    citations,
    dashboard,
    database,
    decisions,
    dossiers,
    screening,
    searches,
    surveillance,
    users,
)
from evidence.cli.base import cli

__all__ = ["cli"]
