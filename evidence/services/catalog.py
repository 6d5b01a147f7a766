"""Find-or-create for the shared records a dossier points at.

Substances, products, conditions and citations exist once, whatever number
of dossiers use them; importing a dossier reuses what is already stored.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.errors import Conflict
from evidence.models import (
    AbstractSection,
    Citation,
    CitationAuthor,
    CitationPublicationType,
    Condition,
    MeshHeading,
    MeshQualifier,
    Product,
    Substance,
)
from evidence.pubmed.record_rows import title_key


def ensure_substance(session: Session, data: dict[str, Any]) -> Substance:
    substance = session.scalar(sa.select(Substance).where(Substance.name == data["name"]))
    if substance is None:
        substance = Substance(
            name=data["name"], atc_code=data.get("atc_code"), synonyms=data.get("synonyms", [])
        )
        session.add(substance)
        session.flush()
    return substance


def ensure_condition(session: Session, data: dict[str, Any]) -> Condition:
    condition = session.scalar(sa.select(Condition).where(Condition.name == data["name"]))
    if condition is None:
        condition = Condition(
            name=data["name"],
            synonyms=data.get("synonyms", []),
            code_system=data.get("code_system"),
            code=data.get("code"),
        )
        session.add(condition)
        session.flush()
    return condition


def ensure_product(session: Session, data: dict[str, Any], substance: Substance) -> Product:
    product = session.scalar(sa.select(Product).where(Product.name == data["name"]))
    if product is None:
        product = Product(name=data["name"], substance=substance, synonyms=data.get("synonyms", []))
        session.add(product)
        session.flush()
    elif product.substance_id != substance.id:
        raise Conflict(
            f"product {product.name!r} is stored as a product of {product.substance.name!r}, "
            f"not of {substance.name!r}"
        )
    return product


def find_citation(
    session: Session,
    *,
    pmid: str | None,
    doi: str | None,
    title: str,
    year: int | None,
    first_author: str | None,
) -> Citation | None:
    """Match by PMID, then DOI, then normalised title + year + first author."""
    if pmid:
        found = session.scalar(sa.select(Citation).where(Citation.pmid == pmid))
        if found is not None:
            return found
    if doi:
        found = session.scalar(sa.select(Citation).where(Citation.doi == doi.lower()))
        if found is not None:
            return found
    candidates = session.scalars(
        sa.select(Citation).where(Citation.title_key == title_key(title), Citation.year == year)
    )
    for candidate in candidates:
        if first_author is None or candidate.first_author is None:
            return candidate
        if candidate.first_author.split()[0].lower() == first_author.split()[0].lower():
            return candidate
    return None


def _author(position: int, data: dict[str, Any]) -> CitationAuthor:
    return CitationAuthor(position=position, **data)


def _mesh(position: int, data: dict[str, Any]) -> MeshHeading:
    qualifiers = [
        MeshQualifier(
            position=index,
            name=qualifier["name"],
            ui=qualifier.get("ui"),
            major_topic=qualifier.get("major_topic", False),
        )
        for index, qualifier in enumerate(data.get("qualifiers", []))
    ]
    return MeshHeading(
        position=position,
        descriptor=data["descriptor"],
        descriptor_ui=data.get("descriptor_ui"),
        major_topic=data.get("major_topic", False),
        qualifiers=qualifiers,
    )


def _publication_type(position: int, data: str | dict[str, Any]) -> CitationPublicationType:
    if isinstance(data, str):
        return CitationPublicationType(position=position, name=data)
    return CitationPublicationType(position=position, name=data["name"], ui=data.get("ui"))


CITATION_FIELDS = (
    "pmid",
    "doi",
    "pmcid",
    "title",
    "vernacular_title",
    "journal",
    "journal_abbrev",
    "issn",
    "publisher",
    "year",
    "pub_date_text",
    "volume",
    "issue",
    "pages",
    "language",
    "url",
    "author_list_complete",
)


def ensure_citation(session: Session, data: dict[str, Any]) -> Citation:
    """The stored citation matching ``data``, or a new one built from it."""
    authors = data.get("authors", [])
    first = authors[0] if authors else None
    first_author = (first.get("last_name") or first.get("collective_name")) if first else None
    found = find_citation(
        session,
        pmid=data.get("pmid"),
        doi=data.get("doi"),
        title=data["title"],
        year=data.get("year"),
        first_author=first_author,
    )
    if found is not None:
        return found
    values = {field: data.get(field) for field in CITATION_FIELDS}
    values["author_list_complete"] = data.get("author_list_complete", True)
    values["title_key"] = title_key(data["title"])
    values["record_format"] = "dossier"
    if values["doi"]:
        values["doi"] = values["doi"].lower()
    citation = Citation(
        **values,
        authors=[_author(i, author) for i, author in enumerate(authors)],
        abstract_sections=[
            AbstractSection(
                position=i,
                label=section.get("label"),
                nlm_category=section.get("nlm_category"),
                text=section["text"],
            )
            for i, section in enumerate(data.get("abstract", []))
        ],
        mesh_headings=[
            _mesh(i, heading) for i, heading in enumerate(data.get("mesh_headings", []))
        ],
        publication_types=[
            _publication_type(i, kind) for i, kind in enumerate(data.get("publication_types", []))
        ],
    )
    session.add(citation)
    session.flush()
    return citation
