"""Living surveillance: which dossiers' searches are due, and the committee's agenda.

A dossier's searches are due when their last run is older than the dossier's
re-search interval (default a year). New hits then go on the agenda, ranked so that
likely case reports about the dossier's condition come first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from evidence.models import (
    Appraisal,
    Citation,
    Dossier,
    MeshHeading,
    SearchHit,
    SearchRun,
    SearchStrategy,
)
from evidence.models.vocabulary import DossierStatus, HitState, SearchRunOutcome
from evidence.permissions import Permission, require
from evidence.services.audit import Actor

DONE = (SearchRunOutcome.COMPLETED, SearchRunOutcome.RECORDED)


@dataclass(frozen=True)
class DueSearch:
    dossier_reference: str
    strategy_id: int
    strategy_name: str
    last_run: date | None
    has_previous_run: bool


def _latest_versions(strategies: list[SearchStrategy]) -> list[SearchStrategy]:
    newest: dict[str, SearchStrategy] = {}
    for strategy in strategies:
        if strategy.name not in newest or strategy.version > newest[strategy.name].version:
            newest[strategy.name] = strategy
    return sorted(newest.values(), key=lambda s: s.name)


def _last_run(session: Session, dossier_id: int, name: str) -> date | None:
    return session.scalar(
        sa.select(sa.func.max(SearchRun.run_date))
        .join(SearchStrategy, SearchStrategy.id == SearchRun.strategy_id)
        .where(
            SearchStrategy.dossier_id == dossier_id,
            SearchStrategy.name == name,
            SearchRun.outcome.in_(DONE),
        )
    )


def due_searches(session: Session, *, today: date, actor: Actor) -> list[DueSearch]:
    """The newest version of every search of every dossier whose interval has passed."""
    require(actor, Permission.RUN_SURVEILLANCE)
    dossiers = session.scalars(
        sa.select(Dossier)
        .where(Dossier.status != DossierStatus.DRAFT)
        .options(selectinload(Dossier.search_strategies))
        .order_by(Dossier.reference)
    )
    due = []
    for dossier in dossiers:
        interval = timedelta(days=dossier.re_search_interval_days)
        for strategy in _latest_versions(list(dossier.search_strategies)):
            last = _last_run(session, dossier.id, strategy.name)
            if last is None or last + interval <= today:
                due.append(
                    DueSearch(dossier.reference, strategy.id, strategy.name, last, last is not None)
                )
    return due


@dataclass(frozen=True)
class AgendaItem:
    citation_id: int
    pmid: str | None
    title: str
    year: int | None
    score: int
    reasons: tuple[str, ...]


@dataclass
class AgendaDossier:
    reference: str
    title: str
    items: list[AgendaItem] = field(default_factory=list)


def _words(texts: list[str]) -> list[str]:
    """Distinctive terms (4+ letters) of the condition, PICO and risk factors."""
    found: dict[str, None] = {}
    for text in texts:
        for word in re.findall(r"[a-zà-ÿ]{4,}", text.lower()):
            found.setdefault(word, None)
    return list(found)


def _condition_names(dossier: Dossier) -> list[str]:
    return [name.lower() for name in (dossier.condition.name, *dossier.condition.synonyms)]


def _relevance(citation: Citation, dossier: Dossier, terms: list[str]) -> tuple[int, list[str]]:
    """Case reports about the condition first; then MeSH and text that name it; then terms."""
    score, reasons = 0, list[str]()
    kinds = {kind.name.lower() for kind in citation.publication_types}
    if kinds & {"case reports", "letter"}:
        score, reasons = score + 3, [*reasons, "case report"]
    text = " ".join(filter(None, [citation.title, citation.abstract or ""])).lower()
    mesh = " ".join(heading.descriptor.lower() for heading in citation.mesh_headings)
    names = _condition_names(dossier)
    if any(name in mesh for name in names):
        score, reasons = score + 3, [*reasons, "MeSH names the condition"]
    if any(name in text for name in names):
        score, reasons = score + 2, [*reasons, "text names the condition"]
    adverse = any(
        q.name.lower() == "adverse effects" for h in citation.mesh_headings for q in h.qualifiers
    )
    if adverse:
        score, reasons = score + 1, [*reasons, "adverse effects"]
    matched = [term for term in terms if term in text][:3]
    if matched:
        score, reasons = score + len(matched), [*reasons, f"terms: {', '.join(matched)}"]
    return score, reasons


def _new_citations(session: Session, dossier: Dossier) -> list[Citation]:
    """New hits of the dossier's runs that nobody has screened for it yet."""
    screened = sa.select(Appraisal.citation_id).where(Appraisal.dossier_id == dossier.id)
    found = (
        sa.select(SearchHit.citation_id)
        .join(SearchRun, SearchRun.id == SearchHit.run_id)
        .join(SearchStrategy, SearchStrategy.id == SearchRun.strategy_id)
        .where(
            SearchStrategy.dossier_id == dossier.id,
            SearchHit.is_new,
            SearchHit.state == HitState.FETCHED,
        )
    )
    return list(
        session.scalars(
            sa.select(Citation)
            .where(Citation.id.in_(found), Citation.id.not_in(screened))
            .options(
                selectinload(Citation.publication_types),
                selectinload(Citation.mesh_headings).selectinload(MeshHeading.qualifiers),
                selectinload(Citation.abstract_sections),
            )
        )
    )


def surveillance_agenda(
    session: Session, *, actor: Actor, dossier_reference: str | None = None
) -> list[AgendaDossier]:
    """Per dossier, its new unscreened citations, most likely relevant first."""
    require(actor, Permission.VIEW)
    query = sa.select(Dossier).order_by(Dossier.reference)
    if dossier_reference is not None:
        query = query.where(Dossier.reference == dossier_reference)
    agenda = []
    for dossier in session.scalars(query):
        pico = dossier.pico
        texts = [*(_condition_names(dossier)), *(f.text for f in dossier.risk_factors)]
        if pico is not None:
            texts += [pico.population, pico.outcome]
        terms = _words(texts)
        entry = AgendaDossier(dossier.reference, dossier.title)
        for citation in _new_citations(session, dossier):
            score, reasons = _relevance(citation, dossier, terms)
            entry.items.append(
                AgendaItem(
                    citation.id, citation.pmid, citation.title, citation.year, score, tuple(reasons)
                )
            )
        entry.items.sort(key=lambda item: (-item.score, -(item.year or 0), item.citation_id))
        if entry.items:
            agenda.append(entry)
    return agenda
