"""One MEDLINE record's fields mapped onto an :class:`ArticleRecord`: one function per field.

Used by ``evidence.pubmed.medline``, which reads the file into records and gives
each one here as Bio's ``Record`` (tag → value or list of values) plus its ordered
:class:`MedlineField` list, for what the ``Record`` loses (authors, repeated tags).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeAlias

from evidence.pubmed.records import (
    AbstractSection,
    ArticleRecord,
    Author,
    CommentCorrection,
    MeshHeading,
    MeshQualifier,
    PublicationType,
)

BioRecord: TypeAlias = Mapping[str, str | list[str]]

_YEAR = re.compile(r"\d{4}")
_ISSN = re.compile(r"\d{4}-\d{3}[\dXx]")
_TYPED_ID = re.compile(r"(?P<value>.+?)\s*\[(?P<type>[a-z]+)\]")
_ORCID = re.compile(r"ORCID:\s*(?:https?://(?:www\.)?orcid\.org/)?(?P<orcid>\S+)", re.IGNORECASE)
_LINKED_PMID = re.compile(r"\s*PMID:\s*(?P<pmid>\d+)\.?\s*$")
_NAME_SUFFIXES = frozenset({"Jr", "Sr", "2nd", "3rd", "4th", "II", "III", "IV", "V"})

# MEDLINE comment/correction tags and the RefType the XML gives the same link.
# PRIN/PROF carry the names of the pre-2019 DTDs, which had partial retractions.
COMMENT_CORRECTION_TAGS: Mapping[str, str] = {
    "CIN": "CommentIn",
    "CON": "CommentOn",
    "CRI": "CorrectedandRepublishedIn",
    "CRF": "CorrectedandRepublishedFrom",
    "ECI": "ExpressionOfConcernIn",
    "ECF": "ExpressionOfConcernFor",
    "EIN": "ErratumIn",
    "EFR": "ErratumFor",
    "ORI": "OriginalReportIn",
    "PRIN": "PartialRetractionIn",
    "PROF": "PartialRetractionOf",
    "RIN": "RetractionIn",
    "ROF": "RetractionOf",
    "RPI": "RepublishedIn",
    "RPF": "RepublishedFrom",
    "RRI": "RetractedandRepublishedIn",
    "RRF": "RetractedandRepublishedFrom",
    "SPIN": "SummaryForPatientsIn",
    "UIN": "UpdateIn",
    "UOF": "UpdateOf",
}


class MedlineField(NamedTuple):
    """One tag with its value (continuation lines folded in) and the line it starts on."""

    tag: str
    value: str
    line: int


# ---------------------------------------------------------------- record assembly


def parse_medline_record(
    record: BioRecord,
    fields: Sequence[MedlineField],
    *,
    pmid: str,
    version: int = 1,
    raw: bytes = b"",
) -> ArticleRecord:
    """Map one record (Bio's ``Record`` plus the ordered fields) onto an ArticleRecord."""
    ids = parse_article_ids(record, fields)
    year, date_text = parse_pub_date(record)
    languages = tuple(_all(record, "LA"))
    book_title = _one(record, "BTI")
    return ArticleRecord(
        pmid=pmid,
        pmid_version=version,
        doi=ids.get("doi"),
        pmcid=_one(record, "PMC") or ids.get("pmc"),
        pii=ids.get("pii"),
        title=_one(record, "TI") or book_title,
        vernacular_title=_one(record, "TT") or _one(record, "VTI"),
        abstract_sections=parse_abstract(record),
        authors=parse_authors(fields),
        journal=book_title or _one(record, "JT"),
        journal_abbrev=_one(record, "TA"),
        issn=parse_issn(fields),
        volume=_one(record, "VI"),
        issue=_one(record, "IP"),
        pages=_one(record, "PG"),
        elocation=parse_elocation(fields),
        year=year,
        pub_date_text=date_text,
        language=languages[0] if languages else None,
        languages=languages,
        publication_types=parse_publication_types(record),
        mesh_headings=parse_mesh_headings(record),
        keywords=parse_keywords(record),
        comments_corrections=parse_comments_corrections(record),
        is_book=book_title is not None,
        status=_one(record, "STAT"),
        raw_xml=raw,
    )


# ---------------------------------------------------------------- small helpers


def _values(record: BioRecord, tag: str) -> list[str]:
    value = record.get(tag)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _all(record: BioRecord, tag: str) -> list[str]:
    """Every non-blank value of a tag, stripped."""
    return [text for text in (value.strip() for value in _values(record, tag)) if text]


def _one(record: BioRecord, tag: str) -> str | None:
    values = _all(record, tag)
    return values[0] if values else None


def _typed_ids(values: Iterable[str]) -> list[tuple[str | None, str]]:
    """``LID``/``AID`` values as (type, value): "10.1/x [doi]" → ("doi", "10.1/x")."""
    found: list[tuple[str | None, str]] = []
    for value in values:
        match = _TYPED_ID.fullmatch(value)
        found.append((match["type"], match["value"]) if match else (None, value))
    return found


def _lid_values(fields: Sequence[MedlineField]) -> list[str]:
    # From the fields, not from Bio: Bio joins repeated LID lines into one string.
    return [field_.value for field_ in fields if field_.tag == "LID" and field_.value]


# ---------------------------------------------------------------- one function per field


def parse_article_ids(record: BioRecord, fields: Sequence[MedlineField]) -> dict[str, str]:
    """doi, pii, pmc, ... from ``AID`` (the ArticleIdList), else from ``LID``."""
    ids: dict[str, str] = {}
    for id_type, value in _typed_ids([*_all(record, "AID"), *_lid_values(fields)]):
        if id_type:
            ids.setdefault(id_type, value)
    return ids


def parse_elocation(fields: Sequence[MedlineField]) -> str | None:
    """The first ``LID`` that is not a DOI: the electronic location standing for pages."""
    for id_type, value in _typed_ids(_lid_values(fields)):
        if id_type != "doi":
            return value
    return None


def parse_issn(fields: Sequence[MedlineField]) -> str | None:
    """The journal's ISSN: the first ``IS`` line that is not the linking ISSN."""
    for field_ in fields:
        if field_.tag == "IS" and "(Linking)" not in field_.value:
            match = _ISSN.search(field_.value)
            if match:
                return match.group().upper()
    return None


def parse_pub_date(record: BioRecord) -> tuple[int | None, str | None]:
    """``DP`` as written ("2019 Mar", "1998 Dec-1999 Jan") and its first four-digit year."""
    text = _one(record, "DP")
    year = _YEAR.search(text) if text else None
    return (int(year.group()) if year else None), text


def parse_abstract(record: BioRecord) -> tuple[AbstractSection, ...]:
    """``AB`` as one section.

    MEDLINE text writes a structured abstract's labels inline ("BACKGROUND: ...
    METHODS: ..."); splitting them out again would guess, so the text stays whole.
    """
    text = _one(record, "AB")
    return (AbstractSection(label=None, nlm_category=None, text=text),) if text else ()


@dataclass(slots=True)
class _AuthorLines:
    full: str | None = None
    short: str | None = None
    collective: str | None = None
    affiliations: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)


