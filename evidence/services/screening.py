"""Screening: single or dual (blind) review of the citations a dossier's searches found.

In single mode one reviewer's vote decides at once. In dual mode two reviewers vote
without seeing each other's vote; when they agree the second vote decides, when
they disagree a third person resolves the conflict. A decision is the dossier's
``Appraisal`` of the citation, so a citation decided once stays decided when a
later search run finds it again (the carry-over), and leaves the queue.

Blindness: while a citation is undecided no service shows a reviewer anyone else's
vote; only ``screening_conflicts`` lists both votes, after both were cast.

This module records votes and resolutions; ``screening_settings`` configures a
dossier's screening, ``screening_progress`` holds the queue, the conflicts and the
agreement report.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from evidence.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from evidence.models import (
    Appraisal,
    Dossier,
    ScreeningReason,
    ScreeningResolution,
    ScreeningVote,
    SearchHit,
    SearchRun,
    SearchStrategy,
)
from evidence.models.vocabulary import ScreeningMode, ScreeningOutcome
from evidence.permissions import Permission, require
from evidence.services.audit import Actor, record_event

NEEDS_REASON = frozenset({ScreeningOutcome.OTHER, ScreeningOutcome.EXCLUDED})


class ScreeningState(enum.StrEnum):
    DECIDED = "decided"
    AWAITING_SECOND_VOTE = "awaiting_second_vote"
    CONFLICT = "conflict"  # the two votes differ: a third person resolves it


@dataclass(frozen=True)
class ScreeningResult:
    """What the acting reviewer may know after voting: their own vote and its state."""

    citation_id: int
    outcome: ScreeningOutcome
    state: ScreeningState
    appraisal_id: int | None = None


# ------------------------------------------------------------------ lookups and checks


def dossier_by_reference(session: Session, reference: str, *, lock: bool = False) -> Dossier:
    query = sa.select(Dossier).where(Dossier.reference == reference)
    if lock:
        # Serialises votes on a dossier on PostgreSQL, so two reviewers voting at the
        # same moment cannot both miss each other's vote. SQLite has one writer anyway.
        query = query.with_for_update()
    dossier = session.scalar(query)
    if dossier is None:
        raise NotFound(f"no dossier with reference {reference!r}")
    return dossier


def acting_reviewer_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise PermissionDenied("only a named user can screen or resolve; set EVIDENCE_USER")
    return actor.user_id


def _reason(
    dossier: Dossier, outcome: ScreeningOutcome, code: str | None
) -> ScreeningReason | None:
    """The dossier's reason for ``code``; one is required for 'other' and 'excluded'."""
    code = (code or "").strip()
    if not code:
        if outcome in NEEDS_REASON:
            raise InvalidInput(f"{outcome.value!r} needs a reason code ({_known(dossier)})")
        return None
    for reason in dossier.screening_reasons:
        if reason.code == code:
            return reason
    raise InvalidInput(f"unknown reason code {code!r} ({_known(dossier)})")


def _known(dossier: Dossier) -> str:
    codes = [reason.code for reason in dossier.screening_reasons]
    if not codes:
        return f"dossier {dossier.reference} has no reasons yet: see 'evidence screen configure'"
    return f"dossier {dossier.reference} has {', '.join(codes)}"


def _clean(note: str | None) -> str | None:
    return (note or "").strip() or None


def _require_candidate(session: Session, dossier: Dossier, citation_id: int) -> None:
    found = session.scalar(
        sa.select(SearchHit.id)
        .join(SearchRun, SearchHit.run_id == SearchRun.id)
        .join(SearchStrategy, SearchRun.strategy_id == SearchStrategy.id)
        .where(SearchStrategy.dossier_id == dossier.id, SearchHit.citation_id == citation_id)
        .limit(1)
    )
    if found is None:
        raise NotFound(
            f"citation {citation_id} was not found by any search of dossier {dossier.reference}"
        )


