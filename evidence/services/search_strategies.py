"""Search strategies: create one, revise it (a new version), find them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.errors import Conflict, InvalidInput, NotFound
from evidence.models import Dossier, SearchStrategy
from evidence.models.vocabulary import TextAvailability
from evidence.permissions import Permission, require
from evidence.pubmed.query import StrategyFilters, build_query
from evidence.services.audit import Actor, record_event


@dataclass(frozen=True)
class StrategyDraft:
    """What an analyst types: terms and filters (every filter optional)."""

    name: str
    terms: str
    mesh_terms_only: bool = False
    publication_types: tuple[str, ...] = ()
    species: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    text_availability: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def check(self) -> None:
        if not self.name.strip():
            raise InvalidInput("a search strategy needs a name")
        if not self.terms.strip():
            raise InvalidInput("a search strategy needs search terms")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput(f"the date range is reversed: {self.date_from} > {self.date_to}")
        if self.text_availability is not None:
            allowed = [member.value for member in TextAvailability]
            if self.text_availability not in allowed:
                raise InvalidInput(f"text availability must be one of {', '.join(allowed)}")


def strategy_filters(strategy: SearchStrategy) -> StrategyFilters:
    return StrategyFilters(
        mesh_terms_only=strategy.mesh_terms_only,
        publication_types=tuple(strategy.publication_types),
        species=tuple(strategy.species),
        languages=tuple(strategy.languages),
        text_availability=strategy.text_availability.value if strategy.text_availability else None,
        date_from=strategy.date_from,
        date_to=strategy.date_to,
    )


def strategy_query(strategy: SearchStrategy) -> str:
    return build_query(strategy.terms, strategy_filters(strategy))


def _snapshot(strategy: SearchStrategy) -> dict[str, object]:
    return {
        "name": strategy.name,
        "version": strategy.version,
        "dossier_id": strategy.dossier_id,
        "query": strategy_query(strategy),
    }


def _lineage(dossier_id: int | None, name: str) -> sa.Select[Any]:
    dossier_clause = (
        SearchStrategy.dossier_id.is_(None)
        if dossier_id is None
        else SearchStrategy.dossier_id == dossier_id
    )
    return sa.select(sa.func.max(SearchStrategy.version)).where(
        dossier_clause, SearchStrategy.name == name
    )


def create_search_strategy(
    session: Session, *, draft: StrategyDraft, actor: Actor, dossier_reference: str | None = None
) -> SearchStrategy:
    """A new strategy at version 1, optionally for a dossier."""
    require(actor, Permission.MANAGE_SEARCHES)
    draft.check()
    dossier_id = None
    if dossier_reference is not None:
        dossier_id = session.scalar(
            sa.select(Dossier.id).where(Dossier.reference == dossier_reference)
        )
        if dossier_id is None:
            raise NotFound(f"no dossier with reference {dossier_reference!r}")
    if session.scalar(_lineage(dossier_id, draft.name)) is not None:
        raise Conflict(
            f"a search strategy named {draft.name!r} already exists here; revise it instead"
        )
    strategy = _new_version(draft, dossier_id=dossier_id, version=1, actor=actor)
    session.add(strategy)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="create",
        entity_type="search_strategy",
        entity_id=str(strategy.id),
        after=_snapshot(strategy),
    )
    return strategy


def _new_version(
    draft: StrategyDraft, *, dossier_id: int | None, version: int, actor: Actor
) -> SearchStrategy:
    return SearchStrategy(
        dossier_id=dossier_id,
        name=draft.name,
        version=version,
        terms=draft.terms.strip(),
        mesh_terms_only=draft.mesh_terms_only,
        publication_types=list(draft.publication_types),
        species=list(draft.species),
        languages=list(draft.languages),
        text_availability=TextAvailability(draft.text_availability)
        if draft.text_availability
        else None,
        date_from=draft.date_from,
        date_to=draft.date_to,
        created_by=actor.name,
    )


def draft_of(strategy: SearchStrategy) -> StrategyDraft:
    filters = strategy_filters(strategy)
    return StrategyDraft(name=strategy.name, terms=strategy.terms, **dataclasses.asdict(filters))


def revise_search_strategy(
    session: Session, *, strategy_id: int, draft: StrategyDraft, actor: Actor
) -> SearchStrategy:
    """Editing never changes a version that runs point at: it adds the next version."""
    require(actor, Permission.MANAGE_SEARCHES)
    draft.check()
    current = get_search_strategy(session, strategy_id=strategy_id)
    if draft.name != current.name:
        raise InvalidInput("a revision keeps the strategy's name")
    latest = session.scalar(_lineage(current.dossier_id, current.name)) or 0
    if latest != current.version:
        raise Conflict(
            f"strategy {strategy_id} is version {current.version}, but version {latest} "
            "exists: revise the newest version"
        )
    revised = _new_version(draft, dossier_id=current.dossier_id, version=latest + 1, actor=actor)
    session.add(revised)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="revise",
        entity_type="search_strategy",
        entity_id=str(revised.id),
        before=_snapshot(current),
        after=_snapshot(revised),
    )
    return revised


def get_search_strategy(session: Session, *, strategy_id: int) -> SearchStrategy:
    strategy = session.get(SearchStrategy, strategy_id)
    if strategy is None:
        raise NotFound(f"no search strategy with id {strategy_id}")
    return strategy


def strategy_versions(session: Session, strategy: SearchStrategy) -> list[SearchStrategy]:
    """Every version of the strategy's lineage (same dossier and name), oldest first."""
    dossier_clause = (
        SearchStrategy.dossier_id.is_(None)
        if strategy.dossier_id is None
        else SearchStrategy.dossier_id == strategy.dossier_id
    )
    return list(
        session.scalars(
            sa.select(SearchStrategy)
            .where(dossier_clause, SearchStrategy.name == strategy.name)
            .order_by(SearchStrategy.version)
        )
    )
