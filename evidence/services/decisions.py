"""Committee decisions: signed by the chair, evidence frozen, superseded and never edited.

A decision is signed with the chair's re-entered password (21 CFR 11.50: the record
states signer, time and meaning). At signing, everything the decision rests on is
frozen into a ``DecisionSnapshot``: canonical JSON with its SHA-256, append-only in
the database. A later decision names the one it supersedes; the register answers
"what was in force on date D" from ``decided_on`` and those links alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from evidence.errors import Conflict, InvalidInput, NotFound
from evidence.models import (
    Decision,
    DecisionSnapshot,
    Dossier,
    SearchRun,
    SearchStrategy,
)
from evidence.models.base import utcnow
from evidence.models.vocabulary import (
    DossierStatus,
    SearchRunOutcome,
    Severity,
    SignatureMeaning,
)
from evidence.permissions import Permission, require
from evidence.services.audit import Actor, record_event
from evidence.services.dossier_export import get_dossier
from evidence.services.evidence_snapshot import (
    SNAPSHOT_FORMAT,
    content_hash,
    freeze_evidence,
)
from evidence.services.lifecycle import committed_view, dossier_conflict, lost_sqlite_race
from evidence.services.plain_values import plain_value
from evidence.services.users import verify_password

DEFAULT_DECIDED_BY: Final = "committee"
# A run that failed or never finished is no literature search a decision can rest on;
# a 'recorded' run (documented elsewhere, e.g. in an imported dossier) is.
_SEARCHES_DONE: Final = (
    SearchRunOutcome.COMPLETED,
    SearchRunOutcome.INCOMPLETE,
    SearchRunOutcome.RECORDED,
)
# Decisions a dossier in this status may receive: a first one from review, or one
# superseding the decision in force. A draft or a dossier due for re-evaluation
# goes (back) into review first.
_DECIDABLE: Final = (DossierStatus.IN_REVIEW, DossierStatus.DECIDED)


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _verdict(decision: Decision) -> str:
    return (
        f"contra-indication {_yes_no(decision.contraindication)}, "
        f"action {_yes_no(decision.action_needed)}"
    )


def _signer_name(decision: Decision) -> str:
    """Who to name for a decision: its signer, or for an imported one the deciding body."""
    return decision.signed_by.display_name if decision.signed_by else decision.decided_by


# ---------------------------------------------------------------- current decision


def current_decision(session: Session, *, dossier_id: int) -> Decision | None:
    """The dossier's decision that no other decision supersedes (None before the first)."""
    later = aliased(Decision)
    return session.scalar(
        sa.select(Decision)
        .where(
            Decision.dossier_id == dossier_id,
            ~sa.exists().where(later.supersedes_id == Decision.id),
        )
        .order_by(Decision.decided_on.desc(), Decision.id.desc())
        .limit(1)
    )


def _newer_decision_conflict(reference: str, newer: Decision) -> Conflict:
    when = newer.signed_at or newer.recorded_at
    return Conflict(
        f"dossier {reference} has a newer decision than the one you opened: decision "
        f"{newer.id} ({_verdict(newer)}, dated {newer.decided_on.isoformat()}) by "
        f"{_signer_name(newer)} at {when:%Y-%m-%d %H:%M:%S} UTC; "
        "reload and record your decision again"
    )


def _check_expected(
    session: Session, dossier: Dossier, current: Decision | None, expected_id: int | None
) -> None:
    """The optimistic lock of decisions: the chair supersedes the decision they saw."""
    if expected_id is None or (current is not None and current.id == expected_id):
        return
    seen = session.get(Decision, expected_id)
    if seen is None or seen.dossier_id != dossier.id or current is None:
        raise InvalidInput(
            f"decision {expected_id} is not a decision of dossier {dossier.reference}"
        )
    raise _newer_decision_conflict(dossier.reference, current)


@dataclass(frozen=True)
class _Opened:
    """What the writer saw before writing, kept apart from ORM objects a rollback expires."""

    reference: str
    dossier_id: int
    dossier_version: int
    current_id: int | None