def _refuse_if_decided(session: Session, dossier: Dossier, citation_id: int) -> None:
    decided = session.scalar(
        sa.select(Appraisal.screening).where(
            Appraisal.dossier_id == dossier.id, Appraisal.citation_id == citation_id
        )
    )
    if decided is not None:
        raise Conflict(f"already screened: {decided.value}")


def is_decided(dossier: Dossier, citation_id: InstrumentedAttribute[int]) -> sa.Exists:
    return (
        sa.select(Appraisal.id)
        .where(Appraisal.dossier_id == dossier.id, Appraisal.citation_id == citation_id)
        .exists()
    )


def _votes(session: Session, dossier: Dossier, citation_id: int) -> list[ScreeningVote]:
    return list(
        session.scalars(
            sa.select(ScreeningVote)
            .where(ScreeningVote.dossier_id == dossier.id, ScreeningVote.citation_id == citation_id)
            .order_by(ScreeningVote.id)
        )
    )


# ------------------------------------------------------------------ voting


def screen_citation(
    session: Session,
    *,
    dossier_reference: str,
    citation_id: int,
    outcome: ScreeningOutcome,
    reason_code: str | None = None,
    note: str | None = None,
    actor: Actor,
) -> ScreeningResult:
    """Record the acting reviewer's vote; decide when the dossier's mode says so.

    Single mode: the vote decides. Dual mode: the first vote waits; the second decides
    when it agrees and becomes a conflict when it does not. A decided citation, a
    second vote by the same reviewer and a third vote are refused.
    """
    require(actor, Permission.SCREEN)
    reviewer_id = acting_reviewer_id(actor)
    dossier = dossier_by_reference(session, dossier_reference, lock=True)
    reason = _reason(dossier, outcome, reason_code)
    _require_candidate(session, dossier, citation_id)
    _refuse_if_decided(session, dossier, citation_id)
    earlier = _votes(session, dossier, citation_id)
    _refuse_extra_vote(earlier, reviewer_id, citation_id)
    vote = ScreeningVote(
        dossier_id=dossier.id,
        citation_id=citation_id,
        reviewer_id=reviewer_id,
        outcome=outcome,
        reason=reason,
        note=_clean(note),
    )
    session.add(vote)
    session.flush()
    _record_vote(session, dossier, vote, actor)
    return _after_vote(session, dossier, [*earlier, vote], actor)


def _refuse_extra_vote(earlier: list[ScreeningVote], reviewer_id: int, citation_id: int) -> None:
    if any(vote.reviewer_id == reviewer_id for vote in earlier):
        raise Conflict(f"you have already voted on citation {citation_id}")
    if len(earlier) >= 2:
        raise Conflict(
            f"citation {citation_id} already has two votes; "
            "their disagreement is settled by a resolution, not a third vote"
        )


def _record_vote(session: Session, dossier: Dossier, vote: ScreeningVote, actor: Actor) -> None:
    record_event(
        session,
        actor=actor,
        action="create",
        entity_type="screening_vote",
        entity_id=str(vote.id),
        after={
            "dossier": dossier.reference,
            "citation_id": vote.citation_id,
            "reviewer": actor.name,
            "outcome": vote.outcome.value,
            "reason": vote.reason.code if vote.reason else None,
            "note": vote.note,
            "screening_mode": dossier.screening_mode.value,
        },
    )


def _after_vote(
    session: Session, dossier: Dossier, votes: list[ScreeningVote], actor: Actor
) -> ScreeningResult:
    vote = votes[-1]
    single = dossier.screening_mode is ScreeningMode.SINGLE
    if not single and len(votes) == 1:
        return ScreeningResult(vote.citation_id, vote.outcome, ScreeningState.AWAITING_SECOND_VOTE)
    if not single and votes[0].outcome is not vote.outcome:
        return ScreeningResult(vote.citation_id, vote.outcome, ScreeningState.CONFLICT)
    # Single mode, or two agreeing votes: each vote's reason and note go to the appraisal.
    texts = [_reason_text(v.reason, v.note) for v in votes]
    basis = "single vote" if single else "two agreeing votes"
    appraisal = _decide(session, dossier, vote.citation_id, vote.outcome, texts, basis, actor)
    return ScreeningResult(vote.citation_id, vote.outcome, ScreeningState.DECIDED, appraisal.id)


