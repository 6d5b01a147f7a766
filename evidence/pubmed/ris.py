"""Stream RIS files (``TY  - JOUR`` … ``ER  - ``) into plain records.

RIS is what reference managers (Zotero, EndNote, Mendeley) export; PubMed records
often reach a committee that way. Each line is a two-character tag, two spaces,
``"- "`` and a value. A line without a tag continues the field above it: EndNote
writes one keyword, affiliation or note per untagged line, so for list fields
(``KW``, ``AU``, ``N1``, ...) each such line is an item of its own; an abstract
keeps its line breaks; any other field is joined with spaces.

A tag outside the RIS specification is an error rather than something to skip:
it means the file is not RIS, or not the RIS we think it is.

Example::

    for record in iter_ris("zotero-export.ris"):
        print(record.pmid or record.doi, record.title)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from evidence.errors import ParseError
from evidence.pubmed.medline import TextSource, describe_source, numbered_lines
from evidence.pubmed.records import AbstractSection, ArticleRecord, Author

# The tags of the RIS specification (RefMan/EndNote, 2011) and the older ones still
# written by some exporters (BT, CT, ED, J1, VO, ...).
RIS_TAGS = frozenset(
    """
    TY ER A1 A2 A3 A4 AB AD AN AU AV BT C1 C2 C3 C4 C5 C6 C7 C8 CA CN CP CT CY DA DB DO
    DP ED EP ET ID IS J1 J2 JA JF JO KW L1 L2 L3 L4 LA LB LK M1 M2 M3 N1 N2 NV OP PB PP
    PY RI RN RP SE SN SP ST T1 T2 T3 TA TI TT U1 U2 U3 U4 U5 UR VL VO Y1 Y2
    """.split()
)
# Abstracts keep line breaks; for other text fields a wrapped line is joined with a space.
_PARAGRAPH_TAGS = frozenset({"AB", "N2"})
_BOOK_TYPES = frozenset({"BOOK", "CHAP", "EBOOK", "ECHAP", "EDBOOK"})

_TAG_LINE = re.compile(r"(?P<tag>[A-Z][A-Z0-9])  -(?: (?P<value>.*))?")
_YEAR = re.compile(r"\d{4}")
_ISSN = re.compile(r"\d{4}-\d{3}[\dXx]")
_DIGITS = re.compile(r"\d+")
_PMID_NOTE = re.compile(r"\bPMID:\s*(?P<pmid>\d+)", re.IGNORECASE)
_PMCID_NOTE = re.compile(r"\bPMCID:\s*(?P<pmcid>PMC\d+)", re.IGNORECASE)
_PUBMED_URL = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/(\d+)")
_PMC_URL = re.compile(r"ncbi\.nlm\.nih\.gov/(?:pmc/)?articles/(PMC\d+)", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_DATE_NOISE = re.compile(r"/*(?:undefined)?/*$")


class RisField(NamedTuple):
    """One tag with its lines: the value on the tag line, then any untagged lines."""

    tag: str
    lines: tuple[str, ...]
    line: int


@dataclass(slots=True)
class _Record:
    """A record being read: its fields and its text as received."""

    ordinal: int
    start: int
    fields: list[RisField] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)

    def add(self, tag: str, value: str, line: int) -> None:
        self.fields.append(RisField(tag, (value,), line))

    def continue_last(self, text: str) -> None:
        last = self.fields[-1]
        self.fields[-1] = last._replace(lines=(*last.lines, text))


# ---------------------------------------------------------------- entry point


def iter_ris(source: TextSource, *, name: str | None = None) -> Iterator[ArticleRecord]:
    """Yield an ArticleRecord for each ``TY`` … ``ER`` record of a RIS file.

    ``source`` is a path, a binary or text file object, or the bytes themselves
    (UTF-8 with or without BOM, LF or CRLF). ``name`` is used in error messages
    instead of the path. Raises :class:`ParseError` for an unknown tag, text outside
    a record, a record without title (``TI``/``T1``) or ``ER``, or a file without
    records; records before the fault are yielded first. A record without PMID gets
    ``pmid=""``.
    """
    label = name or describe_source(source)
    count = 0
    for record in _records(numbered_lines(source, label), label):
        count += 1
        yield _article(record, label)
    if count == 0:
        raise ParseError(f"{label}: no records")


# ---------------------------------------------------------------- framing


def _records(lines: Iterable[tuple[int, str]], label: str) -> Iterator[_Record]:
    current: _Record | None = None
    ordinal = 0
    for number, line in lines:
        text = line.rstrip("\r\n")
        match = _TAG_LINE.fullmatch(text.rstrip())
        tag = match["tag"] if match else None
        if current is None:
            if not text.strip():
                continue
            if tag != "TY":
                found = f"{text.strip()[:40]!r}"
                raise ParseError(f"{label}: line {number}: expected 'TY  - ', found {found}")
            ordinal += 1
            current = _Record(ordinal, number)
        _check_tag(label, current, number, tag)
        current.raw.append(line)
        if tag == "ER":
            yield current
            current = None
        elif match is None:
            current.continue_last(text.strip())
        else:
            current.add(match["tag"], (match["value"] or "").strip(), number)
    if current is not None:
        raise _error(label, current, current.start, "no 'ER' before the end of the file")


def _check_tag(label: str, record: _Record, line: int, tag: str | None) -> None:
    if tag is not None and tag not in RIS_TAGS:
        raise _error(label, record, line, f"unknown RIS tag {tag!r}")
    if tag == "TY" and record.fields:
        raise _error(label, record, line, "'TY' before the record's 'ER'")


def _error(label: str, record: _Record, line: int, problem: str) -> ParseError:
    return ParseError(f"{label}: record {record.ordinal}, line {line}: {problem}")


# ---------------------------------------------------------------- record assembly


def _article(record: _Record, label: str) -> ArticleRecord:
    fields = record.fields
    if not _find(fields, "TI", "T1"):
        raise _error(label, record, record.start, "record without a title (TI or T1)")
    raw = "".join(record.raw).encode("utf-8")
    return parse_ris_record(fields, raw=raw)


def parse_ris_record(fields: Sequence[RisField], *, raw: bytes = b"") -> ArticleRecord:
    """Map one record's fields onto an ArticleRecord."""
    year, date_text = parse_year(fields)
    languages = tuple(_items(fields, "LA"))
    from_urls = parse_url_ids(_items(fields, "UR"))
    return ArticleRecord(
        pmid=parse_pmid(fields) or from_urls.get("pmid") or "",
        doi=parse_doi(fields) or from_urls.get("doi"),
        pmcid=parse_pmcid(fields) or from_urls.get("pmcid"),
        title=_text(fields, "TI", "T1"),
        abstract_sections=parse_abstract(fields),
        authors=tuple(parse_author(name) for name in _items(fields, "AU", "A1")),
        journal=_text(fields, "JF", "T2", "JO"),
        journal_abbrev=_text(fields, "J2", "JA"),
        issn=parse_issn(fields),
        volume=_text(fields, "VL"),
        issue=_text(fields, "IS"),
        pages=parse_pages(fields),
        year=year,
        pub_date_text=date_text,
        language=languages[0] if languages else None,
        languages=languages,
        keywords=tuple(_items(fields, "KW")),
        is_book=(_text(fields, "TY") or "").upper() in _BOOK_TYPES,
        raw_xml=raw,
    )


