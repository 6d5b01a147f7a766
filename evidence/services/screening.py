"""Screening: single or dual (blind) review of the citations a dossier's searches found.

In single mode one reviewer's vote decides at once. In dual mode two reviewers vote
without seeing each other's vote; when they agree the second vote decides, when
they disagree a third person resolves the conflict. A decision is the dossier's
``Appraisal`` of the citation, so a citation decided once stays decided when a
later search run finds it again (the carry-over), and leaves the queue.

Blindness: while a citation is undecided no service shows a reviewer anyone else's
vote; only ``screening_conflicts`` lists both votes, after both were cast.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from evidence.agreement import cohens_kappa, observed_agreement
from evidence.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from evidence.models import (
    Appraisal,
    Citation,
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

# The schema's limit on a reason code (ScreeningReason.code).
MAX_CODE_LENGTH = 50
NEEDS_REASON = frozenset({ScreeningOutcome.OTHER, ScreeningOutcome.EXCLUDED})


class ScreeningState(enum.StrEnum):
    DECIDED = "decided"
    AWAITING_SECOND_VOTE = "awaiting_second_vote"
    CONFLICT = "conflict"  # the two votes differ: a third person resolves it


@dataclass(frozen=True)
class ScreeningSettings:
    reference: str
    mode: ScreeningMode
    reasons: tuple[tuple[str, str], ...]  # (code, label), by code


@dataclass(frozen=True)
class QueueItem:
    citation_id: int
    pmid: str | None
    title: str
    year: int | None
    run_id: int  # the latest run that found it
    rank: int
    is_new: bool


@dataclass(frozen=True)
class ScreeningResult:
    """What the acting reviewer may know after voting: their own vote and its state."""

    citation_id: int
    outcome: ScreeningOutcome
    state: ScreeningState
    appraisal_id: int | None = None


@dataclass(frozen=True)
class VoteView:
    reviewer: str
    outcome: ScreeningOutcome
    reason_code: str | None
    reason_label: str | None
    note: str | None
    voted_at: datetime


@dataclass(frozen=True)
class ScreeningConflict:
    citation_id: int
    pmid: str | None
    title: str
    votes: tuple[VoteView, ...]  # in the order they were cast


@dataclass(frozen=True)
class AgreementReport:
    reference: str
    pairs: int  # citations with two votes
    agreements: int
    observed_agreement: float | None
    kappa: float | None  # None when undefined (see evidence.agreement.cohens_kappa)


# ------------------------------------------------------------------ lookups and checks


def _dossier(session: Session, reference: str, *, lock: bool = False) -> Dossier:
    query = sa.select(Dossier).where(Dossier.reference == reference)
    if lock:
        # Serialises votes on a dossier on PostgreSQL, so two reviewers voting at the
        # same moment cannot both miss each other's vote. SQLite has one writer anyway.
        query = query.with_for_update()
    dossier = session.scalar(query)
    if dossier is None:
        raise NotFound(f"no dossier with reference {reference!r}")
    return dossier


def _reviewer_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise PermissionDenied("only a named user can screen or resolve; set EVIDENCE_USER")
    return actor.user_id


def _settings(dossier: Dossier) -> ScreeningSettings:
    # Sorted here: reasons added in this transaction sit at the end of the collection.
    reasons = tuple(sorted((reason.code, reason.label) for reason in dossier.screening_reasons))
    return ScreeningSettings(dossier.reference, dossier.screening_mode, reasons)


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


def _votes(session: Session, dossier: Dossier, citation_id: int) -> list[ScreeningVote]:
    return list(
        session.scalars(
            sa.select(ScreeningVote)
            .where(ScreeningVote.dossier_id == dossier.id, ScreeningVote.citation_id == citation_id)
            .order_by(ScreeningVote.id)
        )
    )


# ------------------------------------------------------------------ configuration


def configure_screening(
    session: Session,
    *,
    dossier_reference: str,
    mode: ScreeningMode,
    reasons: Sequence[tuple[str, str]],
    actor: Actor,
) -> ScreeningSettings:
    """Set the mode and the coded reasons of a dossier.

    ``reasons`` is the whole list when given: codes are added, relabelled, or removed
    when no vote or resolution uses them. An empty list keeps the current reasons.
    """
    require(actor, Permission.CONFIGURE_SCREENING)
    dossier = _dossier(session, dossier_reference, lock=True)
    wanted = _checked_reasons(reasons)
    before = _settings(dossier)
    if mode is ScreeningMode.SINGLE and dossier.screening_mode is ScreeningMode.DUAL:
        _refuse_pending_dual_votes(session, dossier)
    dossier.screening_mode = mode
    if wanted:
        _replace_reasons(session, dossier, wanted)
    session.flush()
    after = _settings(dossier)
    record_event(
        session,
        actor=actor,
        action="configure_screening",
        entity_type="dossier",
        entity_id=dossier.reference,
        before=_settings_values(before),
        after=_settings_values(after),
    )
    return after


def _checked_reasons(reasons: Sequence[tuple[str, str]]) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for raw_code, raw_label in reasons:
        code, label = raw_code.strip(), raw_label.strip()
        if not code or not label:
            raise InvalidInput(f"a reason needs a code and a label, got {raw_code}={raw_label}")
        if len(code) > MAX_CODE_LENGTH:
            raise InvalidInput(f"reason code {code!r} is longer than {MAX_CODE_LENGTH} characters")
        if code in wanted:
            raise InvalidInput(f"reason code {code!r} is given twice")
        wanted[code] = label
    return wanted


def _refuse_pending_dual_votes(session: Session, dossier: Dossier) -> None:
    pending = session.scalar(
        sa.select(sa.func.count(sa.distinct(ScreeningVote.citation_id))).where(
            ScreeningVote.dossier_id == dossier.id, ~_decided(dossier, ScreeningVote.citation_id)
        )
    )
    if pending:
        raise Conflict(
            f"dossier {dossier.reference} has {pending} citation(s) with dual-screening votes "
            "still undecided (awaiting a second vote or a resolution); finish them before "
            "switching to single screening"
        )


def _replace_reasons(session: Session, dossier: Dossier, wanted: dict[str, str]) -> None:
    new = dict(wanted)
    for reason in list(dossier.screening_reasons):
        if reason.code in new:
            reason.label = new.pop(reason.code)
        else:
            _refuse_if_used(session, reason)
            dossier.screening_reasons.remove(reason)
    dossier.screening_reasons.extend(
        ScreeningReason(code=code, label=label) for code, label in new.items()
    )


def _refuse_if_used(session: Session, reason: ScreeningReason) -> None:
    used = session.scalar(
        sa.select(sa.func.count())
        .select_from(ScreeningVote)
        .where(ScreeningVote.reason_id == reason.id)
    ) or session.scalar(
        sa.select(sa.func.count())
        .select_from(ScreeningResolution)
        .where(ScreeningResolution.reason_id == reason.id)
    )
    if used:
        raise Conflict(
            f"reason {reason.code!r} is used by earlier votes or resolutions and cannot be removed"
        )


def _settings_values(settings: ScreeningSettings) -> dict[str, Any]:
    return {"screening_mode": settings.mode.value, "reasons": dict(settings.reasons)}


def _decided(dossier: Dossier, citation_id: InstrumentedAttribute[int]) -> sa.Exists:
    return (
        sa.select(Appraisal.id)
        .where(Appraisal.dossier_id == dossier.id, Appraisal.citation_id == citation_id)
        .exists()
    )


# ------------------------------------------------------------------ the queue


def screening_queue(session: Session, *, dossier_reference: str, actor: Actor) -> list[QueueItem]:
    """Citations the acting reviewer can screen next, hits of the latest run first.

    Within a run new hits come first, then PubMed's rank. A citation found by several
    runs is listed once, at its place in the latest of them. Decided citations are
    never listed; in dual mode neither are those this reviewer voted on, nor those
    that already have two votes (they await a resolution, not a third vote).
    """
    require(actor, Permission.SCREEN)
    reviewer_id = _reviewer_id(actor)
    dossier = _dossier(session, dossier_reference)
    query = (
        sa.select(
            Citation.id,
            Citation.pmid,
            Citation.title,
            Citation.year,
            SearchRun.id,
            SearchHit.rank,
            SearchHit.is_new,
        )
        .join(SearchRun, SearchHit.run_id == SearchRun.id)
        .join(SearchStrategy, SearchRun.strategy_id == SearchStrategy.id)
        .join(Citation, SearchHit.citation_id == Citation.id)
        .where(SearchStrategy.dossier_id == dossier.id, ~_decided(dossier, Citation.id))
        .order_by(
            SearchRun.run_date.desc(),
            SearchRun.id.desc(),
            SearchHit.is_new.desc(),
            SearchHit.rank,
        )
    )
    if dossier.screening_mode is ScreeningMode.DUAL:
        query = query.where(*_open_for_dual_vote(dossier, reviewer_id))
    return _first_per_citation(QueueItem(*row) for row in session.execute(query))


def _open_for_dual_vote(dossier: Dossier, reviewer_id: int) -> list[sa.ColumnElement[bool]]:
    votes_here = sa.and_(
        ScreeningVote.dossier_id == dossier.id, ScreeningVote.citation_id == Citation.id
    )
    vote_count = sa.select(sa.func.count(ScreeningVote.id)).where(votes_here).scalar_subquery()
    own_vote = sa.select(ScreeningVote.id).where(
        votes_here, ScreeningVote.reviewer_id == reviewer_id
    )
    return [~own_vote.exists(), vote_count < 2]


def _first_per_citation(items: Any) -> list[QueueItem]:
    # The rows come in queue order, so a citation's first row is its latest run.
    seen: set[int] = set()
    queue = []
    for item in items:
        if item.citation_id not in seen:
            seen.add(item.citation_id)
            queue.append(item)
    return queue


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
    reviewer_id = _reviewer_id(actor)
    dossier = _dossier(session, dossier_reference, lock=True)
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


def screening_conflicts(
    session: Session, *, dossier_reference: str, actor: Actor
) -> list[ScreeningConflict]:
    """Undecided citations whose two votes differ, with both votes, by citation id.

    Both reviewers have voted, so showing the votes no longer breaks blindness.
    """
    require(actor, Permission.RESOLVE_SCREENING)
    dossier = _dossier(session, dossier_reference)
    votes = session.scalars(
        sa.select(ScreeningVote)
        .where(ScreeningVote.dossier_id == dossier.id)
        .where(~_decided(dossier, ScreeningVote.citation_id))
        .order_by(ScreeningVote.citation_id, ScreeningVote.id)
    )
    by_citation: dict[int, list[ScreeningVote]] = defaultdict(list)
    for vote in votes:
        by_citation[vote.citation_id].append(vote)
    return [_conflict(pair) for pair in by_citation.values() if _disagree(pair)]


def _disagree(votes: list[ScreeningVote]) -> bool:
    return len(votes) == 2 and votes[0].outcome is not votes[1].outcome


def _conflict(votes: list[ScreeningVote]) -> ScreeningConflict:
    citation = votes[0].citation
    return ScreeningConflict(
        citation_id=citation.id,
        pmid=citation.pmid,
        title=citation.title,
        votes=tuple(
            VoteView(
                reviewer=vote.reviewer.username,
                outcome=vote.outcome,
                reason_code=vote.reason.code if vote.reason else None,
                reason_label=vote.reason.label if vote.reason else None,
                note=vote.note,
                voted_at=vote.voted_at,
            )
            for vote in votes
        ),
    )


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
    resolver_id = _reviewer_id(actor)
    dossier = _dossier(session, dossier_reference, lock=True)
    reason = _reason(dossier, outcome, reason_code)
    _refuse_if_decided(session, dossier, citation_id)
    votes = _votes(session, dossier, citation_id)
    if not _disagree(votes):
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


# ------------------------------------------------------------------ agreement


def screening_agreement(
    session: Session, *, dossier_reference: str, actor: Actor
) -> AgreementReport:
    """Cohen's kappa of the dossier's dual screening: first against second vote.

    Every citation with two votes counts, decided or not: both votes are cast, and
    only the totals are shown.
    """
    require(actor, Permission.VIEW)
    dossier = _dossier(session, dossier_reference)
    rows = session.execute(
        sa.select(ScreeningVote.citation_id, ScreeningVote.outcome)
        .where(ScreeningVote.dossier_id == dossier.id)
        .order_by(ScreeningVote.citation_id, ScreeningVote.id)
    )
    by_citation: dict[int, list[str]] = defaultdict(list)
    for citation_id, outcome in rows:
        by_citation[citation_id].append(outcome.value)
    pairs = [(votes[0], votes[1]) for votes in by_citation.values() if len(votes) == 2]
    return AgreementReport(
        reference=dossier.reference,
        pairs=len(pairs),
        agreements=sum(first == second for first, second in pairs),
        observed_agreement=observed_agreement(pairs),
        kappa=cohens_kappa(pairs),
    )
