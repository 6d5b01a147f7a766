"""Stream PubMed's MEDLINE text format ("PubMed format", ``.nbib``) into plain records.

A MEDLINE file is a run of records separated by blank lines. Each line is a tag
padded to four characters, ``"- "`` and a value (``TI  - The title``); a value that
goes on is continued on lines indented by six spaces.

The work is split in three steps:

1. framing (here): group the lines into records, check each line, number the
   records and lines for error messages, and fold continuation lines into their
   tag line;
2. ``Bio.Medline.parse`` turns a record's lines into its ``Record`` (tag → value
   or list of values), from which most fields are read;
3. the ``parse_<field>`` functions of :mod:`evidence.pubmed.medline_fields` map
   that onto :class:`ArticleRecord`.

Two things Bio's ``Record`` cannot give are read from the ordered lines instead:
the authors (a dict of tags loses which ``AD`` and ``AUID`` follow which ``FAU``)
and the tags that repeat although Bio keeps them as one string (two ``IS`` or
``LID`` lines are joined into one value).

Folding continuations ourselves is deliberate: Bio joins them only for text tags
and for ``MH``/``AD``; for other list tags it keeps a continuation line as an item
of its own, which would split ``EIN - ... PMID:`` / ``34294709`` in two.

Example::

    for record in iter_medline("pubmed-export.nbib"):
        print(record.pmid, record.title)
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, TypeAlias

from Bio import Medline

from evidence.errors import ParseError
from evidence.pubmed.medline_fields import MedlineField, parse_medline_record
from evidence.pubmed.records import ArticleRecord

TextSource: TypeAlias = str | os.PathLike[str] | bytes | IO[bytes] | IO[str]

_CONTINUATION = " " * 6
# The tag column is four characters wide: "TI  - ", "PMID- ", "AUID- ", "AB  -".
_TAG_LINE = re.compile(r"(?P<tag>[A-Z][A-Z0-9 ]{3})-(?: (?P<value>.*))?")
_PMID = re.compile(r"(?P<pmid>\d+)(?:\.(?P<version>\d+))?")


@dataclass(frozen=True, slots=True)
class _Chunk:
    """The lines of one record as received, before any checking."""

    ordinal: int
    lines: tuple[tuple[int, str], ...]

    @property
    def start(self) -> int:
        return self.lines[0][0]

    @property
    def raw(self) -> bytes:
        return "".join(line for _, line in self.lines).encode("utf-8")

    def pmid_hint(self) -> str | None:
        """The PMID as written, for error messages about a record not yet understood."""
        for _, line in self.lines:
            if line.startswith("PMID-"):
                return line[5:].strip() or None
        return None


# ---------------------------------------------------------------- entry point


def iter_medline(source: TextSource, *, name: str | None = None) -> Iterator[ArticleRecord]:
    """Yield an ArticleRecord for each record of a MEDLINE/``.nbib`` file.

    ``source`` is a path, a binary or text file object, or the bytes themselves
    (UTF-8, with or without BOM, LF or CRLF). ``name`` is used in error messages
    instead of the path. Raises :class:`ParseError` for a broken line, a record
    without PMID or a file without records; records before the fault are yielded first.
    """
    label = name or describe_source(source)
    count = 0
    for chunk in _chunks(numbered_lines(source, label)):
        count += 1
        yield _article(chunk, label)
    if count == 0:
        raise ParseError(f"{label}: no records")


# ---------------------------------------------------------------- reading lines
#
# Shared with evidence.pubmed.ris, which reads the same kinds of sources.


def describe_source(source: TextSource) -> str:
    """What to call a source in error messages when the caller gives no name."""
    if isinstance(source, bytes):
        return "<bytes>"
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


def numbered_lines(source: TextSource, label: str) -> Iterator[tuple[int, str]]:
    """Each line of a UTF-8 text source, numbered from 1, with its line ending kept.

    Bytes are decoded line by line, so that an invalid byte is reported at its own
    line (a decoding wrapper reads ahead and would name a later one). A leading BOM
    is dropped.
    """
    with ExitStack() as stack:
        for number, line in enumerate(_raw_lines(source, stack), start=1):
            text = _decode(line, label, number) if isinstance(line, bytes) else line
            yield number, text.removeprefix("\ufeff") if number == 1 else text


def _raw_lines(source: TextSource, stack: ExitStack) -> Iterable[bytes | str]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, (str, os.PathLike)):
        return stack.enter_context(open(source, "rb"))
    return source


def _decode(line: bytes, label: str, number: int) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{label}: line {number}: not UTF-8 text ({exc.reason})") from exc


# ---------------------------------------------------------------- framing


def _chunks(lines: Iterable[tuple[int, str]]) -> Iterator[_Chunk]:
    """Group non-blank lines into records; blank lines separate them.

    A line of six or more spaces inside a record is a (blank) continuation line,
    as in Bio.Medline: NCBI writes those inside long abstracts of books.
    """
    ordinal = 0
    current: list[tuple[int, str]] = []
    for number, line in lines:
        if line.strip() or (current and line.startswith(_CONTINUATION)):
            current.append((number, line))
        elif current:
            ordinal += 1
            yield _Chunk(ordinal, tuple(current))
            current = []
    if current:
        yield _Chunk(ordinal + 1, tuple(current))


def _fields(chunk: _Chunk, label: str) -> list[MedlineField]:
    """The record's tags in order, each with its continuation lines folded in."""
    fields: list[MedlineField] = []
    for number, line in chunk.lines:
        text = line.rstrip()
        if line.startswith(_CONTINUATION):
            if not fields:
                raise _error(label, chunk, number, "continuation line without a preceding tag")
            fields[-1] = _continued(fields[-1], text.strip())
            continue
        match = _TAG_LINE.fullmatch(text)
        tag = match["tag"].rstrip() if match else ""
        if match is None or " " in tag:
            raise _error(label, chunk, number, f"not a MEDLINE tag line: {text[:40]!r}")
        fields.append(MedlineField(tag, (match["value"] or "").strip(), number))
    return fields


