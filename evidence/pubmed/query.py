"""Build the PubMed query of a search strategy: terms plus structured filters. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

TEXT_AVAILABILITY_FILTERS = {
    "abstract": "fha[Filter]",
    "full_text": "fft[Filter]",
    "free_full_text": "ffrft[Filter]",
}
_TOKENS = re.compile(r"(\(|\)|\bAND\b|\bOR\b|\bNOT\b)")
_HAS_FIELD = re.compile(r"\[[^\]]+\]\s*$")


@dataclass(frozen=True)
class StrategyFilters:
    mesh_terms_only: bool = False
    publication_types: tuple[str, ...] = ()
    species: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    text_availability: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _quoted(phrase: str) -> str:
    phrase = phrase.strip().strip('"')
    return f'"{phrase}"'


def as_mesh_terms(terms: str) -> str:
    """Tag every bare term ``[MeSH Terms]``; operators, brackets and tagged terms stay."""
    parts = []
    for token in _TOKENS.split(terms):
        stripped = token.strip()
        if not stripped or _TOKENS.fullmatch(stripped) or _HAS_FIELD.search(stripped):
            parts.append(stripped)
        else:
            parts.append(f"{_quoted(stripped)}[MeSH Terms]")
    text = " ".join(part for part in parts if part)
    return text.replace("( ", "(").replace(" )", ")")


def _any_of(values: tuple[str, ...], field: str) -> str | None:
    if not values:
        return None
    joined = " OR ".join(f"{_quoted(value.lower())}[{field}]" for value in values)
    return f"({joined})" if len(values) > 1 else joined


def _date_range(start: date | None, end: date | None) -> str | None:
    if start is None and end is None:
        return None
    low = (start or date(1800, 1, 1)).strftime("%Y/%m/%d")
    high = (end or date(3000, 12, 31)).strftime("%Y/%m/%d")
    return f'("{low}"[Date - Publication] : "{high}"[Date - Publication])'


def build_query(terms: str, filters: StrategyFilters) -> str:
    """The query string sent to esearch; the same strategy always gives the same text."""
    core = as_mesh_terms(terms) if filters.mesh_terms_only else terms.strip()
    parts = [
        f"({core})",
        _any_of(filters.publication_types, "Publication Type"),
        _any_of(filters.species, "MeSH Terms"),
        _any_of(filters.languages, "Language"),
        TEXT_AVAILABILITY_FILTERS.get(filters.text_availability or ""),
        _date_range(filters.date_from, filters.date_to),
    ]
    return " AND ".join(part for part in parts if part)