def _race_conflict(session: Session, opened: _Opened) -> Conflict:
    """Another writer committed first: name its decision, or else its dossier change."""
    with committed_view(session) as fresh:
        newer = current_decision(fresh, dossier_id=opened.dossier_id)
        if newer is not None and newer.id != opened.current_id:
            return _newer_decision_conflict(opened.reference, newer)
    return dossier_conflict(session, reference=opened.reference, had_version=opened.dossier_version)


# ---------------------------------------------------------------- refusals


def _has_search_run(session: Session, dossier: Dossier) -> bool:
    found = session.scalar(
        sa.select(SearchRun.id)
        .join(SearchStrategy, SearchStrategy.id == SearchRun.strategy_id)
        .where(SearchStrategy.dossier_id == dossier.id, SearchRun.outcome.in_(_SEARCHES_DONE))
        .limit(1)
    )
    return found is not None


def _check_decidable(
    session: Session,
    dossier: Dossier,
    current: Decision | None,
    decided_on: date,
    rationale: str,
    today: date,
) -> None:
    """Refuse, with the reason, a decision the committee's process does not allow."""
    ref = dossier.reference
    if not rationale.strip():
        raise InvalidInput("a decision needs a rationale: say why the committee decided so")
    if decided_on > today:
        raise InvalidInput(
            f"a decision cannot be dated in the future: {decided_on.isoformat()} "
            f"is after today ({today.isoformat()})"
        )
    if current is not None and decided_on < current.decided_on:
        raise InvalidInput(
            f"a new decision cannot be dated before the decision it supersedes "
            f"({current.decided_on.isoformat()})"
        )
    if not (dossier.conclusion or "").strip():
        raise InvalidInput(f"dossier {ref} has no conclusion: write it before recording a decision")
    if not _has_search_run(session, dossier):
        raise InvalidInput(
            f"dossier {ref} has no search run: run (or record) its literature search "
            "before recording a decision"
        )
    if dossier.status not in _DECIDABLE:
        raise InvalidInput(
            f"dossier {ref} is {dossier.status.value}: put it in review before recording a decision"
        )


# ---------------------------------------------------------------- the frozen evidence


def _decision_part(decision: Decision) -> dict[str, Any]:
    """The decision's own record, hashed with its evidence so neither can be swapped."""
    signer = decision.signed_by
    return {
        "id": decision.id,
        "contraindication": decision.contraindication,
        "action_needed": decision.action_needed,
        "severity": plain_value(decision.severity),
        "decided_on": plain_value(decision.decided_on),
        "rationale": decision.rationale,
        "decided_by": decision.decided_by,
        "supersedes_id": decision.supersedes_id,
        "signed_by": None
        if signer is None
        else {"id": signer.id, "username": signer.username, "display_name": signer.display_name},
        "signed_at": plain_value(decision.signed_at),
        "signature_meaning": plain_value(decision.signature_meaning),
    }


# ---------------------------------------------------------------- record


@contextmanager
def _decision_write(session: Session, opened: _Opened) -> Iterator[None]:
    """Flush the block's writes, or raise the Conflict of a writer that got there first.

    Two chairs superseding the same decision collide on the unique ``supersedes_id``;
    two first decisions collide on the dossier's version (every decision bumps it);
    on SQLite the loser's write is refused outright. The savepoint keeps the
    transaction usable to name the winner.
    """
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError as error:
        if "supersedes_id" not in str(error.orig):
            raise
        raise _race_conflict(session, opened) from error
    except StaleDataError as error:
        raise _race_conflict(session, opened) from error
    except OperationalError as error:
        if not lost_sqlite_race(error):
            raise
        raise _race_conflict(session, opened) from error