# ---------------------------------------------------------------- small helpers


def _find(fields: Sequence[RisField], *tags: str) -> RisField | None:
    """The first field with the first of ``tags`` that is present (the preferred tag first)."""
    for tag in tags:
        for field_ in fields:
            if field_.tag == tag:
                return field_
    return None


def _text(fields: Sequence[RisField], *tags: str) -> str | None:
    """A single-valued field: its lines joined (abstracts keep their line breaks)."""
    found = _find(fields, *tags)
    if found is None:
        return None
    separator = "\n" if found.tag in _PARAGRAPH_TAGS else " "
    parts = found.lines if found.tag in _PARAGRAPH_TAGS else [p for p in found.lines if p]
    return separator.join(parts).strip() or None


def _items(fields: Sequence[RisField], *tags: str) -> list[str]:
    """A list field: every non-blank line of every field with one of ``tags``, in file order.

    EndNote writes further keywords, affiliations and notes on untagged lines, so
    each line is an item of its own.
    """
    return [line for f in fields if f.tag in tags for line in f.lines if line]


# ---------------------------------------------------------------- one function per field


def parse_author(name: str) -> Author:
    """A person from "Last, First[, Suffix]"; a name without a comma is a group, as written."""
    last, comma, rest = (part.strip() for part in name.partition(","))
    if not comma:
        return Author(collective_name=name.strip())
    fore = rest.split(",")[0].strip() or None
    return Author(last_name=last or None, fore_name=fore, initials=initials_of(fore))


