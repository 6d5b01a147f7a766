"""The one error hierarchy of the package.

Services and parsers raise these; each interface translates them once
(``evidence.cli`` into a one-line message and an exit status, the dashboard
into ``st.error``).
"""

from __future__ import annotations


class EvidenceError(Exception):
    """Base class: a problem the user can act on, with a readable message."""

    exit_code = 1


class NotFound(EvidenceError):
    """A dossier, citation, search or run that does not exist."""


class Conflict(EvidenceError):
    """The change clashes with what is already stored (duplicate, stale version)."""


class PermissionDenied(EvidenceError):
    """The acting user's role may not do this (checked in the services themselves)."""


class AuthenticationFailed(EvidenceError):
    """Wrong user name or password, or a disabled user."""


class InvalidInput(EvidenceError):
    """Input that cannot be accepted: a bad file, option or value."""


class InvalidDossierFile(InvalidInput):
    """A dossier file that does not match the format; lists every problem found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        first = problems[0] if problems else "invalid"
        extra = len(problems) - 1
        more = f" (+{extra} more problem{'s' if extra > 1 else ''})" if extra else ""
        super().__init__(f"{source}: {first}{more}")


class ParseError(InvalidInput):
    """A file or response that cannot be parsed; names the source and the record."""


class MalformedXml(ParseError):
    """XML that is not well-formed: cut short, or garbled on its way.

    Distinguished from other parse errors because asking NCBI again may cure it.
    """


class HarvestError(EvidenceError):
    """A request to the E-utilities that failed after every retry."""

    def __init__(self, message: str, *, request: str = "", status: int | None = None) -> None:
        self.request = request
        self.status = status
        super().__init__(message)


class HistorySessionLost(HarvestError):
    """NCBI no longer holds a history-server set (its WebEnv expired or was lost).

    Asking again cannot help; storing the IDs anew (epost) can.
    """


class DatabaseRefused(EvidenceError):
    """The database itself refused a change (a constraint held)."""
