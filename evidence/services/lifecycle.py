"""A dossier's lifecycle and its text, guarded by optimistic locking.

draft → in review → decided → re-evaluation due → in review …; a dossier becomes
decided only by a signed decision (``evidence.services.decisions.record_decision``).

Every write names the dossier version its author read. A stale version is refused
with a message naming who changed the dossier and when (from the audit trail), so
the second of two writers loses nothing of the first and knows what to reload.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from evidence.errors import Conflict, InvalidInput
from evidence.models import AuditEvent, Dossier
from evidence.models.vocabulary import DossierStatus
from evidence.permissions import Permission, require
from evidence.services.audit import Actor, record_event
from evidence.services.dossier_export import get_dossier

# The status changes a chair may make here. ``in_review → decided`` is allowed too,
# but only through record_decision, which signs the decision and freezes the evidence.
TRANSITIONS: Final[dict[DossierStatus, frozenset[DossierStatus]]] = {
    DossierStatus.DRAFT: frozenset({DossierStatus.IN_REVIEW}),
    DossierStatus.IN_REVIEW: frozenset({DossierStatus.DRAFT}),
    DossierStatus.DECIDED: frozenset({DossierStatus.RE_EVALUATION_DUE}),
    DossierStatus.RE_EVALUATION_DUE: frozenset({DossierStatus.IN_REVIEW}),
}
MAX_RE_SEARCH_INTERVAL_DAYS: Final = 10 * 366

# SQLite (WAL) refuses at once to let a transaction write when another one has
# committed since it first read: that is a lost race, not a busy database.
_SQLITE_BUSY_SNAPSHOT: Final = 517


def lost_sqlite_race(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlite_errorcode", None) == _SQLITE_BUSY_SNAPSHOT


@contextmanager
def committed_view(session: Session) -> Iterator[Session]:
    """A session that sees what other transactions committed after ours began.

    SQLite keeps a transaction on the snapshot it first read, so the winner of a
    race is invisible to the loser; a second connection sees it. PostgreSQL (read
    committed) would see it either way; one path for both keeps this simple.
    """
    bind = session.get_bind()
    if not isinstance(bind, Engine):  # a session bound to one connection: no second one
        yield session
        return
    with Session(bind) as fresh:
        yield fresh


def dossier_conflict(session: Session, *, reference: str, had_version: int) -> Conflict:
    """The message for a stale dossier version, naming the last change's author and time."""
    with committed_view(session) as fresh:
        version = fresh.scalar(sa.select(Dossier.version_id).where(Dossier.reference == reference))
        # The latest dossier event is the change that moved the version on.
        latest = fresh.execute(
            sa.select(AuditEvent.actor, AuditEvent.occurred_at)
            .where(AuditEvent.entity_type == "dossier", AuditEvent.entity_id == reference)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).first()
    who, when = ("another user", "an unknown time")
    if latest is not None:
        who, when = latest.actor, f"{latest.occurred_at:%Y-%m-%d %H:%M:%S} UTC"
    return Conflict(
        f"dossier {reference} was changed by {who} at {when} since you opened it "
        f"(version {version}, you had {had_version}); reload and apply your change again"
    )


@contextmanager
def dossier_write(session: Session, dossier: Dossier, had_version: int) -> Iterator[None]:
    """Make the block's changes to ``dossier`` and flush them, or raise the Conflict.

    The version was checked on reading; this catches a writer that committed between
    that check and our flush (PostgreSQL: the versioned UPDATE matches no row; SQLite:
    the write is refused). The savepoint keeps the transaction usable for the message.
    """
    reference = dossier.reference
    try:
        with session.begin_nested():
            yield
            session.flush()
    except StaleDataError as error:
        raise dossier_conflict(session, reference=reference, had_version=had_version) from error
    except OperationalError as error:
        if not lost_sqlite_race(error):
            raise
        raise dossier_conflict(session, reference=reference, had_version=had_version) from error


def _open(session: Session, *, reference: str, expected_version: int | None) -> tuple[Dossier, int]:
    """The dossier and the version the caller edits: theirs, or the one just read."""
    dossier = get_dossier(session, reference=reference)
    if expected_version is not None and expected_version != dossier.version_id:
        raise dossier_conflict(session, reference=reference, had_version=expected_version)
    return dossier, dossier.version_id