def parse_authors(fields: Sequence[MedlineField]) -> tuple[Author, ...]:
    """Persons (``FAU``/``AU``) and groups (``CN``) in order, with their ``AD`` and ``AUID``.

    An ``AD`` before the first author is the article's single affiliation of
    pre-2014 records; like PubMed XML, it goes to the first author. Investigators
    (``IR``/``FIR``) are not authors, as in the XML parser.
    """
    authors: list[_AuthorLines] = []
    leading: list[str] = []
    current: _AuthorLines | None = None
    for tag, value, _ in fields:
        if tag == "FAU" or tag == "CN" or (tag == "AU" and not _awaits_short(current)):
            current = _AuthorLines()
            authors.append(current)
        if current is not None:
            _add_author_line(current, tag, value)
        elif tag == "AD" and not authors:
            leading.append(value)
        if tag in ("IR", "FIR"):
            current = None
    if authors:
        authors[0].affiliations[:0] = leading
    return tuple(_author(lines) for lines in authors)


def _awaits_short(current: _AuthorLines | None) -> bool:
    return current is not None and current.full is not None and current.short is None


def _add_author_line(author: _AuthorLines, tag: str, value: str) -> None:
    if tag == "FAU":
        author.full = value
    elif tag == "AU":
        author.short = value
    elif tag == "CN":
        author.collective = value
    elif tag == "AD" and value:
        author.affiliations.append(value)
    elif tag == "AUID":
        author.identifiers.append(value)


