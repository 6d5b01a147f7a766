"""Write and verify the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence import __version__
from evidence.models import AuditEvent
from evidence.models.base import utcnow
from evidence.models.vocabulary import Role

# Serialises writers of the chain on PostgreSQL, so two transactions never
# chain onto the same predecessor. SQLite already has a single writer.
_CHAIN_LOCK_KEY = 7_097_001


@dataclass(frozen=True)
class Actor:
    """Who is acting, in which role, and through which interface.

    ``role`` None is the installation's operator (the CLI without ``EVIDENCE_USER``).
    """

    name: str
    client: str = "cli"
    role: Role | None = None
    user_id: int | None = None


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
        "client": event.client,
        "app_version": event.app_version,
        "prev_hash": event.prev_hash,
    }
    if event.actor_role is not None:  # absent from events written before roles existed
        payload["actor_role"] = event.actor_role
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _json_safe(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    safe: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return safe


def record_event(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    occurred_at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHAIN_LOCK_KEY)))
    previous = session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    event = AuditEvent(
        occurred_at=(occurred_at or utcnow()).replace(microsecond=0),
        actor=actor.name,
        actor_role=actor.role.value if actor.role else "operator",
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=_json_safe(before),
        after=_json_safe(after),
        reason=reason,
        client=actor.client,
        app_version=__version__,
        prev_hash=previous,
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    events: int
    first_broken_id: int | None = None
    problem: str | None = None


def verify_audit_trail(session: Session) -> ChainReport:
    """Recompute every hash and link; report the first event that does not hold."""
    previous: str | None = None
    count = 0
    for event in session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)):
        count += 1
        if event.prev_hash != previous:
            return ChainReport(False, count, event.id, "its link to the previous event is broken")
        if event_hash(event) != event.hash:
            return ChainReport(False, count, event.id, "its content does not match its hash")
        previous = event.hash
    return ChainReport(True, count)