def _continued(field_: MedlineField, more: str) -> MedlineField:
    # Lines wrap at spaces, so one space restores the text; a blank continuation
    # line adds nothing.
    if not more:
        return field_
    value = f"{field_.value} {more}" if field_.value else more
    return field_._replace(value=value)


def _error(label: str, chunk: _Chunk, line: int, problem: str) -> ParseError:
    pmid = chunk.pmid_hint()
    record = f"record {chunk.ordinal}" + (f" (PMID {pmid})" if pmid else "")
    return ParseError(f"{label}: {record}, line {line}: {problem}")


def _bio_record(fields: Sequence[MedlineField]) -> dict[str, str | list[str]]:
    """Bio.Medline's reading of the folded lines: text tags as str, the others as lists."""
    lines = [f"{field_.tag:<4}- {field_.value}\n" for field_ in fields]
    # Biopython ships py.typed but Bio.Medline.parse has no annotations.
    records = Medline.parse(lines)  # type: ignore[no-untyped-call]
    return dict(next(records))


# ---------------------------------------------------------------- record assembly


def _article(chunk: _Chunk, label: str) -> ArticleRecord:
    fields = _fields(chunk, label)
    record = _bio_record(fields)
    pmid_field = next((f for f in fields if f.tag == "PMID"), None)
    if pmid_field is None:
        raise _error(label, chunk, chunk.start, "record without a PMID")
    pmid = _PMID.fullmatch(pmid_field.value)
    if pmid is None:
        problem = f"PMID {pmid_field.value!r} is not a number"
        raise _error(label, chunk, pmid_field.line, problem)
    return parse_medline_record(
        record,
        fields,
        pmid=pmid["pmid"],
        version=int(pmid["version"] or 1),
        raw=chunk.raw,
    )