def _author(lines: _AuthorLines) -> Author:
    orcid = next((o for o in map(parse_orcid, lines.identifiers) if o), None)
    affiliations = tuple(lines.affiliations)
    if lines.collective is not None:
        return Author(collective_name=lines.collective, affiliations=affiliations, orcid=orcid)
    last, fore, initials = parse_person_name(lines.full, lines.short)
    return Author(
        last_name=last,
        fore_name=fore,
        initials=initials,
        affiliations=affiliations,
        orcid=orcid,
    )


def parse_person_name(
    full: str | None, short: str | None
) -> tuple[str | None, str | None, str | None]:
    """(last name, fore name, initials) from ``FAU`` "Hellinger, Frank R Jr" and ``AU``
    "Hellinger FR Jr". The suffix ("Jr") is dropped, as PubMed XML keeps it apart.
    """
    last, fore = _split_full_name(full)
    short_last, initials, suffix = _split_short_name(short, last)
    if fore and suffix and fore.endswith(f" {suffix}"):
        fore = fore[: -len(suffix) - 1]
    return last or short_last, fore, initials


def _split_full_name(full: str | None) -> tuple[str | None, str | None]:
    """(last name, fore name) from "Zaidat, Osama O"; a third part (", Jr") is a suffix."""
    if not full:
        return None, None
    last, _, rest = full.partition(",")
    return last.strip() or None, rest.split(",")[0].strip() or None


def _split_short_name(
    short: str | None, last: str | None
) -> tuple[str | None, str | None, str | None]:
    """(last name, initials, suffix) from ``AU``. The ``FAU`` last name, when known, says
    where the initials start ("Ali Aziz-Sultan M"); without it they are the last word.
    """
    if not short:
        return None, None, None
    words = short.split()
    suffix = words.pop() if len(words) > 2 and words[-1] in _NAME_SUFFIXES else None
    if last and short.startswith(f"{last} "):
        return last, " ".join(words[len(last.split()) :]) or None, suffix
    if len(words) == 1:
        return words[0], None, suffix
    return " ".join(words[:-1]), words[-1], suffix


def parse_orcid(identifier: str) -> str | None:
    """The bare ORCID iD of an ``AUID`` ("ORCID: 0000-0003-4881-4698"); other ids are None."""
    match = _ORCID.match(identifier.strip())
    return match["orcid"] if match else None


def parse_publication_types(record: BioRecord) -> tuple[PublicationType, ...]:
    """``PT`` lines; MEDLINE text has no UI for them."""
    return tuple(PublicationType(name=name) for name in _all(record, "PT"))


def parse_mesh_headings(record: BioRecord) -> tuple[MeshHeading, ...]:
    """``MH`` lines, e.g. "Stroke/diagnostic imaging/*surgery"."""
    return tuple(parse_mesh_heading(value) for value in _all(record, "MH"))


def parse_mesh_heading(value: str) -> MeshHeading:
    """Descriptor and "/"-separated qualifiers; a leading "*" marks a major topic."""
    descriptor, *qualifiers = (part.strip() for part in value.split("/"))
    return MeshHeading(
        descriptor=descriptor.lstrip("*"),
        descriptor_ui=None,
        major_topic=descriptor.startswith("*"),
        qualifiers=tuple(
            MeshQualifier(name=q.lstrip("*"), ui=None, major_topic=q.startswith("*"))
            for q in qualifiers
            if q.lstrip("*")
        ),
    )


def parse_keywords(record: BioRecord) -> tuple[str, ...]:
    """``OT`` lines without the "*" that marks a major keyword (the XML has it as an attribute)."""
    keywords = (value.lstrip("*").strip() for value in _all(record, "OT"))
    return tuple(keyword for keyword in keywords if keyword)


def parse_comments_corrections(record: BioRecord) -> tuple[CommentCorrection, ...]:
    """``CIN``, ``EIN``, ``RIN``, ... each as a link with its RefType and PMID.

    The value is "Radiology. 2017 Aug;284(2):607-608. PMID: 28723284": the PMID is
    taken off and the rest is the source, without the full stop MEDLINE adds.
    """
    links: list[CommentCorrection] = []
    for tag in record:
        ref_type = COMMENT_CORRECTION_TAGS.get(tag)
        if ref_type is not None:
            links.extend(parse_comment_correction(ref_type, v) for v in _all(record, tag))
    return tuple(links)


def parse_comment_correction(ref_type: str, value: str) -> CommentCorrection:
    match = _LINKED_PMID.search(value)
    source = value[: match.start()] if match else value
    source = source.strip().removesuffix(".").strip()
    return CommentCorrection(ref_type, match["pmid"] if match else None, source or None)
