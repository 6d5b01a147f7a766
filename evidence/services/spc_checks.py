"""How each product's SPC changed over time, and where it disagrees with the decision.

A *revision* is what one product's SPC says as of one ``spc_date``: the statements
linked to that product with that date. The *current* SPC of a product is its
latest revision; a revision without a date counts as older than any dated one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from evidence.models import Condition, Decision, Dossier, SpcStatement, SpcStatementProduct
from evidence.models.vocabulary import SpcSection
from evidence.permissions import Permission, require
from evidence.services.audit import Actor
from evidence.services.decisions import current_decision
from evidence.services.dossier_export import get_dossier

# Kinds of disagreement, stable for scripts and the dashboard.
CONTRAINDICATED_IN_SPC: Final = "contraindicated_in_spc"
NOT_IN_CURRENT_SPC: Final = "not_in_current_spc"
SPC_NEWER_THAN_DECISION: Final = "spc_newer_than_decision"


@dataclass(frozen=True)
class TimelineStatement:
    statement_id: int
    section: str
    term: str | None
    text: str
    organ_class: str | None
    frequency: str | None


@dataclass(frozen=True)
class TimelineEntry:
    """One revision of one product's SPC: its date and the statements it carries."""

    product: str
    spc_date: date | None
    statements: tuple[TimelineStatement, ...]
    current: bool  # the product's latest revision


@dataclass(frozen=True)
class Disagreement:
    kind: str
    product: str | None
    spc_date: date | None
    message: str


def _revision_order(spc_date: date | None) -> date:
    return spc_date or date.min  # undated: older than any dated revision


def _statement(statement: SpcStatement) -> TimelineStatement:
    return TimelineStatement(
        statement_id=statement.id,
        section=statement.section.value,
        term=statement.term,
        text=statement.text,
        organ_class=statement.organ_class.value if statement.organ_class else None,
        frequency=statement.frequency.value if statement.frequency else None,
    )


def _timeline(session: Session, dossier: Dossier) -> list[TimelineEntry]:
    links = session.scalars(
        sa.select(SpcStatementProduct)
        .join(SpcStatement, SpcStatement.id == SpcStatementProduct.statement_id)
        .where(SpcStatement.substance_id == dossier.substance_id)
        .options(
            selectinload(SpcStatementProduct.statement),
            selectinload(SpcStatementProduct.product),
        )
        .order_by(SpcStatement.position, SpcStatement.id)
    )
    revisions: dict[tuple[str, date | None], list[SpcStatement]] = defaultdict(list)
    for link in links:
        revisions[(link.product.name, link.spc_date)].append(link.statement)
    latest: dict[str, date] = {}
    for product, spc_date in revisions:
        latest[product] = max(latest.get(product, date.min), _revision_order(spc_date))
    keys = sorted(revisions, key=lambda key: (key[0], _revision_order(key[1])))
    return [
        TimelineEntry(
            product=product,
            spc_date=spc_date,
            statements=tuple(_statement(s) for s in revisions[(product, spc_date)]),
            current=_revision_order(spc_date) == latest[product],
        )
        for product, spc_date in keys
    ]


def spc_timeline(session: Session, *, dossier_reference: str, actor: Actor) -> list[TimelineEntry]:
    """Per product (by name), its SPC revisions oldest first, each with its statements."""
    require(actor, Permission.VIEW)
    return _timeline(session, get_dossier(session, reference=dossier_reference))


# ---------------------------------------------------------------- disagreements


def condition_pattern(condition: Condition) -> re.Pattern[str]:
    """The condition's name or a synonym, case-insensitive, starting at a word.

    The word start keeps a short synonym ("VTE") from matching inside another word;
    the end is left open so that a plural or an inflection still matches.
    """
    names = [name.strip() for name in (condition.name, *condition.synonyms) if name.strip()]
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})", re.IGNORECASE)


def _mentions(pattern: re.Pattern[str], statement: TimelineStatement) -> bool:
    return any(pattern.search(text) for text in (statement.term, statement.text) if text)


def _when(spc_date: date | None) -> str:
    return spc_date.isoformat() if spc_date else "undated"


def _verdict(decision: Decision) -> str:
    ci = "yes" if decision.contraindication else "no"
    action = "yes" if decision.action_needed else "no"
    return (
        f"decision of {decision.decided_on.isoformat()} (contra-indication {ci}, action {action})"
    )


def _contraindicated_in_spc(
    current: list[TimelineEntry], pattern: re.Pattern[str], decision: Decision, condition: str
) -> Iterable[Disagreement]:
    if decision.contraindication:
        return
    for revision in current:
        named = [
            s
            for s in revision.statements
            if s.section == SpcSection.CONTRAINDICATIONS.value and _mentions(pattern, s)
        ]
        if named:
            yield Disagreement(
                CONTRAINDICATED_IN_SPC,
                revision.product,
                revision.spc_date,
                f"{revision.product}'s SPC ({_when(revision.spc_date)}) lists {condition} "
                f"under 4.3 contra-indications ({named[0].term or named[0].text!r}), "
                f"but the {_verdict(decision)} says it is no contra-indication",
            )


def _not_in_current_spc(
    current: list[TimelineEntry], pattern: re.Pattern[str], decision: Decision, condition: str
) -> Iterable[Disagreement]:
    if not (decision.contraindication and decision.action_needed):
        return
    if any(_mentions(pattern, s) for revision in current for s in revision.statements):
        return
    products = ", ".join(f"{r.product} ({_when(r.spc_date)})" for r in current) or "none stored"
    yield Disagreement(
        NOT_IN_CURRENT_SPC,
        None,
        None,
        f"the {_verdict(decision)} makes {condition} a contra-indication that warns, "
        f"but no current SPC of the substance mentions it (current SPCs: {products})",
    )


def _newer_than_decision(
    timeline: list[TimelineEntry], decision: Decision
) -> Iterable[Disagreement]:
    for revision in timeline:
        if revision.spc_date is not None and revision.spc_date > decision.decided_on:
            yield Disagreement(
                SPC_NEWER_THAN_DECISION,
                revision.product,
                revision.spc_date,
                f"{revision.product}'s SPC was revised on {revision.spc_date.isoformat()}, "
                f"after the {_verdict(decision)}: review the decision against it",
            )


def spc_disagreements(
    session: Session, *, dossier_reference: str, actor: Actor
) -> list[Disagreement]:
    """Where the products' SPCs and the dossier's current decision disagree.

    Nothing to disagree with before the first decision: the list is then empty.
    """
    require(actor, Permission.VIEW)
    dossier = get_dossier(session, reference=dossier_reference)
    decision = current_decision(session, dossier_id=dossier.id)
    if decision is None:
        return []
    timeline = _timeline(session, dossier)
    current = [revision for revision in timeline if revision.current]
    pattern = condition_pattern(dossier.condition)
    condition = dossier.condition.name
    return [
        *_contraindicated_in_spc(current, pattern, decision, condition),
        *_not_in_current_spc(current, pattern, decision, condition),
        *_newer_than_decision(timeline, decision),
    ]
