"""Optimistic locking: turn a lost race into a clear conflict, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from evidence.errors import Conflict


@contextmanager
def saved_only_if_unchanged(what: str) -> Iterator[None]:
    """Wrap the flush of an edit to a versioned row.

    PostgreSQL: the UPDATE names the version read; if another writer committed first
    it matches no row and SQLAlchemy raises StaleDataError. SQLite (WAL): a
    transaction that read before another one committed may not write at all and gets
    "database is locked" at once. Both mean the same to the user.
    """
    try:
        yield
    except StaleDataError as error:
        raise _conflict(what) from error
    except OperationalError as error:
        if "database is locked" not in str(error.orig):
            raise
        raise _conflict(what) from error


def _conflict(what: str) -> Conflict:
    return Conflict(
        f"{what} was changed by someone else while you were editing it; nothing of yours "
        "was saved and their change is kept: reload and apply your change again"
    )