def _check_transition(dossier: Dossier, new_status: DossierStatus) -> None:
    old = dossier.status
    if new_status == old:
        raise InvalidInput(f"dossier {dossier.reference} is already {old.value}")
    if new_status == DossierStatus.DECIDED:
        raise InvalidInput(
            f"dossier {dossier.reference} becomes decided only by recording a signed decision "
            f"(evidence decision record {dossier.reference}), and only from in_review"
        )
    allowed = TRANSITIONS[old]
    if new_status not in allowed:
        targets = " or ".join(sorted(s.value for s in allowed))
        raise InvalidInput(
            f"dossier {dossier.reference} cannot go from {old.value} to {new_status.value}; "
            f"from {old.value} it can go to {targets}"
        )


def change_dossier_status(
    session: Session,
    *,
    dossier_reference: str,
    new_status: DossierStatus,
    actor: Actor,
    expected_version: int | None,
    reason: str | None,
) -> Dossier:
    """Move a dossier along its lifecycle (chair only); ``expected_version`` None: no check."""
    require(actor, Permission.CHANGE_DOSSIER_STATUS)
    dossier, had = _open(session, reference=dossier_reference, expected_version=expected_version)
    _check_transition(dossier, new_status)
    old = dossier.status
    with dossier_write(session, dossier, had):
        dossier.status = new_status
    record_event(
        session,
        actor=actor,
        action="change_status",
        entity_type="dossier",
        entity_id=dossier.reference,
        before={"status": old.value, "version": had},
        after={"status": new_status.value, "version": dossier.version_id},
        reason=reason,
    )
    return dossier


def _cleaned(text: str | None) -> str | None:
    """None leaves a field as it is; blank text clears it."""
    return None if text is None else text.strip()


def update_dossier_text(
    session: Session,
    *,
    dossier_reference: str,
    conclusion: str | None = None,
    additional_remarks: str | None = None,
    expected_version: int | None,
    actor: Actor,
) -> Dossier:
    """Change the conclusion and/or the additional remarks; None leaves one unchanged."""
    require(actor, Permission.EDIT_DOSSIER)
    if conclusion is None and additional_remarks is None:
        raise InvalidInput("nothing to change: give a conclusion or additional remarks")
    dossier, had = _open(session, reference=dossier_reference, expected_version=expected_version)
    wanted = {
        "conclusion": _cleaned(conclusion),
        "additional_remarks": _cleaned(additional_remarks),
    }
    changes = {
        field: value or None  # stored as NULL, not as an empty string
        for field, value in wanted.items()
        if value is not None and (value or None) != getattr(dossier, field)
    }
    if not changes:
        return dossier
    before = {field: getattr(dossier, field) for field in changes}
    with dossier_write(session, dossier, had):
        for field, value in changes.items():
            setattr(dossier, field, value)
    record_event(
        session,
        actor=actor,
        action="update",
        entity_type="dossier",
        entity_id=dossier.reference,
        before={**before, "version": had},
        after={**changes, "version": dossier.version_id},
    )
    return dossier


def set_re_search_interval(
    session: Session,
    *,
    dossier_reference: str,
    days: int,
    expected_version: int | None,
    actor: Actor,
) -> Dossier:
    """How long after a search run the dossier's searches are due again (default 365)."""
    require(actor, Permission.EDIT_DOSSIER)
    if not 1 <= days <= MAX_RE_SEARCH_INTERVAL_DAYS:
        raise InvalidInput(
            f"a re-search interval must be 1 to {MAX_RE_SEARCH_INTERVAL_DAYS} days, not {days}"
        )
    dossier, had = _open(session, reference=dossier_reference, expected_version=expected_version)
    old = dossier.re_search_interval_days
    if old == days:
        return dossier
    with dossier_write(session, dossier, had):
        dossier.re_search_interval_days = days
    record_event(
        session,
        actor=actor,
        action="update",
        entity_type="dossier",
        entity_id=dossier.reference,
        before={"re_search_interval_days": old, "version": had},
        after={"re_search_interval_days": days, "version": dossier.version_id},
    )
    return dossier
