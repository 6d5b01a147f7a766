"""Where a dossier's screening stands: the queue, the conflicts, the agreement.

The queue is what the acting reviewer can screen next; the conflicts await a third
person; the agreement report gives Cohen's kappa of dual screening, in totals only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.agreement import cohens_kappa, observed_agreement
from evidence.models import Citation, Dossier, ScreeningVote, SearchHit, SearchRun, SearchStrategy
from evidence.models.vocabulary import ScreeningMode, ScreeningOutcome
from evidence.permissions import Permission, require
from evidence.services.audit import Actor
from evidence.services.screening import (
    acting_reviewer_id,
    disagree,
    dossier_by_reference,
    is_decided,
)


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


# ------------------------------------------------------------------ the queue


def screening_queue(session: Session, *, dossier_reference: str, actor: Actor) -> list[QueueItem]:
    """Citations the acting reviewer can screen next, hits of the latest run first.

    Within a run new hits come first, then PubMed's rank. A citation found by several
    runs is listed once, at its place in the latest of them. Decided citations are
    never listed; in dual mode neither are those this reviewer voted on, nor those
    that already have two votes (they await a resolution, not a third vote).
    """
    require(actor, Permission.SCREEN)
    reviewer_id = acting_reviewer_id(actor)
    dossier = dossier_by_reference(session, dossier_reference)
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
        .where(SearchStrategy.dossier_id == dossier.id, ~is_decided(dossier, Citation.id))
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


# ------------------------------------------------------------------ conflicts


def screening_conflicts(
    session: Session, *, dossier_reference: str, actor: Actor
) -> list[ScreeningConflict]:
    """Undecided citations whose two votes differ, with both votes, by citation id.

    Both reviewers have voted, so showing the votes no longer breaks blindness.
    """
    require(actor, Permission.RESOLVE_SCREENING)
    dossier = dossier_by_reference(session, dossier_reference)
    votes = session.scalars(
        sa.select(ScreeningVote)
        .where(ScreeningVote.dossier_id == dossier.id)
        .where(~is_decided(dossier, ScreeningVote.citation_id))
        .order_by(ScreeningVote.citation_id, ScreeningVote.id)
    )
    by_citation: dict[int, list[ScreeningVote]] = defaultdict(list)
    for vote in votes:
        by_citation[vote.citation_id].append(vote)
    return [_conflict(pair) for pair in by_citation.values() if disagree(pair)]


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


# ------------------------------------------------------------------ agreement


def screening_agreement(
    session: Session, *, dossier_reference: str, actor: Actor
) -> AgreementReport:
    """Cohen's kappa of the dossier's dual screening: first against second vote.

    Every citation with two votes counts, decided or not: both votes are cast, and
    only the totals are shown.
    """
    require(actor, Permission.VIEW)
    dossier = dossier_by_reference(session, dossier_reference)
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