def initials_of(fore_name: str | None) -> str | None:
    """PubMed-style initials: "Malgorzata A." → "MA", "A. A. P." → "AAP", "Jean-Pierre" → "JP".

    A fore name that already is PubMed initials ("OO", as our RIS export writes
    them) is kept as it is.
    """
    if not fore_name:
        return None
    if fore_name.isalpha() and fore_name.isupper() and len(fore_name) <= 4:
        return fore_name
    letters = [word[0].upper() for word in re.findall(r"[^\W\d_]+", fore_name)]
    return "".join(letters) or None


def parse_abstract(fields: Sequence[RisField]) -> tuple[AbstractSection, ...]:
    """``AB`` (or ``N2``, the older abstract tag) as one unlabelled section."""
    text = _text(fields, "AB", "N2")
    return (AbstractSection(label=None, nlm_category=None, text=text),) if text else ()


def parse_issn(fields: Sequence[RisField]) -> str | None:
    """The first ISSN in ``SN`` (Zotero writes "1895-5770 1895-5770"); an ISBN is not one."""
    value = _text(fields, "SN")
    match = _ISSN.search(value) if value else None
    return match.group().upper() if match else None


def parse_pages(fields: Sequence[RisField]) -> str | None:
    """Pages as "SP-EP"; EndNote gives the whole range in ``SP``."""
    start, end = _text(fields, "SP"), _text(fields, "EP")
    return f"{start}-{end}" if start and end else start or end


def parse_year(fields: Sequence[RisField]) -> tuple[int | None, str | None]:
    """The year and date text from ``PY``, ``Y1`` or ``DA``, the first that has a year.

    Zotero's empty date parts ("2019/10//undefined") are trimmed from the text.
    """
    for tag in ("PY", "Y1", "DA"):
        value = _text(fields, tag)
        year = _YEAR.search(value) if value else None
        if value and year:
            return int(year.group()), _DATE_NOISE.sub("", value) or None
    return None, None


def parse_doi(fields: Sequence[RisField]) -> str | None:
    """``DO`` without a doi.org or "doi:" prefix."""
    value = _text(fields, "DO")
    return (_DOI_PREFIX.sub("", value).strip() or None) if value else None


def parse_pmid(fields: Sequence[RisField]) -> str | None:
    """``AN`` when it is a number (EndNote's PubMed accession), else a "PMID: n" note."""
    accession = _text(fields, "AN")
    if accession and _DIGITS.fullmatch(accession):
        return accession
    for line in _items(fields, "N1", "M1", "AN"):
        match = _PMID_NOTE.search(line)
        if match:
            return match["pmid"]
    return None


def parse_pmcid(fields: Sequence[RisField]) -> str | None:
    """A "PMCID: PMC123" note, as PubMed-derived exports write it."""
    for line in _items(fields, "N1", "M1"):
        match = _PMCID_NOTE.search(line)
        if match:
            return match["pmcid"].upper()
    return None


def parse_url_ids(urls: Iterable[str]) -> dict[str, str]:
    """PMID, PMCID and DOI from PubMed, PMC and doi.org links (``UR``), for records whose
    other fields do not give them."""
    ids: dict[str, str] = {}
    for url in urls:
        if match := _PUBMED_URL.search(url):
            ids.setdefault("pmid", match.group(1))
        elif match := _PMC_URL.search(url):
            ids.setdefault("pmcid", match.group(1).upper())
        elif _DOI_PREFIX.match(url):
            ids.setdefault("doi", _DOI_PREFIX.sub("", url).strip())
    return ids