def _reason_text(reason: ScreeningReason | None, note: str | None) -> str | None:
    parts = [part for part in (reason.label if reason else None, note) if part]
    return ": ".join(parts) or None


def _decide(
    session: Session,
    dossier: Dossier,
    citation_id: int,
    outcome: ScreeningOutcome,
    reason_texts: Sequence[str | None],
    basis: str,
    actor: Actor,
) -> Appraisal:
    """Create the dossier's appraisal of the citation with its screening outcome."""
    last = session.scalar(
        sa.select(sa.func.max(Appraisal.position)).where(Appraisal.dossier_id == dossier.id)
    )
    distinct_texts = list(dict.fromkeys(text for text in reason_texts if text))
    appraisal = Appraisal(
        dossier_id=dossier.id,
        citation_id=citation_id,
        position=0 if last is None else last + 1,
        screening=outcome,
        # The schema keeps a reason on excluded appraisals only; the votes keep the rest.
        exclusion_reason=(
            "; ".join(distinct_texts) or None if outcome is ScreeningOutcome.EXCLUDED else None
        ),
    )
    session.add(appraisal)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="create",
        entity_type="appraisal",
        entity_id=str(appraisal.id),
        after={
            "dossier": dossier.reference,
            "citation_id": citation_id,
            "position": appraisal.position,
            "screening": outcome.value,
            "exclusion_reason": appraisal.exclusion_reason,
            "decided_by": basis,
        },
    )
    return appraisal


# ------------------------------------------------------------------ conflicts


def disagree(votes: list[ScreeningVote]) -> bool:
    return len(votes) == 2 and votes[0].outcome is not votes[1].outcome


def resolve_conflict(
    session: Session,
    *,
    dossier_reference: str,
    citation_id: int,
    outcome: ScreeningOutcome,
    reason_code: str | None = None,
    note: str | None = None,
    actor: Actor,
) -> ScreeningResult:
    """A third person's verdict on a conflict: recorded, and it decides the citation."""
    require(actor, Permission.RESOLVE_SCREENING)
    resolver_id = acting_reviewer_id(actor)
    dossier = dossier_by_reference(session, dossier_reference, lock=True)
    reason = _reason(dossier, outcome, reason_code)
    _refuse_if_decided(session, dossier, citation_id)
    votes = _votes(session, dossier, citation_id)
    if not disagree(votes):
        raise NotFound(
            f"citation {citation_id} has no screening conflict in dossier {dossier.reference}"
        )
    if any(vote.reviewer_id == resolver_id for vote in votes):
        raise PermissionDenied(
            f"{actor.name} voted on citation {citation_id}; a third person resolves the conflict"
        )
    resolution = ScreeningResolution(
        dossier_id=dossier.id,
        citation_id=citation_id,
        resolved_by_id=resolver_id,
        outcome=outcome,
        reason_id=reason.id if reason else None,
        note=_clean(note),
    )
    session.add(resolution)
    session.flush()
    _record_resolution(session, dossier, resolution, reason, actor)
    texts = [_reason_text(reason, resolution.note)]
    appraisal = _decide(session, dossier, citation_id, outcome, texts, "resolution", actor)
    return ScreeningResult(citation_id, outcome, ScreeningState.DECIDED, appraisal.id)


def _record_resolution(
    session: Session,
    dossier: Dossier,
    resolution: ScreeningResolution,
    reason: ScreeningReason | None,
    actor: Actor,
) -> None:
    record_event(
        session,
        actor=actor,
        action="create",
        entity_type="screening_resolution",
        entity_id=str(resolution.id),
        after={
            "dossier": dossier.reference,
            "citation_id": resolution.citation_id,
            "resolved_by": actor.name,
            "outcome": resolution.outcome.value,
            "reason": reason.code if reason else None,
            "note": resolution.note,
        },
    )
