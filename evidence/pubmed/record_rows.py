"""A parsed record as the rows it will be stored as: pure functions, no database.

``prepare_record`` turns an ``ArticleRecord`` into the citation row and its child
rows (abstract, authors, publication types, comments and corrections, MeSH). It
runs wherever the record was parsed, which may be a parser process: this module
imports no SQLAlchemy and no models, so that process starts in a fraction of the
time (``evidence.services.citation_rows`` writes the rows).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from evidence.pubmed.records import RETRACTION_OF, ArticleRecord, Deletion

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def normalise_title(title: str) -> str:
    """Lower case, accents and punctuation removed: the key for matching without IDs."""
    if not title.isascii():  # most titles are ASCII: skip the per-character work for them
        decomposed = unicodedata.normalize("NFKD", title)
        title = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_ALPHANUMERIC.sub(" ", title.lower()).strip()


def title_key(title: str) -> str:
    return normalise_title(title)[:255]


# Column order of each child table's rows after ``citation_id``, as prepared below.
CHILD_COLUMNS: dict[str, tuple[str, ...]] = {
    "abstract_section": ("position", "label", "nlm_category", "text"),
    "citation_author": (
        "position",
        "last_name",
        "fore_name",
        "initials",
        "collective_name",
        "affiliation",
        "orcid",
    ),
    "citation_publication_type": ("position", "name", "ui"),
    "comment_correction": ("position", "ref_type", "pmid", "source"),
}
HEADING_COLUMNS = ("citation_id", "position", "descriptor", "descriptor_ui", "major_topic")
QUALIFIER_COLUMNS = ("heading_id", "position", "name", "ui", "major_topic")

Row = tuple[Any, ...]


class PreparedRecord(NamedTuple):
    """A parsed record as the rows it will be stored as, but for ids and timestamps.

    Built where the record was parsed, which may be a parser process: plain values
    only, so it crosses to the storing process cheaply, and the storing process has
    nothing left to do per record but add ids and write.
    """

    pmid: str
    pmid_version: int
    citation: dict[str, Any]  # the citation row without id, created_at, updated_at
    first_author: str | None  # for matching records without PMID
    children: dict[str, list[Row]]  # by table (CHILD_COLUMNS), citation_id left out
    mesh: list[tuple[Row, list[Row]]]  # each heading without citation_id, its qualifiers
    retracts: tuple[str, ...]  # the PMIDs this record is the retraction notice of


def prepare_all(
    records: Iterable[ArticleRecord | PreparedRecord | Deletion], record_format: str
) -> Iterator[PreparedRecord | Deletion]:
    """Each record as rows; records prepared already (by a parser process) and
    deletions pass as they are."""
    for record in records:
        yield prepare_record(record, record_format) if isinstance(record, ArticleRecord) else record


def record_hash(record: ArticleRecord) -> str:
    return hashlib.sha256(record.raw_xml).hexdigest()


def prepare_record(record: ArticleRecord, record_format: str) -> PreparedRecord:
    title = record.title or record.vernacular_title or f"[no title given: PMID {record.pmid}]"
    first = record.authors[0] if record.authors else None
    citation = {
        "pmid": record.pmid or None,
        "doi": record.doi.lower() if record.doi else None,
        "pmcid": record.pmcid,
        "title": title,
        "vernacular_title": record.vernacular_title,
        "journal": record.journal,
        "journal_abbrev": record.journal_abbrev,
        "issn": record.issn,
        "year": record.year,
        "pub_date_text": record.pub_date_text,
        "volume": record.volume,
        "issue": record.issue,
        "pages": record.pages,
        "elocation": record.elocation,
        "language": record.language,
        "pmid_version": record.pmid_version,
        "pii": record.pii,
        "medline_status": record.status,
        "is_book": record.is_book,
        "keywords": list(record.keywords),
        "retracted": record.is_retracted,
        "author_list_complete": True,
        "title_key": title_key(title),
        "record_format": record_format,
        "raw_record": record.raw_xml.decode("utf-8", errors="replace") or None,
        "record_hash": record_hash(record) if record.raw_xml else None,
    }
    return PreparedRecord(
        pmid=record.pmid,
        pmid_version=record.pmid_version,
        citation=citation,
        first_author=(first.last_name or first.collective_name) if first else None,
        children=_children(record),
        mesh=[
            (
                (position, h.descriptor, h.descriptor_ui, h.major_topic),
                [(i, q.name, q.ui, q.major_topic) for i, q in enumerate(h.qualifiers)],
            )
            for position, h in enumerate(record.mesh_headings)
        ],
        retracts=tuple(
            link.pmid
            for link in record.comments_corrections
            if link.ref_type == RETRACTION_OF and link.pmid
        ),
    )


def _children(record: ArticleRecord) -> dict[str, list[Row]]:
    return {
        "abstract_section": [
            (i, s.label, s.nlm_category, s.text or "")
            for i, s in enumerate(record.abstract_sections)
        ],
        "citation_author": [
            (
                i,
                a.last_name,
                a.fore_name,
                a.initials,
                a.collective_name,
                "; ".join(a.affiliations) or None,
                a.orcid,
            )
            for i, a in enumerate(record.authors)
            if a.last_name or a.collective_name
        ],
        "citation_publication_type": [
            (i, p.name, p.ui) for i, p in enumerate(record.publication_types)
        ],
        "comment_correction": [
            (i, c.ref_type, c.pmid, c.source) for i, c in enumerate(record.comments_corrections)
        ],
    }