def _store(
    session: Session, dossier: Dossier, decision: Decision, evidence: dict[str, Any]
) -> DecisionSnapshot:
    current = decision.supersedes
    opened = _Opened(
        dossier.reference, dossier.id, dossier.version_id, current.id if current else None
    )
    with _decision_write(session, opened):
        # The decision first: its unique supersedes_id is what stops a second chair
        # superseding the same decision; its id goes into the snapshot.
        session.add(decision)
        session.flush()
        dossier.status = DossierStatus.DECIDED
        # Touch the dossier even when it is already decided: the versioned UPDATE is
        # what makes two racing first decisions (no supersedes_id) collide.
        dossier.updated_at = utcnow()
        content = {
            "format": SNAPSHOT_FORMAT,
            "decision": _decision_part(decision),
            "evidence": evidence,
        }
        snapshot = DecisionSnapshot(content=content, content_hash=content_hash(content))
        decision.snapshot = snapshot
    # Another caller may hold the dossier's decisions loaded: they now lack this one.
    session.expire(dossier, ["decisions"])
    return snapshot


def record_decision(
    session: Session,
    *,
    dossier_reference: str,
    contraindication: bool,
    action_needed: bool,
    decided_on: date,
    rationale: str,
    severity: Severity | None = None,
    meaning: SignatureMeaning = SignatureMeaning.APPROVED,
    password: str,
    actor: Actor,
    expected_current_id: int | None = None,
    today: date | None = None,
    decided_by: str | None = None,
) -> Decision:
    """Sign a decision on a dossier, freezing its evidence; it supersedes the current one.

    ``expected_current_id``: the decision the chair saw as current; refused with a
    Conflict if another has been recorded since. ``decided_by`` (the deciding body)
    defaults to that of the decision superseded, else "committee".
    """
    require(actor, Permission.SIGN_DECISION)
    dossier = get_dossier(session, reference=dossier_reference)
    current = current_decision(session, dossier_id=dossier.id)
    _check_expected(session, dossier, current, expected_current_id)
    _check_decidable(session, dossier, current, decided_on, rationale, today or date.today())
    signer = verify_password(session, actor=actor, password=password)
    evidence = freeze_evidence(session, dossier)
    had_status, had_version = dossier.status, dossier.version_id
    decision = Decision(
        # By id, not through the relationship: that would queue an append to
        # dossier.decisions, flushed before the decision is in the session.
        dossier_id=dossier.id,
        contraindication=contraindication,
        action_needed=action_needed,
        decided_on=decided_on,
        rationale=rationale.strip(),
        decided_by=_deciding_body(decided_by, current),
        severity=severity,
        supersedes=current,
        recorded_by=actor.name,
        signed_by=signer,
        signed_at=utcnow().replace(microsecond=0),
        signature_meaning=meaning,
    )
    snapshot = _store(session, dossier, decision, evidence)
    _audit_decision(session, actor, decision, snapshot, had_status, had_version)
    return decision


def _deciding_body(given: str | None, current: Decision | None) -> str:
    """The body named, else that of the decision superseded, else the committee."""
    return (given or "").strip() or (current.decided_by if current else DEFAULT_DECIDED_BY)


def _audit_decision(
    session: Session,
    actor: Actor,
    decision: Decision,
    snapshot: DecisionSnapshot,
    had_status: DossierStatus,
    had_version: int,
) -> None:
    record_event(
        session,
        actor=actor,
        action="sign",
        entity_type="decision",
        entity_id=str(decision.id),
        after={
            **_decision_part(decision),
            "dossier": decision.dossier.reference,
            "snapshot_hash": snapshot.content_hash,
        },
    )
    record_event(
        session,
        actor=actor,
        action="decide",
        entity_type="dossier",
        entity_id=decision.dossier.reference,
        before={"status": had_status.value, "version": had_version},
        after={
            "status": decision.dossier.status.value,
            "version": decision.dossier.version_id,
            "decision_id": decision.id,
        },
    )


# ---------------------------------------------------------------- read


def verify_snapshot(session: Session, *, decision_id: int) -> bool:
    """True when the frozen evidence still matches its hash and its decision's record."""
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(f"no decision {decision_id}")
    snapshot = decision.snapshot
    if snapshot is None:
        raise NotFound(f"decision {decision_id} has no frozen evidence (it was not signed here)")
    content = snapshot.content
    return content_hash(content) == snapshot.content_hash and content.get(
        "decision"
    ) == _decision_part(decision)


__all__ = [
    "current_decision",
    "record_decision",
    "verify_snapshot",
]
