"""The audit trail for auditors: every event, as plain values, for export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.models import AuditEvent
from evidence.permissions import Permission, require
from evidence.services.audit import Actor

AUDIT_COLUMNS = (
    "id",
    "occurred_at",
    "actor",
    "actor_role",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "reason",
    "client",
    "app_version",
    "prev_hash",
    "hash",
)


def export_audit_events(
    session: Session, *, actor: Actor, batch: int = 1_000
) -> Iterator[dict[str, Any]]:
    """Every audit event, oldest first, as plain values (times in ISO 8601, UTC).

    The role is checked here, at the call, not when the rows are first read.
    """
    require(actor, Permission.EXPORT)
    return _rows(session, batch)


def _rows(session: Session, batch: int) -> Iterator[dict[str, Any]]:
    events = session.scalars(
        sa.select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch)
    )
    for event in events:
        row = {column: getattr(event, column) for column in AUDIT_COLUMNS}
        row["occurred_at"] = event.occurred_at.isoformat()
        yield row
