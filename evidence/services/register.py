"""Read the decisions: a dossier's history, and the register in force on a date."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, selectinload

from evidence.models import (
    Decision,
    Dossier,
)
from evidence.permissions import Permission, require
from evidence.services.audit import Actor
from evidence.services.dossier_export import get_dossier
from evidence.services.plain_values import plain_value

# ---------------------------------------------------------------- read models


@dataclass(frozen=True)
class DecisionRecord:
    """One decision as the history and the CLI show it."""

    id: int
    decided_on: date
    contraindication: bool
    action_needed: bool
    severity: str | None
    rationale: str
    decided_by: str
    signer: str | None
    signed_at: datetime | None
    signature_meaning: str | None
    supersedes_id: int | None
    superseded_by_id: int | None
    recorded_at: datetime
    recorded_by: str | None
    snapshot_hash: str | None

    @property
    def in_force(self) -> bool:
        return self.superseded_by_id is None


@dataclass(frozen=True)
class RegisterEntry:
    """A dossier and the decision in force on the register's day (all None: none then)."""

    reference: str
    title: str
    substance: str
    condition: str
    decision_id: int | None = None
    contraindication: bool | None = None
    action_needed: bool | None = None
    severity: str | None = None
    decided_on: date | None = None
    rationale: str | None = None
    decided_by: str | None = None
    signer: str | None = None
    signed_at: datetime | None = None
    signature_meaning: str | None = None
    supersedes_id: int | None = None

    @property
    def warns(self) -> bool | None:
        """Only ``action_needed`` makes a pharmacy system warn (yes/yes and no/yes)."""
        return self.action_needed


def _record(decision: Decision, superseded_by: dict[int, int]) -> DecisionRecord:
    return DecisionRecord(
        id=decision.id,
        decided_on=decision.decided_on,
        contraindication=decision.contraindication,
        action_needed=decision.action_needed,
        severity=plain_value(decision.severity),
        rationale=decision.rationale,
        decided_by=decision.decided_by,
        signer=decision.signed_by.display_name if decision.signed_by else None,
        signed_at=decision.signed_at,
        signature_meaning=plain_value(decision.signature_meaning),
        supersedes_id=decision.supersedes_id,
        superseded_by_id=superseded_by.get(decision.id),
        recorded_at=decision.recorded_at,
        recorded_by=decision.recorded_by,
        snapshot_hash=decision.snapshot.content_hash if decision.snapshot else None,
    )


def decision_history(
    session: Session, *, dossier_reference: str, actor: Actor
) -> list[DecisionRecord]:
    """Every decision on a dossier, oldest first, each with what superseded it."""
    require(actor, Permission.VIEW)
    dossier = get_dossier(session, reference=dossier_reference)
    decisions = list(
        session.scalars(
            sa.select(Decision)
            .where(Decision.dossier_id == dossier.id)
            .options(selectinload(Decision.signed_by), selectinload(Decision.snapshot))
            .order_by(Decision.id)
        )
    )
    superseded_by = {d.supersedes_id: d.id for d in decisions if d.supersedes_id is not None}
    return [_record(decision, superseded_by) for decision in decisions]


def _in_force_on(session: Session, day: date) -> dict[int, Decision]:
    """Per dossier id, the decision taken by ``day`` that no decision taken by then superseded."""
    later = aliased(Decision)
    rows = session.scalars(
        sa.select(Decision)
        .where(
            Decision.decided_on <= day,
            ~sa.exists().where(later.supersedes_id == Decision.id, later.decided_on <= day),
        )
        .options(selectinload(Decision.signed_by))
        .order_by(Decision.decided_on, Decision.id)
    )
    # Ordered oldest first, so the newest wins should a chain ever have forked.
    return {decision.dossier_id: decision for decision in rows}


def _entry(dossier: Dossier, decision: Decision | None) -> RegisterEntry:
    base = RegisterEntry(
        reference=dossier.reference,
        title=dossier.title,
        substance=dossier.substance.name,
        condition=dossier.condition.name,
    )
    if decision is None:
        return base
    return replace(
        base,
        decision_id=decision.id,
        contraindication=decision.contraindication,
        action_needed=decision.action_needed,
        severity=plain_value(decision.severity),
        decided_on=decision.decided_on,
        rationale=decision.rationale,
        decided_by=decision.decided_by,
        signer=decision.signed_by.display_name if decision.signed_by else None,
        signed_at=decision.signed_at,
        signature_meaning=plain_value(decision.signature_meaning),
        supersedes_id=decision.supersedes_id,
    )


def register_as_of(session: Session, *, day: date, actor: Actor) -> list[RegisterEntry]:
    """Every dossier, by reference, with the decision in force on ``day`` (or none)."""
    require(actor, Permission.VIEW)
    in_force = _in_force_on(session, day)
    dossiers = session.scalars(
        sa.select(Dossier)
        .options(selectinload(Dossier.substance), selectinload(Dossier.condition))
        .order_by(Dossier.reference)
    )
    return [_entry(dossier, in_force.get(dossier.id)) for dossier in dossiers]
